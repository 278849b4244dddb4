//! Every stream shape #[trace_genai] follows, with and without `GenAiChunk` items.
use std::pin::Pin;

use futures::Stream;
use futures::stream::BoxStream;
use trace_genai::stream::GenAiChunk;
use trace_genai::trace_genai;

struct Chunk;
impl GenAiChunk for Chunk {}

#[derive(Debug)]
struct Error;

#[trace_genai(chat, model = "m")]
fn sync_stream() -> impl Stream<Item = Chunk> {
    futures::stream::iter([Chunk])
}

#[trace_genai(chat, model = "m")]
async fn async_stream_of_plain_items() -> impl Stream<Item = u32> + Send {
    futures::stream::iter([1, 2])
}

#[trace_genai(chat, model = "m")]
async fn result_stream() -> Result<impl Stream<Item = Result<Chunk, Error>>, Error> {
    Ok(futures::stream::iter([Ok(Chunk)]))
}

#[trace_genai(chat, model = "m")]
fn boxed<'a>(prefix: &'a str) -> BoxStream<'a, String> {
    Box::pin(futures::stream::iter([prefix.to_owned()]))
}

#[trace_genai(chat, model = "m", stream)]
async fn pinned() -> Result<Pin<Box<dyn Stream<Item = Chunk> + Send>>, Error> {
    Ok(Box::pin(futures::stream::iter([Chunk])))
}

#[trace_genai(text_completion, model = "m", stream)]
fn iterator(n: usize) -> impl Iterator<Item = usize> {
    0..n
}

#[trace_genai(text_completion, model = "m", stream)]
fn boxed_iterator() -> Box<dyn Iterator<Item = String> + Send> {
    Box::new(std::iter::once(String::new()))
}

// Without `stream`, an iterator is a plain return value.
#[trace_genai]
fn plain_iterator() -> impl Iterator<Item = u8> {
    [1_u8].into_iter()
}

fn main() {
    drop(sync_stream());
    drop(async_stream_of_plain_items());
    drop(result_stream());
    drop(boxed("x"));
    drop(pinned());
    assert_eq!(iterator(3).count(), 3);
    drop(boxed_iterator());
    drop(plain_iterator());
}
