//! Tests of reading the configuration from variables (through `Config::from_lookup`).

use super::*;
use crate::config::destination::{Destination, OtlpCompression, OtlpProtocol, Signal};

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

#[test]
fn defaults_when_nothing_is_set() {
    let config = Config::from_lookup(|_| None).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.sampler, SamplerConfig::ParentBasedAlwaysOn);
}

#[test]
fn service_name_beats_resource_attributes() {
    let config = Config::from_lookup(lookup(&[
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attrs,deployment.environment.name=prod%20eu",
        ),
        ("OTEL_SERVICE_NAME", "from-name"),
    ]))
    .unwrap();
    assert_eq!(config.service_name.as_deref(), Some("from-name"));
    assert_eq!(
        config.resource_attributes,
        vec![KeyValue::new("deployment.environment.name", "prod eu")]
    );

    let config = Config::from_lookup(lookup(&[(
        "OTEL_RESOURCE_ATTRIBUTES",
        "service.name=from-attrs",
    )]))
    .unwrap();
    assert_eq!(config.service_name.as_deref(), Some("from-attrs"));
}

#[test]
fn propagators() {
    let parse = |value: &str| {
        Config::from_lookup(lookup(&[("OTEL_PROPAGATORS", value)]))
            .unwrap()
            .propagators
    };
    assert_eq!(
        Config::default().propagators,
        [Propagator::TraceContext, Propagator::Baggage]
    );
    assert_eq!(parse("tracecontext"), [Propagator::TraceContext]);
    assert_eq!(
        parse(" Baggage , tracecontext "),
        [Propagator::Baggage, Propagator::TraceContext]
    );
    assert_eq!(parse("none"), []);
}

#[test]
fn samplers() {
    for (name, expected) in [
        ("always_on", SamplerConfig::AlwaysOn),
        ("ALWAYS_OFF", SamplerConfig::AlwaysOff),
        ("traceidratio", SamplerConfig::TraceIdRatio(0.5)),
        ("parentbased_always_on", SamplerConfig::ParentBasedAlwaysOn),
        (
            "parentbased_always_off",
            SamplerConfig::ParentBasedAlwaysOff,
        ),
        (
            "parentbased_traceidratio",
            SamplerConfig::ParentBasedTraceIdRatio(0.5),
        ),
    ] {
        let config = Config::from_lookup(lookup(&[
            ("OTEL_TRACES_SAMPLER", name),
            ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
        ]))
        .unwrap();
        assert_eq!(config.sampler, expected, "{name}");
    }
}

#[test]
fn invalid_values_name_the_variable() {
    for (var, value) in [
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_RESOURCE_ATTRIBUTES", "no-equals-sign"),
        ("OTEL_TRACES_EXPORTER", "carrier-pigeon"),
        ("TRACE_GENAI_CONSOLE_FORMAT", "xml"),
        ("OTEL_PROPAGATORS", "tracecontext,b3"),
        ("TRACE_GENAI_CONTENT_MAX_LENGTH", "10"),
    ] {
        let err = Config::from_lookup(lookup(&[(var, value)])).unwrap_err();
        let InitError::InvalidEnv {
            var: got,
            value: got_value,
            ..
        } = &err
        else {
            panic!("expected InvalidEnv for {var}, got {err:?}");
        };
        assert_eq!(*got, var);
        assert_eq!(got_value, value);
        assert!(err.to_string().contains(var), "{err}");
    }
}

#[test]
fn exporter_selection_and_automatic_defaults() {
    let traces = |vars: &[(&str, &str)]| -> Vec<Destination> {
        Config::from_lookup(lookup(vars))
            .unwrap()
            .destinations(Signal::Traces)
            .unwrap()
    };
    assert_eq!(traces(&[]), vec![Destination::Console(ConsoleFormat::Tree)]);
    let otlp = traces(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]);
    assert!(
        matches!(&otlp[..], [Destination::Otlp(o)] if o.endpoint_for(Signal::Traces) == "http://collector:4317")
    );
    let logs_only = Config::from_lookup(lookup(&[(
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "http://collector:4318/v1/logs",
    )]))
    .unwrap();
    assert!(matches!(
        &logs_only.destinations(Signal::Logs).unwrap()[..],
        [Destination::Otlp(_)]
    ));
    let both = traces(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "InstrumentationKey=k",
        ),
    ]);
    assert!(matches!(
        &both[..],
        [Destination::Otlp(_), Destination::AzureMonitor(_)]
    ));
    let named = traces(&[
        ("OTEL_TRACES_EXPORTER", "console, otlp"),
        ("TRACE_GENAI_CONSOLE_FORMAT", "json"),
    ]);
    assert!(matches!(
        &named[..],
        [
            Destination::Console(ConsoleFormat::JsonLines),
            Destination::Otlp(_)
        ]
    ));
    assert!(traces(&[("OTEL_TRACES_EXPORTER", "none")]).is_empty());
    let config =
        Config::from_lookup(lookup(&[("OTEL_METRICS_EXPORTER", "azure_monitor")])).unwrap();
    let err = config
        .destinations(Signal::Metrics)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("OTEL_METRICS_EXPORTER")
            && err.contains("APPLICATIONINSIGHTS_CONNECTION_STRING"),
        "{err}"
    );
}

