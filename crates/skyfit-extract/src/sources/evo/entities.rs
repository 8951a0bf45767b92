//! EVO entities: endpoint, page size (the swagger maximum, which the API clamps to), date
//! filter parameters and window width of each (docs/data-contract.md#evo-entities).

use chrono::Duration;
use skyfit_core::Source;
use skyfit_core::config::EvoConfig;
use skyfit_lake::LakeStore;

use super::client::client;
use crate::engine::{EntitySpec, Paging, SplitRule, WindowSpec};
use crate::error::{Error, Result};
use crate::options::ExtractOptions;
use crate::page::Envelope;
use crate::sources::{EntityPlan, PlanRequest, WatermarkPlan, key, selected, watermark};
use crate::window::{Span, Step, tile};

pub const ENTITIES: &[&str] = &[
    "members",
    "sales",
    "entries",
    "prospects",
    "receivables",
    "employees",
    "branches",
];

/// How one EVO entity is fetched.
struct Def {
    path: &'static str,
    take: u64,
    /// `None`: a catalogue fetched whole every run.
    window: Option<(Step, &'static str, &'static str)>,
    params: &'static [(&'static str, &'static str)],
    paging_single: bool,
}

fn def(entity: &str) -> Option<Def> {
    Some(match entity {
        // Members with memberships (and responsibles); contacts always come along.
        "members" => Def {
            path: "/api/v2/members",
            take: 50,
            window: Some((Step::Months(3), "registerDateStart", "registerDateEnd")),
            params: &[("showMemberships", "true"), ("showsResponsibles", "true")],
            paging_single: false,
        },
        // Sales with items (always) and receivables.
        "sales" => Def {
            path: "/api/v2/sales",
            take: 100,
            window: Some((Step::Months(1), "dateSaleStart", "dateSaleEnd")),
            params: &[("showReceivables", "true")],
            paging_single: false,
        },
        "entries" => Def {
            path: "/api/v1/entries",
            take: 1000,
            window: Some((Step::Days(7), "registerDateStart", "registerDateEnd")),
            params: &[],
            paging_single: false,
        },
        "prospects" => Def {
            path: "/api/v1/prospects",
            take: 50,
            window: Some((Step::Months(3), "registerDateStart", "registerDateEnd")),
            params: &[],
            paging_single: false,
        },
        "receivables" => Def {
            path: "/api/v1/receivables",
            take: 50,
            window: Some((
                Step::Months(1),
                "registrationDateStart",
                "registrationDateEnd",
            )),
            params: &[],
            paging_single: false,
        },
        "employees" => Def {
            path: "/api/v2/employees",
            take: 50,
            window: None,
            params: &[],
            paging_single: false,
        },
        "branches" => Def {
            path: "/api/v1/configuration",
            take: 0,
            window: None,
            params: &[],
            paging_single: true,
        },
        _ => return None,
    })
}

pub async fn plan(
    req: &PlanRequest<'_>,
    config: &EvoConfig,
    opts: &ExtractOptions,
    lake: &LakeStore,
) -> Result<Vec<EntityPlan>> {
    let client = client(config, opts)?;
    let started = req.run_id.started_at().naive_utc();
    let mut plans = Vec::new();
    for name in selected(ENTITIES, req) {
        let Some(d) = def(name) else { continue };
        let key = key(Source::Evo, None, name)?;
        let paging = if d.paging_single {
            Paging::Single
        } else {
            Paging::Offset { take: d.take }
        };
        let mut spec = EntitySpec {
            path: d.path.to_string(),
            envelope: Envelope::Array,
            paging,
            query: d
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            extra_budget: None,
            split: None,
        };
        let Some((step, start_param, end_param)) = d.window else {
            plans.push(EntityPlan {
                key,
                spec,
                windows: vec![WindowSpec::all()],
                client: client.clone(),
                watermark: WatermarkPlan::None,
                since: None,
                until: None,
            });
            continue;
        };
        let until = req.until.unwrap_or_else(|| started.date());
        let since = match req.since {
            Some(s) => s,
            None if req.full => opts.evo.history_start,
            None => match watermark(lake, &key)
                .await?
                .and_then(|w| w.last_successful_until)
            {
                Some(wm) => (wm.naive_utc() - Duration::days(opts.evo.overlap_days.max(0))).date(),
                None => opts.evo.history_start,
            },
        };
        if since > until {
            return Err(Error::config(
                Source::Evo,
                format!("{name}: since {since} is after until {until}"),
            ));
        }
        spec.split = Some(SplitRule {
            start_param,
            end_param,
            max_records: opts.evo.max_window_records,
            min_span: opts.evo.min_window,
        });
        let span = Span::days(since, until);
        let windows = tile(span, step)
            .into_iter()
            .map(|s| {
                let (from, to) = s.query_bounds();
                WindowSpec {
                    id: s.id(),
                    range: Some((from.clone(), to.clone())),
                    query: vec![(start_param.to_string(), from), (end_param.to_string(), to)],
                    span: Some(s),
                    first_token: None,
                }
            })
            .collect();
        // Everything registered before the end of the range, or before the run started when
        // the range reaches into the future, is extracted.
        let reached = span.end.min(started);
        plans.push(EntityPlan {
            key,
            spec,
            windows,
            client: client.clone(),
            watermark: WatermarkPlan::Until(reached.and_utc()),
            since: Some(since.to_string()),
            until: Some(until.to_string()),
        });
    }
    Ok(plans)
}
