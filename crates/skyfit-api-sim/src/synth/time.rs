//! Time arithmetic for generated records: the index→time mapping and fast formatting.
//!
//! Constraint: a record's creation time is a monotone function of its index, so a date window
//! maps to an index range by arithmetic (no scan). Formatting avoids chrono on the hot path
//! because the entries endpoint formats two timestamps per record, 110M times.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day number.
pub const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Epoch seconds of a civil midnight.
pub const fn epoch(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * 86_400
}

/// Start of the generated history (all APIs): 2020-01-01T00:00:00.
pub const HISTORY_START: i64 = epoch(2020, 1, 1);
/// End of the simulated history (at every scale) and default clock: 2026-11-25T00:00:00.
pub const DEFAULT_NOW: i64 = epoch(2026, 11, 25);
/// Zendesk went live later than EVO in the system SkyFit replaces; its tickets start here.
pub const ZENDESK_START: i64 = epoch(2023, 1, 1);

/// Maps record indexes to creation times: index `i` is created at
/// `start + floor(i * span / count)`. `count` is the number of records created by `start + span`;
/// records keep arriving at the same rate after that, so advancing the clock adds records.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    start: i64,
    span: i64,
    count: u64,
}

impl Timeline {
    /// A timeline with `count` records between `start` and `end`.
    pub const fn new(start: i64, end: i64, count: u64) -> Self {
        Self {
            start,
            span: if end > start { end - start } else { 1 },
            count,
        }
    }

    /// Creation time of record `i`.
    #[inline]
    pub fn time_of(&self, i: u64) -> i64 {
        if self.count == 0 {
            return self.start;
        }
        self.start + ((i as u128 * self.span as u128) / self.count as u128) as i64
    }

    /// The first index whose time is `>= t`.
    #[inline]
    pub fn first_at_or_after(&self, t: i64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        if t <= self.start {
            return 0;
        }
        let num = (t - self.start) as u128 * self.count as u128;
        let span = self.span as u128;
        let q = num.div_ceil(span);
        u64::try_from(q).unwrap_or(u64::MAX)
    }

    /// Number of records created strictly before `now` (so exactly `count` at the end time).
    #[inline]
    pub fn visible(&self, now: i64) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.first_at_or_after(now)
        }
    }

    /// Index range of records created in `[from, to]` (inclusive bounds, both optional), capped
    /// at the clock.
    pub fn range(&self, from: Option<i64>, to: Option<i64>, now: i64) -> std::ops::Range<u64> {
        let lo = from.map_or(0, |t| self.first_at_or_after(t));
        let vis = self.visible(now);
        let hi = to.map_or(vis, |t| {
            self.first_at_or_after(t.saturating_add(1)).min(vis)
        });
        lo.min(hi)..hi
    }
}

const DIGITS2: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

#[inline]
fn push2(buf: &mut Vec<u8>, v: u32) {
    let i = (v as usize % 100) * 2;
    buf.extend_from_slice(&DIGITS2[i..i + 2]);
}

#[inline]
fn push_ymd_hms(out: &mut String, secs: i64, date_sep: u8, with_time: bool) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    let mut b: Vec<u8> = Vec::with_capacity(19);
    let y = y.clamp(0, 9999) as u32;
    push2(&mut b, y / 100);
    push2(&mut b, y % 100);
    b.push(b'-');
    push2(&mut b, m);
    b.push(b'-');
    push2(&mut b, d);
    if with_time {
        b.push(date_sep);
        push2(&mut b, sod / 3600);
        b.push(b':');
        push2(&mut b, sod / 60 % 60);
        b.push(b':');
        push2(&mut b, sod % 60);
    }
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// `YYYY-MM-DDTHH:MM:SS` (EVO style, no offset).
#[inline]
pub fn push_naive(out: &mut String, secs: i64) {
    push_ymd_hms(out, secs, b'T', true);
}

/// `YYYY-MM-DDTHH:MM:SSZ` (Pipedrive v2, Zendesk).
#[inline]
pub fn push_rfc3339(out: &mut String, secs: i64) {
    push_ymd_hms(out, secs, b'T', true);
    out.push('Z');
}

/// `YYYY-MM-DD HH:MM:SS` (Pipedrive v1).
#[inline]
pub fn push_v1(out: &mut String, secs: i64) {
    push_ymd_hms(out, secs, b' ', true);
}

/// `YYYY-MM-DD`.
#[inline]
pub fn push_date(out: &mut String, secs: i64) {
    push_ymd_hms(out, secs, b'T', false);
}

/// Formats with one of the pushers into a fresh string.
pub fn fmt(f: fn(&mut String, i64), secs: i64) -> String {
    let mut s = String::with_capacity(20);
    f(&mut s, secs);
    s
}

/// Parses a query-string date the way EVO accepts it: `YYYY-MM-DD` (start or end of that day,
/// per `end_of_day`), naive `YYYY-MM-DDTHH:MM:SS[.fff]`, or RFC 3339 with an offset.
pub fn parse_query_time(s: &str, end_of_day: bool) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
        return Some(if end_of_day { t + 86_399 } else { t });
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some(dt.and_utc().timestamp());
        }
    }
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

/// Parses an RFC 3339 timestamp (Pipedrive `updated_since`/`updated_until`, admin clock).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_chrono() {
        for secs in [
            0i64,
            HISTORY_START,
            DEFAULT_NOW + 3_723,
            1_709_510_400 + 86_399,
        ] {
            let want = DateTime::from_timestamp(secs, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string());
            assert_eq!(Some(fmt(push_naive, secs)), want);
        }
        assert_eq!(fmt(push_naive, DEFAULT_NOW), "2026-11-25T00:00:00");
    }

    #[test]
    fn timeline_ranges_are_exact() {
        let tl = Timeline::new(HISTORY_START, DEFAULT_NOW, 1_000);
        for i in 0..1_000u64 {
            let t = tl.time_of(i);
            assert_eq!(
                tl.first_at_or_after(t),
                tl.first_at_or_after(tl.time_of(tl.first_at_or_after(t)))
            );
            assert!(tl.first_at_or_after(t) <= i);
            assert!(tl.time_of(tl.first_at_or_after(t)) == t);
        }
        assert_eq!(tl.visible(DEFAULT_NOW), 1_000);
        assert_eq!(tl.range(None, None, DEFAULT_NOW).end, 1_000);
    }
}
