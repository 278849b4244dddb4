// A `#[deny(...)]` on the instrumented function still applies to its body.
use trace_genai::trace_genai;

#[trace_genai]
#[deny(unused_variables)]
fn handle() {
    let unused = 1;
}

fn main() {
    handle();
}
