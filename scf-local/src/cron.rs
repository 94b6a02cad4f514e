//! SCF's cron expressions, as its timer triggers take them: seven fields — second, minute, hour,
//! day of month, month, day of week, year — or the older five (minute, hour, day of month, month,
//! day of week; second 0, any year). Each field is `*`, a value, a range `a-b`, a step `*/n`, `a/n`
//! or `a-b/n`, or a comma-separated list of those. Months may be `JAN`…`DEC`, days of the week
//! `SUN`…`SAT` (0 is Sunday). When both the day of month and the day of week are restricted, a
//! day matching either fires (as cron does).
//!
//! Times are whole seconds in the time zone the service reports its times in (China Standard
//! Time, UTC+8); [`Schedule::next_after`] takes and returns Unix seconds.

use std::fmt;

use crate::util::{CHINA_OFFSET_SECONDS as ZONE_OFFSET_SECONDS, civil_from_days, days_from_civil};

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Schedule {
    seconds: u64,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Years from [`FIRST_YEAR`]: bit `y - FIRST_YEAR` (130 of them).
    years: [u64; 3],
    days_restricted: bool,
    weekdays_restricted: bool,
}

const FIRST_YEAR: i64 = 1970;
const LAST_YEAR: i64 = 2099;

/// Why an expression was refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronError {
    /// The field's name (`second`, `minute`, …), or `expression` for the whole.
    pub field: &'static str,
    pub message: String,
}

impl CronError {
    /// The field's name in Chinese, for the service's Chinese messages.
    pub fn field_zh(&self) -> &'static str {
        match self.field {
            "second" => "秒",
            "minute" => "分钟",
            "hour" => "小时",
            "day of month" => "日",
            "month" => "月",
            "day of week" => "星期",
            "year" => "年",
            _ => "表达式",
        }
    }
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// One field's name, range and value names.
struct Field {
    name: &'static str,
    low: u32,
    high: u32,
    names: &'static [&'static str],
}

const SECOND: Field = Field { name: "second", low: 0, high: 59, names: &[] };
const MINUTE: Field = Field { name: "minute", low: 0, high: 59, names: &[] };
const HOUR: Field = Field { name: "hour", low: 0, high: 23, names: &[] };
const DAY: Field = Field { name: "day of month", low: 1, high: 31, names: &[] };
const MONTH: Field = Field {
    name: "month",
    low: 1,
    high: 12,
    names: &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
};
const WEEKDAY: Field =
    Field { name: "day of week", low: 0, high: 6, names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] };
const YEAR: Field = Field { name: "year", low: FIRST_YEAR as u32, high: LAST_YEAR as u32, names: &[] };

/// The longest expression taken (the service's `TriggerDesc` is short; this bounds the work).
const MAX_EXPRESSION_BYTES: usize = 256;

impl Schedule {
    /// Parses an expression of seven (or the older five) fields separated by spaces.
    pub fn parse(expression: &str) -> Result<Schedule, CronError> {
        let whole = |message: String| CronError { field: "expression", message };
        if expression.len() > MAX_EXPRESSION_BYTES {
            return Err(whole(format!(
                "The cron expression is {} bytes; at most {MAX_EXPRESSION_BYTES} are taken.",
                expression.len()
            )));
        }
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let (second, rest) = match fields.len() {
            7 => (fields[0], &fields[1..]),
            5 => ("0", &fields[..]),
            n => {
                return Err(whole(format!(
                    "The cron expression `{expression}` has {n} fields; it takes 7 (second minute hour day month \
                     week year) or 5 (minute hour day month week)."
                )));
            }
        };
        let year = rest.get(5).copied().unwrap_or("*");
        let (days, days_restricted) = parse_field(&DAY, rest[2])?;
        let (weekdays, weekdays_restricted) = parse_field(&WEEKDAY, rest[4])?;
        Ok(Schedule {
            seconds: parse_field(&SECOND, second)?.0,
            minutes: parse_field(&MINUTE, rest[0])?.0,
            hours: parse_field(&HOUR, rest[1])?.0 as u32,
            days: days as u32,
            months: parse_field(&MONTH, rest[3])?.0 as u16,
            weekdays: weekdays as u8,
            years: parse_years(year)?,
            days_restricted,
            weekdays_restricted,
        })
    }

