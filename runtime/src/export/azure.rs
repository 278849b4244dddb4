//! Azure Monitor through `opentelemetry-application-insights`.

use opentelemetry::logs::AnyValue;
use opentelemetry_sdk::logs::SdkLogRecord;
use tokio::runtime::Handle;

use super::ExportSettings;
use crate::config::destination::ConnectionString;
use crate::config::error::InitError;

pub(super) type Exporter =
    opentelemetry_application_insights::Exporter<super::observed::Observed<reqwest::Client>>;

/// What Application Insights needs of a log record, done on a copy that only Azure
/// Monitor sees (other destinations get the record unchanged):
/// - the event name, which it drops, as the attribute `event.name`;
/// - a structured body or attribute (a map or a list: message content, a feedback
///   comment, finish reasons) as JSON text. The exporter would flatten it into unquoted
///   text such as `{comment:wrong city}`, which nothing can parse back;
/// - strings within Application Insights' limits ([`limits`]), cut on a character
///   boundary.
#[derive(Debug)]
pub(super) struct AzureRecords<P> {
    inner: P,
    /// An empty record to copy from: the SDK makes records only through a logger.
    blank: SdkLogRecord,
}

impl<P> AzureRecords<P> {
    pub(super) fn new(inner: P) -> Self {
        use opentelemetry::logs::{Logger as _, LoggerProvider as _};
        // A provider without processors: it only hands out the empty record.
        let provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder().build();
        let blank = provider.logger("trace-genai").create_log_record();
        AzureRecords { inner, blank }
    }

    /// `record` with every structured value as JSON text.
    fn with_json_values(&self, record: &SdkLogRecord) -> SdkLogRecord {
        use opentelemetry::logs::LogRecord as _;
        let mut copy = crate::genai::event::copy_without_values(record, self.blank.clone());
        // Within Application Insights' limits, cut on a character boundary: the body within
        // a message (and a share of the item), the attributes within the rest.
        let mut body_size = 0;
        if let Some(body) = record.body() {
            let body = match json_text(body) {
                AnyValue::String(text) => {
                    let text = crate::genai::boundary::cut_bytes(text.as_str(), limits::MESSAGE);
                    let text = if escaped_len(text) > limits::BODY {
                        cut_escaped(text, limits::BODY, crate::genai::content::TRUNCATION_MARKER)
                    } else {
                        text.to_owned()
                    };
                    body_size = escaped_len(&text);
                    AnyValue::String(text.into())
                }
                other => other,
            };
            copy.set_body(body);
        }
        let mut texts = Vec::new();
        for (key, value) in record.attributes_iter() {
            match json_text(value) {
                AnyValue::String(text) => {
                    texts.push(opentelemetry::KeyValue::new(key.clone(), text));
                }
                other => copy.add_attribute(key.clone(), other),
            }
        }
        fit_attributes(
            &mut texts,
            limits::ITEM_PROPERTIES.saturating_sub(body_size),
        );
        for kv in texts {
            if let opentelemetry::Value::String(text) = kv.value {
                copy.add_attribute(kv.key, AnyValue::String(text));
            }
        }
        copy
    }
}

fn is_structured(value: &AnyValue) -> bool {
    matches!(value, AnyValue::Map(_) | AnyValue::ListAny(_))
}

/// A map or a list as its JSON text; any other value as it is.
fn json_text(value: &AnyValue) -> AnyValue {
    if is_structured(value) {
        AnyValue::String(
            crate::genai::content::json_from_any(value)
                .to_string()
                .into(),
        )
    } else {
        value.clone()
    }
}

