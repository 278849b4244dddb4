// A key given twice is reported at the second occurrence, with a note at the first.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "gpt-4o", model = "gpt-4o-mini")]
fn ask() {}

fn main() {
    ask();
}
