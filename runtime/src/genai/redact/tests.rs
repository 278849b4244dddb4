//! Tests of the redaction rules: each kind of secret replaced inside a sentence, and a
//! near miss of each kept.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value as Json;

use super::*;

fn redaction(classes: RedactClasses) -> Redaction {
    Redaction::new(classes, &[], None).unwrap()
}

fn credentials(text: &str) -> String {
    redaction(RedactClasses::CREDENTIALS)
        .text(text)
        .into_owned()
}

fn pii(text: &str) -> String {
    redaction(RedactClasses::PII).text(text).into_owned()
}

/// `secret` inside a sentence becomes `marker`, the rest of the sentence stays.
#[track_caller]
fn replaced(redact: fn(&str) -> String, secret: &str, marker: &str) {
    let text = format!("before {secret} after.");
    assert_eq!(redact(&text), format!("before {marker} after."), "{secret}");
}

/// `text` is kept as it is.
#[track_caller]
fn kept(redact: fn(&str) -> String, text: &str) {
    assert_eq!(redact(text), text);
}

#[test]
fn openai_and_anthropic_keys() {
    for key in [
        "sk-abcdefghij1234567890ABCDEFGHIJabcdefghij1234",
        "sk-proj-Ab3dEf_Gh1jKlMnOpQrStUvWxYz0123456789-abcdefghijklmnop",
        "sk-ant-api03-AbCdEf0123456789_abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
    ] {
        replaced(credentials, key, CREDENTIAL_MARKER);
    }
    kept(
        credentials,
        "use sk-learn for a task-based, sk-learn-compatible-estimators pipeline",
    );
}

#[test]
fn bearer_tokens_and_jwts() {
    assert_eq!(
        credentials("curl -H 'Authorization: Bearer abc.def-123' https://api.example.com"),
        "curl -H 'Authorization: Bearer [REDACTED:credential]' https://api.example.com"
    );
    assert_eq!(
        credentials("send it with Bearer AbCdEf0123456789xyzXYZ please"),
        "send it with Bearer [REDACTED:credential] please"
    );
    replaced(
        credentials,
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        CREDENTIAL_MARKER,
    );
    kept(
        credentials,
        "the bearer of bad news, the bearer bonds, a bearer responsibilities list",
    );
    kept(credentials, "eyJhbGciOiJIUzI1NiJ9 is only a header");
}

#[test]
fn azure_keys_and_connection_strings() {
    assert_eq!(
        credentials(
            "DefaultEndpointsProtocol=https;AccountName=store;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4==;EndpointSuffix=core.windows.net"
        ),
        "DefaultEndpointsProtocol=https;AccountName=store;AccountKey=[REDACTED:credential];EndpointSuffix=core.windows.net"
    );
    assert_eq!(
        credentials(
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc123+/XYZ="
        ),
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=[REDACTED:credential]"
    );
    assert_eq!(
        credentials(
            "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://x.in.applicationinsights.azure.com/"
        ),
        "InstrumentationKey=[REDACTED:credential];IngestionEndpoint=https://x.in.applicationinsights.azure.com/"
    );
    assert_eq!(
        credentials(
            "https://store.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&sp=r&sig=AbCdEf%2BgHiJkLmNoP%3D done"
        ),
        "https://store.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&sp=r&sig=[REDACTED:credential] done"
    );
    kept(
        credentials,
        "AccountName=store;EndpointSuffix=core.windows.net; the design=good; ?sig_count=3&signal=1",
    );
}

#[test]
fn aws_keys() {
    replaced(credentials, "AKIAIOSFODNN7EXAMPLE", CREDENTIAL_MARKER);
    replaced(credentials, "ASIAY34FZKBOKMUTVV7A", CREDENTIAL_MARKER);
    assert_eq!(
        credentials("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion=eu"),
        "aws_secret_access_key = [REDACTED:credential]\nregion=eu"
    );
    kept(
        credentials,
        "AKIA is a prefix, AKIAIOSFODNN7 is too short, akiaiosfodnn7example is lowercase",
    );
}

#[test]
fn github_tokens() {
    for token in [
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "ghu_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghs_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghr_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    ] {
        replaced(credentials, token, CREDENTIAL_MARKER);
    }
    kept(
        credentials,
        "the ghp_ prefix, ghp_short and github_pat_ tokens",
    );
}

