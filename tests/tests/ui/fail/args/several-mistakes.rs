// Several mistakes in one attribute are all reported in one build.
use trace_genai::trace_genai;

#[trace_genai(chatt, temperature = "hot", bogus = 1, model = "a", model = "b", kind = clinet)]
fn ask() {}

fn main() {
    ask();
}
