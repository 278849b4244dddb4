// A misspelled capture name is rejected with the names that can be captured.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(mesages))]
fn chat(messages: &str) -> usize {
    messages.len()
}

fn main() {}
