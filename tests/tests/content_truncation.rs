//! Defect 9 ("Never hurt the app"): content that needs JSON escaping is cut to the
//! attribute budget without throwing most of it away. Through the whole path (plain text
//! cut as it is copied, then fitted when the span ends), a cut attribute keeps at least
//! 90% of the default 8,192-character budget, never more, stays valid JSON and is marked.

use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value as Json, json};
use trace_genai::{
    ContentCapture, DEFAULT_CONTENT_MAX_LENGTH, TRUNCATION_MARKER, set_content_capture, trace_genai,
};
use trace_genai_tests::harness::*;

/// The four texts of the defect: control characters (six characters each once escaped),
/// a mix of é, emoji, control characters and quotes, quotes and backslashes, and a
/// pretty-printed JSON tool result carrying JSON bodies as text.
fn inputs() -> [(&'static str, String); 4] {
    let bodies: Vec<Json> = (0..200)
        .map(|i| Json::String(json!({"id": i, "name": format!("item {i}")}).to_string()))
        .collect();
    let pretty = serde_json::to_string_pretty(&json!({"status": "ok", "bodies": bodies}))
        .expect("serializable");
    [
        ("control characters", "\u{1}".repeat(5_000)),
        ("mixed text", "é🦀\u{1}\"".repeat(2_000)),
        ("quotes and backslashes", "\"\\".repeat(2_500)),
        ("pretty-printed tool result", pretty),
    ]
}

#[trace_genai(chat, model = "m", capture(messages = prompt))]
fn ask(prompt: &str) -> usize {
    prompt.len()
}

#[trace_genai(execute_tool, capture(arguments(query)))]
fn search(query: &str) -> usize {
    query.len()
}

fn with_content<R>(f: impl FnOnce() -> R) -> (R, Spans) {
    capture(|| {
        set_content_capture(ContentCapture::SpanOnly);
        let result = f();
        set_content_capture(ContentCapture::NoContent);
        result
    })
}

/// The JSON text of attribute `key`, checked against the budget, parsed.
#[track_caller]
fn cut_attribute(what: &str, span: &SpanData, key: &str) -> Json {
    let Some(Value::String(text)) = attr(span, key) else {
        panic!("{what}: {key} missing");
    };
    let text = text.as_str();
    let length = text.chars().count();
    let limit = DEFAULT_CONTENT_MAX_LENGTH;
    assert!(length <= limit, "{what}: {length} characters");
    assert!(length * 10 >= limit * 9, "{what}: only {length} characters");
    assert!(text.contains(TRUNCATION_MARKER), "{what}: unmarked");
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{what}: not JSON ({error})"))
}

/// The kept head of a cut string, checked to be marked and to start `original`.
#[track_caller]
fn kept<'a>(what: &str, cut: &'a Json, original: &str) -> &'a str {
    let cut = cut.as_str().expect("a string");
    let kept = cut
        .strip_suffix(TRUNCATION_MARKER)
        .unwrap_or_else(|| panic!("{what}: cut string unmarked"));
    assert!(original.starts_with(kept), "{what}: not a prefix");
    kept
}

#[test]
fn defect_9_prompts_that_need_escaping_keep_90_percent_of_budget() {
    for (what, text) in inputs() {
        let (_, spans) = with_content(|| ask(&text));
        let messages = cut_attribute(what, spans.one("chat m"), "gen_ai.input.messages");
        kept(what, &messages[0]["parts"][0]["content"], &text);
    }
}

#[test]
fn defect_9_tool_arguments_that_need_escaping_keep_90_percent_of_budget() {
    for (what, text) in inputs() {
        let (_, spans) = with_content(|| search(&text));
        let arguments = cut_attribute(
            what,
            spans.one("execute_tool search"),
            "gen_ai.tool.call.arguments",
        );
        kept(what, &arguments["query"], &text);
    }
}
