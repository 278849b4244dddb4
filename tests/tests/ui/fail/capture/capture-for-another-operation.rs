// `arguments` is for tool spans, `documents` for retrieval spans.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(arguments(city), documents))]
fn chat(city: &str) -> usize {
    city.len()
}

fn main() {}
