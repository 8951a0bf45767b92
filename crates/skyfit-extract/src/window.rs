//! Date windows: cutting `[since, until]` into the units of work that run concurrently.
//!
//! Constraints:
//! - Windows are half-open `[start, end)` in the API's naive local time and tile the range
//!   exactly: no gap, no overlap, the last day included (the reference lost Dec 31 whenever the
//!   span was a multiple of the step, and extracted nothing when `since == until`).
//! - The query sends inclusive bounds (`end - 1s`, e.g. `…T23:59:59`), as EVO filters.
//! - A window id is its bounds, so the same request always yields the same ids and `--resume`
//!   finds its checkpoints; [`split`] children have ids of their own.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

pub const DATETIME: &str = "%Y-%m-%dT%H:%M:%S";

/// How wide the windows of an entity are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Days(u32),
    Months(u32),
}

/// A half-open range of naive local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Span {
    /// Whole days `since..=until`.
    pub fn days(since: NaiveDate, until: NaiveDate) -> Self {
        Span {
            start: since.and_time(NaiveTime::MIN),
            end: (until + Duration::days(1)).and_time(NaiveTime::MIN),
        }
    }

    pub fn id(&self) -> String {
        format!(
            "{}..{}",
            self.start.format(DATETIME),
            self.end.format(DATETIME)
        )
    }

    /// Inclusive bounds for the query (`end` minus one second).
    pub fn query_bounds(&self) -> (String, String) {
        (
            self.start.format(DATETIME).to_string(),
            (self.end - Duration::seconds(1))
                .format(DATETIME)
                .to_string(),
        )
    }

    pub fn len(&self) -> Duration {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Cuts `span` into windows of `step`, aligned to `span.start`; the last one is clamped.
pub fn tile(span: Span, step: Step) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = span.start;
    while start < span.end {
        let next = match step {
            Step::Days(n) => start + Duration::days(i64::from(n.max(1))),
            Step::Months(n) => start
                .checked_add_months(Months::new(n.max(1)))
                .unwrap_or(span.end),
        };
        let end = next.min(span.end);
        out.push(Span { start, end });
        start = end;
    }
    out
}

/// Halves a window that holds too many records, on an hour boundary when it spans more than
/// two hours; `None` when it is already at `min` or below.
pub fn split(span: Span, min: Duration) -> Option<(Span, Span)> {
    if span.len() <= min || span.len() < Duration::seconds(2) {
        return None;
    }
    let half = span.len() / 2;
    let mut mid = span.start + half;
    if span.len() > Duration::hours(2) {
        let t = mid.time();
        mid = mid.date().and_hms_opt(t.hour(), 0, 0).unwrap_or(mid);
    }
    if mid <= span.start || mid >= span.end {
        return None;
    }
    Some((
        Span {
            start: span.start,
            end: mid,
        },
        Span {
            start: mid,
            end: span.end,
        },
    ))
}

/// First day of the month of `d` (month windows start there so ids are calendar months).
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekly_windows_keep_the_last_day() {
        let span = Span::days(d(2025, 1, 1), d(2025, 12, 31));
        let w = tile(span, Step::Days(7));
        assert_eq!(
            w.first().unwrap().start,
            d(2025, 1, 1).and_time(NaiveTime::MIN)
        );
        assert_eq!(
            w.last().unwrap().end,
            d(2026, 1, 1).and_time(NaiveTime::MIN)
        );
        assert_eq!(w.last().unwrap().query_bounds().1, "2025-12-31T23:59:59");
        for pair in w.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        // since == until is one day, not nothing.
        assert_eq!(
            tile(Span::days(d(2025, 3, 3), d(2025, 3, 3)), Step::Days(7)).len(),
            1
        );
    }

    #[test]
    fn months_and_splits() {
        let w = tile(Span::days(d(2024, 1, 15), d(2024, 4, 10)), Step::Months(1));
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].id(), "2024-01-15T00:00:00..2024-02-15T00:00:00");
        let (a, b) = split(w[0], Duration::hours(1)).unwrap();
        assert_eq!(a.end, b.start);
        assert_eq!(a.start, w[0].start);
        assert_eq!(b.end, w[0].end);
        let hour = Span {
            start: d(2024, 1, 1).and_hms_opt(5, 0, 0).unwrap(),
            end: d(2024, 1, 1).and_hms_opt(6, 0, 0).unwrap(),
        };
        assert!(split(hour, Duration::hours(1)).is_none());
    }
}
