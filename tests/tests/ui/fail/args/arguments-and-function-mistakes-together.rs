// Mistakes in the arguments, in `capture(...)` and in the function are all reported in one
// build: no mistake waits for another to be fixed.
use trace_genai::trace_genai;

#[trace_genai(chat, temperature = "hot", capture(messages, system = instructions))]
const fn chat(prompt: &str) -> usize {
    prompt.len()
}

fn main() {
    chat("hi");
}
