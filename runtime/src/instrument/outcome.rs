//! What a function's return value says about its call: the response it reports and the
//! error it returned, picked at compile time from the return type.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;

use crate::semconv::ERROR_TYPE_OTHER as OTHER;

/// The `error.type` an error reports on the span of the function that returned it.
///
/// Implement it to report something more useful than the default and still
/// low-cardinality: a provider error code (`"429"`, `"rate_limit_exceeded"`),
/// `"timeout"`, or an enum variant name.
///
/// ```
/// use std::borrow::Cow;
///
/// #[derive(Debug)]
/// enum ApiError { RateLimited, Timeout }
///
/// impl trace_genai::ErrorType for ApiError {
///     fn error_type(&self) -> Cow<'static, str> {
///         match self {
///             ApiError::RateLimited => "rate_limited".into(),
///             ApiError::Timeout => "timeout".into(),
///         }
///     }
/// }
/// ```
///
/// # The value recorded for `Err(e)`, by the declared error type `E`
///
/// 1. `E` implements this trait: [`error_type`](ErrorType::error_type).
/// 2. `E` is a type-erased error, one that is `AsRef<dyn Error + Send + Sync>` or
///    `AsRef<dyn Error>`: `Box<dyn Error>`, `Box<dyn Error + Send + Sync>`,
///    `Arc<dyn Error + Send + Sync>`, `anyhow::Error`. The error inside is named:
///    - a [`std::io::Error`]: its [`ErrorKind`](std::io::ErrorKind), as its
///      implementation of this trait does (`NotFound`, `TimedOut`);
///    - a well-known standard library error ([`std::fmt::Error`],
///      [`std::num::ParseIntError`], [`std::str::Utf8Error`], [`std::env::VarError`] and
///      the other parse and conversion errors of `std`): its type name
///      (`core::num::error::ParseIntError`), as it would be unboxed;
///    - any other error: the type or variant name its `Debug` output starts with, which
///      for a derived `Debug` is the struct's name (`MyError` for `MyError { code: 3 }`)
///      or the enum variant's (`RateLimited`). The name must look like a Rust type or
///      variant name (ASCII, optionally a `::` path, its last segment starting with an
///      uppercase letter, at most 64 characters) and be the whole output or be followed
///      by `(` or ` {`;
///    - anything else, such as a string error (`Box::<dyn Error>::from("text")` or
///      `anyhow!("text")`, whose `Debug` is the quoted text): `_OTHER`.
///
///    Formatting stops after the first 66 bytes of the `Debug` output (a large error
///    costs no more than a small one), and a `Debug` that panics gives `_OTHER`. The
///    error's source chain is not followed: a wrapper reports its own name (`Error` for
///    an `anyhow` context).
/// 3. Any other `E`: its type name ([`core::any::type_name`], e.g. `my_app::ApiError`).
///
/// The error's message (its `Display`) is never used: provider errors often echo the
/// prompt. A boxed error that implements this trait is not seen through the box: return
/// the concrete type to have its implementation used.
pub trait ErrorType {
    /// The low-cardinality `error.type` value for this error.
    fn error_type(&self) -> Cow<'static, str>;
}

impl ErrorType for std::io::Error {
    fn error_type(&self) -> Cow<'static, str> {
        Cow::Owned(format!("{:?}", self.kind()))
    }
}

/// The longest type or variant name taken from a `Debug` output.
const MAX_NAME: usize = 64;

/// The `error.type` of an error known only as `dyn Error` (see [`ErrorType`]).
fn dyn_error_type(error: &(dyn Error + 'static)) -> Cow<'static, str> {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return io.error_type();
    }
    if let Some(name) = well_known(error) {
        return Cow::Borrowed(name);
    }
    debug_name(error).map_or(Cow::Borrowed(OTHER), Cow::Owned)
}

/// The type name of a standard library error, as an unboxed one records.
fn well_known(error: &(dyn Error + 'static)) -> Option<&'static str> {
    macro_rules! named {
        ($($ty:ty),* $(,)?) => {
            $(
                if error.is::<$ty>() {
                    return Some(core::any::type_name::<$ty>());
                }
            )*
        };
    }
    named!(
        fmt::Error,
        std::num::ParseIntError,
        std::num::ParseFloatError,
        std::num::TryFromIntError,
        std::str::ParseBoolError,
        std::str::Utf8Error,
        std::string::FromUtf8Error,
        std::string::FromUtf16Error,
        std::char::ParseCharError,
        std::char::CharTryFromError,
        std::array::TryFromSliceError,
        std::net::AddrParseError,
        std::env::VarError,
        std::ffi::NulError,
        std::time::SystemTimeError,
        std::sync::mpsc::RecvError,
        std::sync::mpsc::RecvTimeoutError,
        std::sync::mpsc::TryRecvError,
    );
    None
}

/// The type or variant name `error`'s `Debug` output starts with, if it looks like one.
fn debug_name(error: &(dyn Error + 'static)) -> Option<String> {
    let mut prefix = Prefix::default();
    // A full buffer stops the formatting with an error, which leaves the prefix.
    let formatted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = fmt::write(&mut prefix, format_args!("{error:?}"));
    }));
    formatted.ok()?;
    type_name_prefix(prefix.as_bytes()).map(str::to_owned)
}

/// The leading name of a `Debug` output: a Rust path whose last segment starts with an
/// uppercase letter, that is the whole output or is followed by `(` or ` {`.
fn type_name_prefix(debug: &[u8]) -> Option<&str> {
    let end = debug
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b':'))
        .unwrap_or(debug.len());
    let (name, rest) = debug.split_at(end);
    let ends_well = rest.is_empty() || rest.starts_with(b"(") || rest.starts_with(b" {");
    if !ends_well || name.len() > MAX_NAME {
        return None;
    }
    let name = std::str::from_utf8(name).ok()?;
    let mut segments = name.split("::").peekable();
    while let Some(segment) = segments.next() {
        let mut chars = segment.chars();
        let first = chars.next()?;
        let valid = (first.is_ascii_alphabetic() || first == '_')
            && segment != "_"
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        let last = segments.peek().is_none();
        if !valid || (last && !first.is_ascii_uppercase()) {
            return None;
        }
    }
    Some(name)
}

