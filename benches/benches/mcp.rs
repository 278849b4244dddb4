//! The cost of trace-genai's MCP wrapper per request: a `tools/call` round trip between
//! an rmcp 3 client and server in one process (a `tokio::io::duplex` pipe, so the
//! transport costs next to nothing and the wrapper's share shows), plain rmcp against
//! `trace_genai::mcp::connect` + `trace_genai::mcp::Traced`, both with trace-genai
//! installed (every span sampled, exported to a discarding exporter; metrics on).
//!
//! ```text
//! cargo bench -p trace-genai-benches --features mcp --bench mcp
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use rmcp::ServiceExt as _;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolRequestParams;
use rmcp::{schemars, tool, tool_router};
use trace_genai_benches::install_genai_with_metrics;

/// The tool server.
#[derive(Debug, Clone)]
struct Weather;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct WeatherArgs {
    city: String,
}

#[tool_router(server_handler)]
impl Weather {
    #[tool(name = "get_weather", description = "The current weather in a city")]
    async fn get_weather(
        &self,
        Parameters(WeatherArgs { city }): Parameters<WeatherArgs>,
    ) -> String {
        format!("sunny in {city}")
    }
}

fn main() {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion-mcp");
    let mut c = Criterion::default()
        .output_directory(&out)
        .sample_size(40)
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let telemetry = install_genai_with_metrics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("runtime: {error}"));
    let params = CallToolRequestParams::new("get_weather").with_arguments(
        serde_json::json!({ "city": "Paris" })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );

    let plain = runtime.block_on(async {
        let (client, server) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            if let Ok(server) = Weather.serve(server).await {
                let _ = server.waiting().await;
            }
        });
        ().serve(client)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    });
    let traced = runtime.block_on(async {
        let (client, server) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            if let Ok(server) = trace_genai::mcp::Traced::new(Weather).serve(server).await {
                let _ = server.waiting().await;
            }
        });
        trace_genai::mcp::connect((), client)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    });

    let mut g = c.benchmark_group("mcp");
    g.bench_function("rmcp", |b| {
        b.iter(|| runtime.block_on(plain.call_tool(params.clone())));
    });
    g.bench_function("trace_genai", |b| {
        b.iter(|| runtime.block_on(traced.call_tool(params.clone())));
    });
    g.finish();
    c.final_summary();
    drop(telemetry.shutdown());

    let (Some(traced), Some(plain)) = (
        median(&out, "mcp", "trace_genai"),
        median(&out, "mcp", "rmcp"),
    ) else {
        return;
    };
    println!();
    println!("| case | median µs per tools/call | ratio |");
    println!("|---|---:|---:|");
    println!("| rmcp (plain) | {:.1} | 1.00x |", plain / 1000.0);
    println!(
        "| trace_genai (connect + Traced) | {:.1} | {:.2}x |",
        traced / 1000.0,
        traced / plain
    );
    println!(
        "| the wrapper, per request (client and server side) | {:.1} | |",
        (traced - plain) / 1000.0
    );
}

/// The median of one case, in nanoseconds, from criterion's estimates.
fn median(out: &Path, group: &str, case: &str) -> Option<f64> {
    let path = out.join(group).join(case).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}
