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
use crate::global::{INSTALLED, UPLOADING, Upload, UploadContent};

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

/// The reference the live install's upload hook gives the content of `key` on span `cx`
/// (whether or not the span recorded any); `None` without a hook or for an invalid span.
#[cfg(feature = "upload")]
pub(crate) fn reference(cx: &SpanContext, key: &str) -> Option<String> {
    let upload = current()?;
    cx.is_valid()
        .then(|| format!("{}/{}", upload.base, upload.name(cx, key)))
}

impl Upload {
    /// The object name (relative to the base path) of `key`'s content on span `cx`:
    /// `{trace_id}/{span_id}/{key}.{extension}`, written without the formatting machinery
    /// (this runs on the calling thread).
    fn name(&self, cx: &SpanContext, key: &str) -> String {
        let mut name =
            String::with_capacity(32 + 1 + 16 + 1 + key.len() + 1 + self.extension.len());
        hex(&mut name, &cx.trace_id().to_bytes());
        name.push('/');
        hex(&mut name, &cx.span_id().to_bytes());
        name.push('/');
        name.push_str(key);
        name.push('.');
        name.push_str(self.extension);
        name
    }

    /// Stores `value` as the content of `key` on span `cx` (queued only when `submit`: the
    /// first span processor's call; redacted and encoded by the queue's worker, see
    /// [`encode`]); returns the reference attribute `{key}_ref`, or `None` for a span
    /// without valid ids (its content is dropped).
    pub(crate) fn store(
        &self,
        cx: &SpanContext,
        key: &str,
        value: UploadContent,
        submit: bool,
    ) -> Option<KeyValue> {
        if !cx.is_valid() {
            return None;
        }
        let name = self.name(cx, key);
        let mut reference = String::with_capacity(self.base.len() + 1 + name.len());
        reference.push_str(&self.base);
        reference.push('/');
        reference.push_str(&name);
        if submit {
            self.sink.submit(name, value);
        }
        let mut reference_key = String::with_capacity(key.len() + 4);
        reference_key.push_str(key);
        reference_key.push_str("_ref");
        Some(KeyValue::new(reference_key, reference))
    }
}

/// The bytes of an object: `content` redacted (the content boundary's redaction in force),
/// as the JSON value on one line, or with `lines` (`jsonl`) one line per item of a list,
/// each object with its position as `"index"`. Runs on the upload queue's worker.
#[cfg(feature = "upload")]
pub(crate) fn encode(content: UploadContent, lines: bool) -> Vec<u8> {
    let mut value = match content {
        UploadContent::Json(value) => value,
        UploadContent::Text(text) => json_text(text),
    };
    if let Some(redaction) = crate::genai::redact::current() {
        boundary::redact_json(&redaction, &mut value);
    }
    // Most content is a few KiB: grown rarely.
    let mut body = Vec::with_capacity(4096);
    match value {
        Json::Array(items) if lines => {
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

/// The estimated bytes of `content` once encoded, for the queue's byte budget.
#[cfg(feature = "upload")]
pub(crate) fn weight(content: &UploadContent) -> usize {
    match content {
        UploadContent::Json(value) => crate::genai::content::truncate::json_length(value),
        UploadContent::Text(text) => text.len(),
    }
}

/// `bytes` in lower-case hex, as trace and span ids are written.
fn hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

#[cfg(feature = "upload")]
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
    attributes.retain_mut(|kv| {
        if boundary::kind(kv.key.as_str()) != Kind::Content {
            return true;
        }
        let value = std::mem::replace(&mut kv.value, Value::Bool(false));
        match upload.store(cx, kv.key.as_str(), content(value), submit) {
            Some(reference) => {
                *kv = reference;
                true
            }
            None => false,
        }
    });
}

/// A content attribute's value, as it goes to the store (parsed there).
fn content(value: Value) -> UploadContent {
    match value {
        Value::String(text) => UploadContent::Text(text.into()),
        Value::Array(opentelemetry::Array::String(items)) => UploadContent::Json(Json::Array(
            items
                .into_iter()
                .map(|item| Json::String(item.into()))
                .collect(),
        )),
        Value::Bool(flag) => UploadContent::Json(Json::Bool(flag)),
        Value::I64(number) => UploadContent::Json(Json::from(number)),
        Value::F64(number) => UploadContent::Json(Json::from(number)),
        other => UploadContent::Text(other.to_string()),
    }
}

/// Text as JSON: JSON text (the conventions' structured content on spans) parsed, other
/// text as a string.
#[cfg(feature = "upload")]
fn json_text(text: String) -> Json {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(parsed) = serde_json::from_str::<Json>(&text)
    {
        return parsed;
    }
    Json::String(text)
}

#[cfg(all(test, feature = "upload"))]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::global::UploadSink;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};
    use std::sync::Mutex;

    /// A sink that encodes at once, as the queue's worker would.
    #[derive(Debug, Default)]
    struct Kept(Mutex<Vec<(String, Vec<u8>)>>, bool);

    impl UploadSink for Kept {
        fn submit(&self, name: String, content: UploadContent) {
            self.0.lock().unwrap().push((name, encode(content, self.1)));
        }
    }

    fn upload(lines: bool) -> (Upload, Arc<Kept>) {
        let kept = Arc::new(Kept(Mutex::default(), lines));
        let upload = Upload {
            base: "file:///store".to_owned(),
            extension: if lines { "jsonl" } else { "json" },
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
