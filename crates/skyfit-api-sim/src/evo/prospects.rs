//! EVO prospects (`/api/v1/prospects`, ProspectsResumoApiViewModel). Prospect `i` (id `i + 1`)
//! registers at `prospects_tl.time_of(i)`; ~30% convert into a member registered before the
//! conversion, and only conversions before the clock are visible.

use crate::http::{Reply, Req};
use crate::synth::names::{CITIES, DOMAINS, FIRST, LAST, NEIGHBORHOODS, STREETS};
use crate::synth::{Gen, Rng, json};

use super::catalog::branch;
use super::{EvoEntity, TAG_PROSPECT, members_tl, prospects_tl};

pub(crate) struct Core {
    pub first: &'static str,
    pub last: &'static str,
}

#[inline]
pub(crate) fn core(g: &Gen, i: u64) -> Core {
    let mut r = Rng::new(g.seed, TAG_PROSPECT, i);
    Core {
        first: r.pick(FIRST),
        last: r.pick(LAST),
    }
}

/// Writes prospect `i` exactly as the server sends it.
pub fn write_record(g: &Gen, i: u64, out: &mut String) {
    let c = core(g, i);
    let reg = prospects_tl(&g.scale).time_of(i);
    let mut r = Rng::new(g.seed, TAG_PROSPECT ^ 0x55, i);
    let b = r.below(g.scale.evo_branches.max(1));
    let (bname, city, uf) = branch(b);
    let conv_at = reg + r.below(60 * 86_400) as i64;
    let converted = r.pct(30) && conv_at <= g.now;
    let member = if converted {
        let n = members_tl(&g.scale).visible(conv_at);
        (n > 0).then(|| n - 1)
    } else {
        None
    };
    json::open(out);
    json::u(out, "idProspect", i + 1);
    json::u(out, "idBranch", b + 1);
    json::s(out, "branchName", &bname);
    json::s(out, "firstName", c.first);
    json::s(out, "lastName", c.last);
    json::s(
        out,
        "document",
        &if r.pct(60) {
            format!("{:011}", r.below(100_000_000_000))
        } else {
            String::new()
        },
    );
    json::s(out, "cellphone", &format!("119{:08}", r.below(100_000_000)));
    json::s(
        out,
        "email",
        &format!("{}{}@{}", c.first, i + 1, r.pick(DOMAINS)).to_lowercase(),
    );
    json::os(out, "gympassId", r.pct(8).then_some("GP987654321"));
    json::dt(out, "registerDate", reg);
    json::s(out, "gender", if r.pct(50) { "F" } else { "M" });
    json::odt(
        out,
        "birthDate",
        r.pct(70)
            .then(|| reg - (18 + r.below(40) as i64) * 365 * 86_400 - reg % 86_400),
    );
    json::s(
        out,
        "signupType",
        ["Site", "Balcão", "App", "Telefone"][r.below(4) as usize],
    );
    json::s(
        out,
        "mktChannel",
        ["Instagram", "Google", "Indicação", "Facebook", ""][r.below(5) as usize],
    );
    json::odt(out, "conversionDate", member.map(|_| conv_at));
    json::ou(out, "idMember", member.map(|m| m + 1));
    json::s(
        out,
        "currentStep",
        if member.is_some() {
            "Convertido"
        } else {
            "Aula experimental"
        },
    );
    json::s(out, "address", r.pick(STREETS));
    json::s(out, "city", city);
    json::s(out, "complement", "");
    json::s(
        out,
        "neighborhood",
        NEIGHBORHOODS[r.below(NEIGHBORHOODS.len() as u64) as usize],
    );
    json::s(out, "state", uf);
    json::s(out, "country", "Brasil");
    json::s(out, "zipCode", &format!("{:08}", r.below(100_000_000)));
    json::s(out, "number", &(r.below(999) + 1).to_string());
    let _ = CITIES;
    if r.pct(10) {
        json::open_obj(out, "responsible");
        json::s(out, "name", &format!("{} {}", r.pick(FIRST), c.last));
        json::s(
            out,
            "document",
            &format!("{:011}", r.below(100_000_000_000)),
        );
        json::b(out, "financialResponsible", true);
        out.push('}');
    } else {
        json::null(out, "responsible");
    }
    out.push('}');
}

/// The exact JSON the server sends for prospect `index` at the default clock.
pub fn record_json(seed: u64, scale: &crate::Scale, index: u64) -> String {
    let mut s = String::with_capacity(900);
    write_record(&Gen::new(seed, *scale), index, &mut s);
    s
}

pub(crate) fn list(g: &Gen, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let p = super::paging(req, EvoEntity::Prospects)?;
    let (from, to) = super::window(req, "registerDateStart", "registerDateEnd")?;
    let mut registered = prospects_tl(&g.scale).range(from, to, g.now);
    // `idProspect`: that one prospect (still within any date filter given with it).
    if let Some(id) = req
        .query
        .uint("idProspect")
        .map_err(|v| super::bad(&format!("The value '{v}' is not valid for idProspect.")))?
    {
        registered = super::intersect(registered, id.saturating_sub(1)..id);
    }
    let range = super::page_range(registered, p);
    Ok(super::write_array(range, malformed, 900, |i, out| {
        write_record(g, i, out)
    }))
}
