// Local modules named `core`, `std`, `opentelemetry`, `trace_genai` and `__private` do not break the expansion.
#![deny(warnings)]
#![allow(dead_code, reason = "the shadowing modules are empty on purpose")]

mod core {}
mod std {}
mod opentelemetry {}
mod trace_genai_private {}
mod __private {}

#[::trace_genai::trace_genai(chat, model = model, temperature = 0.1, fields(x = 1))]
fn ask(model: &str) -> Result<String, ::std::io::Error> {
    Ok(model.to_owned())
}

#[::trace_genai::trace_genai(execute_tool)]
async fn tool() -> Option<u32> {
    Some(1)
}

mod nested {
    mod core {}
    mod std {}
    mod trace_genai {}

    #[::trace_genai::trace_genai]
    pub fn inner() -> u32 {
        1
    }
}

fn main() {
    assert_eq!(ask("m").unwrap(), "m");
    assert_eq!(::futures::executor::block_on(tool()), Some(1));
    assert_eq!(nested::inner(), 1);
}
