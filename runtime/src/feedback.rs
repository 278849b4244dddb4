//! User feedback and evaluation events, parented to the span that produced the response
//! they judge.
//!
//! - [`record_user_feedback`] / [`UserFeedback`] emit `gen_ai.evaluation.user_feedback`
//!   (the Azure AI Foundry event: `gen_ai.response.id`, `gen_ai.evaluation.score` in
//!   [-1.0, 1.0], and the body `{"comment": …}`).
//! - [`Evaluation`] emits `gen_ai.evaluation.result` (the OpenTelemetry event:
//!   `gen_ai.evaluation.name`, `gen_ai.evaluation.score.value` and/or
//!   `gen_ai.evaluation.score.label`, `gen_ai.evaluation.explanation`,
//!   `gen_ai.response.id`, `error.type`).
//!
//! # Parenting
//!
//! Both events carry the trace and span id of the span that produced the response, even
//! when the feedback arrives later, from another task, thread or request. trace-genai
//! keeps a bounded index from response id to span: every recorded span whose return value
//! reports a response id ([`GenAiResponse::response_id`](crate::GenAiResponse)) is
//! remembered. The index holds the [`RESPONSE_INDEX_CAPACITY`] most recent responses (the
//! oldest is forgotten first; an id seen again, as in a retried call, takes a new entry and
//! resolves to its newest span) and ignores ids longer than [`MAX_RESPONSE_ID_LEN`] bytes,
//! so its memory stays under about 1.3 MiB however many spans the application makes.
//!
//! When the id is not in the index (forgotten, or produced by another process), the event
//! is still emitted with `gen_ai.response.id`, so that backends can correlate it, but
//! without a parent. Across processes, store the span's W3C `traceparent` with the
//! answer ([`response_traceparent`]) and pass it back ([`UserFeedback::with_traceparent`]).
//!
//! # Free text
//!
//! A comment and an evaluator's explanation are free text that may quote the prompt or
//! the answer: they are recorded only when the content policy puts content in log events
//! (these are log events: `EVENT_ONLY` or `SPAN_AND_EVENT`), within the content budget
//! and with credentials redacted, as all content; the score, label and ids (up to 256
//! bytes) always are.
//!
//! ```
//! # fn main() -> Result<(), trace_genai::feedback::FeedbackError> {
//! use trace_genai::feedback::{Evaluation, record_user_feedback};
//!
//! // A thumbs-down on the answer `chatcmpl-123`, from the web handler that received it.
//! record_user_feedback("chatcmpl-123", -1.0, Some("wrong city"))?;
//!
//! // An evaluator's verdict on the same answer.
//! Evaluation::new("relevance")
//!     .with_score(0.2)
//!     .with_label("irrelevant")
//!     .for_response("chatcmpl-123")
//!     .record()?;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::PoisonError;

use opentelemetry::logs::AnyValue;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry::{Key, KeyValue};

use crate::global::INDEX;
pub use crate::global::{MAX_RESPONSE_ID_LEN, RESPONSE_INDEX_CAPACITY};
use crate::semconv;
pub use crate::semconv::{GEN_AI_EVALUATION_RESULT, GEN_AI_EVALUATION_USER_FEEDBACK};

/// Why a feedback or evaluation event was not emitted. Nothing is emitted on error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedbackError {
    /// A user feedback score must be a number from -1.0 (negative) to 1.0 (positive).
    #[error("the feedback score must be a number from -1.0 to 1.0 (0 is neutral), got {0}")]
    ScoreOutOfRange(f64),
    /// An evaluation score must be a finite number.
    #[error("the evaluation score must be a finite number, got {0}")]
    ScoreNotFinite(f64),
    /// The response id is empty.
    #[error(
        "the response id is empty: pass the id of the response being judged (e.g. `chatcmpl-…`)"
    )]
    EmptyResponseId,
    /// An evaluation has no name.
    #[error("the evaluation name is empty: name the evaluator, e.g. `relevance`")]
    EmptyEvaluationName,
    /// An evaluation has neither a score value nor a label.
    #[error("an evaluation needs a score value (`with_score`) or a label (`with_label`)")]
    MissingScore,
    /// A `traceparent` that is not W3C trace context.
    #[error(
        "{0:?} is not a W3C traceparent: expected `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`"
    )]
    InvalidTraceparent(String),
}

// ---- the response index -----------------------------------------------------------------

