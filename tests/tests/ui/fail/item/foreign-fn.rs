// A function declared in an `extern` block has no body to instrument.
use trace_genai::trace_genai;

unsafe extern "C" {
    #[trace_genai]
    fn abs(x: i32) -> i32;
}

fn main() {
    unsafe {
        abs(-1);
    }
}
