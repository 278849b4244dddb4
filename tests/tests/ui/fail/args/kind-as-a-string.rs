// `kind = "client"` (a string rather than an identifier) is rejected at the string.
use trace_genai::trace_genai;

#[trace_genai(kind = "client")]
fn fetch() {}

fn main() {
    fetch();
}
