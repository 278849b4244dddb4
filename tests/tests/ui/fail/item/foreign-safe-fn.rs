// A `safe fn` declared in an `unsafe extern` block has no body to instrument.
use trace_genai::trace_genai;

unsafe extern "C" {
    #[trace_genai]
    safe fn abs(x: i32) -> i32;
}

fn main() {
    abs(-1);
}
