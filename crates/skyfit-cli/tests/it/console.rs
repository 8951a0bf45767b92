//! What a person sees of `skyfit run` (issue 18, section 1). On a terminal (a real one: the
//! run inside `tmux`, its screen captured): live bars while it runs, no info log lines, one
//! line per finished entity and target and a short summary. Piped, as under cron: one plain
//! line per entity and per target, no line twice, under 100 lines in all; in JSON, stderr is
//! JSON only.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{LocalEnv, text};

const RUN: &[&str] = &["run", "--sim-scale", "tiny"];

/// Every entity (`evo/entries`, `pipedrive/comercial/deals`) and target (`core.evo_entries`)
/// the run's ledger rows name: each must have exactly one line.
async fn ledger_names(env: &LocalEnv) -> (BTreeSet<String>, BTreeSet<String>) {
    let rows = env
        .db
        .client()
        .query(
            "SELECT stage, source, scope, entity FROM meta.pipeline_runs
             WHERE stage IN ('bronze', 'stg', 'core')",
            &[],
        )
        .await
        .unwrap();
    let (mut entities, mut targets) = (BTreeSet::new(), BTreeSet::new());
    for r in rows {
        let (stage, source, scope, entity): (String, String, Option<String>, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if stage == "bronze" {
            entities.insert(match scope {
                Some(s) => format!("{source}/{s}/{entity}"),
                None => format!("{source}/{entity}"),
            });
        } else {
            targets.insert(entity);
        }
    }
    (entities, targets)
}

/// The lines that start with `name` followed by a space.
fn lines_of<'a>(lines: &[&'a str], name: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| {
            l.trim_start()
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' '))
        })
        .copied()
        .collect()
}

/// Asserts that no non-empty line appears twice.
fn each_line_once(lines: &[&str], all: &str) {
    let mut seen = HashMap::new();
    for l in lines.iter().filter(|l| !l.trim().is_empty()) {
        *seen.entry(*l).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "printed more than once: {twice:?}\n{all}");
}

/// A text log line at info (`2026-01-01T00:00:00Z  INFO Applied migration. ...`).
fn is_info_log(l: &str) -> bool {
    l.split_whitespace().take(2).any(|w| w == "INFO")
}

/// The summary a person reads at the end, and the per-line checks both modes share.
async fn assert_reads_well(env: &LocalEnv, lines: &[&str], all: &str) {
    assert!(all.contains("All steps succeeded"), "{all}");
    assert!(
        all.contains("Extracted ") && all.contains("Loaded ") && all.contains("Data tests: "),
        "{all}"
    );
    assert!(all.contains("`skyfit status"), "{all}");
    let info: Vec<_> = lines.iter().filter(|l| is_info_log(l)).collect();
    assert!(info.is_empty(), "info log lines: {info:?}\n{all}");
    each_line_once(lines, all);
    let (entities, targets) = ledger_names(env).await;
    assert!(
        entities.len() >= 10 && targets.len() >= 40,
        "{entities:?} {targets:?}"
    );
    for name in entities.iter().chain(&targets) {
        let found = lines_of(lines, name);
        assert_eq!(found.len(), 1, "{name}: {found:?}\n{all}");
    }
}

/// Cron, CI, a container: stdout and stderr are pipes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_a_run_prints_one_line_per_entity_and_target_and_nothing_twice() {
    let env = LocalEnv::new().await;
    let out = env.run(RUN).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        !all.contains('\u{1b}') && !all.contains('\r'),
        "terminal control in piped output:\n{all}"
    );
    let lines: Vec<&str> = all.lines().collect();
    let printed = lines.iter().filter(|l| !l.trim().is_empty()).count();
    assert!(printed < 100, "{printed} lines:\n{all}");
    assert_reads_well(&env, &lines, &all).await;

    // For log collectors: stderr is one JSON object per line, nothing else.
    let out = env
        .run(&["run", "--sim-scale", "tiny", "--log-format", "json"])
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.trim().is_empty());
    for l in stderr.lines() {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{stderr}"));
        assert!(v.get("level").is_some() && v.get("fields").is_some(), "{l}");
    }
}

/// A private tmux server with one fixed-size window; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The screen and its scrollback, wrapped lines joined, without colours.
    fn screen(&self) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-J", "-S", "-", "-t", "console"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A shell script running `cmd` exactly as built (its environment only, plus TERM), writing
