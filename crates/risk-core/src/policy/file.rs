//! The serialized form of an [`ExtensionPolicy`] (JSON or TOML): a profile and the fields that
//! replace the profile's values, with `per_extension` refusing an extension given twice.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::{
    CapabilitySet, ExtensionOverride, ExtensionPolicy, PolicyError, PolicyMode, PolicyProfile,
};
use crate::quota::QuotaLimits;

/// The serialized shape; every field but `profile` replaces the profile's value when present.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyFile {
    profile: PolicyProfile,
    #[serde(default)]
    mode: Option<PolicyMode>,
    #[serde(default)]
    default_caps: Option<CapabilitySet>,
    #[serde(default)]
    deny_caps: Option<CapabilitySet>,
    #[serde(default)]
    quota: Option<QuotaLimits>,
    #[serde(default, deserialize_with = "unique_overrides")]
    per_extension: BTreeMap<String, ExtensionOverride>,
}

/// `per_extension` as a map that refuses a key given twice. JSON allows a repeated key and a
/// plain map keeps the last value, so `{"a": {"deny": ["exec"]}, "a": {"allow": ["exec"]}}`
/// would drop the deny without a word; TOML refuses a repeated table on its own.
fn unique_overrides<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ExtensionOverride>, D::Error> {
    struct UniqueVisitor;
    impl<'de> Visitor<'de> for UniqueVisitor {
        type Value = BTreeMap<String, ExtensionOverride>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map from extension id to override")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((id, over)) = map.next_entry::<String, ExtensionOverride>()? {
                if out.contains_key(&id) {
                    return Err(de::Error::custom(format_args!(
                        "extension `{id}` appears twice in per_extension"
                    )));
                }
                out.insert(id, over);
            }
            Ok(out)
        }
    }
    d.deserialize_map(UniqueVisitor)
}

impl TryFrom<PolicyFile> for ExtensionPolicy {
    type Error = PolicyError;

    fn try_from(file: PolicyFile) -> Result<Self, Self::Error> {
        let base = ExtensionPolicy::from_profile(file.profile);
        let mode = file.mode.unwrap_or(base.mode);
        let mut policy = ExtensionPolicy {
            mode,
            default_caps: file.default_caps.unwrap_or(base.default_caps),
            deny_caps: file.deny_caps.unwrap_or(base.deny_caps),
            // A file that changes the mode but not the quota gets that mode's preset.
            quota: file.quota.unwrap_or(QuotaLimits::for_mode(mode)),
            ..base
        };
        for (id, over) in file.per_extension {
            policy = policy.with_extension_override(id, over)?;
        }
        Ok(policy)
    }
}
