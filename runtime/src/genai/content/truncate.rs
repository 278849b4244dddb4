//! Fitting captured content into an attribute budget while keeping it valid JSON and, for
//! the conventions' message lists, their schema.
//!
//! Budgets count characters (Unicode scalar values) of the serialized JSON, the unit of
//! Application Insights' 8,192-character property limit. Lengths are computed with
//! `serde_json`'s escaping rules (`"` and `\\` take two characters, control characters
//! two or six), so a cut removes what is over the budget and little more, whatever
//! escaping the text needs. Cuts happen on character boundaries, so the result is always
//! valid UTF-8, and every cut is marked with [`TRUNCATION_MARKER`], or with
//! [`SHORT_TRUNCATION_MARKER`] where the full marker would cost more than a tenth of the
//! text kept.
//!
//! A value is fitted in three steps:
//!
//! 1. Its skeleton (the JSON with every text string empty) is measured; the rest of the
//!    budget goes to text. Text strings are cut longest first, to a common length (water
//!    filling): every string shorter than that length is kept whole, every longer one is
//!    cut to it, marker included. The values of `role`, `type`, `finish_reason` and
//!    `modality` are not text: they are never cut while anything else can be.
//! 2. Only when even the skeleton does not fit (with a marker in every text string), the
//!    top-level array drops its trailing elements, whole; when not even the first fits,
//!    it keeps what of it fits (its leading parts, dropping the others the same way). In
//!    a message list (objects with `role` or `type`) the last text kept is marked, so the
//!    list keeps its schema; in any other array the marker string becomes the last
//!    element. A message list left with no text at all (a first message whose first
//!    part's skeleton alone is over the budget keeps `"parts":[]`) carries no marker: an
//!    empty `parts` is the sign of the cut.
//! 3. As a last resort (a skeleton of numbers larger than the budget, a `role` longer
//!    than it), every string is cut, and failing that the value becomes the marker
//!    string.

use serde_json::Value;

/// Appended to every string that was cut, and added as the last element of an array
/// (other than a message list) whose tail was dropped.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// The marker of a cut where [`TRUNCATION_MARKER`] would take more than a tenth of the
/// text kept (budgets of about a hundred characters of text and less).
pub const SHORT_TRUNCATION_MARKER: &str = "…";

/// Keys whose string values are part of a message's schema, not its text.
const SCHEMA_KEYS: [&str; 4] = ["role", "type", "finish_reason", "modality"];

/// The JSON text of `value`, at most `limit` characters long (for limits of at least the
/// marker's length plus a few characters); `value` is cut in place to the same content.
/// See the module documentation for how.
///
/// A value that had to be cut uses all of the budget but at most five characters (the
/// longest escape, `\u00XX`, minus one) per cut string, unless whole array elements had
/// to be dropped. Lengths are computed, not measured: the value is serialized once, when
/// it fits.
pub(crate) fn fit(value: &mut Value, limit: usize) -> String {
    // No string can keep more than the whole budget: cutting those first keeps the work
    // proportional to the budget, not to the message.
    cap_strings(value, limit);
    let fitted = json_length(value) <= limit
        || fill(value, limit, false)
        || (drop_tail(value, limit) && fill(value, limit, false))
        || fill(value, limit, true);
    if !fitted {
        *value = Value::String(TRUNCATION_MARKER.to_owned());
    }
    let text = to_json(value);
    // Holds as long as `escaped_length` follows serde_json (a unit test checks).
    if text.chars().count() <= limit {
        return text;
    }
    *value = Value::String(TRUNCATION_MARKER.to_owned());
    to_json(value)
}

/// `text`, or, when it is longer than `limit` characters, its head and a marker, `limit`
/// characters in all: plain text is cut as it is copied into the captured content, so a
/// long prompt costs its first `limit` characters, not its size. [`fit`] cuts it further
/// if its escaped JSON is still over the budget.
pub(crate) fn capped(text: &str, limit: usize) -> String {
    // Fewer bytes than `limit`: fewer characters too.
    if text.len() <= limit || text.char_indices().nth(limit).is_none() {
        return text.to_owned();
    }
    let full = TRUNCATION_MARKER.chars().count();
    let short = SHORT_TRUNCATION_MARKER.chars().count();
    let marker = if prefers_full_marker(limit.saturating_sub(full), limit.saturating_sub(short)) {
        TRUNCATION_MARKER
    } else {
        SHORT_TRUNCATION_MARKER
    };
    let keep = limit.saturating_sub(marker.chars().count());
    let cut = text
        .char_indices()
        .nth(keep)
        .map_or(text.len(), |(index, _)| index);
    let mut capped = String::with_capacity(cut + marker.len());
    capped.push_str(&text[..cut]);
    capped.push_str(marker);
    capped
}

/// Whether a cut marked with [`TRUNCATION_MARKER`], keeping `with_full` characters of
/// text, is chosen over one marked with [`SHORT_TRUNCATION_MARKER`], keeping `with_short`:
/// when it keeps at least 90% of that text.
fn prefers_full_marker(with_full: usize, with_short: usize) -> bool {
    with_full.saturating_mul(10) >= with_short.saturating_mul(9)
}

