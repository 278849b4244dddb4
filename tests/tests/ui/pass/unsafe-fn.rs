// `unsafe fn`, with and without unsafe operations in its body, and `extern "C" fn`.
#![deny(warnings)]

use trace_genai::trace_genai;

/// # Safety
/// `pointer` must be valid for reads.
#[trace_genai]
unsafe fn read(pointer: *const u32) -> u32 {
    // SAFETY: the caller guarantees `pointer` is valid.
    unsafe { *pointer }
}

/// # Safety
/// Always safe; `unsafe` only for the sake of the test.
#[trace_genai]
unsafe fn nothing_unsafe(x: u32) -> u32 {
    x + 1
}

/// # Safety
/// `pointer` must be valid for reads.
#[trace_genai]
async unsafe fn read_async(pointer: *const u32) -> u32 {
    // SAFETY: the caller guarantees `pointer` is valid.
    unsafe { *pointer }
}

#[trace_genai]
extern "C" fn callback(x: u32) -> u32 {
    x * 2
}

#[trace_genai]
unsafe extern "C" fn unsafe_callback(x: u32) -> u32 {
    x * 3
}

fn main() {
    let value = 7;
    // SAFETY: `value` lives for the whole call.
    assert_eq!(unsafe { read(&value) }, 7);
    // SAFETY: no requirement.
    assert_eq!(unsafe { nothing_unsafe(1) }, 2);
    // SAFETY: `value` outlives the future.
    assert_eq!(futures::executor::block_on(unsafe { read_async(&value) }), 7);
    assert_eq!(callback(2), 4);
    // SAFETY: no requirement.
    assert_eq!(unsafe { unsafe_callback(2) }, 6);
}
