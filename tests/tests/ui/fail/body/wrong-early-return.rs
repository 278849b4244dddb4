// An early `return` of the wrong type is blamed on the returned expression.
use trace_genai::trace_genai;

#[trace_genai]
fn count(text: &str) -> usize {
    if text.is_empty() {
        return "empty";
    }
    text.len()
}

fn main() {
    count("hi");
}
