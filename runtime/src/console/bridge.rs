//! GenAI events under their span in the console tree.
//!
//! When the console prints both spans (as trees) and log records, a log record whose span
//! has not been printed yet waits here and is printed under that span, e.g. user
//! feedback under the chat span that produced the answer. A record whose trace was
//! already printed is printed at once, naming its span. Bounded: at most
//! [`MAX_WAITING`] records wait (more are printed at once), and the most recent printed
//! traces and span names are remembered.

use std::collections::HashMap;
use std::sync::PoisonError;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::SpanData;

use crate::global::{BRIDGE, Bridge};

/// Records waiting for their span.
const MAX_WAITING: usize = 1024;
/// Printed traces and span names remembered.
const MAX_REMEMBERED: usize = 4096;

fn lock() -> std::sync::MutexGuard<'static, Bridge> {
    BRIDGE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A console tree exporter joins (at install) or leaves (at shutdown).
pub(crate) fn tree_installed(installed: bool) {
    let mut bridge = lock();
    if installed {
        bridge.trees += 1;
    } else {
        bridge.trees = bridge.trees.saturating_sub(1);
    }
}

/// What to do with a log record of span `span_id` in trace `trace_id`: `None` when its
/// tree line (`in_tree`) now waits for its span, else the line to print now
/// (`standalone`, naming the span when it was printed).
pub(crate) fn offer(
    trace_id: TraceId,
    span_id: SpanId,
    in_tree: String,
    standalone: String,
) -> Option<String> {
    let mut bridge = lock();
    if bridge.printed.contains(&trace_id) {
        return Some(match bridge.names.get(&span_id) {
            Some(name) => format!("{standalone}  (span {name:?})"),
            None => standalone,
        });
    }
    if bridge.trees == 0 || bridge.waiting.len() >= MAX_WAITING {
        return Some(standalone);
    }
    bridge.waiting.push((trace_id, span_id, in_tree));
    None
}

/// The lines waiting for the spans of a trace about to be printed, by span; the trace is
/// remembered as printed.
pub(crate) fn take_for(spans: &[SpanData]) -> HashMap<SpanId, Vec<String>> {
    let Some(trace_id) = spans.first().map(|span| span.span_context.trace_id()) else {
        return HashMap::new();
    };
    let mut bridge = lock();
    let mut lines: HashMap<SpanId, Vec<String>> = HashMap::new();
    let mut index = 0;
    while index < bridge.waiting.len() {
        if bridge.waiting[index].0 == trace_id {
            let (_, span_id, line) = bridge.waiting.remove(index);
            lines.entry(span_id).or_default().push(line);
        } else {
            index += 1;
        }
    }
    if bridge.printed.insert(trace_id) {
        bridge.printed_order.push_back(trace_id);
        if bridge.printed_order.len() > MAX_REMEMBERED
            && let Some(oldest) = bridge.printed_order.pop_front()
        {
            bridge.printed.remove(&oldest);
        }
    }
    for span in spans {
        let id = span.span_context.span_id();
        if bridge.names.insert(id, span.name.to_string()).is_none() {
            bridge.name_order.push_back(id);
        }
        if bridge.name_order.len() > MAX_REMEMBERED
            && let Some(oldest) = bridge.name_order.pop_front()
        {
            bridge.names.remove(&oldest);
        }
    }
    lines
}

/// Every line still waiting (its span never came), at shutdown.
pub(crate) fn drain() -> Vec<String> {
    lock().waiting.drain(..).map(|(_, _, line)| line).collect()
}
