// A type error in an async body points at the user's line, not at the attribute.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "gpt-4o")]
async fn ask(question: &str) -> usize {
    let words: u32 = question.len();
    words as usize
}

fn main() {
    let _ = ask("hi");
}
