//! The OTLP exporters of `opentelemetry-otlp`, configured from [`OtlpConfig`].

use tokio::runtime::Handle;

use crate::config::destination::{OtlpCompression, OtlpConfig, OtlpProtocol, Signal};
use crate::config::error::InitError;

fn error(error: impl std::error::Error + Send + Sync + 'static) -> InitError {
    InitError::Exporter {
        exporter: "OTLP",
        source: Box::new(error),
    }
}

/// An exporter that could not be built, with the endpoint and where it was set: the
/// exporters' own errors (`transport error`) say neither.
pub(super) fn named(config: &OtlpConfig, signal: Signal, error: InitError) -> InitError {
    let InitError::Exporter { source, .. } = error else {
        return error;
    };
    let signal_var = match signal {
        Signal::Traces | Signal::Content => crate::config::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        Signal::Logs => crate::config::OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
        Signal::Metrics => crate::config::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    };
    let own = match signal {
        Signal::Traces | Signal::Content => &config.traces_endpoint,
        Signal::Logs => &config.logs_endpoint,
        Signal::Metrics => &config.metrics_endpoint,
    };
    let origin = if own.is_some() {
        format!("set by {signal_var} or in code")
    } else if config.endpoint.is_some() {
        format!(
            "set by {} or in code",
            crate::config::OTEL_EXPORTER_OTLP_ENDPOINT
        )
    } else {
        "the default".to_owned()
    };
    InitError::InvalidConfig(format!(
        "the OTLP exporter cannot use the endpoint {} ({origin}): {source}: give an http:// or https:// URL of the collector, e.g. `http://localhost:4317`",
        crate::config::error::shown(&config.endpoint_for(signal))
    ))
}

fn feature_error(protocol: OtlpProtocol) -> InitError {
    InitError::FeatureNotEnabled {
        exporter: "OTLP",
        feature: protocol.feature(),
    }
}

/// Where the headers and endpoints checked here come from: the environment's were
/// checked when it was read, so what fails here was set in code.
const GIVEN_IN_CODE: &str = "the OtlpConfig given in code";

/// The endpoint and headers of `signal`, checked: the exporters would fail on a bad
/// endpoint with an error that does not say where it came from, and silently leave out
/// a header they cannot send.
fn checked(config: &OtlpConfig, signal: Signal) -> Result<String, InitError> {
    let endpoint = config.endpoint_for(signal);
    crate::config::destination::validate_url(&endpoint).map_err(|reason| {
        InitError::InvalidConfig(format!(
            "the OTLP endpoint {endpoint:?} (of an OtlpConfig) {reason}"
        ))
    })?;
    crate::config::destination::check_headers(GIVEN_IN_CODE, config.headers_for(signal))?;
    Ok(endpoint)
}

