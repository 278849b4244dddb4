//! What a dead collector costs the application: per-call time of an instrumented chat
//! function and memory growth over 1,000,000 spans, with OTLP pointed at a port where
//! nothing listens, next to the same loop with the OTLP collector absent from the picture
//! (exporter `none`).
//!
//! ```text
//! cargo run --release -p trace-genai-examples --example dead_collector
//! ```
//!
//! Linux only for the memory figure (it reads `VmRSS` and `VmHWM` from `/proc/self/status`).

use std::hint::black_box;
use std::time::Instant;

use trace_genai::config::Config;
use trace_genai::{Telemetry, trace_genai};

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    temperature = 0.2,
    max_tokens = 256
)]
fn chat(prompt: &str) -> Result<usize, std::fmt::Error> {
    Ok(black_box(prompt).len())
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

const CALLS: u32 = 1_000_000;

fn run(label: &str, vars: &'static [(&'static str, &'static str)], endpoint: Option<&str>) {
    let config = Config::from_lookup(|name| {
        if name == "OTEL_EXPORTER_OTLP_ENDPOINT" {
            return endpoint.map(str::to_owned);
        }
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("valid configuration");
    let telemetry = Telemetry::builder()
        .with_config(config)
        .install()
        .expect("install");
    for _ in 0..10_000 {
        let _ = chat("warm up");
    }
    let rss_before = status_kib("VmRSS:");
    let started = Instant::now();
    for _ in 0..CALLS {
        let _ = black_box(chat("What is the weather in Paris?"));
    }
    let elapsed = started.elapsed();
    let rss_after = status_kib("VmRSS:");
    let shutdown_started = Instant::now();
    let result = telemetry.shutdown();
    println!(
        "{label:<28} {:>7.0} ns/call   RSS {:>6} KiB -> {:>6} KiB (+{} KiB, peak {} KiB)   shutdown {:?} ({})",
        elapsed.as_secs_f64() * 1e9 / f64::from(CALLS),
        rss_before,
        rss_after,
        rss_after.saturating_sub(rss_before),
        status_kib("VmHWM:"),
        shutdown_started.elapsed(),
        if result.is_ok() {
            "ok"
        } else {
            "reported an error"
        },
    );
}

fn main() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    drop(listener);
    run(
        "exporter none",
        &[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ],
        None,
    );
    run(
        "OTLP gRPC, collector down",
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")],
        Some(&dead),
    );
    run(
        "OTLP HTTP, collector down",
        &[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ],
        Some(&dead),
    );
}
