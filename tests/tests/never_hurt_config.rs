//! "Never hurt the app", configuration: an OTLP header that cannot be sent, the messages of
//! configuration errors and the OpenTelemetry specification's rules for values (defects 8
//! and 11 of the issue). The install, export and shutdown defects are in
//! `never_hurt_export.rs`.
//!
//! Configuration goes through `Config::from_lookup`, not the process environment.

use std::time::Duration;

use trace_genai::config::Config;
use trace_genai::{Destination, OtlpConfig, Telemetry, trace_genai};
use trace_genai_tests::harness::{builder, config, dead_endpoint, serial};
use trace_genai_tests::receiver::{self, OtlpReceiver};

#[trace_genai(invoke_agent, agent = "planner")]
fn agent() -> String {
    format!("planned: {}", lookup("Paris"))
}

#[trace_genai(execute_tool, tool = "lookup")]
fn lookup(city: &str) -> String {
    format!("sunny in {city}")
}

// ---------------------------------------------------------------------------------------
// Defect 8: an OTLP header that cannot be sent was silently dropped.

#[test]
fn defect_8_a_header_that_cannot_be_sent_is_an_error_naming_the_variable_and_the_header() {
    for (var, value, name) in [
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-api-key=abc%0Adef",
            "x-api-key",
        ),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-tenant=t1,x api key=abcdef",
            "x api key",
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "x-api-key=abc%0Ddef",
            "x-api-key",
        ),
        (
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
            "x-api-key=abc%00def",
            "x-api-key",
        ),
        (
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            "x:key=abcdef",
            "x:key",
        ),
    ] {
        let error = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            (var, value),
        ])
        .err()
        .unwrap_or_else(|| panic!("{var}={value} was accepted"))
        .to_string();
        assert!(
            error.contains(var) && error.contains(&format!("{name:?}")),
            "{var}={value}: {error}"
        );
        assert!(!error.contains("abc"), "the value is repeated: {error}");
    }
}

#[test]
fn defect_8_a_header_given_in_code_that_cannot_be_sent_is_an_error() {
    let _serial = serial();
    let mut otlp = OtlpConfig::default();
    otlp.endpoint = Some(dead_endpoint());
    otlp.headers = vec![("x-api-key".to_owned(), trace_genai::Secret::new("abc\ndef"))];
    let error = builder(&[])
        .with_destination_config(Destination::Otlp(otlp))
        .install()
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("\"x-api-key\""), "{error}");
    assert!(!error.contains("abc"), "{error}");
}

#[test]
fn defect_8_signal_headers_replace_the_general_ones() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    for (protocol, endpoint) in [
        ("grpc", receiver.grpc_endpoint()),
        ("http/protobuf", receiver.http_endpoint()),
    ] {
        let telemetry = builder(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=general"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=traces"),
        ])
        .install()
        .unwrap();
        agent();
        telemetry.shutdown().unwrap();
        let requests = receiver.wait_for_requests(2, Duration::from_secs(10));
        let tenant = |signal| {
            requests
                .iter()
                .find(|request| request.signal == signal)
                .and_then(|request| request.header("x-tenant").map(str::to_owned))
        };
        assert_eq!(
            tenant(receiver::Signal::Traces).as_deref(),
            Some("traces"),
            "{protocol}"
        );
        assert_eq!(
            tenant(receiver::Signal::Metrics).as_deref(),
            Some("general"),
            "{protocol}"
        );
        receiver.clear();
    }
}

// ---------------------------------------------------------------------------------------
// Defect 11: configuration messages and the specification's rules for values.

#[test]
fn defect_11_a_bare_instrumentation_key_given_to_with_destination_is_not_repeated() {
    let _serial = serial();
    let key = "0123abcd-4567-89ef-0123-456789abcdef";
    let error = Telemetry::builder()
        .with_config(Config::default())
        .with_destination(key)
        .install()
        .err()
        .unwrap()
        .to_string();
    assert!(!error.contains(key), "{error}");
    assert!(error.contains("InstrumentationKey="), "{error}");
}

