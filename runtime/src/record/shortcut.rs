//! The sampling decisions trace-genai makes without calling the sampler, for the settings
//! whose answer is known in advance: the one place that reads a [`SamplerConfig`] for a
//! shortcut.

use crate::config::SamplerConfig;
use crate::global::{
    Decide, SKIP_ALWAYS, SKIP_NEVER, SKIP_UNLESS_SAMPLED_PARENT, SKIP_UNSAMPLED_PARENT,
};

/// How the direct path decides for `sampler`: inline for `always_on` and
/// `parentbased_always_on`, by asking the sampler otherwise.
pub(crate) fn decide(sampler: &SamplerConfig) -> Decide {
    match sampler {
        SamplerConfig::AlwaysOn => Decide::AlwaysOn,
        SamplerConfig::ParentBasedAlwaysOn => Decide::ParentBasedAlwaysOn,
        _ => Decide::Sampler,
    }
}

/// Which calls build nothing at all because `sampler` drops their span (the `SKIP_*`
/// mode of [`crate::global::SKIP`]): none when a metric reader needs every call.
pub(crate) fn skip(sampler: &SamplerConfig, metrics_read: bool) -> u8 {
    if metrics_read {
        return SKIP_NEVER;
    }
    match sampler {
        SamplerConfig::AlwaysOff => SKIP_ALWAYS,
        SamplerConfig::ParentBasedAlwaysOff => SKIP_UNLESS_SAMPLED_PARENT,
        SamplerConfig::ParentBasedAlwaysOn | SamplerConfig::ParentBasedTraceIdRatio(_) => {
            SKIP_UNSAMPLED_PARENT
        }
        _ => SKIP_NEVER,
    }
}
