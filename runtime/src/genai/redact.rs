//! Redaction of message content: credentials (and, when asked for, personal data) in
//! text that leaves the process are replaced by a marker naming what was there, and the
//! rest of the text is kept.
//!
//! The classes ([`RedactClasses`]), the user's own regular expressions and an optional
//! [`Redactor`] are compiled once, at install, into a [`Redaction`]. A [`RegexSet`] over
//! every rule checks the whole text in one pass; only the rules that matched then run on
//! their own to find what to replace. Text where nothing matches is returned as it was,
//! without a copy.
//!
//! Markers: `[REDACTED:credential]`, `[REDACTED:pii]`, `[REDACTED:pattern]` (the user's
//! patterns), and whatever a [`Redactor`] writes. The part a rule replaces never holds
//! `"` or `\`, and JSON content is redacted string by string
//! ([`Redaction::content`]), so redacted JSON stays valid JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use regex::{Regex, RegexSet};

/// Redaction decided by the application's own code, applied after the built-in classes
/// and patterns, to every text that leaves the process while message content is recorded.
///
/// Returns `None` when nothing is to change (the common case, which costs no copy), else
/// the text to record instead.
///
/// ```
/// use trace_genai::Redactor;
///
/// /// Hides the customer numbers of this application.
/// #[derive(Debug)]
/// struct CustomerNumbers;
///
/// impl Redactor for CustomerNumbers {
///     fn redact(&self, text: &str) -> Option<String> {
///         text.contains("CUST-")
///             .then(|| text.replace("CUST-", "CUST-[hidden]-"))
///     }
/// }
///
/// let redactor = CustomerNumbers;
/// assert_eq!(redactor.redact("no number here"), None);
/// assert_eq!(
///     redactor.redact("order of CUST-1234").as_deref(),
///     Some("order of CUST-[hidden]-1234")
/// );
/// ```
pub trait Redactor: Send + Sync + std::fmt::Debug {
    /// The text to record instead of `text`, or `None` to record `text` as it is.
    fn redact(&self, text: &str) -> Option<String>;
}

/// Which built-in classes of sensitive text are redacted: a set of
/// [`CREDENTIALS`](Self::CREDENTIALS) and [`PII`](Self::PII). The default is
/// credentials only.
///
/// ```
/// use trace_genai::RedactClasses;
///
/// let both = RedactClasses::CREDENTIALS | RedactClasses::PII;
/// assert!(both.contains(RedactClasses::PII));
/// assert_eq!(RedactClasses::default(), RedactClasses::CREDENTIALS);
/// assert_eq!(RedactClasses::parse(" PII , credentials"), Some(both));
/// assert_eq!(RedactClasses::parse("none"), Some(RedactClasses::NONE));
/// assert_eq!(RedactClasses::parse("none,pii"), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RedactClasses(u8);

impl RedactClasses {
    /// No built-in class: only the user's patterns and [`Redactor`] apply.
    pub const NONE: Self = RedactClasses(0);
    /// Credentials: API keys (`sk-…`), bearer tokens and JWTs, Azure account keys, SAS
    /// signatures and connection-string secrets, AWS access keys, GitHub tokens, passwords
    /// in URLs and `password=` pairs. Marker `[REDACTED:credential]`.
    pub const CREDENTIALS: Self = RedactClasses(1);
    /// Personal data: e-mail addresses, phone numbers and payment card numbers (those
    /// that pass the Luhn check). Marker `[REDACTED:pii]`.
    pub const PII: Self = RedactClasses(2);
    /// Every class.
    pub const ALL: Self = RedactClasses(3);

    /// Whether every class of `other` is in this set.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The classes of both sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        RedactClasses(self.0 | other.0)
    }

    /// Whether no class is in this set.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses `TRACE_GENAI_REDACT`: a comma list of `credentials` and `pii`, or `none`
    /// alone (any case, spaces around items allowed). `None` for anything else, including
    /// `none` together with a class and a list without any item.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let mut classes = RedactClasses::NONE;
        let mut none = false;
        let mut items = 0;
        for item in value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            items += 1;
            if item.eq_ignore_ascii_case("credentials") {
                classes = classes.union(RedactClasses::CREDENTIALS);
            } else if item.eq_ignore_ascii_case("pii") {
                classes = classes.union(RedactClasses::PII);
            } else if item.eq_ignore_ascii_case("none") {
                none = true;
            } else {
                return None;
            }
        }
        match (items, none) {
            (0, _) => None,
            (_, true) if !classes.is_empty() => None,
            _ => Some(classes),
        }
    }
}

