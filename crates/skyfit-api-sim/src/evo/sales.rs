//! EVO sales (`/api/v2/sales`, SalesViewModel) with `saleItens[]` and, with
//! `showReceivables=true`, `receivables[]`; plus `/api/v1/receivables`.
//!
//! Sale `j` (id `j + 1`) happens at `sales_tl.time_of(j)` and has `1 + j % 3` receivables, so
//! receivable numbering has a closed form (`receivables_before`) and the receivables endpoint
//! can page by index without scanning. A few sales are removed later (`removed`, `removalDate`),
//! visible once the clock passes the removal.

use crate::http::{Api, Reply, Req, api_error};
use crate::synth::names::PLANS;
use crate::synth::{Gen, History, Rng, json};

use super::catalog::employee;
use super::members::{core, member_before, membership_id};
use super::{Bounds, EvoEntity, TAG_SALE, sales_tl};

const PAYMENT: &[(u64, &str)] = &[
    (2, "Cartão de crédito"),
    (3, "Cartão de débito"),
    (18, "Pix"),
    (5, "Boleto"),
    (1, "Dinheiro"),
];

/// Receivables of sale `j`.
#[inline]
pub fn receivable_count(j: u64) -> u64 {
    1 + j % 3
}

/// Receivables of sales `0..j` (closed form of the sum of `1 + k % 3`).
#[inline]
pub fn receivables_before(j: u64) -> u64 {
    6 * (j / 3) + [0, 1, 3][(j % 3) as usize]
}

/// (sale, installment) of global receivable index `r`.
#[inline]
fn receivable_at(r: u64) -> (u64, u64) {
    let (b, o) = (r / 6, r % 6);
    match o {
        0 => (3 * b, 0),
        1 | 2 => (3 * b + 1, o - 1),
        _ => (3 * b + 2, o - 3),
    }
}

struct SaleCore {
    t: i64,
    member: Option<u64>,
    branch: u64,
    price: i64,
    plan: usize,
    payment: usize,
}

fn sale_core(g: &Gen, j: u64) -> SaleCore {
    let t = sales_tl(&g.scale).time_of(j);
    let mut r = Rng::new(g.seed, TAG_SALE, j);
    let member = member_before(g, &mut r, t);
    let branch = member.map_or_else(
        || r.below(g.scale.evo_branches.max(1)),
        |m| core(g, m).branch,
    );
    let plan = r.below(PLANS.len() as u64) as usize;
    let months = [1i64, 1, 3, 12][r.below(4) as usize];
    SaleCore {
        t,
        member,
        branch,
        price: PLANS[plan].1 * months,
        plan,
        payment: r.below(PAYMENT.len() as u64) as usize,
    }
}

/// How long after its sale a receivable can still change: the last instalment falls due 60
/// days after the sale and is paid up to 3 days later.
const RECEIVABLE_SETTLE: i64 = 64 * 86_400;
/// How long after its sale a sale can be removed ([`History`] draws up to a day plus
/// `SALE_EDIT_DELAY`).
const SALE_EDIT_DELAY: i64 = 90 * 86_400;

/// The status history of one receivable. Its draws come first and in a fixed order, so the
/// clock only decides which events are visible: open at the sale, overdue at `due` (unless
/// paid by then), paid at `pay_at`, or cancelled at `due`; `updateDate` is the last visible
/// status change.
struct ReceivableState {
    due: i64,
    paid: bool,
    pay_at: i64,
    canceled: bool,
    update: i64,
}

fn receivable_state(g: &Gen, j: u64, k: u64, sale_t: i64) -> (ReceivableState, Rng) {
    let mut r = Rng::new(g.seed, TAG_SALE ^ 0x4EC, receivables_before(j) + k);
    let due = sale_t + k as i64 * 30 * 86_400;
    let pays = r.pct(92);
    let cancels = !pays && r.pct(5);
    let pay_at = due + r.below(3 * 86_400) as i64;
    let paid = pays && pay_at <= g.now;
    let canceled = cancels && due <= g.now;
    let update = if paid {
        pay_at
    } else if canceled || due < g.now {
        // Cancellation, or the flip to overdue.
        due.max(sale_t)
    } else {
        sale_t
    };
    (
        ReceivableState {
            due,
            paid,
            pay_at,
            canceled,
            update,
        },
        r,
    )
}

