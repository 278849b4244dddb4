// `unused_variables` still fires on an instrumented function's unused parameter.
#![deny(unused_variables)]

use trace_genai::trace_genai;

#[trace_genai]
fn handle(unused: u32) {}

#[trace_genai]
async fn handle_async(unused_async: u32) {}

fn main() {
    handle(1);
    let _ = handle_async(1);
}
