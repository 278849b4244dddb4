// A flagged boxed stream must yield items that report through `GenAiChunk`.
use std::pin::Pin;

use futures::Stream;
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m", stream)]
fn chat() -> Pin<Box<dyn Stream<Item = u32> + Send>> {
    Box::pin(futures::stream::iter([1, 2]))
}

fn main() {}