#[test]
fn defect_11_an_invalid_endpoint_error_names_where_it_came_from() {
    let _serial = serial();
    for var in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ] {
        let error = config(&[(var, "http://bad|host:4317")])
            .and_then(|config| Telemetry::builder().with_config(config).install())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains(var), "{error}");
    }
    for builder in [
        builder(&[]).with_destination("http://bad|host:4317"),
        builder(&[]).with_otlp("http://bad|host:4317"),
        builder(&[]).with_otlp("localhost:4317"),
    ] {
        let error = builder.install().err().unwrap().to_string();
        assert!(error.contains("given in code"), "{error}");
    }
    let mut otlp = OtlpConfig::default();
    otlp.endpoint = Some("http://bad|host:4317".to_owned());
    let error = builder(&[])
        .with_destination_config(Destination::Otlp(otlp))
        .install()
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("given in code") && error.contains("http://bad|host:4317"),
        "{error}"
    );
}

#[test]
fn defect_11_booleans_are_true_only_for_true_and_warn_otherwise() {
    for (value, disabled, warned) in [
        ("true", true, false),
        ("TRUE", true, false),
        ("false", false, false),
        ("False", false, false),
        ("yes", false, true),
        ("1", false, true),
        ("on", false, true),
    ] {
        let config = config(&[("OTEL_SDK_DISABLED", value)]).unwrap();
        assert_eq!(config.sdk_disabled, disabled, "{value}");
        assert_eq!(config.warnings.len(), usize::from(warned), "{value}");
        if warned {
            assert!(config.warnings[0].contains("OTEL_SDK_DISABLED"));
        }
    }
    let config = config(&[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "yes")]).unwrap();
    assert_eq!(
        config.content_capture,
        trace_genai::ContentCapture::NoContent
    );
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
}

#[test]
fn defect_11_the_sampler_argument_is_ignored_by_samplers_that_take_none() {
    use trace_genai::SamplerConfig;
    for (sampler, expected) in [
        ("always_on", SamplerConfig::AlwaysOn),
        ("always_off", SamplerConfig::AlwaysOff),
        ("parentbased_always_on", SamplerConfig::ParentBasedAlwaysOn),
        (
            "parentbased_always_off",
            SamplerConfig::ParentBasedAlwaysOff,
        ),
    ] {
        for arg in ["0.5", "not a number", "7"] {
            let config = config(&[
                ("OTEL_TRACES_SAMPLER", sampler),
                ("OTEL_TRACES_SAMPLER_ARG", arg),
            ])
            .unwrap();
            assert_eq!(config.sampler, expected, "{sampler} {arg}");
            assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        }
    }
    // A ratio sampler with an argument that is not a ratio: logged and ignored
    // (specification), so the ratio is the default 1.0.
    let config = config(&[
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
    ])
    .unwrap();
    assert_eq!(config.sampler, SamplerConfig::TraceIdRatio(1.0));
    assert_eq!(config.warnings.len(), 1);
    assert!(config.warnings[0].contains("OTEL_TRACES_SAMPLER_ARG"));
}

#[test]
fn defect_11_a_zero_otlp_timeout_means_no_limit() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    for (protocol, endpoint) in [
        ("grpc", receiver.grpc_endpoint()),
        ("http/protobuf", receiver.http_endpoint()),
    ] {
        let telemetry = builder(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0"),
        ])
        .install()
        .unwrap();
        agent();
        // Every span delivered: no export timed out at once.
        telemetry.shutdown().unwrap();
        assert_eq!(
            receiver.wait_for_spans(2, Duration::from_secs(10)).len(),
            2,
            "{protocol}"
        );
        receiver.clear();
    }
}

// ---------------------------------------------------------------------------------------
// Errors a person reads: `fn main() -> Result<(), Box<dyn Error>>` prints `Debug`.

#[test]
fn errors_print_their_sentence_in_debug_too() {
    let error = config(&[("OTEL_TRACES_SAMPLER", "sometimes")]).unwrap_err();
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    let shown = format!("Error: {boxed:?}");
    assert!(
        shown.contains("OTEL_TRACES_SAMPLER") && !shown.contains("InvalidEnv {"),
        "{shown}"
    );
    assert_eq!(shown, format!("Error: {boxed}"));
}
