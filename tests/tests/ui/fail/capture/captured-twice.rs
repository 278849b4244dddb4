// The same slot captured twice.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages, messages = other))]
fn chat(messages: &str, other: &str) -> usize {
    messages.len() + other.len()
}

fn main() {}
