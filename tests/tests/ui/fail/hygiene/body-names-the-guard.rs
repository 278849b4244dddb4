// The user's body cannot see the locals the expansion declares (`trace_genai_guard`).
use trace_genai::trace_genai;

#[trace_genai]
fn handle() {
    drop(trace_genai_guard);
}

#[trace_genai]
async fn handle_async() {
    drop(trace_genai_guard);
}

fn main() {
    handle();
    let _ = handle_async();
}
