// Raw identifiers as function, parameter and field names (`fn r#type`).
#![deny(warnings)]

use trace_genai::trace_genai;

#[trace_genai]
fn r#type(r#match: u32) -> u32 {
    r#match + 1
}

#[trace_genai(chat, model = r#ref, fields(r#type = r#ref))]
async fn r#async(r#ref: &str) -> usize {
    r#ref.len()
}

struct S;

impl S {
    #[trace_genai]
    fn r#loop(&self) -> u32 {
        3
    }
}

fn main() {
    assert_eq!(r#type(1), 2);
    assert_eq!(futures::executor::block_on(r#async("abc")), 3);
    assert_eq!(S.r#loop(), 3);
}
