//! The README's example is the tour: its chat spans report token usage (and so the
//! `gen_ai.client.token.usage` metric), the user's feedback lands under the chat span that
//! produced the answer, and `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY`
//! alone puts the prompts, completions, tool arguments and results on its spans; without
//! it, none are recorded.
//!
//! Runs the example binary that `cargo test --workspace` builds next to this test, with
//! the console in JSON lines (`TRACE_GENAI_CONSOLE_FORMAT=json`) to read back every
//! attribute, and in the default tree format for the metrics.

use trace_genai_tests::examples;

use serde_json::{Value as Json, json};

const CONTENT_KEYS: [&str; 6] = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

/// The example's stdout, run with these variables on top of a clean telemetry
/// environment (whatever the developer's shell sets).
fn run(vars: &[(&str, &str)]) -> String {
    let mut command = examples::without_telemetry_env(examples::example_binary("agent"));
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The spans and the events (log records) of a JSON-lines run.
fn json_run(content: Option<&str>) -> (Vec<Json>, Vec<Json>) {
    let mut vars = vec![("TRACE_GENAI_CONSOLE_FORMAT", "json")];
    if let Some(content) = content {
        vars.push((
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            content,
        ));
    }
    let stdout = run(&vars);
    let lines: Vec<Json> = stdout
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    lines
        .into_iter()
        .partition(|line| line.get("name").is_some())
}

fn spans_named<'a>(spans: &'a [Json], name: &str) -> Vec<&'a Json> {
    let found: Vec<&Json> = spans.iter().filter(|span| span["name"] == name).collect();
    assert!(!found.is_empty(), "no span {name}: {spans:#?}");
    found
}

