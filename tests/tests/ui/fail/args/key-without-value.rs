// A key written alone (`model`) asks for `model = …`.
use trace_genai::trace_genai;

#[trace_genai(chat, model)]
fn ask() {}

fn main() {
    ask();
}
