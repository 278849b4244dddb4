// `#[deprecated]` on an instrumented function still warns its callers.
#![deny(deprecated)]

use trace_genai::trace_genai;

#[trace_genai]
#[deprecated = "use `ask_v2`"]
fn ask() {}

fn main() {
    ask();
}
