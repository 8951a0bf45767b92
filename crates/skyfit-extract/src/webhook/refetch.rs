//! Pending callbacks → windows of the next EVO extraction, and back to `processed/` once the
//! records are durable.
//!
//! Each entity's callbacks become windows filtered by record id (members `idsMembers` in CSV
//! batches of one page, receivables `idReceivable`, prospects `idProspect`, sales one
//! `GET /api/v2/sales/{idSale}` each), ids prefixed `webhook:` so the manifest and `--resume`
//! keep them apart from the date windows. A window's callbacks are moved only when the
//! entity's manifest lists that window complete; a sale window complete without a record
//! answered 404 (the sale no longer exists) and its callbacks are settled with that reason.

use std::collections::BTreeMap;

use skyfit_core::{RunId, Source};
use skyfit_lake::{EntityKey, LakeStore, RunRef, WindowStatus};

use super::{Pending, WebhookError, list_pending, mark_processed};
use crate::engine::WindowSpec;
use crate::sources::EntityPlan;

/// Window id prefix of the re-fetch windows.
pub const WINDOW_PREFIX: &str = "webhook:";

/// Member ids per `idsMembers` request: one page of `/api/v2/members` (`take` maximum 50).
const MEMBERS_PER_BATCH: usize = 50;

/// Why a sale callback is settled without a record.
const SALE_NOT_FOUND: &str =
    "sale not found by id (HTTP 404): it no longer exists; the removal feed flags removed sales";

/// How the records of an entity are asked for by id. Each mode names its parameter once, so
/// an entity cannot fall into another mode by a misspelt name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refetch {
    /// `GET /api/v2/members?idsMembers=a,b,…`: up to `per_window` ids in one CSV parameter.
    MembersById { per_window: usize },
    /// One id per request in the named query parameter (`idReceivable`, `idProspect`).
    ByQueryParam(&'static str),
    /// `GET /api/v2/sales/{idSale}`: EVO filters sales by id only through the path; one sale
    /// per request, and a complete window without a record means HTTP 404.
    SaleByPath,
}

impl Refetch {
    /// The name in window ids (`webhook:{label}:…`), as manifests and `--resume` know them.
    pub fn label(self) -> &'static str {
        match self {
            Refetch::MembersById { .. } => "idsMembers",
            Refetch::ByQueryParam(param) => param,
            Refetch::SaleByPath => "idSale",
        }
    }

    /// Record ids per window.
    pub fn per_window(self) -> usize {
        match self {
            Refetch::MembersById { per_window } => per_window.max(1),
            Refetch::ByQueryParam(_) | Refetch::SaleByPath => 1,
        }
    }

    /// The window that re-fetches `ids` (sorted, at most [`Refetch::per_window`]) of the
    /// entity at `entity_path`; `None` for no ids.
    fn window(self, entity_path: &str, ids: &[u64]) -> Option<WindowSpec> {
        let (&first, &last) = (ids.first()?, ids.last()?);
        let csv = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let label = self.label();
        let id = if self.per_window() == 1 {
            format!("{WINDOW_PREFIX}{label}:{first}")
        } else {
            format!("{WINDOW_PREFIX}{label}:{:016x}", fnv64(&csv))
        };
        let (query, by_id) = match self {
            Refetch::MembersById { .. } | Refetch::ByQueryParam(_) => {
                (vec![(label.to_string(), csv)], None)
            }
            Refetch::SaleByPath => (Vec::new(), Some(format!("{entity_path}/{first}"))),
        };
        Some(WindowSpec {
            id,
            range: Some((first.to_string(), last.to_string())),
            query,
            span: None,
            first_token: None,
            split_params: None,
            by_id,
        })
    }
}

