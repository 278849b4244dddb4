// The attribute on a type alias of a function pointer (`type F = fn()`) is rejected as not a function.
use trace_genai::trace_genai;

#[trace_genai]
type Callback = fn(u32) -> u32;

fn main() {
    let callback: Callback = |x| x;
    callback(1);
}
