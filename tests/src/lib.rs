//! Test support for trace-genai, compiled once and shared by every test binary in
//! `tests/`: the in-memory harness, an OTLP receiver, an Application Insights stand-in, an
//! Azure AI Foundry project stand-in with its Entra ID token endpoint, test TLS, and
//! helpers for the example binaries.
//!
//! Process-wide state (the harness's installed provider and its lock) lives in statics, so
//! each test binary, being its own process, gets its own.

#![allow(
    clippy::missing_panics_doc,
    reason = "a helper panics to fail the test that called it: that is its error channel"
)]
#![allow(
    clippy::must_use_candidate,
    reason = "helpers are called by tests only, whose assertions use what they return"
)]

pub mod azure;
pub mod azurite;
pub mod examples;
pub mod foundry;
pub mod harness;
pub mod openai;
pub mod receiver;
pub mod tls;
