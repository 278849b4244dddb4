// `slot = expr` is any expression (a parameter, a constant, a call): one that names
// nothing in scope is the compiler's error, at the name.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages = prompt, system = instructions))]
fn chat(prompt: &str, system: &str) -> usize {
    prompt.len() + system.len()
}

fn main() {}
