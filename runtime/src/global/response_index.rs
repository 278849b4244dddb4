//! The ring of recent responses behind [`INDEX`](super::INDEX): which span produced
//! which response id, for feedback events sent later.

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

use std::sync::PoisonError;

use super::{INDEX, MAX_RESPONSE_ID_LEN, RESPONSE_INDEX_CAPACITY};

/// Remembers in [`INDEX`] which span produced `response_id` (called when a recorded span,
/// trace-genai's or another instrumentation's, ends with a response id).
pub(crate) fn remember(response_id: &str, span: &SpanContext) {
    if response_id.is_empty() || response_id.len() > MAX_RESPONSE_ID_LEN || !span.is_valid() {
        return;
    }
    INDEX
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(response_id, span);
}

/// A cheap fingerprint of a response id (its length and its first and last eight bytes,
/// mixed): the index compares fingerprints first and the id bytes only on a match, so a
/// collision can cost a comparison but never a wrong parent.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    let (head, tail) =
        if let (Some(head), Some(tail)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            (u64::from_le_bytes(*head), u64::from_le_bytes(*tail))
        } else {
            // Shorter than 8 bytes.
            let word = bytes
                .iter()
                .fold(0_u64, |word, byte| (word << 8) | u64::from(*byte));
            (word, word)
        };
    (head ^ tail.rotate_left(29) ^ (bytes.len() as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// One remembered response: its id's fingerprint, the id itself and the span's identity,
/// side by side so that remembering it touches one entry.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(crate) struct Entry {
    fingerprint: u64,
    trace_id: [u8; 16],
    span_id: [u8; 8],
    pub(crate) len: u8,
    flags: u8,
    id: [u8; MAX_RESPONSE_ID_LEN],
}

/// A ring of the most recent responses, allocated zeroed on first use (pages are only
/// resident once written): remembering a response is a fingerprint, a short copy and no
/// allocation; the lookup, once per feedback event, scans the fingerprints from the newest.
#[derive(Debug, Default)]
pub(crate) struct ResponseIndex {
    pub(crate) entries: Vec<Entry>,
    /// Entries written so far, up to the capacity.
    pub(crate) len: usize,
    /// Where the next response goes.
    pub(crate) next: usize,
}

impl ResponseIndex {
    #[inline]
    pub(crate) fn insert(&mut self, response_id: &str, span: &SpanContext) {
        let bytes = response_id.as_bytes();
        let Ok(len) = u8::try_from(bytes.len()) else {
            return;
        };
        if self.entries.is_empty() {
            self.entries = vec![
                Entry {
                    fingerprint: 0,
                    trace_id: [0; 16],
                    span_id: [0; 8],
                    len: 0,
                    flags: 0,
                    id: [0; MAX_RESPONSE_ID_LEN],
                };
                RESPONSE_INDEX_CAPACITY
            ];
        }
        let at = self.next;
        let Some(entry) = self.entries.get_mut(at) else {
            return;
        };
        let Some(id) = entry.id.get_mut(..bytes.len()) else {
            return;
        };
        id.copy_from_slice(bytes);
        entry.fingerprint = self::fingerprint(bytes);
        entry.len = len;
        entry.flags = span.trace_flags().to_u8();
        entry.trace_id = span.trace_id().to_bytes();
        entry.span_id = span.span_id().to_bytes();
        self.next = if at + 1 == RESPONSE_INDEX_CAPACITY {
            0
        } else {
            at + 1
        };
        if self.len < RESPONSE_INDEX_CAPACITY {
            self.len += 1;
        }
    }

    /// The newest entry for `response_id` (a retried call's id resolves to its last span).
    pub(crate) fn get(&self, response_id: &str) -> Option<SpanContext> {
        let bytes = response_id.as_bytes();
        let wanted = fingerprint(bytes);
        let matches = |entry: &Entry| {
            entry.fingerprint == wanted
                && usize::from(entry.len) == bytes.len()
                && entry.id.get(..bytes.len()) == Some(bytes)
        };
        // Newest first: just before `next` back to the start, then (once the ring has
        // wrapped) from the end back to `next`.
        let (newer, older) = self
            .entries
            .get(..self.len)?
            .split_at(self.next.min(self.len));
        let entry = newer
            .iter()
            .rev()
            .chain(older.iter().rev())
            .find(|e| matches(e))?;
        Some(SpanContext::new(
            TraceId::from_bytes(entry.trace_id),
            SpanId::from_bytes(entry.span_id),
            TraceFlags::new(entry.flags),
            false,
            TraceState::NONE,
        ))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    use super::ResponseIndex;
    use crate::global::RESPONSE_INDEX_CAPACITY;

    /// A sampled span context numbered `n`.
    pub(crate) fn span(n: u64) -> SpanContext {
        SpanContext::new(
            TraceId::from(u128::from(n) + 1),
            SpanId::from(n + 1),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        )
    }

    #[test]
    fn the_index_forgets_the_oldest_beyond_its_capacity() {
        let mut index = ResponseIndex::default();
        for n in 0..(RESPONSE_INDEX_CAPACITY as u64 + 10) {
            index.insert(&format!("chatcmpl-{n}"), &span(n));
        }
        assert_eq!(index.len(), RESPONSE_INDEX_CAPACITY);
        assert_eq!(index.get("chatcmpl-9"), None);
        assert_eq!(index.get("chatcmpl-10"), Some(span(10)));
        let newest = format!("chatcmpl-{}", RESPONSE_INDEX_CAPACITY + 9);
        assert_eq!(
            index.get(&newest),
            Some(span(RESPONSE_INDEX_CAPACITY as u64 + 9))
        );
        // The same id again: the newest span wins, and the ring does not grow.
        index.insert("chatcmpl-10", &span(99));
        assert_eq!(index.get("chatcmpl-10"), Some(span(99)));
        assert_eq!(index.len(), RESPONSE_INDEX_CAPACITY);
        // Wrapped or not, the lookup goes from the newest.
        let mut small = ResponseIndex::default();
        small.insert("a", &span(1));
        small.insert("a", &span(2));
        assert_eq!(small.get("a"), Some(span(2)));
        assert_eq!(small.get("b"), None);
    }
}
