//! Tests of the console exporters' output, tree and JSON lines.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use opentelemetry::InstrumentationScope;
use opentelemetry::trace::{SpanContext, TraceFlags, TraceState};
use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};

use super::*;

const TRACE: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const OTHER_TRACE: u128 = 0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c;

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    /// Everything written since the last call.
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

fn exporter(format: ConsoleFormat) -> (ConsoleExporter, Buffer) {
    let buffer = Buffer::default();
    (ConsoleExporter::with_writer(format, buffer.clone()), buffer)
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

fn export(exporter: &ConsoleExporter, batch: Vec<SpanData>) {
    block_on(exporter.export(batch)).unwrap();
}

fn at_ms(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

/// An internal span of `TRACE` lasting from `start_ms` to `end_ms`.
fn span(id: u64, parent: u64, name: &'static str, start_ms: u64, end_ms: u64) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(TRACE),
            SpanId::from(id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::from(parent),
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: name.into(),
        start_time: at_ms(start_ms),
        end_time: at_ms(end_ms),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("test-scope").build(),
    }
}

fn strings(items: &[&'static str]) -> Value {
    Value::Array(Array::String(
        items.iter().map(|&item| item.into()).collect(),
    ))
}

fn in_trace(mut span: SpanData, trace: u128) -> SpanData {
    span.span_context = SpanContext::new(
        TraceId::from(trace),
        span.span_context.span_id(),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    span
}

#[test]
fn children_arriving_before_their_parent_across_batches_form_one_tree() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    export(
        &exporter,
        vec![span(4, 2, "leaf", 2, 3), span(2, 1, "first", 1, 4)],
    );
    assert_eq!(output.take(), "");

    export(
        &exporter,
        vec![span(3, 1, "second", 5, 6), span(1, 0, "root", 0, 10)],
    );
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
         └─ root  internal  10.00 ms\n   \
            ├─ first  internal  3.00 ms\n   \
            │  └─ leaf  internal  1.00 ms\n   \
            └─ second  internal  1.00 ms\n\
         \n"
    );

    exporter.force_flush().unwrap();
    assert_eq!(output.take(), "", "the trace left the buffer");
}

#[test]
fn siblings_are_sorted_by_start_time() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    export(
        &exporter,
        vec![
            span(3, 1, "late", 5, 6),
            span(2, 1, "early", 1, 2),
            span(1, 0, "root", 0, 10),
        ],
    );
    let text = output.take();
    assert!(
        text.find("early").unwrap() < text.find("late").unwrap(),
        "{text}"
    );
}

#[test]
fn a_remote_parent_makes_a_local_root() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let mut server = span(1, 99, "handle", 0, 2);
    server.parent_span_is_remote = true;
    server.span_kind = SpanKind::Server;
    export(&exporter, vec![span(2, 1, "work", 0, 1), server]);
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
         └─ handle  server  2.00 ms\n   \
            └─ work  internal  1.00 ms\n\
         \n"
    );
}

#[test]
fn a_root_takes_only_its_own_subtree() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    export(
        &exporter,
        vec![
            span(2, 1, "mine", 0, 1),
            span(12, 11, "other", 0, 1),
            span(1, 0, "root", 0, 2),
        ],
    );
    assert!(!output.take().contains("other"));
    exporter.force_flush().unwrap();
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n└─ other  internal  1.00 ms\n\n"
    );
}

#[test]
fn colliding_span_ids_cannot_loop() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    export(
        &exporter,
        vec![
            span(2, 1, "child", 1, 2),
            span(1, 2, "clash", 1, 2),
            span(1, 0, "root", 0, 3),
        ],
    );
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
         └─ root  internal  3.00 ms\n   \
            └─ child  internal  1.00 ms\n      \
               └─ clash  internal  1.00 ms\n\
         \n"
    );
}

#[test]
fn deep_traces_render_fully() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let mut chain: Vec<SpanData> = (2..=1000)
        .rev()
        .map(|id| span(id, id - 1, "step", 0, 1))
        .collect();
    chain.push(span(1, 0, "root", 0, 1));
    export(&exporter, chain);
    let text = output.take();
    assert_eq!(text.lines().count(), 1002);
    assert!(text.ends_with(&format!(
        "{}└─ step  internal  1.00 ms\n\n",
        "   ".repeat(999)
    )));
}

