//! Pipedrive catalogues: pipelines and stages (v2 cursor), users and field definitions (v1
//! start/limit). Small fixed sets created at the start of history.

use crate::http::{Api, Reply, Req, api_error};
use crate::synth::names::{FIRST, LAST};
use crate::synth::time::HISTORY_START;
use crate::synth::{Gen, Rng, hash, json};

use super::records::{Entity, custom_defs, custom_key, scope_seed};
use super::{Scope, bad, encode_cursor, list_params};

const STAGES: &[&str] = &[
    "Lead",
    "Contato feito",
    "Visita agendada",
    "Proposta enviada",
    "Negociação",
    "Matrícula",
];

pub(crate) fn pipelines_or_stages(
    g: &Gen,
    scope: Scope,
    req: &Req,
    stages: bool,
) -> Result<Reply, Reply> {
    let s = g.scale.pipedrive(scope);
    let p = list_params(req, if stages { &["order_nr"] } else { &[] })?;
    let pipeline_filter = req
        .query
        .uint("pipeline_id")
        .map_err(|v| bad(&format!("Validation failed: pipeline_id: {v}")))?;
    let n = if stages { s.stages } else { s.pipelines };
    let pipes = s.pipelines.max(1);
    let add = |i: u64| HISTORY_START + i as i64 * 3_600;
    let upd = |i: u64| add(i) + (i as i64 % 5) * 86_400;
    let key = |i: u64| -> i64 {
        match p.sort_by {
            "update_time" => upd(i),
            "add_time" => add(i),
            "order_nr" => (i / pipes) as i64 + 1,
            _ => i as i64 + 1,
        }
    };
    let mut items: Vec<u64> = (0..n)
        .filter(|i| !stages || pipeline_filter.is_none_or(|pf| pf == i % pipes + 1))
        .filter(|i| match p.after {
            None => true,
            Some(a) => {
                if p.desc {
                    (key(*i), *i + 1) < a
                } else {
                    (key(*i), *i + 1) > a
                }
            }
        })
        .collect();
    items.sort_unstable_by_key(|i| (key(*i), *i));
    if p.desc {
        items.reverse();
    }
    let more = items.len() > p.limit;
    items.truncate(p.limit);
    let mut out = String::from("{\"success\":true,\"data\":[");
    for &i in &items {
        json::open(&mut out);
        json::u(&mut out, "id", i + 1);
        if stages {
            json::s(
                &mut out,
                "name",
                STAGES[(i / pipes) as usize % STAGES.len()],
            );
            json::u(&mut out, "order_nr", i / pipes + 1);
            json::u(&mut out, "pipeline_id", i % pipes + 1);
            json::u(&mut out, "deal_probability", 100);
            json::b(&mut out, "is_deal_rot_enabled", i % 3 == 0);
            json::ou(&mut out, "days_to_rotten", (i % 3 == 0).then_some(30));
            json::b(&mut out, "is_deleted", false);
        } else {
            json::s(
                &mut out,
                "name",
                if i == 0 {
                    "Vendas B2C"
                } else {
                    "Parcerias corporativas"
                },
            );
            json::u(&mut out, "order_nr", i + 1);
            json::b(&mut out, "is_deleted", false);
            json::b(&mut out, "is_deal_probability_enabled", i % 2 == 1);
        }
        json::ts(&mut out, "add_time", Some(add(i)));
        json::ts(&mut out, "update_time", Some(upd(i)));
        out.push('}');
    }
    out.push_str("],\"additional_data\":{\"next_cursor\":");
    match items.last().filter(|_| more) {
        Some(&i) => json::push_str(&mut out, &encode_cursor(p.sort_by, key(i), p.desc, i + 1)),
        None => out.push_str("null"),
    }
    out.push_str("}}");
    Ok(Reply::ok(out, items.len() as u64))
}

fn v1_paging(req: &Req, total: u64) -> Result<(u64, u64), Reply> {
    let start = req
        .query
        .uint("start")
        .map_err(|v| bad(&format!("start must be a number, got {v}")))?
        .unwrap_or(0);
    let limit = req
        .query
        .uint("limit")
        .map_err(|v| bad(&format!("limit must be a number, got {v}")))?
        .unwrap_or(100)
        .clamp(1, 500);
    Ok((start.min(total), req.cap_page(limit)))
}

fn pagination(out: &mut String, start: u64, limit: u64, total: u64) {
    let more = start + limit < total;
    json::open_obj(out, "pagination");
    json::u(out, "start", start);
    json::u(out, "limit", limit);
    json::b(out, "more_items_in_collection", more);
    if more {
        json::u(out, "next_start", start + limit);
    }
    out.push('}');
}