/// Applies the configuration to either transport's builder and builds it. Every
/// setting is given explicitly, so the exporter does not fall back to reading the
/// process environment (the timeout especially, whose zero means no limit here).
macro_rules! build {
    ($builder:expr, $config:expr, $signal:expr, $handle:expr, $seen:expr, $roots:expr) => {{
        use opentelemetry_otlp::WithExportConfig as _;
        let config: &OtlpConfig = $config;
        let _ = $seen;
        let signal: Signal = $signal;
        let endpoint = checked(config, signal)?;
        let timeout = config.timeout_for(signal);
        let compression = config
            .compression
            .map(|OtlpCompression::Gzip| opentelemetry_otlp::Compression::Gzip);
        match config.protocol {
            #[cfg(feature = "otlp-grpc")]
            OtlpProtocol::Grpc => {
                use opentelemetry_otlp::WithTonicConfig as _;
                // tonic creates its channel on the runtime it is built in.
                let _entered = $handle.enter();
                // The channel is built here, with trace-genai's TLS settings.
                let channel = grpc_channel(&endpoint, timeout, config, signal, $roots)?;
                let mut builder = $builder
                    .with_tonic()
                    .with_channel(channel)
                    .with_endpoint(endpoint)
                    .with_metadata(metadata(config, signal)?)
                    .with_timeout(timeout);
                if let Some(compression) = compression {
                    builder = builder.with_compression(compression);
                }
                builder.build().map_err(error)
            }
            #[cfg(feature = "otlp-http")]
            OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => {
                use opentelemetry_otlp::WithHttpConfig as _;
                let protocol = if config.protocol == OtlpProtocol::HttpJson {
                    opentelemetry_otlp::Protocol::HttpJson
                } else {
                    opentelemetry_otlp::Protocol::HttpBinary
                };
                let headers: std::collections::HashMap<String, String> = config
                    .headers_for(signal)
                    .iter()
                    .map(|(name, value)| (name.clone(), value.expose().to_owned()))
                    .collect();
                // The exporter's own client, observed: its errors keep neither the
                // answer's body nor the connection error's cause.
                let client = http_tls(
                    reqwest::Client::builder().timeout(timeout),
                    &endpoint,
                    config,
                    signal,
                    $roots,
                )?
                .build()
                .map_err(error)?;
                let mut builder = $builder
                    .with_http()
                    .with_http_client(super::observed::Observed::new(
                        client,
                        std::sync::Arc::clone($seen),
                    ))
                    .with_protocol(protocol)
                    .with_endpoint(endpoint)
                    .with_headers(headers)
                    .with_timeout(timeout);
                if let Some(compression) = compression {
                    builder = builder.with_compression(compression);
                }
                let _entered = $handle.enter();
                builder.build().map_err(error)
            }
            #[allow(
                unreachable_patterns,
                reason = "reachable when a transport feature is off"
            )]
            protocol => Err(feature_error(protocol)),
        }
    }};
}

/// Whether `endpoint` asks for TLS (gRPC's channel, or a build without TLS that refuses it).
#[cfg(any(feature = "otlp-grpc", not(feature = "tls")))]
fn is_https(endpoint: &str) -> bool {
    endpoint
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// An `https://` endpoint in a build without TLS: say so at install, not as a network
/// error at shutdown.
#[cfg(not(feature = "tls"))]
fn require_tls(endpoint: &str) -> Result<(), InitError> {
    if is_https(endpoint) {
        return Err(InitError::FeatureNotEnabled {
            exporter: "OTLP over TLS (an https:// endpoint)",
            feature: "tls",
        });
    }
    Ok(())
}

/// The HTTP client's TLS settings: the extra roots and the client certificate.
#[cfg(feature = "otlp-http")]
fn http_tls(
    builder: reqwest::ClientBuilder,
    endpoint: &str,
    config: &OtlpConfig,
    signal: Signal,
    roots: &super::ExportSettings,
) -> Result<reqwest::ClientBuilder, InitError> {
    #[cfg(feature = "tls")]
    {
        let _ = endpoint;
        let material = tls::Material::of(config, signal, roots)?;
        // rustls, whatever other TLS backend the application's dependencies turn on in
        // reqwest (native-tls, through feature unification): the identity and the roots
        // below are rustls's.
        let mut builder = builder.tls_backend_rustls();
        // The well-known (Mozilla) roots next to the system's, as over gRPC.
        let mut certificates = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok())
            .collect::<Vec<_>>();
        for root in &material.roots {
            certificates.extend(
                reqwest::Certificate::from_pem_bundle(root.text.expose().as_bytes())
                    .map_err(|error| tls::unusable(root, &error))?,
            );
        }
        builder = builder.tls_certs_merge(certificates);
        if let Some((certificate, key)) = material.identity {
            let pem = format!("{}\n{}", certificate.text.expose(), key.text.expose());
            let identity = reqwest::Identity::from_pem(pem.as_bytes())
                .map_err(|error| tls::unusable(certificate, &error))?;
            builder = builder.identity(identity);
        }
        Ok(builder)
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = (config, signal, roots);
        require_tls(endpoint)?;
        Ok(builder)
    }
}

