// Generic functions: type, lifetime and const parameters, where-clauses, and generic impls.
#![deny(warnings)]

use std::fmt::Display;

use trace_genai::trace_genai;

#[trace_genai]
fn describe<T: Display, U>(value: T, other: U) -> String
where
    U: AsRef<str>,
{
    format!("{value} {}", other.as_ref())
}

#[trace_genai(chat, model = model)]
fn first<'a, 'b: 'a>(model: &'b str, items: &'a [&'b str]) -> &'a str {
    items.first().copied().unwrap_or(model)
}

#[trace_genai(embeddings, model = "m", dimension_count = N)]
fn zeros<const N: usize>() -> [f32; N] {
    [0.0; N]
}

#[trace_genai]
async fn sum<I>(items: I) -> i64
where
    I: IntoIterator<Item = i64> + Send,
{
    items.into_iter().sum()
}

#[trace_genai]
fn fallible<T, E>(value: Result<T, E>) -> Result<T, E>
where
    E: std::fmt::Debug,
{
    let value = value?;
    Ok(value)
}

struct Wrapper<T>(T);

impl<T: Clone + PartialEq> Wrapper<T> {
    #[trace_genai]
    fn get(&self) -> T {
        self.0.clone()
    }

    #[trace_genai]
    fn map<U, F: FnOnce(T) -> U>(self, f: F) -> Wrapper<U> {
        Wrapper(f(self.0))
    }
}

fn main() {
    assert_eq!(describe(1, "a"), "1 a");
    assert_eq!(first("fallback", &["x"]), "x");
    assert_eq!(first("fallback", &[]), "fallback");
    assert_eq!(zeros::<3>(), [0.0; 3]);
    assert_eq!(futures::executor::block_on(sum(vec![1, 2, 3])), 6);
    assert_eq!(fallible::<u8, ()>(Ok(1)), Ok(1));
    assert_eq!(fallible::<u8, &str>(Err("no")), Err("no"));
    let wrapper = Wrapper(2_u8);
    assert_eq!(wrapper.get(), 2);
    assert_eq!(wrapper.map(u32::from).0, 2);
}
