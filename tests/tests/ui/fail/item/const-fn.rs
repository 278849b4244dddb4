// A `const fn` cannot be instrumented: the error points at `const`, and the function still exists.
use trace_genai::trace_genai;

#[trace_genai]
const fn answer() -> u32 {
    42
}

fn main() {
    answer();
}
