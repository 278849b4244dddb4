// A trait method declaration without a body (`fn f(&self);`) cannot be instrumented.
use trace_genai::trace_genai;

trait Model {
    #[trace_genai(chat, model = "gpt-4o")]
    fn ask(&self) -> String;
}

struct Gpt;

impl Model for Gpt {
    fn ask(&self) -> String {
        String::new()
    }
}

fn main() {
    Gpt.ask();
}
