// A tail expression of the wrong type is blamed on the expression and the declared return type.
use trace_genai::trace_genai;

#[trace_genai]
fn count(text: &str) -> usize {
    text
}

fn main() {
    count("hi");
}
