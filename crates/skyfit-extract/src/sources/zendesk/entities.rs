//! Zendesk entities (docs/data-contract.md#zendesk-entities). Cursor exports continue from the stored
//! cursor (never replaced by null); the time export from the stored `next_start_time`.

use skyfit_core::Source;
use skyfit_core::config::ZendeskConfig;
use skyfit_lake::LakeStore;

use super::client::client;
use crate::engine::{EntitySpec, Paging, WindowSpec};
use crate::error::Result;
use crate::options::ExtractOptions;
use crate::page::Envelope;
use crate::sources::{EntityPlan, PlanRequest, WatermarkPlan, key, selected, watermark};

pub const SCOPE: &str = "support";

pub const ENTITIES: &[&str] = &[
    "tickets",
    "users",
    "organizations",
    "groups",
    "ticket_fields",
    "ticket_forms",
];

pub async fn plan(
    req: &PlanRequest<'_>,
    config: &ZendeskConfig,
    opts: &ExtractOptions,
    lake: &LakeStore,
) -> Result<Vec<EntityPlan>> {
    let (client, exports) = client(config, opts)?;
    let per_page = opts.zendesk.per_page.clamp(1, 1000);
    let mut plans = Vec::new();
    for name in selected(ENTITIES, req) {
        let key = key(Source::Zendesk, Some(SCOPE), name)?;
        let stored = if req.full || req.since.is_some() {
            None
        } else {
            watermark(lake, &key).await?
        };
        let since_epoch = req
            .since
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp());
        let mut window = WindowSpec::all();
        let (path, envelope, paging, wm, extra) = match name {
            "tickets" | "users" => {
                let cursor = stored.as_ref().and_then(|w| w.cursor.clone());
                if cursor.is_none() {
                    // The original system exported users by time: its `start_time` carries over.
                    let start = since_epoch
                        .or_else(|| next_start_time(stored.as_ref()))
                        .unwrap_or(0);
                    window.query.push(("start_time".into(), start.to_string()));
                }
                window.first_token = cursor;
                (
                    format!("/api/v2/incremental/{name}/cursor.json"),
                    Envelope::Key(if name == "tickets" {
                        "tickets"
                    } else {
                        "users"
                    }),
                    Paging::ZendeskCursor { per_page },
                    WatermarkPlan::Cursor,
                    Some(exports.clone()),
                )
            }
            "organizations" => {
                let start = next_start_time(stored.as_ref())
                    .or(since_epoch)
                    .unwrap_or(0);
                window.query.push(("start_time".into(), start.to_string()));
                (
                    "/api/v2/incremental/organizations.json".to_string(),
                    Envelope::Key("organizations"),
                    Paging::ZendeskTime { per_page },
                    WatermarkPlan::EndTime,
                    Some(exports.clone()),
                )
            }
            list => (
                format!("/api/v2/{list}.json"),
                Envelope::Key(match list {
                    "groups" => "groups",
                    "ticket_fields" => "ticket_fields",
                    _ => "ticket_forms",
                }),
                Paging::NextPage {
                    per_page: opts.zendesk.list_per_page.clamp(1, 100),
                },
                WatermarkPlan::None,
                None,
            ),
        };
        // Tickets are exported without `exclude_deleted`: a deleted ticket comes back with
        // status `deleted` and becomes a soft delete in core (docs/data-contract.md#zendesk-entities).
        let query = Vec::new();
        plans.push(EntityPlan {
            key,
            spec: EntitySpec {
                path,
                envelope,
                paging,
                query,
                extra_budget: extra,
                split: None,
            },
            windows: vec![window],
            client: client.clone(),
            watermark: wm,
            since: since_epoch.map(|t| t.to_string()),
            until: None,
        });
    }
    Ok(plans)
}

/// A time-based export's stored position (Unix seconds).
fn next_start_time(stored: Option<&skyfit_lake::Watermark>) -> Option<i64> {
    stored?
        .extra
        .get("next_start_time")
        .and_then(serde_json::Value::as_i64)
}
