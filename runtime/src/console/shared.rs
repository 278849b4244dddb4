//! One console tree across processes: child processes ([`child_env`](super::child_env))
//! write their spans as JSON lines to a file of this process's console, which reads them
//! back before it prints, so a tool server's spans nest under the client span that called
//! it.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Event, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use serde_json::Value as Json;

/// The file the children of this process write to, while a console tree takes it.
static PATH: Mutex<Option<PathBuf>> = Mutex::new(None);
/// Numbers the files of one process (a test suite installs telemetry many times).
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The shared file's path, if a console tree reads one.
pub(super) fn path() -> Option<PathBuf> {
    PATH.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// What one console tree reads from its children.
#[derive(Debug)]
pub(super) struct Input {
    path: PathBuf,
    /// Bytes read so far.
    offset: u64,
    /// A line not yet ended.
    partial: String,
}

impl Input {
    /// Offers a file to children ([`child_env`](super::child_env)). The first child that
    /// writes creates it, so a process without children leaves nothing behind.
    pub(super) fn create() -> Self {
        let path = std::env::temp_dir().join(format!(
            "trace-genai-console-{}-{}.jsonl",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        *PATH.lock().unwrap_or_else(PoisonError::into_inner) = Some(path.clone());
        Input {
            path,
            offset: 0,
            partial: String::new(),
        }
    }

    /// The spans written since the last call, and the other lines (the children's metric
    /// lines), to print as they are.
    pub(super) fn read(&mut self) -> (Vec<SpanData>, String) {
        let mut text = String::new();
        let read = File::open(&self.path).and_then(|mut file| {
            file.seek(SeekFrom::Start(self.offset))?;
            file.read_to_string(&mut text)
        });
        let Ok(read) = read else {
            return (Vec::new(), String::new());
        };
        self.offset += read as u64;
        let text = std::mem::take(&mut self.partial) + &text;
        let (complete, rest) = text.rsplit_once('\n').unwrap_or(("", &text));
        rest.clone_into(&mut self.partial);
        let mut spans = Vec::new();
        let mut other = String::new();
        for line in complete.lines().filter(|line| !line.trim().is_empty()) {
            if let Some(span) = serde_json::from_str::<Json>(line)
                .ok()
                .and_then(|json| span(&json))
            {
                spans.push(span);
            } else {
                other.push_str(line);
                other.push('\n');
            }
        }
        (spans, other)
    }

    /// Stops offering the file, and removes it if a child wrote it.
    pub(super) fn close(&self) {
        let mut path = PATH.lock().unwrap_or_else(PoisonError::into_inner);
        if path.as_ref() == Some(&self.path) {
            *path = None;
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A span from its JSON line (the console's own format); none for another line.
fn span(json: &Json) -> Option<SpanData> {
    let trace_id = TraceId::from_hex(json.get("trace_id")?.as_str()?).ok()?;
    let span_id = SpanId::from_hex(json.get("span_id")?.as_str()?).ok()?;
    let parent_span_id = json
        .get("parent_span_id")
        .and_then(Json::as_str)
        .and_then(|id| SpanId::from_hex(id).ok())
        .unwrap_or(SpanId::INVALID);
    let span_kind = match json.get("kind")?.as_str()? {
        "client" => SpanKind::Client,
        "server" => SpanKind::Server,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        _ => SpanKind::Internal,
    };
    let time = |key: &str| {
        json.get(key)
            .and_then(Json::as_u64)
            .map(|nanos| SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos))
    };
    let status = match json.pointer("/status/code").and_then(Json::as_str) {
        Some("ok") => Status::Ok,
        Some("error") => Status::error(
            json.pointer("/status/description")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => Status::Unset,
    };
    let mut events = SpanEvents::default();
    events.events = json
        .get("events")
        .and_then(Json::as_array)
        .map(|events| {
            events
                .iter()
                .map(|event| {
                    Event::new(
                        event
                            .get("name")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        event
                            .get("time_unix_nano")
                            .and_then(Json::as_u64)
                            .map_or(SystemTime::UNIX_EPOCH, |nanos| {
                                SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
                            }),
                        attributes(event.get("attributes")),
                        0,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SpanData {
        span_context: SpanContext::new(
            trace_id,
            span_id,
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id,
        // Its parent is in this tree now.
        parent_span_is_remote: false,
        span_kind,
        name: Cow::Owned(json.get("name")?.as_str()?.to_owned()),
        start_time: time("start_time_unix_nano")?,
        end_time: time("end_time_unix_nano")?,
        attributes: attributes(json.get("attributes")),
        dropped_attributes_count: 0,
        events,
        links: SpanLinks::default(),
        status,
        instrumentation_scope: InstrumentationScope::builder(
            json.get("scope")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
        )
        .build(),
    })
}

/// Attributes from their JSON object: strings, integers, doubles, booleans and lists of
/// one of them, as the console wrote them.
fn attributes(json: Option<&Json>) -> Vec<KeyValue> {
    let Some(object) = json.and_then(Json::as_object) else {
        return Vec::new();
    };
    object
        .iter()
        .map(|(key, value)| KeyValue::new(key.clone(), attribute(value)))
        .collect()
}

fn attribute(json: &Json) -> Value {
    match json {
        Json::Bool(flag) => Value::Bool(*flag),
        Json::Number(number) => number
            .as_i64()
            .map(Value::I64)
            .or_else(|| number.as_f64().map(Value::F64))
            .unwrap_or_else(|| Value::from(number.to_string())),
        Json::String(text) => Value::from(text.clone()),
        Json::Array(items) => {
            if let Some(strings) = items
                .iter()
                .map(|item| item.as_str().map(|text| StringValue::from(text.to_owned())))
                .collect::<Option<Vec<_>>>()
            {
                Value::Array(Array::String(strings))
            } else if let Some(numbers) = items.iter().map(Json::as_i64).collect::<Option<Vec<_>>>()
            {
                Value::Array(Array::I64(numbers))
            } else if let Some(numbers) = items.iter().map(Json::as_f64).collect::<Option<Vec<_>>>()
            {
                Value::Array(Array::F64(numbers))
            } else if let Some(flags) = items.iter().map(Json::as_bool).collect::<Option<Vec<_>>>()
            {
                Value::Array(Array::Bool(flags))
            } else {
                Value::from(json.to_string())
            }
        }
        other => Value::from(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_line_reads_back_as_the_span_it_was() {
        let line = r#"{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","parent_span_id":"00f067aa0ba902b7","name":"tools/call get_weather","kind":"server","start_time_unix_nano":1000,"end_time_unix_nano":3000,"duration_ms":0.002,"status":{"code":"error","description":"boom"},"attributes":{"mcp.method.name":"tools/call","jsonrpc.request.id":"2","count":3,"ratio":0.5,"ok":true,"reasons":["stop"]},"events":[{"name":"exception","time_unix_nano":2000,"attributes":{"exception.type":"E"}}],"service":"weather","scope":"trace-genai"}"#;
        let span = span(&serde_json::from_str(line).unwrap()).unwrap();
        assert_eq!(
            span.span_context.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(span.parent_span_id.to_string(), "00f067aa0ba902b7");
        assert!(!span.parent_span_is_remote);
        assert_eq!(span.span_kind, SpanKind::Server);
        assert_eq!(span.name, "tools/call get_weather");
        assert_eq!(
            span.end_time.duration_since(span.start_time).unwrap(),
            Duration::from_micros(2)
        );
        assert_eq!(span.status, Status::error("boom"));
        let value = |key: &str| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.clone())
        };
        assert_eq!(value("jsonrpc.request.id"), Some(Value::from("2")));
        assert_eq!(value("count"), Some(Value::I64(3)));
        assert_eq!(value("ratio"), Some(Value::F64(0.5)));
        assert_eq!(value("ok"), Some(Value::Bool(true)));
        assert_eq!(
            value("reasons"),
            Some(Value::Array(Array::String(vec!["stop".into()])))
        );
        assert_eq!(span.events.events.len(), 1);
        assert_eq!(span.instrumentation_scope.name(), "trace-genai");
    }

    #[test]
    fn other_lines_are_not_spans() {
        for line in [
            r#"{"trace_id":"0af7651916cd43dd8448eb211c80319c","body":"a log"}"#,
            r#"{"span_id":"nothex","trace_id":"x","kind":"client"}"#,
            "[1,2]",
        ] {
            assert!(
                span(&serde_json::from_str(line).unwrap()).is_none(),
                "{line}"
            );
        }
    }
}
