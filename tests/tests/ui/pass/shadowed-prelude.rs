// Local items named like prelude items (`Option`, `Some`, `None`, `Ok`, `Err`, `Result`, `Box`, `drop`, `Vec`) do not break the expansion.
#![deny(warnings)]
#![allow(dead_code, non_camel_case_types, reason = "the shadowing items are unused on purpose")]

use trace_genai::trace_genai;

struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Result;
struct Box;
struct Vec;
struct Send;
struct Sync;
struct Future;
struct FnOnce;
fn drop() {}

#[trace_genai(chat, model = model, max_tokens = 3, stop_sequences = ["x"], fields(y = 1))]
fn ask(model: &str) -> u32 {
    model.len() as u32
}

#[trace_genai(execute_tool)]
async fn tool(model: &str) -> usize {
    model.len()
}

fn main() {
    assert_eq!(ask("ab"), 2);
    assert_eq!(futures::executor::block_on(tool("abc")), 3);
}
