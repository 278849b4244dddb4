// Native `async fn` (and sync methods) in a trait impl and in a trait's default method.
#![deny(warnings)]

use trace_genai::trace_genai;

trait Model {
    async fn ask(&self, question: &str) -> String;

    fn name(&self) -> &str;

    #[trace_genai(invoke_agent, agent = self.name())]
    async fn ask_twice(&self, question: &str) -> String {
        let first = self.ask(question).await;
        let second = self.ask(question).await;
        format!("{first} {second}")
    }
}

struct Gpt;

impl Model for Gpt {
    #[trace_genai(chat, model = "gpt-4o")]
    async fn ask(&self, question: &str) -> String {
        format!("gpt: {question}")
    }

    #[trace_genai]
    fn name(&self) -> &str {
        "gpt"
    }
}

fn main() {
    let answer = futures::executor::block_on(Gpt.ask_twice("hi"));
    assert_eq!(answer, "gpt: hi gpt: hi");
    assert_eq!(Gpt.name(), "gpt");
}
