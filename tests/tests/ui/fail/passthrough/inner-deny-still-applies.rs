// An inner `#![deny(...)]` in the body still applies to the body.
use trace_genai::trace_genai;

#[trace_genai]
fn handle() -> u32 {
    #![deny(unused_mut)]
    let mut x = 1;
    x
}

fn main() {
    handle();
}
