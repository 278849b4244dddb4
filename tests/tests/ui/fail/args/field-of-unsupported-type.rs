// A custom field whose value has no attribute conversion gets the compiler's trait error at the value.
use trace_genai::trace_genai;

struct Tier;

#[trace_genai(fields(app.tier = tier))]
fn handle(tier: Tier) -> Tier {
    tier
}

fn main() {
    handle(Tier);
}
