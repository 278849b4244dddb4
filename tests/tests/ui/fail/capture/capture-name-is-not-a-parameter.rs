// `capture(...)` names parameters: `messages` (implicit) and `instructions` are not.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages, system = instructions))]
fn chat(prompt: &str, system: &str) -> usize {
    prompt.len() + system.len()
}

fn main() {}
