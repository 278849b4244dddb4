// `capture(...)` given twice is reported like any repeated argument.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages), capture(output))]
fn chat(messages: &str) -> String {
    messages.to_owned()
}

fn main() {}
