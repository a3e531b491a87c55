//! The daily puzzle's calendar: which UTC days have a daily puzzle (the archive), and which
//! day an attempt counts for.
//!
//! The rotation itself is [`Catalogue::daily`]: a fixed order of the catalogue indexed by the
//! UTC day number, so every past day keeps its puzzle. The archive starts on
//! [`FIRST_DATE`], the day the daily puzzle was first served, and ends today: a later date
//! would let players see (and practise) tomorrow's puzzle.

use super::{civil_from_days, days_from_civil, Catalogue, LoadedPuzzle};

/// The first day (UTC) of the daily rotation: the day the daily puzzle was first served.
pub const FIRST_DATE: (i32, u32, u32) = (2026, 11, 23);

/// [`FIRST_DATE`] as a day number (days since 1970-01-01).
pub fn first_day() -> i64 {
    days_from_civil(FIRST_DATE.0, FIRST_DATE.1, FIRST_DATE.2)
}

/// The UTC day number of `secs` Unix seconds.
pub fn day_of(secs: u64) -> i64 {
    (secs / 86_400) as i64
}

/// `YYYY-MM-DD` of a day number.
pub fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Why the archive has no puzzle for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date must be a calendar date written YYYY-MM-DD (UTC), such as {example}")]
    Malformed { example: String },
    #[error("the daily puzzle began on {first}: there is none for {date}")]
    BeforeFirstDay { date: String, first: String },
    #[error("{date} is still to come (today is {today}, UTC): its puzzle is not out yet")]
    Future { date: String, today: String },
}

/// The day number of a `YYYY-MM-DD` date (a real calendar date, four-digit year).
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| s[r].parse::<u32>().ok())
            .flatten()
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)? as i32, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let day = days_from_civil(y, m, d);
    // 2026-02-30 would roll over into March: only a date that comes back as itself is real.
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

/// The day number of `date` if the archive has its puzzle at `now` (Unix seconds): from
/// [`FIRST_DATE`] to today, UTC.
pub fn archive_day(date: &str, now: u64) -> Result<i64, DateError> {
    let today = day_of(now);
    let day = parse_date(date.trim()).ok_or_else(|| DateError::Malformed {
        example: format_day(today),
    })?;
    if day < first_day() {
        return Err(DateError::BeforeFirstDay {
            date: format_day(day),
            first: format_day(first_day()),
        });
    }
    if day > today {
        return Err(DateError::Future {
            date: format_day(day),
            today: format_day(today),
        });
    }
    Ok(day)
}

impl Catalogue {
    /// The puzzle of a day number (see [`Catalogue::daily`]).
    pub fn daily_on(&self, day: i64) -> Option<&LoadedPuzzle> {
        self.daily(civil_from_days(day))
    }

    /// The day an attempt at `puzzle_id` made at `now` counts for as a daily attempt: today's
    /// day number when the puzzle is today's daily puzzle, else `None`.
    pub fn daily_day(&self, puzzle_id: &str, now: u64) -> Option<i64> {
        let today = day_of(now);
        (self.daily_on(today)?.id == puzzle_id).then_some(today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(format_day(19_782), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-01T00:00",
            "+026-01-01",
            "２０２６-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_archive_runs_from_the_first_day_to_today() {
        let first = first_day();
        let noon = |day: i64| day as u64 * 86_400 + 43_200;
        let now = noon(first + 10);
        assert_eq!(archive_day(&format_day(first), now), Ok(first));
        assert_eq!(archive_day(&format_day(first + 10), now), Ok(first + 10));
        assert!(matches!(
            archive_day(&format_day(first - 1), now),
            Err(DateError::BeforeFirstDay { .. })
        ));
        assert!(matches!(
            archive_day(&format_day(first + 11), now),
            Err(DateError::Future { .. })
        ));
        assert!(matches!(
            archive_day("yesterday", now),
            Err(DateError::Malformed { .. })
        ));
        // One second before midnight it is still that day; at midnight the next one is out.
        let midnight = (first + 11) as u64 * 86_400;
        assert!(archive_day(&format_day(first + 11), midnight - 1).is_err());
        assert_eq!(
            archive_day(&format_day(first + 11), midnight),
            Ok(first + 11)
        );
    }
}
