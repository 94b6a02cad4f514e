//! The Timer trigger.

use serde::{Deserialize, Serialize};

/// What a Timer trigger sends when it fires.
///
/// ```json
/// {"Type": "Timer", "TriggerName": "EveryDay", "Time": "2019-02-21T11:49:00Z", "Message": "user define msg body"}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TimerEvent {
    /// Always `Timer`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The trigger's name.
    pub trigger_name: String,
    /// When it fired, in UTC (RFC 3339, `2019-02-21T11:49:00Z`).
    pub time: String,
    /// The message configured on the trigger (its "additional information").
    pub message: String,
}

impl TimerEvent {
    /// The event's `Type`.
    pub const KIND: &'static str = "Timer";

    /// The event trigger `trigger_name` sends when it fires at `time` (RFC 3339, UTC) with its
    /// `message`: what a local emulator or a test hands a function.
    pub fn new(trigger_name: impl Into<String>, time: impl Into<String>, message: impl Into<String>) -> TimerEvent {
        TimerEvent {
            kind: Self::KIND.to_owned(),
            trigger_name: trigger_name.into(),
            time: time.into(),
            message: message.into(),
        }
    }
}