#[test]
fn force_flush_prints_orphans_as_tops() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    export(
        &exporter,
        vec![
            span(3, 2, "grandchild", 2, 3),
            span(2, 1, "child", 1, 4),
            span(5, 9, "stray", 0, 1),
            in_trace(span(7, 8, "elsewhere", 0, 1), OTHER_TRACE),
        ],
    );
    assert_eq!(output.take(), "");

    exporter.force_flush().unwrap();
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
         ├─ stray  internal  1.00 ms\n\
         └─ child  internal  3.00 ms\n   \
            └─ grandchild  internal  1.00 ms\n\
         \n\
         trace 0af7651916cd43dd8448eb211c80319c\n\
         └─ elsewhere  internal  1.00 ms\n\
         \n"
    );
    exporter.force_flush().unwrap();
    assert_eq!(output.take(), "");
}

#[test]
fn shutdown_flushes_and_refuses_later_exports() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    export(&exporter, vec![span(2, 1, "child", 0, 1)]);
    exporter.shutdown().unwrap();
    assert!(output.take().contains("└─ child"));
    assert!(matches!(
        block_on(exporter.export(vec![span(1, 0, "root", 0, 1)])),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    assert_eq!(output.take(), "");
}

#[test]
fn oldest_traces_are_printed_when_the_buffer_overflows() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let old: Vec<SpanData> = (1..=4000)
        .map(|id| in_trace(span(id, 99_999, "old", 0, 1), OTHER_TRACE))
        .collect();
    export(&exporter, old);
    let newer: Vec<SpanData> = (10_001..=10_096)
        .map(|id| span(id, 99_999, "newer", 0, 1))
        .collect();
    export(&exporter, newer);
    assert_eq!(output.take(), "", "4096 spans still fit");

    export(
        &exporter,
        vec![in_trace(span(20_000, 99_999, "newest", 0, 1), 7)],
    );
    let text = output.take();
    assert!(
        text.starts_with("trace 0af7651916cd43dd8448eb211c80319c\n"),
        "{text}"
    );
    assert_eq!(text.matches("─ old").count(), 4000);
    assert!(!text.contains("newer"));

    exporter.force_flush().unwrap();
    let text = output.take();
    assert_eq!(text.matches("─ newer").count(), 96);
    assert_eq!(text.matches("─ newest").count(), 1);
    assert!(
        text.find("newer").unwrap() < text.find("newest").unwrap(),
        "oldest first"
    );
}

#[test]
fn headline_shows_ok_and_error_status() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let mut ok = span(2, 1, "chat gpt-4o", 0, 3);
    ok.span_kind = SpanKind::Client;
    ok.status = Status::Ok;
    let mut failed = span(3, 1, "chat gpt-4o", 4, 6);
    failed.span_kind = SpanKind::Client;
    failed.status = Status::error("rate limited");
    failed.attributes = vec![
        KeyValue::new("error.type", "my_app::ApiError"),
        KeyValue::new("gen_ai.provider.name", "openai"),
    ];
    let mut bare_error = span(4, 1, "tool", 7, 8);
    bare_error.status = Status::error("");
    export(
        &exporter,
        vec![ok, failed, bare_error, span(1, 0, "root", 0, 9)],
    );
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
         └─ root  internal  9.00 ms\n   \
            ├─ chat gpt-4o  client  3.00 ms  ok\n   \
            ├─ chat gpt-4o  client  2.00 ms  ERROR error.type=my_app::ApiError \"rate limited\"\n   \
            │  gen_ai.provider.name=openai\n   \
            └─ tool  internal  1.00 ms  ERROR\n\
         \n"
    );
}

#[test]
fn attributes_shown_in_the_name_are_left_out() {
    let mut chat = span(1, 0, "chat gpt-4o", 0, 1);
    chat.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.request.model", "gpt-4o"),
        KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"),
        KeyValue::new("gen_ai.provider.name", "openai"),
    ];
    assert_eq!(
        attribute_pairs(&chat),
        [
            "gen_ai.response.model=gpt-4o-2024-08-06",
            "gen_ai.provider.name=openai"
        ]
    );
    // A span named otherwise keeps them.
    chat.name = "custom".into();
    assert_eq!(attribute_pairs(&chat).len(), 4);
}

#[test]
fn error_type_stays_on_attribute_lines_without_error_status() {
    let mut root = span(1, 0, "root", 0, 1);
    root.attributes = vec![KeyValue::new("error.type", "timeout")];
    assert_eq!(attribute_pairs(&root), ["error.type=timeout"]);
}

