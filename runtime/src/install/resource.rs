//! Resource attributes trace-genai adds on its own: `service.instance.id`.
//!
//! Application Insights shows `service.instance.id` as `cloud_RoleInstance` (the Azure
//! Monitor distro always sets one), and the conventions ask for one value per running
//! instance of a service: the SDK is to generate a random UUID when nothing else
//! identifies the instance.

use std::fmt::Write as _;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{IdGenerator as _, RandomIdGenerator};

use crate::global::INSTANCE_ID;
use crate::semconv::SERVICE_INSTANCE_ID;

/// `service.instance.id` = this process's UUID, as the lowest-precedence resource
/// attribute: a value from `OTEL_RESOURCE_ATTRIBUTES` or `with_resource_attribute` wins.
pub(crate) fn service_instance_id() -> KeyValue {
    let id = INSTANCE_ID.get_or_init(|| {
        // 128 random bits from the SDK's id generator (the one trace ids come from).
        uuid_v4(RandomIdGenerator::default().new_trace_id().to_bytes())
    });
    KeyValue::new(SERVICE_INSTANCE_ID, id.clone())
}

/// Random bytes formatted as a UUID version 4 (RFC 9562): version nibble 4, variant
/// bits `10`, lowercase hex in the 8-4-4-4-12 layout.
fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        // Writing to a `String` cannot fail.
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_id_is_a_uuid_v4_stable_for_the_process() {
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        let KeyValue { key, value, .. } = service_instance_id();
        assert_eq!(key.as_str(), "service.instance.id");
        let id = value.as_str().into_owned();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.as_bytes()[14], b'4', "{id}");
        assert!(
            matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'),
            "{id}"
        );
        assert_eq!(service_instance_id().value.as_str(), id, "generated once");
    }
}
