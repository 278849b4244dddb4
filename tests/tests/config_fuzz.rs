//! Every variable trace-genai reads, given garbage: empty, blank, numbers out of range,
//! broken URLs and pairs, huge values, special files, text that is not UTF-8. Nothing
//! panics or hangs, every error names its variable, and every install (or refusal) takes
//! less than 2 s.

use std::process::Command;
use std::time::{Duration, Instant};

use trace_genai::Telemetry;
use trace_genai::config::{Config, VARIABLES};
use trace_genai_tests::harness::serial;

/// Values that every variable is given, one at a time.
fn garbage() -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "\t",
        "0",
        "1",
        "-1",
        "=",
        ",,,",
        "0x10",
        "1e6",
        "10s",
        "true",
        "none",
        "x=y,z",
        "%",
        "%zz",
        "💥",
        "a\nb",
        "http://",
        "https://",
        "ftp://x",
        "http://[::1",
        "http://0",
        "https://x y",
        "9999999999999999999999",
        "InstrumentationKey=",
        "InstrumentationKey=k;IngestionEndpoint=ftp://x",
        "/dev/zero",
        "/dev/urandom",
        "/dev/null",
        "/proc/self/mem",
        "/",
        "/nonexistent/file.pem",
    ]
    .iter()
    .map(|value| (*value).to_owned())
    .collect();
    values.push("a".repeat(1 << 20));
    values.push("9".repeat(100_000));
    values.push(format!("http://{}", "h".repeat(100_000)));
    values
}

/// The values that must be accepted as they are: blank means unset.
fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

/// The Azure credential variables are read only for an Azure AI Foundry project: they
/// are also tried with one (on a closed loopback port, within 1 s).
const PROJECT: &[(&str, &str)] = &[
    (
        "AZURE_AI_PROJECT_ENDPOINT",
        "https://127.0.0.1:9/api/projects/fuzz",
    ),
    ("TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT", "1000"),
];

#[test]
fn every_variable_given_garbage_is_an_error_naming_it_or_works_within_2_s() {
    let _serial = serial();
    // `TRACE_GENAI_CONSOLE_OUTPUT=<garbage>` names a file the console writes to: the
    // relative ones go to a directory of this test's own.
    let scratch = trace_genai_tests::tls::temp_dir("config-fuzz-console");
    std::fs::create_dir_all(&scratch).unwrap();
    std::env::set_current_dir(&scratch).unwrap();
    let mut cases = 0;
    let mut slowest = (Duration::ZERO, String::new());
    let contexts: [&[(&str, &str)]; 2] = [&[], PROJECT];
    for (var, context) in VARIABLES.iter().flat_map(|var| {
        contexts
            .iter()
            .filter(move |context| {
                context.is_empty()
                    || (var.starts_with("AZURE_") && !context.iter().any(|(name, _)| name == var))
            })
            .map(move |context| (var, *context))
    }) {
        for value in garbage() {
            cases += 1;
            let shown = format!(
                "{var}={:?} (with {context:?})",
                value.chars().take(40).collect::<String>()
            );
            let started = Instant::now();
            let lookup_value = value.clone();
            let config = std::panic::catch_unwind(move || {
                Config::from_lookup(|name| {
                    if name == *var {
                        return Some(lookup_value.clone());
                    }
                    context
                        .iter()
                        .find(|(context_name, _)| *context_name == name)
                        .map(|(_, value)| (*value).to_owned())
                })
            })
            .unwrap_or_else(|_| panic!("{shown}: reading the configuration panicked"));
            let outcome = match config {
                Err(error) => Err(error),
                Ok(config) => std::panic::catch_unwind(|| {
                    Telemetry::builder()
                        .with_config(config)
                        .install()
                        .map(|telemetry| {
                            let _ = telemetry.shutdown_with_timeout(Duration::from_millis(200));
                        })
                })
                .unwrap_or_else(|_| panic!("{shown}: install panicked")),
            };
            let elapsed = started.elapsed();
            if elapsed > slowest.0 {
                slowest = (elapsed, shown.clone());
            }
            assert!(
                elapsed < Duration::from_secs(2),
                "{shown}: took {elapsed:?}"
            );
            match outcome {
                Ok(()) => {}
                Err(error) => {
                    let text = error.to_string();
                    // With a project, the lookup on the closed port fails: that error
                    // names the project's endpoint and the step.
                    let lookup_failed = !context.is_empty()
                        && matches!(error, trace_genai::InitError::AzureAiProject { .. });
                    assert!(
                        !is_blank(&value) || lookup_failed,
                        "{shown}: a blank value is unset, but: {text}"
                    );
                    assert!(
                        text.contains(var) || lookup_failed,
                        "{shown}: the error does not name it: {text}"
                    );
                    assert!(
                        text.len() < 4096,
                        "{shown}: the error repeats the value: {} bytes",
                        text.len()
                    );
                }
            }
        }
    }
    println!("{cases} cases; slowest {:?} ({})", slowest.0, slowest.1);
    assert!(cases > 2_000);
}

/// A value that is not UTF-8 is an error naming its variable (it used to be taken for
/// unset, without a word).
#[test]
fn a_value_that_is_not_utf8_is_an_error_naming_its_variable() {
    use std::os::unix::ffi::OsStrExt as _;
    for var in VARIABLES {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_reads_the_environment",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env(var, std::ffi::OsStr::from_bytes(b"http://h\xff\xfe"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{var}: {stdout}");
        assert!(
            stdout.contains(&format!("error: environment variable {var}="))
                && stdout.contains("UTF-8"),
            "{var}: {stdout}"
        );
    }
}

const CHILD: &str = "TRACE_GENAI_CONFIG_FUZZ_CHILD";

#[test]
#[ignore = "run by a_value_that_is_not_utf8_is_an_error_naming_its_variable"]
fn child_reads_the_environment() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    match Config::from_env() {
        Ok(_) => println!("ok"),
        Err(error) => println!("error: {error}"),
    }
}

/// The fuzzing above covers the README's variables: every variable its Configuration
/// section names is one trace-genai reads (but the one it says is not read).
#[test]
fn every_variable_of_the_readme_is_fuzzed() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme.find("## Configuration").unwrap();
    let end = readme[start..].find("## Cargo features").unwrap() + start;
    let mut named = 0;
    for word in readme[start..end].split('`').skip(1).step_by(2) {
        let is_variable = [
            "OTEL_",
            "TRACE_GENAI_",
            "AZURE_",
            "APPLICATIONINSIGHTS_",
            "PROJECT_",
        ]
        .iter()
        .any(|prefix| word.starts_with(prefix))
            && !word.ends_with('_')
            && word
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !is_variable || word == "OTEL_BSP_MAX_CONCURRENT_EXPORTS" {
            continue;
        }
        named += 1;
        assert!(
            VARIABLES.contains(&word),
            "{word} is in the README but not fuzzed"
        );
    }
    assert!(named > 50, "{named}");
}
