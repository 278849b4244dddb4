//! Parsing of variable values: numbers with units and ranges, lists, pairs, headers, TLS files.

use std::time::Duration;

use super::destination::{Destination, OtlpTls, Pem, Secret, Signal, check_headers};
use super::error::InitError;
use super::vars::{
    OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_KEY, OTEL_EXPORTER_OTLP_INSECURE,
    OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE, OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    OTEL_EXPORTER_OTLP_LOGS_INSECURE, OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE, OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_INSECURE,
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE, OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_INSECURE, OTEL_LOGS_EXPORTER, OTEL_METRIC_EXPORT_INTERVAL,
    OTEL_METRICS_EXPORTER, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER_ARG,
    TRACE_GENAI_CONTENT_MAX_LENGTH, TRACE_GENAI_REDACT_PATTERNS,
};
use super::{
    BatchProcessorConfig, Config, ExporterName, MAX_BYTES, MAX_CONTENT_MAX_LENGTH, MAX_MILLIS,
    MAX_QUEUE_SIZE, MIN_BYTES, MIN_CONTENT_MAX_LENGTH, MIN_METRIC_EXPORT_INTERVAL_MS, NO_TIMEOUT,
    SECRET_VARS,
};

/// Reads one batch processor's variables (`[delay, timeout, queue size, batch size]`)
/// into `processor`, which holds the defaults.
pub(super) fn read_batch_processor(
    processor: &mut BatchProcessorConfig,
    [delay, timeout, queue, batch]: [&'static str; 4],
    get: &impl Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<(), InitError> {
    if let Some(value) = get(delay)
        && let Some(delay) = Number::duration(delay).millis(&value, warnings)?
    {
        processor.schedule_delay = delay;
    }
    if let Some(value) = get(timeout)
        && let Some(timeout) = Number::timeout(timeout).millis(&value, warnings)?
    {
        processor.export_timeout = timeout;
    }
    if let Some(value) = get(queue) {
        processor.max_queue_size = Number::queue(queue).count(&value)?;
    }
    let batch_value = get(batch);
    if let Some(value) = &batch_value {
        processor.max_export_batch_size = Number::queue(batch).count(value)?;
    }
    if processor.max_export_batch_size > processor.max_queue_size {
        // The specification: the batch size must not exceed the queue size. As the SDKs
        // do, the queue size is used; a warning when the batch size was set.
        if let Some(value) = batch_value {
            warnings.push(format!(
                "{batch}={value:?} is larger than {queue} ({}): batches of {} are exported",
                processor.max_queue_size, processor.max_queue_size
            ));
        }
        processor.max_export_batch_size = processor.max_queue_size;
    }
    Ok(())
}

/// The ratio of a `*traceidratio` sampler: `OTEL_TRACES_SAMPLER_ARG`, or 1.0 when it is
/// unset or not a ratio (then with a warning: the specification says to log and ignore
/// an invalid argument).
pub(super) fn sampler_ratio(arg: Option<String>, warnings: &mut Vec<String>) -> f64 {
    let Some(arg) = arg else {
        return 1.0;
    };
    match arg.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
        _ => {
            warnings.push(format!(
                "{OTEL_TRACES_SAMPLER_ARG}={arg:?} is not a sampling ratio between 0.0 and 1.0: it is ignored, and the ratio is 1.0 (every trace)"
            ));
            1.0
        }
    }
}

/// What a numeric variable holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    /// A count: a negative value is out of range.
    Count,
    /// Milliseconds; a negative value is ignored with a warning (specification).
    Duration,
    /// Milliseconds, where zero means no limit; a negative value is ignored with a
    /// warning (specification).
    Timeout,
}

/// A numeric variable: its name, unit and range.
#[derive(Debug, Clone, Copy)]
pub(super) struct Number {
    var: &'static str,
    unit: Unit,
    min: u64,
    max: u64,
    /// What the variable accepts, with the range, for the error message.
    expected: &'static str,
}

pub(super) const DURATION_RANGE: &str = "a whole number of milliseconds from 0 to 2147483647";
pub(super) const TIMEOUT_RANGE: &str =
    "a whole number of milliseconds from 0 (no limit) to 2147483647";
pub(super) const QUEUE_RANGE: &str = "a whole number from 1 to 1000000";
pub(super) const LIMIT_RANGE: &str = "a whole number from 0 to 2147483647";
pub(super) const METRIC_INTERVAL_RANGE: &str =
    "a whole number of milliseconds from 100 to 2147483647";
