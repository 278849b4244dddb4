// `impl Trait` in argument and return position, sync and async, including inside other types.
#![deny(warnings)]

use std::fmt::Display;

use trace_genai::trace_genai;

#[trace_genai]
fn join(items: impl IntoIterator<Item = impl Display>) -> String {
    items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[trace_genai]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[trace_genai]
fn parsed(text: &str) -> Result<impl Display, std::num::ParseIntError> {
    text.parse::<u32>()
}

#[trace_genai]
fn early(flag: bool) -> impl Display {
    if flag {
        return 1;
    }
    2
}

#[trace_genai]
fn adder(n: u32) -> impl Fn(u32) -> u32 {
    move |x| x + n
}

#[trace_genai(chat, model = "gpt-4o")]
async fn ask(question: impl AsRef<str>) -> impl Display {
    question.as_ref().len()
}

#[trace_genai]
async fn ask_fallible(question: impl AsRef<str> + Send) -> Result<impl Display, String> {
    if question.as_ref().is_empty() {
        return Err("empty".to_owned());
    }
    Ok(question.as_ref().to_uppercase())
}

fn main() {
    assert_eq!(join([1, 2, 3]), "1,2,3");
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(parsed("4").unwrap().to_string(), "4");
    assert!(parsed("x").is_err());
    assert_eq!(early(true).to_string(), "1");
    assert_eq!(adder(1)(2), 3);
    assert_eq!(futures::executor::block_on(ask("hi")).to_string(), "2");
    let upper = futures::executor::block_on(ask_fallible("hi")).unwrap();
    assert_eq!(upper.to_string(), "HI");
    assert!(futures::executor::block_on(ask_fallible("")).is_err());
}