#[test]
fn attributes_are_ordered_gen_ai_then_server_then_rest() {
    let mut root = span(1, 0, "root", 0, 1);
    root.attributes = vec![
        KeyValue::new("app.user", "u1"),
        KeyValue::new("server.address", "api.openai.com"),
        KeyValue::new("gen_ai.request.model", "gpt-4o"),
        KeyValue::new("server.port", 443),
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
    ];
    assert_eq!(
        attribute_pairs(&root),
        [
            "gen_ai.operation.name=chat",
            "gen_ai.request.model=gpt-4o",
            "gen_ai.provider.name=openai",
            "server.address=api.openai.com",
            "server.port=443",
            "app.user=u1",
        ]
    );
}

#[test]
fn values_are_formatted_for_reading() {
    let long = "x".repeat(61);
    let cases = [
        (Value::from("gpt-4o"), "gpt-4o".to_owned()),
        (Value::from("two words"), "\"two words\"".to_owned()),
        (Value::from("line\nbreak"), "\"line\\nbreak\"".to_owned()),
        (Value::from(""), "\"\"".to_owned()),
        (Value::from(long), format!("{}…", "x".repeat(60))),
        (Value::from(0.2), "0.2".to_owned()),
        (Value::from(42_i64), "42".to_owned()),
        (Value::from(true), "true".to_owned()),
        (Value::Array(vec![1_i64, 2].into()), "[1, 2]".to_owned()),
        (
            strings(&["stop", "length cap"]),
            "[stop, \"length cap\"]".to_owned(),
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(format_value(&value), expected);
    }
}

#[test]
fn message_content_gets_lines_of_its_own_after_the_other_attributes() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let mut root = span(1, 0, "chat m", 0, 1);
    root.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new(
            "gen_ai.output.messages",
            r#"[{"role":"assistant","parts":[{"type":"text","content":"Rainy."}]}]"#,
        ),
        KeyValue::new("gen_ai.usage.input_tokens", 12_i64),
        KeyValue::new(
            "gen_ai.input.messages",
            "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"a\nb\"}]}]",
        ),
        KeyValue::new("gen_ai.tool.call.arguments", "x".repeat(300)),
    ];
    export(&exporter, vec![root]);
    let text = output.take();
    assert_eq!(
        text,
        format!(
            "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
             └─ chat m  internal  1.00 ms\n   \
                gen_ai.usage.input_tokens=12\n   \
                gen_ai.input.messages=[{{\"role\":\"user\",\"parts\":[{{\"type\":\"text\",\"content\":\"a\\nb\"}}]}}]\n   \
                gen_ai.tool.call.arguments={}…\n   \
                gen_ai.output.messages=[{{\"role\":\"assistant\",\"parts\":[{{\"type\":\"text\",\"content\":\"Rainy.\"}}]}}]\n\
             \n",
            // Two widths of 97 columns, less the key.
            "x".repeat(2 * 97 - "gen_ai.tool.call.arguments=".len()),
        )
    );
}

#[test]
fn attribute_lines_wrap_at_100_columns_and_count_the_rest() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let mut root = span(1, 0, "root", 0, 1);
    root.attributes = (0..14)
        .map(|index| KeyValue::new(format!("attribute.number.{index:02}"), "value-value"))
        .collect();
    export(&exporter, vec![root]);
    let text = output.take();
    let pair = |index: usize| format!("attribute.number.{index:02}=value-value");
    let pairs = |range: std::ops::Range<usize>| range.map(pair).collect::<Vec<_>>().join("  ");
    // Each pair is 31 columns: three fill the 97 columns beside the prefix.
    assert_eq!(
        text,
        format!(
            "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
             └─ root  internal  1.00 ms\n   \
                {}\n   \
                {}\n   \
                {}\n   \
                {}  … +3 more\n\
             \n",
            pairs(0..3),
            pairs(3..6),
            pairs(6..9),
            pairs(9..11),
        )
    );
    assert!(text.lines().all(|line| line.chars().count() <= LINE_WIDTH));
}

#[test]
fn wrapping_keeps_everything_when_it_fits_in_two_lines() {
    let pairs: Vec<String> = ["a=1", "b=2", "c=3"].map(String::from).into();
    assert_eq!(wrap_pairs(&pairs, 8, 2), ["a=1  b=2", "c=3"]);
    assert_eq!(wrap_pairs(&pairs, 3, 2), ["a=1", "… +2 more"]);
    assert_eq!(wrap_pairs(&pairs, 100, 2), ["a=1  b=2  c=3"]);
    assert_eq!(wrap_pairs(&[], 100, 2), Vec::<String>::new());
    let wide = vec!["k=".repeat(30), "b=2".to_owned()];
    assert_eq!(wrap_pairs(&wide, 10, 2), [wide[0].clone(), wide[1].clone()]);
}

#[test]
fn events_get_a_line_each() {
    let (exporter, output) = exporter(ConsoleFormat::Tree);
    let mut child = span(2, 1, "tool", 0, 1);
    child.events.events = vec![
        Event::new("retry", at_ms(0), vec![KeyValue::new("attempt", 2)], 0),
        Event::new("done", at_ms(1), Vec::new(), 0),
    ];
    export(&exporter, vec![child, span(1, 0, "root", 0, 2)]);
    assert_eq!(
        output.take(),
        "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
         └─ root  internal  2.00 ms\n   \
            └─ tool  internal  1.00 ms\n      \
               • retry  attempt=2\n      \
               • done\n\
         \n"
    );
}

#[test]
fn the_service_name_comes_from_the_resource() {
    let (mut exporter, output) = exporter(ConsoleFormat::Tree);
    exporter.set_resource(
        &Resource::builder_empty()
            .with_service_name("agent-demo")
            .build(),
    );
    export(&exporter, vec![span(1, 0, "root", 0, 1)]);
    assert!(
        output
            .take()
            .starts_with("trace 4bf92f3577b34da6a3ce929d0e0e4736 (service: agent-demo)\n└─ root")
    );
}

#[test]
fn durations_read_naturally() {
    assert_eq!(format_duration(Duration::from_nanos(640)), "640 ns");
    assert_eq!(format_duration(Duration::from_micros(850)), "850 µs");
    assert_eq!(format_duration(Duration::from_micros(12_310)), "12.31 ms");
    assert_eq!(format_duration(Duration::from_millis(1_200)), "1.20 s");
}

#[test]
fn json_lines_are_typed_and_printed_at_once() {
    let (mut exporter, output) = exporter(ConsoleFormat::JsonLines);
    exporter.set_resource(
        &Resource::builder_empty()
            .with_service_name("agent-demo")
            .build(),
    );
    let mut child = span(2, 1, "chat gpt-4o", 1, 2);
    child.span_kind = SpanKind::Client;
    child.status = Status::error("boom");
    child.attributes = vec![
        KeyValue::new("gen_ai.request.model", "gpt-4o"),
        KeyValue::new("gen_ai.usage.input_tokens", 42),
        KeyValue::new("gen_ai.request.temperature", 0.5),
        KeyValue::new("stream", true),
        KeyValue::new("weird", f64::NAN),
        KeyValue::new("gen_ai.response.finish_reasons", strings(&["stop"])),
    ];
    child.events.events = vec![Event::new(
        "retry",
        at_ms(1),
        vec![KeyValue::new("attempt", 2)],
        0,
    )];
    export(&exporter, vec![child, span(1, 0, "root", 0, 3)]);

    let text = output.take();
    let lines: Vec<Json> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        text.starts_with(r#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"#),
        "fields keep their reading order: {text}"
    );
    let child = &lines[0];
    assert_eq!(child["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(child["span_id"], "0000000000000002");
    assert_eq!(child["parent_span_id"], "0000000000000001");
    assert_eq!(child["name"], "chat gpt-4o");
    assert_eq!(child["kind"], "client");
    assert_eq!(child["start_time_unix_nano"], 1_700_000_000_001_000_000_u64);
    assert_eq!(child["end_time_unix_nano"], 1_700_000_000_002_000_000_u64);
    assert_eq!(child["duration_ms"], 1.0);
    assert_eq!(
        child["status"],
        json!({ "code": "error", "description": "boom" })
    );
    assert_eq!(
        child["attributes"],
        json!({
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 42,
            "gen_ai.request.temperature": 0.5,
            "stream": true,
            "weird": "NaN",
            "gen_ai.response.finish_reasons": ["stop"],
        })
    );
    assert!(child["attributes"]["gen_ai.usage.input_tokens"].is_i64());
    assert_eq!(
        child["events"],
        json!([{
            "name": "retry",
            "time_unix_nano": 1_700_000_000_001_000_000_u64,
            "attributes": { "attempt": 2 },
        }])
    );
    assert_eq!(child["service"], "agent-demo");
    assert_eq!(child["scope"], "test-scope");

    let root = &lines[1];
    assert!(root.get("parent_span_id").is_none());
    assert_eq!(root["status"], json!({ "code": "unset" }));
}
