//! EVO entries (`/api/v1/entries`, EntradasResumoApiViewModel): the 110M-record endpoint.
//!
//! Constraints: entry `i` happens at `entries_tl.time_of(i)` (≈45K/day at reference scale), so
//! a `registerDateStart/End` window is an index range; a record is written straight into the
//! page buffer with no intermediate allocation on the common path, so serving pages never
//! dominates a benchmark's time (docs/performance.md, "The simulator's cost"). Entries
//! are immutable: the bytes of entry `i` never depend on the clock, only on whether it exists.

use crate::http::{Reply, Req};
use crate::synth::{Gen, Rng, json};

use super::catalog::{branch_tz, employee};
use super::members::{core, member_before};
use super::{EvoEntity, TAG_ENTRY, entries_tl, prospects_tl};

const DEVICES: &[&str] = &[
    "Catraca 1",
    "Catraca 2",
    "Catraca 3",
    "Catraca Acessibilidade",
    "App SkyFit",
    "Recepção",
];

/// Writes entry `i` exactly as the server sends it.
pub fn write_record(g: &Gen, i: u64, out: &mut String) {
    let t = entries_tl(&g.scale).time_of(i);
    let mut r = Rng::new(g.seed, TAG_ENTRY, i);
    let roll = r.below(100);
    let member = if roll < 88 {
        member_before(g, &mut r, t)
    } else {
        None
    };
    let prospect = if member.is_none() && roll < 96 {
        let n = prospects_tl(&g.scale).visible(t);
        (n > 0).then(|| r.below(n))
    } else {
        None
    };
    let employee_idx = if member.is_none() && prospect.is_none() && g.scale.evo_employees > 0 {
        Some(r.below(g.scale.evo_employees))
    } else {
        None
    };
    let branches = g.scale.evo_branches.max(1);
    let home = member.map(|m| core(g, m));
    let branch = match &home {
        Some(c) if r.pct(85) => c.branch,
        _ => r.below(branches),
    };
    let blocked = r.pct(3);
    json::open(out);
    json::dt(out, "date", t);
    json::dt(out, "dateTurn", t - t.rem_euclid(86_400));
    json::s(out, "timeZone", branch_tz(branch));
    json::ou(out, "idMember", member.map(|m| m + 1));
    json::key(out, "nameMember");
    match &home {
        Some(c) => {
            out.push('"');
            out.push_str(c.first);
            out.push(' ');
            out.push_str(c.last);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    json::ou(out, "idProspect", prospect.map(|p| p + 1));
    match prospect {
        Some(p) => {
            let pc = super::prospects::core(g, p);
            json::key(out, "nameProspect");
            out.push('"');
            out.push_str(pc.first);
            out.push(' ');
            out.push_str(pc.last);
            out.push('"');
        }
        // Quirk: an absent prospect is sometimes `null`, sometimes "".
        None => json::os(out, "nameProspect", if r.pct(50) { Some("") } else { None }),
    }
    json::ou(out, "idEmployee", employee_idx.map(|e| e + 1));
    match employee_idx {
        Some(e) => json::s(out, "nameEmployee", &employee(g.seed, branches, e).0),
        None => json::null(out, "nameEmployee"),
    }
    let device = r.pick(DEVICES);
    json::s(
        out,
        "entryType",
        if device.starts_with("App") {
            "App"
        } else {
            "Catraca"
        },
    );
    json::s(out, "device", device);
    if blocked && g.scale.evo_employees > 0 && r.pct(50) {
        json::u(out, "releasesByID", r.below(g.scale.evo_employees) + 1);
    } else {
        json::null(out, "releasesByID");
    }
    json::u(out, "idBranch", branch + 1);
    json::s(
        out,
        "blockReason",
        if blocked { "Pendência financeira" } else { "" },
    );
    json::s(
        out,
        "entryAction",
        if blocked {
            "Bloqueado"
        } else if r.pct(70) {
            "Entrada"
        } else {
            "Saída"
        },
    );
    json::null(out, "idMigration");
    out.push('}');
}

/// The exact JSON the server sends for entry `index` (entries do not depend on the clock).
pub fn record_json(seed: u64, scale: &crate::Scale, index: u64) -> String {
    let mut s = String::with_capacity(420);
    write_record(&Gen::new(seed, *scale), index, &mut s);
    s
}

/// A whole page body as the server sends it (benchmarks without HTTP).
pub fn page_json(g: &Gen, range: std::ops::Range<u64>) -> String {
    super::write_array(range, None, 420, |i, out| write_record(g, i, out)).body
}

pub(crate) fn list(g: &Gen, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let p = super::paging(req, EvoEntity::Entries)?;
    let (from, to) = super::window(req, "registerDateStart", "registerDateEnd")?;
    let range = super::page_range(entries_tl(&g.scale).range(from, to, g.now), p);
    Ok(super::write_array(range, malformed, 420, |i, out| {
        write_record(g, i, out)
    }))
}
