//! Zendesk Support API: incremental exports (tickets cursor-based, users cursor- and time-based,
//! organizations time-based) and offset lists (groups, ticket fields, ticket forms).
//!
//! Constraints (docs/data-contract.md#zendesk-entities): exports order by
//! `(generated_timestamp|updated_at, id)`; items changed in the last minute are excluded and
//! `start_time` must be at least a minute old; `per_page` is capped at 1000; cursors are
//! base64 of `"<ts>.0||<id>|"` like the real ones; the last page says `end_of_stream: true`
//! and still carries an `after_cursor`, and asking with it returns an empty page whose
//! `after_cursor` is null (observed behaviour).

pub mod ground_truth;
pub mod records;

use base64::Engine;

use crate::http::{Api, Reply, Req, api_error, percent_encode};
use crate::synth::names::SUBJECTS;
use crate::synth::{Gen, json};

pub use records::Entity;
use records::{FIELD_BASE, FORM_BASE, GROUP_BASE, history, timeline};

fn bad(msg: &str) -> Reply {
    api_error(Api::Zendesk, 400, msg)
}

fn encode_cursor(ts: i64, id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{ts}.0||{id}|"))
}

fn decode_cursor(c: &str) -> Option<(i64, u64)> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(c.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let mut parts = s.split("||");
    let ts = parts.next()?.split('.').next()?.parse().ok()?;
    let id = parts.next()?.trim_end_matches('|').parse().ok()?;
    Some((ts, id))
}

/// All exportable items after a position, sorted: `(ts, id, index, deleted)`.
pub(crate) fn export_items(
    g: &Gen,
    e: Entity,
    from: (i64, u64),
    inclusive: bool,
    exclude_deleted: bool,
) -> Vec<(i64, u64, u64)> {
    let n = timeline(g, e).visible(g.now);
    let mut v: Vec<(i64, u64, u64)> = (0..n)
        .filter_map(|i| {
            let h = history(g, e, i);
            let key = (h.updated, e.id(i));
            let after = if inclusive {
                h.updated >= from.0
            } else {
                key > from
            };
            (after && h.updated <= g.now - 60 && !(exclude_deleted && h.deleted.is_some()))
                .then_some((h.updated, e.id(i), i))
        })
        .collect();
    v.sort_unstable();
    v
}

fn write_item(g: &Gen, e: Entity, i: u64, out: &mut String, base: &str) {
    let h = history(g, e, i);
    match e {
        Entity::Tickets => records::ticket(g, i, &h, out, base),
        Entity::Users => records::user(g, i, &h, out, base),
        Entity::Organizations => records::organization(g, i, &h, out, base),
    }
}

fn key_of(e: Entity) -> &'static str {
    match e {
        Entity::Tickets => "tickets",
        Entity::Users => "users",
        Entity::Organizations => "organizations",
    }
}

fn per_page(req: &Req) -> Result<usize, Reply> {
    let p = req
        .query
        .uint("per_page")
        .map_err(|v| bad(&format!("per_page must be an integer, got {v}")))?;
    Ok(req.cap_page(p.unwrap_or(1000).clamp(1, 1000)) as usize)
}

fn start_time(g: &Gen, req: &Req) -> Result<Option<i64>, Reply> {
    match req.query.get_nonempty("start_time") {
        None => Ok(None),
        Some(v) => {
            let t: i64 = v
                .trim()
                .parse()
                .map_err(|_| bad("start_time must be a Unix epoch timestamp"))?;
            if t > g.now - 60 {
                return Err(bad(
                    "Too recent start_time. Use a start_time older than 1 minute",
                ));
            }
            Ok(Some(t))
        }
    }
}

fn write_records(
    g: &Gen,
    e: Entity,
    page: &[(i64, u64, u64)],
    base: &str,
    malformed: Option<u64>,
    out: &mut String,
) -> bool {
    let mut bad_written = false;
    for &(_, _, i) in page {
        let at = out.len();
        write_item(g, e, i, out, base);
        if malformed == Some(i) {
            json::corrupt_tail(out, at);
            bad_written = true;
        }
    }
    bad_written
}