impl<P: opentelemetry_sdk::logs::LogProcessor> opentelemetry_sdk::logs::LogProcessor
    for AzureRecords<P>
{
    fn emit(&self, record: &mut SdkLogRecord, scope: &opentelemetry::InstrumentationScope) {
        use opentelemetry::logs::LogRecord as _;
        let too_long = |value: &AnyValue, limit: usize| matches!(value, AnyValue::String(text) if text.as_str().len() > limit);
        let text_size = |value: &AnyValue| match value {
            AnyValue::String(text) => escaped_len(text.as_str()),
            _ => 0,
        };
        let structured = record.body().is_some_and(is_structured)
            || record
                .body()
                .is_some_and(|body| too_long(body, limits::MESSAGE))
            || record.body().map_or(0, text_size)
                + record
                    .attributes_iter()
                    .map(|(key, value)| key.as_str().len() + text_size(value))
                    .sum::<usize>()
                > limits::ITEM_PROPERTIES
            || record.attributes_iter().any(|(key, value)| {
                is_structured(value)
                    || too_long(value, value_limit(key.as_str()))
                    || key.as_str().len() > limits::KEY
            });
        let name = record.event_name();
        if !structured && name.is_none() {
            return self.inner.emit(record, scope);
        }
        let mut copy = if structured {
            self.with_json_values(record)
        } else {
            record.clone()
        };
        if let Some(name) = name {
            copy.add_attribute("event.name", name);
        }
        self.inner.emit(&mut copy, scope);
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

/// Application Insights' limits, in bytes (what `opentelemetry-application-insights`
/// cuts to, by byte index: a cut inside a UTF-8 character panics there, so every string
/// is cut here first, on a character boundary).
pub(crate) mod limits {
    /// A property value (a span or event attribute, a status description).
    pub(crate) const PROPERTY: usize = 8_192;
    /// A message (an event's name, a log record's body).
    pub(crate) const MESSAGE: usize = 32_768;
    /// A name (a span's name, a dependency's target, a user id).
    pub(crate) const NAME: usize = 1_024;
    /// A property's key.
    pub(crate) const KEY: usize = 150;
    /// What a log record's body may take of an item, as serialized.
    pub(crate) const BODY: usize = 16 * 1_024;
    /// What one item's attribute values may add up to: the ingestion refuses an item over
    /// 64 KB, and the envelope's own fields need room.
    pub(crate) const ITEM_PROPERTIES: usize = 48 * 1_024;
}

/// A string value within `limit` bytes (cut on a character boundary), if it was over.
fn over(value: &opentelemetry::Value, limit: usize) -> Option<opentelemetry::Value> {
    match value {
        opentelemetry::Value::String(text) if text.as_str().len() > limit => Some(
            crate::genai::boundary::cut_bytes(text.as_str(), limit)
                .to_owned()
                .into(),
        ),
        _ => None,
    }
}

/// Bytes of `text` once escaped in a JSON string (the envelope's serialization).
fn escaped_len(text: &str) -> usize {
    text.len()
        + text
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                0..=0x1f => 5,
                _ => 0,
            })
            .sum::<usize>()
}

/// The longest head of `text` (on a character boundary) whose escaped length, with
/// `marker`, is at most `limit` bytes.
fn cut_escaped(text: &str, limit: usize, marker: &str) -> String {
    use crate::genai::boundary::cut_bytes;
    let room = limit.saturating_sub(marker.len());
    let mut raw = room.min(text.len());
    loop {
        let head = cut_bytes(text, raw);
        let size = escaped_len(head);
        if head.is_empty() {
            return String::new();
        }
        if size <= room {
            return format!("{head}{marker}");
        }
        raw = head.len().saturating_sub((size - room).max(1));
    }
}

/// The byte limit of a value the exporter copies into a field shorter than a property
/// (`opentelemetry-application-insights` 0.46 cuts those by byte index too).
fn value_limit(key: &str) -> usize {
    match key {
        "ai.session.id" => 64,
        "ai.user.id" | "ai.operation.id" => 128,
        "ai.location.ip" => 46,
        // `ai.cloud.role` is `{service.namespace}.{service.name}`, at most 256 bytes.
        "service.name" | "service.namespace" => 127,
        "service.instance.id" => 256,
        "user.id"
        | "enduser.id"
        | "ai.user.authUserId"
        | "server.address"
        | "http.route"
        | "exception.type"
        | "http.response.status_code"
        | "url.full"
        | "peer.service"
        | "net.peer.name"
        | "db.system"
        | "db.system.name"
        | "rpc.system"
        | "messaging.system" => limits::NAME,
        _ => limits::PROPERTY,
    }
}