impl Default for RedactClasses {
    fn default() -> Self {
        RedactClasses::CREDENTIALS
    }
}

impl std::ops::BitOr for RedactClasses {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        self.union(other)
    }
}

impl std::fmt::Debug for RedactClasses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (RedactClasses::CREDENTIALS, "credentials"),
            (RedactClasses::PII, "pii"),
        ]
        .into_iter()
        .filter(|(class, _)| self.contains(*class))
        .map(|(_, name)| name)
        .collect();
        if names.is_empty() {
            f.write_str("RedactClasses(none)")
        } else {
            write!(f, "RedactClasses({})", names.join(" | "))
        }
    }
}

/// The marker of a credential.
pub(crate) const CREDENTIAL_MARKER: &str = "[REDACTED:credential]";
/// The marker of personal data.
pub(crate) const PII_MARKER: &str = "[REDACTED:pii]";
/// The marker of a match of one of the user's patterns.
pub(crate) const PATTERN_MARKER: &str = "[REDACTED:pattern]";

/// A built-in rule: its regular expression and the check a match must pass. Where the
/// expression has a group named `v`, only that group is replaced (the key of a
/// `key=value` pair, the user and host of a URL are kept); else the whole match.
type Builtin = (&'static str, Option<fn(&str) -> bool>);

/// Credentials, most specific first (an earlier rule wins where two overlap).
const CREDENTIAL_RULES: &[Builtin] = &[
    // PEM-free secrets with a recognisable prefix.
    // OpenAI and Anthropic keys: sk-…, sk-proj-…, sk-ant-api03-… (a digit somewhere, so
    // that hyphenated words such as sk-learn-compatible-estimators stay).
    (r"\bsk-[A-Za-z0-9_-]{20,}", Some(has_digit)),
    // GitHub tokens.
    (
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b",
        None,
    ),
    // AWS access key ids.
    (r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b", None),
    // JWTs: header and payload are base64url JSON objects (`{"` encodes as `eyJ`).
    (
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        None,
    ),
    // An Authorization header's credentials, whatever their length.
    (
        r"(?i)\bauthorization\s*[:=]\s*(?:bearer|basic|token)\s+(?P<v>[A-Za-z0-9._~+/=-]+)",
        None,
    ),
    // A bearer token elsewhere: long and random-looking (not "the bearer of bad news").
    (
        r"(?i)\bbearer\s+(?P<v>[A-Za-z0-9._~+/=-]{16,})",
        Some(looks_random),
    ),
    // A password in a URL: scheme://user:password@host keeps the user and the host.
    (
        r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@"\\]*:(?P<v>[^\s/@"\\]+)@"#,
        None,
    ),
    // Connection-string and configuration secrets: the key is kept.
    (
        r#"(?i)(?:\b|_)(?:AccountKey|SharedAccessKey|InstrumentationKey|password|passwd|pwd|aws_secret_access_key|client_secret)\s*=\s*(?P<v>[^\s;&"'\\<>]+)"#,
        None,
    ),
    // The same with a colon, for the keys that cannot be mistaken for prose.
    (
        r#"(?i)(?:\b|_)(?:password|aws_secret_access_key)\s*:\s*'?(?P<v>[^\s;&"'\\<>]+)"#,
        None,
    ),
    // The signature of an Azure SAS token (URL query or connection string).
    (r"(?i)[?&;]sig=(?P<v>[A-Za-z0-9%+/=_-]{16,})", None),
];

