//! OTLP over TLS, HTTP and gRPC: a TLS front (tokio-rustls, a test CA made by rcgen) on
//! loopback before the in-process receiver. The CA is trusted through
//! `OTEL_EXPORTER_OTLP_CERTIFICATE` or `with_root_certificate`; mutual TLS is accepted with
//! the client certificate (variables or `with_client_certificate`) and refused without it;
//! an untrusted server, a certificate for another name and a CA certificate presented as
//! the server's fail the export with the TLS reason in words.

use trace_genai_tests::harness::serial;
use trace_genai_tests::{receiver, tls};

use std::time::Duration;

use receiver::OtlpReceiver;
use tls::{Pki, TlsFront, temp_dir};
use trace_genai::config::Config;
use trace_genai::{Telemetry, TelemetryBuilder, trace_genai};

const WAIT: Duration = Duration::from_secs(10);

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat(input: &str) -> String {
    format!("answer: {input}")
}

fn env(vars: &[(&str, String)]) -> Config {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    trace_genai_tests::harness::config(&vars).unwrap()
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
        assert!(
            message.contains("(unknown issuer)"),
            "{protocol}: {message}"
        );
        assert!(
            message.contains("OTEL_EXPORTER_OTLP_CERTIFICATE"),
            "{protocol}: {message}"
        );
        assert!(receiver.spans().is_empty(), "{protocol}");
    }
}

/// A server whose certificate the client rejects although its CA is trusted.
#[derive(Debug, Clone, Copy)]
enum Rejected {
    /// Issued for another host name.
    OtherName,
    /// The CA's own certificate, presented as the server's.
    CaAsServer,
}

/// A CA (PEM) and a server configuration presenting a certificate `rejected` for that
/// reason.
fn rejected_server(rejected: Rejected) -> (String, rustls::ServerConfig) {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "trace-genai rejected-server CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca_key_der = ca_key.serialize_der();
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let (chain, key) = match rejected {
        Rejected::OtherName => {
            let mut params =
                rcgen::CertificateParams::new(vec!["collector.example".to_owned()]).unwrap();
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &ca).unwrap();
            (
                vec![cert.der().clone(), ca.der().clone()],
                key.serialize_der(),
            )
        }
        Rejected::CaAsServer => (vec![ca.der().clone()], ca_key_der),
    };
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (ca.pem(), config)
}

#[test]
fn a_rejected_server_certificate_says_why_over_http_and_grpc() {
    let _serial = serial();
    for (rejected, reason, hint) in [
        (Rejected::OtherName, "(name mismatch)", "host name"),
        (
            Rejected::CaAsServer,
            "(a CA certificate used as a server certificate)",
            "its own certificate",
        ),
    ] {
        let (ca_pem, config) = rejected_server(rejected);
        let dir = temp_dir(&format!("rejected-{rejected:?}"));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        for grpc in [false, true] {
            let receiver = OtlpReceiver::start();
            let (target, protocol) = upstream(&receiver, grpc);
            let front = TlsFront::start(config.clone(), &target);
            let error = export(Telemetry::builder().with_config(env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", front.endpoint()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.clone()),
                (
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    ca.to_str().unwrap().to_owned(),
                ),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000".to_owned()),
                ("OTEL_METRICS_EXPORTER", "none".to_owned()),
                ("OTEL_LOGS_EXPORTER", "none".to_owned()),
            ])))
            .expect_err("the certificate is rejected");
            let message = error.to_string();
            assert!(
                message.contains("TLS"),
                "{rejected:?} {protocol}: {message}"
            );
            assert!(
                message.contains(reason),
                "{rejected:?} {protocol}: {message}"
            );
            assert!(message.contains(hint), "{rejected:?} {protocol}: {message}");
            assert!(receiver.spans().is_empty(), "{rejected:?} {protocol}");
        }
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
