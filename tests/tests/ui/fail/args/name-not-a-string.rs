// `name = my_span` (an identifier rather than a string literal) is rejected at the value.
use trace_genai::trace_genai;

#[trace_genai(name = retrieve_docs)]
fn retrieve() {}

fn main() {
    retrieve();
}
