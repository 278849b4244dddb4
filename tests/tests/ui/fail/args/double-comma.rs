// An empty argument between two commas is reported at the second comma.
use trace_genai::trace_genai;

#[trace_genai(chat,, model = "gpt-4o")]
fn ask() {}

fn main() {
    ask();
}