    /// The first time (Unix seconds) strictly after `after` that the expression names, if any
    /// before the end of its last year.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        let mut t = after.checked_add(1 + ZONE_OFFSET_SECONDS)?;
        // Each round moves to the start of the next candidate second, minute, hour, day or month;
        // a year of misses takes at most a few thousand rounds.
        for _ in 0..200_000 {
            let days = t.div_euclid(86_400);
            let of_day = t.rem_euclid(86_400);
            let (year, month, day) = civil_from_days(days);
            if year > LAST_YEAR {
                return None;
            }
            if !self.has_year(year) {
                t = days_from_civil(year + 1, 1, 1) * 86_400;
                continue;
            }
            if self.months & (1u16 << month) == 0 {
                let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
                t = days_from_civil(y, m, 1) * 86_400;
                continue;
            }
            if !self.day_matches(day, days) {
                t = (days + 1) * 86_400;
                continue;
            }
            let (hour, minute, second) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
            if self.hours & (1u32 << hour) == 0 {
                t = days * 86_400 + (hour + 1) * 3600;
                continue;
            }
            if self.minutes & (1u64 << minute) == 0 {
                t = days * 86_400 + hour * 3600 + (minute + 1) * 60;
                continue;
            }
            if self.seconds & (1u64 << second) == 0 {
                t += 1;
                continue;
            }
            return Some(t - ZONE_OFFSET_SECONDS);
        }
        None
    }

    /// Whether the expression names second `unix` (Unix seconds).
    pub fn matches(&self, unix: i64) -> bool {
        let Some(t) = unix.checked_add(ZONE_OFFSET_SECONDS) else { return false };
        let (days, of_day) = (t.div_euclid(86_400), t.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        self.has_year(year)
            && self.months & (1u16 << month) != 0
            && self.day_matches(day, days)
            && self.hours & (1u32 << (of_day / 3600)) != 0
            && self.minutes & (1u64 << (of_day % 3600 / 60)) != 0
            && self.seconds & (1u64 << (of_day % 60)) != 0
    }

    fn has_year(&self, year: i64) -> bool {
        let Ok(index) = usize::try_from(year - FIRST_YEAR) else { return false };
        self.years.get(index / 64).is_some_and(|bits| bits & (1u64 << (index % 64)) != 0)
    }

    fn day_matches(&self, day: u32, days_since_epoch: i64) -> bool {
        // 1970-01-01 was a Thursday (4).
        let weekday = (days_since_epoch + 4).rem_euclid(7) as u32;
        let by_day = self.days & (1u32 << day) != 0;
        let by_weekday = self.weekdays & (1u8 << weekday) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => by_day || by_weekday,
            _ => by_day && by_weekday,
        }
    }
}

/// A field's values as bits (bit `v` for value `v`), and whether it restricts anything (not `*`).
fn parse_field(field: &Field, text: &str) -> Result<(u64, bool), CronError> {
    let mut bits = 0u64;
    for item in text.split(',') {
        for value in values(field, item)? {
            bits |= 1u64 << value;
        }
    }
    // As cron does: a field starting with `*` (`*`, `*/2`) does not restrict the day.
    Ok((bits, !text.starts_with('*')))
}

fn parse_years(text: &str) -> Result<[u64; 3], CronError> {
    let mut bits = [0u64; 3];
    for item in text.split(',') {
        for value in values(&YEAR, item)? {
            let index = (i64::from(value) - FIRST_YEAR) as usize;
            bits[index / 64] |= 1u64 << (index % 64);
        }
    }
    Ok(bits)
}

/// The values one list item names.
fn values(field: &Field, item: &str) -> Result<impl Iterator<Item = u32>, CronError> {
    let refuse = |message: String| CronError { field: field.name, message };
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                refuse(format!("The {} field's step in `{item}` must be a whole number of at least 1.", field.name))
            })?;
            (range, step)
        }
        None => (item, 1),
    };
    let (low, high) = if range == "*" {
        (field.low, field.high)
    } else if let Some((a, b)) = range.split_once('-') {
        (value(field, a, item)?, value(field, b, item)?)
    } else {
        let start = value(field, range, item)?;
        // `a/n` runs from `a` to the end of the range.
        (start, if item.contains('/') { field.high } else { start })
    };
    if low > high {
        return Err(refuse(format!("The {} field's range `{item}` ends before it starts.", field.name)));
    }
    Ok((low..=high).step_by(step as usize))
}

