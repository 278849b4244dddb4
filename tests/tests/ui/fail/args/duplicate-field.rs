// The same custom field given twice (once dotted, once as a string) is reported.
use trace_genai::trace_genai;

#[trace_genai(fields(app.tier = "gold", "app.tier" = "silver"))]
fn handle() {}

fn main() {
    handle();
}
