//! Where telemetry goes: the console, an OTLP endpoint, Azure Monitor, or several.

use std::fmt;
use std::time::Duration;

use crate::config::ConsoleFormat;
use crate::config::error::InitError;

/// A telemetry destination. Traces, logs (events) and metrics go to the same ones.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "built once at install; boxing would only complicate matching on it"
)]
pub enum Destination {
    /// Print on stdout.
    Console(ConsoleFormat),
    /// Send over OTLP to a collector or a local viewer (Aspire Dashboard, Jaeger, Phoenix…).
    Otlp(OtlpConfig),
    /// Send to Azure Monitor / Application Insights.
    AzureMonitor(ConnectionString),
}

impl Destination {
    /// Parses the one-string form, the shape of Python's `telemetry.enable(destination=…)`:
    ///
    /// | value | destination |
    /// |---|---|
    /// | `stdout` or `console` | the console |
    /// | an `http://` or `https://` URL | OTLP: gRPC, or HTTP/protobuf when the port is 4318 or the path ends in `/v1/traces` |
    /// | `InstrumentationKey=…;IngestionEndpoint=…` | Azure Monitor |
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidConfig`] when the value is none of these (the message never
    /// repeats a connection string).
    ///
    /// ```
    /// use trace_genai::{Destination, OtlpProtocol};
    ///
    /// let Destination::Otlp(otlp) = Destination::parse("http://localhost:4318")? else { panic!() };
    /// assert_eq!(otlp.protocol, OtlpProtocol::HttpProtobuf);
    /// assert!(matches!(Destination::parse("stdout")?, Destination::Console(_)));
    /// # Ok::<(), trace_genai::InitError>(())
    /// ```
    pub fn parse(destination: &str) -> Result<Self, InitError> {
        let destination = destination.trim();
        if destination.eq_ignore_ascii_case("stdout") || destination.eq_ignore_ascii_case("console")
        {
            return Ok(Destination::Console(ConsoleFormat::Tree));
        }
        if destination.starts_with("http://") || destination.starts_with("https://") {
            validate_url(destination).map_err(|reason| {
                InitError::InvalidConfig(format!("the destination {destination:?} {reason}"))
            })?;
            let authority = destination
                .split_once("://")
                .map_or("", |(_, rest)| rest)
                .split('/')
                .next()
                .unwrap_or_default();
            // A full traces URL is used as is; anything else is a base endpoint.
            let traces_url = destination.trim_end_matches('/').ends_with("/v1/traces");
            let http = traces_url || authority.ends_with(":4318");
            let (endpoint, signal_endpoint) = if traces_url {
                (None, Some(destination.to_owned()))
            } else {
                (Some(destination.to_owned()), None)
            };
            return Ok(Destination::Otlp(OtlpConfig {
                endpoint,
                traces_endpoint: signal_endpoint,
                protocol: if http {
                    OtlpProtocol::HttpProtobuf
                } else {
                    OtlpProtocol::Grpc
                },
                ..OtlpConfig::default()
            }));
        }
        if destination.contains('=') {
            return ConnectionString::parse(destination)
                .map(Destination::AzureMonitor)
                .map_err(|reason| {
                    InitError::InvalidConfig(format!(
                        "the Application Insights connection string given in code {reason}"
                    ))
                });
        }
        // Not repeated: it may be a secret (a bare instrumentation key, a token).
        let hint = if looks_like_instrumentation_key(destination) {
            " (it looks like a bare instrumentation key: give the whole connection string, `InstrumentationKey=…;IngestionEndpoint=…`)"
        } else {
            ""
        };
        Err(InitError::InvalidConfig(format!(
            "the destination given in code is not understood{hint}: expected `stdout`, an http(s):// URL, or an Application Insights connection string (the value is not shown, as it may be a secret)"
        )))
    }
}

/// Whether `value` has the shape of an Application Insights instrumentation key (a GUID).
fn looks_like_instrumentation_key(value: &str) -> bool {
    value.len() >= 32 && value.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The time limit of one OTLP export when none is configured
/// (`OTEL_EXPORTER_OTLP_TIMEOUT`'s default).
pub(crate) const DEFAULT_OTLP_TIMEOUT: Duration = Duration::from_secs(10);

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// OTLP over gRPC (default port 4317).
    #[default]
    Grpc,
    /// OTLP over HTTP with protobuf bodies (default port 4318).
    HttpProtobuf,
    /// OTLP over HTTP with JSON bodies (default port 4318).
    HttpJson,
}

impl OtlpProtocol {
    /// The `OTEL_EXPORTER_OTLP_PROTOCOL` spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OtlpProtocol::Grpc => "grpc",
            OtlpProtocol::HttpProtobuf => "http/protobuf",
            OtlpProtocol::HttpJson => "http/json",
        }
    }

    /// The cargo feature that provides this transport.
    #[must_use]
    pub const fn feature(self) -> &'static str {
        match self {
            OtlpProtocol::Grpc => "otlp-grpc",
            OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => "otlp-http",
        }
    }
}

