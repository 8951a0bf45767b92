//! EVO entities: endpoint, page size (the swagger maximum, which the API clamps to), date
//! filter parameters and window width of each (docs/data-contract.md#evo-entities).

use chrono::{Duration, NaiveDate, NaiveTime};
use skyfit_core::Source;
use skyfit_core::config::EvoConfig;
use skyfit_lake::LakeStore;

use super::client::client;
use crate::engine::{EntitySpec, Paging, SplitRule, WindowSpec};
use crate::error::{Error, Result};
use crate::options::ExtractOptions;
use crate::page::Envelope;
use crate::sources::{EntityPlan, PlanRequest, WatermarkPlan, key, selected, watermark};
use crate::window::{Span, Step, month_start, tile};

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
    /// Change feeds: `(name, start, end)` date filters on a change (update, removal, contract
    /// start or cancellation) fetched for the incremental range besides the main window.
    feeds: &'static [Feed],
    /// Re-read a slice of the whole history every incremental run (no change filter covers
    /// every change of the entity).
    resweep: bool,
}

type Feed = (&'static str, &'static str, &'static str);

fn def(entity: &str) -> Option<Def> {
    Some(match entity {
        // Members with memberships (and responsibles); contacts always come along.
        "members" => Def {
            path: "/api/v2/members",
            take: 50,
            window: Some((Step::Months(3), "registerDateStart", "registerDateEnd")),
            params: &[("showMemberships", "true"), ("showsResponsibles", "true")],
            paging_single: false,
            feeds: &[
                (
                    "membershipStartDate",
                    "membershipStartDateStart",
                    "membershipStartDateEnd",
                ),
                (
                    "membershipCancelDate",
                    "membershipCancelDateStart",
                    "membershipCancelDateEnd",
                ),
            ],
            resweep: true,
        },
        // Sales with items (always) and receivables.
        "sales" => Def {
            path: "/api/v2/sales",
            take: 100,
            window: Some((Step::Months(1), "dateSaleStart", "dateSaleEnd")),
            params: &[("showReceivables", "true")],
            paging_single: false,
            feeds: &[
                ("removalDate", "removalDateStart", "removalDateEnd"),
                (
                    "receivablesRegistrationDate",
                    "receivablesRegistrationDateStart",
                    "receivablesRegistrationDateEnd",
                ),
            ],
            resweep: false,
        },
        "entries" => Def {
            path: "/api/v1/entries",
            take: 1000,
            window: Some((Step::Days(7), "registerDateStart", "registerDateEnd")),
            params: &[],
            paging_single: false,
            feeds: &[],
            resweep: false,
        },
        "prospects" => Def {
            path: "/api/v1/prospects",
            take: 50,
            window: Some((Step::Months(3), "registerDateStart", "registerDateEnd")),
            params: &[],
            paging_single: false,
            feeds: &[],
            resweep: true,
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
            feeds: &[("updateDate", "updateDateStart", "updateDateEnd")],
            resweep: false,
        },
        "employees" => Def {
            path: "/api/v2/employees",
            take: 50,
            window: None,
            params: &[],
            paging_single: false,
            feeds: &[],
            resweep: false,
        },
        "branches" => Def {
            path: "/api/v1/configuration",
            take: 0,
            window: None,
            params: &[],
            paging_single: true,
            feeds: &[],
            resweep: false,
        },
        _ => return None,
    })
}

/// Window id prefix of the re-sweep.
const RESWEEP: &str = "resweep:";

/// A window over `s` on the date filter `start`/`end`; `prefix` keeps the ids of different
/// feeds over the same dates apart in the manifest (and so for `--resume`).
fn window(
    s: Span,
    prefix: &str,
    split_params: Option<(&'static str, &'static str)>,
    start: &str,
    end: &str,
) -> WindowSpec {
    let (from, to) = s.query_bounds();
    WindowSpec {
        id: format!("{prefix}{}", s.id()),
        range: Some((from.clone(), to.clone())),
        query: vec![(start.to_string(), from), (end.to_string(), to)],
        span: Some(s),
        first_token: None,
        split_params,
        by_id: None,
    }
}

/// Tonight's slice of the rolling re-sweep: the history from `history_start` cut into calendar
/// months, month `m` read on the nights whose day number is `m` modulo `days`, so any `days`
/// consecutive nights read every month and a rerun of the same night reads the same months.
/// Months inside the incremental range `span` are left out: its windows read them anyway.
pub fn resweep_slice(
    history_start: NaiveDate,
    span: Span,
    night: NaiveDate,
    days: u32,
) -> Vec<Span> {
    if days == 0 {
        return Vec::new();
    }
    let bucket = night
        .signed_duration_since(NaiveDate::default())
        .num_days()
        .rem_euclid(i64::from(days));
    let from = month_start(history_start);
    let history = Span {
        start: from.and_time(NaiveTime::MIN),
        end: span.end,
    };
    tile(history, Step::Months(1))
        .into_iter()
        .enumerate()
        .filter(|(m, s)| (*m as i64) % i64::from(days) == bucket && s.start < span.start)
        .map(|(_, s)| Span {
            start: s.start,
            end: s.end.min(span.start),
        })
        .collect()
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
        // `incremental`: the range starts at a watermark, so records registered before it are
        // only seen again through the change feeds and the re-sweep.
        let (since, incremental) = match req.since {
            Some(s) => (s, false),
            None if req.full => (opts.evo.history_start, false),
            None => match watermark(lake, &key)
                .await?
                .and_then(|w| w.last_successful_until)
            {
                Some(wm) => (
                    (wm.naive_utc() - Duration::days(opts.evo.overlap_days.max(0))).date(),
                    true,
                ),
                None => (opts.evo.history_start, false),
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
        let mut windows: Vec<WindowSpec> = tile(span, step)
            .into_iter()
            .map(|s| window(s, "", None, start_param, end_param))
            .collect();
        // Only a watermark run needs the change feeds and the re-sweep: `--full`, `--since`
        // and a first run already read their whole range.
        if incremental {
            for &(feed, start, end) in d.feeds {
                let prefix = format!("{feed}:");
                windows.extend(
                    tile(span, step)
                        .into_iter()
                        .map(|s| window(s, &prefix, Some((start, end)), start, end)),
                );
            }
            if d.resweep {
                windows.extend(
                    resweep_slice(
                        opts.evo.history_start,
                        span,
                        started.date(),
                        config.resweep_days,
                    )
                    .into_iter()
                    .map(|s| window(s, RESWEEP, None, start_param, end_param)),
                );
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn resweep_nights_cover_every_month_and_repeat_per_night() {
        let start = d(2020, 1, 1);
        let night = d(2026, 11, 25);
        let span = |n: NaiveDate| Span::days(n - Duration::days(1), n);
        let mut covered = std::collections::BTreeSet::new();
        for k in 0..7 {
            let n = night + Duration::days(k);
            let slice = resweep_slice(start, span(n), n, 7);
            assert_eq!(
                slice,
                resweep_slice(start, span(n), n, 7),
                "a rerun reads the same"
            );
            assert!(
                slice.len() <= 84 / 7 + 1,
                "a slice, not the history: {}",
                slice.len()
            );
            covered.extend(slice.iter().map(|s| s.start));
        }
        let months = tile(
            Span {
                start: start.and_time(NaiveTime::MIN),
                end: span(night).start,
            },
            Step::Months(1),
        );
        for m in months {
            assert!(covered.contains(&m.start), "month {} never re-read", m.id());
        }
        assert!(resweep_slice(start, span(night), night, 0).is_empty());
    }
}