/// Brings `attributes` within Application Insights' limits: each key within a property
/// key, each value within its field, and all of them, as the envelope serializes them,
/// within `budget` bytes, cutting content and error text first (largest first), so token
/// usage, ids and models are never the ones lost.
fn fit_attributes(attributes: &mut [opentelemetry::KeyValue], budget: usize) {
    use crate::genai::boundary::{Kind, cut_bytes, kind};
    for kv in attributes.iter_mut() {
        if kv.key.as_str().len() > limits::KEY {
            kv.key = cut_bytes(kv.key.as_str(), limits::KEY).to_owned().into();
        }
        if let Some(cut) = over(&kv.value, value_limit(kv.key.as_str())) {
            kv.value = cut;
        }
    }
    let size = |kv: &opentelemetry::KeyValue| match &kv.value {
        opentelemetry::Value::String(text) => escaped_len(text.as_str()),
        _ => 0,
    };
    let mut total: usize = attributes
        .iter()
        .map(|kv| escaped_len(kv.key.as_str()) + size(kv))
        .sum();
    // Content first, then any other text.
    for content_only in [true, false] {
        while total > budget {
            let Some(largest) = attributes
                .iter_mut()
                .filter(|kv| {
                    !content_only
                        || matches!(kind(kv.key.as_str()), Kind::Content | Kind::ErrorText)
                })
                .filter(|kv| size(kv) > 0)
                .max_by_key(|kv| size(kv))
            else {
                break;
            };
            let now = size(largest);
            let keep = now.saturating_sub(total - budget);
            let text = match &largest.value {
                opentelemetry::Value::String(text) => text.as_str(),
                _ => break,
            };
            let kept = cut_escaped(text, keep, crate::genai::content::TRUNCATION_MARKER);
            total = total - now + escaped_len(&kept);
            largest.value = kept.into();
        }
    }
}

/// Brings a span within Application Insights' limits (see [`limits`]) before the exporter
/// sees it.
pub(crate) fn fit_span(span: &mut opentelemetry_sdk::trace::SpanData) {
    use crate::genai::boundary::cut_bytes;
    if span.name.len() > limits::NAME {
        span.name = cut_bytes(&span.name, limits::NAME).to_owned().into();
    }
    if let opentelemetry::trace::Status::Error { description } = &mut span.status
        && description.len() > limits::PROPERTY
    {
        *description = cut_bytes(description, limits::PROPERTY).to_owned().into();
    }
    fit_attributes(&mut span.attributes, limits::ITEM_PROPERTIES);
    for event in &mut span.events.events {
        if event.name.len() > limits::MESSAGE {
            event.name = cut_bytes(&event.name, limits::MESSAGE).to_owned().into();
        }
        fit_attributes(&mut event.attributes, limits::ITEM_PROPERTIES);
    }
    for link in &mut span.links.links {
        fit_attributes(&mut link.attributes, limits::ITEM_PROPERTIES);
    }
}

/// Azure Monitor's span exporter, given spans within Application Insights' limits.
#[derive(Debug)]
pub(super) struct Fitted<E>(pub(super) E);

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
    for Fitted<E>
{
    async fn export(
        &self,
        mut batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        batch.iter_mut().for_each(fit_span);
        self.0.export(batch).await
    }

    fn shutdown_with_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.0.set_resource(resource);
    }
}

/// `resource` within Application Insights' limits, when it is not: the exporter copies it
/// into every item of every signal (the service name into the 256-byte `ai.cloud.role`,
/// the attributes into properties), cut by byte index.
pub(super) fn fit_resource(
    resource: &opentelemetry_sdk::Resource,
) -> Option<opentelemetry_sdk::Resource> {
    let fits = resource.iter().all(|(key, value)| {
        key.as_str().len() <= limits::KEY && over(value, value_limit(key.as_str())).is_none()
    });
    if fits {
        return None;
    }
    let mut attributes: Vec<opentelemetry::KeyValue> = resource
        .iter()
        .map(|(key, value)| opentelemetry::KeyValue::new(key.clone(), value.clone()))
        .collect();
    fit_attributes(&mut attributes, limits::ITEM_PROPERTIES);
    Some(
        match resource.schema_url() {
            Some(url) => opentelemetry_sdk::Resource::builder_empty()
                .with_schema_url(attributes, url.to_owned()),
            None => opentelemetry_sdk::Resource::builder_empty().with_attributes(attributes),
        }
        .build(),
    )
}

