//! Streaming metrics: `gen_ai.client.operation.time_to_first_chunk` (one value per
//! stream) and `gen_ai.client.operation.time_per_output_chunk` (one value per item after
//! the first), with the conventions' buckets; the operation duration covers the stream.

use std::time::Duration;

use opentelemetry_sdk::metrics::InMemoryMetricExporter;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use trace_genai::config::Config;
use trace_genai::metrics::DURATION_BOUNDARIES;
use trace_genai::{Telemetry, trace_genai};

const GAP: Duration = Duration::from_millis(3);

#[trace_genai(chat, provider = "local", model = "m", stream)]
fn tokens(count: usize) -> impl Iterator<Item = String> {
    (0..count).map(|n| {
        std::thread::sleep(GAP);
        format!("t{n} ")
    })
}

/// (count, sum, bounds) of the one point of histogram `name`.
fn histogram(
    metrics: &[opentelemetry_sdk::metrics::data::ResourceMetrics],
    name: &str,
) -> (u64, f64, Vec<f64>) {
    for metric in metrics
        .iter()
        .flat_map(opentelemetry_sdk::metrics::data::ResourceMetrics::scope_metrics)
        .flat_map(opentelemetry_sdk::metrics::data::ScopeMetrics::metrics)
    {
        if metric.name() != name {
            continue;
        }
        assert_eq!(metric.unit(), "s", "{name}");
        let AggregatedMetrics::F64(MetricData::Histogram(data)) = metric.data() else {
            panic!("{name} should be an f64 histogram");
        };
        let points: Vec<_> = data.data_points().collect();
        assert_eq!(points.len(), 1, "{name}");
        let point = points[0];
        let operation = point
            .attributes()
            .find(|kv| kv.key.as_str() == "gen_ai.operation.name")
            .map(|kv| kv.value.to_string());
        assert_eq!(operation.as_deref(), Some("chat"), "{name}");
        return (point.count(), point.sum(), point.bounds().collect());
    }
    panic!("no metric {name}");
}

#[test]
fn time_to_first_chunk_and_time_per_chunk() {
    let exporter = InMemoryMetricExporter::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_metric_exporter(exporter.clone())
        .install()
        .unwrap();
    assert_eq!(tokens(5).count(), 5);
    assert_eq!(tokens(3).count(), 3);
    telemetry.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();

    let (count, sum, bounds) = histogram(&metrics, "gen_ai.client.operation.time_to_first_chunk");
    assert_eq!(count, 2, "one per stream");
    assert!(sum >= 2.0 * GAP.as_secs_f64());
    assert_eq!(bounds, DURATION_BOUNDARIES);

    let (count, sum, bounds) = histogram(&metrics, "gen_ai.client.operation.time_per_output_chunk");
    assert_eq!(count, 4 + 2, "one per item after the first");
    assert!(sum >= 6.0 * GAP.as_secs_f64());
    assert_eq!(bounds, DURATION_BOUNDARIES);

    let (count, sum, _) = histogram(&metrics, "gen_ai.client.operation.duration");
    assert_eq!(count, 2);
    assert!(
        sum >= 8.0 * GAP.as_secs_f64(),
        "the duration covers the streams: {sum}"
    );
    telemetry.shutdown().unwrap();
}
