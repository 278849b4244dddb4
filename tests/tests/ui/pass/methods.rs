// Methods taking `&self`, `&mut self`, `self`, `mut self`, `self: Box<Self>`, and associated functions returning `Self`.
#![deny(warnings)]

use trace_genai::trace_genai;

#[derive(Debug, Clone, PartialEq)]
struct Client {
    model: String,
    calls: u32,
}

impl Client {
    #[trace_genai]
    fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            calls: 0,
        }
    }

    #[trace_genai(chat, model = self.model.as_str())]
    fn model(&self) -> &str {
        &self.model
    }

    #[trace_genai(chat, model = &self.model)]
    fn record(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }

    #[trace_genai]
    fn calls_mut(&mut self) -> &mut u32 {
        &mut self.calls
    }

    #[trace_genai(chat, model = self.model.clone())]
    fn into_model(self) -> String {
        self.model
    }

    #[trace_genai]
    fn with_calls(mut self, calls: u32) -> Self {
        self.calls = calls;
        self
    }

    #[trace_genai]
    fn boxed(self: Box<Self>) -> u32 {
        self.calls
    }

    #[trace_genai(chat, model = self.model.as_str())]
    async fn ask(&self, question: &str) -> String {
        format!("{}: {question}", self.model)
    }

    #[trace_genai]
    async fn bump(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }
}

fn main() {
    let mut client = Client::new("gpt-4o");
    assert_eq!(client.model(), "gpt-4o");
    assert_eq!(client.record(), 1);
    *client.calls_mut() += 1;
    assert_eq!(client.calls, 2);
    assert_eq!(futures::executor::block_on(client.ask("hi")), "gpt-4o: hi");
    assert_eq!(futures::executor::block_on(client.bump()), 3);
    let client = client.with_calls(5);
    assert_eq!(Box::new(client.clone()).boxed(), 5);
    assert_eq!(client.into_model(), "gpt-4o");
}
