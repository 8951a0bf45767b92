//! EVO (W12) integration API: bare JSON arrays, HTTP basic auth, `skip`/`take` paging with the
//! swagger's maximum `take` per endpoint, date-window filters on the record's main date.
//!
//! Constraints (docs/data-contract.md#evo-api):
//! * a `take` above the endpoint maximum is clamped to the maximum (the real API never returns
//!   more than its maximum; clients that stop on "fewer than take" must use the maximum);
//!   `ApiFaults::max_page_size` clamps lower still, as some tenants do;
//! * unknown query parameters are ignored silently, like the real API;
//! * datetimes are naive local time (`2026-05-25T08:00:00`), entries carry `timeZone`;
//! * records are sorted by their main date (= index order), so a window is an index range.

pub mod catalog;
pub mod entries;
pub mod members;
pub mod prospects;
pub mod sales;

use std::ops::Range;

use crate::config::Scale;
use crate::http::{Api, Reply, Req, api_error};
use crate::synth::Gen;
use crate::synth::json;
use crate::synth::time::{self, DEFAULT_NOW, HISTORY_START, Timeline};

pub(crate) const TAG_ENTRY: u64 = 0xE1;
pub(crate) const TAG_MEMBER: u64 = 0xE2;
pub(crate) const TAG_MEMBERSHIPS: u64 = 0xE3;
pub(crate) const TAG_SALE: u64 = 0xE4;
pub(crate) const TAG_PROSPECT: u64 = 0xE5;
pub(crate) const TAG_EMPLOYEE: u64 = 0xE6;
pub(crate) const TAG_BRANCH: u64 = 0xE7;

/// The EVO entities served as lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvoEntity {
    /// `/api/v1/entries`, window on `date` (`registerDateStart/End`).
    Entries,
    /// `/api/v2/members`, window on `registerDate`.
    Members,
    /// `/api/v2/sales`, window on `saleDate` (`dateSaleStart/End`).
    Sales,
    /// `/api/v1/prospects`, window on `registerDate`.
    Prospects,
    /// `/api/v1/receivables`, window on `registrationDate` (= the sale's date).
    Receivables,
}

impl EvoEntity {
    /// Endpoint path.
    pub fn path(self) -> &'static str {
        match self {
            EvoEntity::Entries => "/api/v1/entries",
            EvoEntity::Members => "/api/v2/members",
            EvoEntity::Sales => "/api/v2/sales",
            EvoEntity::Prospects => "/api/v1/prospects",
            EvoEntity::Receivables => "/api/v1/receivables",
        }
    }

    /// Maximum `take` (swagger "Maximum of N").
    pub fn max_take(self) -> u64 {
        match self {
            EvoEntity::Entries => 1000,
            EvoEntity::Sales => 100,
            _ => 50,
        }
    }

    /// Default `take`.
    pub fn default_take(self) -> u64 {
        match self {
            EvoEntity::Sales => 25,
            _ => 50,
        }
    }

    /// Query parameters of the date window.
    pub fn window_params(self) -> (&'static str, &'static str) {
        match self {
            EvoEntity::Entries | EvoEntity::Members | EvoEntity::Prospects => {
                ("registerDateStart", "registerDateEnd")
            }
            EvoEntity::Sales => ("dateSaleStart", "dateSaleEnd"),
            EvoEntity::Receivables => ("registrationDateStart", "registrationDateEnd"),
        }
    }
}

pub(crate) fn entries_tl(s: &Scale) -> Timeline {
    Timeline::new(HISTORY_START, DEFAULT_NOW, s.evo_entries)
}
pub(crate) fn members_tl(s: &Scale) -> Timeline {
    Timeline::new(HISTORY_START, DEFAULT_NOW, s.evo_members)
}
pub(crate) fn sales_tl(s: &Scale) -> Timeline {
    Timeline::new(HISTORY_START, DEFAULT_NOW, s.evo_sales)
}
pub(crate) fn prospects_tl(s: &Scale) -> Timeline {
    Timeline::new(HISTORY_START, DEFAULT_NOW, s.evo_prospects)
}

/// Parsed `skip`/`take`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub skip: u64,
    pub take: u64,
}

pub(crate) fn paging(req: &Req, entity: EvoEntity) -> Result<Paging, Reply> {
    let skip = req
        .query
        .uint("skip")
        .map_err(|v| bad(&format!("The value '{v}' is not valid for skip.")))?;
    let take = req
        .query
        .uint("take")
        .map_err(|v| bad(&format!("The value '{v}' is not valid for take.")))?;
    let take = match take {
        None | Some(0) => entity.default_take(),
        Some(t) => t.min(entity.max_take()),
    };
    let take = req.cap_page(take);
    Ok(Paging {
        skip: skip.unwrap_or(0),
        take,
    })
}

