//! serde support for [`Resource`], exact for serde_json.
//!
//! Both directions go through serde_json's `RawValue`, which serde_json passes through
//! verbatim: a `Resource` inside any serde_json-serialized struct keeps its decimals
//! exactly, and the host application's `serde_json::Number` is left alone (no
//! `arbitrary_precision`). Other serde formats see the JSON text as a string.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::Resource;

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(crate::to_json(self)).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        crate::from_json(raw.get()).map_err(D::Error::custom)
    }
}
