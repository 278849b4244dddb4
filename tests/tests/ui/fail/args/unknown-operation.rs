// A misspelled operation (`chatt`) is rejected with the list of operations.
use trace_genai::trace_genai;

#[trace_genai(chatt, model = "gpt-4o")]
fn ask() {}

fn main() {
    ask();
}
