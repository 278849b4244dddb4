// The attribute on an impl block (rather than on its methods) is rejected, and the impl is still emitted.
use trace_genai::trace_genai;

struct Client;

#[trace_genai(chat, model = "gpt-4o")]
impl Client {
    fn ask(&self) {}
}

fn main() {
    Client.ask();
}
