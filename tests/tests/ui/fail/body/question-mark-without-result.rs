// `?` in a function that does not return a Result gets the compiler's usual error on the `?`.
use trace_genai::trace_genai;

#[trace_genai]
fn parse(text: &str) -> u32 {
    let value: u32 = text.parse()?;
    value
}

fn main() {
    parse("1");
}