fn value(field: &Field, text: &str, item: &str) -> Result<u32, CronError> {
    let upper = text.to_ascii_uppercase();
    let named = field.names.iter().position(|n| *n == upper).map(|i| i as u32 + field.low);
    let number = named.or_else(|| text.parse::<u32>().ok());
    number.filter(|n| (field.low..=field.high).contains(n)).ok_or_else(|| {
        let names = match field.names.first().zip(field.names.last()) {
            Some((first, last)) => format!(" or {first}-{last}"),
            None => String::new(),
        };
        CronError {
            field: field.name,
            message: format!(
                "The {} field's `{item}` is not a value from {} to {}{names}.",
                field.name, field.low, field.high
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of a time in UTC+8.
    fn cst(year: i64, month: u32, day: u32, hour: i64, minute: i64, second: i64) -> i64 {
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - ZONE_OFFSET_SECONDS
    }

    fn next(expression: &str, after: i64) -> Option<i64> {
        Schedule::parse(expression).unwrap().next_after(after)
    }

    #[test]
    fn dates_convert_both_ways() {
        for days in [-719_468, -1, 0, 1, 59, 10_956, 11_016, 19_723, 47_482, 47_847] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(crate::util::rfc3339_utc(1_550_749_740), "2019-02-21T11:49:00Z");
    }

    #[test]
    fn every_second_and_every_five_minutes() {
        let t = cst(2026, 12, 1, 10, 0, 0);
        assert_eq!(next("* * * * * * *", t), Some(t + 1));
        assert_eq!(next("*/1 * * * * * *", t), Some(t + 1));
        assert_eq!(next("0 */5 * * * * *", t), Some(t + 300));
        assert_eq!(next("0 */5 * * * * *", t - 1), Some(t));
        // The older five fields: second 0.
        assert_eq!(next("*/5 * * * *", t), Some(t + 300));
    }

    #[test]
    fn steps_lists_and_ranges() {
        let t = cst(2026, 12, 1, 10, 0, 0);
        // `1/10` in minutes: 1, 11, 21, …
        assert_eq!(next("0 1/10 * * * * *", t), Some(cst(2026, 12, 1, 10, 1, 0)));
        assert_eq!(next("0 1/10 * * * * *", cst(2026, 12, 1, 10, 1, 0)), Some(cst(2026, 12, 1, 10, 11, 0)));
        assert_eq!(next("30 0 1,2,3 * * * *", t), Some(cst(2026, 12, 2, 1, 0, 30)));
        assert_eq!(next("0 0 9-17/4 * * * *", t), Some(cst(2026, 12, 1, 13, 0, 0)));
    }

    #[test]
    fn days_months_weekdays_and_years() {
        let t = cst(2026, 12, 1, 10, 0, 0); // a Tuesday
        // 2 a.m. on the first of each month.
        assert_eq!(next("0 0 2 1 * * *", t), Some(cst(2027, 1, 1, 2, 0, 0)));
        assert_eq!(next("0 0 0 29 FEB * *", t), Some(cst(2028, 2, 29, 0, 0, 0)), "the next leap day");
        assert_eq!(next("0 0 0 * * SAT *", t), Some(cst(2026, 12, 5, 0, 0, 0)));
        assert_eq!(next("0 0 0 * * 0 *", t), Some(cst(2026, 12, 6, 0, 0, 0)), "0 is Sunday");
        assert_eq!(next("0 0 0 * * mon-fri *", cst(2026, 12, 4, 12, 0, 0)), Some(cst(2026, 12, 7, 0, 0, 0)));
        // Day and weekday both restricted: either; a step from `*` does not restrict.
        assert_eq!(next("0 0 0 15 * SAT *", t), Some(cst(2026, 12, 5, 0, 0, 0)));
        assert_eq!(next("0 0 0 */2 * SAT *", t), Some(cst(2026, 12, 5, 0, 0, 0)), "the 5th: odd, a Saturday");
        assert_eq!(next("0 0 0 */2 * SUN *", t), Some(cst(2026, 12, 13, 0, 0, 0)), "odd days that are Sundays");
        assert_eq!(next("0 0 0 1 1 * 2030", t), Some(cst(2030, 1, 1, 0, 0, 0)));
        assert_eq!(next("0 0 0 1 1 * 2020", t), None, "only past years");
        assert_eq!(next("0 0 0 31 2 * *", t), None, "no 31st of February");
        assert_eq!(next("* * * * * * *", cst(2099, 12, 31, 23, 59, 59)), None);
    }

    #[test]
    fn bad_expressions_name_the_field() {
        for (expression, field) in [
            ("* * * * * *", "expression"),
            ("* * * * * * * *", "expression"),
            ("60 * * * * * *", "second"),
            ("* 60 * * * * *", "minute"),
            ("* * 24 * * * *", "hour"),
            ("* * * 0 * * *", "day of month"),
            ("* * * 32 * * *", "day of month"),
            ("* * * * 13 * *", "month"),
            ("* * * * FOO * *", "month"),
            ("* * * * * 7 *", "day of week"),
            ("* * * * * * 1969", "year"),
            ("* * * * * * 2100", "year"),
            ("*/0 * * * * * *", "second"),
            ("5-1 * * * * * *", "second"),
            ("a * * * * * *", "second"),
            ("1,,2 * * * * * *", "second"),
            ("-1 * * * * * *", "second"),
        ] {
            let error = Schedule::parse(expression).unwrap_err();
            assert_eq!(error.field, field, "{expression}: {}", error.message);
            assert!(error.message.contains(field) || field == "expression", "{}", error.message);
        }
        assert_eq!(Schedule::parse(&"* ".repeat(200)).unwrap_err().field, "expression");
    }
}
