//! What a person sees while a command runs, and what a log collector gets. One mode per
//! process, chosen in `main` from where stderr goes:
//!
//! * **bars** (stderr is a terminal): one live line per active entity (records, pages,
//!   windows done of all, records/s, ETA, the account's rate budget in use, a wait on the
//!   API's limit while it lasts) and per target (phase — planning, copy, merge, indexes, swap,
//!   committing —, pass k/n of a load in passes, rows so far); each collapses into one
//!   summary line when done. Log lines are written above the bars, never through
//!   them ([`LogWriter`]).
//! * **lines** (cron, CI, a container): no bars; one plain line per entity and per target as
//!   each finishes, so `tail -f` follows the run.
//! * **json** (`--log-format json`): nothing but log events, one JSON object per line; the
//!   libraries already log one event per entity extracted and per target loaded.
//! * **quiet** (`-q`): no progress at all.
//!
//! Commands whose own output lists every entity or target at the end (`skyfit extract`,
//! `skyfit load`) use transient progress ([`Items::transient`]): the bars are cleared and no
//! line is printed per item, so no fact is said twice.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use skyfit_core::Source;
use skyfit_extract::{BudgetUse, EntitySummary, PageEvent, ProgressSink, ThrottleEvent};
use skyfit_pipeline::{LoadProgress, Phase, TargetSummary};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bars,
    Lines,
    Json,
    Quiet,
}

pub struct Console {
    mode: Mode,
    /// Hidden unless the mode is [`Mode::Bars`].
    multi: MultiProgress,
}

static CONSOLE: OnceLock<Console> = OnceLock::new();

/// Sets the process's mode; the first call wins.
pub fn init(mode: Mode) -> &'static Console {
    CONSOLE.get_or_init(|| {
        let target = if mode == Mode::Bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Console {
            mode,
            multi: MultiProgress::with_draw_target(target),
        }
    })
}

/// The process's console (plain lines if `main` did not choose).
pub fn console() -> &'static Console {
    init(Mode::Lines)
}

impl Console {
    /// Runs `f` with the bars taken off the screen, so what it prints lands above them.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }

    /// A notice for the person running the command (not a log event): on stderr above the
    /// bars; an info event in JSON mode, so stderr stays one JSON object per line.
    pub fn note(&self, text: &str) {
        match self.mode {
            Mode::Json => tracing::info!("{text}"),
            Mode::Quiet => {}
            Mode::Bars | Mode::Lines => self.suspend(|| eprintln!("{text}")),
        }
    }

    /// Prints `text` on stdout, above the bars.
    pub fn print(&self, text: &str) {
        self.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        });
    }
}

