//! `error.type` of type-erased errors (defect 11 of "Never hurt the app"): a
//! `Box<dyn Error>`, a `Box<dyn Error + Send + Sync>` or an `anyhow`-style error reports
//! the error inside it (an `io::Error`'s kind, a standard error's type name, else the type
//! or variant name its `Debug` starts with, else `_OTHER`), never `Box<dyn Error>` and
//! never the error's text; `ErrorType` still wins, and responses are still recorded.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;
use trace_genai::{ErrorType, GenAiResponse, trace_genai};
use trace_genai_tests::harness::*;

/// Text that must never reach a span: error messages may echo the prompt.
const SECRET: &str = "the user's prompt: tell me a secret";

#[derive(Debug)]
struct QuotaExceeded {
    #[allow(dead_code, reason = "read through the derived Debug only")]
    remaining: u32,
}

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET)
    }
}

impl Error for QuotaExceeded {}

#[derive(Debug)]
enum ProviderError {
    RateLimited { retry_after: u32 },
    Refused(String),
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::RateLimited { retry_after } => write!(f, "retry in {retry_after}s"),
            ProviderError::Refused(text) => f.write_str(text),
        }
    }
}

impl Error for ProviderError {}

/// An error whose `Debug` is its message, as some hand-written ones are.
struct Chatty;

impl fmt::Debug for Chatty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Chatty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET)
    }
}

impl Error for Chatty {}

/// Like `anyhow::Error`: holds any error, is `AsRef<dyn Error + Send + Sync>`, `Debug`
/// and `Display`, and is not itself an `Error`.
struct Anyhow(Box<dyn Error + Send + Sync>);

