// Calling an instrumented async fn without awaiting it still raises `unused_must_use`.
#![deny(unused_must_use)]

use trace_genai::trace_genai;

#[trace_genai]
async fn handle() {}

fn main() {
    handle();
}