/// The gRPC channel to `endpoint`, with TLS for `https://`.
#[cfg(feature = "otlp-grpc")]
fn grpc_channel(
    endpoint: &str,
    timeout: std::time::Duration,
    config: &OtlpConfig,
    signal: Signal,
    roots: &super::ExportSettings,
) -> Result<tonic::transport::Channel, InitError> {
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .map_err(error)?
        .timeout(timeout);
    #[cfg(feature = "tls")]
    let channel = {
        let material = tls::Material::of(config, signal, roots)?;
        if is_https(endpoint) {
            let mut tls = tonic::transport::ClientTlsConfig::new().ca_certificates(
                material
                    .roots
                    .iter()
                    .map(|root| tonic::transport::Certificate::from_pem(root.text.expose())),
            );
            if let Some((certificate, key)) = material.identity {
                tls = tls.identity(tonic::transport::Identity::from_pem(
                    certificate.text.expose(),
                    key.text.expose(),
                ));
            }
            // The system's roots and the well-known (Mozilla) ones; without a system
            // store (a bare container), the well-known ones.
            match channel.clone().tls_config(tls.clone().with_enabled_roots()) {
                Ok(channel) => channel,
                Err(_) => channel.tls_config(tls.with_webpki_roots()).map_err(error)?,
            }
        } else {
            channel
        }
    };
    #[cfg(not(feature = "tls"))]
    {
        let _ = (config, signal, roots);
        require_tls(endpoint)?;
    }
    Ok(channel.connect_lazy())
}

#[cfg(feature = "tls")]
mod tls;

/// gRPC metadata from the configured headers of `signal`. Headers that the exporter
/// also reads from the process environment itself (the signal's variable when set,
/// else `OTEL_EXPORTER_OTLP_HEADERS`) are left out, or they would be sent twice.
#[cfg(feature = "otlp-grpc")]
fn metadata(
    config: &OtlpConfig,
    signal: Signal,
) -> Result<tonic::metadata::MetadataMap, InitError> {
    let from_process_env = crate::config::otlp_headers_in_process_env(signal);
    let mut metadata = tonic::metadata::MetadataMap::new();
    for (name, value) in config.headers_for(signal) {
        let in_env = from_process_env.split(',').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(key, _)| key.trim() == name)
        });
        if in_env {
            continue;
        }
        let invalid = |reason| InitError::InvalidHeader {
            origin: "the OTLP configuration",
            name: name.clone(),
            reason,
        };
        let key = tonic::metadata::MetadataKey::from_bytes(
            name.to_ascii_lowercase().as_bytes(),
        )
        .map_err(|_| {
            invalid("gRPC metadata names ending in `-bin` carry binary values, which OTLP headers cannot give")
        })?;
        let value = value
            .expose()
            .parse()
            .map_err(|_| invalid("its value has a character gRPC metadata cannot carry"))?;
        metadata.insert(key, value);
    }
    Ok(metadata)
}

pub(super) fn span_exporter(
    config: &OtlpConfig,
    handle: &Handle,
    seen: &super::delivery::Seen,
    roots: &super::ExportSettings,
) -> Result<opentelemetry_otlp::SpanExporter, InitError> {
    build!(
        opentelemetry_otlp::SpanExporter::builder(),
        config,
        Signal::Traces,
        handle,
        seen,
        roots
    )
}

pub(super) fn log_exporter(
    config: &OtlpConfig,
    handle: &Handle,
    seen: &super::delivery::Seen,
    roots: &super::ExportSettings,
) -> Result<opentelemetry_otlp::LogExporter, InitError> {
    build!(
        opentelemetry_otlp::LogExporter::builder(),
        config,
        Signal::Logs,
        handle,
        seen,
        roots
    )
}

pub(super) fn metric_exporter(
    config: &OtlpConfig,
    handle: &Handle,
    seen: &super::delivery::Seen,
    roots: &super::ExportSettings,
) -> Result<opentelemetry_otlp::MetricExporter, InitError> {
    build!(
        opentelemetry_otlp::MetricExporter::builder(),
        config,
        Signal::Metrics,
        handle,
        seen,
        roots
    )
}
