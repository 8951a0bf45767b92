//! Pipedrive API: v2 cursor lists (deals, persons, organizations, activities, pipelines,
//! stages) and v1 offset lists (users, field definitions), two independent accounts chosen by
//! the `x-api-token` (or legacy `api_token` query) value.
//!
//! Constraints (docs/data-contract.md#pipedrive-api): `limit` default 100, max 500 (above →
//! 400); `updated_since` is inclusive and `updated_until` exclusive, RFC 3339; deleted records
//! are never listed except deals with `status=deleted` (deleted in the last 30 days); cursors
//! are opaque base64 of `{"field","fieldValue","sortDirection","id"}` like the real ones. Counts
//! and activity `attendees` are absent unless named in `include_fields`.

pub mod ground_truth;
mod include;
mod meta;
pub mod records;

use base64::Engine;
use serde::Deserialize;

use crate::http::{Api, Reply, Req, api_error};
use crate::synth::{Gen, json, time};

pub use records::Entity;
use records::{Meta, meta as record_meta, timeline, write};

pub use crate::config::Scope;

pub(crate) fn bad(msg: &str) -> Reply {
    api_error(Api::Pipedrive, 400, msg)
}

#[derive(Deserialize)]
struct CursorBody {
    field: String,
    #[serde(rename = "fieldValue")]
    value: i64,
    #[serde(rename = "sortDirection")]
    dir: String,
    id: u64,
}

pub(crate) fn encode_cursor(field: &str, value: i64, desc: bool, id: u64) -> String {
    let raw = format!(
        "{{\"field\":\"{field}\",\"fieldValue\":{value},\"sortDirection\":\"{}\",\"id\":{id}}}",
        if desc { "desc" } else { "asc" }
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(c: &str) -> Option<CursorBody> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&raw).ok()
}

/// Parsed v2 list parameters.
pub(crate) struct ListParams {
    pub limit: usize,
    pub sort_by: &'static str,
    pub desc: bool,
    pub after: Option<(i64, u64)>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

pub(crate) fn list_params(req: &Req, extra_sort: &[&'static str]) -> Result<ListParams, Reply> {
    let q = &req.query;
    let limit = q.uint("limit").map_err(|v| {
        bad(&format!(
            "Validation failed: limit: Expected number, received {v}"
        ))
    })?;
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(bad(
            "Validation failed: limit: Number must be less than or equal to 500",
        ));
    }
    let limit = req.cap_page(limit);
    let mut allowed = vec!["id", "update_time", "add_time"];
    allowed.extend_from_slice(extra_sort);
    let sort_by = match q.get_nonempty("sort_by") {
        None => "id",
        Some(s) => *allowed.iter().find(|a| **a == s).ok_or_else(|| {
            bad(&format!(
                "Validation failed: sort_by: Invalid enum value '{s}'"
            ))
        })?,
    };
    let desc = match q.get_nonempty("sort_direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(s) => {
            return Err(bad(&format!(
                "Validation failed: sort_direction: Invalid enum value '{s}'"
            )));
        }
    };
    let after = match q.get_nonempty("cursor") {
        None => None,
        Some(c) => {
            let cb = decode_cursor(c).ok_or_else(|| bad("Invalid cursor"))?;
            if cb.field != sort_by || (cb.dir == "desc") != desc {
                return Err(bad("Cursor does not match the sort parameters"));
            }
            Some((cb.value, cb.id))
        }
    };
    let ts = |name: &str| -> Result<Option<i64>, Reply> {
        match q.get_nonempty(name) {
            None => Ok(None),
            Some(v) => time::parse_rfc3339(v).map(Some).ok_or_else(|| {
                bad(&format!(
                    "Validation failed: {name}: Invalid RFC3339 datetime"
                ))
            }),
        }
    };
    Ok(ListParams {
        limit: limit as usize,
        sort_by,
        desc,
        after,
        since: ts("updated_since")?,
        until: ts("updated_until")?,
    })
}

/// Filters of the v2 entity lists.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filters {
    pub ids: Option<Vec<u64>>,
    pub owner: Option<u64>,
    pub person: Option<u64>,
    pub org: Option<u64>,
    pub deal: Option<u64>,
    pub pipeline: Option<u64>,
    pub stage: Option<u64>,
    pub statuses: Option<Vec<String>>,
    pub done: Option<bool>,
}

