//! The CLS (log service) trigger.

use serde::{Deserialize, Serialize};

/// Logs a CLS trigger delivers: compressed, see [`ClsEvent::decode`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ClsEvent {
    pub clslogs: ClsData,
}

/// The compressed logs of a [`ClsEvent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ClsData {
    /// Base64 of a gzip-compressed JSON document, a [`ClsLogs`].
    pub data: String,
}

/// The logs inside a [`ClsEvent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ClsLogs {
    pub topic_id: String,
    pub topic_name: String,
    pub records: Vec<ClsRecord>,
}

/// One log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ClsRecord {
    /// When it was logged, in microseconds since the Unix epoch, as text (`"1605578090000000"`).
    pub timestamp: String,
    pub content: String,
}

#[cfg(feature = "cls")]
mod decode {
    use std::io::Read as _;

    use base64::Engine as _;

    use super::{ClsEvent, ClsLogs};

    /// The most a decompressed [`ClsEvent`] may take: an asynchronous event is at most 128 KB, and
    /// logs compress well, but not a thousandfold.
    const MAX_DECODED_BYTES: u64 = 128 * 1024 * 1024;

    /// Why [`ClsEvent::decode`] failed.
    #[derive(Debug)]
    #[non_exhaustive]
    pub enum ClsDecodeError {
        /// `data` is not base64.
        Base64(base64::DecodeError),
        /// The gzip stream is damaged.
        Gzip(std::io::Error),
        /// The logs decompress to more than 128 MiB.
        TooLarge,
        /// The decompressed document is not the logs' JSON.
        Json(serde_json::Error),
    }

    impl std::fmt::Display for ClsDecodeError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                ClsDecodeError::Base64(e) => write!(f, "clslogs.data is not base64: {e}"),
                ClsDecodeError::Gzip(e) => write!(f, "clslogs.data is not a gzip stream: {e}"),
                ClsDecodeError::TooLarge => {
                    write!(f, "clslogs.data decompresses to more than {} MiB", MAX_DECODED_BYTES / (1024 * 1024))
                }
                ClsDecodeError::Json(e) => write!(f, "clslogs.data does not hold the logs' JSON: {e}"),
            }
        }
    }

    impl std::error::Error for ClsDecodeError {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            match self {
                ClsDecodeError::Base64(e) => Some(e),
                ClsDecodeError::Gzip(e) => Some(e),
                ClsDecodeError::TooLarge => None,
                ClsDecodeError::Json(e) => Some(e),
            }
        }
    }

    impl ClsEvent {
        /// The logs: `data` decoded from base64, decompressed (gzip) and parsed. Data that is
        /// base64 of uncompressed JSON is taken as well.
        pub fn decode(&self) -> Result<ClsLogs, ClsDecodeError> {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(self.clslogs.data.trim())
                .map_err(ClsDecodeError::Base64)?;
            let json = if bytes.starts_with(&[0x1f, 0x8b]) {
                let mut json = Vec::new();
                let mut reader = flate2::read::GzDecoder::new(bytes.as_slice()).take(MAX_DECODED_BYTES + 1);
                reader.read_to_end(&mut json).map_err(ClsDecodeError::Gzip)?;
                if json.len() as u64 > MAX_DECODED_BYTES {
                    return Err(ClsDecodeError::TooLarge);
                }
                json
            } else {
                bytes
            };
            serde_json::from_slice(&json).map_err(ClsDecodeError::Json)
        }
    }
}

#[cfg(feature = "cls")]
pub use decode::ClsDecodeError;
