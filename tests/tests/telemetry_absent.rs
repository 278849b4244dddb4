//! No telemetry installed at all: instrumented functions run unchanged, without panics.

use trace_genai::trace_genai;

#[trace_genai(chat, provider = "openai", model = model, temperature = 0.1, fields(size = question.len()))]
fn chat(model: &str, question: &str) -> Result<String, std::fmt::Error> {
    Ok(format!("{model}: {question}"))
}

#[trace_genai(name = "panics")]
fn panics() {
    panic!("boom");
}

#[test]
fn functions_run_unchanged_without_telemetry() {
    assert_eq!(chat("gpt-4o", "hi").unwrap(), "gpt-4o: hi");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let value = runtime.block_on(async {
        #[trace_genai(invoke_agent, agent = "a")]
        async fn agent() -> u32 {
            tokio::task::yield_now().await;
            41 + 1
        }
        agent().await
    });
    assert_eq!(value, 42);
    assert!(std::panic::catch_unwind(panics).is_err());
}