/// Request compression of the OTLP exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtlpCompression {
    /// gzip.
    Gzip,
}

/// The signals telemetry is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// Spans.
    Traces,
    /// Log records (events).
    Logs,
    /// Metric points.
    Metrics,
    /// Message content written to a store by the upload hook (see
    /// [`upload`](crate::upload)): it has no OTLP endpoint of its own.
    Content,
}

impl Signal {
    /// The path OTLP/HTTP appends to a generic endpoint.
    #[must_use]
    pub const fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "v1/traces",
            Signal::Logs => "v1/logs",
            Signal::Metrics => "v1/metrics",
            Signal::Content => "",
        }
    }
}

/// How to reach an OTLP receiver.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct OtlpConfig {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: the base endpoint for every signal. For HTTP, the
    /// signal path (`v1/traces`, …) is appended.
    pub endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as is.
    pub traces_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, used as is.
    pub logs_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, used as is.
    pub metrics_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub protocol: OtlpProtocol,
    /// `OTEL_EXPORTER_OTLP_HEADERS`: sent with every request (e.g. Aspire's `x-otlp-api-key`).
    pub headers: Vec<(String, Secret)>,
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `…_LOGS_HEADERS`, `…_METRICS_HEADERS`: the
    /// headers of one signal, instead of `headers`.
    pub signal_headers: Vec<(Signal, Vec<(String, Secret)>)>,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`: the time limit of one export (`None`: 10 s). A zero
    /// in the variable means no limit and is read as
    /// [`NO_TIMEOUT`](crate::config::NO_TIMEOUT).
    pub timeout: Option<Duration>,
    /// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `…_LOGS_TIMEOUT`, `…_METRICS_TIMEOUT`: the time
    /// limit of one signal's exports, instead of `timeout`.
    pub signal_timeouts: Vec<(Signal, Duration)>,
    /// `OTEL_EXPORTER_OTLP_COMPRESSION`.
    pub compression: Option<OtlpCompression>,
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`, `…_CLIENT_CERTIFICATE`, `…_CLIENT_KEY`: the TLS
    /// material of `https://` endpoints.
    pub tls: OtlpTls,
    /// The same variables of one signal (`OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`, …): the
    /// TLS material of that signal's exports, instead of `tls`.
    pub signal_tls: Vec<(Signal, OtlpTls)>,
}

/// The TLS material of an OTLP destination, in addition to the system's trusted roots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OtlpTls {
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`: PEM certificates of CAs trusted in addition to the
    /// system's (a private CA, a TLS-inspecting proxy).
    pub certificate: Option<Pem>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`: the PEM certificate (chain) presented to a
    /// receiver that asks for one (mutual TLS); needs `client_key`.
    pub client_certificate: Option<Pem>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`: the PEM private key of `client_certificate`.
    pub client_key: Option<Pem>,
}

/// PEM text, and where it came from (a variable's name, a builder method), which errors name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pem {
    /// Where the text came from, as errors name it.
    pub origin: String,
    /// The PEM text (a private key is a secret: never printed).
    pub text: Secret,
}

impl Pem {
    /// PEM text from `origin` (e.g. `"the client key of the OtlpConfig"`).
    #[must_use]
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> Self {
        Pem {
            origin: origin.into(),
            text: Secret::new(text),
        }
    }
}

impl fmt::Debug for OtlpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpConfig")
            .field("endpoint", &self.endpoint)
            .field("traces_endpoint", &self.traces_endpoint)
            .field("logs_endpoint", &self.logs_endpoint)
            .field("metrics_endpoint", &self.metrics_endpoint)
            .field("protocol", &self.protocol)
            .field("headers", &header_names(&self.headers))
            .field(
                "signal_headers",
                &self
                    .signal_headers
                    .iter()
                    .map(|(signal, headers)| (signal, header_names(headers)))
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("signal_timeouts", &self.signal_timeouts)
            .field("compression", &self.compression)
            .field("tls", &self.tls)
            .field("signal_tls", &self.signal_tls)
            .finish()
    }
}

/// The names of headers, without their (secret) values.
fn header_names(headers: &[(String, Secret)]) -> Vec<&str> {
    headers.iter().map(|(name, _)| name.as_str()).collect()
}

impl OtlpConfig {
    /// The endpoint for `signal`, by the OTLP exporter rules: a signal-specific endpoint is
    /// used as is; for HTTP, the signal path is appended to the base endpoint; the defaults
    /// are `http://localhost:4317` (gRPC) and `http://localhost:4318/v1/{signal}` (HTTP).
    #[must_use]
    pub fn endpoint_for(&self, signal: Signal) -> String {
        let specific = match signal {
            Signal::Traces => &self.traces_endpoint,
            Signal::Logs => &self.logs_endpoint,
            Signal::Metrics => &self.metrics_endpoint,
            Signal::Content => &None,
        };
        if let Some(endpoint) = specific {
            return endpoint.clone();
        }
        match (self.protocol, &self.endpoint) {
            (OtlpProtocol::Grpc, Some(base)) => base.clone(),
            (OtlpProtocol::Grpc, None) => "http://localhost:4317".to_owned(),
            (_, Some(base)) => format!("{}/{}", base.trim_end_matches('/'), signal.http_path()),
            (_, None) => format!("http://localhost:4318/{}", signal.http_path()),
        }
    }

    /// The headers sent with exports of `signal`: the signal's own list when set, else
    /// the general one.
    #[must_use]
    pub fn headers_for(&self, signal: Signal) -> &[(String, Secret)] {
        self.signal_headers
            .iter()
            .find(|(of, _)| *of == signal)
            .map_or(&self.headers, |(_, headers)| headers)
    }

    /// The time limit of one export of `signal`: the signal's own when set, else the
    /// general one, else 10 s.
    #[must_use]
    pub fn timeout_for(&self, signal: Signal) -> Duration {
        self.signal_timeouts
            .iter()
            .find(|(of, _)| *of == signal)
            .map(|(_, timeout)| *timeout)
            .or(self.timeout)
            .unwrap_or(DEFAULT_OTLP_TIMEOUT)
    }

    /// The TLS material of `signal`'s exports: the signal's own when set, else the general.
    #[must_use]
    pub fn tls_for(&self, signal: Signal) -> &OtlpTls {
        self.signal_tls
            .iter()
            .find(|(of, _)| *of == signal)
            .map_or(&self.tls, |(_, tls)| tls)
    }

    /// Whether any endpoint was configured.
    #[must_use]
    pub fn has_endpoint(&self) -> bool {
        self.endpoint.is_some()
            || self.traces_endpoint.is_some()
            || self.logs_endpoint.is_some()
            || self.metrics_endpoint.is_some()
    }
}