fn users(g: &Gen, scope: Scope, req: &Req) -> Result<Reply, Reply> {
    let n = g.scale.pipedrive(scope).users;
    // Observed: without paging parameters `/v1/users` returns everyone and no pagination block.
    let paged = req.query.get("start").is_some() || req.query.get("limit").is_some();
    let (start, limit) = if paged {
        v1_paging(req, n)?
    } else {
        (0, n.max(1))
    };
    let end = (start + limit).min(n);
    let seed = scope_seed(g.seed, scope);
    let mut out = String::from("{\"success\":true,\"data\":[");
    for i in start..end {
        let mut r = Rng::new(seed, 0xD5, i);
        let (first, last) = (r.pick(FIRST), r.pick(LAST));
        let created = HISTORY_START + i as i64 * 86_400;
        json::open(&mut out);
        json::u(&mut out, "id", 25_760_681 + i);
        json::s(&mut out, "name", &format!("{first} {last}"));
        json::s(
            &mut out,
            "email",
            &format!("{}.{}@skyfit.com.br", first, last).to_lowercase(),
        );
        json::u(&mut out, "lang", 1);
        json::s(&mut out, "locale", "pt_BR");
        json::s(&mut out, "timezone_name", "America/Sao_Paulo");
        json::s(&mut out, "timezone_offset", "-03:00");
        json::s(&mut out, "default_currency", "BRL");
        json::null(&mut out, "icon_url");
        json::b(&mut out, "active_flag", i % 7 != 6);
        json::b(&mut out, "is_deleted", false);
        json::u(&mut out, "is_admin", u64::from(i == 0));
        json::u(&mut out, "role_id", 1);
        json::ts_v1(&mut out, "created", Some(created));
        json::b(&mut out, "has_created_company", i == 0);
        json::b(&mut out, "is_you", i == 0);
        json::raw(
            &mut out,
            "access",
            &format!(
                "[{{\"app\":\"sales\",\"admin\":{},\"permission_set_id\":\"{}\"}}]",
                i == 0,
                hash::hex_id(seed ^ i, 32)
            ),
        );
        json::null(&mut out, "phone");
        json::ts_v1(&mut out, "modified", Some(created + 3_600));
        json::ts_v1(&mut out, "last_login", Some(g.now - (i as i64 + 1) * 7_200));
        out.push('}');
    }
    out.push_str("],\"additional_data\":{");
    json::u(
        &mut out,
        "company_id",
        15_043_420 + u64::from(scope == Scope::Expansao),
    );
    if paged {
        pagination(&mut out, start, limit, n);
    }
    out.push_str("}}");
    Ok(Reply::ok(out, end - start))
}

/// System fields every entity has, then the custom ones.
fn field_list(e: Entity) -> Vec<(String, &'static str, &'static str, bool, usize)> {
    let system: &[(&str, &str, &str)] = match e {
        Entity::Deals => &[
            ("title", "Título", "varchar"),
            ("value", "Valor", "monetary"),
            ("status", "Status", "status"),
            ("stage_id", "Etapa", "stage"),
        ],
        Entity::Persons => &[
            ("name", "Nome", "varchar"),
            ("email", "E-mail", "varchar"),
            ("phone", "Telefone", "phone"),
        ],
        Entity::Organizations => &[
            ("name", "Nome", "varchar"),
            ("address", "Endereço", "address"),
        ],
        Entity::Activities => &[
            ("subject", "Assunto", "varchar"),
            ("type", "Tipo", "enum"),
            ("due_date", "Data", "date"),
        ],
    };
    let mut v: Vec<_> = system
        .iter()
        .map(|(k, n, t)| (k.to_string(), *n, *t, false, 0))
        .collect();
    for (k, (n, t)) in custom_defs(e).iter().enumerate() {
        v.push((String::new(), *n, *t, true, k));
    }
    v
}

pub(crate) fn fields(
    g: &Gen,
    scope: Scope,
    req: &Req,
    name: &str,
    v1: bool,
) -> Result<Reply, Reply> {
    let e = match name {
        "dealFields" => Entity::Deals,
        "personFields" => Entity::Persons,
        "organizationFields" => Entity::Organizations,
        "activityFields" => Entity::Activities,
        _ => return Err(api_error(Api::Pipedrive, 404, "Resource not found")),
    };
    let list = field_list(e);
    let total = list.len() as u64;
    let (start, limit) = v1_paging(req, total)?;
    let end = (start + limit).min(total);
    let mut out = String::from("{\"success\":true,\"data\":[");
    for (pos, (key, label, ty, custom, k)) in list
        .iter()
        .enumerate()
        .skip(start as usize)
        .take((end - start) as usize)
    {
        let key = if *custom {
            custom_key(g.seed, scope, e, *k)
        } else {
            key.clone()
        };
        json::open(&mut out);
        if v1 {
            json::u(&mut out, "id", pos as u64 + 1);
            json::s(&mut out, "key", &key);
            json::s(&mut out, "name", label);
            json::u(&mut out, "order_nr", pos as u64);
            json::s(&mut out, "field_type", ty);
            json::ts_v1(&mut out, "add_time", Some(HISTORY_START));
            json::ts_v1(&mut out, "update_time", Some(HISTORY_START));
            json::b(&mut out, "active_flag", true);
            json::b(&mut out, "edit_flag", *custom);
            json::b(&mut out, "mandatory_flag", false);
        } else {
            json::s(&mut out, "field_name", label);
            json::s(&mut out, "field_code", &key);
            json::s(&mut out, "field_type", ty);
            json::b(&mut out, "is_custom_field", *custom);
            json::b(&mut out, "is_optional_response_field", false);
        }
        if *ty == "enum" && *custom {
            json::raw(
                &mut out,
                "options",
                "[{\"id\":100,\"label\":\"Centro\"},{\"id\":101,\"label\":\"Moema\"},{\"id\":102,\"label\":\"Pinheiros\"},{\"id\":103,\"label\":\"Tatuapé\"},{\"id\":104,\"label\":\"Santana\"}]",
            );
        } else {
            json::null(&mut out, "options");
        }
        out.push('}');
    }
    out.push_str("],\"additional_data\":{");
    if v1 {
        pagination(&mut out, start, limit, total);
    } else {
        out.push_str("\"next_cursor\":null");
    }
    out.push_str("}}");
    Ok(Reply::ok(out, end - start))
}

pub(crate) fn v1(g: &Gen, scope: Scope, req: &Req, rest: &str) -> Result<Reply, Reply> {
    match rest {
        "users" => users(g, scope, req),
        f if f.ends_with("Fields") => fields(g, scope, req, f, true),
        // The v1 entity lists were removed in March 2026 (docs/data-contract.md#pipedrive-api).
        _ => Err(api_error(Api::Pipedrive, 404, "Resource not found")),
    }
}
