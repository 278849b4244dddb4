// A number literal for a string key (`model = 4`) is rejected at the literal.
use trace_genai::trace_genai;

#[trace_genai(chat, model = 4)]
fn ask() {}

fn main() {
    ask();
}
