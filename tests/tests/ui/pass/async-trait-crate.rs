// Methods of an `#[async_trait::async_trait]` impl, Send and `?Send`, with the span around the future.
#![deny(warnings)]

use trace_genai::trace_genai;

#[async_trait::async_trait]
trait Model {
    async fn ask(&self, question: &str) -> Result<String, String>;
}

struct Gpt {
    model: String,
}

#[async_trait::async_trait]
impl Model for Gpt {
    #[trace_genai(chat, model = self.model.as_str())]
    async fn ask(&self, question: &str) -> Result<String, String> {
        if question.is_empty() {
            return Err("empty".to_owned());
        }
        Ok(format!("{}: {question}", self.model))
    }
}

#[async_trait::async_trait(?Send)]
trait LocalModel {
    async fn ask_local(&self, question: &str) -> String;
}

#[async_trait::async_trait(?Send)]
impl LocalModel for std::rc::Rc<Gpt> {
    #[trace_genai]
    async fn ask_local(&self, question: &str) -> String {
        format!("local {}: {question}", self.model)
    }
}

fn main() {
    let gpt = Gpt {
        model: "gpt-4o".to_owned(),
    };
    let model: &(dyn Model + Sync) = &gpt;
    assert_eq!(futures::executor::block_on(model.ask("hi")).unwrap(), "gpt-4o: hi");
    assert!(futures::executor::block_on(model.ask("")).is_err());
    let local = std::rc::Rc::new(gpt);
    assert_eq!(futures::executor::block_on(local.ask_local("hi")), "local gpt-4o: hi");
}
