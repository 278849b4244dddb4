// Two operations on one span are rejected at the second, with a note at the first.
use trace_genai::trace_genai;

#[trace_genai(chat, embeddings, model = "gpt-4o")]
fn ask() {}

fn main() {
    ask();
}
