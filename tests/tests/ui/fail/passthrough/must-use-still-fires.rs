// `#[must_use]` on an instrumented function still warns callers that drop the result.
#![deny(unused_must_use)]

use trace_genai::trace_genai;

#[trace_genai]
#[must_use]
fn answer() -> u32 {
    42
}

fn main() {
    answer();
}