/// The span that produced `response_id`, if it is still in the index (its trace id, span
/// id and flags; the trace state is not kept).
#[must_use]
pub fn response_span_context(response_id: &str) -> Option<SpanContext> {
    if response_id.is_empty() || response_id.len() > MAX_RESPONSE_ID_LEN {
        return None;
    }
    INDEX
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(response_id)
}

/// The W3C `traceparent` of the span that produced `response_id`, to store with the answer
/// and pass back with [`UserFeedback::with_traceparent`] from another process.
#[must_use]
pub fn response_traceparent(response_id: &str) -> Option<String> {
    response_span_context(response_id).map(|span| traceparent(&span))
}

/// How many responses the index holds now (at most [`RESPONSE_INDEX_CAPACITY`]): a test
/// hook, reached through `__private`.
#[must_use]
pub(crate) fn indexed_responses() -> usize {
    INDEX.lock().unwrap_or_else(PoisonError::into_inner).len()
}

/// The W3C `traceparent` header value of `span` (for a whole context in HTTP headers, see
/// [`propagation`](crate::propagation)).
#[must_use]
pub(crate) fn traceparent(span: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        span.trace_id(),
        span.span_id(),
        span.trace_flags().to_u8()
    )
}

/// Parses a W3C `traceparent` (version `00`) into a remote span context.
///
/// # Errors
///
/// [`FeedbackError::InvalidTraceparent`] when the value is not one.
pub(crate) fn parse_traceparent(value: &str) -> Result<SpanContext, FeedbackError> {
    let invalid = || FeedbackError::InvalidTraceparent(value.to_owned());
    let mut fields = value.trim().split('-');
    let (Some(version), Some(trace), Some(span), Some(flags), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(invalid());
    };
    let hex = |text: &str, len: usize| {
        text.len() == len
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if version != "00" || !hex(trace, 32) || !hex(span, 16) || !hex(flags, 2) {
        return Err(invalid());
    }
    let trace_id = TraceId::from_hex(trace).map_err(|_| invalid())?;
    let span_id = SpanId::from_hex(span).map_err(|_| invalid())?;
    let flags = u8::from_str_radix(flags, 16).map_err(|_| invalid())?;
    let context = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    if context.is_valid() {
        Ok(context)
    } else {
        Err(invalid())
    }
}

// ---- user feedback ------------------------------------------------------------------------

/// The parenting methods of both event builders.
macro_rules! parent_methods {
    () => {
        /// Parents the event to this span instead of looking the response id up.
        pub fn with_parent(mut self, span: SpanContext) -> Self {
            self.parent = Parent::Span(span);
            self
        }

        /// Parents the event to the span of this W3C `traceparent` (see
        /// [`response_traceparent`]), e.g. stored with the answer by another process.
        pub fn with_traceparent(mut self, traceparent: impl Into<String>) -> Self {
            self.parent = Parent::Traceparent(traceparent.into());
            self
        }
    };
}

/// A user's rating of a response: `gen_ai.evaluation.user_feedback`.
#[derive(Debug, Clone)]
#[must_use = "call `record()` to emit the event"]
pub struct UserFeedback<'a> {
    response_id: &'a str,
    score: f64,
    comment: Option<&'a str>,
    parent: Parent,
}

#[derive(Debug, Clone)]
enum Parent {
    /// Look the response id up in the index.
    Index,
    Span(SpanContext),
    Traceparent(String),
}

impl<'a> UserFeedback<'a> {
    /// Feedback on `response_id` with a score from -1.0 (negative) through 0 (neutral) to
    /// 1.0 (positive).
    pub fn new(response_id: &'a str, score: f64) -> Self {
        UserFeedback {
            response_id,
            score,
            comment: None,
            parent: Parent::Index,
        }
    }

    /// The user's comment, recorded as the body `{"comment": …}` when content recording
    /// is on.
    pub fn with_comment(mut self, comment: &'a str) -> Self {
        self.comment = Some(comment);
        self
    }

    parent_methods!();

