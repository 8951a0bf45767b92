//! EVO webhooks, the optional push path (docs/operations.md#evo-webhooks-optional).
//!
//! EVO calls a registered URL with `{IdW12, IdBranch, IdRecord, EventType}` when a record
//! changes. [`server`] receives those callbacks and stores each one in the lake under
//! `webhooks/evo/pending/` before it answers 2xx; [`refetch`] turns the pending callbacks into
//! extra windows of the next EVO extraction (members by `idsMembers`, receivables by
//! `idReceivable`, prospects by `idProspect`, sales by `GET /api/v2/sales/{idSale}`) and, once the entity's run and manifest are
//! durable, moves them to `webhooks/evo/processed/<run_id>/`.
//!
//! Constraints:
//! - A callback is acknowledged only after its object exists in the lake (one atomic put), so
//!   a receiver killed at any moment loses nothing it acknowledged; EVO retries the rest.
//! - A callback leaves `pending/` only after the records it names are in a complete manifest;
//!   callbacks no window fetches (event types without an id filter, entities not in the run,
//!   a failed run) stay pending and are reported in the run summary.
//! - Everything lives outside `bronze/`, so bronze readers never see it.

pub mod refetch;
pub mod server;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Deserializer, Serialize};
use skyfit_core::RunId;
use skyfit_lake::LakeStore;

pub use refetch::{WebhookReport, WebhookWindows};
pub use server::{ServeOptions, WebhookStats, router, serve};

/// Lake prefix of callbacks not yet re-fetched.
pub const PENDING: &str = "webhooks/evo/pending";
/// Lake prefix of callbacks whose records a complete run re-fetched (`<run_id>/<name>`).
pub const PROCESSED: &str = "webhooks/evo/processed";

/// The event types EVO documents for its webhooks (../shared/api/FACTS.md §1.3); any other
/// `EventType` is refused as an unknown shape.
pub const EVENT_TYPES: &[&str] = &[
    "NewSale",
    "CreateMember",
    "AlterMember",
    "EndedSessionActivity",
    "ClearedDebt",
    "AlterReceivables",
    "Freeze",
    "RecurrentSale",
    "entries",
    "ActivityEnroll",
    "SalesItensUpdated",
    "CreateMembership",
    "AlterMembership",
    "CreateService",
    "AlterService",
    "CreateProduct",
    "AlterProduct",
    "TransferMember",
    "TransferProspect",
    "NewInvoice",
    "CancelInvoice",
];

/// Errors of the webhook path.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook store {op} {path}: {source}")]
    Store {
        op: &'static str,
        path: String,
        #[source]
        source: object_store::Error,
    },
    #[error("webhook callback {path} could not be encoded: {source}")]
    Encode {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("webhook callback {path} is not a stored callback: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("webhook receiver on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

/// One EVO callback as EVO sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    #[serde(rename = "IdW12", deserialize_with = "id")]
    pub id_w12: u64,
    #[serde(rename = "IdBranch", deserialize_with = "id")]
    pub id_branch: u64,
    #[serde(rename = "IdRecord", deserialize_with = "id")]
    pub id_record: u64,
    #[serde(rename = "EventType")]
    pub event_type: String,
}

/// An id sent as a JSON number or as a string of digits.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(u64),
        S(String),
    }
    match Raw::deserialize(d)? {
        Raw::N(n) => Ok(n),
        Raw::S(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a whole number"))),
    }
}

impl Callback {
    /// Parses a request body; the reason when it is not a callback of a documented event type.
    pub fn parse(body: &[u8]) -> Result<Callback, String> {
        let cb: Callback = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        if !EVENT_TYPES.contains(&cb.event_type.as_str()) {
            return Err(format!("unknown EventType `{}`", cb.event_type));
        }
        Ok(cb)
    }
}

/// A callback as stored in the lake: what EVO sent plus when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCallback {
    #[serde(flatten)]
    pub callback: Callback,
    pub received_at: DateTime<Utc>,
    /// Set when moved to `processed/`: the run that re-fetched the record, and its window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Set when settled without a record, and why (a sale that answered 404).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A pending callback and its object name under [`PENDING`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub name: String,
    pub stored: StoredCallback,
}

fn store_err(op: &'static str, path: &Path) -> impl FnOnce(object_store::Error) -> WebhookError {
    let path = path.to_string();
    move |source| WebhookError::Store { op, path, source }
}

/// The JSON body of the object at `path`. A value that does not encode is an error, so the
/// callback is refused (503, EVO sends it again) or left pending; an empty object in its place
/// would be acknowledged and lost.
fn encode<T: Serialize>(value: &T, path: &Path) -> Result<Bytes, WebhookError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|source| WebhookError::Encode {
            path: path.to_string(),
            source,
        })
}

