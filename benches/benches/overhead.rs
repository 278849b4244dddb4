//! Per-call overhead of `#[trace_genai]` against a bare call, hand-written OpenTelemetry,
//! `tracing` + `tracing-opentelemetry` and `fastrace`, all measured in this one run, then
//! printed as ratios to the hand-written OpenTelemetry baseline.
//!
//! ```text
//! cargo bench -p trace-genai-benches --bench overhead
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use trace_genai_benches::{
    DiscardReporter, bare, bare_async, fastrace_chat, genai, genai_async, install_genai,
    install_genai_disabled, install_otel, otel, otel_async, otel_tracer, tracing_chat,
    tracing_chat_async, tracing_subscriber_with_otel, with_fastrace_roots,
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

fn main() {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion-overhead");
    let mut c = Criterion::default()
        .output_directory(&out)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
        .configure_from_args();

    {
        let mut g = c.benchmark_group("sync");
        g.bench_function("bare", |b| b.iter(|| bare(black_box(1), 2)));
        // Nothing installed anywhere.
        g.bench_function("trace_genai-not-installed", |b| {
            b.iter(|| genai(black_box(1), 2));
        });
        let tracer = otel_tracer();
        g.bench_function("otel-no-provider", |b| {
            b.iter(|| otel(&tracer, black_box(1), 2));
        });
        g.bench_function("tracing-no-subscriber", |b| {
            b.iter(|| tracing_chat(black_box(1), 2));
        });
        g.bench_function("fastrace-no-reporter", |b| {
            b.iter(|| fastrace_chat(black_box(1), 2));
        });

        let telemetry = install_genai_disabled();
        g.bench_function("trace_genai-disabled", |b| {
            b.iter(|| genai(black_box(1), 2));
        });
        drop(telemetry.shutdown());

        let telemetry = install_genai(false);
        g.bench_function("trace_genai-unsampled", |b| {
            b.iter(|| genai(black_box(1), 2));
        });
        drop(telemetry.shutdown());
        let provider = install_otel(false);
        let tracer = otel_tracer();
        g.bench_function("otel-unsampled", |b| {
            b.iter(|| otel(&tracer, black_box(1), 2));
        });
        drop(provider.shutdown());

        let telemetry = install_genai(true);
        g.bench_function("trace_genai-sampled", |b| b.iter(|| genai(black_box(1), 2)));
        drop(telemetry.shutdown());
        let provider = install_otel(true);
        let tracer = otel_tracer();
        g.bench_function("otel-sampled", |b| {
            b.iter(|| otel(&tracer, black_box(1), 2));
        });
        drop(provider.shutdown());

        let (subscriber, provider) = tracing_subscriber_with_otel();
        tracing::subscriber::with_default(subscriber, || {
            g.bench_function("tracing-otel-layer", |b| {
                b.iter(|| tracing_chat(black_box(1), 2));
            });
        });
        drop(provider.shutdown());

        fastrace::set_reporter(DiscardReporter, fastrace::collector::Config::default());
        g.bench_function("fastrace-reporter", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                with_fastrace_roots(iters, |i| {
                    black_box(fastrace_chat(black_box(i), 2));
                });
                start.elapsed()
            });
        });
        g.finish();
    }

    {
        let mut g = c.benchmark_group("async");
        g.bench_function("bare", |b| b.iter(|| block_on(bare_async(black_box(1), 2))));
        g.bench_function("trace_genai-not-installed", |b| {
            b.iter(|| block_on(genai_async(black_box(1), 2)));
        });
        let tracer = otel_tracer();
        g.bench_function("otel-no-provider", |b| {
            b.iter(|| block_on(otel_async(&tracer, black_box(1), 2)));
        });

        let telemetry = install_genai(false);
        g.bench_function("trace_genai-unsampled", |b| {
            b.iter(|| block_on(genai_async(black_box(1), 2)));
        });
        drop(telemetry.shutdown());
        let provider = install_otel(false);
        let tracer = otel_tracer();
        g.bench_function("otel-unsampled", |b| {
            b.iter(|| block_on(otel_async(&tracer, black_box(1), 2)));
        });
        drop(provider.shutdown());

        let telemetry = install_genai(true);
        g.bench_function("trace_genai-sampled", |b| {
            b.iter(|| block_on(genai_async(black_box(1), 2)));
        });
        drop(telemetry.shutdown());
        let provider = install_otel(true);
        let tracer = otel_tracer();
        g.bench_function("otel-sampled", |b| {
            b.iter(|| block_on(otel_async(&tracer, black_box(1), 2)));
        });
        drop(provider.shutdown());
        let (subscriber, provider) = tracing_subscriber_with_otel();
        tracing::subscriber::with_default(subscriber, || {
            g.bench_function("tracing-otel-layer", |b| {
                b.iter(|| block_on(tracing_chat_async(black_box(1), 2)));
            });
        });
        drop(provider.shutdown());
        g.finish();
    }

    c.final_summary();
    print_ratios(&out);
}

/// The median of one case, in nanoseconds, from criterion's estimates.
fn median(out: &Path, group: &str, case: &str) -> Option<f64> {
    let path = out.join(group).join(case).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn print_ratios(out: &Path) {
    let rows: &[(&str, &str, &str)] = &[
        // (group, case, the hand-written OpenTelemetry case it is compared with)
        ("sync", "bare", "otel-sampled"),
        ("sync", "trace_genai-not-installed", "otel-no-provider"),
        ("sync", "trace_genai-disabled", "otel-no-provider"),
        ("sync", "tracing-no-subscriber", "otel-no-provider"),
        ("sync", "fastrace-no-reporter", "otel-no-provider"),
        ("sync", "otel-no-provider", "otel-no-provider"),
        ("sync", "trace_genai-unsampled", "otel-unsampled"),
        ("sync", "otel-unsampled", "otel-unsampled"),
        ("sync", "trace_genai-sampled", "otel-sampled"),
        ("sync", "otel-sampled", "otel-sampled"),
        ("sync", "tracing-otel-layer", "otel-sampled"),
        ("sync", "fastrace-reporter", "otel-sampled"),
        ("async", "bare", "otel-sampled"),
        ("async", "trace_genai-not-installed", "otel-no-provider"),
        ("async", "otel-no-provider", "otel-no-provider"),
        ("async", "trace_genai-unsampled", "otel-unsampled"),
        ("async", "otel-unsampled", "otel-unsampled"),
        ("async", "trace_genai-sampled", "otel-sampled"),
        ("async", "otel-sampled", "otel-sampled"),
        ("async", "tracing-otel-layer", "otel-sampled"),
    ];
    println!();
    println!("| group | case | median ns/call | ratio to hand-written OTel | compared with |");
    println!("|---|---|---:|---:|---|");
    for (group, case, baseline) in rows {
        let (Some(value), Some(base)) = (median(out, group, case), median(out, group, baseline))
        else {
            println!("| {group} | {case} | (not measured) | | {baseline} |");
            continue;
        };
        println!(
            "| {group} | {case} | {value:.1} | {:.2}x | {group}/{baseline} ({base:.1} ns) |",
            value / base
        );
    }
}