#[test]
fn passwords_in_urls_and_pairs() {
    assert_eq!(
        credentials("connect to postgres://admin:s3cr3t!@db.example.com:5432/app now"),
        "connect to postgres://admin:[REDACTED:credential]@db.example.com:5432/app now"
    );
    assert_eq!(
        credentials("redis://:hunter2@cache:6379"),
        "redis://:[REDACTED:credential]@cache:6379"
    );
    assert_eq!(
        credentials("Server=db;User Id=sa;Password=P@ssw0rd;Database=app"),
        "Server=db;User Id=sa;Password=[REDACTED:credential];Database=app"
    );
    assert_eq!(
        credentials("login?user=bob&PWD=hunter2&next=/ and passwd=x1 and DB_PASSWORD=abc"),
        "login?user=bob&PWD=[REDACTED:credential]&next=/ and passwd=[REDACTED:credential] and DB_PASSWORD=[REDACTED:credential]"
    );
    assert_eq!(
        credentials("my password: hunter2, thanks"),
        "my password: [REDACTED:credential] thanks"
    );
    kept(
        credentials,
        "see https://example.com:8443/path?q=1 and https://user@example.com/x, passwordless=true",
    );
}

#[test]
fn emails_only_with_the_pii_class() {
    let text = "write to jane.doe+ai@mail.example.co.uk today";
    assert_eq!(pii(text), "write to [REDACTED:pii] today");
    assert_eq!(credentials(text), text);
    kept(
        pii,
        "the @decorator, user@localhost and a@b are not addresses",
    );
}

#[test]
fn phone_numbers() {
    for phone in [
        "+1 555 123 4567",
        "+44 20 7946 0958",
        "+33 6 12 34 56 78",
        "+4915112345678",
        "(555) 123-4567",
        "555-123-4567",
        "555.123.4567",
        "1-555-123-4567",
        "06 12 34 56 78",
        "030 1234567",
        "020 7946 0958",
    ] {
        replaced(pii, phone, PII_MARKER);
    }
    kept(
        pii,
        "In 2024 we used 1234 tokens (12,345 in total), +5 points, on 2024-01-15, 01.02.2024 10:30, port 8080, version 1.2.3, id 42",
    );
}

#[test]
fn card_numbers_pass_the_luhn_check() {
    for card in [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5500005555555559",
        "378282246310005",
    ] {
        replaced(pii, card, PII_MARKER);
    }
    // Not a Luhn number: kept.
    kept(pii, "order 4111111111111112 shipped");
    assert!(luhn("79927398713 00"));
    assert!(!luhn("4111111111111112"));
    assert!(!luhn("411111"));
}

#[test]
fn none_keeps_everything() {
    let none = redaction(RedactClasses::NONE);
    assert!(none.is_noop());
    let text = "sk-proj-Ab3dEf_Gh1jKlMnOpQrStUvWxYz0123456789 and a@b.com";
    assert!(matches!(none.text(text), Cow::Borrowed(_)));
    assert!(matches!(none.content(text), Cow::Borrowed(_)));
    assert!(!redaction(RedactClasses::CREDENTIALS).is_noop());
}

#[test]
fn user_patterns() {
    let redaction = Redaction::new(
        RedactClasses::NONE,
        &["ORDER-[0-9]{6}".to_owned(), "x*".to_owned()],
        None,
    )
    .unwrap();
    assert!(!redaction.is_noop());
    assert_eq!(
        redaction.text("ship ORDER-123456 and ORDER-12 today"),
        "ship [REDACTED:pattern] and ORDER-12 today"
    );
    let error = Redaction::new(RedactClasses::NONE, &["ORDER-(".to_owned()], None).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("\"ORDER-(\""), "{message}");
    assert!(message.contains("unclosed group"), "{message}");
    // The Perl classes and case folding of Unicode are there whatever other crates of the
    // build ask of `regex`.
    assert!(Redaction::new(RedactClasses::NONE, &[r"(?i)\w+\d\s".to_owned()], None).is_ok());
}

