// `unsafe_op_in_unsafe_fn` still fires on an unsafe operation in an instrumented `unsafe fn`.
#![deny(unsafe_op_in_unsafe_fn)]

use trace_genai::trace_genai;

#[trace_genai]
unsafe fn read(pointer: *const u32) -> u32 {
    *pointer
}

fn main() {
    let value = 1;
    let _ = unsafe { read(&value) };
}
