// A value whose type cannot become messages or tool definitions: the error points at it.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(messages = count, tools = count))]
fn chat(count: u32) -> u32 {
    count
}

fn main() {}
