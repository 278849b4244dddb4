// `capture(output)` needs a return type that reports output messages.
use trace_genai::trace_genai;

struct Reply;

#[trace_genai(chat, model = "m", capture(output))]
fn chat() -> Reply {
    Reply
}

fn main() {}
