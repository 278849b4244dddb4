//! `trace_genai::testing::capture` (issue "Never hurt the app", defect 2): tests running on
//! parallel threads each see exactly the spans and events their own code produced.

use std::time::Duration;

use trace_genai::{GenAiResponse, Usage, trace_genai};

/// Spans each test makes.
const CALLS: usize = 50;

#[derive(Debug)]
struct Reply(String);

impl GenAiResponse for Reply {
    fn response_id(&self) -> Option<&str> {
        Some(&self.0)
    }
    fn usage(&self) -> Usage {
        Usage::new(3, 1)
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat(test: &str, call: usize) -> Reply {
    // Interleave with the other tests.
    std::thread::sleep(Duration::from_micros(200));
    Reply(format!("{test}-{call}"))
}

#[trace_genai(invoke_agent, agent = "planner")]
async fn agent(test: &'static str) -> Reply {
    let tool = trace_genai::context::spawn(tool(test));
    tool.await.unwrap();
    tokio::time::sleep(Duration::from_millis(1)).await;
    chat(test, 0)
}

#[trace_genai(execute_tool, tool = "lookup")]
async fn tool(test: &'static str) -> &'static str {
    tokio::task::yield_now().await;
    test
}

/// Makes `CALLS` chat spans and checks the capture holds exactly those.
fn exactly_its_own_spans(test: &str) {
    let capture = trace_genai::testing::capture();
    assert!(capture.is_installed());
    for call in 0..CALLS {
        chat(test, call);
    }
    let spans = capture.spans();
    assert_eq!(spans.len(), CALLS, "{test}: exactly its own spans");
    for span in &spans {
        let id = span
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "gen_ai.response.id")
            .map(|kv| kv.value.as_str().into_owned())
            .unwrap();
        assert!(id.starts_with(&format!("{test}-")), "{test} saw {id}");
    }
}

#[test]
fn defect_2_parallel_tests_capture_exactly_their_own_spans_a() {
    exactly_its_own_spans("a");
}

#[test]
fn defect_2_parallel_tests_capture_exactly_their_own_spans_b() {
    exactly_its_own_spans("b");
}

#[test]
fn defect_2_parallel_tests_capture_exactly_their_own_spans_c() {
    exactly_its_own_spans("c");
}

#[test]
fn defect_2_parallel_tests_capture_exactly_their_own_spans_d() {
    exactly_its_own_spans("d");
}

#[tokio::test]
async fn defect_2_async_tests_capture_their_spans_across_tasks() {
    let capture = trace_genai::testing::capture();
    agent("async").await;
    let spans = capture.spans();
    let mut names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["chat gpt-4o", "execute_tool lookup", "invoke_agent planner"]
    );
    let root = spans
        .iter()
        .find(|s| s.name == "invoke_agent planner")
        .unwrap();
    assert!(
        spans
            .iter()
            .filter(|s| s.name != "invoke_agent planner")
            .all(|s| s.parent_span_id == root.span_context.span_id())
    );
    // The root of the test's trace has no parent: the capture adds no span of its own.
    assert_eq!(root.parent_span_id, opentelemetry::trace::SpanId::INVALID);
}

#[test]
fn defect_2_captures_the_events_of_its_traces() {
    let capture = trace_genai::testing::capture();
    chat("events", 0);
    trace_genai::record_user_feedback("events-0", 1.0, None).unwrap();
    // Feedback for another test's response is not this test's event.
    let events = capture.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0].event_name(),
        Some("gen_ai.evaluation.user_feedback")
    );
}

#[test]
fn defect_2_nothing_outside_a_capture_is_captured() {
    chat("outside", 0);
    let capture = trace_genai::testing::capture();
    assert!(capture.spans().is_empty());
}
