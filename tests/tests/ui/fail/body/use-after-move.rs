// A borrow-check error in the body points at the user's code.
use trace_genai::trace_genai;

#[trace_genai]
fn handle(text: String) -> usize {
    let moved = text;
    text.len() + moved.len()
}

fn main() {
    handle(String::new());
}
