// Inner attributes in the body, doc comments, `#[inline]`, `#[must_use]`, `#[allow]` and `#[cfg]` on the function still work.
#![deny(warnings)]

use trace_genai::trace_genai;

/// Documented.
#[trace_genai]
#[inline]
#[must_use]
fn inner_allow() -> u32 {
    #![allow(unused_variables)]
    let unused = 1;
    2
}

#[trace_genai]
async fn inner_allow_async() -> u32 {
    #![allow(unused_variables, unused_mut)]
    let mut unused = 1;
    2
}

#[trace_genai]
#[allow(dead_code)]
fn never_called() {}

#[trace_genai]
#[cfg(any())]
fn compiled_out() -> DoesNotExist {}

#[trace_genai]
#[expect(unused_variables, reason = "tested")]
fn expected_lint() {
    let unused = 1;
}

#[cfg_attr(all(), trace_genai(name = "via_cfg_attr"))]
fn via_cfg_attr() -> u32 {
    3
}

fn main() {
    assert_eq!(inner_allow(), 2);
    assert_eq!(futures::executor::block_on(inner_allow_async()), 2);
    expected_lint();
    assert_eq!(via_cfg_attr(), 3);
}