fn cursor_export(g: &Gen, e: Entity, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let per = per_page(req)?;
    let exclude = req.query.flag("exclude_deleted");
    let items = match req.query.get_nonempty("cursor") {
        Some(c) => {
            let pos = decode_cursor(c).ok_or_else(|| bad("Invalid cursor"))?;
            export_items(g, e, pos, false, exclude)
        }
        None => {
            let st = start_time(g, req)?.ok_or_else(|| bad("start_time or cursor is required"))?;
            export_items(g, e, (st, 0), true, exclude)
        }
    };
    let page = &items[..items.len().min(per)];
    let eos = items.len() <= per;
    let mut out = String::with_capacity(256 + page.len() * 2500);
    out.push('{');
    json::open_arr(&mut out, key_of(e));
    let bad_written = write_records(g, e, page, &req.base_url, malformed, &mut out);
    out.push(']');
    match page.last() {
        Some(&(ts, id, _)) => {
            let c = encode_cursor(ts, id);
            let mut url = format!(
                "{}/api/v2/incremental/{}/cursor.json?cursor={}&per_page={per}",
                req.base_url,
                key_of(e),
                percent_encode(&c)
            );
            if exclude {
                url.push_str("&exclude_deleted=true");
            }
            json::s(&mut out, "after_url", &url);
            json::s(&mut out, "after_cursor", &c);
        }
        None => {
            json::null(&mut out, "after_url");
            json::null(&mut out, "after_cursor");
        }
    }
    json::null(&mut out, "before_url");
    json::null(&mut out, "before_cursor");
    json::b(&mut out, "end_of_stream", eos);
    out.push('}');
    let mut r = Reply::ok(out, page.len() as u64);
    r.malformed = bad_written;
    Ok(r)
}

fn time_export(g: &Gen, e: Entity, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let per = per_page(req)?;
    let st = start_time(g, req)?.ok_or_else(|| bad("start_time is required"))?;
    let items = export_items(g, e, (st, 0), true, false);
    // Same-second ties stay on one page so `start_time = end_time` cannot loop forever.
    let mut end = items.len().min(per);
    while end > 0 && end < items.len() && items[end].0 == items[end - 1].0 {
        end += 1;
    }
    let page = &items[..end];
    let eos = end == items.len();
    let end_time = page.last().map_or(st, |p| p.0);
    let mut out = String::with_capacity(256 + page.len() * 1500);
    out.push('{');
    json::open_arr(&mut out, key_of(e));
    let bad_written = write_records(g, e, page, &req.base_url, malformed, &mut out);
    out.push(']');
    json::u(&mut out, "count", page.len() as u64);
    json::i(&mut out, "end_time", end_time);
    json::s(
        &mut out,
        "next_page",
        &format!(
            "{}/api/v2/incremental/{}.json?per_page={per}&start_time={end_time}",
            req.base_url,
            key_of(e)
        ),
    );
    json::b(&mut out, "end_of_stream", eos);
    out.push('}');
    let mut r = Reply::ok(out, page.len() as u64);
    r.malformed = bad_written;
    Ok(r)
}

