//! The console metric exporter: one line per histogram or sum point, printed when the
//! periodic reader exports (and at shutdown).

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

/// Prints GenAI metrics on stdout: `▪ name  count=…  sum=… unit  attributes`, cumulative
/// since start. Write errors are ignored.
pub struct ConsoleMetricExporter {
    writer: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for ConsoleMetricExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleMetricExporter")
            .finish_non_exhaustive()
    }
}

impl ConsoleMetricExporter {
    /// Prints on stdout.
    #[must_use]
    pub fn new() -> Self {
        Self::with_writer(super::Stdout)
    }

    /// Prints to `writer`.
    #[must_use]
    pub fn with_writer<W: Write + Send + 'static>(writer: W) -> Self {
        ConsoleMetricExporter {
            writer: Mutex::new(Box::new(writer)),
        }
    }
}

impl Default for ConsoleMetricExporter {
    fn default() -> Self {
        Self::new()
    }
}

fn attributes<'a>(attributes: impl Iterator<Item = &'a KeyValue>) -> String {
    let mut sorted: Vec<&KeyValue> = attributes.collect();
    sorted.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
    let mut text = String::new();
    for kv in sorted {
        let _ = write!(text, "  {}={}", kv.key, kv.value);
    }
    text
}

#[allow(
    clippy::cast_precision_loss,
    reason = "display values; counts and token sums stay far below 2^52"
)]
fn render(metrics: &ResourceMetrics) -> String {
    let mut out = String::new();
    for metric in metrics
        .scope_metrics()
        .flat_map(opentelemetry_sdk::metrics::data::ScopeMetrics::metrics)
    {
        let (name, unit) = (metric.name(), metric.unit());
        let mut histogram = |count: u64, sum: f64, attrs: String| {
            let _ = writeln!(
                out,
                "▪ {name}  count={count}  sum={sum:.4} {unit}  mean={:.4}{attrs}",
                if count == 0 { 0.0 } else { sum / count as f64 }
            );
        };
        match metric.data() {
            AggregatedMetrics::F64(MetricData::Histogram(data)) => {
                for point in data.data_points() {
                    histogram(point.count(), point.sum(), attributes(point.attributes()));
                }
            }
            AggregatedMetrics::U64(MetricData::Histogram(data)) => {
                for point in data.data_points() {
                    histogram(
                        point.count(),
                        point.sum() as f64,
                        attributes(point.attributes()),
                    );
                }
            }
            AggregatedMetrics::U64(MetricData::Sum(data)) => {
                for point in data.data_points() {
                    let _ = writeln!(
                        out,
                        "▪ {name}  value={} {unit}{}",
                        point.value(),
                        attributes(point.attributes())
                    );
                }
            }
            _ => {}
        }
    }
    out
}

impl PushMetricExporter for ConsoleMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let text = render(metrics);
        if !text.is_empty()
            && let Ok(mut writer) = self.writer.lock()
        {
            let _ = writer.write_all(text.as_bytes());
            let _ = writer.flush();
        }
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}
