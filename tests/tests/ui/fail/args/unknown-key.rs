// A misspelled key (`modle`) is rejected with the list of known keys.
use trace_genai::trace_genai;

#[trace_genai(chat, modle = "gpt-4o")]
fn ask() {}

fn main() {
    ask();
}
