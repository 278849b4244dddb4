//! Whether message content (prompts, completions, tool arguments and results) may be
//! recorded. **Off by default**: content often holds personal data.
//!
//! Precedence, highest first:
//! [`TelemetryBuilder::with_content_capture`](crate::TelemetryBuilder::with_content_capture),
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`,
//! `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`, then [`ContentCapture::NoContent`].

use std::sync::atomic::{AtomicU8, Ordering};

/// Where message content may be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ContentCapture {
    /// Record no content (the default).
    #[default]
    NoContent,
    /// Content as span attributes (`gen_ai.input.messages`, …), as JSON strings.
    SpanOnly,
    /// Content in the `gen_ai.client.inference.operation.details` log event only.
    EventOnly,
    /// Both.
    SpanAndEvent,
}

impl ContentCapture {
    /// Parses `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: `NO_CONTENT`,
    /// `SPAN_ONLY`, `EVENT_ONLY`, `SPAN_AND_EVENT` (any case), and for compatibility
    /// `true`/`1` (both) and `false`/`0` (none). `None` for anything else.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let is = |name: &str| value.eq_ignore_ascii_case(name);
        if is("NO_CONTENT") || is("false") || is("0") {
            Some(ContentCapture::NoContent)
        } else if is("SPAN_ONLY") {
            Some(ContentCapture::SpanOnly)
        } else if is("EVENT_ONLY") {
            Some(ContentCapture::EventOnly)
        } else if is("SPAN_AND_EVENT") || is("true") || is("1") {
            Some(ContentCapture::SpanAndEvent)
        } else {
            None
        }
    }

    /// Whether content goes on spans.
    #[must_use]
    pub const fn on_spans(self) -> bool {
        matches!(
            self,
            ContentCapture::SpanOnly | ContentCapture::SpanAndEvent
        )
    }

    /// Whether content goes in log events.
    #[must_use]
    pub const fn in_events(self) -> bool {
        matches!(
            self,
            ContentCapture::EventOnly | ContentCapture::SpanAndEvent
        )
    }

    const fn to_u8(self) -> u8 {
        match self {
            ContentCapture::NoContent => 0,
            ContentCapture::SpanOnly => 1,
            ContentCapture::EventOnly => 2,
            ContentCapture::SpanAndEvent => 3,
        }
    }

    const fn from_u8(value: u8) -> Self {
        match value {
            1 => ContentCapture::SpanOnly,
            2 => ContentCapture::EventOnly,
            3 => ContentCapture::SpanAndEvent,
            _ => ContentCapture::NoContent,
        }
    }
}

static CAPTURE: AtomicU8 = AtomicU8::new(0);

/// The content capture policy in force (set at install; [`ContentCapture::NoContent`]
/// before).
#[must_use]
pub fn content_capture() -> ContentCapture {
    ContentCapture::from_u8(CAPTURE.load(Ordering::Relaxed))
}

pub(crate) fn set_content_capture(capture: ContentCapture) {
    CAPTURE.store(capture.to_u8(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_spelling() {
        for (value, expected) in [
            ("NO_CONTENT", ContentCapture::NoContent),
            ("span_only", ContentCapture::SpanOnly),
            ("Event_Only", ContentCapture::EventOnly),
            ("SPAN_AND_EVENT", ContentCapture::SpanAndEvent),
            ("TRUE", ContentCapture::SpanAndEvent),
            ("1", ContentCapture::SpanAndEvent),
            ("false", ContentCapture::NoContent),
            ("0", ContentCapture::NoContent),
        ] {
            assert_eq!(ContentCapture::parse(value), Some(expected), "{value}");
        }
        assert_eq!(ContentCapture::parse("everything"), None);
        assert!(
            ContentCapture::SpanAndEvent.on_spans() && ContentCapture::SpanAndEvent.in_events()
        );
        assert!(!ContentCapture::EventOnly.on_spans() && !ContentCapture::NoContent.in_events());
    }
}
