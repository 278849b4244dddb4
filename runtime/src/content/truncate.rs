//! Fitting captured content into an attribute budget while keeping it valid JSON.
//!
//! Budgets count characters (Unicode scalar values) of the serialized JSON, the unit of
//! Application Insights' 8,192-character property limit. Cuts happen on character
//! boundaries, so the result is always valid UTF-8, and every cut is marked with
//! [`TRUNCATION_MARKER`].

use serde_json::Value;

/// Appended to every string that was cut, and added as the last element of an array whose
/// tail was dropped.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// Characters of each string kept before giving up on shortening strings.
const MIN_KEEP: usize = 16;
/// String cuts tried before dropping array elements.
const MAX_CUTS: usize = 32;

/// The JSON text of `value`, at most `limit` characters long (for limits of at least the
/// marker's length plus a few characters). Long strings are shortened first, the longest
/// first; if that is not enough, trailing elements of the top-level array are dropped;
/// as a last resort the whole value becomes the marker string.
pub(crate) fn fit(value: &mut Value, limit: usize) -> String {
    // No string can keep more than the whole budget: cutting those first keeps the
    // serializations below proportional to the budget, not to the message.
    cap_strings(value, limit);
    let mut text = to_json(value);
    let mut length = text.chars().count();
    if length <= limit {
        return text;
    }
    let marker = TRUNCATION_MARKER.chars().count();
    for _ in 0..MAX_CUTS {
        let excess = length - limit;
        let Some(longest) = longest_string(value) else {
            break;
        };
        let content = longest
            .strip_suffix(TRUNCATION_MARKER)
            .unwrap_or(longest.as_str());
        let chars = content.chars().count();
        if chars <= MIN_KEEP {
            break;
        }
        let keep = chars.saturating_sub(excess + marker).max(MIN_KEEP);
        let cut = content
            .char_indices()
            .nth(keep)
            .map_or(content.len(), |(index, _)| index);
        let mut shortened = String::with_capacity(cut + TRUNCATION_MARKER.len());
        shortened.push_str(&content[..cut]);
        shortened.push_str(TRUNCATION_MARKER);
        *longest = shortened;
        text = to_json(value);
        length = text.chars().count();
        if length <= limit {
            return text;
        }
    }
    if let Value::Array(items) = value {
        let marker_item = Value::String(TRUNCATION_MARKER.to_owned());
        // "[" + items joined by "," + "]", with the marker as the last item.
        let mut budget = limit.saturating_sub(2 + marker + 2);
        let mut kept = 0;
        for item in items.iter() {
            let item_length = to_json(item).chars().count() + 1;
            if item_length > budget {
                break;
            }
            budget -= item_length;
            kept += 1;
        }
        items.truncate(kept);
        items.push(marker_item);
        text = to_json(value);
        if text.chars().count() <= limit {
            return text;
        }
    }
    *value = Value::String(TRUNCATION_MARKER.to_owned());
    to_json(value)
}

/// `text`, or its first `limit` characters and the marker when it is longer: plain text is
/// cut as it is copied into the captured content, so a long prompt costs its first
/// `limit` characters, not its size.
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

/// Cuts every string longer than `limit` characters (marking the cut).
fn cap_strings(value: &mut Value, limit: usize) {
    match value {
        Value::String(text) => {
            if text.len() > limit
                && let Some((cut, _)) = text.char_indices().nth(limit)
            {
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

fn to_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The longest string anywhere in `value` (object keys excluded).
fn longest_string(value: &mut Value) -> Option<&mut String> {
    match value {
        Value::String(text) => Some(text),
        Value::Array(items) => items
            .iter_mut()
            .filter_map(longest_string)
            .max_by_key(|text| text.len()),
        Value::Object(members) => members
            .values_mut()
            .filter_map(longest_string)
            .max_by_key(|text| text.len()),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
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
}
