// `dead_code` still fires on unused instrumented private functions, sync and async.
#![deny(dead_code)]

use trace_genai::trace_genai;

#[trace_genai]
fn never_called() {}

#[trace_genai]
async fn never_awaited() {}

fn main() {}