fn offset_list(g: &Gen, req: &Req, what: &str) -> Result<Reply, Reply> {
    let total = match what {
        "groups" => g.scale.zd_groups,
        "ticket_fields" => g.scale.zd_ticket_fields,
        _ => g.scale.zd_ticket_forms,
    };
    let page = req
        .query
        .uint("page")
        .map_err(|_| bad("page must be an integer"))?
        .unwrap_or(1)
        .max(1);
    let per = req
        .query
        .uint("per_page")
        .map_err(|_| bad("per_page must be an integer"))?
        .unwrap_or(100)
        .clamp(1, 100);
    let per = req.cap_page(per);
    let start = ((page - 1) * per).min(total);
    let end = (start + per).min(total);
    let base = &req.base_url;
    let t0 = crate::synth::time::ZENDESK_START - 30 * 86_400;
    let mut out = String::from("{");
    json::open_arr(&mut out, what);
    for i in start..end {
        json::open(&mut out);
        match what {
            "groups" => {
                let id = GROUP_BASE + i * 16;
                json::s(&mut out, "url", &format!("{base}/api/v2/groups/{id}.json"));
                json::u(&mut out, "id", id);
                json::b(&mut out, "is_public", true);
                json::s(
                    &mut out,
                    "name",
                    [
                        "Suporte",
                        "Financeiro",
                        "Unidades",
                        "Comercial",
                        "Ouvidoria",
                    ][(i % 5) as usize],
                );
                json::s(&mut out, "description", "");
                json::b(&mut out, "default", i == 0);
                json::b(&mut out, "deleted", false);
            }
            "ticket_fields" => {
                let id = FIELD_BASE + i * 16;
                let (ty, title) = [
                    ("tagger", "Unidade"),
                    ("checkbox", "Cliente VIP"),
                    ("text", "CPF"),
                    ("text", "Plano"),
                ][(i % 4) as usize];
                json::s(
                    &mut out,
                    "url",
                    &format!("{base}/api/v2/ticket_fields/{id}.json"),
                );
                json::u(&mut out, "id", id);
                json::s(&mut out, "type", ty);
                json::s(&mut out, "title", title);
                json::s(&mut out, "raw_title", title);
                json::s(&mut out, "description", "");
                json::s(&mut out, "raw_description", "");
                json::u(&mut out, "position", i + 1);
                json::b(&mut out, "active", true);
                json::b(&mut out, "required", false);
                json::b(&mut out, "collapsed_for_agents", false);
                json::null(&mut out, "regexp_for_validation");
                json::s(&mut out, "title_in_portal", title);
                json::s(&mut out, "raw_title_in_portal", title);
                json::b(&mut out, "visible_in_portal", true);
                json::b(&mut out, "editable_in_portal", true);
                json::b(&mut out, "required_in_portal", false);
                json::b(&mut out, "agent_can_edit", true);
                json::null(&mut out, "tag");
                json::b(&mut out, "removable", true);
                json::null(&mut out, "key");
                json::null(&mut out, "agent_description");
                json::null(&mut out, "raw_agent_description");
                if ty == "tagger" {
                    json::raw(
                        &mut out,
                        "custom_field_options",
                        &format!(
                            "[{{\"id\":{},\"name\":\"Centro\",\"raw_name\":\"Centro\",\"value\":\"unidade_centro\",\"default\":false}},{{\"id\":{},\"name\":\"Moema\",\"raw_name\":\"Moema\",\"value\":\"unidade_moema\",\"default\":false}}]",
                            id + 1,
                            id + 2
                        ),
                    );
                }
            }
            _ => {
                let id = FORM_BASE + i * 16;
                let ids: Vec<String> = (0..g.scale.zd_ticket_fields)
                    .map(|f| (FIELD_BASE + f * 16).to_string())
                    .collect();
                let name = if i == 0 {
                    "Formulário padrão".to_string()
                } else {
                    format!("{} ({i})", SUBJECTS[i as usize % SUBJECTS.len()])
                };
                json::u(&mut out, "id", id);
                json::s(&mut out, "raw_name", &name);
                json::s(&mut out, "raw_display_name", &name);
                json::b(&mut out, "end_user_visible", true);
                json::u(&mut out, "position", i + 1);
                json::raw(
                    &mut out,
                    "ticket_field_ids",
                    &format!("[{}]", ids.join(",")),
                );
                json::b(&mut out, "active", true);
                json::b(&mut out, "default", i == 0);
                json::b(&mut out, "in_all_brands", true);
                json::raw(&mut out, "restricted_brand_ids", "[]");
                json::raw(&mut out, "end_user_conditions", "[]");
                json::raw(&mut out, "agent_conditions", "[]");
                json::s(
                    &mut out,
                    "url",
                    &format!("{base}/api/v2/ticket_forms/{id}.json"),
                );
                json::s(&mut out, "name", &name);
                json::s(&mut out, "display_name", &name);
                json::s(&mut out, "form_type", "standard");
            }
        }
        json::ts(&mut out, "created_at", Some(t0 + i as i64 * 3_600));
        json::ts(&mut out, "updated_at", Some(t0 + i as i64 * 3_600 + 600));
        if what == "ticket_forms" {
            json::ts(&mut out, "deleted_at", None);
        }
        out.push('}');
    }
    out.push(']');
    let link = |p: u64| format!("{base}/api/v2/{what}.json?page={p}&per_page={per}");
    json::os(
        &mut out,
        "next_page",
        (end < total).then(|| link(page + 1)).as_deref(),
    );
    json::os(
        &mut out,
        "previous_page",
        (page > 1).then(|| link(page - 1)).as_deref(),
    );
    json::u(&mut out, "count", total);
    out.push('}');
    Ok(Reply::ok(out, end - start))
}

/// Routes an authenticated Zendesk request.
pub(crate) fn route(g: &Gen, req: &Req, malformed: Option<u64>) -> Reply {
    let path = req.path.trim_end_matches('/');
    let path = path.strip_suffix(".json").unwrap_or(path);
    let res = match path {
        "/api/v2/incremental/tickets/cursor" => cursor_export(g, Entity::Tickets, req, malformed),
        "/api/v2/incremental/tickets" => time_export(g, Entity::Tickets, req, malformed),
        "/api/v2/incremental/users/cursor" => cursor_export(g, Entity::Users, req, malformed),
        "/api/v2/incremental/users" => time_export(g, Entity::Users, req, malformed),
        "/api/v2/incremental/organizations" => {
            time_export(g, Entity::Organizations, req, malformed)
        }
        "/api/v2/groups" => offset_list(g, req, "groups"),
        "/api/v2/ticket_fields" => offset_list(g, req, "ticket_fields"),
        "/api/v2/ticket_forms" => offset_list(g, req, "ticket_forms"),
        _ => Err(api_error(Api::Zendesk, 404, "Not found")),
    };
    res.unwrap_or_else(|r| r)
}
