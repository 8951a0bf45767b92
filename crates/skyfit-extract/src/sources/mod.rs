//! The API sources and their registry.
//!
//! Each source lives in its own directory (`client.rs`: how to authenticate and pace against
//! that API; `entities.rs`: endpoints, paging and windows of each entity) and exposes one
//! `plan` function turning a request into [`EntityPlan`]s. [`plan`] below is the one place
//! that maps a source name to its implementation.

pub mod evo;
pub mod pipedrive;
pub mod zendesk;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use skyfit_core::{Config, RunId, Source};
use skyfit_lake::{EntityKey, LakeStore, Watermark};

use crate::engine::{EntitySpec, WindowSpec};
use crate::error::{Error, Location, Result};
use crate::http::ApiClient;
use crate::options::ExtractOptions;

/// What a request asks of a source, already validated.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    pub entities: &'a [String],
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub full: bool,
    pub run_id: &'a RunId,
}

/// How the watermark advances when an entity's run completes.
#[derive(Debug, Clone, PartialEq)]
pub enum WatermarkPlan {
    /// Snapshot entity: nothing to advance (the run is still recorded).
    None,
    /// Everything up to this instant is extracted (EVO windows, Pipedrive `updated_until`).
    Until(DateTime<Utc>),
    /// Store the last non-null cursor the stream returned (Zendesk cursor exports).
    Cursor,
    /// Store the last `end_time` as `next_start_time` (Zendesk time-based exports).
    EndTime,
}

/// One entity ready to run.
pub struct EntityPlan {
    pub key: EntityKey,
    pub spec: EntitySpec,
    pub windows: Vec<WindowSpec>,
    pub client: Arc<ApiClient>,
    pub watermark: WatermarkPlan,
    /// The range extracted, for the summary.
    pub since: Option<String>,
    pub until: Option<String>,
}

/// The entities each source offers, in extraction order.
pub fn entities(source: Source) -> &'static [&'static str] {
    match source {
        Source::Evo => evo::ENTITIES,
        Source::Pipedrive => pipedrive::ENTITIES,
        Source::Zendesk => zendesk::ENTITIES,
    }
}

/// The registry: a source name to its planner.
pub async fn plan(
    source: Source,
    req: &PlanRequest<'_>,
    config: &Config,
    opts: &ExtractOptions,
    lake: &LakeStore,
) -> Result<Vec<EntityPlan>> {
    let known = entities(source);
    for e in req.entities {
        if !known.contains(&e.as_str()) {
            return Err(Error::config(
                source,
                format!("unknown entity `{e}`; {source} has: {}", known.join(", ")),
            ));
        }
    }
    match source {
        Source::Evo => evo::plan(req, &config.evo, opts, lake).await,
        Source::Pipedrive => pipedrive::plan(req, &config.pipedrive, opts, lake).await,
        Source::Zendesk => zendesk::plan(req, &config.zendesk, opts, lake).await,
    }
}

/// The requested entities of a source (all when none were named), in the source's order.
pub(crate) fn selected<'a>(known: &'a [&'static str], req: &PlanRequest<'_>) -> Vec<&'a str> {
    known
        .iter()
        .copied()
        .filter(|e| req.entities.is_empty() || req.entities.iter().any(|r| r == e))
        .collect()
}

pub(crate) fn key(source: Source, scope: Option<&str>, entity: &str) -> Result<EntityKey> {
    EntityKey::try_new(source, scope, entity).map_err(|e| Error::Lake {
        at: Location::new(source, scope, entity),
        source: e,
    })
}

/// Where the entity's next incremental extraction starts: SkyFit's watermark or, before
/// SkyFit ever advanced one, the state the original system left in the same lake (so the
/// first night after the switch-over does not fetch the whole history again).
pub(crate) async fn watermark(lake: &LakeStore, key: &EntityKey) -> Result<Option<Watermark>> {
    let lake_err = |e| Error::Lake {
        at: Location::new(key.source(), key.scope(), key.entity()),
        source: e,
    };
    if let Some(wm) = lake.get_watermark(key).await.map_err(lake_err)? {
        return Ok(Some(wm));
    }
    let original = lake.original_watermark(key).await.map_err(lake_err)?;
    if let Some((wm, from)) = &original {
        tracing::info!(
            entity = %key,
            from = %from,
            until = ?wm.last_successful_until,
            "No SkyFit watermark yet: continuing from the original system's."
        );
    }
    Ok(original.map(|(wm, _)| wm))
}
