//! Small helpers: request ids and the service's time format.

use std::time::{SystemTime, UNIX_EPOCH};

pub use scf_sdk::runtime::sign::civil_from_days;

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

/// The offset of China Standard Time (UTC+8) from UTC: the service reports times in it.
pub const CHINA_OFFSET_SECONDS: i64 = 8 * 3600;

/// `YYYY-MM-DD hh:mm:ss` in China Standard Time (UTC+8), as the service reports times.
pub fn format_time(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64) + CHINA_OFFSET_SECONDS;
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

/// `YYYY-MM-DDThh:mm:ssZ` (UTC) of Unix seconds, as events carry times (the Timer event's `Time`).
pub fn rfc3339_utc(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let of_day = unix.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

/// The day counted from 1970-01-01 of a date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    unix_now_ms().div_euclid(1000)
}

/// Unix milliseconds now.
pub fn unix_now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `YYYY-MM-DD hh:mm:ss.ffffff` (microseconds) in China Standard Time, as the asynchronous-event
/// actions report times.
pub fn format_time_micros(time: SystemTime) -> String {
    let micros = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_micros());
    format!("{}.{micros:06}", format_time(time))
}

/// Whether `text` is a time as the API takes it: `YYYY-MM-DD hh:mm:ss`.
pub fn is_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b' ',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        })
        && (1..=12).contains(&text[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&text[8..10].parse::<u32>().unwrap_or(0))
        && text[11..13].parse::<u32>().is_ok_and(|h| h < 24)
        && text[14..16].parse::<u32>().is_ok_and(|m| m < 60)
        && text[17..19].parse::<u32>().is_ok_and(|s| s < 60)
}

/// Seconds since the Unix epoch of a time `YYYY-MM-DD hh:mm:ss` in China Standard Time.
pub fn parse_time(text: &str) -> Option<i64> {
    if !is_time(text) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let days = days_from_civil(year, month as u32, day as u32);
    Some(days * 86_400 + number(11..13)? * 3600 + number(14..16)? * 60 + number(17..19)? - CHINA_OFFSET_SECONDS)
}

/// The current time, formatted with microseconds.
pub fn now_micros() -> String {
    format_time_micros(SystemTime::now())
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
    fn times_parse_back_and_carry_microseconds() {
        let time = UNIX_EPOCH + Duration::from_micros(1_764_125_646_123_456);
        assert_eq!(format_time_micros(time), "2025-11-26 10:54:06.123456");
        assert_eq!(parse_time("2025-11-26 10:54:06"), Some(1_764_125_646));
        assert_eq!(parse_time("1970-01-01 08:00:00"), Some(0));
        for bad in ["2025-11-26", "2025-13-01 00:00:00", "2025-11-26T10:54:06", "2025-11-26 24:00:00", "x"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
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
