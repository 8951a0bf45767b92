//! EVO branches (`/api/v1/configuration`) and employees (`/api/v2/employees`): small, fixed
//! catalogues that every other EVO entity references by id (ids are `index + 1`).

use crate::http::{Reply, Req};
use crate::synth::names::{CITIES, FIRST, JOBS, LAST, NEIGHBORHOODS, STREETS};
use crate::synth::time::epoch;
use crate::synth::{Gen, Rng, json};

use super::{EvoEntity, TAG_BRANCH, TAG_EMPLOYEE};

/// Branch `b` (0-based): (name, city, state).
pub(crate) fn branch(b: u64) -> (String, &'static str, &'static str) {
    let hood = NEIGHBORHOODS[(b as usize) % NEIGHBORHOODS.len()];
    let (city, uf) = CITIES[(b as usize * 7 + b as usize / NEIGHBORHOODS.len()) % CITIES.len()];
    let suffix = b as usize / NEIGHBORHOODS.len();
    let name = if suffix == 0 {
        format!("SkyFit {hood}")
    } else {
        format!("SkyFit {hood} {}", suffix + 1)
    };
    (name, city, uf)
}

/// IANA zone of a branch (EVO sends it on every entry).
pub(crate) fn branch_tz(b: u64) -> &'static str {
    match branch(b).2 {
        "AM" => "America/Manaus",
        "BA" => "America/Bahia",
        "CE" | "PE" => "America/Fortaleza",
        _ => "America/Sao_Paulo",
    }
}

/// Employee `e` (0-based): (name, branch index).
pub(crate) fn employee(seed: u64, scale_branches: u64, e: u64) -> (String, u64) {
    let mut r = Rng::new(seed, TAG_EMPLOYEE, e);
    let name = format!("{} {}", r.pick(FIRST), r.pick(LAST));
    (name, e % scale_branches.max(1))
}

pub(crate) fn branches(g: &Gen) -> Result<Reply, Reply> {
    let n = g.scale.evo_branches;
    let mut out = String::with_capacity(n as usize * 700 + 2);
    out.push('[');
    for b in 0..n {
        let mut r = Rng::new(g.seed, TAG_BRANCH, b);
        let (name, city, uf) = branch(b);
        json::open(&mut out);
        json::u(&mut out, "idBranch", b + 1);
        json::s(&mut out, "name", &name);
        json::s(&mut out, "internalName", &name.to_uppercase());
        json::s(
            &mut out,
            "cnpj",
            &format!("{:08}0001{:02}", 10_000_000 + b * 37, r.below(100)),
        );
        json::s(&mut out, "address", r.pick(STREETS));
        json::s(
            &mut out,
            "neighborhood",
            NEIGHBORHOODS[(b as usize) % NEIGHBORHOODS.len()],
        );
        json::s(
            &mut out,
            "telephone",
            &format!("(11) 3{:03}-{:04}", r.below(1000), r.below(10_000)),
        );
        json::s(&mut out, "number", &(r.below(3000) + 1).to_string());
        json::u(&mut out, "idState", (uf.as_bytes()[0] as u64) % 27 + 1);
        json::s(&mut out, "state", uf);
        json::s(&mut out, "stateShort", uf);
        json::s(&mut out, "city", city);
        json::s(&mut out, "complement", "");
        json::s(
            &mut out,
            "zipCode",
            &format!("{:05}-{:03}", r.below(100_000), r.below(1000)),
        );
        json::s(&mut out, "website", "https://skyfit.com.br");
        json::raw(
            &mut out,
            "latitude",
            &format!("-23.{:06}", r.below(1_000_000)),
        );
        json::raw(
            &mut out,
            "longitude",
            &format!("-46.{:06}", r.below(1_000_000)),
        );
        json::dt(
            &mut out,
            "openingDate",
            epoch(2015, 1, 1) + b as i64 * 86_400 * 9,
        );
        json::raw(
            &mut out,
            "businessHours",
            "[{\"weekDay\":\"Segunda\",\"open\":\"06:00\",\"close\":\"23:00\"},{\"weekDay\":\"Sábado\",\"open\":\"08:00\",\"close\":\"14:00\"}]",
        );
        json::raw(&mut out, "searchTerms", "[]");
        out.push('}');
    }
    out.push(']');
    Ok(Reply::ok(out, n))
}

pub(crate) fn employees(g: &Gen, req: &Req) -> Result<Reply, Reply> {
    let p = super::paging(req, EvoEntity::Members)?;
    let n = g.scale.evo_employees;
    let range = super::page_range(0..n, p);
    Ok(super::write_array(range, None, 220, |e, out| {
        let (name, b) = employee(g.seed, g.scale.evo_branches, e);
        let mut r = Rng::new(g.seed, TAG_EMPLOYEE ^ 0xFF, e);
        json::open(out);
        json::u(out, "idEmployee", e + 1);
        json::u(out, "idBranch", b + 1);
        json::s(out, "branchName", &branch(b).0);
        json::s(out, "name", &name);
        json::s(out, "status", if r.pct(90) { "Ativo" } else { "Inativo" });
        let email = format!(
            "{}.{}@skyfit.com.br",
            name.split(' ').next().unwrap_or("func").to_lowercase(),
            e + 1
        );
        json::s(out, "currentEmail", &email);
        json::s(out, "jobPosition", r.pick(JOBS));
        out.push('}');
    }))
}
