//! The COS (object storage) trigger.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Objects created or deleted in a COS bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CosEvent {
    #[serde(rename = "Records")]
    pub records: Vec<CosRecord>,
}

/// One object's event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CosRecord {
    /// The bucket and the object.
    pub cos: CosNotification,
    /// What happened, when, and who asked.
    pub event: CosEventInfo,
}

/// The bucket and the object of a [`CosRecord`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CosNotification {
    pub cos_schema_version: String,
    pub cos_object: CosObject,
    pub cos_bucket: CosBucket,
    pub cos_notification_id: String,
}

/// The object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CosObject {
    pub url: String,
    /// The object's metadata: system headers (`Content-Type`, `x-cos-request-id`, …) and custom
    /// metadata (`x-cos-meta-*`).
    pub meta: BTreeMap<String, String>,
    /// The version id (empty without versioning).
    pub vid: String,
    /// The full key, `/<appid>/<bucket>/<object key>`; [`CosObject::object_key`] is the last part.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
}

impl CosObject {
    /// The object's key inside its bucket: [`CosObject::key`] without `/<appid>/<bucket>/`.
    pub fn object_key(&self) -> &str {
        let mut parts = self.key.trim_start_matches('/').splitn(3, '/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(_), Some(key)) => key,
            _ => &self.key,
        }
    }
}

/// The bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CosBucket {
    /// The region, in COS's short form (`cd` for Chengdu, `gz` for Guangzhou, …).
    pub region: String,
    /// The bucket's name without the appid.
    pub name: String,
    pub appid: String,
}

/// What happened to the object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CosEventInfo {
    /// `cos:ObjectCreated:*`, `cos:ObjectRemove:Delete`, …
    pub event_name: String,
    pub event_version: String,
    /// When, in seconds since the Unix epoch.
    pub event_time: i64,
    /// Always `qcs::cos`.
    pub event_source: String,
    pub request_parameters: CosRequestParameters,
    /// The function the event was queued for (`qcs:0:scf:<region>:appid/<appid>:<namespace>.<function>.<version>`).
    pub event_queue: String,
    pub reserved_info: String,
    pub reqid: u64,
}

/// The request that changed the object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CosRequestParameters {
    #[serde(rename = "requestSourceIP")]
    pub request_source_ip: String,
    pub request_headers: BTreeMap<String, String>,
}
