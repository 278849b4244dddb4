//! Support for the examples that use AI frameworks (feature `frameworks`): a local
//! stand-in for an OpenAI-compatible model server (`openai_stand_in`), so that rig
//! and genai run end to end with no network and no API key.

#[cfg(feature = "frameworks")]
pub mod openai_stand_in;
