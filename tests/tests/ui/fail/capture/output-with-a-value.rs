// `output` is the return value; it takes no expression.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", capture(output = reply))]
fn chat(reply: &str) -> String {
    reply.to_owned()
}

fn main() {}