#[test]
fn otlp_settings() {
    let config = Config::from_lookup(lookup(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/JSON"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-otlp-api-key=abc%3D,tenant=t1",
        ),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "256"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
    ]))
    .unwrap();
    assert_eq!(config.otlp.protocol, OtlpProtocol::HttpJson);
    assert_eq!(config.otlp.headers[0].0, "x-otlp-api-key");
    assert_eq!(config.otlp.headers[0].1.expose(), "abc=");
    assert_eq!(config.otlp.timeout, Some(Duration::from_millis(2500)));
    assert_eq!(config.otlp.compression, Some(OtlpCompression::Gzip));
    assert_eq!(
        config.batch.spans.schedule_delay,
        Duration::from_millis(100)
    );
    assert_eq!(config.batch.spans.max_queue_size, 4096);
    assert_eq!(config.batch.spans.max_export_batch_size, 256);
    assert_eq!(config.batch.logs, BatchProcessorConfig::logs());
    assert_eq!(config.metric_export_interval, Duration::from_secs(1));
    assert_eq!(
        config.otlp.endpoint_for(Signal::Traces),
        "http://localhost:4318/v1/traces"
    );
}

#[test]
fn scheme_less_endpoints_use_tls_unless_insecure() {
    let config = Config::from_lookup(lookup(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "true"),
    ]))
    .unwrap();
    assert_eq!(
        config.otlp.endpoint.as_deref(),
        Some("https://collector:4317")
    );
    assert_eq!(
        config.otlp.logs_endpoint.as_deref(),
        Some("http://collector:4317")
    );
}

#[test]
fn tls_variables_read_their_files_and_name_themselves() {
    let dir = std::env::temp_dir().join(format!("trace-genai-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let ca = ca.to_str().unwrap();
    let config = Config::from_lookup(lookup(&[
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca),
        ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", ca),
    ]))
    .unwrap();
    let certificate = config.otlp.tls.certificate.as_ref().unwrap();
    assert!(
        certificate
            .origin
            .contains("OTEL_EXPORTER_OTLP_CERTIFICATE")
    );
    let traces = config.otlp.tls_for(Signal::Traces);
    assert_eq!(traces.certificate.as_ref(), Some(certificate), "inherited");
    assert!(traces.client_key.is_some());
    assert!(config.otlp.tls_for(Signal::Logs).client_key.is_none());

    let missing = dir.join("missing.pem");
    let err = Config::from_lookup(lookup(&[(
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        missing.to_str().unwrap(),
    )]))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE") && err.contains("cannot be read"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_exporter_settings_name_the_variable_and_hide_secrets() {
    for (var, value, expected) in [
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "udp",
            "`grpc`, `http/protobuf` or `http/json`",
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "ftp://localhost:4317",
            "an http:// or https:// URL",
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://",
            "an http:// or https:// URL",
        ),
        (
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            "10s",
            "a whole number of milliseconds",
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "`gzip` or `none`"),
        (
            "OTEL_TRACES_EXPORTER",
            "jaeger",
            "`console`, `otlp`, `azure_monitor`, or `none`",
        ),
        (
            "OTEL_LOGS_EXPORTER",
            "stdout",
            "`console`, `otlp`, `azure_monitor`, or `none`",
        ),
        (
            "OTEL_BSP_MAX_QUEUE_SIZE",
            "0",
            "a whole number from 1 to 1000000",
        ),
        (
            "OTEL_METRIC_EXPORT_INTERVAL",
            "0",
            "a whole number of milliseconds from 100 to 2147483647",
        ),
    ] {
        let err = Config::from_lookup(lookup(&[(var, value)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(var) && err.contains(value) && err.contains(expected),
            "{err}"
        );
    }
    for (var, value) in [
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key"),
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "Endpoint=https://secret-host/",
        ),
    ] {
        let err = Config::from_lookup(lookup(&[(var, value)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(var) && err.contains("<redacted>"), "{err}");
        assert!(!err.contains(value), "{err}");
    }
    let config = Config::from_lookup(lookup(&[(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "InstrumentationKey=very-secret",
    )]))
    .unwrap();
    assert!(!format!("{config:?}").contains("very-secret"));
}

#[test]
fn content_capture_precedence_and_safe_default() {
    let capture = |vars: &[(&str, &str)]| Config::from_lookup(lookup(vars)).unwrap();
    assert_eq!(
        capture(&[]).content_capture,
        crate::ContentCapture::NoContent
    );
    assert_eq!(
        capture(&[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "True")]).content_capture,
        crate::ContentCapture::SpanAndEvent
    );
    assert_eq!(
        capture(&[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "yes")]).content_capture,
        crate::ContentCapture::NoContent
    );
    let config = capture(&[
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "span_only",
        ),
        ("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true"),
    ]);
    assert_eq!(config.content_capture, crate::ContentCapture::SpanOnly);
    let config = capture(&[
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "everything",
        ),
        ("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true"),
    ]);
    assert_eq!(config.content_capture, crate::ContentCapture::NoContent);
    assert_eq!(config.warnings.len(), 1);
    assert!(
        config.warnings[0].contains("\"everything\""),
        "{:?}",
        config.warnings
    );
}