#[test]
fn a_custom_redactor_runs_after_the_rules() {
    #[derive(Debug)]
    struct Upper;
    impl Redactor for Upper {
        fn redact(&self, text: &str) -> Option<String> {
            text.contains("secret")
                .then(|| text.replace("secret", "******"))
        }
    }
    let redaction = Redaction::new(RedactClasses::CREDENTIALS, &[], Some(Arc::new(Upper))).unwrap();
    assert_eq!(
        redaction.text("a secret and AKIAIOSFODNN7EXAMPLE"),
        "a ****** and [REDACTED:credential]"
    );
    assert!(matches!(redaction.text("nothing"), Cow::Borrowed(_)));
    assert_eq!(
        redaction.content(r#"{"note":"secret"}"#),
        r#"{"note":"******"}"#
    );
}

#[test]
fn content_redacts_json_strings_and_keeps_the_structure() {
    let redaction = redaction(RedactClasses::ALL);
    let text = r#"[{"role":"user","parts":[{"type":"text","content":"my key is sk-proj-abc123DEF456ghi789JKL012mno  mail me at a@b.com"}]}]"#;
    let redacted = redaction.content(text);
    let json: Json = serde_json::from_str(&redacted).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"role": "user", "parts": [{"type": "text",
            "content": "my key is [REDACTED:credential]  mail me at [REDACTED:pii]"}]}])
    );
    // Keys are not redacted; escaped strings are decoded first.
    let text = r#"{"a@b.com":"AKIA\u0049OSFODNN7EXAMPLE","n":1,"ok":true,"none":null}"#;
    assert_eq!(
        redaction.content(text),
        r#"{"a@b.com":"[REDACTED:credential]","n":1,"ok":true,"none":null}"#
    );
    // Only the changed strings are written again: order and spacing are kept.
    let text = "{ \"b\": [\"x\", \"a@b.com\"],\n  \"a\": \"ok\" }";
    assert_eq!(
        redaction.content(text),
        "{ \"b\": [\"x\", \"[REDACTED:pii]\"],\n  \"a\": \"ok\" }"
    );
    // Nothing to redact: the text as it was, not written again.
    let text = r#"[ {"role": "user", "parts": [{"type": "text", "content": "hello\nthere"}]} ]"#;
    assert!(matches!(redaction.content(text), Cow::Borrowed(_)));
    // Not JSON: plain text.
    assert_eq!(
        redaction.content("[not json] AKIAIOSFODNN7EXAMPLE"),
        "[not json] [REDACTED:credential]"
    );
}

#[test]
fn text_without_a_match_is_borrowed() {
    let redaction = redaction(RedactClasses::ALL);
    for text in [
        "",
        "Hello, how can I help you today?",
        "{\"role\":\"user\"}",
    ] {
        assert!(matches!(redaction.text(text), Cow::Borrowed(_)), "{text}");
        assert!(
            matches!(redaction.content(text), Cow::Borrowed(_)),
            "{text}"
        );
    }
}

#[test]
fn redacted_raw_json_stays_valid_json() {
    let redaction = redaction(RedactClasses::ALL);
    let message = serde_json::json!({
        "content": "key \"sk-abcdefghij1234567890ABCDEFGHIJ\" url postgres://u:p4ss@h/db, Password=x\\y; 4111 1111 1111 1111 and \"a@b.com\" +1 555 123 4567",
    });
    let raw = serde_json::to_string(&message).unwrap();
    let redacted = redaction.text(&raw);
    assert_ne!(redacted, raw);
    let json: Json = serde_json::from_str(&redacted).unwrap();
    assert!(json["content"].is_string());
}

#[test]
fn classes_parse_and_print() {
    assert_eq!(
        RedactClasses::parse("credentials"),
        Some(RedactClasses::CREDENTIALS)
    );
    assert_eq!(RedactClasses::parse(" PII "), Some(RedactClasses::PII));
    assert_eq!(
        RedactClasses::parse("pii, Credentials"),
        Some(RedactClasses::ALL)
    );
    assert_eq!(RedactClasses::parse("None"), Some(RedactClasses::NONE));
    for bad in ["none,pii", "secrets", ",", "credentials,email"] {
        assert_eq!(RedactClasses::parse(bad), None, "{bad}");
    }
    assert_eq!(
        format!("{:?}", RedactClasses::ALL),
        "RedactClasses(credentials | pii)"
    );
    assert_eq!(format!("{:?}", RedactClasses::NONE), "RedactClasses(none)");
}

/// A rough measure of the cost per text: `cargo test -p trace-genai --release --lib
/// redact::tests::cost -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test"]
fn cost() {
    let redaction = redaction(RedactClasses::ALL);
    let clean = "The capital of France is Paris. It has about two million inhabitants, and the metropolitan area about twelve million. ".repeat(8);
    let dirty =
        format!("{clean} my key is sk-proj-abc123DEF456ghi789JKL012mno, call +1 555 123 4567");
    for (name, text) in [("clean", clean.as_str()), ("dirty", dirty.as_str())] {
        let runs = 10_000_u32;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(redaction.text(std::hint::black_box(text)));
        }
        println!(
            "{name}: {} bytes, {:?} per text",
            text.len(),
            start.elapsed() / runs
        );
    }
}
