//! The upload hook at the content boundary: content attributes leave the span for the
//! store, and the span keeps a reference to them.
//!
//! With an upload hook installed, every content attribute `K` (the keys the boundary's
//! table calls content: `gen_ai.input.messages`, `gen_ai.output.messages`,
//! `gen_ai.system_instructions`, `gen_ai.tool.definitions`, tool arguments and results, …)
//! of a span is written, redacted and whole (no content budget: the store has no span's
//! limits), to `{base}/{trace_id}/{span_id}/{K}.{json|jsonl}`, and the span carries
//! `K_ref` (`gen_ai.input.messages_ref`, …) with that URI instead. Error text and
//! third-party text are judged as with content off: they have no place in the store.
//!
//! Names are made of the span's ids, so every span processor replaces the same attribute
//! by the same reference; only the first one queues the upload.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use opentelemetry::trace::SpanContext;
use opentelemetry::{KeyValue, Value};
use serde_json::Value as Json;

use crate::genai::boundary::{self, Kind};
use crate::global::{INSTALLED, UPLOADING, Upload};

/// The live install's upload hook, if it has one.
#[inline]
pub(crate) fn current() -> Option<Arc<Upload>> {
    if !UPLOADING.load(Ordering::Relaxed) {
        return None;
    }
    current_slow()
}

#[cold]
fn current_slow() -> Option<Arc<Upload>> {
    INSTALLED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()?
        .upload
        .clone()
}

/// Whether content goes to a store rather than on telemetry.
#[inline]
pub(crate) fn active() -> bool {
    UPLOADING.load(Ordering::Relaxed)
}

impl Upload {
    /// The object name (relative to the base path) of `key`'s content on span `cx`.
    fn name(&self, cx: &SpanContext, key: &str) -> String {
        format!(
            "{}/{}/{key}.{}",
            cx.trace_id(),
            cx.span_id(),
            self.extension
        )
    }

    /// Stores `value`, redacted, as the content of `key` on span `cx` (queued only when
    /// `submit`: the first span processor's call); returns the reference attribute
    /// `{key}_ref`, or `None` for a span without valid ids (its content is dropped).
    pub(crate) fn store(
        &self,
        cx: &SpanContext,
        key: &str,
        mut value: Json,
        submit: bool,
    ) -> Option<KeyValue> {
        if !cx.is_valid() {
            return None;
        }
        let name = self.name(cx, key);
        let reference = format!("{}/{name}", self.base);
        if submit {
            if let Some(redaction) = crate::genai::redact::current() {
                boundary::redact_json(&redaction, &mut value);
            }
            self.sink.submit(name, self.body(value));
        }
        Some(KeyValue::new(format!("{key}_ref"), reference))
    }

    /// The object's bytes: the JSON value on one line, or (`jsonl`) one line per item of
    /// a list, each object with its position as `"index"`.
    fn body(&self, value: Json) -> Vec<u8> {
        let mut body = Vec::new();
        match value {
            Json::Array(items) if self.lines => {
                for (index, mut item) in items.into_iter().enumerate() {
                    if let Json::Object(members) = &mut item {
                        members.insert("index".to_owned(), Json::from(index));
                    }
                    line(&mut body, &item);
                }
            }
            value => line(&mut body, &value),
        }
        body
    }
}

fn line(body: &mut Vec<u8>, value: &Json) {
    if serde_json::to_writer(&mut *body, value).is_ok() {
        body.push(b'\n');
    }
}

/// Content attributes become references: each is stored (see [`Upload::store`]) and
/// replaced by `{key}_ref`; the rest stay as they are.
pub(crate) fn divert(
    upload: &Upload,
    attributes: &mut Vec<KeyValue>,
    cx: &SpanContext,
    submit: bool,
) {
    if !attributes
        .iter()
        .any(|kv| boundary::kind(kv.key.as_str()) == Kind::Content)
    {
        return;
    }
    attributes.retain_mut(|kv| {
        if boundary::kind(kv.key.as_str()) != Kind::Content {
            return true;
        }
        let value = std::mem::replace(&mut kv.value, Value::Bool(false));
        match upload.store(cx, kv.key.as_str(), json(value), submit) {
            Some(reference) => {
                *kv = reference;
                true
            }
            None => false,
        }
    });
}

