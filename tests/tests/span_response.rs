//! Responses and token usage from return values: a type implementing `GenAiResponse`
//! (directly or as the `Ok` of a `Result`) is recorded on the span with no macro argument;
//! unknown counts are left out, never reported as 0.

use opentelemetry::{Array, StringValue, Value};
use trace_genai::{ErrorType, GenAiResponse, Usage, trace_genai};
use trace_genai_tests::harness::*;

#[derive(Debug, Clone)]
struct Completion {
    id: &'static str,
    model: &'static str,
    reasons: Vec<&'static str>,
    usage: Usage,
}

impl GenAiResponse for Completion {
    fn response_id(&self) -> Option<&str> {
        Some(self.id)
    }
    fn response_model(&self) -> Option<&str> {
        Some(self.model)
    }
    fn finish_reasons(&self) -> Vec<&str> {
        self.reasons.clone()
    }
    fn usage(&self) -> Usage {
        self.usage
    }
}

fn completion() -> Completion {
    let mut usage = Usage::new(120, 30);
    usage.cache_read_input_tokens = Some(100);
    usage.cache_write_input_tokens = Some(20);
    usage.reasoning_output_tokens = Some(12);
    Completion {
        id: "chatcmpl-1",
        model: "gpt-4o-2024-08-06",
        reasons: vec!["stop", "length"],
        usage,
    }
}

#[derive(Debug)]
struct RateLimited;

impl ErrorType for RateLimited {
    fn error_type(&self) -> std::borrow::Cow<'static, str> {
        "rate_limited".into()
    }
}

#[derive(Debug)]
struct PlainError;

#[trace_genai(chat, model = "gpt-4o")]
fn chat_result(fail: bool) -> Result<Completion, RateLimited> {
    if fail {
        Err(RateLimited)
    } else {
        Ok(completion())
    }
}

#[trace_genai(chat, model = "gpt-4o")]
fn chat_plain_error(fail: bool) -> Result<Completion, PlainError> {
    if fail {
        Err(PlainError)
    } else {
        Ok(completion())
    }
}

#[trace_genai(chat, model = "gpt-4o")]
fn chat_value() -> Completion {
    completion()
}

#[trace_genai(chat, model = "gpt-4o")]
async fn chat_async() -> Result<Completion, RateLimited> {
    tokio::task::yield_now().await;
    Ok(completion())
}

fn assert_response(span: &opentelemetry_sdk::trace::SpanData) {
    assert_attr(span, "gen_ai.response.id", "chatcmpl-1".to_owned());
    assert_attr(
        span,
        "gen_ai.response.model",
        "gpt-4o-2024-08-06".to_owned(),
    );
    assert_attr(
        span,
        "gen_ai.response.finish_reasons",
        Value::Array(Array::String(vec![
            StringValue::from("stop"),
            StringValue::from("length"),
        ])),
    );
    assert_attr(span, "gen_ai.usage.input_tokens", 120_i64);
    assert_attr(span, "gen_ai.usage.output_tokens", 30_i64);
    assert_attr(span, "gen_ai.usage.cache_read.input_tokens", 100_i64);
    assert_attr(span, "gen_ai.usage.cache_creation.input_tokens", 20_i64);
    // The genai-main name only under OTEL_SEMCONV_STABILITY_OPT_IN (genai_latest.rs).
    assert_no_attr(span, "gen_ai.usage.cache_write.input_tokens");
    assert_attr(span, "gen_ai.usage.reasoning.output_tokens", 12_i64);
    assert_ok(span);
}

#[test]
fn result_of_a_response_records_it_and_errors_keep_their_type() {
    let (_, spans) = capture(|| chat_result(false));
    assert_response(spans.one("chat gpt-4o"));
    let (_, spans) = capture(|| chat_result(true));
    let span = spans.one("chat gpt-4o");
    assert_error(span, "rate_limited");
    assert_no_attr(span, "gen_ai.response.id");
    let (_, spans) = capture(|| chat_plain_error(true));
    assert_error(spans.one("chat gpt-4o"), "span_response::PlainError");
    let (_, spans) = capture(|| chat_plain_error(false));
    assert_response(spans.one("chat gpt-4o"));
}

