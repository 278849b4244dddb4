// A non-string expression for a string key (`model = id` with `id: u32`) gets the compiler's trait error at the expression.
use trace_genai::trace_genai;

#[trace_genai(chat, model = id)]
fn ask(id: u32) -> u32 {
    id
}

fn main() {
    ask(4);
}