fn write_receivable(g: &Gen, j: u64, k: u64, s: &SaleCore, out: &mut String) {
    let n = receivable_count(j);
    let (st, mut r) = receivable_state(g, j, k, s.t);
    let (due, paid, canceled) = (st.due, st.paid, st.canceled);
    let amount = s.price / n as i64;
    let (status_id, status_name) = if paid {
        (2, "Recebido")
    } else if canceled {
        (3, "Cancelado")
    } else if due < g.now {
        (4, "Em atraso")
    } else {
        (1, "Em aberto")
    };
    let (pay_id, pay_name) = PAYMENT[s.payment];
    let authorization = r.below(1_000_000);
    let conciliated = r.pct(80);
    let nsu = r.below(1_000_000_000);
    let flag = ["Visa", "Mastercard", "Elo"][r.below(3) as usize];
    json::open(out);
    json::u(out, "idReceivable", receivables_before(j) + k + 1);
    json::s(out, "description", &format!("Parcela {}/{}", k + 1, n));
    json::dt(out, "registrationDate", s.t);
    json::dt(out, "dueDate", due);
    json::odt(out, "receivingDate", paid.then_some(st.pay_at));
    json::dt(out, "competenceDate", due - due.rem_euclid(86_400));
    json::odt(out, "cancellationDate", canceled.then_some(due));
    json::money(out, "ammount", amount);
    json::money(out, "ammountPaid", if paid { amount } else { 0 });
    json::raw(
        out,
        "status",
        &format!("{{\"id\":{status_id},\"name\":\"{status_name}\"}}"),
    );
    json::u(out, "currentInstallment", k + 1);
    json::u(out, "totalInstallments", n);
    json::s(
        out,
        "authorization",
        &if pay_id == 2 {
            format!("{authorization:06}")
        } else {
            String::new()
        },
    );
    json::s(
        out,
        "payerName",
        &s.member
            .map(|m| {
                let c = core(g, m);
                format!("{} {}", c.first, c.last)
            })
            .unwrap_or_default(),
    );
    json::ou(out, "idMemberPayer", s.member.map(|m| m + 1));
    json::ou(out, "idProspectPayer", None);
    json::u(out, "idBranchMember", s.branch + 1);
    json::u(out, "idSale", j + 1);
    json::raw(
        out,
        "bankAccount",
        "{\"id\":1,\"name\":\"Conta Principal\"}",
    );
    json::raw(
        out,
        "paymentType",
        &format!("{{\"id\":{pay_id},\"name\":\"{pay_name}\"}}"),
    );
    json::raw(out, "invoiceDetails", "[]");
    json::money(out, "fees", if pay_id == 2 { amount * 3 / 100 } else { 0 });
    json::b(out, "conciliated", paid && conciliated);
    json::null(out, "logTef");
    json::s(out, "tid", "");
    json::s(
        out,
        "nsu",
        &if paid { nsu.to_string() } else { String::new() },
    );
    json::dt(out, "updateDate", st.update);
    json::odt(out, "chargeDate", paid.then_some(due));
    json::ou(out, "idReceivableFrom", None);
    json::os(out, "cardAcquirer", (pay_id == 2).then_some("Cielo"));
    json::os(out, "cardFlag", (pay_id == 2).then_some(flag));
    json::raw(out, "creditDetails", "[]");
    json::os(out, "cancellationDescription", None);
    json::s(out, "source", "Venda");
    json::dt(out, "saleDate", s.t);
    out.push('}');
}

