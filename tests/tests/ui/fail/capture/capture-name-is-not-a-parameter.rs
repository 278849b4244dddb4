// A bare name in `capture(...)` is a parameter: `messages` is not one.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages, system = system))]
fn chat(prompt: &str, system: &str) -> usize {
    prompt.len() + system.len()
}

fn main() {}