/// Personal data, most specific first.
const PII_RULES: &[Builtin] = &[
    // E-mail addresses.
    (
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b",
        None,
    ),
    // Payment cards: 13 to 19 digits, spaces or dashes allowed, a first digit of a card
    // network (2 to 6), passing the Luhn check; not after `+` (a phone number) nor inside
    // a decimal number.
    (
        r"(?:^|[^\w+.,\\])(?P<v>[2-6][0-9]{3}(?:[ -]?[0-9]){9,15})\b",
        Some(luhn),
    ),
    // International numbers: +country, 8 to 15 digits (E.164).
    (
        r"(?:^|[^\w+\\])(?P<v>\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?)(?:[ .-]?[0-9]{1,4}){1,5})\b",
        Some(phone_digits),
    ),
    // North-American numbers: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567.
    (
        r"(?:^|[^\w+\\])(?P<v>(?:1[ .-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[0-9]{3}[ .-][0-9]{4})\b",
        None,
    ),
    // European national numbers with a trunk 0 and separators: 06 12 34 56 78,
    // 030 1234567, 020 7946 0958, 0171-1234567 (dots and slashes are left to dates).
    (
        r"(?:^|[^\w+\\])(?P<v>0[1-9][0-9]{0,3}[ -][0-9]{2,4}(?:[ -]?[0-9]{2,4}){1,4})\b",
        Some(phone_digits),
    ),
];

/// Whether `text` has an ASCII digit.
fn has_digit(text: &str) -> bool {
    text.bytes().any(|byte| byte.is_ascii_digit())
}

/// Whether `text` looks like a random token rather than a word: a digit, or a capital
/// letter after the first character.
fn looks_random(text: &str) -> bool {
    has_digit(text) || text.bytes().skip(1).any(|byte| byte.is_ascii_uppercase())
}

/// Whether `text` holds 8 to 15 digits: a phone number (E.164 allows 15).
fn phone_digits(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    (8..=15).contains(&digits)
}

/// Whether the digits of `text` (spaces and dashes are skipped) are 13 to 19 and pass the
/// Luhn check of payment card numbers.
fn luhn(text: &str) -> bool {
    let mut sum = 0_u32;
    let mut count = 0_usize;
    for digit in text.bytes().rev().filter(u8::is_ascii_digit) {
        let mut value = u32::from(digit - b'0');
        if count % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
        count += 1;
    }
    (13..=19).contains(&count) && sum.is_multiple_of(10)
}

/// One compiled rule.
#[derive(Debug)]
struct Rule {
    regex: Regex,
    /// The marker written in place of a match.
    marker: &'static str,
    /// A check each match must pass (Luhn, digit count, …).
    check: Option<fn(&str) -> bool>,
    /// The capture group replaced: `v` when the expression has one, else the whole match.
    group: Option<usize>,
}

impl Rule {
    fn new(
        pattern: &str,
        marker: &'static str,
        check: Option<fn(&str) -> bool>,
    ) -> Result<Self, RedactError> {
        let regex = Regex::new(pattern).map_err(|error| RedactError::Pattern {
            pattern: pattern.to_owned(),
            message: error.to_string(),
        })?;
        let group = regex.capture_names().position(|name| name == Some("v"));
        Ok(Rule {
            regex,
            marker,
            check,
            group,
        })
    }

    /// The spans to replace in `text`, each passed to `accept`.
    fn spans(&self, text: &str, mut accept: impl FnMut(usize, usize)) {
        let mut take = |start: usize, end: usize| {
            let passes = self
                .check
                .is_none_or(|check| text.get(start..end).is_some_and(check));
            // An empty match (a user pattern such as `x*`) replaces nothing.
            if start < end && passes {
                accept(start, end);
            }
        };
        match self.group {
            Some(group) => {
                for captures in self.regex.captures_iter(text) {
                    if let Some(found) = captures.get(group) {
                        take(found.start(), found.end());
                    }
                }
            }
            None => {
                for found in self.regex.find_iter(text) {
                    take(found.start(), found.end());
                }
            }
        }
    }
}

/// Why a [`Redaction`] could not be compiled.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedactError {
    /// A pattern is not a valid regular expression.
    #[error("the redaction pattern {pattern:?} is not a valid regular expression: {message}")]
    Pattern {
        /// The pattern, as given.
        pattern: String,
        /// The regex crate's words.
        message: String,
    },
}

/// The redaction in force: the built-in classes' rules, the user's patterns and the
/// user's [`Redactor`], compiled once.
#[derive(Debug)]
pub(crate) struct Redaction {
    /// Every rule's expression, in rule order: one pass tells which rules match at all.
    set: Option<RegexSet>,
    /// The rules, earliest first: where two matches overlap, the earlier rule's wins.
    rules: Vec<Rule>,
    /// The user's own redaction, applied after the rules.
    custom: Option<Arc<dyn Redactor>>,
    /// Whether JSON text can be checked as it is (without decoding its strings) before it
    /// is parsed: false when a user pattern may be anchored (`^`, `$`, `\A`, `\z`), as it
    /// may match a decoded string but not the JSON text around it.
    raw_check: bool,
}