fn filters(req: &Req) -> Result<Filters, Reply> {
    let q = &req.query;
    let num = |n: &str| {
        q.uint(n).map_err(|v| {
            bad(&format!(
                "Validation failed: {n}: Expected number, received {v}"
            ))
        })
    };
    let ids = q
        .get_nonempty("ids")
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    let statuses = q.get_nonempty("status").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .collect::<Vec<_>>()
    });
    if let Some(badv) = statuses
        .iter()
        .flatten()
        .find(|s| !matches!(s.as_str(), "open" | "won" | "lost" | "deleted"))
    {
        return Err(bad(&format!(
            "Validation failed: status: Invalid enum value '{badv}'"
        )));
    }
    Ok(Filters {
        ids,
        owner: num("owner_id")?,
        person: num("person_id")?,
        org: num("org_id")?,
        deal: num("deal_id")?,
        pipeline: num("pipeline_id")?,
        stage: num("stage_id")?,
        statuses,
        done: q.get_nonempty("done").map(|v| v == "true" || v == "1"),
    })
}

/// Whether a record is listed, given the filters and the clock.
pub(crate) fn keep(e: Entity, m: &Meta, f: &Filters, p: &ListParams, now: i64) -> bool {
    let deleted = m.h.deleted.is_some();
    if e == Entity::Deals {
        let status = if deleted {
            "deleted"
        } else {
            ["open", "won", "lost"][m.state as usize]
        };
        match &f.statuses {
            None if deleted => return false,
            None => {}
            Some(st) => {
                if !st.iter().any(|s| s == status) {
                    return false;
                }
                if deleted && m.h.deleted.is_some_and(|d| d < now - 30 * 86_400) {
                    return false;
                }
            }
        }
    } else if deleted {
        return false;
    }
    let id = m.idx + 1;
    f.ids.as_ref().is_none_or(|ids| ids.contains(&id))
        && f.owner.is_none_or(|o| o == m.owner)
        && f.person.is_none_or(|x| Some(x) == m.person)
        && f.org.is_none_or(|x| Some(x) == m.org)
        && f.deal.is_none_or(|x| Some(x) == m.deal)
        && f.pipeline.is_none_or(|x| x == m.pipeline + 1)
        && f.stage.is_none_or(|x| x == m.stage + 1)
        && f.done.is_none_or(|d| d == (m.state == 1))
        && p.since.is_none_or(|s| m.h.updated >= s)
        && p.until.is_none_or(|u| m.h.updated < u)
}

fn sort_value(m: &Meta, sort_by: &str) -> i64 {
    match sort_by {
        "update_time" => m.h.updated,
        "add_time" => m.add,
        "due_date" => m.due - m.due.rem_euclid(86_400),
        _ => (m.idx + 1) as i64,
    }
}

/// Selects one page: the matching metas in sort order, plus whether more follow.
pub(crate) fn select(
    g: &Gen,
    scope: Scope,
    e: Entity,
    f: &Filters,
    p: &ListParams,
) -> (Vec<Meta>, bool) {
    let n = timeline(g, scope, e).visible(g.now);
    let mut hits: Vec<(i64, u64, Meta)> = Vec::new();
    let past = |v: i64, id: u64| match p.after {
        None => true,
        Some(a) => {
            if p.desc {
                (v, id) < a
            } else {
                (v, id) > a
            }
        }
    };
    // id/add_time order equals index order: walk in order and stop early.
    let ordered = matches!(p.sort_by, "id" | "add_time");
    let mut visit = |i: u64| -> bool {
        let m = record_meta(g, scope, e, i);
        let v = sort_value(&m, p.sort_by);
        if past(v, i + 1) && keep(e, &m, f, p, g.now) {
            hits.push((v, i + 1, m));
        }
        ordered && hits.len() > p.limit
    };
    if p.desc {
        for i in (0..n).rev() {
            if visit(i) {
                break;
            }
        }
    } else {
        for i in 0..n {
            if visit(i) {
                break;
            }
        }
    }
    if p.desc {
        hits.sort_unstable_by_key(|h| std::cmp::Reverse((h.0, h.1)));
    } else {
        hits.sort_unstable_by_key(|h| (h.0, h.1));
    }
    let more = hits.len() > p.limit;
    hits.truncate(p.limit);
    (hits.into_iter().map(|h| h.2).collect(), more)
}

