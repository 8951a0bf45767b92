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

/// The "filter" of sales: the id goes in the path, one sale object per request.
const BY_SALE_PATH: &str = "idSale";

/// Why a sale callback is settled without a record.
const SALE_NOT_FOUND: &str =
    "sale not found by id (HTTP 404): it no longer exists; the removal feed flags removed sales";

/// Where the records of an event type are re-fetched: `(entity, id filter)`, or why not.
pub fn target(event_type: &str) -> Result<(&'static str, &'static str), &'static str> {
    match event_type {
        "AlterMember" | "CreateMember" | "CreateMembership" | "AlterMembership" | "Freeze"
        | "TransferMember" => Ok(("members", "idsMembers")),
        "AlterReceivables" | "ClearedDebt" => Ok(("receivables", "idReceivable")),
        "TransferProspect" => Ok(("prospects", "idProspect")),
        // EVO filters sales by id only through the path `GET /api/v2/sales/{idSale}`.
        "NewSale" | "RecurrentSale" | "SalesItensUpdated" => Ok(("sales", BY_SALE_PATH)),
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
    /// Callbacks with a target: entity → (id filter, record id → callbacks).
    by_entity: BTreeMap<&'static str, (&'static str, BTreeMap<u64, Vec<Pending>>)>,
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
                Ok((entity, param)) => w
                    .by_entity
                    .entry(entity)
                    .or_insert_with(|| (param, BTreeMap::new()))
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
            let Some((param, ids)) = self.by_entity.remove(entity.as_str()) else {
                continue;
            };
            let ids: Vec<(u64, Vec<Pending>)> = ids.into_iter().collect();
            let by_id = param == BY_SALE_PATH;
            let batch = if param == "idsMembers" {
                MEMBERS_PER_BATCH
            } else {
                1
            };
            let mut attached = Vec::new();
            for chunk in ids.chunks(batch) {
                let csv = chunk
                    .iter()
                    .map(|(id, _)| id.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                let (first, last) = (chunk[0].0, chunk[chunk.len() - 1].0);
                let id = if batch == 1 {
                    format!("{WINDOW_PREFIX}{param}:{first}")
                } else {
                    format!("{WINDOW_PREFIX}{param}:{:016x}", fnv64(&csv))
                };
                let (query, path) = if by_id {
                    (Vec::new(), Some(format!("{}/{first}", plan.spec.path)))
                } else {
                    (vec![(param.to_string(), csv)], None)
                };
                plan.windows.push(WindowSpec {
                    id: id.clone(),
                    range: Some((first.to_string(), last.to_string())),
                    query,
                    span: None,
                    first_token: None,
                    split_params: None,
                    by_id: path,
                });
                attached.push(Attached {
                    window: id,
                    callbacks: chunk.iter().flat_map(|(_, c)| c.iter().cloned()).collect(),
                    by_id,
                });
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