fn error(error: impl std::error::Error + Send + Sync + 'static) -> InitError {
    InitError::Exporter {
        exporter: "Azure Monitor",
        source: Box::new(error),
    }
}

/// An Azure Monitor destination as reports name it.
pub(super) fn name(connection: &ConnectionString) -> String {
    format!(
        "Azure Monitor {}",
        connection
            .ingestion_endpoint()
            .unwrap_or("(default ingestion endpoint)")
    )
}

pub(super) fn exporter(
    connection: &ConnectionString,
    settings: &ExportSettings,
    handle: &Handle,
    seen: &super::delivery::Seen,
) -> Result<Exporter, InitError> {
    let _entered = handle.enter();
    let client = http_client(
        reqwest::Client::builder(),
        &settings.root_certificates,
        settings.client_identity.as_ref(),
    )?;
    // The reasons name no part of the string (format, authorization, endpoint).
    let client = super::observed::Observed::new(client, std::sync::Arc::clone(seen));
    Exporter::new_from_connection_string(connection.expose(), client).map_err(|reason| {
        InitError::InvalidConfig(format!(
            "the Application Insights connection string was rejected ({reason}): copy the whole connection string from the Application Insights resource"
        ))
    })
}

/// An HTTP client from `builder` that trusts `root_certificates` besides the system roots
/// and presents `client_identity` to servers that ask for one (mutual TLS): Azure Monitor's,
/// and the Foundry project lookup's.
pub(super) fn http_client(
    mut builder: reqwest::ClientBuilder,
    root_certificates: &[String],
    client_identity: Option<&(
        crate::config::destination::Pem,
        crate::config::destination::Pem,
    )>,
) -> Result<reqwest::Client, InitError> {
    // rustls, whatever other TLS backend the application's dependencies turn on in reqwest
    // (native-tls, through feature unification): the identity and the roots below are
    // rustls's.
    builder = builder.tls_backend_rustls();
    if !root_certificates.is_empty() {
        let certificates = root_certificates
            .iter()
            .map(|pem| reqwest::Certificate::from_pem(pem.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| certificate_error(&error))?;
        builder = builder.tls_certs_merge(certificates);
    }
    // The client certificate of `with_client_certificate`, for an endpoint behind a proxy
    // that asks for one (mutual TLS).
    if let Some((certificate, key)) = client_identity {
        let pem = format!("{}\n{}", certificate.text.expose(), key.text.expose());
        let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|error| {
            InitError::InvalidConfig(format!(
                "{} or its key cannot be used by Azure Monitor ({}): give PEM text (`-----BEGIN CERTIFICATE-----` …, `-----BEGIN PRIVATE KEY-----` …)",
                certificate.origin,
                error_chain(&error)
            ))
        })?;
        builder = builder.identity(identity);
    }
    builder.build().map_err(|error| {
        if root_certificates.is_empty() && client_identity.is_none() {
            self::error(error)
        } else {
            certificate_error(&error)
        }
    })
}

/// A certificate given to `with_root_certificate` that TLS cannot use; reqwest's own
/// message (`builder error`) keeps the reason in its sources.
fn certificate_error(error: &reqwest::Error) -> InitError {
    InitError::InvalidConfig(format!(
        "a certificate given to `with_root_certificate` or `with_client_certificate` cannot be used ({}): give PEM text (`-----BEGIN CERTIFICATE-----` …)",
        error_chain(error)
    ))
}

/// reqwest's message (`builder error`) and the reasons in its sources.
fn error_chain(error: &reqwest::Error) -> String {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}
