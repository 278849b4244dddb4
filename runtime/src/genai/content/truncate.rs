//! Fitting captured content into an attribute budget while keeping it valid JSON.
//!
//! Budgets count characters (Unicode scalar values) of the serialized JSON, the unit of
//! Application Insights' 8,192-character property limit. Lengths are computed with
//! `serde_json`'s escaping rules (`"` and `\\` take two characters, control characters
//! two or six), so a cut removes what is over the budget and little more, whatever
//! escaping the text needs. Cuts happen on character boundaries, so the result is always
//! valid UTF-8, and every cut is marked with [`TRUNCATION_MARKER`].

use std::cmp::Reverse;

use serde_json::Value;

/// Appended to every string that was cut, and added as the last element of an array whose
/// tail was dropped.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// Characters each cut string keeps while other strings can still be cut or trailing
/// array elements dropped; cutting strings shorter is the last resort before giving up.
const MIN_KEEP: usize = 16;

/// The JSON text of `value`, at most `limit` characters long (for limits of at least the
/// marker's length plus a few characters). Long strings are shortened first, the longest
/// first, each cut where the escaped text fits; if that is not enough, trailing elements
/// of the top-level array are dropped; as a last resort the whole value becomes the marker
/// string.
///
/// A value that had to be cut uses all but at most five characters of the budget (the
/// longest escape, `\u00XX`, minus one), unless whole array elements had to be dropped.
/// Lengths are computed, not measured: the value is serialized once, when it fits.
pub(crate) fn fit(value: &mut Value, limit: usize) -> String {
    // No string can keep more than the whole budget: cutting those first keeps the work
    // proportional to the budget, not to the message.
    cap_strings(value, limit);
    let mut length = json_length(value, None);
    if length > limit
        && json_length(value, Some(MIN_KEEP)) > limit
        && let Value::Array(items) = value
    {
        drop_tail(items, limit);
        length = json_length(value, None);
    }
    // Strings keep at least MIN_KEEP characters while others can still be cut.
    for floor in [MIN_KEEP, 0] {
        if length > limit {
            length = limit + shorten_strings(value, length - limit, floor);
        }
    }
    if length <= limit {
        let text = to_json(value);
        // Holds as long as `escaped_length` follows serde_json (a unit test checks).
        if text.chars().count() <= limit {
            return text;
        }
    }
    *value = Value::String(TRUNCATION_MARKER.to_owned());
    to_json(value)
}

/// `text`, or its first `limit` characters and the marker when it is longer: plain text is
/// cut as it is copied into the captured content, so a long prompt costs its first
/// `limit` characters, not its size. Escaping can only lengthen what is kept, so [`fit`]
/// still has a whole budget of text to cut from.
pub(crate) fn capped(text: &str, limit: usize) -> String {
    if text.len() > limit
        && let Some((cut, _)) = text.char_indices().nth(limit)
    {
        let mut capped = String::with_capacity(cut + TRUNCATION_MARKER.len());
        capped.push_str(&text[..cut]);
        capped.push_str(TRUNCATION_MARKER);
        return capped;
    }
    text.to_owned()
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

/// Keeps the longest head of `items` that fits in `limit` with its strings cut to
/// [`MIN_KEEP`] characters (or, failing that, the first item with its strings cut further),
/// and appends the marker as the last element.
fn drop_tail(items: &mut Vec<Value>, limit: usize) {
    let marker_item = Value::String(TRUNCATION_MARKER.to_owned());
    // "[" + the kept items, each followed by "," + the marker item + "]".
    let mut budget = limit.saturating_sub(json_length(&marker_item, None) + 2);
    let mut kept = 0;
    for item in items.iter() {
        let item_length = json_length(item, Some(MIN_KEEP)) + 1;
        if item_length > budget {
            break;
        }
        budget -= item_length;
        kept += 1;
    }
    if kept == 0
        && items
            .first()
            .is_some_and(|first| json_length(first, Some(0)) < budget)
    {
        kept = 1;
    }
    items.truncate(kept);
    items.push(marker_item);
}

/// Cuts strings of `value`, the longest (escaped) first, each by what is still over, none
/// below `floor` characters. Returns what is still over.
fn shorten_strings(value: &mut Value, mut excess: usize, floor: usize) -> usize {
    let mut strings = Vec::new();
    strings_of(value, &mut strings);
    let mut order: Vec<(usize, usize)> = strings
        .iter()
        .enumerate()
        .map(|(index, text)| (escaped_length(text), index))
        .collect();
    // Of equally long strings, the last is cut first.
    order.sort_unstable_by_key(|&entry| Reverse(entry));
    let marker = escaped_length(TRUNCATION_MARKER);
    for (length, index) in order {
        if excess == 0 {
            break;
        }
        let Some(text) = strings.get_mut(index) else {
            continue;
        };
        let content = without_marker(text);
        // The kept part plus the marker must be `excess` shorter than the string is.
        let room = length.saturating_sub(excess + marker);
        let (cut, kept) = prefix_within(content, room, floor);
        let shorter = kept + marker;
        if shorter >= length {
            continue;
        }
        text.truncate(cut);
        text.push_str(TRUNCATION_MARKER);
        excess = excess.saturating_sub(length - shorter);
    }
    excess
}

/// Every string in `value` (object keys excluded), in document order.
fn strings_of<'a>(value: &'a mut Value, strings: &mut Vec<&'a mut String>) {
    match value {
        Value::String(text) => strings.push(text),
        Value::Array(items) => {
            for item in items {
                strings_of(item, strings);
            }
        }
        Value::Object(members) => {
            for member in members.values_mut() {
                strings_of(member, strings);
            }
        }
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

/// Characters of the JSON text of `value`, computed without serializing it; with `floor`,
/// as if every string were cut to that many characters where that shortens it.
fn json_length(value: &Value, floor: Option<usize>) -> usize {
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        // Numbers serialize as their `Display` text, which is ASCII.
        Value::Number(number) => number.to_string().len(),
        Value::String(text) => {
            let length = escaped_length(text);
            let shortest = floor.map_or(length, |floor| {
                let content = without_marker(text);
                let (_, kept) = prefix_within(content, 0, floor);
                length.min(kept + escaped_length(TRUNCATION_MARKER))
            });
            shortest + 2
        }
        // Brackets, commas between elements, elements.
        Value::Array(items) => {
            2 + items.len().saturating_sub(1)
                + items
                    .iter()
                    .map(|item| json_length(item, floor))
                    .sum::<usize>()
        }
        // Braces, commas between members, members as `"key":value`.
        Value::Object(members) => {
            2 + members.len().saturating_sub(1)
                + members
                    .iter()
                    .map(|(key, member)| escaped_length(key) + 3 + json_length(member, floor))
                    .sum::<usize>()
        }
    }
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
        let cut = capped(&long, 100);
        assert_eq!(cut.chars().count(), 100 + TRUNCATION_MARKER.chars().count());
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
        assert!(content.ends_with(TRUNCATION_MARKER));
        assert!(
            content
                .trim_end_matches(TRUNCATION_MARKER)
                .chars()
                .all(|c| c == 'ü')
        );
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
        assert!(
            text.contains(TRUNCATION_MARKER),
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
        // No message fits in 64 characters: the array keeps only the marker.
        let cut = fit(&mut conversation(), 64);
        assert!(cut.chars().count() <= 64, "{cut}");
        assert_eq!(
            serde_json::from_str::<Value>(&cut).ok(),
            Some(json!([TRUNCATION_MARKER]))
        );
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
            assert_eq!(
                json_length(&value, None),
                text.chars().count(),
                "{text:.200}"
            );
        }
    }
}
