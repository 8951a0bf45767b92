//! `include_fields` of the v2 lists (docs/data-contract.md#pipedrive-entities): the counts,
//! activity ids, mail times and activity `attendees` the API leaves out of a record unless the
//! request names them. An unknown name is a 400, like the API's enum validation.

use crate::synth::{Gen, Rng, json};

use super::Scope;
use super::records::{Entity, Meta, scope_seed};

const DEAL: &[&str] = &[
    "next_activity_id",
    "last_activity_id",
    "first_won_time",
    "products_count",
    "files_count",
    "notes_count",
    "followers_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "participants_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "smart_bcc_email",
    "source_lead_id",
];

const PERSON: &[&str] = &[
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "participant_open_deals_count",
    "participant_closed_deals_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "marketing_status",
    "doi_status",
    "smart_bcc_email",
];

const ORGANIZATION: &[&str] = &[
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "email_messages_count",
    "people_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "smart_bcc_email",
];

const ACTIVITY: &[&str] = &["attendees"];

/// The `include_fields` values an entity accepts.
pub(crate) fn allowed(e: Entity) -> &'static [&'static str] {
    match e {
        Entity::Deals => DEAL,
        Entity::Persons => PERSON,
        Entity::Organizations => ORGANIZATION,
        Entity::Activities => ACTIVITY,
    }
}

/// Parses `include_fields` (CSV); `Err` names the first value the entity does not offer.
pub(crate) fn parse(e: Entity, raw: Option<&str>) -> Result<Vec<&'static str>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let ok = allowed(e);
    let mut out = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match ok.iter().find(|a| **a == name) {
            Some(a) if !out.contains(a) => out.push(*a),
            Some(_) => {}
            None => return Err(name.to_string()),
        }
    }
    Ok(out)
}

/// Appends the requested fields to a record `write` just closed.
pub(crate) fn write(g: &Gen, scope: Scope, e: Entity, m: &Meta, fields: &[&str], out: &mut String) {
    if fields.is_empty() || !out.ends_with('}') {
        return;
    }
    out.pop();
    for name in fields {
        // One stream per field, so a value does not depend on which other fields were asked.
        let mut r = Rng::new(
            scope_seed(g.seed, scope),
            e.tag() ^ 0x1F00,
            m.idx ^ fnv(name),
        );
        match *name {
            "attendees" => attendees(m, &mut r, out),
            "first_won_time" => json::ts(out, name, m.closed_at.filter(|_| m.state == 1)),
            "last_incoming_mail_time" | "last_outgoing_mail_time" => {
                json::ts(out, name, r.pct(30).then_some(m.h.updated))
            }
            "next_activity_id" | "last_activity_id" => {
                json::ou(out, name, r.pct(50).then(|| r.below(10_000) + 1))
            }
            "smart_bcc_email" => json::s(
                out,
                name,
                &format!("skyfit-{}+{}@pipedrivemail.com", scope.name(), m.idx + 1),
            ),
            "source_lead_id" | "marketing_status" | "doi_status" => json::null(out, name),
            _ => json::u(
                out,
                name,
                r.below(if *name == "people_count" { 40 } else { 12 }),
            ),
        }
    }
    out.push('}');
}

fn attendees(m: &Meta, r: &mut Rng, out: &mut String) {
    json::open_arr(out, "attendees");
    if m.person.is_some() && r.pct(40) {
        json::open(out);
        json::s(
            out,
            "email",
            &format!("participante{}@example.com", m.idx + 1),
        );
        json::s(out, "name", "Participante");
        json::s(out, "status", ["accepted", "noreply"][r.below(2) as usize]);
        json::b(out, "is_organizer", false);
        json::ou(out, "person_id", m.person);
        json::null(out, "user_id");
        out.push('}');
    }
    out.push(']');
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_offered_names_and_refuses_others() {
        assert_eq!(
            parse(Entity::Deals, Some("activities_count, products_count")),
            Ok(vec!["activities_count", "products_count"])
        );
        assert_eq!(parse(Entity::Activities, None), Ok(vec![]));
        assert_eq!(
            parse(Entity::Activities, Some("people_count")),
            Err("people_count".to_string())
        );
    }
}
