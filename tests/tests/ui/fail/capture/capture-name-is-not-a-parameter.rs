// `capture(...)` names parameters: `messages` (implicit) is not one; `system = instructions`
// is an expression, and the compiler says what `instructions` is not.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages, system = instructions))]
fn chat(prompt: &str, system: &str) -> usize {
    prompt.len() + system.len()
}

fn main() {}
