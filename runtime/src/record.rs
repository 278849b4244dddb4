//! Starting spans: whether a call records at all, where its span starts (the direct path
//! or an SDK tracer) and what the direct path records.

pub(crate) mod recorder;
pub(crate) mod shortcut;
pub(crate) mod start;
