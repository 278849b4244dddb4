// A content key in `fields(...)` would bypass the content policy: it is refused, with the
// way to record it that follows the policy.
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", fields("gen_ai.input.messages" = "hi", "gen_ai.prompt.0.content" = "hi"))]
fn ask() {}

fn main() {
    ask();
}
