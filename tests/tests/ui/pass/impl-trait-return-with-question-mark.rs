// An `impl Trait` return whose error type does not implement `ErrorType`, with `?` in the body, compiles (sync and async).
#![deny(warnings)]

use std::fmt::Display;
use std::num::ParseIntError;

use trace_genai::trace_genai;

#[trace_genai]
fn parsed(text: &str) -> Result<impl Display, ParseIntError> {
    let value: u32 = text.parse()?;
    Ok(value)
}

#[trace_genai]
async fn parsed_async(text: &str) -> Result<impl Display, ParseIntError> {
    let value: u32 = text.parse()?;
    Ok(value)
}

fn main() {
    assert_eq!(parsed("4").unwrap().to_string(), "4");
    assert!(parsed("x").is_err());
    assert_eq!(futures::executor::block_on(parsed_async("5")).unwrap().to_string(), "5");
}
