// The attribute on a struct is rejected at the item, and the struct is still emitted.
use trace_genai::trace_genai;

#[trace_genai]
struct Client {
    model: &'static str,
}

fn main() {
    let client = Client { model: "gpt-4o" };
    let _ = client.model;
}
