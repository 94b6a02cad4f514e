//! The CKafka trigger.

use serde::{Deserialize, Serialize};

/// A batch of messages a CKafka trigger consumed from a topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CkafkaEvent {
    #[serde(rename = "Records")]
    pub records: Vec<CkafkaRecord>,
}

/// One record of a [`CkafkaEvent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CkafkaRecord {
    #[serde(rename = "Ckafka")]
    pub ckafka: CkafkaMessage,
}

/// A Kafka message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CkafkaMessage {
    pub topic: String,
    pub partition: i64,
    pub offset: i64,
    /// The message's key, as text (the documented example shows `"None"` for a message without
    /// one); `None` if it is absent or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_key: Option<String>,
    /// The message's value, as text.
    pub msg_body: String,
}