pub(super) const BYTES_RANGE: &str = "a whole number of bytes from 65536 to 4294967296";
pub(super) const CONTENT_LENGTH_RANGE: &str = "a whole number of characters from 64 to 1048576";

impl Number {
    pub(super) const METRIC_EXPORT_INTERVAL: Number = Number {
        var: OTEL_METRIC_EXPORT_INTERVAL,
        unit: Unit::Duration,
        min: MIN_METRIC_EXPORT_INTERVAL_MS,
        max: MAX_MILLIS,
        expected: METRIC_INTERVAL_RANGE,
    };

    pub(super) const CONTENT_MAX_LENGTH: Number = Number {
        var: TRACE_GENAI_CONTENT_MAX_LENGTH,
        unit: Unit::Count,
        min: MIN_CONTENT_MAX_LENGTH,
        max: MAX_CONTENT_MAX_LENGTH,
        expected: CONTENT_LENGTH_RANGE,
    };

    pub(super) const fn duration(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Duration,
            min: 0,
            max: MAX_MILLIS,
            expected: DURATION_RANGE,
        }
    }

    pub(super) const fn timeout(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Timeout,
            min: 0,
            max: MAX_MILLIS,
            expected: TIMEOUT_RANGE,
        }
    }

    pub(super) const fn queue(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Count,
            min: 1,
            max: MAX_QUEUE_SIZE as u64,
            expected: QUEUE_RANGE,
        }
    }

    pub(super) const fn bytes(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Count,
            min: MIN_BYTES as u64,
            max: MAX_BYTES as u64,
            expected: BYTES_RANGE,
        }
    }

    pub(super) const fn span_limit(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Count,
            min: 0,
            max: MAX_MILLIS,
            expected: LIMIT_RANGE,
        }
    }

    /// The value, when it is a whole number within the range.
    pub(super) fn whole(&self, value: &str) -> Result<u64, InitError> {
        match value.parse::<u64>() {
            Ok(number) if (self.min..=self.max).contains(&number) => Ok(number),
            _ => Err(invalid(self.var, value, self.expected)),
        }
    }

    /// A count within the range.
    pub(super) fn count(&self, value: &str) -> Result<usize, InitError> {
        let number = self.whole(value)?;
        usize::try_from(number).map_err(|_| invalid(self.var, value, self.expected))
    }

    /// A time within the range (zero: [`NO_TIMEOUT`] for a timeout), or `None` for a
    /// negative time, which the specification says to ignore with a warning.
    pub(super) fn millis(
        &self,
        value: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Duration>, InitError> {
        let negative = value
            .strip_prefix('-')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        if negative && self.unit != Unit::Count {
            warnings.push(format!(
                "{}={value:?} is negative: it is ignored, and the default applies ({} accepts {})",
                self.var, self.var, self.expected
            ));
            return Ok(None);
        }
        let millis = self.whole(value)?;
        Ok(Some(if millis == 0 && self.unit == Unit::Timeout {
            NO_TIMEOUT
        } else {
            Duration::from_millis(millis)
        }))
    }
}

impl Config {
    /// The destinations of `signal`: the exporters its variable names, or, when it names
    /// none, OTLP if an OTLP endpoint is set, Azure Monitor if a connection string is, and
    /// otherwise the console.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when `azure_monitor` is named without a connection
    /// string.
    pub fn destinations(&self, signal: Signal) -> Result<Vec<Destination>, InitError> {
        let (var, named) = match signal {
            Signal::Traces => (OTEL_TRACES_EXPORTER, &self.traces_exporter),
            Signal::Logs => (OTEL_LOGS_EXPORTER, &self.logs_exporter),
            Signal::Metrics => (OTEL_METRICS_EXPORTER, &self.metrics_exporter),
            Signal::Content => return Ok(Vec::new()),
        };
        named
            .clone()
            .unwrap_or_else(|| self.automatic_exporters())
            .into_iter()
            .map(|name| match name {
                ExporterName::Console => Ok(Destination::Console(self.console_format)),
                ExporterName::Otlp => Ok(Destination::Otlp(self.otlp.clone())),
                ExporterName::AzureMonitor => self
                    .azure_connection_string
                    .clone()
                    .map(Destination::AzureMonitor)
                    .ok_or(InitError::InvalidEnv {
                        var,
                        value: "azure_monitor".to_owned(),
                        expected: "APPLICATIONINSIGHTS_CONNECTION_STRING to be set as well, or AZURE_AI_PROJECT_ENDPOINT (feature `azure-ai-project`)",
                    }),
            })
            .collect()
    }
}

