//! What an instrumented call runs: the span guard, the outcome of the call, the future
//! and stream wrappers, and writes to the running span.

pub mod current_span;
pub(crate) mod future;
pub(crate) mod outcome;
pub(crate) mod span;
pub mod stream;
pub(crate) mod traced;
