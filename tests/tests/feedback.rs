//! User feedback and evaluation events over real OTLP (gRPC and HTTP) to the in-process
//! receiver: parented to the chat span that produced the response, from another thread
//! and after the span ended; the comment only when content recording allows it; after
//! eviction, the response id alone; invalid input emits nothing.

use trace_genai_tests::harness::serial;
use trace_genai_tests::receiver;

use std::time::Duration;

use receiver::{AttrValue, OtlpReceiver, ReceivedLog};
use trace_genai::__private::indexed_responses;
use trace_genai::config::Config;
use trace_genai::feedback::{
    Evaluation, FeedbackError, RESPONSE_INDEX_CAPACITY, UserFeedback, response_traceparent,
};
use trace_genai::{ContentCapture, GenAiResponse, Telemetry, record_user_feedback, trace_genai};

const WAIT: Duration = Duration::from_secs(10);

fn config(vars: &[(&str, String)]) -> Config {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    trace_genai_tests::harness::config(&vars).unwrap()
}

struct Answer {
    id: String,
}

impl GenAiResponse for Answer {
    fn response_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat(id: &str) -> Answer {
    Answer { id: id.to_owned() }
}

fn feedback_logs(logs: &[ReceivedLog]) -> Vec<&ReceivedLog> {
    logs.iter()
        .filter(|log| log.event_name == "gen_ai.evaluation.user_feedback")
        .collect()
}

/// Chat, then feedback and an evaluation from another thread after the chat span ended.
fn chat_then_feedback(receiver: &OtlpReceiver, protocol: &str, capture: ContentCapture) {
    let endpoint = if protocol == "grpc" {
        receiver.grpc_endpoint()
    } else {
        receiver.http_endpoint()
    };
    let telemetry = Telemetry::builder()
        .with_config(config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
            ("OTEL_METRICS_EXPORTER", "none".to_owned()),
        ]))
        .with_content_capture(capture)
        .install()
        .unwrap();
    let id = format!("chatcmpl-{protocol}-{capture:?}");
    chat(&id);
    std::thread::spawn(move || {
        record_user_feedback(&id, -1.0, Some("wrong city")).unwrap();
        Evaluation::new("relevance")
            .with_score(0.25)
            .with_label("partly relevant")
            .with_explanation("mentions the wrong city")
            .for_response(&id)
            .record()
            .unwrap();
    })
    .join()
    .unwrap();
    telemetry.shutdown().unwrap();
}

#[test]
fn feedback_is_parented_to_the_chat_span_over_grpc_and_http() {
    let _serial = serial();
    for protocol in ["grpc", "http/protobuf"] {
        for capture in [
            ContentCapture::NoContent,
            ContentCapture::SpanOnly,
            ContentCapture::EventOnly,
        ] {
            let receiver = OtlpReceiver::start();
            chat_then_feedback(&receiver, protocol, capture);
            let spans = receiver.wait_for_spans(1, WAIT);
            let logs = receiver.wait_for_logs(2, WAIT);
            let chat = spans.iter().find(|s| s.name == "chat gpt-4o").unwrap();
            let id = format!("chatcmpl-{protocol}-{capture:?}");

            let feedback = feedback_logs(&logs);
            assert_eq!(feedback.len(), 1, "{protocol}: {logs:#?}");
            let feedback = feedback[0];
            assert_eq!(feedback.trace_id, chat.trace_id, "{protocol}");
            assert_eq!(feedback.span_id, chat.span_id, "{protocol}");
            assert_eq!(
                feedback.attr("gen_ai.response.id"),
                Some(&AttrValue::Str(id.clone()))
            );
            assert_eq!(
                feedback.attr("gen_ai.evaluation.score"),
                Some(&AttrValue::Double(-1.0)),
                "the score is a double"
            );
            let evaluation = logs
                .iter()
                .find(|log| log.event_name == "gen_ai.evaluation.result")
                .unwrap();
            assert_eq!(evaluation.span_id, chat.span_id);
            assert_eq!(
                evaluation.attr("gen_ai.evaluation.name"),
                Some(&AttrValue::Str("relevance".into()))
            );
            assert_eq!(
                evaluation.attr("gen_ai.evaluation.score.value"),
                Some(&AttrValue::Double(0.25))
            );
            assert_eq!(
                evaluation.attr("gen_ai.evaluation.score.label"),
                Some(&AttrValue::Str("partly relevant".into()))
            );
            assert_eq!(
                evaluation.attr("gen_ai.response.id"),
                Some(&AttrValue::Str(id))
            );

            // Free text only with content recorded in log events (these are log events).
            if capture.in_events() {
                let Some(AttrValue::Map(body)) = &feedback.body else {
                    panic!(
                        "{protocol}: the comment should be a map body: {:?}",
                        feedback.body
                    );
                };
                assert_eq!(
                    body.get("comment"),
                    Some(&AttrValue::Str("wrong city".into()))
                );
                assert_eq!(
                    evaluation.attr("gen_ai.evaluation.explanation"),
                    Some(&AttrValue::Str("mentions the wrong city".into()))
                );
            } else {
                assert_eq!(feedback.body, None, "{protocol}");
                assert_eq!(evaluation.attr("gen_ai.evaluation.explanation"), None);
            }
        }
    }
}

