//! Azurite, the Azure Storage emulator (the `azurite` npm package), started on loopback
//! for the upload tests: installed with npm into the target directory on first use (CI
//! installs it the same way), its Blob service on a free port, in memory.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The Azurite version the tests run.
pub const VERSION: &str = "3.37.0";

/// Azurite's well-known development account.
pub const ACCOUNT: &str = "devstoreaccount1";

/// Azurite's well-known development key (public, documented by Microsoft).
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running Azurite Blob service; stopped when dropped.
#[derive(Debug)]
pub struct Azurite {
    child: Child,
    /// The Blob service's port on 127.0.0.1.
    pub port: u16,
}

/// The `azurite-blob` program, installed into `target/azurite` if missing.
///
/// # Panics
///
/// When npm cannot install it.
fn program() -> std::path::PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // target/<profile>/deps/<test> → target
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let prefix = target.join("azurite");
    let program = prefix.join("node_modules/.bin/azurite-blob");
    if !program.exists() {
        let status = Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(format!("azurite@{VERSION}"))
            .stdout(Stdio::null())
            .status()
            .expect("npm runs (Node.js is needed for the Azure Storage emulator)");
        assert!(status.success(), "npm install azurite@{VERSION} failed");
    }
    program
}

impl Azurite {
    /// Starts the Blob service on a free loopback port, in memory, and waits until it
    /// listens.
    ///
    /// # Panics
    ///
    /// When it cannot be installed or does not listen within 60 s.
    #[must_use]
    pub fn start() -> Azurite {
        let program = program();
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let child = Command::new(program)
            .args(["--blobHost", "127.0.0.1", "--blobPort"])
            .arg(port.to_string())
            .args([
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--loose",
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let azurite = Azurite { child, port };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_mins(1),
                "Azurite did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        azurite
    }

    /// The connection string of the development account on this instance.
    #[must_use]
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint=http://127.0.0.1:{}/{ACCOUNT};",
            self.port
        )
    }

    /// Creates `container` (a signed `Create Container` request, as the Azure SDKs send).
    ///
    /// # Panics
    ///
    /// When Azurite refuses.
    pub fn create_container(&self, container: &str) {
        use base64::Engine as _;
        let date = http_date(SystemTime::now());
        let version = "2021-08-06";
        let to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{ACCOUNT}/{ACCOUNT}/{container}\nrestype:container"
        );
        let key = base64::engine::general_purpose::STANDARD
            .decode(KEY)
            .unwrap();
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
        let signature = base64::engine::general_purpose::STANDARD
            .encode(aws_lc_rs::hmac::sign(&key, to_sign.as_bytes()).as_ref());
        let response = reqwest::blocking::Client::new()
            .put(format!(
                "http://127.0.0.1:{}/{ACCOUNT}/{container}?restype=container",
                self.port
            ))
            .header("x-ms-date", date)
            .header("x-ms-version", version)
            .header("Authorization", format!("SharedKey {ACCOUNT}:{signature}"))
            .header("Content-Length", "0")
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{response:?}");
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `time` as an HTTP date (`Sun, 06 Dec 2026 10:00:00 GMT`).
fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = time.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = i64::try_from(seconds / 86_400).unwrap();
    let of_day = seconds % 86_400;
    // The civil date of a day count (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[usize::try_from(days.rem_euclid(7)).unwrap()],
        MONTHS[usize::try_from(month - 1).unwrap()],
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_dates_are_rfc_1123() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(
            super::http_date(UNIX_EPOCH + Duration::from_hours(499_042)),
            "Sun, 06 Dec 2026 10:00:00 GMT"
        );
    }
}