    /// Emits the event. Without installed telemetry, nothing is emitted and this succeeds.
    ///
    /// # Errors
    ///
    /// A score outside [-1.0, 1.0] (or not a number), an empty response id, or an invalid
    /// `traceparent`: nothing is emitted.
    pub fn record(self) -> Result<(), FeedbackError> {
        if !(-1.0..=1.0).contains(&self.score) {
            return Err(FeedbackError::ScoreOutOfRange(self.score));
        }
        if self.response_id.trim().is_empty() {
            return Err(FeedbackError::EmptyResponseId);
        }
        let parent = resolve(&self.parent, Some(self.response_id))?;
        let attributes = vec![
            KeyValue::new(semconv::GEN_AI_RESPONSE_ID, capped_id(self.response_id)),
            KeyValue::new(semconv::GEN_AI_EVALUATION_SCORE, self.score),
        ];
        let body = self.comment.and_then(free_text).map(|comment| {
            AnyValue::Map(Box::new(HashMap::from([(
                Key::from_static_str("comment"),
                AnyValue::String(comment.into()),
            )])))
        });
        emit(
            GEN_AI_EVALUATION_USER_FEEDBACK,
            parent.as_ref(),
            attributes,
            body,
        );
        Ok(())
    }
}

/// Emits `gen_ai.evaluation.user_feedback` for `response_id`, parented to the span that
/// produced it (see the [module documentation](self)).
///
/// # Errors
///
/// A score outside [-1.0, 1.0] (or not a number), or an empty response id: nothing is
/// emitted.
pub fn record_user_feedback(
    response_id: &str,
    score: f64,
    comment: Option<&str>,
) -> Result<(), FeedbackError> {
    let mut feedback = UserFeedback::new(response_id, score);
    feedback.comment = comment;
    feedback.record()
}

// ---- evaluations --------------------------------------------------------------------------

/// An evaluator's verdict: `gen_ai.evaluation.result`.
#[derive(Debug, Clone)]
#[must_use = "call `record()` to emit the event"]
pub struct Evaluation<'a> {
    name: &'a str,
    score: Option<f64>,
    label: Option<&'a str>,
    explanation: Option<&'a str>,
    response_id: Option<&'a str>,
    error_type: Option<&'a str>,
    parent: Parent,
}

impl<'a> Evaluation<'a> {
    /// The verdict of the evaluator `name` (e.g. `relevance`, `groundedness`).
    pub fn new(name: &'a str) -> Self {
        Evaluation {
            name,
            score: None,
            label: None,
            explanation: None,
            response_id: None,
            error_type: None,
            parent: Parent::Index,
        }
    }

    /// `gen_ai.evaluation.score.value`, on the evaluator's own scale.
    pub fn with_score(mut self, value: f64) -> Self {
        self.score = Some(value);
        self
    }

    /// `gen_ai.evaluation.score.label` (e.g. `relevant`, `pass`).
    pub fn with_label(mut self, label: &'a str) -> Self {
        self.label = Some(label);
        self
    }

    /// `gen_ai.evaluation.explanation`, recorded when content recording is on.
    pub fn with_explanation(mut self, explanation: &'a str) -> Self {
        self.explanation = Some(explanation);
        self
    }

    /// The response judged: `gen_ai.response.id`, and the parent span when it is indexed.
    pub fn for_response(mut self, response_id: &'a str) -> Self {
        self.response_id = Some(response_id);
        self
    }

    /// The evaluator failed: `error.type` (a label or score is then not required).
    pub fn with_error_type(mut self, error_type: &'a str) -> Self {
        self.error_type = Some(error_type);
        self
    }

    parent_methods!();

    /// Emits the event. Without installed telemetry, nothing is emitted and this succeeds.
    ///
    /// # Errors
    ///
    /// An empty name or response id, a score that is not finite, neither score nor label
    /// (unless an error type is given), or an invalid `traceparent`: nothing is emitted.
    pub fn record(self) -> Result<(), FeedbackError> {
        if self.name.trim().is_empty() {
            return Err(FeedbackError::EmptyEvaluationName);
        }
        if let Some(score) = self.score.filter(|score| !score.is_finite()) {
            return Err(FeedbackError::ScoreNotFinite(score));
        }
        if self.score.is_none() && self.label.is_none() && self.error_type.is_none() {
            return Err(FeedbackError::MissingScore);
        }
        if self.response_id.is_some_and(|id| id.trim().is_empty()) {
            return Err(FeedbackError::EmptyResponseId);
        }
        let parent = resolve(&self.parent, self.response_id)?;
        let mut attributes = vec![KeyValue::new(
            semconv::GEN_AI_EVALUATION_NAME,
            self.name.to_owned(),
        )];
        if let Some(score) = self.score {
            attributes.push(KeyValue::new(semconv::GEN_AI_EVALUATION_SCORE_VALUE, score));
        }
        if let Some(label) = self.label {
            attributes.push(KeyValue::new(
                semconv::GEN_AI_EVALUATION_SCORE_LABEL,
                label.to_owned(),
            ));
        }
        if let Some(explanation) = self.explanation.and_then(free_text) {
            attributes.push(KeyValue::new(
                semconv::GEN_AI_EVALUATION_EXPLANATION,
                explanation,
            ));
        }
        if let Some(id) = self.response_id {
            attributes.push(KeyValue::new(semconv::GEN_AI_RESPONSE_ID, capped_id(id)));
        }
        if let Some(error_type) = self.error_type {
            attributes.push(KeyValue::new(semconv::ERROR_TYPE, error_type.to_owned()));
        }
        emit(GEN_AI_EVALUATION_RESULT, parent.as_ref(), attributes, None);
        Ok(())
    }
}

