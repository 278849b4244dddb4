//! Installing telemetry: the [`Telemetry`](crate::Telemetry) guard, its builder, the
//! resource, and the in-memory pipeline of the `testing` feature.

#[cfg(feature = "tracing")]
pub(crate) mod bridge;
pub(crate) mod builder;
pub(crate) mod resource;
pub(crate) mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
