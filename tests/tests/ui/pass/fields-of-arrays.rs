// `fields(...)` accepts the array values the docs promise: arrays and `Vec`s of strings, integers, floats and bools.
#![deny(warnings)]

use trace_genai::trace_genai;

#[trace_genai(fields(
    app.names = ["a", "b"],
    app.flags = vec![true, false],
    app.ids = vec![1_i64, 2],
    app.scores = vec![0.5_f64],
))]
fn handle() -> u32 {
    1
}

fn main() {
    assert_eq!(handle(), 1);
}
