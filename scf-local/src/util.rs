//! Small helpers: request ids and the service's time format.

use std::time::{SystemTime, UNIX_EPOCH};

/// A random UUID (version 4), as the service's request ids look.
pub fn request_id() -> String {
    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// `YYYY-MM-DD hh:mm:ss` in China Standard Time (UTC+8), as the service reports times.
pub fn format_time(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64) + 8 * 3600;
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        scf_sdk::runtime::sign::scope_date(seconds),
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The current time, formatted.
pub fn now() -> String {
    format_time(SystemTime::now())
}

/// The first `max` bytes of `text`, cut on a character boundary.
pub fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The last `max` bytes of `text`, cut on a character boundary.
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn request_ids_are_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_eq!(&id[14..15], "4");
        assert_ne!(request_id(), id);
    }

    #[test]
    fn times_are_china_standard_time() {
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01 08:00:00");
        assert_eq!(format_time(UNIX_EPOCH + Duration::from_secs(1_764_125_646)), "2025-11-26 10:54:06");
    }

    #[test]
    fn tails_cut_on_characters() {
        assert_eq!(tail("hello", 10), "hello");
        assert_eq!(tail("hello", 3), "llo");
        assert_eq!(tail("ééé", 3), "é");
        assert_eq!(head("ééé", 3), "é");
        assert_eq!(head("abc", 5), "abc");
    }
}
