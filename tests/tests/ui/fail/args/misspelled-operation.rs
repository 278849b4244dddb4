// A misspelled operation gets a suggestion.
use trace_genai::trace_genai;

#[trace_genai(invoke_agnet, agent = "planner")]
fn plan() {}

fn main() {
    plan();
}