impl Config {
    /// The exporters used when none is named: OTLP if an endpoint is set, Azure Monitor if
    /// a connection string is (or, with neither, an Azure AI Foundry project endpoint),
    /// otherwise the console.
    pub(super) fn automatic_exporters(&self) -> Vec<ExporterName> {
        let mut automatic = Vec::new();
        if self.otlp.has_endpoint() {
            automatic.push(ExporterName::Otlp);
        }
        if self.azure_connection_string.is_some()
            || (self.azure_ai_project.endpoint.is_some() && !self.otlp.has_endpoint())
        {
            automatic.push(ExporterName::AzureMonitor);
        }
        if automatic.is_empty() {
            automatic.push(ExporterName::Console);
        }
        automatic
    }
}

impl Config {
    /// The Azure AI Foundry project endpoint whose connection string Azure Monitor needs:
    /// one is set, `APPLICATIONINSIGHTS_CONNECTION_STRING` is not, and some signal sends
    /// to Azure Monitor, named in its variable (`azure_monitor`) or chosen automatically
    /// (no OTLP endpoint set).
    pub(crate) fn azure_ai_project_lookup(&self) -> Option<&str> {
        let endpoint = self.azure_ai_project.endpoint.as_deref()?;
        if self.azure_connection_string.is_some() {
            return None;
        }
        [
            &self.traces_exporter,
            &self.logs_exporter,
            &self.metrics_exporter,
        ]
        .into_iter()
        .any(|named| {
            named
                .as_ref()
                .map_or_else(|| self.automatic_exporters(), Clone::clone)
                .contains(&ExporterName::AzureMonitor)
        })
        .then_some(endpoint)
    }
}

/// An `InvalidEnv` error; secret values are not repeated.
pub(super) fn invalid(var: &'static str, value: &str, expected: &'static str) -> InitError {
    InitError::InvalidEnv {
        var,
        value: if SECRET_VARS.contains(&var) {
            "<redacted>".to_owned()
        } else {
            value.to_owned()
        },
        expected,
    }
}

/// What `TRACE_GENAI_REDACT` accepts.
pub(super) const REDACT_CLASSES: &str =
    "a comma list of `credentials` and `pii`, or `none` alone (default `credentials`)";

/// `TRACE_GENAI_REDACT_PATTERNS`: a JSON array of strings, each a regular expression,
/// compiled here so that a bad one fails the install.
pub(super) fn parse_redact_patterns(value: &str) -> Result<Vec<String>, InitError> {
    let var = TRACE_GENAI_REDACT_PATTERNS;
    let patterns: Vec<String> = serde_json::from_str(value).map_err(|_| {
        invalid(
            var,
            value,
            "a JSON array of strings, each a regular expression, e.g. [\"ORDER-[0-9]{6}\"] (the value is not such an array)",
        )
    })?;
    if patterns
        .iter()
        .any(|pattern| regex::Regex::new(pattern).is_err())
    {
        return Err(invalid(
            var,
            value,
            "a JSON array of regular expressions of the regex crate's syntax (one of them does not compile: an unclosed group or class, a bad escape, or a Unicode class such as \\p{Greek}, which is not built in)",
        ));
    }
    Ok(patterns)
}

pub(super) fn parse_exporters(
    var: &'static str,
    value: &str,
) -> Result<Vec<ExporterName>, InitError> {
    let mut names = Vec::new();
    for name in value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        match name.to_ascii_lowercase().as_str() {
            "none" => {}
            "console" => names.push(ExporterName::Console),
            "otlp" => names.push(ExporterName::Otlp),
            "azure_monitor" | "azuremonitor" => names.push(ExporterName::AzureMonitor),
            _ => {
                return Err(invalid(
                    var,
                    value,
                    "a comma-separated list of `console`, `otlp`, `azure_monitor`, or `none`",
                ));
            }
        }
    }
    names.dedup();
    Ok(names)
}

/// `key=value,key2=value2` with percent-encoded values; `None` when malformed.
pub(super) fn parse_pairs(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Some((key.trim().to_owned(), percent_decode(value.trim())))
            }
            _ => None,
        })
        .collect()
}

