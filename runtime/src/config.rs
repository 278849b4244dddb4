//! Configuration read from the environment: the one place where trace-genai reads
//! environment variables.
//!
//! Precedence, highest first: a value given to the [`TelemetryBuilder`](crate::TelemetryBuilder)
//! in code, then the environment variable, then the documented default.
//! [`Config::from_lookup`] takes any lookup function, so configuration can be tested
//! without touching the process environment.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `OTEL_SDK_DISABLED` | `true` installs nothing; instrumented functions cost next to nothing | `false` |
//! | `OTEL_SERVICE_NAME` | `service.name` of the resource | `service.name` from `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:<executable>` |
//! | `OTEL_RESOURCE_ATTRIBUTES` | extra resource attributes, `key=value,key2=value2` (percent-encoded values) | none |
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` | `parentbased_always_on` |
//! | `OTEL_TRACES_SAMPLER_ARG` | the ratio for the `*traceidratio` samplers, in `[0, 1]` | `1.0` |
//! | `OTEL_TRACES_EXPORTER` | `console` or `none` | `console` |
//! | `TRACE_GENAI_CONSOLE_FORMAT` | `tree` (for people) or `json` (one JSON object per span and line) | `tree` |

use opentelemetry::KeyValue;

use crate::error::InitError;

/// `OTEL_SDK_DISABLED`.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `OTEL_SERVICE_NAME`.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `OTEL_RESOURCE_ATTRIBUTES`.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `OTEL_TRACES_SAMPLER`.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// `OTEL_TRACES_SAMPLER_ARG`.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// `OTEL_TRACES_EXPORTER`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `TRACE_GENAI_CONSOLE_FORMAT`.
pub const TRACE_GENAI_CONSOLE_FORMAT: &str = "TRACE_GENAI_CONSOLE_FORMAT";

/// The sampler to install.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SamplerConfig {
    /// Record every trace.
    AlwaysOn,
    /// Record nothing.
    AlwaysOff,
    /// Record this fraction of traces, chosen by trace id.
    TraceIdRatio(f64),
    /// Follow the parent's decision; record every root.
    ParentBasedAlwaysOn,
    /// Follow the parent's decision; record no root.
    ParentBasedAlwaysOff,
    /// Follow the parent's decision; record this fraction of roots.
    ParentBasedTraceIdRatio(f64),
}

impl SamplerConfig {
    pub(crate) fn to_sampler(self) -> opentelemetry_sdk::trace::Sampler {
        use opentelemetry_sdk::trace::Sampler;
        match self {
            SamplerConfig::AlwaysOn => Sampler::AlwaysOn,
            SamplerConfig::AlwaysOff => Sampler::AlwaysOff,
            SamplerConfig::TraceIdRatio(ratio) => Sampler::TraceIdRatioBased(ratio),
            SamplerConfig::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            SamplerConfig::ParentBasedAlwaysOff => {
                Sampler::ParentBased(Box::new(Sampler::AlwaysOff))
            }
            SamplerConfig::ParentBasedTraceIdRatio(ratio) => {
                Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
            }
        }
    }
}

/// Where spans go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TracesExporter {
    /// Print spans on stdout.
    Console,
    /// Export nothing (spans are still created, so context propagates).
    None,
}

/// How the console exporter prints spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsoleFormat {
    /// One tree per trace, indented by parent, for people.
    #[default]
    Tree,
    /// One JSON object per span and line, for machines.
    JsonLines,
}

/// Configuration from the environment, before builder overrides.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `OTEL_SDK_DISABLED`.
    pub sdk_disabled: bool,
    /// `OTEL_SERVICE_NAME`, or `service.name` from `OTEL_RESOURCE_ATTRIBUTES`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, without `service.name`.
    pub resource_attributes: Vec<KeyValue>,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: SamplerConfig,
    /// `OTEL_TRACES_EXPORTER`.
    pub traces_exporter: TracesExporter,
    /// `TRACE_GENAI_CONSOLE_FORMAT`.
    pub console_format: ConsoleFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sdk_disabled: false,
            service_name: None,
            resource_attributes: Vec::new(),
            sampler: SamplerConfig::ParentBasedAlwaysOn,
            traces_exporter: TracesExporter::Console,
            console_format: ConsoleFormat::Tree,
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when a variable holds a value that is not understood.
    pub fn from_env() -> Result<Self, InitError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value.
    ///
    /// Empty values count as unset, as in the OpenTelemetry SDKs.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when a variable holds a value that is not understood.
    ///
    /// ```
    /// use trace_genai::config::{Config, SamplerConfig};
    ///
    /// let config = Config::from_lookup(|name| match name {
    ///     "OTEL_SERVICE_NAME" => Some("chat-api".to_owned()),
    ///     "OTEL_TRACES_SAMPLER" => Some("traceidratio".to_owned()),
    ///     "OTEL_TRACES_SAMPLER_ARG" => Some("0.25".to_owned()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(config.service_name.as_deref(), Some("chat-api"));
    /// assert_eq!(config.sampler, SamplerConfig::TraceIdRatio(0.25));
    /// # Ok::<(), trace_genai::InitError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let mut config = Config::default();

        if let Some(value) = get(OTEL_SDK_DISABLED) {
            config.sdk_disabled = parse_bool(OTEL_SDK_DISABLED, &value)?;
        }

        if let Some(value) = get(OTEL_RESOURCE_ATTRIBUTES) {
            for (key, value) in parse_resource_attributes(&value)? {
                if key == "service.name" {
                    config.service_name = Some(value);
                } else {
                    config.resource_attributes.push(KeyValue::new(key, value));
                }
            }
        }
        if let Some(value) = get(OTEL_SERVICE_NAME) {
            config.service_name = Some(value);
        }

        if let Some(value) = get(OTEL_TRACES_SAMPLER) {
            let ratio = match get(OTEL_TRACES_SAMPLER_ARG) {
                None => 1.0,
                Some(arg) => match arg.parse::<f64>() {
                    Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
                    _ => {
                        return Err(InitError::InvalidEnv {
                            var: OTEL_TRACES_SAMPLER_ARG,
                            value: arg,
                            expected: "a sampling ratio between 0.0 and 1.0",
                        });
                    }
                },
            };
            config.sampler = match value.to_ascii_lowercase().as_str() {
                "always_on" => SamplerConfig::AlwaysOn,
                "always_off" => SamplerConfig::AlwaysOff,
                "traceidratio" => SamplerConfig::TraceIdRatio(ratio),
                "parentbased_always_on" => SamplerConfig::ParentBasedAlwaysOn,
                "parentbased_always_off" => SamplerConfig::ParentBasedAlwaysOff,
                "parentbased_traceidratio" => SamplerConfig::ParentBasedTraceIdRatio(ratio),
                _ => {
                    return Err(InitError::InvalidEnv {
                        var: OTEL_TRACES_SAMPLER,
                        value,
                        expected: "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio",
                    });
                }
            };
        }

        if let Some(value) = get(OTEL_TRACES_EXPORTER) {
            config.traces_exporter = match value.to_ascii_lowercase().as_str() {
                "console" => TracesExporter::Console,
                "none" => TracesExporter::None,
                _ => {
                    return Err(InitError::InvalidEnv {
                        var: OTEL_TRACES_EXPORTER,
                        value,
                        expected: "`console` or `none`",
                    });
                }
            };
        }

        if let Some(value) = get(TRACE_GENAI_CONSOLE_FORMAT) {
            config.console_format = match value.to_ascii_lowercase().as_str() {
                "tree" => ConsoleFormat::Tree,
                "json" => ConsoleFormat::JsonLines,
                _ => {
                    return Err(InitError::InvalidEnv {
                        var: TRACE_GENAI_CONSOLE_FORMAT,
                        value,
                        expected: "`tree` or `json`",
                    });
                }
            };
        }

        Ok(config)
    }
}

fn parse_bool(var: &'static str, value: &str) -> Result<bool, InitError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(InitError::InvalidEnv {
            var,
            value: value.to_owned(),
            expected: "`true` or `false`",
        })
    }
}

/// Parses `key=value,key2=value2` with percent-encoded values (W3C Baggage octets).
fn parse_resource_attributes(raw: &str) -> Result<Vec<(String, String)>, InitError> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), percent_decode(value.trim())))
            }
            _ => Err(InitError::InvalidEnv {
                var: OTEL_RESOURCE_ATTRIBUTES,
                value: raw.to_owned(),
                expected: "comma-separated `key=value` pairs",
            }),
        })
        .collect()
}

fn percent_decode(value: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            ("OTEL_SDK_DISABLED", "yes please"),
            ("OTEL_RESOURCE_ATTRIBUTES", "no-equals-sign"),
            ("OTEL_TRACES_EXPORTER", "carrier-pigeon"),
            ("TRACE_GENAI_CONSOLE_FORMAT", "xml"),
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
        let err = Config::from_lookup(lookup(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OTEL_TRACES_SAMPLER_ARG"), "{err}");
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
}
