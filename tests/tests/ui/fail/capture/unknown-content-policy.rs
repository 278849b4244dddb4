// `content` takes one of the policy names, as a string.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", content = "span_onl")]
fn chat() {}

#[trace_genai(chat, model = "m", content = SpanOnly)]
fn chat_ident() {}

fn main() {}
