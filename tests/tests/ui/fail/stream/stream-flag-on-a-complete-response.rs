// `stream` on a function that returns a complete value, not a stream.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", stream)]
fn chat() -> String {
    String::new()
}

fn main() {}
