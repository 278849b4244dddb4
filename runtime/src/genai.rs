//! GenAI data: operations, attribute values, messages, requests, responses and their
//! content policy, independent of how spans are started or exported.

#[cfg(feature = "async-openai")]
pub mod async_openai;
pub(crate) mod boundary;
pub(crate) mod content;
pub(crate) mod event;
pub(crate) mod foreign;
pub mod message;
pub mod metrics;
pub(crate) mod operation;
pub(crate) mod redact;
pub(crate) mod response;
pub(crate) mod rollup;
pub(crate) mod upload;
pub(crate) mod value;