/// A value that must never be printed: a header value or an instrumentation key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, to hand to an exporter.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// An Application Insights connection string
/// (`InstrumentationKey=…;IngestionEndpoint=https://…`).
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    value: Secret,
    ingestion_endpoint: Option<String>,
}

impl ConnectionString {
    /// Checks a connection string: it must hold an `InstrumentationKey`.
    ///
    /// # Errors
    ///
    /// A reason (that never repeats the string) when it is malformed.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let mut key = None;
        let mut ingestion_endpoint = None;
        for part in value
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((name, part_value)) = part.split_once('=') else {
                return Err("is malformed: expected `Name=value` pairs separated by `;`");
            };
            if name.trim().eq_ignore_ascii_case("InstrumentationKey") {
                key = Some(part_value.trim());
            } else if name.trim().eq_ignore_ascii_case("IngestionEndpoint") {
                let endpoint = part_value.trim();
                if !is_ingestion_endpoint(endpoint) {
                    return Err(
                        "has an IngestionEndpoint that is not an https:// URL (http:// only for a loopback host): copy the whole connection string from the Application Insights resource",
                    );
                }
                ingestion_endpoint = Some(endpoint.to_owned());
            }
        }
        match key {
            Some(key) if !key.is_empty() => Ok(ConnectionString {
                value: Secret::new(value.trim()),
                ingestion_endpoint,
            }),
            _ => Err(
                "has no InstrumentationKey: copy the whole connection string from the Application Insights resource",
            ),
        }
    }

    /// The whole connection string, to hand to the exporter.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.value.expose()
    }

    /// The `IngestionEndpoint`, if given (not a secret).
    #[must_use]
    pub fn ingestion_endpoint(&self) -> Option<&str> {
        self.ingestion_endpoint.as_deref()
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("value", &self.value)
            .field("ingestion_endpoint", &self.ingestion_endpoint)
            .finish()
    }
}

/// Checks that a URL has an http(s) scheme and a host, and that the exporters' URI parser
/// (the `http` crate's, used by tonic and reqwest) accepts it, so that a bad endpoint is
/// reported where it was configured rather than when an exporter is built.
///
/// The reason follows the URL in a message and says that it was given in code: every
/// message that shows it is about a URL from code (`with_otlp`, `with_destination`, an
/// `OtlpConfig`); the environment's errors name their variable instead.
/// Whether `endpoint` can be an Application Insights ingestion endpoint: an `https://` URL,
/// or `http://` to a loopback host (a local stand-in).
fn is_ingestion_endpoint(endpoint: &str) -> bool {
    if validate_url(endpoint).is_err() {
        return false;
    }
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("https") {
        return true;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    scheme.eq_ignore_ascii_case("http")
        && (host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()))
}