/// A content attribute: JSON text on the span, parsed back.
fn content(span: &Json, key: &str) -> Json {
    let text = span["attributes"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing on {span:#}"));
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

fn feedback(events: &[Json]) -> &Json {
    events
        .iter()
        .find(|event| event["event_name"] == "gen_ai.evaluation.user_feedback")
        .unwrap_or_else(|| panic!("no feedback event: {events:#?}"))
}

#[test]
fn with_span_only_the_agent_example_records_prompts_completions_tool_arguments_and_results() {
    let (spans, events) = json_run(Some("SPAN_ONLY"));

    let agent = spans_named(&spans, "invoke_agent travel-planner")[0];
    assert_eq!(
        content(agent, "gen_ai.input.messages"),
        json!([{"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]}])
    );
    assert_eq!(
        content(agent, "gen_ai.output.messages"),
        json!([{"role": "assistant", "finish_reason": "stop",
                "parts": [{"type": "text", "content": "Good news: it is sunny and 24 °C in Paris."}]}])
    );

    let chats = spans_named(&spans, "chat demo-llm-1");
    assert_eq!(chats.len(), 2);
    let (first, second) = if chats[0]["attributes"]["gen_ai.response.id"] == "resp-1" {
        (chats[0], chats[1])
    } else {
        (chats[1], chats[0])
    };
    // The prompt, and the model's tool call with its arguments.
    assert_eq!(
        content(first, "gen_ai.input.messages"),
        json!([{"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]}])
    );
    assert_eq!(
        content(first, "gen_ai.output.messages"),
        json!([{"role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]}])
    );
    // The tool's result sent back, and the completion.
    let history = content(second, "gen_ai.input.messages");
    assert_eq!(
        history[2],
        json!({"role": "tool", "parts": [
            {"type": "tool_call_response", "id": "call_1", "response": "sunny and 24 °C in Paris"}]})
    );
    assert_eq!(
        content(second, "gen_ai.output.messages")[0]["parts"][0]["content"],
        "Good news: it is sunny and 24 °C in Paris."
    );

    let tool = spans_named(&spans, "execute_tool get_weather")[0];
    assert_eq!(
        content(tool, "gen_ai.tool.call.arguments"),
        json!({"city": "Paris"})
    );
    assert_eq!(
        tool["attributes"]["gen_ai.tool.call.result"],
        "sunny and 24 °C in Paris"
    );

    // The feedback's free-text comment is content too, and a log event: it needs content
    // in events (`EVENT_ONLY`, `SPAN_AND_EVENT`).
    assert_eq!(feedback(&events)["body"], json!(null));
}

#[test]
fn by_default_the_agent_example_records_no_content_but_usage_and_feedback() {
    let (spans, events) = json_run(None);
    assert_eq!(spans.len(), 4, "{spans:#?}");
    for span in &spans {
        for key in CONTENT_KEYS {
            assert!(
                span["attributes"].get(key).is_none(),
                "{key} recorded without content capture: {span:#}"
            );
        }
    }
    let chats = spans_named(&spans, "chat demo-llm-1");
    for chat in &chats {
        let attributes = &chat["attributes"];
        assert!(
            attributes["gen_ai.usage.input_tokens"].as_i64() > Some(0),
            "{chat:#}"
        );
        assert!(
            attributes["gen_ai.usage.output_tokens"].as_i64() > Some(0),
            "{chat:#}"
        );
        assert_eq!(attributes["gen_ai.response.model"], "demo-llm-1");
    }
    // The provider's own finish reasons on the spans.
    let mut reasons: Vec<&Json> = chats
        .iter()
        .map(|chat| &chat["attributes"]["gen_ai.response.finish_reasons"])
        .collect();
    reasons.sort_by_key(ToString::to_string);
    assert_eq!(reasons, [&json!(["stop"]), &json!(["tool_calls"])]);

    // Feedback for the answer, parented to the chat span that produced it; no comment.
    let feedback = feedback(&events);
    let answering = chats
        .iter()
        .find(|chat| {
            chat["attributes"]["gen_ai.response.id"] == feedback["attributes"]["gen_ai.response.id"]
        })
        .unwrap_or_else(|| panic!("feedback for no chat span: {feedback:#}"));
    assert_eq!(feedback["span_id"], answering["span_id"]);
    assert_eq!(feedback["attributes"]["gen_ai.evaluation.score"], 1.0);
    assert!(feedback.get("body").is_none(), "{feedback:#}");

    // The default tree: the token usage metric, one line per token type, and no content.
    let tree = run(&[]);
    for token_type in ["input", "output"] {
        assert!(
            tree.lines().any(
                |line| line.starts_with("▪ gen_ai.client.token.usage  count=2")
                    && line.contains(&format!("gen_ai.token.type={token_type}"))
            ),
            "{tree}"
        );
    }
    assert!(tree.contains("• gen_ai.evaluation.user_feedback"), "{tree}");
    for key in CONTENT_KEYS {
        assert!(!tree.contains(key), "{key} in the default output: {tree}");
    }
}

/// `TRACE_GENAI_CONSOLE_OUTPUT` sends the console elsewhere: stdout keeps only the
/// application's own output (the channel of a stdio protocol stays clean).
#[test]
fn the_console_goes_to_stderr_or_a_file_when_told() {
    let mut command = examples::without_telemetry_env(examples::example_binary("agent"));
    let output = command
        .env("TRACE_GENAI_CONSOLE_OUTPUT", "stderr")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("└─ invoke_agent travel-planner"),
        "{stderr}"
    );
    assert!(stderr.contains("▪ gen_ai.client.token.usage"), "{stderr}");
    for telemetry in ["└─", "▪ ", "trace "] {
        assert!(!stdout.contains(telemetry), "stdout: {stdout}");
    }

    let dir = trace_genai_tests::tls::temp_dir("console-output");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("telemetry.txt");
    let _ = std::fs::remove_file(&file);
    let mut command = examples::without_telemetry_env(examples::example_binary("agent"));
    let output = command
        .env("TRACE_GENAI_CONSOLE_OUTPUT", &file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("└─ invoke_agent travel-planner"),
        "{written}"
    );
    assert!(written.contains("▪ gen_ai.client.token.usage"), "{written}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("└─"));

    // A directory is refused with what to do; the app still runs.
    let mut command = examples::without_telemetry_env(examples::example_binary("agent"));
    let output = command
        .env("TRACE_GENAI_CONSOLE_OUTPUT", &dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: telemetry is off")
            && stderr.contains("TRACE_GENAI_CONSOLE_OUTPUT"),
        "{stderr}"
    );
}
