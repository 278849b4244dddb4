// A function returning `!` (an agent loop, a server) can be instrumented.
#![deny(warnings)]

use trace_genai::trace_genai;

#[trace_genai(invoke_agent, agent = "looper")]
fn run_forever(stop: bool) -> ! {
    if stop {
        std::process::exit(0);
    }
    loop {
        std::thread::park();
    }
}

fn main() {
    run_forever(true);
}
