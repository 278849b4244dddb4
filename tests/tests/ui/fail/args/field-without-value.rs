// A custom field without a value (`fields(a.b)`) asks for `= value`.
use trace_genai::trace_genai;

#[trace_genai(fields(app.tier))]
fn handle() {}

fn main() {
    handle();
}