/// A writer that keeps the first bytes written to it and refuses the rest.
struct Prefix {
    buf: [u8; MAX_NAME + 2],
    len: usize,
}

impl Default for Prefix {
    fn default() -> Self {
        Prefix {
            buf: [0; MAX_NAME + 2],
            len: 0,
        }
    }
}

impl Prefix {
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Write for Prefix {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let free = self.buf.get_mut(self.len..).unwrap_or_default();
        let taken = free.len().min(s.len());
        for (slot, byte) in free.iter_mut().zip(s.bytes()) {
            *slot = byte;
        }
        self.len += taken;
        if taken < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// Return-value inspection, chosen at compile time from the function's return type.
///
/// The expansion makes two calls, in this order, before the span ends:
///
/// ```text
/// (&&&ReturnValue(&ret)).record_response(&mut guard);
/// (&&&&&ReturnValue(&ret)).record_error(&mut guard);
/// ```
///
/// Method resolution picks, for each, the most specific implementation that applies
/// (autoderef specialization). The response, from the most to the least specific:
///
/// 1. `Result<T, E>` with `T: GenAiResponse`: an `Ok` records it;
/// 2. `T: GenAiResponse`;
/// 3. any value, which records nothing.
///
/// The error (see [`ErrorType`] for the values):
///
/// 1. `Result<T, E>` with `E: ErrorType`;
/// 2. `Result<T, E>` with `E: AsRef<dyn Error + Send + Sync>`;
/// 3. `Result<T, E>` with `E: AsRef<dyn Error>`;
/// 4. any `Result<T, E>` (the type name of `E`);
/// 5. any other value, which records nothing.
pub(crate) mod levels {
    use std::borrow::Cow;
    use std::error::Error;

    use super::{ErrorType, dyn_error_type};
    use crate::genai::response::GenAiResponse;
    use crate::instrument::span::SpanGuard;

    /// A borrowed return value.
    #[derive(Debug)]
    pub struct ReturnValue<'a, T>(pub &'a T);

    macro_rules! level {
        ($(#[$doc:meta])* $name:ident, $method:ident, $what:literal) => {
            $(#[$doc])*
            pub trait $name {
                #[doc = $what]
                fn $method(&self, guard: &mut SpanGuard);
            }
        };
    }

    level!(
        /// Response level 1: `Result<T: GenAiResponse, E>`.
        OkResponse,
        record_response,
        "Records the response on the guard."
    );
    level!(
        /// Response level 2: `T: GenAiResponse`.
        Response,
        record_response,
        "Records the response on the guard."
    );
    level!(
        /// Response level 3: any value; records nothing.
        NoResponse,
        record_response,
        "Records the response on the guard."
    );
    level!(
        /// Error level 1: `Result<T, E: ErrorType>`.
        ErrWithErrorType,
        record_error,
        "Records the error on the guard."
    );
    level!(
        /// Error level 2: `Result<T, E: AsRef<dyn Error + Send + Sync>>` (`anyhow::Error`,
        /// `Box<dyn Error + Send + Sync>`).
        ErrAsDynErrorSendSync,
        record_error,
        "Records the error on the guard."
    );
    level!(
        /// Error level 3: `Result<T, E: AsRef<dyn Error>>` (`Box<dyn Error>`).
        ErrAsDynError,
        record_error,
        "Records the error on the guard."
    );
    level!(
        /// Error level 4: any `Result<T, E>`.
        AnyErr,
        record_error,
        "Records the error on the guard."
    );
    level!(
        /// Error level 5: any other value; records nothing.
        NoErr,
        record_error,
        "Records the error on the guard."
    );

    impl<T: GenAiResponse, E> OkResponse for &&ReturnValue<'_, Result<T, E>> {
        fn record_response(&self, guard: &mut SpanGuard) {
            if let Ok(response) = self.0 {
                guard.record_response(response);
            }
        }
    }

    impl<T: GenAiResponse> Response for &ReturnValue<'_, T> {
        fn record_response(&self, guard: &mut SpanGuard) {
            guard.record_response(self.0);
        }
    }

    impl<T> NoResponse for ReturnValue<'_, T> {
        fn record_response(&self, _guard: &mut SpanGuard) {}
    }

