// An empty custom field name (`fields("" = 1)`) is rejected.
use trace_genai::trace_genai;

#[trace_genai(fields("" = 1))]
fn handle() {}

fn main() {
    handle();
}