#[test]
fn span_limits_and_batch_sizes() {
    let config = Config::from_lookup(lookup(&[
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "64"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "0"),
        ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "2147483647"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "100"),
        ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "200"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "256"),
    ]))
    .unwrap();
    let limits = config.span_limits.to_sdk();
    assert_eq!(limits.max_attributes_per_span, 64);
    assert_eq!(limits.max_events_per_span, 0);
    assert_eq!(limits.max_links_per_span, 128);
    assert_eq!(limits.max_attributes_per_link, 2_147_483_647);
    // A batch larger than its queue is the queue: a warning when it was set.
    assert_eq!(config.batch.logs.max_export_batch_size, 100);
    assert_eq!(config.batch.spans.max_export_batch_size, 256);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(config.warnings[0].contains("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"));
    // Values set in code are brought within range.
    let mut spans = BatchProcessorConfig::spans();
    spans.max_queue_size = usize::MAX;
    spans.max_export_batch_size = 0;
    spans.export_timeout = Duration::ZERO;
    let spans = spans.clamped();
    assert_eq!(spans.max_queue_size, BatchProcessorConfig::MAX_QUEUE_SIZE);
    assert_eq!(spans.max_export_batch_size, 1);
    assert_eq!(spans.export_timeout, NO_TIMEOUT);
}

#[test]
fn disabled_and_empty_values() {
    let config = Config::from_lookup(lookup(&[
        ("OTEL_SDK_DISABLED", "TRUE"),
        ("OTEL_SERVICE_NAME", "  "),
    ]))
    .unwrap();
    assert!(config.sdk_disabled);
    assert_eq!(config.service_name, None);
}

#[test]
fn redaction_classes() {
    let parse = |value: &str| {
        Config::from_lookup(lookup(&[("TRACE_GENAI_REDACT", value)])).map(|config| config.redact)
    };
    assert_eq!(Config::default().redact, crate::RedactClasses::CREDENTIALS);
    assert_eq!(parse("").unwrap(), crate::RedactClasses::CREDENTIALS);
    assert_eq!(parse("  ").unwrap(), crate::RedactClasses::CREDENTIALS);
    assert_eq!(parse("pii").unwrap(), crate::RedactClasses::PII);
    assert_eq!(
        parse(" Credentials , PII ").unwrap(),
        crate::RedactClasses::ALL
    );
    assert_eq!(parse("NONE").unwrap(), crate::RedactClasses::NONE);
    for bad in ["none,pii", "secrets", "credentials;pii", ","] {
        let err = parse(bad).unwrap_err();
        let InitError::InvalidEnv {
            var,
            value,
            expected,
        } = &err
        else {
            panic!("expected InvalidEnv for {bad:?}, got {err:?}");
        };
        assert_eq!(*var, TRACE_GENAI_REDACT);
        assert_eq!(value, bad);
        assert!(expected.contains("`credentials`"), "{err}");
        assert!(expected.contains("`none`"), "{err}");
    }
}

#[test]
fn redaction_patterns() {
    let parse = |value: &str| {
        Config::from_lookup(lookup(&[("TRACE_GENAI_REDACT_PATTERNS", value)]))
            .map(|config| config.redact_patterns)
    };
    assert!(Config::default().redact_patterns.is_empty());
    assert_eq!(
        parse(r#"["ORDER-[0-9]{6}", "(?i)project\\s+falcon"]"#).unwrap(),
        ["ORDER-[0-9]{6}", r"(?i)project\s+falcon"]
    );
    assert!(parse("[]").unwrap().is_empty());
    for (bad, reason) in [
        ("ORDER-[0-9]{6}", "not such an array"),
        (r#"{"pattern": "x"}"#, "not such an array"),
        ("[1, 2]", "not such an array"),
        (r#"["ok", "ORDER-("]"#, "does not compile"),
    ] {
        let err = parse(bad).unwrap_err();
        let InitError::InvalidEnv {
            var,
            value,
            expected,
        } = &err
        else {
            panic!("expected InvalidEnv for {bad:?}, got {err:?}");
        };
        assert_eq!(*var, TRACE_GENAI_REDACT_PATTERNS);
        assert_eq!(value, bad);
        assert!(expected.contains(reason), "{bad}: {err}");
    }
}