/// Where the records of an event type are re-fetched: `(entity, mode)`, or why not.
pub fn target(event_type: &str) -> Result<(&'static str, Refetch), &'static str> {
    match event_type {
        "AlterMember" | "CreateMember" | "CreateMembership" | "AlterMembership" | "Freeze"
        | "TransferMember" => Ok((
            "members",
            Refetch::MembersById {
                per_window: MEMBERS_PER_BATCH,
            },
        )),
        "AlterReceivables" | "ClearedDebt" => {
            Ok(("receivables", Refetch::ByQueryParam("idReceivable")))
        }
        "TransferProspect" => Ok(("prospects", Refetch::ByQueryParam("idProspect"))),
        "NewSale" | "RecurrentSale" | "SalesItensUpdated" => Ok(("sales", Refetch::SaleByPath)),
        _ => Err("no entity of this extractor holds the records of this event type"),
    }
}

/// Callbacks left pending by a run, grouped by event type and reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeftPending {
    pub event_type: String,
    pub callbacks: u64,
    pub reason: String,
}

/// What a run did with the pending webhook callbacks (part of the run summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookReport {
    /// Callbacks pending when the run started.
    pub pending: u64,
    /// Callbacks whose records the run re-fetched and that moved to `processed/`.
    pub processed: u64,
    /// Distinct record ids re-fetched, per entity.
    pub refetched_ids: BTreeMap<String, u64>,
    /// Callbacks still pending after the run, and why.
    pub left_pending: Vec<LeftPending>,
    /// Callbacks settled (moved to `processed/`, counted in `processed`) without a record,
    /// and why: a sale asked for by id that answered 404.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settled_without_record: Vec<LeftPending>,
}

impl WebhookReport {
    /// Lines for the terminal summary.
    pub fn render(&self) -> String {
        let mut out = format!(
            "webhooks: {} pending at start, {} re-fetched and processed",
            self.pending, self.processed
        );
        for (entity, n) in &self.refetched_ids {
            out.push_str(&format!(", {n} {entity}"));
        }
        out.push('\n');
        for l in &self.settled_without_record {
            out.push_str(&format!(
                "webhooks settled without a record: {} {}: {}\n",
                l.callbacks, l.event_type, l.reason
            ));
        }
        for l in &self.left_pending {
            out.push_str(&format!(
                "webhooks left pending: {} {}: {}\n",
                l.callbacks, l.event_type, l.reason
            ));
        }
        out
    }
}

/// One re-fetch window and the callbacks it answers.
#[derive(Debug, Clone)]
struct Attached {
    window: String,
    callbacks: Vec<Pending>,
    /// Fetched on a path of its own: complete without a record means HTTP 404.
    by_id: bool,
}

/// The pending callbacks of one EVO extraction, from planning to settling.
#[derive(Debug, Default)]
pub struct WebhookWindows {
    /// Callbacks with a target: entity → (mode, record id → callbacks).
    by_entity: BTreeMap<&'static str, (Refetch, BTreeMap<u64, Vec<Pending>>)>,
    /// Windows added to the plans, by entity.
    attached: BTreeMap<String, Vec<Attached>>,
    report: WebhookReport,
    /// `(event type, reason)` → callbacks; becomes `report.left_pending`.
    left: BTreeMap<(String, String), u64>,
    /// `(event type, reason)` → callbacks; becomes `report.settled_without_record`.
    settled: BTreeMap<(String, String), u64>,
}

