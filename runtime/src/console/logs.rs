//! The console log exporter: one line per log record (event), for people or as JSON.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;

use opentelemetry::logs::AnyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLogRecord};
use serde_json::Value as Json;

use crate::config::ConsoleFormat;

/// Prints log records (GenAI events) on stdout, or to any writer.
///
/// `Tree` format: `• event.name  trace=…  span=…  key=value …`; `JsonLines`: one JSON
/// object per record and line. Write errors are ignored.
pub struct ConsoleLogExporter {
    format: ConsoleFormat,
    writer: Mutex<Box<dyn Write + Send>>,
    /// Records wait to be printed under their span by the console span exporter.
    bridged: bool,
}

impl std::fmt::Debug for ConsoleLogExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleLogExporter")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl ConsoleLogExporter {
    /// Prints on stdout.
    #[must_use]
    pub fn new(format: ConsoleFormat) -> Self {
        Self::with_writer(format, super::Stdout)
    }

    /// Prints to `writer`.
    #[must_use]
    pub fn with_writer<W: Write + Send + 'static>(format: ConsoleFormat, writer: W) -> Self {
        ConsoleLogExporter {
            format,
            writer: Mutex::new(Box::new(writer)),
            bridged: false,
        }
    }

    /// Lets records wait for their span, to be printed under it in the tree (the console
    /// destination installs both exporters this way).
    pub(crate) fn bridged(mut self) -> Self {
        self.bridged = self.format == ConsoleFormat::Tree;
        self
    }

    /// The text to print now for `record` (empty when it waits for its span).
    fn render(&self, record: &SdkLogRecord) -> String {
        match (self.format, record.trace_context()) {
            (ConsoleFormat::JsonLines, _) => json_line(record),
            (_, Some(context)) if self.bridged => super::bridge::offer(
                context.trace_id,
                context.span_id,
                tree_line(record),
                text_line(record).trim_end().to_owned(),
            )
            .map(|mut line| {
                line.push('\n');
                line
            })
            .unwrap_or_default(),
            _ => text_line(record),
        }
    }

    fn write(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writer.write_all(text.as_bytes());
        let _ = writer.flush();
    }
}

/// `• event.name  key=value …`, for a line under the record's span in the tree.
fn tree_line(record: &SdkLogRecord) -> String {
    let mut line = String::from("• ");
    line.push_str(record.event_name().unwrap_or("log"));
    for (key, value) in record.attributes_iter() {
        let _ = write!(line, "  {key}={}", any_text(value));
    }
    if let Some(body) = record.body() {
        let _ = write!(line, "  body={}", any_text(body));
    }
    line
}

fn text_line(record: &SdkLogRecord) -> String {
    let mut line = String::from("• ");
    line.push_str(record.event_name().unwrap_or("log"));
    if let Some(context) = record.trace_context() {
        let _ = write!(
            line,
            "  trace={}  span={}",
            context.trace_id, context.span_id
        );
    }
    for (key, value) in record.attributes_iter() {
        let _ = write!(line, "  {key}={}", any_text(value));
    }
    if let Some(body) = record.body() {
        let _ = write!(line, "  body={}", any_text(body));
    }
    line.push('\n');
    line
}

fn any_text(value: &AnyValue) -> String {
    crate::genai::content::json_from_any(value).to_string()
}

fn json_line(record: &SdkLogRecord) -> String {
    let mut object = serde_json::Map::new();
    object.insert(
        "event_name".to_owned(),
        record.event_name().map_or(Json::Null, Json::from),
    );
    if let Some(context) = record.trace_context() {
        object.insert(
            "trace_id".to_owned(),
            Json::from(context.trace_id.to_string()),
        );
        object.insert(
            "span_id".to_owned(),
            Json::from(context.span_id.to_string()),
        );
    }
    if let Some(severity) = record.severity_text() {
        object.insert("severity".to_owned(), Json::from(severity));
    }
    let attributes: serde_json::Map<String, Json> = record
        .attributes_iter()
        .map(|(key, value)| (key.to_string(), crate::genai::content::json_from_any(value)))
        .collect();
    object.insert("attributes".to_owned(), Json::Object(attributes));
    if let Some(body) = record.body() {
        object.insert(
            "body".to_owned(),
            crate::genai::content::json_from_any(body),
        );
    }
    let mut line = Json::Object(object).to_string();
    line.push('\n');
    line
}

impl LogExporter for ConsoleLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let text: String = batch
            .iter()
            .map(|(record, _)| self.render(record))
            .collect();
        self.write(&text);
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        if self.bridged {
            // Records whose span never reached the console.
            let mut text = String::new();
            for line in super::bridge::drain() {
                text.push_str(&line);
                text.push('\n');
            }
            self.write(&text);
        }
        Ok(())
    }
}
