//! OTLP over TLS, HTTP and gRPC: a TLS front (tokio-rustls, a test CA made by rcgen) on
//! loopback before the in-process receiver. The CA is trusted through
//! `OTEL_EXPORTER_OTLP_CERTIFICATE` or `with_root_certificate`; mutual TLS is accepted with
//! the client certificate (variables or `with_client_certificate`) and refused without it;
//! an untrusted server fails the export with a TLS cause.

#[path = "support/receiver.rs"]
mod receiver;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use receiver::OtlpReceiver;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use trace_genai::config::Config;
use trace_genai::{Telemetry, TelemetryBuilder, trace_genai};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const WAIT: Duration = Duration::from_secs(10);

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat(input: &str) -> String {
    format!("answer: {input}")
}

/// A test CA, a server certificate for 127.0.0.1 and a client certificate, all PEM.
struct Pki {
    ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: Vec<u8>,
    client_pem: String,
    client_key_pem: String,
}

impl Pki {
    fn new() -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "trace-genai TLS test CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();

        let mut server_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

        let mut client_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "trace-genai test client");
        client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = rcgen::KeyPair::generate().unwrap();
        let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

        Pki {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            server_chain: vec![server_cert.der().clone(), ca.der().clone()],
            server_key: server_key.serialize_der(),
            client_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }

    fn server_config(&self, client_auth: bool) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let mut config = builder
            .with_single_cert(self.server_chain.clone(), key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }

    /// Writes the PEM files for the variables; returns (CA, client certificate, client key).
    fn files(&self, dir: &std::path::Path) -> (String, String, String) {
        std::fs::create_dir_all(dir).unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_owned()
        };
        (
            write("ca.pem", &self.ca_pem),
            write("client.pem", &self.client_pem),
            write("client-key.pem", &self.client_key_pem),
        )
    }
}

/// Terminates TLS on loopback and forwards the bytes to a plaintext receiver port.
struct TlsFront {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl TlsFront {
    fn start(config: rustls::ServerConfig, target: &str) -> Self {
        let target: SocketAddr = target.trim_start_matches("http://").parse().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                });
            }
        });
        TlsFront {
            runtime: Some(runtime),
            addr,
        }
    }

    fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn env(vars: &[(&str, String)]) -> Config {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    Config::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .unwrap()
}

/// The plaintext receiver port of `protocol`, and the protocol's variable value.
fn upstream(receiver: &OtlpReceiver, grpc: bool) -> (String, String) {
    if grpc {
        (receiver.grpc_endpoint(), "grpc".to_owned())
    } else {
        (receiver.http_endpoint(), "http/protobuf".to_owned())
    }
}

/// Exports one span through `builder`; the shutdown result.
fn export(builder: TelemetryBuilder) -> Result<(), trace_genai::ShutdownError> {
    let telemetry = builder.install().unwrap();
    chat("hello");
    telemetry.shutdown()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "trace-genai-otlp-tls-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn the_ca_of_the_certificate_variable_is_trusted_over_http_and_grpc() {
    let _serial = serial();
    let pki = Pki::new();
    let (ca, _, _) = pki.files(&temp_dir("ca-var"));
    for grpc in [false, true] {
        let receiver = OtlpReceiver::start();
        let (target, protocol) = upstream(&receiver, grpc);
        let front = TlsFront::start(pki.server_config(false), &target);
        let builder = Telemetry::builder().with_config(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", front.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.clone()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.clone()),
            ("OTEL_METRICS_EXPORTER", "none".to_owned()),
            ("OTEL_LOGS_EXPORTER", "none".to_owned()),
        ]));
        export(builder).unwrap_or_else(|error| panic!("{protocol}: {error}"));
        assert_eq!(receiver.wait_for_spans(1, WAIT).len(), 1, "{protocol}");
    }
    let _ = std::fs::remove_dir_all(temp_dir("ca-var"));
}