    impl<T, E: ErrorType> ErrWithErrorType for &&&&ReturnValue<'_, Result<T, E>> {
        fn record_error(&self, guard: &mut SpanGuard) {
            if let Err(error) = self.0 {
                guard.set_error(error.error_type());
            }
        }
    }

    impl<T, E: AsRef<dyn Error + Send + Sync + 'static>> ErrAsDynErrorSendSync
        for &&&ReturnValue<'_, Result<T, E>>
    {
        fn record_error(&self, guard: &mut SpanGuard) {
            if let Err(error) = self.0 {
                guard.set_error(dyn_error_type(error.as_ref()));
            }
        }
    }

    impl<T, E: AsRef<dyn Error + 'static>> ErrAsDynError for &&ReturnValue<'_, Result<T, E>> {
        fn record_error(&self, guard: &mut SpanGuard) {
            if let Err(error) = self.0 {
                guard.set_error(dyn_error_type(error.as_ref()));
            }
        }
    }

    impl<T, E> AnyErr for &ReturnValue<'_, Result<T, E>> {
        fn record_error(&self, guard: &mut SpanGuard) {
            if self.0.is_err() {
                guard.set_error(Cow::Borrowed(core::any::type_name::<E>()));
            }
        }
    }

    impl<T> NoErr for ReturnValue<'_, T> {
        fn record_error(&self, _guard: &mut SpanGuard) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Named {
        #[allow(dead_code, reason = "only read through Debug")]
        code: u32,
    }

    impl fmt::Display for Named {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the prompt was: tell me a secret")
        }
    }

    impl Error for Named {}

    /// A `Debug` far longer than the prefix, counting what it was asked to write.
    struct Huge;

    impl fmt::Debug for Huge {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Huge { data: ")?;
            for _ in 0..1_000_000 {
                f.write_str("0123456789")?;
            }
            f.write_str(" }")
        }
    }

    impl fmt::Display for Huge {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("huge")
        }
    }

    impl Error for Huge {}

    struct Panicky;

    impl fmt::Debug for Panicky {
        fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
            #[allow(clippy::panic, reason = "the test is about a panicking Debug")]
            {
                panic!("Debug panics")
            }
        }
    }

    impl fmt::Display for Panicky {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("panicky")
        }
    }

    impl Error for Panicky {}

    fn name(debug: &str) -> Option<&str> {
        type_name_prefix(debug.as_bytes())
    }

    #[test]
    fn derived_debug_shapes_give_their_name() {
        assert_eq!(name("Unit"), Some("Unit"));
        assert_eq!(name("Tuple(1, \"x\")"), Some("Tuple"));
        assert_eq!(name("Struct { a: 1 }"), Some("Struct"));
        assert_eq!(
            name("reqwest::Error { kind: Request }"),
            Some("reqwest::Error")
        );
    }

    #[test]
    fn text_is_not_a_name() {
        for debug in [
            "",
            "\"rate limited\"",
            "timeout",
            "Connection refused",
            "Error: bad request",
            "Timeout.",
            "::Path",
            "a::",
            "a:::B",
            "a:B",
            "1Error",
            "_",
            "Struct{a: 1}",
            "Generic<T>",
            "Überfehler",
        ] {
            assert_eq!(name(debug), None, "{debug:?}");
        }
    }

    #[test]
    fn names_longer_than_the_limit_are_not_names() {
        let longest = format!("A{}", "b".repeat(MAX_NAME - 1));
        assert_eq!(name(&longest), Some(longest.as_str()));
        assert_eq!(
            name(&format!("{longest} {{ x: 1 }}")),
            Some(longest.as_str())
        );
        let too_long = format!("{longest}c");
        assert_eq!(name(&too_long), None);
    }

    #[test]
    fn dyn_errors_are_named_from_debug_or_downcast() {
        assert_eq!(dyn_error_type(&Named { code: 3 }), "Named");
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "secret text");
        assert_eq!(dyn_error_type(&io), "TimedOut");
        assert_eq!(dyn_error_type(&fmt::Error), "core::fmt::Error");
        let boxed: Box<dyn Error> = "a message".into();
        assert_eq!(dyn_error_type(boxed.as_ref()), OTHER);
    }

    #[test]
    fn a_huge_debug_is_cut_short() {
        let mut prefix = Prefix::default();
        assert!(fmt::write(&mut prefix, format_args!("{Huge:?}")).is_err());
        assert_eq!(prefix.as_bytes().len(), MAX_NAME + 2);
        assert_eq!(dyn_error_type(&Huge), "Huge");
    }

    #[test]
    fn a_panicking_debug_is_other() {
        assert_eq!(dyn_error_type(&Panicky), OTHER);
    }
}
