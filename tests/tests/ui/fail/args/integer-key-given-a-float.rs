// A float literal for an integer key (`max_tokens = 0.5`) is rejected at the literal.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "gpt-4o", max_tokens = 0.5)]
fn ask() {}

fn main() {
    ask();
}
