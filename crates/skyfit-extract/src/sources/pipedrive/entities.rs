//! Pipedrive entities (docs/data-contract.md#pipedrive-entities): incremental v2 lists sorted by
//! `update_time` between the watermark (minus an overlap) and the run's start; snapshots for
//! pipelines, stages, users and the field definitions.

use chrono::{DateTime, SecondsFormat, Utc};
use skyfit_core::Source;
use skyfit_core::config::PipedriveConfig;
use skyfit_lake::LakeStore;

use super::client::client;
use crate::engine::{EntitySpec, Paging, WindowSpec};
use crate::error::{Error, Result};
use crate::options::ExtractOptions;
use crate::page::Envelope;
use crate::sources::{EntityPlan, PlanRequest, WatermarkPlan, key, selected, watermark};

pub const ENTITIES: &[&str] = &[
    "deals",
    "persons",
    "organizations",
    "activities",
    "pipelines",
    "stages",
    "users",
    "dealFields",
    "personFields",
    "organizationFields",
    "activityFields",
];

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn plan(
    req: &PlanRequest<'_>,
    config: &PipedriveConfig,
    opts: &ExtractOptions,
    lake: &LakeStore,
) -> Result<Vec<EntityPlan>> {
    let base = config.base_url().ok_or_else(|| {
        Error::config(
            Source::Pipedrive,
            "no company domain: set PIPEDRIVE_COMPANY_DOMAIN (or pipedrive.api_url)",
        )
    })?;
    let scopes = config.scopes();
    if scopes.is_empty() {
        return Err(Error::config(
            Source::Pipedrive,
            "no account configured: set PIPEDRIVE_TOKEN_COMERCIAL and/or PIPEDRIVE_TOKEN_EXPANSAO",
        ));
    }
    // Every entity of a run uses the same `until`: the run's start.
    let until = req.run_id.started_at();
    let limit = opts.pipedrive.page_limit.clamp(1, 500);
    let mut plans = Vec::new();
    for (scope, token) in scopes {
        let client = client(&base, scope, token, opts)?;
        for name in selected(ENTITIES, req) {
            let key = key(Source::Pipedrive, Some(scope), name)?;
            let incremental = matches!(name, "deals" | "persons" | "organizations" | "activities");
            let (path, paging) = match name {
                "users" => ("/api/v1/users".to_string(), Paging::Start { limit }),
                f if f.ends_with("Fields") => (format!("/api/v1/{f}"), Paging::Start { limit }),
                other => (format!("/api/v2/{other}"), Paging::Cursor { limit }),
            };
            let mut query: Vec<(String, String)> = Vec::new();
            let mut since = None;
            if name == "deals" {
                // Deleted deals are excluded: they never propagate (docs/data-contract.md#pipedrive-entities).
                query.push(("status".into(), "open,won,lost".into()));
            }
            if incremental {
                query.push(("sort_by".into(), "update_time".into()));
                query.push(("sort_direction".into(), "asc".into()));
                let from = match req.since {
                    Some(d) => Some(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
                    None if req.full => None,
                    None => watermark(lake, &key)
                        .await?
                        .and_then(|w| w.last_successful_until)
                        .map(|t| t - opts.pipedrive.overlap),
                };
                if let Some(from) = from {
                    query.push(("updated_since".into(), rfc3339(from)));
                    since = Some(rfc3339(from));
                }
                let to = match req.until {
                    Some(d) => (d + chrono::Duration::days(1))
                        .and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc()
                        .min(until),
                    None => until,
                };
                query.push(("updated_until".into(), rfc3339(to)));
            }
            plans.push(EntityPlan {
                key,
                spec: EntitySpec {
                    path,
                    envelope: Envelope::Key("data"),
                    paging,
                    query,
                    extra_budget: None,
                    split: None,
                },
                windows: vec![WindowSpec::all()],
                client: client.clone(),
                watermark: if incremental {
                    WatermarkPlan::Until(until)
                } else {
                    WatermarkPlan::None
                },
                since,
                until: incremental.then(|| rfc3339(until)),
            });
        }
    }
    Ok(plans)
}
