//! Zendesk records (docs/data-contract.md#zendesk-tables): tickets, users, organizations,
//! groups, ticket fields, forms.
//!
//! Ticket `i` has id `i + 1` and is created at a monotone time from 2023-01-01; its status moves
//! new → open → solved → closed as the clock passes deterministic times, and a few are deleted.
//! `generated_timestamp` equals the last visible change, which drives the incremental export.

use crate::synth::names::{FIRST, LAST, SUBJECTS, TAGS};
use crate::synth::time::{DEFAULT_NOW, Timeline, ZENDESK_START};
use crate::synth::{Gen, History, Rng, json};

pub(crate) const USER_BASE: u64 = 46_406_100_000_000;
pub(crate) const ORG_BASE: u64 = 46_406_146_527_249;
pub(crate) const GROUP_BASE: u64 = 46_406_158_244_625;
pub(crate) const FIELD_BASE: u64 = 46_406_130_043_793;
pub(crate) const FORM_BASE: u64 = 46_406_146_302_353;
const BRAND: u64 = 46_406_158_162_961;

/// Incremental entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Tickets.
    Tickets,
    /// Users.
    Users,
    /// Organizations.
    Organizations,
}

impl Entity {
    fn tag(self) -> u64 {
        match self {
            Entity::Tickets => 0x21,
            Entity::Users => 0x22,
            Entity::Organizations => 0x23,
        }
    }
    /// Record id of index `i`.
    pub fn id(self, i: u64) -> u64 {
        match self {
            Entity::Tickets => i + 1,
            Entity::Users => USER_BASE + i * 16,
            Entity::Organizations => ORG_BASE + i * 16,
        }
    }
    /// Index of an id.
    pub fn index(self, id: u64) -> Option<u64> {
        match self {
            Entity::Tickets => id.checked_sub(1),
            Entity::Users => id
                .checked_sub(USER_BASE)
                .filter(|d| d % 16 == 0)
                .map(|d| d / 16),
            Entity::Organizations => id
                .checked_sub(ORG_BASE)
                .filter(|d| d % 16 == 0)
                .map(|d| d / 16),
        }
    }
}

pub(crate) fn timeline(g: &Gen, e: Entity) -> Timeline {
    let n = match e {
        Entity::Tickets => g.scale.zd_tickets,
        Entity::Users => g.scale.zd_users,
        Entity::Organizations => g.scale.zd_organizations,
    };
    // Organizations and the first users existed before the first ticket.
    let start = if e == Entity::Tickets {
        ZENDESK_START
    } else {
        ZENDESK_START - 30 * 86_400
    };
    Timeline::new(start, DEFAULT_NOW, n)
}

pub(crate) fn history(g: &Gen, e: Entity, i: u64) -> History {
    let created = timeline(g, e).time_of(i);
    let mut r = Rng::new(g.seed, e.tag(), i);
    // Users and organizations are deleted too: the exports keep listing them, users with
    // `active: false`, organizations with `deleted_at` (docs/data-contract.md#zendesk-entities).
    let del = match e {
        Entity::Tickets => 20,
        Entity::Users => 15,
        Entity::Organizations => 10,
    };
    History::compute(r.next_u64(), created, g.now, del, 60 * 86_400)
}

fn user_pick(g: &Gen, r: &mut Rng, t: i64) -> u64 {
    let n = timeline(g, Entity::Users).visible(t).max(1);
    Entity::Users.id(r.below(n))
}

