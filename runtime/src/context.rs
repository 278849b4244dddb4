//! Keeping one trace across tasks and threads, and attributes for everything in a scope.
//!
//! OpenTelemetry's current context is thread-local (and, inside `#[trace_genai]` async
//! functions, attached per poll). Work handed to another task or thread does not inherit
//! it: without help, a span created in a `tokio::spawn`ed task or a `std::thread::spawn`ed
//! thread becomes the **root of a new trace**, and the tree breaks. The helpers here carry
//! the caller's context along:
//!
//! | instead of | use |
//! |---|---|
//! | `tokio::spawn(fut)` | [`spawn`] (feature `tokio`) |
//! | `tokio::task::spawn_blocking(f)` | [`spawn_blocking`] (feature `tokio`) |
//! | `std::thread::spawn(f)` | [`spawn_thread`] |
//! | `scope.spawn(f)` (`std::thread::scope`), rayon, a thread pool | `scope.spawn(`[`bind`]`(f))` |
//! | any other executor | [`bind_future`]`(fut)` |
//!
//! [`with_attributes`] and [`in_conversation`] set attributes once, such as
//! `gen_ai.conversation.id` or a hashed user id, for every span `#[trace_genai]` starts
//! inside the scope, including in tasks and threads started with the helpers.
//!
//! ```
//! use trace_genai::{context, trace_genai};
//!
//! #[trace_genai(chat, model = "m")]
//! fn chat(question: &str) -> usize { question.len() }
//!
//! #[trace_genai(invoke_agent, agent = "support")]
//! fn agent() -> usize {
//!     // The chat span is a child of the agent span, although it runs on another thread.
//!     context::spawn_thread(|| chat("hi")).join().unwrap_or_default()
//! }
//!
//! // Every span below carries gen_ai.conversation.id = "conv-42".
//! context::in_conversation("conv-42", agent);
//! ```

use std::future::Future;

use opentelemetry::context::{FutureExt as _, WithContext};
use opentelemetry::{Context, KeyValue};

/// Attributes every `#[trace_genai]` span started in the scope gets.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScopedAttributes(pub(crate) Vec<KeyValue>);

/// The scoped attributes of the current context, if any.
pub(crate) fn scoped_attributes(cx: &Context) -> Option<&[KeyValue]> {
    cx.get::<ScopedAttributes>()
        .map(|scoped| scoped.0.as_slice())
}

/// The current context with `attributes` added to the scoped ones (a key given again
/// replaces the outer value).
fn with_scoped(attributes: impl IntoIterator<Item = KeyValue>) -> Context {
    let cx = Context::current();
    let mut scoped = cx.get::<ScopedAttributes>().cloned().unwrap_or_default();
    for attribute in attributes {
        scoped.0.retain(|kv| kv.key != attribute.key);
        scoped.0.push(attribute);
    }
    cx.with_value(scoped)
}

/// Runs `f` with `attributes` on every `#[trace_genai]` span started inside it.
pub fn with_attributes<R>(
    attributes: impl IntoIterator<Item = KeyValue>,
    f: impl FnOnce() -> R,
) -> R {
    let _attached = with_scoped(attributes).attach();
    f()
}

/// Runs `f` with `gen_ai.conversation.id = id` on every `#[trace_genai]` span started
/// inside it.
pub fn in_conversation<R>(id: impl Into<String>, f: impl FnOnce() -> R) -> R {
    with_attributes(
        [KeyValue::new(
            crate::semconv::GEN_AI_CONVERSATION_ID,
            id.into(),
        )],
        f,
    )
}

/// `future` with `attributes` on every `#[trace_genai]` span started while it runs.
pub fn with_attributes_async<F: Future>(
    attributes: impl IntoIterator<Item = KeyValue>,
    future: F,
) -> WithContext<F> {
    future.with_context(with_scoped(attributes))
}

/// `future` with `gen_ai.conversation.id = id` on every `#[trace_genai]` span started
/// while it runs.
pub fn in_conversation_async<F: Future>(id: impl Into<String>, future: F) -> WithContext<F> {
    with_attributes_async(
        [KeyValue::new(
            crate::semconv::GEN_AI_CONVERSATION_ID,
            id.into(),
        )],
        future,
    )
}

/// `future`, run in the caller's current context (its span and scoped attributes)
/// wherever it is polled.
pub fn bind_future<F: Future>(future: F) -> WithContext<F> {
    future.with_current_context()
}

/// `f`, run in the caller's current context wherever it is called.
pub fn bind<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let cx = Context::current();
    move || {
        let _attached = cx.attach();
        f()
    }
}

/// `std::thread::spawn`, with the caller's context in the new thread.
pub fn spawn_thread<F, R>(f: F) -> std::thread::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    std::thread::spawn(bind(f))
}

/// `tokio::spawn`, with the caller's context in the task.
///
/// # Panics
///
/// As `tokio::spawn`: when called outside a tokio runtime.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(bind_future(future))
}

/// `tokio::task::spawn_blocking`, with the caller's context in the blocking task.
///
/// # Panics
///
/// As `tokio::task::spawn_blocking`: when called outside a tokio runtime.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn spawn_blocking<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    tokio::task::spawn_blocking(bind(f))
}
