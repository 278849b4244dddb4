//! GenAI client metrics: `gen_ai.client.operation.duration` (seconds, the conventions'
//! buckets, errors included with `error.type`) for every GenAI operation, and
//! `gen_ai.client.token.usage` (one point per token type) for model calls only, so an
//! agent that reports its model calls' usage does not count it twice.

use std::collections::BTreeMap;

use opentelemetry::Value;
use opentelemetry_sdk::metrics::InMemoryMetricExporter;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, HistogramDataPoint, MetricData};
use trace_genai::config::Config;
use trace_genai::metrics::{DURATION_BOUNDARIES, TOKEN_BOUNDARIES};
use trace_genai::{GenAiResponse, Telemetry, Usage, trace_genai};

#[derive(Debug)]
struct Reply;

impl GenAiResponse for Reply {
    fn response_model(&self) -> Option<&str> {
        Some("gpt-4o-2024-08-06")
    }
    fn usage(&self) -> Usage {
        Usage::new(100, 7)
    }
}

#[derive(Debug)]
struct Timeout;

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    server_address = "api.openai.com",
    server_port = 443
)]
fn chat(fail: bool) -> Result<Reply, Timeout> {
    if fail { Err(Timeout) } else { Ok(Reply) }
}

#[trace_genai(execute_tool, tool = "lookup")]
fn tool() -> Reply {
    Reply
}

/// An agent whose result reports the usage of the model call it made.
#[trace_genai(invoke_agent, agent = "planner")]
fn agent() -> Reply {
    chat(false).unwrap()
}

type Points<T> = Vec<(BTreeMap<String, Value>, u64, T, Vec<f64>)>;

fn points<T: Copy>(data: &MetricData<T>) -> Points<T> {
    let MetricData::Histogram(histogram) = data else {
        panic!("expected a histogram");
    };
    histogram
        .data_points()
        .map(|p: &HistogramDataPoint<T>| {
            let attributes = p
                .attributes()
                .map(|kv| (kv.key.to_string(), kv.value.clone()))
                .collect();
            (attributes, p.count(), p.sum(), p.bounds().collect())
        })
        .collect()
}

#[test]
fn duration_and_token_usage_for_model_calls() {
    let exporter = InMemoryMetricExporter::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_metric_exporter(exporter.clone())
        .install()
        .unwrap();
    chat(false).unwrap();
    chat(false).unwrap();
    chat(true).unwrap_err();
    tool();
    agent();
    telemetry.force_flush().unwrap();

    let finished = exporter.get_finished_metrics().unwrap();
    let mut duration = None;
    let mut tokens = None;
    for metric in finished
        .iter()
        .flat_map(opentelemetry_sdk::metrics::data::ResourceMetrics::scope_metrics)
        .flat_map(opentelemetry_sdk::metrics::data::ScopeMetrics::metrics)
    {
        match (metric.name(), metric.data()) {
            ("gen_ai.client.operation.duration", AggregatedMetrics::F64(data)) => {
                assert_eq!(metric.unit(), "s");
                duration = Some(points(data));
            }
            ("gen_ai.client.token.usage", AggregatedMetrics::U64(data)) => {
                assert_eq!(metric.unit(), "{token}");
                tokens = Some(points(data));
            }
            (name, _) => panic!("unexpected metric {name}"),
        }
    }
    let duration = duration.expect("duration metric");
    let tokens = tokens.expect("token metric");

    // Four points: the chat successes (two, plus the agent's), the chat failure with its
    // error.type, the tool, and the agent.
    let operation = |p: &(BTreeMap<String, Value>, u64, f64, Vec<f64>)| {
        p.0["gen_ai.operation.name"].as_str().into_owned()
    };
    assert_eq!(duration.len(), 4, "{duration:?}");
    let ok = duration
        .iter()
        .find(|p| operation(p) == "chat" && !p.0.contains_key("error.type"))
        .unwrap();
    let failed = duration
        .iter()
        .find(|p| p.0.contains_key("error.type"))
        .unwrap();
    for name in ["execute_tool", "invoke_agent"] {
        let point = duration
            .iter()
            .find(|p| operation(p) == name)
            .unwrap_or_else(|| panic!("no duration for {name}"));
        assert_eq!(point.1, 1, "{name}");
    }
    assert_eq!(ok.1, 3);
    assert_eq!(failed.1, 1);
    assert_eq!(
        failed.0["error.type"],
        Value::from("genai_metrics::Timeout")
    );
    assert_eq!(ok.3, DURATION_BOUNDARIES);
    for key in [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "server.address",
        "server.port",
    ] {
        assert!(ok.0.contains_key(key), "duration lacks {key}: {:?}", ok.0);
    }
    assert_eq!(ok.0["server.port"], Value::I64(443));

    // Token usage: the three successful chat calls only; the agent and the tool add none.
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    let input = tokens
        .iter()
        .find(|p| p.0["gen_ai.token.type"] == Value::from("input"))
        .unwrap();
    let output = tokens
        .iter()
        .find(|p| p.0["gen_ai.token.type"] == Value::from("output"))
        .unwrap();
    assert_eq!((input.1, input.2), (3, 300));
    assert_eq!((output.1, output.2), (3, 21));
    assert!(
        tokens
            .iter()
            .all(|p| p.0["gen_ai.operation.name"] == Value::from("chat"))
    );
    assert_eq!(
        input.0["gen_ai.response.model"],
        Value::from("gpt-4o-2024-08-06")
    );
    assert_eq!(input.3, TOKEN_BOUNDARIES);
    telemetry.shutdown().unwrap();
}