/// Writes one received callback under [`PENDING`]; returns its object name. `seq` keeps the
/// names of callbacks received in the same nanosecond apart.
pub async fn store_pending(
    lake: &LakeStore,
    callback: Callback,
    seq: u64,
) -> Result<String, WebhookError> {
    let received_at = Utc::now();
    let name = format!(
        "{}-{}-{seq:010}.json",
        received_at.format("%Y%m%dT%H%M%S%.9fZ"),
        std::process::id()
    );
    let stored = StoredCallback {
        callback,
        received_at,
        run_id: None,
        window: None,
        note: None,
    };
    let path = Path::from(format!("{PENDING}/{name}"));
    let body = encode(&stored, &path)?;
    lake.object_store()
        .put(&path, PutPayload::from_bytes(body))
        .await
        .map_err(store_err("put", &path))?;
    Ok(name)
}

/// Every pending callback, oldest first; objects that do not parse are returned apart (they
/// stay pending and are reported, never dropped).
pub async fn list_pending(
    lake: &LakeStore,
) -> Result<(Vec<Pending>, Vec<WebhookError>), WebhookError> {
    let store = lake.object_store();
    let prefix = Path::from(PENDING);
    let mut metas: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(store_err("list", &prefix))?;
    metas.sort_by(|a, b| a.location.cmp(&b.location));
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for meta in metas {
        let Some(name) = meta.location.filename().map(str::to_string) else {
            continue;
        };
        let bytes = match store.get(&meta.location).await {
            Ok(r) => r.bytes().await.map_err(store_err("get", &meta.location))?,
            // Moved by a concurrent run between list and get.
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(store_err("get", &meta.location)(e)),
        };
        match serde_json::from_slice::<StoredCallback>(&bytes) {
            Ok(stored) => out.push(Pending { name, stored }),
            Err(e) => bad.push(WebhookError::Unreadable {
                path: meta.location.to_string(),
                reason: e.to_string(),
            }),
        }
    }
    Ok((out, bad))
}

/// Moves a pending callback to `processed/<run_id>/`: the processed copy is written first and
/// the pending object deleted after, so a kill in between leaves it pending (re-fetched once
/// more, which is harmless), never lost.
pub async fn mark_processed(
    lake: &LakeStore,
    pending: &Pending,
    run_id: &RunId,
    window: &str,
    note: Option<&str>,
) -> Result<(), WebhookError> {
    let store = lake.object_store();
    let mut stored = pending.stored.clone();
    stored.run_id = Some(run_id.clone());
    stored.window = Some(window.to_string());
    stored.note = note.map(str::to_string);
    let done = Path::from(format!("{PROCESSED}/{run_id}/{}", pending.name));
    let body = encode(&stored, &done)?;
    store
        .put(&done, PutPayload::from_bytes(body))
        .await
        .map_err(store_err("put", &done))?;
    let from = Path::from(format!("{PENDING}/{}", pending.name));
    match store.delete(&from).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(store_err("delete", &from)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_parse_with_numbers_or_digit_strings_and_known_types_only() {
        let cb = Callback::parse(
            br#"{"IdW12": 5, "IdBranch": "2", "IdRecord": 77, "EventType": "AlterMember", "x": 1}"#,
        )
        .expect("valid");
        assert_eq!((cb.id_w12, cb.id_branch, cb.id_record), (5, 2, 77));
        assert!(Callback::parse(br#"{"IdW12":5,"IdBranch":2,"IdRecord":7}"#).is_err());
        assert!(
            Callback::parse(br#"{"IdW12":5,"IdBranch":2,"IdRecord":"x","EventType":"Freeze"}"#)
                .is_err()
        );
        assert!(
            Callback::parse(br#"{"IdW12":5,"IdBranch":2,"IdRecord":7,"EventType":"Nope"}"#)
                .is_err()
        );
        assert!(Callback::parse(b"not json").is_err());
    }

    #[test]
    fn a_body_that_does_not_encode_is_an_error_never_an_empty_object() {
        let path = Path::from("webhooks/evo/pending/x.json");
        // serde_json refuses map keys that are not strings: a value whose encoding fails.
        let bad: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        match encode(&bad, &path) {
            Err(WebhookError::Encode { path: p, .. }) => assert_eq!(p, path.to_string()),
            other => panic!("an unencodable value gave {other:?}"),
        }
        let stored = StoredCallback {
            callback: Callback::parse(
                br#"{"IdW12":5,"IdBranch":2,"IdRecord":7,"EventType":"Freeze"}"#,
            )
            .expect("valid"),
            received_at: Utc::now(),
            run_id: None,
            window: None,
            note: None,
        };
        let body = encode(&stored, &path).expect("a callback encodes");
        let back: StoredCallback = serde_json::from_slice(&body).expect("decodes");
        assert_eq!(back, stored);
    }
}
