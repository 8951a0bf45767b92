//! Pipedrive v2 records (docs/data-contract.md#pipedrive-v2-names): deals, persons,
//! organizations, activities.
//!
//! Record `i` of an entity (id `i + 1`, ids per account) is created at a monotone time; edits,
//! closing (won/lost) and deletions happen at deterministic later times and appear as the clock
//! passes them. Custom fields are keyed by 40-char hashes that match the field definitions.

use crate::config::PipedriveScale;
use crate::synth::names::{CITIES, COMPANY, DOMAINS, FIRST, LAST, STREETS};
use crate::synth::time::{DEFAULT_NOW, HISTORY_START, Timeline};
use crate::synth::{Gen, History, Rng, hash, json, mix};

use super::Scope;

/// The v2 list entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// `/api/v2/deals`
    Deals,
    /// `/api/v2/persons`
    Persons,
    /// `/api/v2/organizations`
    Organizations,
    /// `/api/v2/activities`
    Activities,
}

impl Entity {
    pub(crate) fn tag(self) -> u64 {
        match self {
            Entity::Deals => 0xD1,
            Entity::Persons => 0xD2,
            Entity::Organizations => 0xD3,
            Entity::Activities => 0xD4,
        }
    }
    fn count(self, s: &PipedriveScale) -> u64 {
        match self {
            Entity::Deals => s.deals,
            Entity::Persons => s.persons,
            Entity::Organizations => s.organizations,
            Entity::Activities => s.activities,
        }
    }
}

/// The per-account seed.
pub(crate) fn scope_seed(seed: u64, scope: Scope) -> u64 {
    mix(seed
        ^ if scope == Scope::Comercial {
            0xC03E_5C1A
        } else {
            0xE89A_1540
        })
}

pub(crate) fn timeline(g: &Gen, scope: Scope, e: Entity) -> Timeline {
    Timeline::new(
        HISTORY_START,
        DEFAULT_NOW,
        e.count(g.scale.pipedrive(scope)),
    )
}

/// What listing and filtering need to know about a record, without writing it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub idx: u64,
    pub add: i64,
    pub h: History,
    pub owner: u64,
    pub person: Option<u64>,
    pub org: Option<u64>,
    pub deal: Option<u64>,
    pub stage: u64,
    pub pipeline: u64,
    /// Deals: 0 open, 1 won, 2 lost; activities: 1 = done.
    pub state: u8,
    pub closed_at: Option<i64>,
    pub due: i64,
}

fn pick_before(g: &Gen, scope: Scope, e: Entity, r: &mut Rng, t: i64) -> Option<u64> {
    let n = timeline(g, scope, e).visible(t);
    (n > 0).then(|| r.below(n) + 1)
}

pub(crate) fn meta(g: &Gen, scope: Scope, e: Entity, i: u64) -> Meta {
    let s = g.scale.pipedrive(scope);
    let seed = scope_seed(g.seed, scope);
    let add = timeline(g, scope, e).time_of(i);
    let mut r = Rng::new(seed, e.tag(), i);
    let del = if e == Entity::Organizations { 10 } else { 25 };
    let mut h = History::compute(r.next_u64(), add, g.now, del, 200 * 86_400);
    let owner = r.below(s.users.max(1)) + 1;
    let person = if e != Entity::Persons && r.pct(85) {
        pick_before(g, scope, Entity::Persons, &mut r, add)
    } else {
        None
    };
    let org = if e != Entity::Organizations && r.pct(60) {
        pick_before(g, scope, Entity::Organizations, &mut r, add)
    } else {
        None
    };
    let deal = if e == Entity::Activities && r.pct(75) {
        pick_before(g, scope, Entity::Deals, &mut r, add)
    } else {
        None
    };
    let stage = r.below(s.stages.max(1));
    let pipeline = stage % s.pipelines.max(1);
    let close = add + 86_400 + r.below(120 * 86_400) as i64;
    let mut state = 0;
    let mut closed_at = None;
    match e {
        Entity::Deals if r.pct(65) && close <= g.now => {
            state = if r.pct(40) { 1 } else { 2 };
            closed_at = Some(close);
            h.updated = h.updated.max(close);
        }
        Entity::Activities => {
            let due = add + r.below(30 * 86_400) as i64;
            if due <= g.now && r.pct(80) {
                state = 1;
                closed_at = Some(due);
                h.updated = h.updated.max(due);
            }
        }
        _ => {}
    }
    if let Some(d) = h.deleted {
        h.updated = h.updated.max(d);
    }
    let due = add + (r.below(30 * 86_400) as i64);
    Meta {
        idx: i,
        add,
        h,
        owner,
        person,
        org,
        deal,
        stage,
        pipeline,
        state,
        closed_at,
        due,
    }
}