fn fnv64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl WebhookWindows {
    /// The pending callbacks; `None` when there are none (nothing to add or report).
    pub async fn load(lake: &LakeStore) -> Result<Option<WebhookWindows>, WebhookError> {
        let (pending, unreadable) = list_pending(lake).await?;
        if pending.is_empty() && unreadable.is_empty() {
            return Ok(None);
        }
        let mut w = WebhookWindows::default();
        w.report.pending = (pending.len() + unreadable.len()) as u64;
        for error in unreadable {
            tracing::warn!(%error, "Webhook callback left pending: unreadable.");
            *w.left
                .entry(("?".into(), "unreadable callback object".into()))
                .or_default() += 1;
        }
        for p in pending {
            let event = p.stored.callback.event_type.clone();
            match target(&event) {
                Ok((entity, mode)) => w
                    .by_entity
                    .entry(entity)
                    .or_insert_with(|| (mode, BTreeMap::new()))
                    .1
                    .entry(p.stored.callback.id_record)
                    .or_default()
                    .push(p),
                Err(reason) => *w.left.entry((event, reason.to_string())).or_default() += 1,
            }
        }
        Ok(Some(w))
    }

    /// Adds the re-fetch windows to the EVO plans of the entities that have callbacks.
    pub fn attach(&mut self, plans: &mut [EntityPlan]) {
        for plan in plans.iter_mut() {
            if plan.key.source() != Source::Evo {
                continue;
            }
            let entity = plan.key.entity().to_string();
            let Some((mode, ids)) = self.by_entity.remove(entity.as_str()) else {
                continue;
            };
            let ids: Vec<(u64, Vec<Pending>)> = ids.into_iter().collect();
            let mut attached = Vec::new();
            for chunk in ids.chunks(mode.per_window()) {
                let chunk_ids: Vec<u64> = chunk.iter().map(|(id, _)| *id).collect();
                let Some(window) = mode.window(&plan.spec.path, &chunk_ids) else {
                    continue;
                };
                attached.push(Attached {
                    window: window.id.clone(),
                    callbacks: chunk.iter().flat_map(|(_, c)| c.iter().cloned()).collect(),
                    by_id: mode == Refetch::SaleByPath,
                });
                plan.windows.push(window);
            }
            tracing::info!(
                entity = %entity, ids = ids.len(), windows = attached.len(),
                "Webhook callbacks re-fetched by id in this run."
            );
            *self.report.refetched_ids.entry(entity.clone()).or_default() += ids.len() as u64;
            self.attached.insert(entity, attached);
        }
        // Entities with callbacks that this run does not extract keep them for a later run.
        for (entity, (_, ids)) in std::mem::take(&mut self.by_entity) {
            for p in ids.into_values().flatten() {
                *self
                    .left
                    .entry((
                        p.stored.callback.event_type,
                        format!("{entity} not extracted in this run"),
                    ))
                    .or_default() += 1;
            }
        }
    }

    /// After `key`'s run: moves the callbacks of every re-fetch window its manifest lists as
    /// complete to `processed/<run_id>/`; the others stay pending.
    pub async fn settle(
        &mut self,
        lake: &LakeStore,
        key: &EntityKey,
        run_id: &RunId,
    ) -> Result<(), WebhookError> {
        let Some(attached) = self.attached.remove(key.entity()) else {
            return Ok(());
        };
        let manifest = lake
            .read_manifest(&RunRef::new(key.clone(), run_id.clone()))
            .await
            .ok()
            .flatten();
        for a in attached {
            let window = manifest
                .as_ref()
                .and_then(|m| m.window(&a.window))
                .filter(|w| w.status == WindowStatus::Complete);
            let Some(window) = window else {
                for p in a.callbacks {
                    *self
                        .left
                        .entry((
                            p.stored.callback.event_type,
                            format!("window {} not complete", a.window),
                        ))
                        .or_default() += 1;
                }
                continue;
            };
            let gone = a.by_id && window.records == 0 && window.rejects == 0;
            let note = gone.then_some(SALE_NOT_FOUND);
            for p in &a.callbacks {
                mark_processed(lake, p, run_id, &a.window, note).await?;
                self.report.processed += 1;
                if let Some(reason) = note {
                    *self
                        .settled
                        .entry((p.stored.callback.event_type.clone(), reason.to_string()))
                        .or_default() += 1;
                }
            }
        }
        Ok(())
    }

    /// The report, once every entity is settled.
    pub fn finish(mut self) -> WebhookReport {
        for ((event, reason), n) in std::mem::take(&mut self.settled) {
            tracing::warn!(event = %event, callbacks = n, %reason, "Webhook callbacks settled without a record.");
            self.report.settled_without_record.push(LeftPending {
                event_type: event,
                callbacks: n,
                reason,
            });
        }
        for ((event, reason), n) in std::mem::take(&mut self.left) {
            tracing::warn!(event = %event, callbacks = n, %reason, "Webhook callbacks left pending.");
            self.report.left_pending.push(LeftPending {
                event_type: event,
                callbacks: n,
                reason,
            });
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::webhook::EVENT_TYPES;

    const MEMBERS: Option<(&str, Refetch)> = Some((
        "members",
        Refetch::MembersById {
            per_window: MEMBERS_PER_BATCH,
        },
    ));
    const RECEIVABLES: Option<(&str, Refetch)> =
        Some(("receivables", Refetch::ByQueryParam("idReceivable")));
    const SALES: Option<(&str, Refetch)> = Some(("sales", Refetch::SaleByPath));

    /// Every documented event type and where its records are re-fetched (docs/operations.md,
    /// "EVO webhooks"); `None`: no extracted entity holds them, the callback stays pending.
    const INTENDED: &[(&str, Option<(&str, Refetch)>)] = &[
        ("NewSale", SALES),
        ("CreateMember", MEMBERS),
        ("AlterMember", MEMBERS),
        ("EndedSessionActivity", None),
        ("ClearedDebt", RECEIVABLES),
        ("AlterReceivables", RECEIVABLES),
        ("Freeze", MEMBERS),
        ("RecurrentSale", SALES),
        ("entries", None),
        ("ActivityEnroll", None),
        ("SalesItensUpdated", SALES),
        ("CreateMembership", MEMBERS),
        ("AlterMembership", MEMBERS),
        ("CreateService", None),
        ("AlterService", None),
        ("CreateProduct", None),
        ("AlterProduct", None),
        ("TransferMember", MEMBERS),
        (
            "TransferProspect",
            Some(("prospects", Refetch::ByQueryParam("idProspect"))),
        ),
        ("NewInvoice", None),
        ("CancelInvoice", None),
    ];

    #[test]
    fn every_documented_event_type_maps_to_its_intended_entity_and_mode() {
        let listed: BTreeSet<&str> = INTENDED.iter().map(|(e, _)| *e).collect();
        let documented: BTreeSet<&str> = EVENT_TYPES.iter().copied().collect();
        assert_eq!(listed, documented, "the table covers every documented type");
        for (event, want) in INTENDED {
            assert_eq!(target(event).ok(), *want, "{event}");
        }
    }

    #[test]
    fn each_mode_asks_for_its_ids_the_way_evo_filters_them() {
        let members = MEMBERS.map(|(_, m)| m).expect("members");
        assert_eq!(members.per_window(), 50);
        let w = members
            .window("/api/v2/members", &[3, 8, 21])
            .expect("a window");
        assert_eq!(w.query, [("idsMembers".to_string(), "3,8,21".to_string())]);
        assert_eq!((w.by_id, w.range), (None, Some(("3".into(), "21".into()))));
        assert!(w.id.starts_with("webhook:idsMembers:"), "{}", w.id);

        let receivables = Refetch::ByQueryParam("idReceivable");
        assert_eq!(receivables.per_window(), 1);
        let w = receivables
            .window("/api/v2/receivables", &[9])
            .expect("a window");
        assert_eq!(w.id, "webhook:idReceivable:9");
        assert_eq!(w.query, [("idReceivable".to_string(), "9".to_string())]);
        assert_eq!(w.by_id, None);

        let sales = Refetch::SaleByPath;
        assert_eq!(sales.per_window(), 1);
        let w = sales.window("/api/v2/sales", &[7]).expect("a window");
        assert_eq!(w.id, "webhook:idSale:7");
        assert!(w.query.is_empty(), "{:?}", w.query);
        assert_eq!(w.by_id.as_deref(), Some("/api/v2/sales/7"));

        assert!(sales.window("/api/v2/sales", &[]).is_none());
    }
}
