// A misspelled span kind (`kind = clinet`) is rejected with the list of kinds.
use trace_genai::trace_genai;

#[trace_genai(kind = clinet)]
fn fetch() {}

fn main() {
    fetch();
}