impl Redaction {
    /// Compiles `classes`, the user's `patterns` (regular expressions of the regex crate,
    /// whose matches become `[REDACTED:pattern]`) and the user's `custom` redactor.
    ///
    /// Rules apply in this order, an earlier one winning where two matches overlap:
    /// credentials, the user's patterns, personal data; then `custom` on the result.
    pub(crate) fn new(
        classes: RedactClasses,
        patterns: &[String],
        custom: Option<Arc<dyn Redactor>>,
    ) -> Result<Self, RedactError> {
        let mut rules = Vec::new();
        if classes.contains(RedactClasses::CREDENTIALS) {
            for (pattern, check) in CREDENTIAL_RULES {
                rules.push(Rule::new(pattern, CREDENTIAL_MARKER, *check)?);
            }
        }
        for pattern in patterns {
            let mut rule = Rule::new(pattern, PATTERN_MARKER, None)?;
            // The whole match of a user pattern is replaced, whatever its groups.
            rule.group = None;
            rules.push(rule);
        }
        if classes.contains(RedactClasses::PII) {
            for (pattern, check) in PII_RULES {
                rules.push(Rule::new(pattern, PII_MARKER, *check)?);
            }
        }
        let set = if rules.is_empty() {
            None
        } else {
            let set =
                RegexSet::new(rules.iter().map(|rule| rule.regex.as_str())).map_err(|error| {
                    RedactError::Pattern {
                        pattern: patterns.join(" | "),
                        message: error.to_string(),
                    }
                })?;
            Some(set)
        };
        let raw_check = !patterns.iter().any(|pattern| {
            pattern.contains(['^', '$']) || pattern.contains("\\A") || pattern.contains("\\z")
        });
        Ok(Redaction {
            set,
            rules,
            custom,
            raw_check,
        })
    }

    /// Whether this redaction changes nothing: no class, no pattern, no redactor.
    pub(crate) fn is_noop(&self) -> bool {
        self.rules.is_empty() && self.custom.is_none()
    }

