// Unusual return types: `()`, `Self`, references, trait objects, tuples, closures called in the body, and a `return` inside a closure.
#![deny(warnings)]

use trace_genai::trace_genai;

#[trace_genai]
fn unit_with_return(flag: bool) {
    if flag {
        return;
    }
}

#[trace_genai]
fn boxed(flag: bool) -> Box<dyn Fn() -> u32> {
    if flag {
        return Box::new(|| 1);
    }
    Box::new(|| 2)
}

#[trace_genai]
fn pair() -> (u32, &'static str) {
    (1, "a")
}

#[trace_genai]
fn inner_closure_return(items: &[u32]) -> u32 {
    let first_even = |items: &[u32]| {
        for item in items {
            if item % 2 == 0 {
                return *item;
            }
        }
        0
    };
    first_even(items) + 1
}

#[trace_genai]
fn labeled_loop() -> u32 {
    'outer: loop {
        loop {
            break 'outer 5;
        }
    }
}

#[trace_genai]
fn dyn_error(text: &str) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<u32>()?)
}

fn main() {
    unit_with_return(true);
    unit_with_return(false);
    assert_eq!(boxed(true)(), 1);
    assert_eq!(boxed(false)(), 2);
    assert_eq!(pair(), (1, "a"));
    assert_eq!(inner_closure_return(&[1, 4]), 5);
    assert_eq!(labeled_loop(), 5);
    assert_eq!(dyn_error("3").unwrap(), 3);
    assert!(dyn_error("x").is_err());
}