/// (name, field_type) of the custom fields of an entity.
pub(crate) fn custom_defs(e: Entity) -> &'static [(&'static str, &'static str)] {
    match e {
        Entity::Deals => &[
            ("Unidade de interesse", "enum"),
            ("Origem do lead", "varchar"),
            ("Valor mensalidade", "monetary"),
            ("Data da visita", "date"),
            ("Quantidade de alunos", "double"),
        ],
        Entity::Persons => &[("CPF", "varchar"), ("Unidade preferida", "enum")],
        Entity::Organizations => &[("CNPJ", "varchar")],
        Entity::Activities => &[],
    }
}

/// The 40-char key of custom field `k`.
pub(crate) fn custom_key(seed: u64, scope: Scope, e: Entity, k: usize) -> String {
    hash::hex_id(scope_seed(seed, scope) ^ (e.tag() << 8) ^ k as u64, 40)
}

fn write_custom(g: &Gen, scope: Scope, e: Entity, m: &Meta, out: &mut String) {
    let defs = custom_defs(e);
    let mut r = Rng::new(g.seed, e.tag() ^ 0xCF, m.idx);
    if defs.is_empty() || r.pct(20) {
        // Observed: `custom_fields: null` when nothing is filled in.
        json::null(out, "custom_fields");
        return;
    }
    json::open_obj(out, "custom_fields");
    for (k, (_, ty)) in defs.iter().enumerate() {
        let key = custom_key(g.seed, scope, e, k);
        if r.pct(25) {
            json::null(out, &key);
            continue;
        }
        match *ty {
            "enum" => json::u(out, &key, 100 + r.below(5)),
            "monetary" => {
                json::open_obj(out, &key);
                json::money(out, "value", 9_990 + r.below(10) as i64 * 1_000);
                json::s(out, "currency", "BRL");
                out.push('}');
            }
            "date" => json::date(out, &key, Some(m.add + r.below(20 * 86_400) as i64)),
            "double" => json::u(out, &key, 1 + r.below(500)),
            _ => json::s(
                out,
                &key,
                ["Instagram", "Google Ads", "Indicação", "Site"][r.below(4) as usize],
            ),
        }
    }
    out.push('}');
}

fn address(out: &mut String, k: &str, r: &mut Rng, with_formatted: bool) {
    let (city, uf) = CITIES[r.below(CITIES.len() as u64) as usize];
    let street = r.pick(STREETS);
    let num = r.below(2000) + 1;
    let cep = format!("{:05}-{:03}", r.below(100_000), r.below(1000));
    json::open_obj(out, k);
    json::s(out, "value", &format!("{street}, {num} - {city}, {uf}"));
    json::s(out, "country", "Brasil");
    json::s(out, "admin_area_level_1", uf);
    json::s(out, "admin_area_level_2", city);
    json::s(out, "locality", city);
    json::s(out, "sublocality", "");
    json::s(out, "route", street);
    json::s(out, "street_number", &num.to_string());
    json::s(out, "subpremise", "");
    json::s(out, "postal_code", &cep);
    if with_formatted {
        json::s(
            out,
            "formatted_address",
            &format!("{street}, {num} - {city} - {uf}, {cep}, Brasil"),
        );
    }
    out.push('}');
}