    /// `text` with every match replaced by its marker, then passed to the user's
    /// redactor. Borrowed when nothing changed.
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let redacted = self.rules(text);
        match &self.custom {
            Some(custom) => match custom.redact(&redacted) {
                Some(changed) => Cow::Owned(changed),
                None => redacted,
            },
            None => redacted,
        }
    }

    /// Message content: when `text` is JSON (an array or an object), every string in it
    /// (not the keys of objects) redacted with [`text`](Self::text); other text redacted
    /// as a whole. Borrowed when nothing changed.
    ///
    /// Only the strings that change are written again (JSON-escaped): the rest of the
    /// text, its key order and spacing included, is kept, so the result is valid JSON
    /// with the same structure.
    pub(crate) fn content<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.is_noop() {
            return Cow::Borrowed(text);
        }
        if !text.trim_start().starts_with(['[', '{']) {
            return self.text(text);
        }
        // Without escapes, each JSON string is a piece of the text: if no rule matches
        // the text, none matches a string.
        if self.custom.is_none()
            && self.raw_check
            && !text.contains('\\')
            && !self.set.as_ref().is_some_and(|set| set.is_match(text))
        {
            return Cow::Borrowed(text);
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            return self.text(text);
        }
        // Should a string fail to decode or encode (it cannot, in valid JSON), the text is
        // redacted as a whole rather than recorded as it is.
        self.json_strings(text).unwrap_or_else(|| self.text(text))
    }

    /// Valid JSON `text` with its string values (not keys) redacted, borrowed when none
    /// changed; `None` if a string could not be decoded or encoded.
    fn json_strings<'a>(&self, text: &'a str) -> Option<Cow<'a, str>> {
        let bytes = text.as_bytes();
        let mut redacted: Option<String> = None;
        let mut copied = 0;
        let mut at = 0;
        while let Some(offset) = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&byte| byte == b'"'))
        {
            let start = at + offset;
            // The closing quote: the first one not escaped by a backslash.
            let mut end = start + 1;
            let mut escaped = false;
            while let Some(&byte) = bytes.get(end) {
                match byte {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => break,
                    _ => {}
                }
                end += 1;
            }
            at = end + 1;
            let is_key = bytes
                .get(at..)
                .and_then(|rest| rest.iter().find(|byte| !byte.is_ascii_whitespace()))
                == Some(&b':');
            if is_key {
                continue;
            }
            let raw = text.get(start..at)?;
            let value: Cow<'_, str> = if raw.contains('\\') {
                Cow::Owned(serde_json::from_str::<String>(raw).ok()?)
            } else {
                Cow::Borrowed(raw.get(1..raw.len() - 1)?)
            };
            if let Cow::Owned(changed) = self.text(&value) {
                let out = redacted.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(text.get(copied..start)?);
                out.push_str(&serde_json::to_string(&changed).ok()?);
                copied = at;
            }
        }
        let Some(mut out) = redacted else {
            return Some(Cow::Borrowed(text));
        };
        out.push_str(text.get(copied..)?);
        Some(Cow::Owned(out))
    }

    /// `text` with the rules' matches replaced (without the user's redactor).
    fn rules<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(set) = &self.set else {
            return Cow::Borrowed(text);
        };
        let matched = set.matches(text);
        if !matched.matched_any() {
            return Cow::Borrowed(text);
        }
        // Accepted spans, start → (end, marker), never overlapping.
        let mut spans: BTreeMap<usize, (usize, &'static str)> = BTreeMap::new();
        for index in &matched {
            let Some(rule) = self.rules.get(index) else {
                continue;
            };
            rule.spans(text, |start, end| {
                let before = spans.range(..end).next_back();
                let overlaps = before.is_some_and(|(_, (before_end, _))| *before_end > start);
                if !overlaps {
                    spans.insert(start, (end, rule.marker));
                }
            });
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut redacted = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, (end, marker)) in spans {
            redacted.push_str(text.get(copied..start).unwrap_or_default());
            redacted.push_str(marker);
            copied = end;
        }
        redacted.push_str(text.get(copied..).unwrap_or_default());
        Cow::Owned(redacted)
    }
}

/// The redaction an install asked for, compiled the first time content is redacted (an
/// install with content off, as most are, never compiles the built-in rules).
#[derive(Debug)]
pub(crate) struct Settings {
    classes: RedactClasses,
    patterns: Vec<String>,
    custom: Option<Arc<dyn Redactor>>,
    compiled: std::sync::OnceLock<Option<Arc<Redaction>>>,
}

impl Settings {
    /// The settings of an install; the application's `patterns` are checked now, so that
    /// a pattern that does not compile fails the install.
    pub(crate) fn new(
        classes: RedactClasses,
        patterns: Vec<String>,
        custom: Option<Arc<dyn Redactor>>,
    ) -> Result<Self, RedactError> {
        for pattern in &patterns {
            Regex::new(pattern).map_err(|error| RedactError::Pattern {
                pattern: pattern.clone(),
                message: error.to_string(),
            })?;
        }
        Ok(Settings {
            classes,
            patterns,
            custom,
            compiled: std::sync::OnceLock::new(),
        })
    }

    fn is_noop(&self) -> bool {
        self.classes.is_empty() && self.patterns.is_empty() && self.custom.is_none()
    }

    fn compiled(&self) -> Option<Arc<Redaction>> {
        self.compiled
            .get_or_init(|| {
                Redaction::new(self.classes, &self.patterns, self.custom.clone())
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }
}

/// The redaction in force: `None` when nothing is redacted (no class, pattern or
/// redactor), so content that stays costs nothing more. Read once per content value kept.
#[must_use]
pub(crate) fn current() -> Option<Arc<Redaction>> {
    if !crate::global::REDACTING.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let settings = crate::global::REDACTION
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()?;
    settings.compiled()
}

/// Makes `settings` the redaction in force (at install).
pub(crate) fn set(settings: Option<Arc<Settings>>) {
    let settings = settings.filter(|settings| !settings.is_noop());
    crate::global::REDACTING.store(settings.is_some(), std::sync::atomic::Ordering::Relaxed);
    *crate::global::REDACTION
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = settings;
}

#[cfg(test)]
mod tests;
