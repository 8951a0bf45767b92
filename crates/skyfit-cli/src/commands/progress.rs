//! Progress of long extractions on stderr: per entity, records, pages, windows done, rate and
//! an ETA from the share of windows done, at most every two seconds per entity.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use skyfit_core::Source;
use skyfit_extract::{EntitySummary, PageEvent, ProgressSink};

#[derive(Default)]
pub struct Progress {
    state: Mutex<HashMap<String, (Instant, Instant, u64, u64)>>,
}

fn name(source: Source, scope: Option<&str>, entity: &str) -> String {
    match scope {
        Some(s) => format!("{source}/{s}/{entity}"),
        None => format!("{source}/{entity}"),
    }
}

impl ProgressSink for Progress {
    fn entity_started(&self, source: Source, scope: Option<&str>, entity: &str, windows: u64) {
        let now = Instant::now();
        if let Ok(mut s) = self.state.lock() {
            s.insert(name(source, scope, entity), (now, now, 0, 0));
        }
        eprintln!(
            "{}: started, {windows} window(s)",
            name(source, scope, entity)
        );
    }

    fn page(&self, e: &PageEvent<'_>) {
        let key = name(e.source, e.scope, e.entity);
        let Ok(mut s) = self.state.lock() else { return };
        let entry = s
            .entry(key.clone())
            .or_insert_with(|| (Instant::now(), Instant::now(), 0, 0));
        entry.2 += e.records;
        entry.3 += 1;
        if entry.1.elapsed() < Duration::from_secs(2) {
            return;
        }
        entry.1 = Instant::now();
        let secs = entry.0.elapsed().as_secs_f64().max(0.001);
        let eta = if e.windows_done > 0 && e.windows_total > e.windows_done {
            let left = secs * (e.windows_total - e.windows_done) as f64 / e.windows_done as f64;
            format!(", ETA {:.0}s", left)
        } else {
            String::new()
        };
        eprintln!(
            "{key}: {} records, {} pages, {}/{} windows, {:.0} records/s{eta}",
            entry.2,
            entry.3,
            e.windows_done,
            e.windows_total,
            entry.2 as f64 / secs
        );
    }

    fn entity_finished(&self, s: &EntitySummary) {
        let key = match (&s.source, &s.scope) {
            (Some(src), scope) => name(*src, scope.as_deref(), &s.entity),
            (None, _) => s.entity.clone(),
        };
        eprintln!(
            "{key}: {} — {} records, {} rejected, {:.1}s",
            s.status, s.records, s.rejects, s.duration_secs
        );
    }
}