/// Writes sale `j` exactly as the server sends it.
pub fn write_record(g: &Gen, j: u64, show_receivables: bool, out: &mut String) {
    let s = sale_core(g, j);
    let mut r = Rng::new(g.seed, TAG_SALE ^ 0x5A1E, j);
    let h = History::compute(r.next_u64(), s.t, g.now, 20, SALE_EDIT_DELAY);
    let emp = r.below(g.scale.evo_employees.max(1));
    let (emp_name, _) = employee(g.seed, g.scale.evo_branches, emp);
    let (plan, monthly) = PLANS[s.plan];
    json::open(out);
    json::u(out, "idSale", j + 1);
    json::ou(out, "idMember", s.member.map(|m| m + 1));
    json::ou(out, "idProspect", None);
    json::u(out, "idEmployee", emp + 1);
    json::u(out, "idEmployeeSale", emp + 1);
    json::s(out, "nameEmployeeSale", &emp_name);
    json::ou(out, "idPersonal", None);
    json::u(out, "idBranch", s.branch + 1);
    json::dt(out, "saleDate", s.t);
    json::key(out, "saleDateServer");
    out.push('"');
    crate::synth::time::push_naive(out, s.t + 3);
    out.push_str(".487");
    out.push('"');
    json::s(out, "corporatePartnershipName", "");
    json::ou(out, "coporatePartnershipId", None);
    json::b(out, "removed", h.deleted.is_some());
    json::ou(out, "idEmployeeRemoval", h.deleted.map(|_| emp + 1));
    json::odt(out, "removalDate", h.deleted);
    json::s(
        out,
        "observations",
        if r.pct(10) {
            "Venda realizada no balcão"
        } else {
            ""
        },
    );
    json::ou(out, "idSaleRecurrency", r.pct(40).then_some(j + 1));
    json::u(out, "saleSource", r.below(4) + 1);
    json::os(out, "idSaleMigration", None);
    json::dt(out, "updateDate", h.updated);
    json::open_arr(out, "saleItens");
    json::open(out);
    json::u(out, "idSaleItem", (j + 1) * 4);
    json::s(out, "description", plan);
    json::s(out, "item", plan);
    json::money(out, "itemValue", monthly);
    json::money(out, "saleValue", s.price);
    json::money(out, "saleValueWithoutCreditValue", s.price);
    json::u(out, "quantity", 1);
    json::u(out, "idMembership", s.plan as u64 + 1);
    json::u(out, "idMembershipRenewed", 0);
    json::u(out, "numMembers", 1);
    json::ou(out, "idProduct", None);
    json::ou(out, "idService", None);
    json::os(out, "corporatePartnershipName", None);
    json::ou(out, "coporatePartnershipId", None);
    json::dt(out, "membershipStartDate", s.t);
    json::money(out, "discount", 0);
    json::money(out, "corporateDiscount", 0);
    json::money(out, "tax", 0);
    json::os(out, "voucher", None);
    json::s(out, "accountingCode", "");
    json::s(out, "municipalServiceCode", "");
    json::b(out, "flReceiptOnly", false);
    json::os(out, "idSaleItemMigration", None);
    json::b(out, "flSwimming", false);
    json::b(out, "flAllowLocker", false);
    json::ou(
        out,
        "idMemberMembership",
        s.member.map(|m| membership_id(m, 0)),
    );
    json::money(out, "valueNextMonth", monthly);
    out.push('}');
    out.push(']');
    if show_receivables {
        json::open_arr(out, "receivables");
        for k in 0..receivable_count(j) {
            write_receivable(g, j, k, &s, out);
        }
        out.push(']');
    }
    out.push('}');
}

/// The exact JSON the server sends for sale `index` (with receivables) at the default clock.
pub fn record_json(seed: u64, scale: &crate::Scale, index: u64) -> String {
    let mut s = String::with_capacity(3000);
    write_record(&Gen::new(seed, *scale), index, true, &mut s);
    s
}

/// Sale `j`'s edit history at the generator's clock (removal included).
fn sale_history(g: &Gen, j: u64) -> History {
    let t = sales_tl(&g.scale).time_of(j);
    let mut r = Rng::new(g.seed, TAG_SALE ^ 0x5A1E, j);
    History::compute(r.next_u64(), t, g.now, 20, SALE_EDIT_DELAY)
}

