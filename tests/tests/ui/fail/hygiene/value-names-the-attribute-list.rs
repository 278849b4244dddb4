// A key's value cannot see the expansion's attribute list (`trace_genai_attributes`).
use trace_genai::trace_genai;

#[trace_genai(chat, model = trace_genai_attributes)]
fn ask() {}

fn main() {
    ask();
}