/// Only logs go to the receiver: spans are recorded (so responses are indexed) but not
/// exported.
fn install_logs_only(receiver: &OtlpReceiver) -> Telemetry {
    Telemetry::builder()
        .with_config(config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint()),
            ("OTEL_TRACES_EXPORTER", "none".to_owned()),
            ("OTEL_METRICS_EXPORTER", "none".to_owned()),
        ]))
        .install()
        .unwrap()
}

#[test]
fn a_forgotten_response_is_reported_with_its_id_only_and_the_index_stays_bounded() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = install_logs_only(&receiver);
    chat("chatcmpl-first");
    let traceparent = response_traceparent("chatcmpl-first").expect("indexed");
    // A million later responses push the first one out; the index never grows past
    // its capacity.
    for n in 0..1_000_000 {
        chat(&format!("chatcmpl-{n}"));
        if n % 100_000 == 0 {
            assert!(indexed_responses() <= RESPONSE_INDEX_CAPACITY);
        }
    }
    assert_eq!(indexed_responses(), RESPONSE_INDEX_CAPACITY);
    assert_eq!(response_traceparent("chatcmpl-first"), None);
    // An id too long to index is never remembered.
    let long = "x".repeat(trace_genai::feedback::MAX_RESPONSE_ID_LEN + 1);
    chat(&long);
    assert_eq!(response_traceparent(&long), None);

    record_user_feedback("chatcmpl-first", 1.0, None).unwrap();
    // The application kept the traceparent: that still parents the event.
    UserFeedback::new("chatcmpl-first", 0.5)
        .with_traceparent(traceparent.clone())
        .record()
        .unwrap();
    telemetry.shutdown().unwrap();

    let logs = receiver.wait_for_logs(2, WAIT);
    assert_eq!(logs.len(), 2);
    let orphan = logs
        .iter()
        .find(|log| log.attr("gen_ai.evaluation.score") == Some(&AttrValue::Double(1.0)))
        .unwrap();
    assert_eq!(orphan.trace_id, "", "no parent once forgotten");
    assert_eq!(
        orphan.attr("gen_ai.response.id"),
        Some(&AttrValue::Str("chatcmpl-first".into()))
    );
    let parented = logs
        .iter()
        .find(|log| log.attr("gen_ai.evaluation.score") == Some(&AttrValue::Double(0.5)))
        .unwrap();
    assert_eq!(
        format!("00-{}-{}-01", parented.trace_id, parented.span_id),
        traceparent
    );
}

#[test]
fn invalid_feedback_is_an_error_and_emits_nothing() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = install_logs_only(&receiver);
    chat("chatcmpl-valid");
    for score in [1.01, -2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            record_user_feedback("chatcmpl-valid", score, Some("x"))
                .map_err(|error| matches!(error, FeedbackError::ScoreOutOfRange(_))),
            Err(true),
            "{score}"
        );
    }
    assert_eq!(
        record_user_feedback("", 1.0, None),
        Err(FeedbackError::EmptyResponseId)
    );
    assert_eq!(
        Evaluation::new("relevance")
            .for_response("chatcmpl-valid")
            .record(),
        Err(FeedbackError::MissingScore)
    );
    assert!(matches!(
        UserFeedback::new("chatcmpl-valid", 1.0)
            .with_traceparent("00-zz")
            .record(),
        Err(FeedbackError::InvalidTraceparent(_))
    ));
    // One valid event, so that the receiver is known to be reachable.
    record_user_feedback("chatcmpl-valid", 0.0, None).unwrap();
    telemetry.shutdown().unwrap();
    let logs = receiver.wait_for_logs(1, WAIT);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(receiver.log_records().len(), 1, "{logs:#?}");
    assert_eq!(
        logs[0].attr("gen_ai.evaluation.score"),
        Some(&AttrValue::Double(0.0))
    );
}