/// The sales filters, all inclusive bounds and all optional; given together, all must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct SaleFilter {
    /// `dateSaleStart/End`.
    pub sale_date: Bounds,
    /// `removalDateStart/End`: removed sales whose removal is in the bounds.
    pub removal: Option<Bounds>,
    /// `receivablesRegistrationDateStart/End`: sales with a receivable registered in the bounds.
    /// The simulator registers every receivable with its sale, so this is the sale's date.
    pub receivables_registration: Bounds,
}

impl SaleFilter {
    fn from_req(req: &Req) -> Result<Self, Reply> {
        let removal = super::window(req, "removalDateStart", "removalDateEnd")?;
        Ok(SaleFilter {
            sale_date: super::window(req, "dateSaleStart", "dateSaleEnd")?,
            removal: (removal.0.is_some() || removal.1.is_some()).then_some(removal),
            receivables_registration: super::window(
                req,
                "receivablesRegistrationDateStart",
                "receivablesRegistrationDateEnd",
            )?,
        })
    }

    /// Sale indexes that can pass, by date arithmetic; a removal bound narrows them to the
    /// sales created at most a removal delay before it.
    fn candidates(&self, g: &Gen) -> std::ops::Range<u64> {
        let tl = sales_tl(&g.scale);
        let (a, b) = self.sale_date;
        let (c, d) = self.receivables_registration;
        let mut range = super::intersect(tl.range(a, b, g.now), tl.range(c, d, g.now));
        if let Some((from, to)) = self.removal {
            let earliest = from.map(|f| f - SALE_EDIT_DELAY - 86_400);
            range = super::intersect(range, tl.range(earliest, to, g.now));
        }
        range
    }

    fn matches(&self, g: &Gen, j: u64) -> bool {
        match self.removal {
            None => true,
            Some(b) => sale_history(g, j)
                .deleted
                .is_some_and(|at| super::within(at, b)),
        }
    }
}

/// Ground truth: ids of the sales that pass `filter` at the generator's clock, in page order.
pub fn ids_matching(g: &Gen, filter: &SaleFilter) -> Vec<u64> {
    filter
        .candidates(g)
        .filter(|j| filter.matches(g, *j))
        .map(|j| j + 1)
        .collect()
}

/// Ground truth: sale `id` (with receivables) exactly as the server sends it at the
/// generator's clock, or `None` before it happens.
pub fn record_json_at(g: &Gen, id: u64) -> Option<String> {
    if id == 0 || id > sales_tl(&g.scale).visible(g.now) {
        return None;
    }
    let mut s = String::with_capacity(3000);
    write_record(g, id - 1, true, &mut s);
    Some(s)
}

pub(crate) fn list(g: &Gen, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let p = super::paging(req, EvoEntity::Sales)?;
    let show = req.query.flag("showReceivables");
    let filter = SaleFilter::from_req(req)?;
    let per = if show { 2500 } else { 1400 };
    let write = |j, out: &mut String| write_record(g, j, show, out);
    if filter.removal.is_none() {
        let range = super::page_range(filter.candidates(g), p);
        return Ok(super::write_array(range, malformed, per, write));
    }
    let page = super::filtered_page(filter.candidates(g), p, |j| filter.matches(g, j));
    Ok(super::write_array(page, malformed, per, write))
}

pub(crate) fn one(g: &Gen, req: &Req, id: &str) -> Result<Reply, Reply> {
    let id = super::path_id(id)?;
    if id > sales_tl(&g.scale).visible(g.now) {
        return Err(api_error(Api::Evo, 404, "not found"));
    }
    let mut out = String::new();
    write_record(
        g,
        id - 1,
        req.query.flag("showReceivables") || req.path.starts_with("/api/v1/"),
        &mut out,
    );
    Ok(Reply::ok(out, 1))
}

/// Receivable index range for a sale index range.
pub(crate) fn receivable_range(sales: std::ops::Range<u64>) -> std::ops::Range<u64> {
    receivables_before(sales.start)..receivables_before(sales.end)
}

