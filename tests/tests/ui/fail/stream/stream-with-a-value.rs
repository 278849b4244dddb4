// `stream` is a flag, without a value.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", stream = true)]
fn chat() -> String {
    String::new()
}

fn main() {}