// ---- emission -----------------------------------------------------------------------------

/// A comment or explanation as it may be exported: only when the policy in force puts
/// content in log events (these are log events), within the content budget and redacted
/// (the content boundary's rules).
fn free_text(text: &str) -> Option<String> {
    // With an upload hook, content leaves the telemetry: free text too.
    if !crate::content_capture().in_events() || crate::genai::upload::active() {
        return None;
    }
    Some(crate::genai::boundary::content_text(text).unwrap_or_else(|| text.to_owned()))
}

/// An id or name as it is exported: at most 256 bytes.
fn capped_id(id: &str) -> String {
    crate::genai::boundary::cut_bytes(id, crate::genai::boundary::MAX_ID_BYTES).to_owned()
}

fn resolve(
    parent: &Parent,
    response_id: Option<&str>,
) -> Result<Option<SpanContext>, FeedbackError> {
    Ok(match parent {
        Parent::Index => response_id.and_then(response_span_context),
        Parent::Span(span) => Some(span.clone()).filter(SpanContext::is_valid),
        Parent::Traceparent(value) => Some(parse_traceparent(value)?),
    })
}

fn emit(
    name: &'static str,
    parent: Option<&SpanContext>,
    attributes: Vec<KeyValue>,
    body: Option<AnyValue>,
) {
    crate::genai::event::emit(
        name,
        parent,
        Some(std::time::SystemTime::now()),
        attributes,
        Vec::new(),
        body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::global::response_index::tests::span;

    #[test]
    fn traceparents_round_trip_and_bad_ones_are_errors() {
        let context = span(41);
        let text = traceparent(&context);
        assert_eq!(
            text,
            format!("00-{}-{}-01", context.trace_id(), context.span_id())
        );
        let parsed = parse_traceparent(&text).unwrap();
        assert_eq!(parsed.trace_id(), context.trace_id());
        assert_eq!(parsed.span_id(), context.span_id());
        assert!(parsed.is_remote());
        for bad in [
            "",
            "00-abc-def-01",
            "01-00000000000000000000000000000001-0000000000000001-01",
            "00-00000000000000000000000000000000-0000000000000001-01",
            "00-0000000000000000000000000000000G-0000000000000001-01",
            "00-00000000000000000000000000000001-0000000000000001-01-extra",
        ] {
            assert!(
                matches!(
                    parse_traceparent(bad),
                    Err(FeedbackError::InvalidTraceparent(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn invalid_input_is_a_typed_error() {
        for score in [1.5, -1.01, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                record_user_feedback("r", score, None),
                Err(FeedbackError::ScoreOutOfRange(_))
            ));
        }
        assert_eq!(
            record_user_feedback(" ", 1.0, None),
            Err(FeedbackError::EmptyResponseId)
        );
        assert_eq!(
            Evaluation::new("").with_score(1.0).record(),
            Err(FeedbackError::EmptyEvaluationName)
        );
        assert_eq!(
            Evaluation::new("relevance").record(),
            Err(FeedbackError::MissingScore)
        );
        assert!(matches!(
            Evaluation::new("relevance").with_score(f64::NAN).record(),
            Err(FeedbackError::ScoreNotFinite(_))
        ));
        assert!(matches!(
            UserFeedback::new("r", 0.0)
                .with_traceparent("nope")
                .record(),
            Err(FeedbackError::InvalidTraceparent(_))
        ));
    }
}
