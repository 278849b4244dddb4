//! What a function's return value says about its call: the response it reports and the
//! error it returned, picked at compile time from the return type.

use std::borrow::Cow;

/// The `error.type` an error reports on the span of the function that returned it.
///
/// Without this trait, `error.type` is the error's type name
/// (`core::any::type_name`, e.g. `my_app::ApiError`). Implement it to report something
/// more useful and still low-cardinality: a provider error code (`"429"`,
/// `"rate_limit_exceeded"`), `"timeout"`, or an enum variant name.
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
pub trait ErrorType {
    /// The low-cardinality `error.type` value for this error.
    fn error_type(&self) -> Cow<'static, str>;
}

impl ErrorType for std::io::Error {
    fn error_type(&self) -> Cow<'static, str> {
        Cow::Owned(format!("{:?}", self.kind()))
    }
}

/// Return-value inspection, chosen at compile time from the function's return type.
///
/// The expansion calls `(&&&&&&ReturnValue(&ret)).record_outcome(&mut guard)`. Method
/// resolution picks the most specific implementation that applies (autoderef
/// specialization), from the most to the least specific:
///
/// 1. `Result<T, E>` with `T: GenAiResponse` and `E: ErrorType`;
/// 2. `Result<T, E>` with `T: GenAiResponse`;
/// 3. `Result<T, E>` with `E: ErrorType`;
/// 4. any `Result<T, E>` (`error.type` is the type name of `E`);
/// 5. `T: GenAiResponse`;
/// 6. any value, which records nothing.
pub(crate) mod levels {
    use std::borrow::Cow;

    use super::ErrorType;
    use crate::response::GenAiResponse;
    use crate::span::SpanGuard;

    /// A borrowed return value.
    #[derive(Debug)]
    pub struct ReturnValue<'a, T>(pub &'a T);

    macro_rules! level {
        ($(#[$doc:meta])* $name:ident,) => {
            $(#[$doc])*
            pub trait $name {
                /// Records the outcome on the guard.
                fn record_outcome(&self, guard: &mut SpanGuard);
            }
        };
    }

    level!(
        /// Level 1: `Result<T: GenAiResponse, E: ErrorType>`.
        ResponseResultWithErrorType,
    );
    level!(
        /// Level 2: `Result<T: GenAiResponse, E>`.
        ResponseResult,
    );
    level!(
        /// Level 3: `Result<T, E: ErrorType>`.
        ResultWithErrorType,
    );
    level!(
        /// Level 4: any `Result<T, E>`.
        AnyResult,
    );
    level!(
        /// Level 5: `T: GenAiResponse`.
        Response,
    );
    level!(
        /// Level 6: any value; records nothing.
        AnyValue,
    );

    impl<T: GenAiResponse, E: ErrorType> ResponseResultWithErrorType
        for &&&&&ReturnValue<'_, Result<T, E>>
    {
        fn record_outcome(&self, guard: &mut SpanGuard) {
            match self.0 {
                Ok(response) => guard.record_response(response),
                Err(error) => guard.set_error(error.error_type()),
            }
        }
    }

    impl<T: GenAiResponse, E> ResponseResult for &&&&ReturnValue<'_, Result<T, E>> {
        fn record_outcome(&self, guard: &mut SpanGuard) {
            match self.0 {
                Ok(response) => guard.record_response(response),
                Err(_) => guard.set_error(Cow::Borrowed(core::any::type_name::<E>())),
            }
        }
    }

    impl<T, E: ErrorType> ResultWithErrorType for &&&ReturnValue<'_, Result<T, E>> {
        fn record_outcome(&self, guard: &mut SpanGuard) {
            if let Err(error) = self.0 {
                guard.set_error(error.error_type());
            }
        }
    }

    impl<T, E> AnyResult for &&ReturnValue<'_, Result<T, E>> {
        fn record_outcome(&self, guard: &mut SpanGuard) {
            if self.0.is_err() {
                guard.set_error(Cow::Borrowed(core::any::type_name::<E>()));
            }
        }
    }

    impl<T: GenAiResponse> Response for &ReturnValue<'_, T> {
        fn record_outcome(&self, guard: &mut SpanGuard) {
            guard.record_response(self.0);
        }
    }

    impl<T> AnyValue for ReturnValue<'_, T> {
        fn record_outcome(&self, _guard: &mut SpanGuard) {}
    }
}
