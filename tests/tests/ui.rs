//! Compile-time behaviour of `#[trace_genai]`: what users see when they make a mistake, and
//! what must keep compiling.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr files are blessed on rustc 1.95"
)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/**/*.rs");
}
