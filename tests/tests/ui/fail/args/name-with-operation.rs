// `name = ...` cannot be combined with an operation, whose span name the conventions fix.
use trace_genai::trace_genai;

#[trace_genai(chat, name = "my_chat", model = "gpt-4o")]
fn ask() {}

fn main() {
    ask();
}
