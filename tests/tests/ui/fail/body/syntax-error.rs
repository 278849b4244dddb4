// A body that does not parse gets the compiler's syntax error on the user's code, not a macro failure.
use trace_genai::trace_genai;

#[trace_genai]
fn handle() -> u32 {
    let x = ;
    1
}

fn main() {
    handle();
}
