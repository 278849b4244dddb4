// An expression of the wrong type (an `f64` for `max_tokens`) gets the compiler's trait error at the expression.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "gpt-4o", max_tokens = budget)]
fn ask(budget: f64) -> f64 {
    budget
}

fn main() {
    ask(1.0);
}