pub(crate) fn window(
    req: &Req,
    start: &str,
    end: &str,
) -> Result<(Option<i64>, Option<i64>), Reply> {
    let parse = |name: &str, eod: bool| -> Result<Option<i64>, Reply> {
        match req.query.get_nonempty(name) {
            None => Ok(None),
            Some(v) => time::parse_query_time(v, eod)
                .map(Some)
                .ok_or_else(|| bad(&format!("The value '{v}' is not valid for {name}."))),
        }
    };
    Ok((parse(start, false)?, parse(end, true)?))
}

pub(crate) fn bad(msg: &str) -> Reply {
    api_error(Api::Evo, 400, msg)
}

/// The index range of a page within a window range.
pub(crate) fn page_range(window: Range<u64>, p: Paging) -> Range<u64> {
    let lo = window.start.saturating_add(p.skip).min(window.end);
    let hi = lo.saturating_add(p.take).min(window.end);
    lo..hi
}

/// The page `p` of the indexes in `candidates` that pass `keep`, in index order.
///
/// Change filters (`updateDate`, `removalDate`, `membershipCancelDate`, ...) select records by
/// a date that is not their index order, so a page is found by scanning the candidate range
/// (bounded by how late a change can happen after creation) and counting matches; a deep
/// `skip` costs a longer scan, as it does on the real API.
pub(crate) fn filtered_page(
    candidates: Range<u64>,
    p: Paging,
    mut keep: impl FnMut(u64) -> bool,
) -> Vec<u64> {
    candidates
        .filter(|i| keep(*i))
        .skip(usize::try_from(p.skip).unwrap_or(usize::MAX))
        .take(usize::try_from(p.take).unwrap_or(usize::MAX))
        .collect()
}

/// Inclusive date bounds of a filter (epoch seconds of naive local time), either optional.
pub type Bounds = (Option<i64>, Option<i64>);

/// Whether `t` lies in the inclusive filter bounds (either optional).
#[inline]
pub(crate) fn within(t: i64, (from, to): Bounds) -> bool {
    from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e)
}

/// Intersection of two index ranges (empty when disjoint).
pub(crate) fn intersect(a: Range<u64>, b: Range<u64>) -> Range<u64> {
    let lo = a.start.max(b.start);
    let hi = a.end.min(b.end);
    lo.min(hi)..hi
}

/// Writes `[rec, rec, ...]` for a sequence of record indexes (a window's index range, or the
/// matches of a change filter).
pub(crate) fn write_array(
    indexes: impl IntoIterator<Item = u64>,
    malformed: Option<u64>,
    per_record: usize,
    mut f: impl FnMut(u64, &mut String),
) -> Reply {
    let indexes = indexes.into_iter();
    let mut out = String::with_capacity(2 + indexes.size_hint().0 * per_record);
    out.push('[');
    let mut bad = false;
    let mut n = 0u64;
    for i in indexes {
        n += 1;
        let at = out.len();
        f(i, &mut out);
        if malformed == Some(i) {
            json::corrupt_tail(&mut out, at);
            bad = true;
        }
    }
    out.push(']');
    let mut r = Reply::ok(out, n);
    r.malformed = bad;
    r
}

/// Routes an authenticated EVO request.
pub(crate) fn route(g: &Gen, req: &Req, malformed: Option<u64>) -> Reply {
    let path = req.path.trim_end_matches('/');
    let result = match path {
        "/api/v1/entries" => entries::list(g, req, malformed),
        "/api/v2/members" | "/api/v1/members" => members::list(g, req, malformed),
        "/api/v2/sales" => sales::list(g, req, malformed),
        "/api/v1/receivables" => sales::list_receivables(g, req, malformed),
        "/api/v1/prospects" => prospects::list(g, req, malformed),
        "/api/v2/employees" | "/api/v1/employees" => catalog::employees(g, req),
        "/api/v1/configuration" => catalog::branches(g),
        _ => {
            if let Some(id) = path.strip_prefix("/api/v2/members/") {
                members::one(g, id)
            } else if let Some(id) = path
                .strip_prefix("/api/v2/sales/")
                .or_else(|| path.strip_prefix("/api/v1/sales/"))
            {
                sales::one(g, req, id)
            } else {
                Err(api_error(Api::Evo, 404, "not found"))
            }
        }
    };
    result.unwrap_or_else(|r| r)
}

/// An id in a path segment, or 404.
pub(crate) fn path_id(s: &str) -> Result<u64, Reply> {
    s.parse::<u64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| api_error(Api::Evo, 404, "not found"))
}
