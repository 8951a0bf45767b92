//! EVO members (`/api/v2/members`, MembersApiViewModel) with nested `contacts[]` and — only
//! with `showMemberships=true` — `memberships[]` (docs/data-contract.md#evo-field-spellings).
//!
//! Member `i` (id `i + 1`) registers at `members_tl.time_of(i)`; its memberships start at or
//! after registration and only those that started before the clock are shown. Names and
//! branches come from [`core`], which entries and sales reuse so denormalised names agree.

use crate::http::{Reply, Req};
use crate::synth::names::{CITIES, DOMAINS, FIRST, LAST, NEIGHBORHOODS, PLANS, STREETS};
use crate::synth::{Gen, History, Rng, json};

use super::catalog::{branch, employee};
use super::{Bounds, EvoEntity, TAG_MEMBER, TAG_MEMBERSHIPS, members_tl, sales_tl};

/// The parts of a member that other entities denormalise.
pub(crate) struct Core {
    pub first: &'static str,
    pub last: &'static str,
    pub branch: u64,
}

/// Name and home branch of member `i`.
#[inline]
pub(crate) fn core(g: &Gen, i: u64) -> Core {
    let mut r = Rng::new(g.seed, TAG_MEMBER, i);
    let first = r.pick(FIRST);
    let last = r.pick(LAST);
    let branch = r.below(g.scale.evo_branches.max(1));
    Core {
        first,
        last,
        branch,
    }
}

/// Number of memberships member `i` eventually has (1..=7, mean 4: 2.4M members ⇒ ~10M).
#[inline]
pub(crate) fn membership_count(g: &Gen, i: u64) -> u64 {
    Rng::new(g.seed, TAG_MEMBERSHIPS, i).below(7) + 1
}

/// `idMemberMembership` of member `i`'s `k`-th contract.
#[inline]
pub(crate) fn membership_id(i: u64, k: u64) -> u64 {
    (i + 1) * 8 + k
}

/// A member registered strictly before `t`, if any (referential integrity for entries/sales).
#[inline]
pub(crate) fn member_before(g: &Gen, r: &mut Rng, t: i64) -> Option<u64> {
    let n = members_tl(&g.scale).visible(t);
    (n > 0).then(|| r.below(n))
}

/// One contract of a member, as drawn from the member's membership stream. The draws happen
/// in one fixed order whatever the clock, so a contract never changes except by the clock
/// passing its start, cancellation or end.
pub(crate) struct Contract {
    pub k: u64,
    pub start: i64,
    pub end: i64,
    pub plan: usize,
    pub months: i64,
    /// When the contract is (or will be) cancelled.
    pub cancel: Option<i64>,
    pub id_membership: u64,
    pub quoted_next_charge: bool,
    pub category: u64,
    pub locker: bool,
    pub signed: bool,
}

/// Member `i`'s contracts in order, regardless of the clock (callers stop at the first one
/// that starts at or after `now`: it does not exist yet).
pub(crate) fn contracts(g: &Gen, i: u64, reg: i64) -> impl Iterator<Item = Contract> {
    let mut r = Rng::new(g.seed, TAG_MEMBERSHIPS ^ 0xABCD, i);
    let count = membership_count(g, i);
    let mut start = reg;
    (0..count).map(move |k| {
        let plan = r.below(PLANS.len() as u64) as usize;
        let months = [1i64, 3, 6, 12][r.below(4) as usize];
        let end = start + months * 30 * 86_400;
        let cancel = r.pct(15).then_some(start + (end - start) / 2);
        let c = Contract {
            k,
            start,
            end,
            plan,
            months,
            cancel,
            id_membership: r.below(PLANS.len() as u64) + 1,
            quoted_next_charge: r.pct(10),
            category: r.below(3) + 1,
            locker: r.pct(20),
            signed: r.pct(80),
        };
        start = end + r.below(20) as i64 * 86_400;
        c
    })
}

/// Member `i`'s contracts that exist at the clock.
pub(crate) fn visible_contracts(g: &Gen, i: u64) -> impl Iterator<Item = Contract> {
    let now = g.now;
    contracts(g, i, members_tl(&g.scale).time_of(i)).take_while(move |c| c.start < now)
}

