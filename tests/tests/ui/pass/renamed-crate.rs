// `crate = path` points the expansion at a re-export of the runtime.
#![deny(warnings)]

mod my_reexport {
    pub use ::trace_genai as tg;
}

#[trace_genai::trace_genai(crate = my_reexport::tg)]
fn bare() -> u32 {
    1
}

#[my_reexport::tg::trace_genai(chat, model = model, temperature = 0.5, fields(a.b = 1), crate = my_reexport::tg)]
async fn ask(model: &str) -> String {
    model.to_owned()
}

mod nested {
    #[crate::my_reexport::tg::trace_genai(crate = crate::my_reexport::tg, execute_tool)]
    pub fn tool() -> Result<u32, std::io::Error> {
        Ok(2)
    }
}

fn main() {
    assert_eq!(bare(), 1);
    assert_eq!(futures::executor::block_on(ask("m")), "m");
    assert_eq!(nested::tool().unwrap(), 2);
}