fn include_fields(e: Entity, req: &Req) -> Result<Vec<&'static str>, Reply> {
    include::parse(e, req.query.get_nonempty("include_fields")).map_err(|v| {
        bad(&format!(
            "Validation failed: include_fields: Invalid enum value '{v}'"
        ))
    })
}

fn list_v2(
    g: &Gen,
    scope: Scope,
    e: Entity,
    req: &Req,
    malformed: Option<u64>,
) -> Result<Reply, Reply> {
    let extra: &[&'static str] = if e == Entity::Activities {
        &["due_date"]
    } else {
        &[]
    };
    let p = list_params(req, extra)?;
    let f = filters(req)?;
    let included = include_fields(e, req)?;
    let (page, more) = select(g, scope, e, &f, &p);
    let mut out = String::with_capacity(64 + page.len() * 1200);
    out.push_str("{\"success\":true,\"data\":[");
    let mut bad_written = false;
    for m in &page {
        let at = out.len();
        write(g, scope, e, m, &mut out);
        include::write(g, scope, e, m, &included, &mut out);
        if malformed == Some(m.idx) {
            json::corrupt_tail(&mut out, at);
            bad_written = true;
        }
    }
    out.push_str("],\"additional_data\":{\"next_cursor\":");
    match page.last().filter(|_| more) {
        Some(m) => json::push_str(
            &mut out,
            &encode_cursor(p.sort_by, sort_value(m, p.sort_by), p.desc, m.idx + 1),
        ),
        None => out.push_str("null"),
    }
    out.push_str("}}");
    let mut r = Reply::ok(out, page.len() as u64);
    r.malformed = bad_written;
    Ok(r)
}

fn one_v2(g: &Gen, scope: Scope, e: Entity, req: &Req, id: &str) -> Result<Reply, Reply> {
    let included = include_fields(e, req)?;
    let not_found = || api_error(Api::Pipedrive, 404, "Resource not found");
    let id: u64 = id.parse().map_err(|_| not_found())?;
    if id == 0 || id > timeline(g, scope, e).visible(g.now) {
        return Err(not_found());
    }
    let m = record_meta(g, scope, e, id - 1);
    if m.h.deleted.is_some() && e != Entity::Deals {
        return Err(not_found());
    }
    let mut out = String::from("{\"success\":true,\"data\":");
    write(g, scope, e, &m, &mut out);
    include::write(g, scope, e, &m, &included, &mut out);
    out.push('}');
    Ok(Reply::ok(out, 1))
}

/// Routes an authenticated Pipedrive request.
pub(crate) fn route(g: &Gen, scope: Scope, req: &Req, malformed: Option<u64>) -> Reply {
    let path = req.path.trim_end_matches('/');
    let v1 = path
        .strip_prefix("/api/v1/")
        .or_else(|| path.strip_prefix("/v1/"));
    let res = if let Some(rest) = v1 {
        meta::v1(g, scope, req, rest)
    } else if let Some(rest) = path.strip_prefix("/api/v2/") {
        let (head, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let entity = match head {
            "deals" => Some(Entity::Deals),
            "persons" => Some(Entity::Persons),
            "organizations" => Some(Entity::Organizations),
            "activities" => Some(Entity::Activities),
            _ => None,
        };
        match (entity, tail) {
            (Some(e), "") => list_v2(g, scope, e, req, malformed),
            (Some(e), id) => one_v2(g, scope, e, req, id),
            (None, "") if head == "pipelines" || head == "stages" => {
                meta::pipelines_or_stages(g, scope, req, head == "stages")
            }
            (None, "") if head.ends_with("Fields") => meta::fields(g, scope, req, head, false),
            _ => Err(api_error(Api::Pipedrive, 404, "Resource not found")),
        }
    } else {
        Err(api_error(Api::Pipedrive, 404, "Resource not found"))
    };
    res.unwrap_or_else(|r| r)
}
