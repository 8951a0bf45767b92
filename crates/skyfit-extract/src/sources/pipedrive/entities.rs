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

/// The `include_fields` the core queries read: v2 leaves these out of a record unless asked.
pub fn include_fields(entity: &str) -> Option<&'static [&'static str]> {
    const DEALS: &[&str] = &[
        "activities_count",
        "done_activities_count",
        "undone_activities_count",
        "files_count",
        "notes_count",
        "followers_count",
        "email_messages_count",
        "products_count",
    ];
    const PERSONS: &[&str] = &[
        "open_deals_count",
        "related_open_deals_count",
        "closed_deals_count",
        "related_closed_deals_count",
        "won_deals_count",
        "related_won_deals_count",
        "lost_deals_count",
        "related_lost_deals_count",
    ];
    const ORGANIZATIONS: &[&str] = &[
        "people_count",
        "open_deals_count",
        "won_deals_count",
        "lost_deals_count",
    ];
    match entity {
        "deals" => Some(DEALS),
        "persons" => Some(PERSONS),
        "organizations" => Some(ORGANIZATIONS),
        "activities" => Some(&["attendees"]),
        _ => None,
    }
}

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
                // `deleted` lists deals deleted in the last 30 days (their deletion moves
                // update_time), so a deletion reaches core as a soft delete the night after.
                query.push(("status".into(), "open,won,lost,deleted".into()));
            }
            if let Some(fields) = include_fields(name) {
                query.push(("include_fields".into(), fields.join(",")));
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