/// One string of the value being fitted.
struct Slot<'a> {
    text: &'a mut String,
    /// Bytes of the text before the marker of an earlier cut.
    content: usize,
    /// Characters of that content once escaped.
    length: usize,
    /// Whether the string was cut before (it keeps a marker, however long the budget).
    cut: bool,
}

impl Slot<'_> {
    /// Whether the string is kept whole when strings are cut to `level` characters with a
    /// marker of `marker` characters (a string no longer than the marker is never cut).
    fn whole(&self, level: usize, marker: usize) -> bool {
        !self.cut && (self.length <= level || self.length <= marker)
    }

    /// Characters of the string's text (escaped, without quotes) at `level`: the whole
    /// text, or the marker and as much of the content as fits beside it.
    fn size(&self, level: usize, marker: usize) -> usize {
        if self.whole(level, marker) {
            self.length
        } else {
            self.kept(level, marker) + marker
        }
    }

    /// Characters of content kept at `level`.
    fn kept(&self, level: usize, marker: usize) -> usize {
        if self.whole(level, marker) {
            self.length
        } else {
            self.length.min(level.saturating_sub(marker))
        }
    }
}

/// Cuts the strings of `value` (all of them with `every_string`, else those that are not
/// a schema key's value) so that it fits in `limit`, the longest first; `false`, leaving
/// `value` as it was, when even a marker in each does not fit.
fn fill(value: &mut Value, limit: usize, every_string: bool) -> bool {
    let total = json_length(value);
    let mut slots = Vec::new();
    slots_of(value, every_string, &mut slots);
    let text: usize = slots
        .iter()
        .map(|slot| escaped_length(slot.text.as_str()))
        .sum();
    let Some(room) = limit.checked_sub(total - text) else {
        return false;
    };
    let full = plan(&slots, room, TRUNCATION_MARKER.chars().count());
    let short = plan(&slots, room, SHORT_TRUNCATION_MARKER.chars().count());
    let (level, marker) = match (full, short) {
        (Some((level, kept)), Some((_, short_kept))) if prefers_full_marker(kept, short_kept) => {
            (level, TRUNCATION_MARKER)
        }
        (_, Some((level, _))) => (level, SHORT_TRUNCATION_MARKER),
        (Some((level, _)), None) => (level, TRUNCATION_MARKER),
        (None, None) => return false,
    };
    cut_to(&mut slots, level, room, marker);
    true
}