/// A boolean as the specification defines it: `true` (any case) is true, anything else
/// false; a value other than `true` or `false` adds a warning.
/// The TLS variables, general then per signal: certificate, client certificate, client key,
/// insecure (the signal of the general ones is not used).
pub(super) const OTLP_TLS_VARS: [(Signal, [&str; 4]); 4] = [
    (
        Signal::Traces,
        [
            OTEL_EXPORTER_OTLP_CERTIFICATE,
            OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_INSECURE,
        ],
    ),
    (
        Signal::Traces,
        [
            OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
            OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_TRACES_INSECURE,
        ],
    ),
    (
        Signal::Logs,
        [
            OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
            OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_LOGS_INSECURE,
        ],
    ),
    (
        Signal::Metrics,
        [
            OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
            OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_METRICS_INSECURE,
        ],
    ),
];

/// The `…_INSECURE` variables that apply to an endpoint variable, the signal's first.
pub(super) fn insecure_var(endpoint_var: &str) -> Vec<&'static str> {
    let signal = match endpoint_var {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT => Some(OTEL_EXPORTER_OTLP_TRACES_INSECURE),
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT => Some(OTEL_EXPORTER_OTLP_LOGS_INSECURE),
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT => Some(OTEL_EXPORTER_OTLP_METRICS_INSECURE),
        _ => None,
    };
    signal
        .into_iter()
        .chain([OTEL_EXPORTER_OTLP_INSECURE])
        .collect()
}

/// Reads the PEM files named by the TLS variables `vars`; those unset keep `base`'s.
pub(super) fn read_tls(
    vars: &[&'static str; 4],
    base: Option<&OtlpTls>,
    get: &impl Fn(&str) -> Option<String>,
) -> Result<OtlpTls, InitError> {
    let mut tls = base.cloned().unwrap_or_default();
    for (var, slot) in [
        (vars[0], &mut tls.certificate),
        (vars[1], &mut tls.client_certificate),
        (vars[2], &mut tls.client_key),
    ] {
        if let Some(path) = get(var) {
            let text = read_small_file(var, &path, "give the path of a PEM file")?;
            *slot = Some(Pem::new(format!("{var} ({path})"), text));
        }
    }
    Ok(tls)
}

/// The largest file a variable may name (a PEM bundle, a token): 1 MiB.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads the file `path` named by `var`: only a regular file (not a device, a pipe or a
/// directory, which could block or never end) of at most [`MAX_FILE_BYTES`], as UTF-8.
pub(crate) fn read_small_file(
    var: &'static str,
    path: &str,
    accepted: &str,
) -> Result<String, InitError> {
    use std::io::Read as _;
    let refuse = |why: String| {
        InitError::InvalidConfig(format!(
            "{var}={} cannot be read ({why}): {accepted}",
            super::error::shown(path)
        ))
    };
    let metadata = std::fs::metadata(path).map_err(|error| refuse(error.to_string()))?;
    if !metadata.is_file() {
        return Err(refuse("it is not a regular file".to_owned()));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(refuse(format!(
            "it holds {} bytes, more than the {MAX_FILE_BYTES} accepted",
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|error| refuse(error.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(refuse(format!("it holds more than {MAX_FILE_BYTES} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| refuse("it is not UTF-8 text".to_owned()))
}

pub(super) fn parse_bool(var: &'static str, value: &str, warnings: &mut Vec<String>) -> bool {
    if value.eq_ignore_ascii_case("true") {
        true
    } else {
        if !value.eq_ignore_ascii_case("false") {
            warnings.push(format!(
                "{var}={value:?} is not `true` or `false`: it is read as `false`"
            ));
        }
        false
    }
}

/// `name=value,…` headers (percent-encoded values), each one HTTP can carry.
pub(super) fn parse_headers(
    var: &'static str,
    value: &str,
) -> Result<Vec<(String, Secret)>, InitError> {
    let headers: Vec<(String, Secret)> = parse_pairs(value)
        .ok_or_else(|| invalid(var, value, "comma-separated `name=value` pairs"))?
        .into_iter()
        .map(|(name, value)| (name, Secret::new(value)))
        .collect();
    check_headers(var, &headers)?;
    Ok(headers)
}

/// Parses `key=value,key2=value2` with percent-encoded values (W3C Baggage octets).
pub(super) fn parse_resource_attributes(raw: &str) -> Result<Vec<(String, String)>, InitError> {
    parse_pairs(raw).ok_or_else(|| {
        invalid(
            OTEL_RESOURCE_ATTRIBUTES,
            raw,
            "comma-separated `key=value` pairs",
        )
    })
}

pub(super) fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = decoded {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
