// Async functions: borrowed arguments, `?`, early returns, and futures that are Send and can be spawned.
#![deny(warnings)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use trace_genai::trace_genai;

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[trace_genai(chat, provider = "openai", model = model, temperature = 0.2)]
async fn ask(model: &str, question: &str) -> String {
    format!("{model}: {question}")
}

#[trace_genai(execute_tool, tool = "parse")]
async fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let value: u32 = text.parse()?;
    Ok(value)
}

#[trace_genai(invoke_agent, agent = name.clone())]
async fn agent(name: String) -> usize {
    let answer = ask(&name, "hi").await;
    let parsed = parse("12").await.unwrap_or_default();
    answer.len() + parsed as usize
}

#[trace_genai]
async fn unit() {}

fn main() {
    assert_eq!(block_on(ask("gpt-4o", "hi")), "gpt-4o: hi");
    assert_eq!(block_on(parse("7")), Ok(7));
    assert!(block_on(parse("x")).is_err());
    block_on(unit());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let handle = runtime.spawn(agent("planner".to_owned()));
    assert_eq!(runtime.block_on(handle).unwrap(), "planner: hi".len() + 12);
    assert_eq!(futures::executor::block_on(parse("")), Ok(0));
}
