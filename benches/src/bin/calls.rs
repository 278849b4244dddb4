//! `calls <case> <n>`: sets the case's pipeline up, makes `n` calls, shuts it down. Run
//! under callgrind with `n = 0` and `n = N` (see `callgrind.sh`): the difference divided
//! by `N` is the cost of one call, set-up and teardown cancelling out.

use std::hint::black_box;

use trace_genai_benches::{
    DiscardReporter, bare, bare_async, fastrace_chat, fastrace_chat_async, genai, genai_async,
    genai_with_content, in_agent, install_genai, install_genai_disabled, install_genai_sdk_path,
    install_otel, long_call_with_additions, otel, otel_async, otel_tracer, tracing_agent,
    tracing_agent_with_framework_chat, tracing_chat, tracing_chat_async,
    tracing_subscriber_with_otel, with_fastrace_roots,
};

/// Calls between pauses that let the exporter thread drain the batch queue, so that no
/// span is dropped (a dropped span is freed on the calling thread and would count).
const PACE: u64 = 256;

/// Whether the loop pauses (read once: an environment lookup per call would count).
static PACED: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("NO_PACE").is_none());

fn pause(i: u64) {
    if i % PACE == PACE - 1 && *PACED {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Not inlined, so that every case runs the same loop code around its call.
#[inline(never)]
fn calls(n: u64, f: impl Fn(u64, u64) -> trace_genai_benches::Reply) {
    for i in 0..n {
        black_box(f(black_box(i), 2));
        pause(i);
    }
}

#[inline(never)]
fn async_calls<F: std::future::Future<Output = trace_genai_benches::Reply>>(
    n: u64,
    f: impl Fn(u64, u64) -> F,
) {
    for i in 0..n {
        black_box(futures::executor::block_on(f(black_box(i), 2)));
        pause(i);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(case), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: calls <case> <n>");
        std::process::exit(2);
    };
    let start = std::time::Instant::now();
    let rss_before = rss_kib("VmRSS:");
    run(case, n);
    if std::env::var_os("MEMORY").is_some() {
        // Peak resident memory over the run against the resident memory at its start.
        println!(
            "{case}: {n} calls, RSS at start {} KiB, peak {} KiB",
            rss_before,
            rss_kib("VmHWM:")
        );
    }
    if std::env::var_os("TIME").is_some() {
        #[allow(clippy::cast_precision_loss, reason = "a printed figure")]
        let per_call = start.elapsed().as_nanos() as f64 / n.max(1) as f64;
        println!("{case}: {per_call:.1} ns/call");
    }
}

/// A `/proc/self/status` memory line, in KiB (0 where it cannot be read).
fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

#[inline(never)]
fn run(case: &str, n: u64) {
    // `<case>-tracing-feature`: the case, in a build with trace-genai's `tracing` feature
    // (and no `tracing` layer built).
    let case = match case.strip_suffix("-tracing-feature") {
        Some(case) => {
            if !cfg!(feature = "tracing") {
                eprintln!("{case}-tracing-feature: build with the `tracing` feature");
                std::process::exit(2);
            }
            case
        }
        None => case,
    };
    match case {
        "bare" => calls(n, bare),
        "trace_genai-not-installed" => calls(n, genai),
        "trace_genai-disabled" => {
            let telemetry = install_genai_disabled();
            calls(n, genai);
            drop(telemetry.shutdown());
        }
        "trace_genai-unsampled" | "trace_genai-sampled" => {
            let telemetry = install_genai(case == "trace_genai-sampled");
            calls(n, genai);
            drop(telemetry.shutdown());
        }
        "trace_genai-sampled-in-agent" => {
            // The sampled call inside an open agent span: its usage adds to the agent's.
            let telemetry = install_genai(true);
            in_agent(|| calls(n, genai));
            drop(telemetry.shutdown());
        }
        "trace_genai-sampled-metrics" => {
            // The sampled call with the GenAI metrics recorded (duration and token usage).
            let telemetry = trace_genai_benches::install_genai_with_metrics();
            calls(n, genai);
            drop(telemetry.shutdown());
        }
        "tracing-otel-agent" => {
            let (subscriber, provider) = tracing_subscriber_with_otel();
            tracing::subscriber::with_default(subscriber, || calls(n, tracing_agent));
            drop(provider.shutdown());
        }
        "tracing-otel-agent-framework-chat" => {
            let (subscriber, provider) = tracing_subscriber_with_otel();
            tracing::subscriber::with_default(subscriber, || {
                calls(n, tracing_agent_with_framework_chat);
            });
            drop(provider.shutdown());
        }
        #[cfg(feature = "tracing")]
        "trace_genai-sampled-bridge" => {
            // The bridge in the current dispatcher: a stand-in `tracing` span per call.
            let telemetry = install_genai(true);
            let subscriber = trace_genai_benches::subscriber_with_bridge(&telemetry);
            tracing::subscriber::with_default(subscriber, || calls(n, genai));
            drop(telemetry.shutdown());
        }
        #[cfg(feature = "tracing")]
        "trace_genai-sampled-bridge-global" => {
            // The same, the subscriber installed process-wide (as `.init()` does), where
            // `tracing` finds it without a thread-local lookup.
            let telemetry = install_genai(true);
            let subscriber = trace_genai_benches::subscriber_with_bridge(&telemetry);
            tracing::subscriber::set_global_default(subscriber)
                .unwrap_or_else(|error| panic!("set_global_default: {error}"));
            calls(n, genai);
            drop(telemetry.shutdown());
        }
        #[cfg(feature = "tracing")]
        "bridge-agent"
        | "bridge-agent-framework-chat"
        | "bridge-agent-metrics"
        | "bridge-agent-framework-chat-metrics" => {
            // An invoke_agent call with the bridge, with or without a framework's chat span
            // inside, GenAI metrics off or on.
            let telemetry = if case.ends_with("-metrics") {
                trace_genai_benches::install_genai_with_metrics()
            } else {
                install_genai(true)
            };
            let subscriber = trace_genai_benches::subscriber_with_bridge(&telemetry);
            tracing::subscriber::with_default(subscriber, || {
                if case.contains("framework-chat") {
                    calls(n, trace_genai_benches::genai_agent_with_framework_chat);
                } else {
                    calls(n, trace_genai_benches::genai_agent);
                }
            });
            drop(telemetry.shutdown());
        }
        "trace_genai-sdk-path" => {
            let telemetry = install_genai_sdk_path();
            calls(n, genai);
            drop(telemetry.shutdown());
        }
        "trace_genai-sampled-4000-pending-elsewhere" => {
            let telemetry = install_genai(true);
            let long_call = long_call_with_additions(4_000);
            calls(n, genai);
            drop(long_call);
            drop(telemetry.shutdown());
        }
        "trace_genai-content-1k" | "trace_genai-content-64k" => {
            // The same sampled call, with 1 KiB or 64 KiB of prompt recorded (cut to the
            // 8,192-character budget).
            let size = if case.ends_with("1k") {
                1024
            } else {
                64 * 1024
            };
            let prompt = "a".repeat(size);
            let telemetry = install_genai(true);
            trace_genai::set_content_capture(trace_genai::ContentCapture::SpanOnly);
            calls(n, |a, b| genai_with_content(&prompt, a, b));
            drop(telemetry.shutdown());
        }
        #[cfg(feature = "upload")]
        "trace_genai-upload-1k" | "trace_genai-upload-64k" => {
            // The content cases with the upload hook: the content goes to files in a
            // scratch directory (written on the export runtime), the span carries
            // references.
            let size = if case.ends_with("1k") {
                1024
            } else {
                64 * 1024
            };
            let prompt = "a".repeat(size);
            let dir = std::env::temp_dir().join(format!(
                "trace-genai-bench-upload-{}-{n}",
                std::process::id()
            ));
            let telemetry = trace_genai_benches::install_genai_uploading(&dir);
            trace_genai::set_content_capture(trace_genai::ContentCapture::SpanOnly);
            calls(n, |a, b| genai_with_content(&prompt, a, b));
            drop(telemetry.shutdown());
            // Cleaning up is not the call's cost: another thread does it.
            drop(std::thread::spawn(move || std::fs::remove_dir_all(dir)).join());
        }
        "trace_genai-content-1k-redact-none"
        | "trace_genai-content-1k-redact-all"
        | "trace_genai-content-1k-prose-redact-none"
        | "trace_genai-content-1k-prose-redact-all" => {
            // The 1 KiB case with redaction off, or with every class and a pattern, over
            // a prompt of `a`s or of prose with a key and an e-mail address in it: the
            // difference is redaction's cost per KiB. One call before the measured ones
            // compiles the rules (once per install), in the run without calls too.
            let prompt = if case.contains("prose") {
                let prose = "The capital of France is Paris; mail jane.doe@example.com, key sk-proj-abc123DEF456ghi789JKL012mno. ";
                prose.repeat(1024 / prose.len() + 1)[..1024].to_owned()
            } else {
                "a".repeat(1024)
            };
            let (classes, patterns): (_, &[&str]) = if case.ends_with("all") {
                (trace_genai::RedactClasses::ALL, &["ORDER-[0-9]{6}"])
            } else {
                (trace_genai::RedactClasses::NONE, &[])
            };
            let telemetry = trace_genai_benches::install_genai_redacting(classes, patterns);
            trace_genai::set_content_capture(trace_genai::ContentCapture::SpanOnly);
            genai_with_content(&prompt, 1, 2);
            calls(n, |a, b| genai_with_content(&prompt, a, b));
            drop(telemetry.shutdown());
        }
        "otel-no-provider" => {
            let tracer = otel_tracer();
            calls(n, |a, b| otel(&tracer, a, b));
        }
        "otel-unsampled" | "otel-sampled" => {
            let provider = install_otel(case == "otel-sampled");
            let tracer = otel_tracer();
            calls(n, |a, b| otel(&tracer, a, b));
            drop(provider.shutdown());
        }
        "tracing-no-subscriber" => calls(n, tracing_chat),
        "tracing-otel-layer" => {
            let (subscriber, provider) = tracing_subscriber_with_otel();
            tracing::subscriber::with_default(subscriber, || calls(n, tracing_chat));
            drop(provider.shutdown());
        }
        "tracing-otel-layer-global" => {
            let (subscriber, provider) = tracing_subscriber_with_otel();
            tracing::subscriber::set_global_default(subscriber)
                .unwrap_or_else(|error| panic!("set_global_default: {error}"));
            calls(n, tracing_chat);
            drop(provider.shutdown());
        }
        "fastrace-no-reporter" => calls(n, fastrace_chat),
        "fastrace-reporter" => {
            fastrace::set_reporter(DiscardReporter, fastrace::collector::Config::default());
            with_fastrace_roots(n, |i| {
                black_box(fastrace_chat(black_box(i), 2));
                pause(i);
            });
            fastrace::flush();
        }
        "async-bare" => async_calls(n, bare_async),
        "async-tracing-no-subscriber" => async_calls(n, tracing_chat_async),
        "async-trace_genai-not-installed" => async_calls(n, genai_async),
        "async-trace_genai-disabled" => {
            let telemetry = install_genai_disabled();
            async_calls(n, genai_async);
            drop(telemetry.shutdown());
        }
        "async-otel-no-provider" => {
            let tracer = otel_tracer();
            async_calls(n, |a, b| otel_async(&tracer, a, b));
        }
        "async-trace_genai-unsampled" => {
            let telemetry = install_genai(false);
            async_calls(n, genai_async);
            drop(telemetry.shutdown());
        }
        "async-otel-unsampled" => {
            let provider = install_otel(false);
            let tracer = otel_tracer();
            async_calls(n, |a, b| otel_async(&tracer, a, b));
            drop(provider.shutdown());
        }
        "async-fastrace-reporter" => {
            fastrace::set_reporter(DiscardReporter, fastrace::collector::Config::default());
            with_fastrace_roots(n, |i| {
                black_box(futures::executor::block_on(fastrace_chat_async(
                    black_box(i),
                    2,
                )));
                pause(i);
            });
            fastrace::flush();
        }
        "async-trace_genai-sampled" => {
            let telemetry = install_genai(true);
            async_calls(n, genai_async);
            drop(telemetry.shutdown());
        }
        #[cfg(feature = "tracing")]
        "async-trace_genai-sampled-bridge" => {
            let telemetry = install_genai(true);
            let subscriber = trace_genai_benches::subscriber_with_bridge(&telemetry);
            tracing::subscriber::with_default(subscriber, || async_calls(n, genai_async));
            drop(telemetry.shutdown());
        }
        "async-otel-sampled" => {
            let provider = install_otel(true);
            let tracer = otel_tracer();
            async_calls(n, |a, b| otel_async(&tracer, a, b));
            drop(provider.shutdown());
        }
        "async-tracing-otel-layer" => {
            let (subscriber, provider) = tracing_subscriber_with_otel();
            tracing::subscriber::with_default(subscriber, || async_calls(n, tracing_chat_async));
            drop(provider.shutdown());
        }
        other => {
            eprintln!("unknown case {other}");
            std::process::exit(2);
        }
    }
}
