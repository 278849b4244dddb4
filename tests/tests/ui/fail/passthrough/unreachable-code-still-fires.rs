// `unreachable_code` still fires on the user's own unreachable code.
#![deny(unreachable_code)]

use trace_genai::trace_genai;

#[trace_genai]
fn handle() -> u32 {
    return 1;
    #[allow(unused_variables)]
    let after = 2;
    0
}

fn main() {
    handle();
}