/// stderr for the log subscriber: each event is written whole, above the bars.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        console().suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// `12,345`.
pub fn n(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn entity_name(source: Source, scope: Option<&str>, entity: &str) -> String {
    match scope {
        Some(s) => format!("{source}/{s}/{entity}"),
        None => format!("{source}/{entity}"),
    }
}

/// The line an entity's bar collapses into.
pub fn entity_line(s: &EntitySummary) -> String {
    let name = match s.source {
        Some(src) => entity_name(src, s.scope.as_deref(), &s.entity),
        None => s.entity.clone(),
    };
    let mut line = format!(
        "{name:<40} {:<9} {:>10} records {:>6} pages {:>7.1}s",
        s.status,
        n(s.records),
        n(s.pages),
        s.duration_secs
    );
    if s.rejects > 0 {
        line.push_str(&format!(", {} rejected", n(s.rejects)));
    }
    if s.throttled > 0 {
        line.push_str(&format!(", {} waits on 429", n(s.throttled)));
    }
    // A failure's message is said once, in the run's summary (and the error log line).
    line
}

/// The line a target's bar collapses into.
pub fn target_line(t: &TargetSummary) -> String {
    if t.up_to_date {
        return format!("{:<40} up to date", t.target);
    }
    let mut line = format!(
        "{:<40} {:<9} {:>10} rows    {:>6} parts {:>7.1}s",
        t.target,
        "loaded",
        n(t.rows),
        n(t.parts as u64),
        t.seconds
    );
    if t.quarantined > 0 {
        line.push_str(&format!(", {} quarantined", n(t.quarantined)));
    }
    if t.passes > 1 {
        line.push_str(&format!(", {} passes", t.passes));
    }
    line
}

fn failed_target_line(target: &str) -> String {
    format!("{target:<40} FAILED")
}

/// One active entity or target.
struct Item {
    bar: ProgressBar,
    started: Instant,
    records: u64,
    pages: u64,
    /// An entity's account is waiting on the API's limit until then, for this reason.
    waiting: Option<(Instant, &'static str)>,
    /// An entity's bar without the wait: records, pages, rate, ETA, budget.
    counts: String,
    /// A target's phase, pass (k of n) and rows written so far.
    phase: &'static str,
    pass: Option<(usize, usize)>,
    rows: u64,
}

impl Item {
    fn entity_message(&self) -> String {
        let left = self
            .waiting
            .map(|(until, reason)| (until.saturating_duration_since(Instant::now()), reason))
            .filter(|(left, _)| !left.is_zero());
        entity_message(&self.counts, left)
    }

    fn target_message(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        target_message(
            self.phase,
            self.pass,
            self.rows,
            (self.rows as f64 / secs) as u64,
        )
    }
}

/// `budget 38/40/min`: requests of the last minute against the account's limit.
fn budget_text(b: BudgetUse) -> String {
    match b.limit {
        Some(limit) => format!("budget {}/{}/min", n(b.used), n(u64::from(limit))),
        None => format!("{} requests/min", n(b.used)),
    }
}

/// An entity's bar: its counts, then the wait on the API's limit while there is one.
fn entity_message(counts: &str, waiting: Option<(Duration, &str)>) -> String {
    match waiting {
        Some((left, reason)) => {
            let secs = left.as_secs_f64();
            let secs = if secs < 10.0 {
                format!("{secs:.1}")
            } else {
                format!("{secs:.0}")
            };
            format!("{counts}, waiting {secs} s ({reason})")
        }
        None => counts.to_string(),
    }
}

/// A target's bar: `copy, pass 2/4: 1,200 rows, 3,000 rows/s`.
fn target_message(phase: &str, pass: Option<(usize, usize)>, rows: u64, per_sec: u64) -> String {
    let mut text = phase.to_string();
    if let Some((k, of)) = pass.filter(|(_, of)| *of > 1) {
        text.push_str(&format!(", pass {k}/{of}"));
    }
    if rows > 0 {
        text.push_str(&format!(": {} rows, {} rows/s", n(rows), n(per_sec)));
    }
    text
}

/// The bars (or lines) of the entities and targets of one command.
pub struct Items {
    console: &'static Console,
    /// A line per finished item (a collapsed bar, or a plain line when not on a terminal).
    lines: bool,
    active: Mutex<HashMap<String, Item>>,
}

impl Items {
    /// Each finished entity or target stays as one line (`skyfit run`).
    pub fn collapsing() -> Self {
        Self::new(true)
    }

    /// Bars only while they run; the command prints its own table at the end.
    pub fn transient() -> Self {
        Self::new(false)
    }

    fn new(lines: bool) -> Self {
        Items {
            console: console(),
            lines,
            active: Mutex::new(HashMap::new()),
        }
    }

    fn bars(&self) -> bool {
        self.console.mode == Mode::Bars
    }

    fn start(&self, key: &str, template: &str, windows: Option<u64>) {
        if !self.bars() {
            return;
        }
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ");
        let bar = match windows {
            Some(len) => ProgressBar::new(len),
            None => ProgressBar::new_spinner(),
        }
        .with_style(style)
        .with_prefix(key.to_string());
        let bar = self.console.multi.add(bar);
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut a) = self.active.lock() {
            a.insert(
                key.to_string(),
                Item {
                    bar,
                    started: Instant::now(),
                    records: 0,
                    pages: 0,
                    waiting: None,
                    counts: String::new(),
                    phase: "",
                    pass: None,
                    rows: 0,
                },
            );
        }
    }

    /// Replaces the item's bar by `line` (or prints `line` when there are no bars).
    fn finish(&self, key: &str, line: String) {
        let item = self.active.lock().ok().and_then(|mut a| a.remove(key));
        if let Some(item) = item {
            item.bar.finish_and_clear();
            self.console.multi.remove(&item.bar);
        }
        if self.lines && matches!(self.console.mode, Mode::Bars | Mode::Lines) {
            self.console.suspend(|| eprintln!("{line}"));
        }
    }

    /// Changes a target's state by `f` and redraws its bar.
    fn update(&self, target: &str, f: impl FnOnce(&mut Item)) {
        if !self.bars() {
            return;
        }
        if let Ok(mut a) = self.active.lock()
            && let Some(item) = a.get_mut(target)
        {
            f(item);
            item.bar.set_message(item.target_message());
        }
    }

    /// Clears whatever is still drawn (an entity whose extraction stopped with an error).
    pub fn clear(&self) {
        if let Ok(mut a) = self.active.lock() {
            for (_, item) in a.drain() {
                item.bar.finish_and_clear();
                self.console.multi.remove(&item.bar);
            }
        }
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        self.clear();
    }
}

const ENTITY_BAR: &str = "{spinner:.green} {prefix:40} [{bar:20}] {pos}/{len} windows  {msg}";
const TARGET_BAR: &str = "{spinner:.green} {prefix:40} {msg}";

impl ProgressSink for Items {
    fn entity_started(&self, source: Source, scope: Option<&str>, entity: &str, windows: u64) {
        self.start(
            &entity_name(source, scope, entity),
            ENTITY_BAR,
            Some(windows),
        );
    }

    fn page(&self, e: &PageEvent<'_>) {
        if !self.bars() {
            return;
        }
        let key = entity_name(e.source, e.scope, e.entity);
        let Ok(mut a) = self.active.lock() else {
            return;
        };
        let Some(item) = a.get_mut(&key) else { return };
        item.records += e.records;
        item.pages += 1;
        let secs = item.started.elapsed().as_secs_f64().max(0.001);
        let eta = if e.windows_done > 0 && e.windows_total > e.windows_done {
            let left = secs * (e.windows_total - e.windows_done) as f64 / e.windows_done as f64;
            format!(", ETA {left:.0}s")
        } else {
            String::new()
        };
        item.bar.set_length(e.windows_total);
        item.bar.set_position(e.windows_done);
        item.counts = format!(
            "{} records, {} pages, {}/s{eta}, {}",
            n(item.records),
            n(item.pages),
            n((item.records as f64 / secs) as u64),
            budget_text(e.budget)
        );
        item.bar.set_message(item.entity_message());
    }

    fn throttled(&self, e: &ThrottleEvent<'_>) {
        if !self.bars() {
            return;
        }
        let Some(source) = e.at.source else { return };
        let key = entity_name(source, e.at.scope.as_deref(), &e.at.entity);
        let Ok(mut a) = self.active.lock() else {
            return;
        };
        let Some(item) = a.get_mut(&key) else { return };
        let until = Instant::now() + e.wait;
        // Workers of the account wait together: the longest wait is the one that shows.
        if item.waiting.is_none_or(|(t, _)| t < until) {
            item.waiting = Some((until, e.reason.as_str()));
        }
        if item.counts.is_empty() {
            item.counts = format!("{} records, {} pages", n(item.records), n(item.pages));
        }
        item.bar.set_message(item.entity_message());
    }

    fn entity_finished(&self, s: &EntitySummary) {
        let key = match s.source {
            Some(src) => entity_name(src, s.scope.as_deref(), &s.entity),
            None => s.entity.clone(),
        };
        self.finish(&key, entity_line(s));
    }
}

impl LoadProgress for Items {
    fn target_started(&self, target: &str) {
        self.start(target, TARGET_BAR, None);
    }

    fn phase(&self, target: &str, phase: Phase) {
        self.update(target, |item| item.phase = phase.as_str());
    }

    fn pass(&self, target: &str, pass: usize, passes: usize) {
        self.update(target, |item| item.pass = Some((pass, passes)));
    }

    fn rows(&self, target: &str, rows: u64) {
        self.update(target, |item| item.rows = rows);
    }

    fn target_finished(&self, s: &TargetSummary) {
        self.finish(&s.target, target_line(s));
    }

    fn target_failed(&self, target: &str, _error: &str) {
        self.finish(target, failed_target_line(target));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(n(0), "0");
        assert_eq!(n(999), "999");
        assert_eq!(n(1000), "1,000");
        assert_eq!(n(1_234_567), "1,234,567");
    }

    #[test]
    fn an_entity_collapses_into_one_line_with_what_needs_attention() {
        let s = EntitySummary {
            source: Some(Source::Evo),
            entity: "entries".into(),
            status: "complete".into(),
            records: 2000,
            pages: 20,
            rejects: 3,
            throttled: 2,
            duration_secs: 1.25,
            ..Default::default()
        };
        let line = entity_line(&s);
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("evo/entries "), "{line}");
        assert!(
            line.contains("2,000 records") && line.contains("3 rejected"),
            "{line}"
        );
        assert!(line.contains("2 waits on 429"), "{line}");
    }

    #[test]
    fn an_entity_bar_shows_the_budget_in_use_and_a_wait_while_it_lasts() {
        let budget = budget_text(BudgetUse {
            used: 340,
            limit: Some(500),
        });
        assert_eq!(budget, "budget 340/500/min");
        assert_eq!(
            budget_text(BudgetUse {
                used: 1200,
                limit: None
            }),
            "1,200 requests/min"
        );
        let counts = format!("2,000 records, 20 pages, 100/s, {budget}");
        assert_eq!(entity_message(&counts, None), counts);
        assert_eq!(
            entity_message(&counts, Some((Duration::from_secs(12), "429"))),
            format!("{counts}, waiting 12 s (429)")
        );
        assert!(
            entity_message(&counts, Some((Duration::from_millis(2500), "rate limit")))
                .ends_with("waiting 2.5 s (rate limit)")
        );
    }

    #[test]
    fn a_target_bar_shows_its_phase_pass_and_rows() {
        assert_eq!(target_message("planning", None, 0, 0), "planning");
        assert_eq!(target_message("copy", Some((1, 1)), 0, 0), "copy");
        assert_eq!(
            target_message("copy", Some((2, 4)), 1200, 3000),
            "copy, pass 2/4: 1,200 rows, 3,000 rows/s"
        );
        assert_eq!(
            target_message("indexes", Some((1, 1)), 5000, 900),
            "indexes: 5,000 rows, 900 rows/s"
        );
    }
}
