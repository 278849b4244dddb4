// A string literal for a numeric key (`temperature = "hot"`) is rejected at the literal.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "gpt-4o", temperature = "hot")]
fn ask() {}

fn main() {
    ask();
}
