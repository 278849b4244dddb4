// `crate = "..."` (a string rather than a path) is rejected at the string.
use trace_genai::trace_genai;

#[trace_genai(crate = "trace_genai")]
fn handle() {}

fn main() {
    handle();
}