/// Whether `host` is an IP address (IPv6 in brackets) or a DNS name as TLS accepts one:
/// labels of letters, digits, `-` and `_`, not starting or ending with `-`, the last one not
/// all digits (`0`, `1`, `10.0.0` are neither names nor addresses).
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = name.split('.').collect();
    !name.is_empty()
        && name.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && labels
            .last()
            .is_some_and(|last| !last.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn validate_url(url: &str) -> Result<(), &'static str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(
            "given in code is not a URL: expected `http://host:port` or `https://host:port`",
        );
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err("given in code has an unsupported scheme: expected `http://` or `https://`");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, port)| {
            if port.is_empty() || port.parse::<u16>().is_ok() {
                host
            } else {
                ""
            }
        });
    if host.is_empty() || url.chars().any(char::is_whitespace) {
        return Err("given in code is not a valid URL: expected `http://host:port`");
    }
    if !valid_host(host) {
        return Err(
            "given in code has a host that is neither a DNS name nor an IP address: expected `http://host:port`",
        );
    }
    if url.parse::<http::Uri>().is_err() {
        return Err(
            "given in code is not a valid URL: it has a character URLs do not allow (e.g. `|`, `\\`, `^`, or `%` without two hex digits)",
        );
    }
    Ok(())
}

/// Checks that an OTLP header can be sent: the exporters silently leave out a header
/// whose name or value HTTP does not allow. The reason never repeats the value.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), &'static str> {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(
            "its name is not a valid HTTP header name (letters, digits, and punctuation such as `-` and `_`; no spaces or control characters)",
        );
    }
    if http::HeaderValue::from_str(value).is_err() {
        return Err(
            "its value has a character HTTP headers cannot carry (a control character such as a newline, e.g. a percent-encoded `%0A`)",
        );
    }
    Ok(())
}

/// Checks every header of `headers`, naming `origin` (where they came from) in the error.
pub(crate) fn check_headers(
    origin: &'static str,
    headers: &[(String, Secret)],
) -> Result<(), InitError> {
    for (name, value) in headers {
        check_header(name, value.expose()).map_err(|reason| InitError::InvalidHeader {
            origin,
            name: name.clone(),
            reason,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_rules() {
        let mut otlp = OtlpConfig::default();
        assert_eq!(otlp.endpoint_for(Signal::Traces), "http://localhost:4317");
        otlp.protocol = OtlpProtocol::HttpProtobuf;
        assert_eq!(
            otlp.endpoint_for(Signal::Logs),
            "http://localhost:4318/v1/logs"
        );
        otlp.endpoint = Some("http://collector:4318/".to_owned());
        assert_eq!(
            otlp.endpoint_for(Signal::Traces),
            "http://collector:4318/v1/traces"
        );
        otlp.traces_endpoint = Some("http://other:9999/custom".to_owned());
        assert_eq!(
            otlp.endpoint_for(Signal::Traces),
            "http://other:9999/custom"
        );
        assert_eq!(
            otlp.endpoint_for(Signal::Metrics),
            "http://collector:4318/v1/metrics"
        );
        otlp.protocol = OtlpProtocol::Grpc;
        assert_eq!(otlp.endpoint_for(Signal::Metrics), "http://collector:4318/");
    }

    #[test]
    fn destination_strings() {
        let Destination::Otlp(otlp) = Destination::parse("http://localhost:4317").unwrap() else {
            panic!("expected OTLP");
        };
        assert_eq!(otlp.protocol, OtlpProtocol::Grpc);
        let Destination::Otlp(otlp) =
            Destination::parse("https://otel.example.com/v1/traces").unwrap()
        else {
            panic!("expected OTLP");
        };
        assert_eq!(otlp.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(
            otlp.endpoint_for(Signal::Traces),
            "https://otel.example.com/v1/traces"
        );
        let Destination::AzureMonitor(conn) = Destination::parse(
            "InstrumentationKey=abc;IngestionEndpoint=https://x.in.ai.azure.com/",
        )
        .unwrap() else {
            panic!("expected Azure");
        };
        assert_eq!(
            conn.ingestion_endpoint(),
            Some("https://x.in.ai.azure.com/")
        );
        assert!(!format!("{conn:?}").contains("abc"));
        let err = Destination::parse("IngestionEndpoint=https://x/")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no InstrumentationKey"), "{err}");
        assert!(Destination::parse("ftp://x").is_err());
        assert!(Destination::parse("http://").is_err());
        assert!(Destination::parse("http://host:notaport").is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let otlp = OtlpConfig {
            headers: vec![("x-otlp-api-key".to_owned(), Secret::new("s3cr3t"))],
            ..OtlpConfig::default()
        };
        let debug = format!("{otlp:?}");
        assert!(
            debug.contains("x-otlp-api-key") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }
}