/// The receivables filters used here: `registrationDateStart/End` (the sale's date) and
/// `updateDateStart/End` (the last status change), inclusive and optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceivableFilter {
    pub registration: Bounds,
    pub update: Option<Bounds>,
    /// `idReceivable`: that one receivable.
    pub id: Option<u64>,
    /// `idSale`: the receivables of that sale.
    pub sale: Option<u64>,
}

impl ReceivableFilter {
    fn from_req(req: &Req) -> Result<Self, Reply> {
        let update = super::window(req, "updateDateStart", "updateDateEnd")?;
        let id = |name: &str| {
            req.query
                .uint(name)
                .map_err(|v| super::bad(&format!("The value '{v}' is not valid for {name}.")))
        };
        Ok(ReceivableFilter {
            registration: super::window(req, "registrationDateStart", "registrationDateEnd")?,
            update: (update.0.is_some() || update.1.is_some()).then_some(update),
            id: id("idReceivable")?,
            sale: id("idSale")?,
        })
    }

    /// Global receivable indexes that can pass: those of the sales in the registration bounds
    /// and, with an update bound, of the sales recent enough to still change in it.
    fn candidates(&self, g: &Gen) -> std::ops::Range<u64> {
        let tl = sales_tl(&g.scale);
        let (a, b) = self.registration;
        let mut sales = tl.range(a, b, g.now);
        if let Some((from, to)) = self.update {
            let earliest = from.map(|f| f - RECEIVABLE_SETTLE);
            sales = super::intersect(sales, tl.range(earliest, to, g.now));
        }
        // The id filters narrow the same range, so they combine with the date filters as any
        // two EVO filters do.
        if let Some(sale) = self.sale {
            sales = super::intersect(sales, sale.saturating_sub(1)..sale);
        }
        let mut range = receivable_range(sales);
        if let Some(id) = self.id {
            range = super::intersect(range, id.saturating_sub(1)..id);
        }
        range
    }

    fn matches(&self, g: &Gen, ri: u64) -> bool {
        let Some(b) = self.update else { return true };
        let (j, k) = receivable_at(ri);
        let t = sales_tl(&g.scale).time_of(j);
        super::within(receivable_state(g, j, k, t).0.update, b)
    }
}

/// Ground truth: ids of the receivables that pass `filter` at the generator's clock, in page
/// order.
pub fn receivable_ids_matching(g: &Gen, filter: &ReceivableFilter) -> Vec<u64> {
    filter
        .candidates(g)
        .filter(|ri| filter.matches(g, *ri))
        .map(|ri| ri + 1)
        .collect()
}

/// Ground truth: receivable `id` exactly as `/api/v1/receivables` sends it at the generator's
/// clock, or `None` before its sale happens.
pub fn receivable_json_at(g: &Gen, id: u64) -> Option<String> {
    let ri = id.checked_sub(1)?;
    let (j, k) = receivable_at(ri);
    if j >= sales_tl(&g.scale).visible(g.now) {
        return None;
    }
    let mut out = String::with_capacity(1100);
    write_receivable(g, j, k, &sale_core(g, j), &mut out);
    Some(out)
}

pub(crate) fn list_receivables(g: &Gen, req: &Req, malformed: Option<u64>) -> Result<Reply, Reply> {
    let p = super::paging(req, EvoEntity::Receivables)?;
    let filter = ReceivableFilter::from_req(req)?;
    let write = |ri, out: &mut String| {
        let (j, k) = receivable_at(ri);
        let s = sale_core(g, j);
        write_receivable(g, j, k, &s, out);
    };
    if filter.update.is_none() {
        let range = super::page_range(filter.candidates(g), p);
        return Ok(super::write_array(range, malformed, 1100, write));
    }
    let page = super::filtered_page(filter.candidates(g), p, |ri| filter.matches(g, ri));
    Ok(super::write_array(page, malformed, 1100, write))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivable_numbering_is_consistent() {
        let mut r = 0;
        for j in 0..30 {
            assert_eq!(receivables_before(j), r);
            for k in 0..receivable_count(j) {
                assert_eq!(receivable_at(r), (j, k));
                r += 1;
            }
        }
    }
}