/// its exit code to `done`, then keeping the pane open so its screen can be read.
fn script(cmd: &Command, done: &Path) -> String {
    let mut line = String::from("env -i TERM=screen");
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            line.push_str(&format!(
                " {}={}",
                k.to_string_lossy(),
                quoted(&v.to_string_lossy())
            ));
        }
    }
    line.push(' ');
    line.push_str(&quoted(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quoted(&a.to_string_lossy()));
    }
    let dir = cmd.get_current_dir().map(PathBuf::from).unwrap_or_default();
    format!(
        "cd {}\n{line}\necho $? > {}\nexec sleep 600\n",
        quoted(&dir.to_string_lossy()),
        quoted(&done.to_string_lossy())
    )
}

/// A person at a terminal. Two tables are locked by the test while the run loads, so the
/// screen is captured at two known moments mid-run. An incremental target's table, exclusively:
/// its load waits at the COPY into its stage (`LIKE` the table), the extraction done (each
/// entity one line), the bar saying `copy`. Then a full refresh's table, for reading: its
/// load waits to swap its shadow in, the bar saying `swap`. Then the locks go and the run ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_bars_run_and_collapse_into_lines_and_a_summary() {
    let env = LocalEnv::new().await;
    let migrated = env.run(&["db", "migrate"]).await;
    assert!(migrated.status.success(), "{}", text(&migrated));
    let client = env.db.client();
    // The exclusive lock after a savepoint: rolled back to it, that lock goes and the other
    // stays.
    client
        .batch_execute(
            "BEGIN; LOCK TABLE core.evo_branches IN ACCESS SHARE MODE; SAVEPOINT copy; \
             LOCK TABLE stg_evo.branches_raw IN ACCESS EXCLUSIVE MODE",
        )
        .await
        .unwrap();

    let done = env.dir.path().join("exit-code");
    let run_sh = env.dir.path().join("run.sh");
    std::fs::write(&run_sh, script(&env.skyfit(RUN), &done)).unwrap();
    let tmux = Tmux {
        socket: format!("skyfit-console-{}", std::process::id()),
    };
    let started = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "180",
        "-y",
        "50",
        &format!("sh {}", quoted(&run_sh.to_string_lossy())),
    ]);
    assert!(started.status.success(), "{started:?}");

    // Mid-run: the load waits on the lock with its bar on screen, in the COPY.
    let live = bar_saying(&tmux, &done, "stg_evo.branches_raw", "copy").await;
    let lines: Vec<&str> = live.lines().collect();
    assert!(
        lines_of(&lines, "evo/entries")
            .iter()
            .any(|l| l.contains("complete") && l.contains("records")),
        "the extraction's entities are not one line each:\n{live}"
    );
    assert!(!lines.iter().any(|l| is_info_log(l)), "{live}");
    client
        .batch_execute("ROLLBACK TO SAVEPOINT copy")
        .await
        .unwrap();

    // The full refresh has copied and indexed its shadow, and waits for the reader to swap.
    bar_saying(&tmux, &done, "core.evo_branches", "swap").await;
    client.batch_execute("ROLLBACK").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while !done.exists() {
        assert!(Instant::now() < deadline, "{}", tmux.screen());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let code = std::fs::read_to_string(&done).unwrap();
    let end = tmux.screen();
    assert_eq!(code.trim(), "0", "{end}");
    let lines: Vec<&str> = end.lines().map(str::trim_end).collect();
    // The bars are gone: what stays is one line per entity and target, and the summary.
    assert!(
        !lines.iter().any(|l| [
            "planning",
            "writing",
            "committing",
            " windows ",
            "copy",
            "swap"
        ]
        .iter()
        .any(|p| l.contains(p))),
        "a bar stayed on screen:\n{end}"
    );
    assert_reads_well(&env, &lines, &end).await;
}

/// The screen once the bar of `name` says `phase` (within four minutes, while the run lasts).
async fn bar_saying(tmux: &Tmux, done: &Path, name: &str, phase: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let screen = tmux.screen();
        if screen
            .lines()
            .any(|l| l.contains(name) && l.contains(phase))
        {
            return screen;
        }
        assert!(
            !done.exists() && Instant::now() < deadline,
            "no bar of {name} saying {phase}:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
