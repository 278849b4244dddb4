//! Tests of choosing and building the exporters of each destination.

use super::*;
use crate::config::destination::{ConnectionString, OtlpConfig, OtlpProtocol};

/// The case: an OTLP endpoint and an Application Insights connection string in
/// a build without `azure-monitor`, installed inside `#[tokio::main]` (both flavours).
/// The error comes after the OTLP exporter started the export runtime, whose drop
/// used to panic there.
#[cfg(all(feature = "otlp-grpc", not(feature = "azure-monitor")))]
#[test]
fn defect_1_a_missing_feature_after_the_export_runtime_started_is_an_error_inside_tokio() {
    for runtime in [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap(),
    ] {
        let error = runtime.block_on(async {
            let config = crate::config::Config::from_lookup(|name| match name {
                "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://127.0.0.1:9".to_owned()),
                "APPLICATIONINSIGHTS_CONNECTION_STRING" => Some("InstrumentationKey=k".to_owned()),
                _ => None,
            })
            .unwrap();
            crate::Telemetry::builder()
                .with_config(config)
                .install()
                .unwrap_err()
        });
        assert!(
            matches!(
                error,
                InitError::FeatureNotEnabled {
                    feature: "azure-monitor",
                    ..
                }
            ),
            "{error}"
        );
    }
}

/// An `https://` endpoint in a build without the `tls` feature fails at install, naming
/// the feature (it used to fail at shutdown with a network error). Run with
/// `--no-default-features --features otlp-http,otlp-grpc` to see it.
#[cfg(all(
    any(feature = "otlp-grpc", feature = "otlp-http"),
    not(feature = "tls")
))]
#[test]
fn an_https_endpoint_without_tls_names_the_feature() {
    for (protocol, compiled) in [
        ("grpc", cfg!(feature = "otlp-grpc")),
        ("http/protobuf", cfg!(feature = "otlp-http")),
    ] {
        if !compiled {
            continue;
        }
        let config = crate::config::Config::from_lookup(|name| match name {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("https://127.0.0.1:9".to_owned()),
            "OTEL_EXPORTER_OTLP_PROTOCOL" => Some(protocol.to_owned()),
            _ => None,
        })
        .unwrap();
        let error = crate::Telemetry::builder()
            .with_config(config)
            .install()
            .unwrap_err();
        assert!(
            matches!(error, InitError::FeatureNotEnabled { feature: "tls", .. }),
            "{protocol}: {error}"
        );
        assert!(error.to_string().contains("cargo feature `tls`"), "{error}");
    }
}

/// Run with `--no-default-features --features console` to see the errors (CI does).
#[test]
fn a_destination_without_its_feature_names_the_feature() {
    let cases = [
        (
            Destination::Otlp(OtlpConfig::default()),
            "otlp-grpc",
            cfg!(feature = "otlp-grpc"),
        ),
        (
            Destination::Otlp(OtlpConfig {
                protocol: OtlpProtocol::HttpJson,
                ..OtlpConfig::default()
            }),
            "otlp-http",
            cfg!(feature = "otlp-http"),
        ),
        (
            Destination::AzureMonitor(ConnectionString::parse("InstrumentationKey=k").unwrap()),
            "azure-monitor",
            cfg!(feature = "azure-monitor"),
        ),
    ];
    for (destination, feature, compiled) in cases {
        match missing_feature(&destination) {
            None => assert!(compiled, "{feature}"),
            Some(error) => {
                assert!(!compiled, "{feature}");
                assert!(
                    error
                        .to_string()
                        .contains(&format!("cargo feature `{feature}`")),
                    "{error}"
                );
            }
        }
    }
}

/// A build without `azure-ai-project`: `AZURE_AI_PROJECT_ENDPOINT`, often set for the
/// Azure SDKs' own clients, is ignored with one warning (the console then), while a project
/// asked for in code names the feature. Run with `--no-default-features --features console`
/// (CI does).
#[cfg(all(feature = "console", not(feature = "azure-ai-project")))]
#[test]
fn a_project_endpoint_without_its_feature_is_ignored_from_the_environment_and_an_error_in_code() {
    let config = crate::config::Config::from_lookup(|name| {
        (name == "AZURE_AI_PROJECT_ENDPOINT")
            .then(|| "https://a.services.ai.azure.com/api/projects/p".to_owned())
    })
    .unwrap();
    let telemetry = crate::Telemetry::builder()
        .with_config(config.clone())
        .install()
        .unwrap();
    telemetry.shutdown().unwrap();

    let error = crate::Telemetry::builder()
        .with_config(config)
        .with_azure_ai_project("https://a.services.ai.azure.com/api/projects/p")
        .install()
        .unwrap_err();
    assert!(
        matches!(
            error,
            InitError::FeatureNotEnabled {
                feature: "azure-ai-project",
                ..
            }
        ),
        "{error}"
    );
}