/// A content attribute's value as JSON: JSON text (the conventions' structured content
/// on spans) parsed, other text as a string.
fn json(value: Value) -> Json {
    match value {
        Value::String(text) => {
            let text = text.as_str();
            let trimmed = text.trim_start();
            if (trimmed.starts_with('[') || trimmed.starts_with('{'))
                && let Ok(parsed) = serde_json::from_str::<Json>(text)
            {
                return parsed;
            }
            Json::String(text.to_owned())
        }
        Value::Array(opentelemetry::Array::String(items)) => Json::Array(
            items
                .into_iter()
                .map(|item| Json::String(item.as_str().to_owned()))
                .collect(),
        ),
        Value::Bool(flag) => Json::Bool(flag),
        Value::I64(number) => Json::from(number),
        Value::F64(number) => Json::from(number),
        other => Json::String(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::global::UploadSink;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Kept(Mutex<Vec<(String, Vec<u8>)>>);

    impl UploadSink for Kept {
        fn submit(&self, name: String, body: Vec<u8>) {
            self.0.lock().unwrap().push((name, body));
        }
    }

    fn upload(lines: bool) -> (Upload, Arc<Kept>) {
        let kept = Arc::new(Kept::default());
        let upload = Upload {
            base: "file:///store".to_owned(),
            extension: if lines { "jsonl" } else { "json" },
            lines,
            sink: Arc::clone(&kept) as Arc<dyn UploadSink>,
        };
        (upload, kept)
    }

    fn cx() -> SpanContext {
        SpanContext::new(
            TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
            SpanId::from(0xb7ad_6b71_6920_3331),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        )
    }

    #[test]
    fn content_becomes_a_reference_named_by_the_span() {
        let (upload, kept) = upload(false);
        let messages = r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#;
        let mut attributes = vec![
            KeyValue::new("gen_ai.input.messages", messages),
            KeyValue::new("gen_ai.tool.call.result", "sunny"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
        ];
        divert(&upload, &mut attributes, &cx(), true);
        assert_eq!(
            attributes,
            vec![
                KeyValue::new(
                    "gen_ai.input.messages_ref",
                    "file:///store/0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331/gen_ai.input.messages.json"
                ),
                KeyValue::new(
                    "gen_ai.tool.call.result_ref",
                    "file:///store/0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331/gen_ai.tool.call.result.json"
                ),
                KeyValue::new("gen_ai.request.model", "gpt-4o"),
            ]
        );
        let kept = kept.0.lock().unwrap();
        assert_eq!(kept.len(), 2);
        let stored = String::from_utf8_lossy(&kept[0].1);
        assert!(stored.ends_with('\n') && stored.lines().count() == 1);
        assert_eq!(
            serde_json::from_str::<Json>(&stored).unwrap(),
            serde_json::from_str::<Json>(messages).unwrap()
        );
        assert_eq!(String::from_utf8_lossy(&kept[1].1), "\"sunny\"\n");
    }

    #[test]
    fn only_the_first_processor_queues_and_lines_carry_their_index() {
        let (upload, kept) = upload(true);
        let messages = r#"[{"role":"user","parts":[]},{"role":"assistant","parts":[]}]"#;
        let mut second = vec![KeyValue::new("gen_ai.output.messages", messages)];
        divert(&upload, &mut second, &cx(), false);
        assert!(kept.0.lock().unwrap().is_empty());
        let mut first = vec![KeyValue::new("gen_ai.output.messages", messages)];
        divert(&upload, &mut first, &cx(), true);
        assert_eq!(first, second);
        let kept = kept.0.lock().unwrap();
        let text = String::from_utf8_lossy(&kept[0].1);
        let lines: Vec<Json> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            lines,
            vec![
                serde_json::json!({"role": "user", "parts": [], "index": 0}),
                serde_json::json!({"role": "assistant", "parts": [], "index": 1}),
            ]
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_span_without_ids_keeps_no_content() {
        let (upload, kept) = upload(false);
        let mut attributes = vec![KeyValue::new("gen_ai.input.messages", "[]")];
        divert(&upload, &mut attributes, &SpanContext::NONE, true);
        assert!(attributes.is_empty());
        assert!(kept.0.lock().unwrap().is_empty());
    }
}