#[test]
fn the_ca_of_with_root_certificate_is_trusted_over_http_and_grpc() {
    let _serial = serial();
    let pki = Pki::new();
    for grpc in [false, true] {
        let receiver = OtlpReceiver::start();
        let (target, protocol) = upstream(&receiver, grpc);
        let front = TlsFront::start(pki.server_config(false), &target);
        let builder = Telemetry::builder()
            .with_config(env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", front.endpoint()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.clone()),
                ("OTEL_METRICS_EXPORTER", "none".to_owned()),
                ("OTEL_LOGS_EXPORTER", "none".to_owned()),
            ]))
            .with_root_certificate(pki.ca_pem.clone());
        export(builder).unwrap_or_else(|error| panic!("{protocol}: {error}"));
        assert_eq!(receiver.wait_for_spans(1, WAIT).len(), 1, "{protocol}");
    }
}

#[test]
fn mutual_tls_is_accepted_with_the_client_certificate_and_refused_without() {
    let _serial = serial();
    let pki = Pki::new();
    let (ca, client, key) = pki.files(&temp_dir("mtls"));
    for grpc in [false, true] {
        let receiver = OtlpReceiver::start();
        let (target, protocol) = upstream(&receiver, grpc);
        let front = TlsFront::start(pki.server_config(true), &target);
        let vars = |with_client: bool| {
            let mut vars = vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", front.endpoint()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.clone()),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.clone()),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000".to_owned()),
                ("OTEL_METRICS_EXPORTER", "none".to_owned()),
                ("OTEL_LOGS_EXPORTER", "none".to_owned()),
            ];
            if with_client {
                vars.push(("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", client.clone()));
                vars.push(("OTEL_EXPORTER_OTLP_CLIENT_KEY", key.clone()));
            }
            env(&vars)
        };
        export(Telemetry::builder().with_config(vars(true)))
            .unwrap_or_else(|error| panic!("{protocol}: {error}"));
        assert_eq!(receiver.wait_for_spans(1, WAIT).len(), 1, "{protocol}");

        // The builder's client certificate.
        export(
            Telemetry::builder()
                .with_config(vars(false))
                .with_client_certificate(pki.client_pem.clone(), pki.client_key_pem.clone()),
        )
        .unwrap_or_else(|error| panic!("{protocol}: {error}"));
        assert_eq!(receiver.wait_for_spans(2, WAIT).len(), 2, "{protocol}");

        let error = export(Telemetry::builder().with_config(vars(false)))
            .expect_err("refused without a client certificate");
        assert_eq!(receiver.spans().len(), 2, "{protocol}");
        assert!(
            error.to_string().contains("not delivered"),
            "{protocol}: {error}"
        );
    }
    let _ = std::fs::remove_dir_all(temp_dir("mtls"));
}

#[test]
fn an_untrusted_server_fails_with_a_tls_cause() {
    let _serial = serial();
    let pki = Pki::new();
    for grpc in [false, true] {
        let receiver = OtlpReceiver::start();
        let (target, protocol) = upstream(&receiver, grpc);
        let front = TlsFront::start(pki.server_config(false), &target);
        let error = export(Telemetry::builder().with_config(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", front.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.clone()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000".to_owned()),
            ("OTEL_METRICS_EXPORTER", "none".to_owned()),
            ("OTEL_LOGS_EXPORTER", "none".to_owned()),
        ])))
        .expect_err("the test CA is not trusted");
        let message = error.to_string();
        assert!(message.contains("TLS"), "{protocol}: {message}");
        assert!(receiver.spans().is_empty(), "{protocol}");
    }
}

#[test]
fn bad_pem_is_an_install_error_naming_the_variable() {
    let dir = temp_dir("bad-pem");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("not-pem.txt");
    std::fs::write(&path, "not a certificate").unwrap();
    let error = Telemetry::builder()
        .with_config(env(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://127.0.0.1:9".to_owned(),
            ),
            (
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                path.to_str().unwrap().to_owned(),
            ),
        ]))
        .install()
        .expect_err("bad PEM");
    assert!(
        error.to_string().contains("OTEL_EXPORTER_OTLP_CERTIFICATE"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
