// `fields(...)` given twice is reported like any repeated argument (it is not merged).
use trace_genai::trace_genai;

#[trace_genai(chat, model = "gpt-4o", fields(app.tier = "gold"), fields(app.region = "eu"))]
fn ask() {}

fn main() {
    ask();
}