/// Writes a record in the v2 shape.
pub(crate) fn write(g: &Gen, scope: Scope, e: Entity, m: &Meta, out: &mut String) {
    let mut r = Rng::new(scope_seed(g.seed, scope), e.tag() ^ 0x77, m.idx);
    let id = m.idx + 1;
    json::open(out);
    json::u(out, "id", id);
    match e {
        Entity::Deals => {
            let (first, last) = (r.pick(FIRST), r.pick(LAST));
            json::s(out, "title", &format!("{first} {last} - Plano corporativo"));
            json::u(out, "creator_user_id", m.owner);
            json::u(out, "owner_id", m.owner);
            json::ou(out, "person_id", m.person);
            json::ou(out, "org_id", m.org);
            json::u(out, "pipeline_id", m.pipeline + 1);
            json::u(out, "stage_id", m.stage + 1);
            json::money(out, "value", 50_000 + r.below(2_000) as i64 * 500);
            json::s(out, "currency", "BRL");
            json::ts(out, "add_time", Some(m.add));
            json::ts(out, "update_time", Some(m.h.updated));
            json::ts(
                out,
                "stage_change_time",
                (m.h.edits > 0).then_some(m.h.updated),
            );
            json::b(out, "is_deleted", m.h.deleted.is_some());
            json::b(out, "is_archived", false);
            json::ts(out, "archive_time", None);
            let status = if m.h.deleted.is_some() {
                "deleted"
            } else {
                ["open", "won", "lost"][m.state as usize]
            };
            json::s(out, "status", status);
            json::ou(out, "probability", (m.state == 0).then(|| r.below(10) * 10));
            json::os(out, "lost_reason", (m.state == 2).then_some("Preço"));
            json::u(out, "visible_to", 3);
            json::ts(out, "close_time", m.closed_at);
            json::ts(out, "won_time", m.closed_at.filter(|_| m.state == 1));
            json::ts(out, "lost_time", m.closed_at.filter(|_| m.state == 2));
            json::date(out, "local_won_date", m.closed_at.filter(|_| m.state == 1));
            json::date(out, "local_lost_date", m.closed_at.filter(|_| m.state == 2));
            json::date(out, "local_close_date", m.closed_at);
            json::date(
                out,
                "expected_close_date",
                r.pct(50).then_some(m.add + 30 * 86_400),
            );
            json::raw(out, "label_ids", if r.pct(20) { "[1]" } else { "[]" });
            json::s(
                out,
                "origin",
                ["ManuallyCreated", "WebForms", "API", "Marketplace"][r.below(4) as usize],
            );
            json::os(out, "origin_id", None);
            json::ou(out, "channel", r.pct(30).then(|| r.below(10) + 1));
            json::os(out, "channel_id", None);
            json::null(out, "arr");
            json::null(out, "mrr");
            json::null(out, "acv");
            write_custom(g, scope, e, m, out);
        }
        Entity::Persons => {
            let (first, last) = (r.pick(FIRST), r.pick(LAST));
            json::s(out, "name", &format!("{first} {last}"));
            json::s(out, "first_name", first);
            json::s(out, "last_name", last);
            json::u(out, "owner_id", m.owner);
            json::ou(out, "org_id", m.org);
            json::ts(out, "add_time", Some(m.add));
            json::ts(out, "update_time", Some(m.h.updated));
            json::open_arr(out, "emails");
            if r.pct(90) {
                json::open(out);
                json::s(
                    out,
                    "value",
                    &format!("{first}.{last}{id}@{}", r.pick(DOMAINS)).to_lowercase(),
                );
                json::b(out, "primary", true);
                json::s(out, "label", "work");
                out.push('}');
            }
            out.push(']');
            json::open_arr(out, "phones");
            json::open(out);
            json::s(out, "value", &format!("+55119{:08}", r.below(100_000_000)));
            json::b(out, "primary", true);
            json::s(out, "label", "mobile");
            out.push('}');
            out.push(']');
            json::b(out, "is_deleted", m.h.deleted.is_some());
            json::u(out, "visible_to", 3);
            json::raw(out, "label_ids", "[]");
            json::ou(out, "picture_id", None);
            write_custom(g, scope, e, m, out);
        }
        Entity::Organizations => {
            json::s(
                out,
                "name",
                &format!("{} {}", r.pick(LAST), r.pick(COMPANY)),
            );
            json::u(out, "owner_id", m.owner);
            json::ts(out, "add_time", Some(m.add));
            json::ts(out, "update_time", Some(m.h.updated));
            json::b(out, "is_deleted", m.h.deleted.is_some());
            json::u(out, "visible_to", 3);
            json::raw(out, "label_ids", "[]");
            json::ou(out, "picture_id", None);
            address(out, "address", &mut r, true);
            write_custom(g, scope, e, m, out);
        }
        Entity::Activities => {
            let ty = ["call", "meeting", "task", "email", "lunch"][r.below(5) as usize];
            json::s(out, "subject", &format!("Follow-up {ty} #{id}"));
            json::s(out, "type", ty);
            json::u(out, "owner_id", m.owner);
            json::u(out, "creator_user_id", m.owner);
            json::b(out, "is_deleted", m.h.deleted.is_some());
            json::ts(out, "add_time", Some(m.add));
            json::ts(out, "update_time", Some(m.h.updated));
            json::ou(out, "deal_id", m.deal);
            json::os(out, "lead_id", None);
            json::ou(out, "person_id", m.person);
            json::ou(out, "org_id", m.org);
            json::ou(out, "project_id", None);
            json::date(out, "due_date", Some(m.due));
            json::s(
                out,
                "due_time",
                &format!("{:02}:{:02}", 8 + r.below(10), r.below(4) * 15),
            );
            json::s(out, "duration", "00:30");
            json::b(out, "busy", r.pct(50));
            json::b(out, "done", m.state == 1);
            json::ts(out, "marked_as_done_time", m.closed_at);
            if r.pct(20) {
                address(out, "location", &mut r, true);
            } else {
                json::null(out, "location");
            }
            json::open_arr(out, "participants");
            if let Some(p) = m.person {
                out.push_str(&format!("{{\"person_id\":{p},\"primary\":true}}"));
            }
            out.push(']');
            json::os(out, "conference_meeting_client", None);
            json::os(out, "conference_meeting_url", None);
            json::os(out, "conference_meeting_id", None);
            json::s(out, "public_description", "");
            json::u(out, "priority", r.below(3));
            json::s(
                out,
                "note",
                if r.pct(30) {
                    "<p>Cliente pediu retorno.</p>"
                } else {
                    ""
                },
            );
            json::b(out, "private", false);
        }
    }
    out.push('}');
}

/// The exact JSON of record `index` (0-based) of `entity` in `scope`, as the v2 list sends it.
pub fn record_json(g: &Gen, scope: Scope, entity: Entity, index: u64) -> String {
    let mut s = String::with_capacity(1500);
    write(g, scope, entity, &meta(g, scope, entity, index), &mut s);
    s
}
