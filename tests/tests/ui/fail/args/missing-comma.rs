// Two arguments without a comma between them are reported at the second one.
use trace_genai::trace_genai;

#[trace_genai(chat model = "gpt-4o")]
fn ask() {}

fn main() {
    ask();
}