impl Anyhow {
    /// Like `anyhow!("text")`.
    fn msg(text: &str) -> Self {
        Anyhow(text.into())
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for Anyhow {
    fn from(error: E) -> Self {
        Anyhow(Box::new(error))
    }
}

impl AsRef<dyn Error + Send + Sync> for Anyhow {
    fn as_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl AsRef<dyn Error> for Anyhow {
    fn as_ref(&self) -> &(dyn Error + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Anyhow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Anyhow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An `anyhow`-style error that also says what its `error.type` is.
struct Classified(Anyhow);

impl AsRef<dyn Error + Send + Sync> for Classified {
    fn as_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        self.0.as_ref()
    }
}

impl ErrorType for Classified {
    fn error_type(&self) -> Cow<'static, str> {
        "classified".into()
    }
}

enum Fail {
    Quota,
    RateLimited,
    Refused,
    Io,
    Parse,
    Text,
    Chatty,
}

fn boxed(fail: &Fail) -> Box<dyn Error + Send + Sync> {
    match fail {
        Fail::Quota => Box::new(QuotaExceeded { remaining: 0 }),
        Fail::RateLimited => Box::new(ProviderError::RateLimited { retry_after: 3 }),
        Fail::Refused => Box::new(ProviderError::Refused(SECRET.to_owned())),
        Fail::Io => Box::new(std::io::Error::new(std::io::ErrorKind::NotFound, SECRET)),
        Fail::Parse => Box::new(SECRET.parse::<u32>().unwrap_err()),
        Fail::Text => SECRET.into(),
        Fail::Chatty => Box::new(Chatty),
    }
}

#[trace_genai(execute_tool, tool = "boxed")]
fn boxed_tool(fail: &Fail) -> Result<(), Box<dyn Error>> {
    Err(boxed(fail))
}

#[trace_genai(execute_tool, tool = "send_sync")]
fn send_sync_tool(fail: &Fail) -> Result<(), Box<dyn Error + Send + Sync>> {
    Err(boxed(fail))
}

#[trace_genai(execute_tool, tool = "arc")]
fn arc_tool(fail: &Fail) -> Result<(), Arc<dyn Error + Send + Sync>> {
    Err(boxed(fail).into())
}

#[trace_genai(execute_tool, tool = "anyhow")]
fn anyhow_tool(fail: &Fail) -> Result<(), Anyhow> {
    Err(Anyhow(boxed(fail)))
}

#[trace_genai(execute_tool, tool = "question_mark")]
fn question_mark_tool(text: &str) -> Result<u32, Box<dyn Error>> {
    Ok(text.parse::<u32>()?)
}

#[trace_genai(execute_tool, tool = "anyhow_question_mark")]
fn anyhow_question_mark_tool(text: &str) -> Result<u32, Anyhow> {
    if text.is_empty() {
        return Err(Anyhow::msg(SECRET));
    }
    Ok(text.parse::<u32>()?)
}

#[trace_genai(execute_tool, tool = "classified")]
fn classified_tool() -> Result<(), Classified> {
    Err(Classified(Anyhow::from(QuotaExceeded { remaining: 0 })))
}

#[trace_genai(chat, model = "m")]
async fn chat_async(fail: bool) -> Result<Completion, Box<dyn Error + Send + Sync>> {
    tokio::task::yield_now().await;
    if fail {
        return Err(Box::new(QuotaExceeded { remaining: 0 }));
    }
    Ok(Completion)
}

#[derive(Debug)]
struct Completion;

impl GenAiResponse for Completion {
    fn response_id(&self) -> Option<&str> {
        Some("resp-1")
    }
}

#[trace_genai(chat, model = "m")]
fn chat(fail: bool) -> Result<Completion, Box<dyn Error>> {
    if fail {
        return Err(Box::new(ProviderError::RateLimited { retry_after: 1 }));
    }
    Ok(Completion)
}

#[trace_genai(execute_tool, tool = "generic")]
fn generic_tool<E: AsRef<str>>(error: E) -> Result<(), E> {
    Err(error)
}

/// The one span of `f`, which must have failed.
#[track_caller]
fn failed<T, E>(f: impl FnOnce() -> Result<T, E>) -> SpanData {
    let (result, spans) = capture(f);
    assert!(result.is_err());
    assert_eq!(spans.len(), 1, "{:?}", spans.names());
    spans.0.into_iter().next().unwrap()
}

/// The error's status and `error.type`, and no trace of its text.
#[track_caller]
fn assert_error_type(span: &SpanData, expected: &str) {
    assert_error(span, expected);
    assert_eq!(
        span.status,
        Status::Error {
            description: "".into()
        }
    );
    for kv in &span.attributes {
        assert!(
            !kv.value.as_str().contains("secret"),
            "{} = {:?}",
            kv.key,
            kv.value
        );
    }
}

#[test]
fn defect_11_boxed_error_type_is_the_concrete_type_not_box() {
    let span = failed(|| boxed_tool(&Fail::Quota));
    assert_error_type(&span, "QuotaExceeded");
}

#[test]
fn defect_11_boxed_enum_error_type_is_the_variant() {
    let span = failed(|| boxed_tool(&Fail::RateLimited));
    assert_error_type(&span, "RateLimited");
    let span = failed(|| boxed_tool(&Fail::Refused));
    assert_error_type(&span, "Refused");
}

#[test]
fn defect_11_boxed_io_error_type_is_its_kind() {
    let span = failed(|| boxed_tool(&Fail::Io));
    assert_error_type(&span, "NotFound");
}

#[test]
fn defect_11_boxed_std_error_type_is_its_type_name_as_unboxed() {
    let span = failed(|| boxed_tool(&Fail::Parse));
    assert_error_type(&span, "core::num::error::ParseIntError");
    let span = failed(|| question_mark_tool("x"));
    assert_error_type(&span, "core::num::error::ParseIntError");
    let (ok, spans) = capture(|| question_mark_tool("21"));
    assert_eq!(ok.unwrap(), 21);
    assert_ok(spans.one("execute_tool question_mark"));
}

#[test]
fn defect_11_boxed_string_error_type_is_other() {
    let span = failed(|| boxed_tool(&Fail::Text));
    assert_error_type(&span, "_OTHER");
}

#[test]
fn defect_11_debug_that_is_the_message_gives_other() {
    let span = failed(|| boxed_tool(&Fail::Chatty));
    assert_error_type(&span, "_OTHER");
}

#[test]
fn defect_11_send_sync_boxed_error_type_is_the_concrete_type() {
    for (fail, expected) in [
        (Fail::Quota, "QuotaExceeded"),
        (Fail::RateLimited, "RateLimited"),
        (Fail::Io, "NotFound"),
        (Fail::Parse, "core::num::error::ParseIntError"),
        (Fail::Text, "_OTHER"),
    ] {
        let span = failed(|| send_sync_tool(&fail));
        assert_error_type(&span, expected);
        let span = failed(|| arc_tool(&fail));
        assert_error_type(&span, expected);
    }
}

#[test]
fn defect_11_anyhow_style_error_type_is_the_inner_error() {
    for (fail, expected) in [
        (Fail::Quota, "QuotaExceeded"),
        (Fail::RateLimited, "RateLimited"),
        (Fail::Io, "NotFound"),
        (Fail::Text, "_OTHER"),
        (Fail::Chatty, "_OTHER"),
    ] {
        let span = failed(|| anyhow_tool(&fail));
        assert_error_type(&span, expected);
    }
    let span = failed(|| anyhow_question_mark_tool("x"));
    assert_error_type(&span, "core::num::error::ParseIntError");
    let span = failed(|| anyhow_question_mark_tool(""));
    assert_error_type(&span, "_OTHER");
}

#[test]
fn defect_11_error_type_impl_still_wins() {
    let span = failed(classified_tool);
    assert_error_type(&span, "classified");
}

#[test]
fn defect_11_async_boxed_error_type_is_the_concrete_type() {
    let (result, spans) = capture_async(chat_async(true));
    assert!(result.is_err());
    assert_error_type(spans.one("chat m"), "QuotaExceeded");
    let (result, spans) = capture_async(chat_async(false));
    assert!(result.is_ok());
    let span = spans.one("chat m");
    assert_ok(span);
    assert_attr(span, "gen_ai.response.id", "resp-1".to_owned());
}

#[test]
fn defect_11_response_of_a_boxed_error_result_is_still_recorded() {
    let (result, spans) = capture(|| chat(false));
    assert!(result.is_ok());
    let span = spans.one("chat m");
    assert_ok(span);
    assert_attr(span, "gen_ai.response.id", "resp-1".to_owned());
    let span = failed(|| chat(true));
    assert_error_type(&span, "RateLimited");
    assert_no_attr(&span, "gen_ai.response.id");
}

#[test]
fn a_generic_error_type_keeps_its_type_name() {
    let (result, spans) = capture(|| generic_tool(SECRET.to_owned()));
    assert!(result.is_err());
    assert_error_type(spans.one("execute_tool generic"), "alloc::string::String");
}
