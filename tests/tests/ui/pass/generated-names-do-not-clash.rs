// User names equal to the expansion's locals (`trace_genai_guard`, …) neither clash nor get captured.
#![deny(warnings)]

use trace_genai::trace_genai;

#[trace_genai(chat, model = trace_genai_attributes, fields(guard = trace_genai_guard))]
fn ask(trace_genai_attributes: &str, trace_genai_guard: u32) -> u32 {
    let trace_genai_return = trace_genai_guard + 1;
    let _trace_genai_entered = trace_genai_attributes.len() as u32;
    trace_genai_return + _trace_genai_entered
}

#[trace_genai(chat, model = trace_genai_attributes)]
async fn ask_async(trace_genai_attributes: &str, trace_genai_guard: u32) -> u32 {
    let trace_genai_fake_return = trace_genai_guard;
    trace_genai_fake_return + trace_genai_attributes.len() as u32
}

fn main() {
    assert_eq!(ask("ab", 1), 4);
    assert_eq!(futures::executor::block_on(ask_async("ab", 1)), 3);
}