fn write_memberships(g: &Gen, i: u64, reg: i64, out: &mut String) {
    json::open_arr(out, "memberships");
    for c in contracts(g, i, reg) {
        if c.start >= g.now {
            break;
        }
        let (start, end, k, months) = (c.start, c.end, c.k, c.months);
        let (plan, price) = PLANS[c.plan];
        let cancel = c.cancel;
        let status = match cancel {
            Some(c) if c <= g.now => "canceled",
            _ if end <= g.now => "expired",
            _ => "active",
        };
        let sales = sales_tl(&g.scale);
        let sale_idx = sales
            .first_at_or_after(start)
            .min(sales.visible(g.now).saturating_sub(1));
        json::open(out);
        json::u(out, "idMember", i + 1);
        json::u(out, "idMembership", c.id_membership);
        json::u(out, "idMemberMembership", membership_id(i, k));
        json::ou(
            out,
            "idMemberMembershipRenewed",
            (k > 0).then(|| membership_id(i, k - 1)),
        );
        json::u(out, "numMembers", 1);
        json::b(out, "flRenewed", k > 0);
        json::dt(out, "startDate", start);
        json::dt(out, "endDate", end);
        json::s(out, "name", plan);
        json::odt(out, "cancelDate", cancel.filter(|c| *c <= g.now));
        json::s(out, "membershipStatus", status);
        json::money(out, "valueNextMonth", price);
        // A public C# client parses nextCharge as number-or-string; some rows send it quoted
        // (docs/data-contract.md#evo-field-spellings).
        if c.quoted_next_charge {
            json::s(
                out,
                "nextCharge",
                &crate::synth::time::fmt(crate::synth::time::push_naive, end),
            );
        } else {
            json::odt(out, "nextCharge", (status == "active").then_some(end));
        }
        json::ou(
            out,
            "idSale",
            (sales.visible(g.now) > 0).then_some(sale_idx + 1),
        );
        json::dt(out, "saleDate", start);
        json::s(
            out,
            "contractPrinting",
            &format!(
                "https://evo-contratos.w12app.com.br/{}.pdf",
                membership_id(i, k)
            ),
        );
        json::raw(out, "freezes", "[]");
        json::u(out, "idCategoryMembership", c.category);
        json::u(out, "numberSuspensionTimes", 0);
        json::u(out, "maxSuspensionDays", 30);
        json::u(out, "minimumSuspensionDays", 7);
        json::u(out, "disponibleSuspensionDays", 30);
        json::u(out, "disponibleSuspensionTimes", 1);
        json::u(out, "daysLeftToFreeze", 30);
        json::odt(out, "loyaltyEndDate", (months == 12).then_some(end));
        json::null(out, "assessmentEndDate");
        json::dt(out, "acceptanceDate", start);
        json::b(out, "flAllowLocker", c.locker);
        json::b(out, "flAdditionalMembership", false);
        json::u(out, "bioimpedanceAmount", 0);
        json::b(out, "signedTerms", c.signed);
        json::money(out, "originalValue", price);
        json::b(out, "limitless", true);
        json::u(out, "weeklyLimit", 0);
        for f in [
            "concludedSessions",
            "pendingSessions",
            "scheduledSessions",
            "pendingRepositions",
            "repositionsTotal",
            "bonusSessions",
        ] {
            json::u(out, f, 0);
        }
        json::raw(out, "sessions", "[]");
        out.push('}');
    }
    out.push(']');
}

