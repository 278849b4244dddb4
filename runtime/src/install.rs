//! Installing telemetry: the [`Telemetry`](crate::Telemetry) guard, its builder, the
//! resource, and the in-memory pipeline of the `testing` feature.

pub(crate) mod provider;
pub(crate) mod resource;
#[cfg(feature = "testing")]
pub mod testing;