/// The longest level (see [`Slot::size`]) at which the strings fit in `room` characters,
/// with the text they keep then; `None` when a marker in each does not fit.
fn plan(slots: &[Slot<'_>], room: usize, marker: usize) -> Option<(usize, usize)> {
    let total = |level: usize| -> usize { slots.iter().map(|slot| slot.size(level, marker)).sum() };
    if total(0) > room {
        return None;
    }
    // The largest level that fits: sizes only grow with the level, and stop growing at
    // the longest string plus a marker.
    let (mut low, mut high) = (
        0,
        slots
            .iter()
            .map(|slot| slot.length + marker)
            .max()
            .unwrap_or(0),
    );
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if total(middle) <= room {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let kept = slots.iter().map(|slot| slot.kept(low, marker)).sum();
    Some((low, kept))
}

/// Cuts every string that is not kept whole at `level` and marks it with `marker`; what
/// escapes leave of `room` goes to the cut strings, the first first.
fn cut_to(slots: &mut [Slot<'_>], level: usize, room: usize, marker: &str) {
    let marker_length = marker.chars().count();
    // (slot, byte index of the cut, characters kept).
    let mut cuts = Vec::new();
    let mut used = 0;
    for (index, slot) in slots.iter().enumerate() {
        if slot.whole(level, marker_length) {
            used += slot.length;
            continue;
        }
        let content = slot.text.get(..slot.content).unwrap_or_default();
        let (cut, kept) = prefix_within(content, slot.kept(level, marker_length), 0);
        used += kept + marker_length;
        cuts.push((index, cut, kept));
    }
    let mut spare = room.saturating_sub(used);
    for (index, cut, kept) in &mut cuts {
        if spare == 0 {
            break;
        }
        let Some(slot) = slots.get(*index) else {
            continue;
        };
        if *kept < slot.length {
            let content = slot.text.get(..slot.content).unwrap_or_default();
            let (longer_cut, longer) = prefix_within(content, *kept + spare, 0);
            spare -= longer - *kept;
            (*cut, *kept) = (longer_cut, longer);
        }
    }
    for (index, cut, _) in cuts {
        if let Some(slot) = slots.get_mut(index) {
            slot.text.truncate(cut);
            slot.text.push_str(marker);
        }
    }
}

/// The strings of `value` in document order (object keys excluded, and the values of
/// [`SCHEMA_KEYS`] unless `every_string`).
fn slots_of<'a>(value: &'a mut Value, every_string: bool, slots: &mut Vec<Slot<'a>>) {
    match value {
        Value::String(text) => {
            let content = without_marker(text);
            let (content, length) = (content.len(), escaped_length(content));
            let cut = content < text.len();
            slots.push(Slot {
                text,
                content,
                length,
                cut,
            });
        }
        Value::Array(items) => {
            for item in items {
                slots_of(item, every_string, slots);
            }
        }
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                if every_string || !is_schema_string(key, member) {
                    slots_of(member, every_string, slots);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Whether `member`, under `key`, is part of a message's schema rather than its text.
fn is_schema_string(key: &str, member: &Value) -> bool {
    member.is_string() && SCHEMA_KEYS.contains(&key)
}

/// Drops the trailing elements of a top-level array that do not fit in `limit` even with
/// their text cut to a marker, and marks the drop (see the module documentation). `false`
/// when `value` is not an array or nothing could be dropped.
fn drop_tail(value: &mut Value, limit: usize) -> bool {
    let Value::Array(items) = value else {
        return false;
    };
    let messages = !items.is_empty()
        && items
            .iter()
            .all(|item| item.get("role").is_some() || item.get("type").is_some());
    if messages {
        // One character for a marker on a text that was empty.
        let budget = limit.saturating_sub(SHORT_TRUNCATION_MARKER.chars().count());
        if !shrink_items(items, budget) {
            return false;
        }
        let mut slots = Vec::new();
        slots_of(value, false, &mut slots);
        if let Some(last) = slots.pop()
            && !last.cut
        {
            last.text.push_str(TRUNCATION_MARKER);
        }
        return true;
    }
    // "," and the marker string.
    let marker_item = Value::String(TRUNCATION_MARKER.to_owned());
    let budget = limit.saturating_sub(json_length(&marker_item) + 1);
    if !shrink_items(items, budget) {
        return false;
    }
    items.push(marker_item);
    true
}

/// Keeps the longest head of `items` whose skeleton (see [`min_length`]) fits in `budget`
/// as an array (when not even the first element fits, what of it fits, if it can be
/// shrunk to fit); whether anything was dropped.
fn shrink_items(items: &mut Vec<Value>, budget: usize) -> bool {
    // The brackets.
    let mut used = 2;
    for index in 0..items.len() {
        let separator = usize::from(index > 0);
        let Some(item) = items.get_mut(index) else {
            break;
        };
        let length = min_length(item, false);
        if used + separator + length <= budget {
            used += separator + length;
            continue;
        }
        // Only the first element is kept in part: a later one goes whole.
        let keep = index == 0
            && budget
                .checked_sub(used)
                .is_some_and(|room| shrink(item, room));
        items.truncate(index + usize::from(keep));
        return true;
    }
    false
}

/// Drops trailing elements of the arrays in `value` until its skeleton fits in `budget`;
/// whether it does then.
fn shrink(value: &mut Value, budget: usize) -> bool {
    match value {
        Value::Array(items) => {
            shrink_items(items, budget);
        }
        Value::Object(members) => {
            let composite: Vec<String> = members
                .iter()
                .filter(|(_, member)| member.is_array() || member.is_object())
                .map(|(key, _)| key.clone())
                .collect();
            for key in composite {
                let whole = members_min_length(members);
                let Some(member) = members.get_mut(&key) else {
                    continue;
                };
                // What the rest of the object takes.
                let rest = whole - min_length(member, false);
                if let Some(room) = budget.checked_sub(rest) {
                    shrink(member, room);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
    min_length(value, false) <= budget
}
/// Cuts every string whose escaped text is longer than `limit` characters (marking the
/// cut). Reads at most about `limit` characters of each string.
fn cap_strings(value: &mut Value, limit: usize) {
    match value {
        Value::String(text) => {
            // Escaping at most sextuples a character, and a character takes a byte or more.
            if text.len().saturating_mul(6) <= limit {
                return;
            }
            let content = without_marker(text);
            let (cut, _) = prefix_within(content, limit, 0);
            if cut < content.len() {
                text.truncate(cut);
                text.push_str(TRUNCATION_MARKER);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| cap_strings(item, limit)),
        Value::Object(members) => members
            .values_mut()
            .for_each(|member| cap_strings(member, limit)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `text` without the marker of an earlier cut.
fn without_marker(text: &str) -> &str {
    text.strip_suffix(TRUNCATION_MARKER).unwrap_or(text)
}

/// The byte index where `text` is cut to keep the longest prefix whose escaped length is
/// at most `room` (but at least `floor` characters, or all of `text` if it is shorter), and
/// that prefix's escaped length. Reads blocks that fit whole at once, so that measuring the
/// budget's worth of text costs little more than copying it.
fn prefix_within(text: &str, room: usize, floor: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    // The first `floor` characters are kept whatever their length.
    let mut index = text
        .char_indices()
        .nth(floor)
        .map_or(bytes.len(), |(index, _)| index);
    let (head, rest) = bytes.split_at_checked(index).unwrap_or((bytes, &[]));
    let mut length = escaped_bytes_length(head);
    for block in rest.chunks(64) {
        let block_length = escaped_bytes_length(block);
        if length + block_length <= room {
            length += block_length;
            index += block.len();
            continue;
        }
        for &byte in block {
            let longer = length + usize::from(escaped_byte_length(byte));
            // Only a character's first byte counts, so the cut is on a boundary.
            if longer > room && !is_continuation(byte) {
                return (index, length);
            }
            length = longer;
            index += 1;
        }
    }
    (bytes.len(), length)
}

/// Characters of the JSON text of `value`, computed without serializing it.
pub(crate) fn json_length(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        // Numbers serialize as their `Display` text, which is ASCII.
        Value::Number(number) => number.to_string().len(),
        Value::String(text) => escaped_length(text) + 2,
        // Brackets, commas between elements, elements.
        Value::Array(items) => {
            2 + items.len().saturating_sub(1) + items.iter().map(json_length).sum::<usize>()
        }
        // Braces, commas between members, members as `"key":value`.
        Value::Object(members) => {
            2 + members.len().saturating_sub(1)
                + members
                    .iter()
                    .map(|(key, member)| escaped_length(key) + 3 + json_length(member))
                    .sum::<usize>()
        }
    }
}

/// Characters of the JSON text of `value`'s skeleton: as [`json_length`], but with every
/// text string (not a [`SCHEMA_KEYS`] value, unless `schema` says `value` is one) cut to
/// its first character or the short marker.
fn min_length(value: &Value, schema: bool) -> usize {
    match value {
        Value::String(text) if !schema => {
            let marker = SHORT_TRUNCATION_MARKER.chars().count();
            let shortest = if text.ends_with(TRUNCATION_MARKER) {
                marker
            } else {
                escaped_length(text).min(marker)
            };
            shortest + 2
        }
        Value::Array(items) => {
            2 + items.len().saturating_sub(1)
                + items
                    .iter()
                    .map(|item| min_length(item, false))
                    .sum::<usize>()
        }
        Value::Object(members) => members_min_length(members),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => json_length(value),
    }
}

/// [`min_length`] of an object.
fn members_min_length(members: &serde_json::Map<String, Value>) -> usize {
    2 + members.len().saturating_sub(1)
        + members
            .iter()
            .map(|(key, member)| {
                escaped_length(key) + 3 + min_length(member, is_schema_string(key, member))
            })
            .sum::<usize>()
}

/// Characters of `text` once escaped in a JSON string, without the quotes.
fn escaped_length(text: &str) -> usize {
    escaped_bytes_length(text.as_bytes())
}

/// Characters that `bytes` of UTF-8 text add once escaped (see [`escaped_byte_length`]).
fn escaped_bytes_length(bytes: &[u8]) -> usize {
    // Summed in `u8`s, 32 bytes at a time (six characters at most each), which vectorizes.
    bytes
        .chunks(32)
        .map(|chunk| {
            let sum = chunk.iter().fold(0_u8, |sum, &byte| {
                sum.wrapping_add(escaped_byte_length(byte))
            });
            usize::from(sum)
        })
        .sum()
}

/// Characters that one byte of UTF-8 text adds once escaped, by `serde_json`'s rules: a
/// character's first byte counts the whole character, the others nothing. `"`, `\\` and
/// the control characters with a short escape (`\b`, `\t`, `\n`, `\f`, `\r`) take two
/// characters, the other control characters six (`\u00XX`), everything else one.
/// Branch-free, so that measuring long text is vectorized.
fn escaped_byte_length(byte: u8) -> u8 {
    let continuation = u8::from(is_continuation(byte));
    let quote = u8::from(byte == b'"') | u8::from(byte == b'\\');
    let control = u8::from(byte < 0x20);
    let short_control = u8::from(byte == 0x08)
        | u8::from(byte == b'\t')
        | u8::from(byte == b'\n')
        | u8::from(byte == 0x0c)
        | u8::from(byte == b'\r');
    1 - continuation + quote + 5 * control - 4 * short_control
}

/// Whether `byte` continues a multi-byte character rather than starting one.
fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

fn to_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_text_is_cut_while_copied() {
        assert_eq!(capped("short", 100), "short");
        let long = "é".repeat(200);
        // The marker counts within the limit (it did not before).
        let cut = capped(&long, 120);
        assert_eq!(cut.chars().count(), 120);
        assert!(cut.ends_with(TRUNCATION_MARKER));
        // 150 bytes but 75 characters: within a 100-character limit.
        assert_eq!(capped(&"é".repeat(75), 100), "é".repeat(75));
    }

    #[test]
    fn short_values_are_unchanged() {
        let mut value = json!([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]);
        let original = value.to_string();
        assert_eq!(fit(&mut value, 100), original);
    }

    #[test]
    fn cuts_on_character_boundaries_and_marks_the_cut() {
        let mut value = json!({"content": "ü".repeat(500)});
        let text = fit(&mut value, 100);
        assert!(text.chars().count() <= 100, "{text}");
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let content = parsed["content"].as_str().unwrap();
        // 86 characters of room: the full marker would cost 11 characters of text more
        // than the short one, over a tenth.
        let kept = content.strip_suffix(SHORT_TRUNCATION_MARKER).unwrap();
        assert_eq!(kept.chars().count(), 85);
        assert!(kept.chars().all(|c| c == 'ü'));
    }

    #[test]
    fn drops_trailing_elements_when_strings_cannot_shrink() {
        let mut value = Value::Array((0..200).map(|i| json!({"n": i})).collect());
        let text = fit(&mut value, 120);
        assert!(text.chars().count() <= 120, "{text}");
        let parsed: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed[0], json!({"n": 0}));
        assert_eq!(parsed.last(), Some(&json!(TRUNCATION_MARKER)));
    }

    #[test]
    fn escapes_count_toward_the_budget() {
        let mut value = json!(["\n".repeat(300)]);
        let text = fit(&mut value, 64);
        assert!(text.chars().count() <= 64, "{text}");
        serde_json::from_str::<Value>(&text).unwrap();
    }

    // Defect 9: a cut attribute uses at least 90% of its budget, whatever escaping its
    // text needs, never more than the budget, stays valid JSON and carries the marker.

    /// 5,000 × U+0001: six characters each once escaped (`\u0001`).
    fn control_characters() -> String {
        "\u{1}".repeat(5_000)
    }

    /// Characters escaped to one (é, 🦀), six (U+0001) and two (`"`) characters.
    fn mixed_text() -> String {
        "é🦀\u{1}\"".repeat(2_000)
    }

    /// Two characters each once escaped.
    fn quotes_and_backslashes() -> String {
        "\"\\".repeat(2_500)
    }

    /// A tool's result as pretty-printed JSON: the JSON bodies of the HTTP responses it
    /// collected, as text. Indentation, newlines, quotes and backslashes.
    fn pretty_tool_result() -> String {
        let bodies: Vec<Value> = (0..200)
            .map(|i| {
                let body = json!({"id": i, "name": format!("item {i}"), "tags": ["a", "b"]});
                Value::String(body.to_string())
            })
            .collect();
        serde_json::to_string_pretty(&json!({"status": "ok", "bodies": bodies})).unwrap_or_default()
    }

    fn inputs() -> [(&'static str, String); 4] {
        [
            ("control characters", control_characters()),
            ("mixed text", mixed_text()),
            ("quotes and backslashes", quotes_and_backslashes()),
            ("pretty-printed tool result", pretty_tool_result()),
        ]
    }

    fn one_message(text: &str) -> Value {
        json!([{"role": "user", "parts": [{"type": "text", "content": text}]}])
    }

    /// At most `limit` characters, at least 90% of it, valid JSON, marked.
    #[track_caller]
    fn assert_fills_budget(what: &str, text: &str, limit: usize) {
        let length = text.chars().count();
        assert!(length <= limit, "{what} at {limit}: {length} characters");
        assert!(
            length * 10 >= limit * 9,
            "{what} at {limit}: only {length} characters kept"
        );
        assert!(
            serde_json::from_str::<Value>(text).is_ok(),
            "{what} at {limit}: not JSON: {text}"
        );
        // Below about a hundred characters of text, the short marker.
        assert!(
            text.contains(TRUNCATION_MARKER) || text.contains(SHORT_TRUNCATION_MARKER),
            "{what} at {limit}: unmarked"
        );
    }

    /// Each budget the inputs are cut to: the default, a small one, the minimum.
    const BUDGETS: [usize; 3] = [8_192, 256, 64];

    /// `text` as a plain string (a tool's result) and as the content of one user message,
    /// cut to each budget. The smallest marked message takes 68 characters, so messages
    /// are not cut to the 64-character minimum here.
    #[track_caller]
    fn assert_input_fills_every_budget(what: &str, text: &str) {
        for limit in BUDGETS {
            let cut = fit(&mut Value::String(text.to_owned()), limit);
            assert_fills_budget(what, &cut, limit);
            if limit >= 128 {
                let cut = fit(&mut one_message(text), limit);
                assert_fills_budget(what, &cut, limit);
                let parsed: Value = serde_json::from_str(&cut).unwrap_or_default();
                let content = parsed[0]["parts"][0]["content"]
                    .as_str()
                    .unwrap_or_default();
                let kept = content.strip_suffix(TRUNCATION_MARKER).unwrap_or_default();
                assert!(text.starts_with(kept), "{what} at {limit}: not a prefix");
            }
        }
    }

    #[test]
    fn defect_9_control_characters_keep_90_percent_of_budget() {
        assert_input_fills_every_budget("control characters", &control_characters());
    }

    #[test]
    fn defect_9_mixed_text_keeps_90_percent_of_budget() {
        assert_input_fills_every_budget("mixed text", &mixed_text());
    }

    #[test]
    fn defect_9_quotes_and_backslashes_keep_90_percent_of_budget() {
        assert_input_fills_every_budget("quotes and backslashes", &quotes_and_backslashes());
    }

    #[test]
    fn defect_9_pretty_printed_tool_result_keeps_90_percent_of_budget() {
        assert_input_fills_every_budget("pretty-printed tool result", &pretty_tool_result());
    }

    /// A conversation whose long parts need every kind of escaping, one of them 1 MB.
    fn conversation() -> Value {
        let text = |content: String| json!({"type": "text", "content": content});
        json!([
            {"role": "system", "parts": [text(quotes_and_backslashes())]},
            {"role": "user", "parts": [text(mixed_text()), text(control_characters())]},
            {"role": "assistant", "parts": [{
                "type": "tool_call",
                "id": "call_1",
                "name": "fetch",
                "arguments": {"query": "a \"quoted\"\nquery", "raw": "\u{1}".repeat(1_000_000)},
            }]},
            {"role": "tool", "parts": [{
                "type": "tool_call_response",
                "id": "call_1",
                "response": pretty_tool_result(),
            }]},
            {"role": "user", "parts": [text("Summarize \"this\".\n".to_owned())]},
        ])
    }

    #[test]
    fn defect_9_message_arrays_keep_90_percent_of_budget() {
        for limit in [8_192, 1_024, 256] {
            let cut = fit(&mut conversation(), limit);
            assert_fills_budget("conversation", &cut, limit);
            let parsed: Value = serde_json::from_str(&cut).unwrap_or_default();
            assert_eq!(parsed[0]["role"], json!("system"), "{cut}");
        }
    }

    #[test]
    fn defect_9_message_arrays_at_the_minimum_budget_stay_valid_and_marked() {
        // The first message's skeleton fits in 64 characters: it is kept, with what of its
        // text fits, marked (the array used to become `["…[truncated]"]`).
        let cut = fit(&mut conversation(), 64);
        assert!(cut.chars().count() <= 64, "{cut}");
        let parsed = serde_json::from_str::<Value>(&cut).unwrap_or_default();
        assert_eq!(parsed[0]["role"], json!("system"), "{cut}");
        assert_eq!(parsed[0]["parts"][0]["type"], json!("text"), "{cut}");
        let content = parsed[0]["parts"][0]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(content.ends_with(SHORT_TRUNCATION_MARKER), "{cut}");
        assert_eq!(parsed.as_array().map(Vec::len), Some(1), "{cut}");
    }

    #[test]
    fn defect_9_text_capped_as_copied_still_fills_the_budget() {
        for (what, text) in inputs() {
            for limit in BUDGETS {
                let mut value = Value::String(capped(&text, limit));
                assert_fills_budget(what, &fit(&mut value, limit), limit);
                if limit >= 128 {
                    let mut value = one_message(&capped(&text, limit));
                    assert_fills_budget(what, &fit(&mut value, limit), limit);
                }
            }
        }
    }

    #[test]
    fn defect_9_cuts_match_a_character_by_character_reference() {
        // serde_json's rules, one character at a time.
        let escaped = |c: char| match c {
            '"' | '\\' | '\u{8}' | '\t' | '\n' | '\u{c}' | '\r' => 2,
            '\0'..='\u{1f}' => 6,
            _ => 1,
        };
        let reference = |text: &str, room: usize, floor: usize| {
            let mut length = 0;
            for (count, (index, c)) in text.char_indices().enumerate() {
                if count >= floor && length + escaped(c) > room {
                    return (index, length);
                }
                length += escaped(c);
            }
            (text.len(), length)
        };
        let every_char: String = (0_u8..=0x7f)
            .map(char::from)
            .chain("é🦀€\u{2028}".chars())
            .collect();
        for text in [every_char.repeat(5), mixed_text(), pretty_tool_result()] {
            assert_eq!(
                escaped_length(&text),
                text.chars().map(escaped).sum::<usize>()
            );
            for room in (0..400).chain([1_000, 4_095, 4_096, 8_191, 8_192, 100_000]) {
                for floor in [0, 1, 16] {
                    let (cut, length) = prefix_within(&text, room, floor);
                    assert_eq!(
                        (cut, length),
                        reference(&text, room, floor),
                        "{room} {floor}"
                    );
                    assert!(text.is_char_boundary(cut));
                }
            }
        }
    }

    #[test]
    fn defect_9_computed_lengths_match_serde_json() {
        let every_ascii: String = (0_u8..=0x7f).map(char::from).collect();
        let mut values = vec![
            json!(null),
            json!(true),
            json!(false),
            json!([]),
            json!({}),
            json!(every_ascii),
            json!("é🦀\u{2028}\u{ffff}\u{7f}"),
            json!([
                0,
                -1,
                u64::MAX,
                i64::MIN,
                0.1,
                -0.0,
                1e300,
                1.5e-10,
                123_456_789.0
            ]),
            json!({every_ascii.clone(): [every_ascii, {"": null, "k\n": [[], {}]}]}),
        ];
        values.extend(inputs().map(|(_, text)| json!(text)));
        values.push(conversation());
        for value in values {
            let text = serde_json::to_string(&value).unwrap_or_default();
            assert_eq!(json_length(&value), text.chars().count(), "{text:.200}");
        }
    }

    // Content budgets keep the message schema.

    /// A long ASCII text, a CJK one and an emoji one (one character each once escaped).
    fn long_texts() -> [String; 3] {
        ["a".repeat(10_000), "漢".repeat(10_000), "🦀".repeat(10_000)]
    }

    /// The budgets of the requirement: the minimum, small ones, the default.
    const MESSAGE_BUDGETS: [usize; 5] = [64, 100, 256, 1_000, 8_192];

    /// The message shapes of the conventions, with long text in every place text goes.
    fn shapes(text: &str) -> Vec<(&'static str, Value)> {
        let part = |content: &str| json!({"type": "text", "content": content});
        vec![
            ("one input message", one_message(text)),
            (
                "input messages",
                json!([
                    {"role": "system", "parts": [part(text)]},
                    {"role": "user", "parts": [part("Hi"), part(text)]},
                    {"role": "assistant", "parts": [{
                        "type": "tool_call", "id": "call_1", "name": "get_weather",
                        "arguments": {"city": text},
                    }]},
                    {"role": "tool", "parts": [{
                        "type": "tool_call_response", "id": "call_1", "response": text,
                    }]},
                    {"role": "user", "parts": [part(text)]},
                ]),
            ),
            (
                "output messages",
                json!([
                    {"role": "assistant", "parts": [part(text)], "finish_reason": "stop"},
                    {"role": "assistant", "parts": [{
                        "type": "tool_call", "id": "call_2", "name": "search",
                        "arguments": {"query": text},
                    }], "finish_reason": "tool_call"},
                ]),
            ),
            ("system instructions", json!([part(text), part(text)])),
            ("conversation", conversation()),
        ]
    }

    /// The array's objects keep their schema members: each message its `role` (the
    /// original's), `parts` (each part an object with the original's `type`) and
    /// `finish_reason`; each part of a list of parts its `type`.
    #[track_caller]
    fn assert_schema_kept(what: &str, original: &Value, cut: &Value) {
        let (Some(before), Some(after)) = (original.as_array(), cut.as_array()) else {
            panic!("{what}: not an array: {cut}");
        };
        assert!(
            !after.is_empty() && after.len() <= before.len(),
            "{what}: {cut}"
        );
        for (before, after) in before.iter().zip(after) {
            assert!(after.is_object(), "{what}: {cut}");
            for key in ["role", "type", "finish_reason"] {
                assert_eq!(before.get(key), after.get(key), "{what}: {key} in {cut}");
            }
            if let Some(parts) = before.get("parts") {
                let (Some(parts), Some(kept)) = (parts.as_array(), after["parts"].as_array())
                else {
                    panic!("{what}: parts lost: {cut}");
                };
                assert!(kept.len() <= parts.len(), "{what}: {cut}");
                for (part, kept) in parts.iter().zip(kept) {
                    assert!(kept["type"].is_string(), "{what}: {cut}");
                    assert_eq!(part["type"], kept["type"], "{what}: {cut}");
                }
            }
        }
    }

    #[test]
    fn message_lists_keep_their_schema_at_every_budget() {
        let text = "word ".repeat(2_000);
        let budgets = (64..=320).chain([400, 512, 1_000, 4_096, 8_192]);
        for limit in budgets {
            for (what, original) in shapes(&text) {
                let cut = fit(&mut original.clone(), limit);
                assert!(cut.chars().count() <= limit, "{what} at {limit}: {cut}");
                let parsed: Value = serde_json::from_str(&cut)
                    .unwrap_or_else(|error| panic!("{what} at {limit}: {error}: {cut}"));
                assert_schema_kept(&format!("{what} at {limit}"), &original, &parsed);
                // Marked, unless no part is left to carry the marker.
                let partless = parsed[0]["parts"].as_array().is_some_and(Vec::is_empty);
                assert!(
                    partless || cut.contains(SHORT_TRUNCATION_MARKER),
                    "{what} at {limit}: {cut}"
                );
            }
        }
    }

    #[test]
    fn one_message_keeps_90_percent_of_the_room_for_its_text() {
        // `[{"role":"user","parts":[{"type":"text","content":""}]}]`
        let skeleton = one_message("").to_string().chars().count();
        assert_eq!(skeleton, 56);
        for text in long_texts() {
            for limit in MESSAGE_BUDGETS {
                let cut = fit(&mut one_message(&text), limit);
                let length = cut.chars().count();
                let parsed: Value = serde_json::from_str(&cut).unwrap_or_default();
                assert_schema_kept("one message", &one_message(&text), &parsed);
                let content = parsed[0]["parts"][0]["content"]
                    .as_str()
                    .unwrap_or_default();
                let room = limit - skeleton;
                // The full marker from 111 characters of room on, the short one below.
                let marker = if room >= 111 {
                    TRUNCATION_MARKER
                } else {
                    SHORT_TRUNCATION_MARKER
                };
                let kept = content.strip_suffix(marker).unwrap_or_default();
                assert!(text.starts_with(kept), "at {limit}: not a prefix: {cut}");
                let kept = kept.chars().count();
                // Every character of the budget is used: the kept text and the marker
                // fill the room the skeleton leaves.
                assert_eq!(length, limit, "{cut}");
                assert_eq!(kept + marker.chars().count(), room, "at {limit}: {cut}");
                // At 64 characters, 8 are left for text: 7 and the one-character marker,
                // 87.5%, the most any marked cut can keep.
                if limit > 64 {
                    assert!(kept * 10 >= room * 9, "at {limit}: {kept} of {room}");
                } else {
                    assert_eq!(kept, 7);
                }
            }
        }
    }

    #[test]
    fn several_messages_keep_every_skeleton_and_cut_the_longest_text_first() {
        let long = "a".repeat(10_000);
        let medium = "b".repeat(300);
        let original = json!([
            {"role": "user", "parts": [{"type": "text", "content": long}]},
            {"role": "assistant", "parts": [{"type": "text", "content": "tail"}],
             "finish_reason": "stop"},
            {"role": "user", "parts": [{"type": "text", "content": medium}]},
        ]);
        let cut = fit(&mut original.clone(), 512);
        assert_eq!(cut.chars().count(), 512, "{cut}");
        let parsed: Value = serde_json::from_str(&cut).unwrap_or_default();
        assert_schema_kept("several messages", &original, &parsed);
        assert_eq!(parsed.as_array().map(Vec::len), Some(3));
        // The short text is kept whole; the two long ones are cut to the same length.
        assert_eq!(parsed[1]["parts"][0]["content"], json!("tail"));
        let kept = |index: usize| {
            let content = parsed[index]["parts"][0]["content"]
                .as_str()
                .unwrap_or_default();
            content
                .strip_suffix(TRUNCATION_MARKER)
                .map_or(0, |kept| kept.chars().count())
        };
        assert!(kept(0) > 100, "{cut}");
        assert_eq!(kept(0), kept(2), "{cut}");
        // The short text (4) and the two cuts fill the room the skeletons leave.
        let mut empty = original;
        for message in empty.as_array_mut().into_iter().flatten() {
            message["parts"][0]["content"] = json!("");
        }
        let room = 512 - empty.to_string().chars().count();
        assert_eq!(
            4 + kept(0) + kept(2) + 2 * TRUNCATION_MARKER.chars().count(),
            room
        );
    }

    #[test]
    fn trailing_messages_are_dropped_only_when_their_skeletons_do_not_fit() {
        let message = |index: usize| json!({"role": "user", "parts": [{"type": "text", "content": format!("{index}").repeat(500)}]});
        let original = Value::Array((0..10).map(message).collect());
        // All ten skeletons, text down to markers, take 561 characters.
        for limit in [64, 100, 200, 300, 560] {
            let cut = fit(&mut original.clone(), limit);
            assert!(cut.chars().count() <= limit, "{cut}");
            let parsed: Value = serde_json::from_str(&cut).unwrap_or_default();
            assert_schema_kept("ten messages", &original, &parsed);
            let messages = parsed.as_array().map_or(0, Vec::len);
            assert!((1..10).contains(&messages), "at {limit}: {cut}");
            // Every kept message keeps text, and is marked.
            for message in parsed.as_array().into_iter().flatten() {
                let content = message["parts"][0]["content"].as_str().unwrap_or_default();
                assert!(content.ends_with(SHORT_TRUNCATION_MARKER), "{cut}");
            }
            // One more message with its text down to a marker would not have fit.
            let one_more: Vec<Value> = (0..=messages)
                .map(|_| one_message(SHORT_TRUNCATION_MARKER)[0].clone())
                .collect();
            assert!(
                Value::Array(one_more).to_string().chars().count() > limit,
                "at {limit}: {messages} kept: {cut}"
            );
        }
    }

    #[test]
    fn a_tool_call_at_the_minimum_budget_keeps_the_message_schema() {
        let original = json!([{
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                       "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_call",
        }]);
        // The part alone takes more than the budget: the message keeps its role, its
        // (empty) parts and its finish reason.
        let cut = fit(&mut original.clone(), 64);
        assert_eq!(
            serde_json::from_str::<Value>(&cut).ok(),
            Some(json!([{"role": "assistant", "parts": [], "finish_reason": "tool_call"}]))
        );
        // With room for it (126 characters with its text down to markers), the part keeps
        // its type, id, name and arguments, cut.
        let cut = fit(&mut original.clone(), 140);
        assert!(cut.chars().count() <= 140, "{cut}");
        let parsed: Value = serde_json::from_str(&cut).unwrap_or_default();
        assert_schema_kept("tool call", &original, &parsed);
        let part = &parsed[0]["parts"][0];
        for key in ["id", "name", "arguments"] {
            assert!(part.get(key).is_some(), "{key}: {cut}");
        }
    }

    #[test]
    fn capped_text_fits_its_limit_marker_included_on_character_boundaries() {
        for text in long_texts() {
            for limit in [64, 100, 110, 111, 256, 8_192] {
                let cut = capped(&text, limit);
                assert_eq!(cut.chars().count(), limit, "{cut}");
                let marker = if limit >= 111 {
                    TRUNCATION_MARKER
                } else {
                    SHORT_TRUNCATION_MARKER
                };
                let kept = cut.strip_suffix(marker).unwrap_or_default();
                assert_eq!(kept.chars().count(), limit - marker.chars().count());
                assert!(text.starts_with(kept));
            }
        }
        // Mixed widths: one, two, three and four bytes.
        let mixed = "aé漢🦀".repeat(100);
        let cut = capped(&mixed, 65);
        assert_eq!(
            cut,
            format!("{}{SHORT_TRUNCATION_MARKER}", "aé漢🦀".repeat(16))
        );
        // Text of exactly the limit is kept; one more character is cut.
        let exact = "漢".repeat(64);
        assert_eq!(capped(&exact, 64), exact);
        assert_eq!(
            capped(&"🦀".repeat(65), 64),
            format!("{}{SHORT_TRUNCATION_MARKER}", "🦀".repeat(63))
        );
    }
}