/// Writes member `i` exactly as the server sends it.
pub fn write_record(g: &Gen, i: u64, show_memberships: bool, out: &mut String) {
    let c = core(g, i);
    let reg = members_tl(&g.scale).time_of(i);
    let mut r = Rng::new(g.seed, TAG_MEMBER ^ 0x77, i);
    let h = History::compute(r.next_u64(), reg, g.now, 0, 400 * 86_400);
    let (bname, city, uf) = branch(c.branch);
    let (cons_name, _) = employee(
        g.seed,
        g.scale.evo_branches,
        r.below(g.scale.evo_employees.max(1)),
    );
    let cons = r.below(g.scale.evo_employees.max(1)) + 1;
    let active = r.pct(55);
    json::open(out);
    json::u(out, "idMember", i + 1);
    json::s(out, "firstName", c.first);
    json::s(out, "lastName", c.last);
    json::os(out, "registerName", r.pct(5).then_some(c.first));
    json::os(out, "registerLastName", None);
    json::b(out, "usePreferredName", false);
    json::dt(out, "registerDate", reg);
    json::u(out, "idBranch", c.branch + 1);
    json::s(out, "branchName", &bname);
    json::b(out, "accessBlocked", !active && r.pct(30));
    json::s(out, "blockedReason", "");
    let cpf = format!("{:011}", r.below(100_000_000_000));
    json::s(out, "document", &cpf);
    json::s(
        out,
        "documentId",
        if r.pct(40) { "" } else { "MG-12.345.678" },
    );
    json::os(out, "cpf", None);
    json::os(out, "passport", None);
    json::s(
        out,
        "maritalStatus",
        ["Solteiro(a)", "Casado(a)", "", "Divorciado(a)"][r.below(4) as usize],
    );
    json::s(out, "gender", if r.pct(52) { "F" } else { "M" });
    json::dt(
        out,
        "birthDate",
        reg - (18 + r.below(45) as i64) * 365 * 86_400 - (reg % 86_400),
    );
    json::s(out, "address", r.pick(STREETS));
    json::s(out, "number", &(r.below(2000) + 1).to_string());
    json::s(out, "complement", if r.pct(30) { "Apto 12" } else { "" });
    json::s(
        out,
        "neighborhood",
        NEIGHBORHOODS[r.below(NEIGHBORHOODS.len() as u64) as usize],
    );
    let _ = CITIES;
    json::s(out, "city", city);
    json::s(out, "state", uf);
    json::s(out, "country", "Brasil");
    json::s(out, "zipCode", &format!("{:08}", r.below(100_000_000)));
    json::s(out, "accessCardNumber", &(i + 1_000_000).to_string());
    json::s(
        out,
        "membershipStatus",
        if active { "Ativo" } else { "Inativo" },
    );
    json::s(out, "status", if active { "Active" } else { "Inactive" });
    json::b(out, "penalized", r.pct(2));
    json::open_arr(out, "contacts");
    json::open(out);
    json::u(out, "idPhone", (i + 1) * 4);
    json::u(out, "idMember", i + 1);
    json::null(out, "idEmployee");
    json::null(out, "idProspect");
    json::null(out, "idProvider");
    json::u(out, "idContactType", 2);
    json::s(out, "contactType", "Celular");
    json::s(out, "ddi", "55");
    json::s(
        out,
        "description",
        &format!("119{:08}", r.below(100_000_000)),
    );
    out.push('}');
    if r.pct(85) {
        json::open(out);
        json::u(out, "idPhone", (i + 1) * 4 + 1);
        json::u(out, "idMember", i + 1);
        json::null(out, "idEmployee");
        json::null(out, "idProspect");
        json::null(out, "idProvider");
        json::u(out, "idContactType", 4);
        json::s(out, "contactType", "E-mail");
        json::null(out, "ddi");
        let email = format!("{}.{}{}@{}", c.first, c.last, i + 1, r.pick(DOMAINS)).to_lowercase();
        json::s(out, "description", &email);
        out.push('}');
    }
    out.push(']');
    if show_memberships {
        write_memberships(g, i, reg, out);
    }
    json::odt(
        out,
        "lastAccessDate",
        active.then_some(g.now - r.below(30 * 86_400) as i64),
    );
    json::odt(out, "conversionDate", r.pct(30).then_some(reg));
    json::u(out, "idEmployeeConsultant", cons);
    json::s(out, "nameEmployeeConsultant", &cons_name);
    json::ou(out, "idEmployeeInstructor", None);
    json::os(out, "nameEmployeeInstructor", None);
    json::ou(out, "idEmployeePersonalTrainer", None);
    json::os(out, "nameEmployeePersonalTrainer", None);
    json::s(out, "photoUrl", "");
    json::os(out, "idMemberMigration", None);
    json::raw(out, "responsibles", "[]");
    json::os(out, "gympassId", r.pct(10).then_some("GP123456789"));
    json::b(out, "personalTrainer", false);
    json::os(out, "personalType", None);
    json::os(out, "cref", None);
    json::odt(out, "crefExpirationDate", None);
    json::money(out, "totalFitCoins", 0);
    // EVO datetimes come without an offset (docs/data-contract.md#timestamps); updateDate is
    // the one field where the simulator mixes in an explicit offset so parsers must accept both.
    json::key(out, "updateDate");
    out.push('"');
    crate::synth::time::push_naive(out, h.updated);
    if h.edits > 0 && r.pct(50) {
        out.push_str(".173-03:00");
    }
    out.push('"');
    json::os(out, "codeTotalpass", None);
    json::os(out, "userIdGurupass", None);
    json::b(out, "clientWithPromotionalRestriction", false);
    out.push('}');
}

/// The exact JSON the server sends for member `index` (with memberships) at the default clock.
pub fn record_json(seed: u64, scale: &crate::Scale, index: u64) -> String {
    let mut s = String::with_capacity(3000);
    write_record(&Gen::new(seed, *scale), index, true, &mut s);
    s
}

