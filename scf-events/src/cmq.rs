//! The CMQ Topic trigger.

use serde::{Deserialize, Serialize};

/// Messages published to a CMQ topic the function subscribes to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CmqTopicEvent {
    #[serde(rename = "Records")]
    pub records: Vec<CmqTopicRecord>,
}

/// One record of a [`CmqTopicEvent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CmqTopicRecord {
    #[serde(rename = "CMQ")]
    pub cmq: CmqTopicMessage,
}

/// A message published to a topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CmqTopicMessage {
    /// Always `topic`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The account (UIN) that owns the topic.
    pub topic_owner: u64,
    pub topic_name: String,
    pub subscription_name: String,
    /// When the message was published (RFC 3339, `1970-01-01T00:00:00.000Z`).
    pub publish_time: String,
    pub msg_id: String,
    pub request_id: String,
    pub msg_body: String,
    /// The message's tags; see [`CmqTags::tags`].
    pub msg_tag: CmqTags,
}

/// A message's tags: the documentation shows them both as one comma-separated string
/// (`"tag1,tag2"`) and as a list (`["tag1", "tag2"]`); either is kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CmqTags {
    /// `"tag1,tag2"`.
    Joined(String),
    /// `["tag1", "tag2"]`.
    List(Vec<String>),
}

impl Default for CmqTags {
    fn default() -> Self {
        CmqTags::Joined(String::new())
    }
}

impl CmqTags {
    /// The tags, whichever way they were sent (empty ones left out).
    pub fn tags(&self) -> Vec<&str> {
        match self {
            CmqTags::Joined(text) => text.split(',').map(str::trim).filter(|t| !t.is_empty()).collect(),
            CmqTags::List(list) => list.iter().map(String::as_str).filter(|t| !t.is_empty()).collect(),
        }
    }
}