#[test]
fn a_plain_response_and_an_async_one() {
    let (_, spans) = capture(chat_value);
    assert_response(spans.one("chat gpt-4o"));
    let (_, spans) = capture_async(chat_async());
    assert_response(spans.one("chat gpt-4o"));
}

struct Partial;

impl GenAiResponse for Partial {
    fn usage(&self) -> Usage {
        Usage {
            output_tokens: Some(0),
            ..Usage::default()
        }
    }
}

#[trace_genai(chat, model = "m")]
fn partial() -> Partial {
    Partial
}

#[test]
fn unknown_counts_are_left_out_and_a_real_zero_is_kept() {
    let (_, spans) = capture(partial);
    let span = spans.one("chat m");
    assert_attr(span, "gen_ai.usage.output_tokens", 0_i64);
    for key in [
        "gen_ai.usage.input_tokens",
        "gen_ai.response.id",
        "gen_ai.response.model",
        "gen_ai.response.finish_reasons",
        "gen_ai.usage.cache_read.input_tokens",
    ] {
        assert_no_attr(span, key);
    }
}

#[trace_genai(name = "generic")]
fn generic<T: Clone>(value: &T) -> Result<T, PlainError> {
    Ok(value.clone())
}

#[test]
fn types_without_the_trait_record_nothing_extra() {
    let (value, spans) = capture(|| generic(&String::from("x")));
    assert_eq!(value.unwrap(), "x");
    assert_keys(spans.one("generic"), &[]);
}

// ---- agents' rollup ----------------------------------------------------------------------

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn rolled_call(input: u64, output: u64, reason: &'static str) -> Completion {
    Completion {
        id: "chatcmpl-r",
        model: "gpt-4o",
        reasons: vec![reason],
        usage: Usage::new(input, output),
    }
}

#[trace_genai(invoke_agent, agent = "researcher")]
fn researcher() {
    rolled_call(5, 1, "stop");
}

#[trace_genai(invoke_agent, agent = "planner")]
async fn planner(
    other_thread_go: std::sync::mpsc::Sender<()>,
    other_thread_done: std::sync::mpsc::Receiver<()>,
) {
    rolled_call(10, 2, "tool_calls");
    // Across an `.await` and on a task of its own, the context carries the agent.
    trace_genai::context::spawn(async {
        rolled_call(20, 3, "tool_calls");
    })
    .await
    .unwrap();
    researcher();
    // A call made on another thread while this agent is open is not inside it.
    let _ = other_thread_go.send(());
    let _ = other_thread_done.recv();
}

#[trace_genai(invoke_agent, agent = "reporter")]
fn reporter() -> Completion {
    rolled_call(7, 7, "stop");
    // The agent's own result reports usage: it is kept, not replaced by the sum.
    Completion {
        id: "agent-1",
        model: "gpt-4o",
        reasons: vec!["end_turn"],
        usage: Usage::new(1, 1),
    }
}

#[test]
fn agents_sum_the_model_calls_inside_them_and_nothing_else() {
    let ((), spans) = capture(|| {
        let (go, wait) = std::sync::mpsc::channel();
        let (done, finished) = std::sync::mpsc::channel();
        let outsider = std::thread::spawn(move || {
            let _ = wait.recv();
            rolled_call(1000, 1000, "length");
            let _ = done.send(());
        });
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(planner(go, finished));
        outsider.join().unwrap();
        reporter();
    });
    let planner = spans.one("invoke_agent planner");
    // 10 + 20 (its own calls, one on a spawned task) + 5 (the nested agent's).
    assert_attr(planner, "gen_ai.usage.input_tokens", 35_i64);
    assert_attr(planner, "gen_ai.usage.output_tokens", 6_i64);
    assert_attr(
        planner,
        "gen_ai.response.finish_reasons",
        Value::Array(Array::String(vec![StringValue::from("stop")])),
    );
    assert_attr(planner, "gen_ai.provider.name", "openai");
    let researcher = spans.one("invoke_agent researcher");
    assert_attr(researcher, "gen_ai.usage.input_tokens", 5_i64);
    let reporter = spans.one("invoke_agent reporter");
    assert_attr(reporter, "gen_ai.usage.input_tokens", 1_i64);
    assert_attr(reporter, "gen_ai.response.id", "agent-1");
}