pub(crate) fn list(g: &Gen, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let p = super::paging(req, EvoEntity::Members)?;
    let show = req.query.flag("showMemberships");
    let visible = members_tl(&g.scale).visible(g.now);
    if let Some(ids) = req.query.get_nonempty("idsMembers") {
        let mut idx: Vec<u64> = ids
            .split(',')
            .filter_map(|s| s.trim().parse::<u64>().ok())
            .filter(|id| *id >= 1 && *id <= visible)
            .map(|id| id - 1)
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let page: Vec<u64> = idx
            .into_iter()
            .skip(p.skip as usize)
            .take(p.take as usize)
            .collect();
        let mut out = String::from("[");
        for i in &page {
            write_record(g, *i, show, &mut out);
        }
        out.push(']');
        return Ok(Reply::ok(out, page.len() as u64));
    }
    let (from, to) = super::window(req, "registerDateStart", "registerDateEnd")?;
    let registered = members_tl(&g.scale).range(from, to, g.now);
    let filter = ContractFilter::from_req(req)?;
    if filter.is_none() {
        let range = super::page_range(registered, p);
        return Ok(super::write_array(range, malformed, 3000, |i, out| {
            write_record(g, i, show, out)
        }));
    }
    let page = super::filtered_page(registered, p, |i| filter.matches(g, i));
    Ok(super::write_array(page, malformed, 3000, |i, out| {
        write_record(g, i, show, out)
    }))
}

/// The members' contract filters: `membershipStartDateStart/End` keeps members with a contract
/// that started in the bounds, `membershipCancelDateStart/End` members with a contract
/// cancelled in them (both only as far as the clock); given together, both must hold, as any
/// two EVO filters combine.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContractFilter {
    /// Bounds on a contract's `startDate` (inclusive, either optional).
    pub start: Option<Bounds>,
    /// Bounds on a contract's `cancelDate`.
    pub cancel: Option<Bounds>,
}

impl ContractFilter {
    pub(crate) fn from_req(req: &Req) -> Result<Self, Reply> {
        let bounds = |a: &str, b: &str| -> Result<Option<Bounds>, Reply> {
            let w = super::window(req, a, b)?;
            Ok((w.0.is_some() || w.1.is_some()).then_some(w))
        };
        Ok(ContractFilter {
            start: bounds("membershipStartDateStart", "membershipStartDateEnd")?,
            cancel: bounds("membershipCancelDateStart", "membershipCancelDateEnd")?,
        })
    }

    /// No contract filter given.
    pub fn is_none(&self) -> bool {
        self.start.is_none() && self.cancel.is_none()
    }

    /// Whether member `i` passes at the generator's clock.
    pub fn matches(&self, g: &Gen, i: u64) -> bool {
        let (mut started, mut cancelled) = (self.start.is_none(), self.cancel.is_none());
        for c in visible_contracts(g, i) {
            if let Some(b) = self.start {
                started |= super::within(c.start, b);
            }
            if let (Some(b), Some(at)) = (self.cancel, c.cancel) {
                cancelled |= at <= g.now && super::within(at, b);
            }
            if started && cancelled {
                return true;
            }
        }
        false
    }
}

/// Ground truth: ids of the members registered in `registered` (inclusive bounds) that pass
/// `filter` at the generator's clock, in the order the API pages them.
pub fn ids_matching(g: &Gen, registered: Bounds, filter: &ContractFilter) -> Vec<u64> {
    members_tl(&g.scale)
        .range(registered.0, registered.1, g.now)
        .filter(|i| filter.is_none() || filter.matches(g, *i))
        .map(|i| i + 1)
        .collect()
}

/// Ground truth: member `id` exactly as the server sends it at the generator's clock (with
/// memberships), or `None` before it registers.
pub fn record_json_at(g: &Gen, id: u64) -> Option<String> {
    if id == 0 || id > members_tl(&g.scale).visible(g.now) {
        return None;
    }
    let mut s = String::with_capacity(3000);
    write_record(g, id - 1, true, &mut s);
    Some(s)
}

pub(crate) fn one(g: &Gen, id: &str) -> Result<Reply, Reply> {
    let id = super::path_id(id)?;
    if id > members_tl(&g.scale).visible(g.now) {
        return Err(crate::http::api_error(
            crate::http::Api::Evo,
            404,
            "not found",
        ));
    }
    let mut out = String::new();
    write_record(g, id - 1, true, &mut out);
    Ok(Reply::ok(out, 1))
}