/// Writes ticket `i` with its visible history `h`.
pub(crate) fn ticket(g: &Gen, i: u64, h: &History, out: &mut String, base_url: &str) {
    let mut r = Rng::new(g.seed, 0x2100, i);
    let id = i + 1;
    let subject = r.pick(SUBJECTS);
    let age = g.now - h.created;
    let status = if h.deleted.is_some() {
        "deleted"
    } else if age > 40 * 86_400 {
        "closed"
    } else if age > 10 * 86_400 {
        "solved"
    } else if h.edits > 0 {
        ["open", "pending", "hold"][r.below(3) as usize]
    } else {
        "new"
    };
    let requester = user_pick(g, &mut r, h.created);
    let agent = Entity::Users.id(r.below(3.min(g.scale.zd_users.max(1))));
    let groups = g.scale.zd_groups.max(1);
    let org = (g.scale.zd_organizations > 0 && r.pct(40))
        .then(|| Entity::Organizations.id(r.below(g.scale.zd_organizations)));
    json::open(out);
    json::s(out, "url", &format!("{base_url}/api/v2/tickets/{id}.json"));
    json::u(out, "id", id);
    json::os(out, "external_id", None);
    json::raw(
        out,
        "via",
        "{\"channel\":\"web\",\"source\":{\"from\":{},\"to\":{},\"rel\":null}}",
    );
    json::ts(out, "created_at", Some(h.created));
    json::ts(out, "updated_at", Some(h.updated));
    json::i(out, "generated_timestamp", h.updated);
    json::os(
        out,
        "type",
        r.pct(80)
            .then(|| ["question", "incident", "problem", "task"][r.below(4) as usize]),
    );
    json::s(out, "subject", subject);
    json::s(out, "raw_subject", subject);
    json::s(
        out,
        "description",
        &format!("{subject}: cliente relata o problema na unidade."),
    );
    json::os(
        out,
        "priority",
        r.pct(70)
            .then(|| ["low", "normal", "high", "urgent"][r.below(4) as usize]),
    );
    json::s(out, "status", status);
    json::os(out, "recipient", None);
    json::u(out, "requester_id", requester);
    json::u(out, "submitter_id", requester);
    json::ou(out, "assignee_id", (status != "new").then_some(agent));
    json::ou(out, "organization_id", org);
    json::ou(out, "group_id", Some(GROUP_BASE + r.below(groups) * 16));
    json::raw(out, "collaborator_ids", "[]");
    json::raw(out, "follower_ids", "[]");
    json::raw(out, "email_cc_ids", "[]");
    json::ou(out, "forum_topic_id", None);
    json::ou(out, "problem_id", None);
    json::b(out, "has_incidents", false);
    json::b(out, "is_public", true);
    json::ts(out, "due_at", None);
    json::open_arr(out, "tags");
    let ntags = r.below(4);
    let t0 = r.below(TAGS.len() as u64);
    for k in 0..ntags {
        json::push_str_sep(out, TAGS[((t0 + k) as usize) % TAGS.len()]);
    }
    out.push(']');
    let mut cf = String::from("[");
    for f in 0..g.scale.zd_ticket_fields.min(4) {
        json::open(&mut cf);
        json::u(&mut cf, "id", FIELD_BASE + f * 16);
        match f % 4 {
            0 => json::os(
                &mut cf,
                "value",
                r.pct(60).then(|| {
                    ["unidade_centro", "unidade_moema", "unidade_lapa"][r.below(3) as usize]
                }),
            ),
            1 => json::b(&mut cf, "value", r.pct(50)),
            2 => json::os(&mut cf, "value", r.pct(40).then_some("12345678900")),
            _ => json::null(&mut cf, "value"),
        }
        cf.push('}');
    }
    cf.push(']');
    json::raw(out, "custom_fields", &cf);
    json::raw(
        out,
        "satisfaction_rating",
        if status == "closed" && r.pct(30) {
            "{\"score\":\"good\"}"
        } else {
            "{\"score\":\"unoffered\"}"
        },
    );
    json::raw(out, "sharing_agreement_ids", "[]");
    json::u(out, "custom_status_id", 46_406_158_222_353);
    json::s(out, "encoded_id", &format!("VLZGD5-{:05}", id));
    json::raw(out, "fields", &cf);
    json::raw(out, "followup_ids", "[]");
    json::ou(
        out,
        "ticket_form_id",
        Some(FORM_BASE + r.below(g.scale.zd_ticket_forms.max(1)) * 16),
    );
    json::u(out, "brand_id", BRAND);
    json::b(out, "allow_channelback", false);
    json::b(out, "allow_attachments", true);
    json::b(out, "from_messaging_channel", false);
    json::s(out, "support_type", "agent");
    out.push('}');
}

/// Writes user `i`.
pub(crate) fn user(g: &Gen, i: u64, h: &History, out: &mut String, base_url: &str) {
    let mut r = Rng::new(g.seed, 0x2200, i);
    let id = Entity::Users.id(i);
    let (first, last) = (r.pick(FIRST), r.pick(LAST));
    let role = if i < 3 {
        "admin"
    } else if i < 12 {
        "agent"
    } else {
        "end-user"
    };
    json::open(out);
    json::u(out, "id", id);
    json::s(out, "url", &format!("{base_url}/api/v2/users/{id}.json"));
    json::s(out, "name", &format!("{first} {last}"));
    json::os(
        out,
        "email",
        r.pct(95)
            .then(|| format!("{first}.{last}{i}@gmail.com").to_lowercase())
            .as_deref(),
    );
    json::ts(out, "created_at", Some(h.created));
    json::ts(out, "updated_at", Some(h.updated));
    json::s(out, "time_zone", "Brasilia");
    json::s(out, "iana_time_zone", "America/Sao_Paulo");
    json::os(
        out,
        "phone",
        r.pct(30)
            .then(|| format!("+55119{:08}", r.below(100_000_000)))
            .as_deref(),
    );
    json::null(out, "shared_phone_number");
    json::null(out, "photo");
    json::u(out, "locale_id", 19);
    json::s(out, "locale", "pt-BR");
    json::ou(
        out,
        "organization_id",
        (g.scale.zd_organizations > 0 && r.pct(20))
            .then(|| Entity::Organizations.id(r.below(g.scale.zd_organizations))),
    );
    json::s(out, "role", role);
    json::b(out, "verified", role != "end-user" || r.pct(40));
    json::os(out, "external_id", None);
    json::raw(out, "tags", "[]");
    json::os(out, "alias", None);
    json::b(out, "active", h.deleted.is_none());
    json::b(out, "shared", false);
    json::b(out, "shared_agent", false);
    json::ts(
        out,
        "last_login_at",
        (role != "end-user").then_some(h.updated),
    );
    json::null(out, "two_factor_auth_enabled");
    json::null(out, "signature");
    json::null(out, "details");
    json::null(out, "notes");
    json::ou(out, "role_type", (role == "agent").then_some(0));
    json::ou(out, "custom_role_id", None);
    json::null(out, "is_billing_admin");
    json::b(out, "moderator", role == "admin");
    json::os(
        out,
        "ticket_restriction",
        (role == "end-user").then_some("requested"),
    );
    json::b(out, "only_private_comments", false);
    json::b(out, "restricted_agent", role == "end-user");
    json::b(out, "suspended", suspended(g, i, h));
    json::ou(
        out,
        "default_group_id",
        (role != "end-user").then_some(GROUP_BASE),
    );
    json::b(out, "report_csv", false);
    json::raw(out, "user_fields", "{}");
    if suspended(g, i, h) {
        json::raw(out, "suspension_details", "{\"reason\":\"spam\"}");
    } else {
        json::null(out, "suspension_details");
    }
    out.push('}');
}

/// Writes organization `i`.
pub(crate) fn organization(g: &Gen, i: u64, h: &History, out: &mut String, base_url: &str) {
    let mut r = Rng::new(g.seed, 0x2300, i);
    let id = Entity::Organizations.id(i);
    json::open(out);
    json::s(
        out,
        "url",
        &format!("{base_url}/api/v2/organizations/{id}.json"),
    );
    json::u(out, "id", id);
    json::s(out, "name", &format!("SkyFit {}", r.pick(LAST)));
    json::b(out, "shared_tickets", false);
    json::b(out, "shared_comments", false);
    json::os(out, "external_id", None);
    json::ts(out, "created_at", Some(h.created));
    json::ts(out, "updated_at", Some(h.updated));
    json::raw(out, "domain_names", "[]");
    json::null(out, "details");
    json::null(out, "notes");
    json::ou(out, "group_id", None);
    json::raw(out, "tags", "[]");
    json::raw(out, "organization_fields", "{}");
    json::ts(out, "deleted_at", h.deleted);
    out.push('}');
}

/// Some end users get suspended by one of their (visible) edits; a suspension is an edit, so it
/// moves `updated_at` and the user is exported again.
pub(crate) fn suspended(g: &Gen, i: u64, h: &History) -> bool {
    i >= 12 && h.edits > 0 && Rng::new(g.seed, 0x2201, i).pct(8)
}
