//! `docs/architecture.md`'s crate table against the real dependency graph.
//!
//! The table under "## Crates" names, for every workspace crate, the SkyFit crates it depends
//! on. This test reads `cargo metadata` and fails, naming every difference, when a Cargo.toml
//! and the table disagree: the table is how a newcomer learns which way the crates depend, so
//! it must not drift. Only normal and build dependencies count (dev-dependencies are test
//! fixtures, not the architecture); an optional dependency is written with the feature that
//! enables it, e.g. `api-sim (feature sim)`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The SkyFit crates one crate depends on: name → optional?
type Deps = BTreeMap<String, bool>;

const TABLE_HEADING: &str = "## Crates";
const CRATE_COLUMN: &str = "crate";
const DEPS_COLUMN: &str = "depends on";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every workspace crate and its SkyFit (workspace) dependencies, from `cargo metadata`.
fn metadata_graph(root: &Path) -> BTreeMap<String, Deps> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(&cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("running `{cargo} metadata`: {e}"));
    assert!(
        out.status.success(),
        "`{cargo} metadata` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON");
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages: Vec<&Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .collect();
    let names: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    packages
        .iter()
        .map(|p| {
            let mut deps = Deps::new();
            for d in p["dependencies"].as_array().expect("dependencies") {
                let name = d["name"].as_str().unwrap_or_default();
                // `kind` is null for normal dependencies, "build" or "dev" otherwise.
                let counted = matches!(d["kind"].as_str(), None | Some("build"));
                if counted && names.contains(name) {
                    let optional = d["optional"].as_bool().unwrap_or(false);
                    // A dependency declared twice (e.g. per target) is optional only if
                    // every declaration is.
                    let entry = deps.entry(name.to_string()).or_insert(optional);
                    *entry &= optional;
                }
            }
            (p["name"].as_str().unwrap_or_default().to_string(), deps)
        })
        .collect()
}

fn full_name(short: &str) -> String {
    if short.starts_with("skyfit-") {
        short.to_string()
    } else {
        format!("skyfit-{short}")
    }
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_string()).collect()
}

/// The crate table of `markdown`: crate → dependencies as the table states them.
fn table_graph(markdown: &str) -> Result<BTreeMap<String, Deps>, String> {
    let mut lines = markdown
        .lines()
        .skip_while(|l| l.trim() != TABLE_HEADING)
        .skip(1)
        .skip_while(|l| !l.trim_start().starts_with('|'));
    let header = lines
        .next()
        .ok_or_else(|| format!("no table under `{TABLE_HEADING}`"))?;
    let header = cells(header);
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("the table has no `{name}` column (columns: {header:?})"))
    };
    let (crate_col, deps_col) = (column(CRATE_COLUMN)?, column(DEPS_COLUMN)?);
    let mut graph = BTreeMap::new();
    for line in lines
        .skip(1)
        .take_while(|l| l.trim_start().starts_with('|'))
    {
        let row = cells(line);
        // The first word, so a cell may add a note: `skyfit-benches` (`benches/`).
        let name = row
            .get(crate_col)
            .and_then(|c| c.split_whitespace().next())
            .unwrap_or_default()
            .trim_matches('`')
            .to_string();
        let mut deps = Deps::new();
        let stated = row.get(deps_col).map(String::as_str).unwrap_or_default();
        if !matches!(stated, "" | "—" | "-") {
            for item in stated.split(',') {
                let item = item.trim();
                let short = item
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .trim_matches('`');
                deps.insert(full_name(short), item.contains("(feature"));
            }
        }
        if graph.insert(name.clone(), deps).is_some() {
            return Err(format!("`{name}` has two rows"));
        }
    }
    Ok(graph)
}

/// Every way `table` differs from `actual`, as sentences.
fn differences(table: &BTreeMap<String, Deps>, actual: &BTreeMap<String, Deps>) -> Vec<String> {
    let mut out = Vec::new();
    for name in actual.keys().filter(|n| !table.contains_key(*n)) {
        out.push(format!("`{name}` is a workspace crate but has no row"));
    }
    for name in table.keys().filter(|n| !actual.contains_key(*n)) {
        out.push(format!("`{name}` has a row but is not a workspace crate"));
    }
    for (name, stated) in table {
        let Some(real) = actual.get(name) else {
            continue;
        };
        for (dep, optional) in real {
            match stated.get(dep) {
                None => out.push(format!(
                    "`{name}` depends on `{dep}`{} but the table does not say so",
                    if *optional { " (optional)" } else { "" }
                )),
                Some(s) if s != optional => out.push(format!(
                    "`{name}` → `{dep}` is {} in Cargo.toml but {} in the table",
                    if *optional {
                        "optional"
                    } else {
                        "not optional"
                    },
                    if *s {
                        "marked `(feature …)`"
                    } else {
                        "not marked `(feature …)`"
                    }
                )),
                Some(_) => {}
            }
        }
        for dep in stated.keys().filter(|d| !real.contains_key(*d)) {
            out.push(format!(
                "the table says `{name}` depends on `{dep}`, but its Cargo.toml does not"
            ));
        }
    }
    out
}

#[test]
fn crate_table_matches_cargo_metadata() {
    let root = workspace_root();
    let doc = root.join("docs/architecture.md");
    let markdown =
        std::fs::read_to_string(&doc).unwrap_or_else(|e| panic!("reading {}: {e}", doc.display()));
    let table = table_graph(&markdown).unwrap_or_else(|e| panic!("docs/architecture.md: {e}"));
    let diffs = differences(&table, &metadata_graph(&root));
    assert!(
        diffs.is_empty(),
        "docs/architecture.md's crate table (section \"Crates\", column \"{DEPS_COLUMN}\") \
         disagrees with `cargo metadata`:\n  - {}\n\
         Update the table so it states what the Cargo.toml files declare (normal and build \
         dependencies on workspace crates; optional ones as `name (feature f)`), or fix the \
         dependency if the table states the intended direction.",
        diffs.join("\n  - ")
    );
}

#[test]
fn table_parser_reads_names_features_and_none() {
    let md = "# A\n\n## Crates\n\ntext\n\n| crate | what | depends on |\n|---|---|---|\n\
              | `skyfit-core` | ids | — |\n| `skyfit-cli` (`x/`) | cli | core, api-sim (feature sim) |\n\
              \nafter\n| `not-a-row` | | |\n";
    let g = table_graph(md).unwrap();
    assert_eq!(g.len(), 2);
    assert!(g["skyfit-core"].is_empty());
    assert_eq!(
        g["skyfit-cli"],
        Deps::from([
            ("skyfit-api-sim".to_string(), true),
            ("skyfit-core".to_string(), false)
        ])
    );
    let actual = BTreeMap::from([
        ("skyfit-core".to_string(), Deps::new()),
        (
            "skyfit-cli".to_string(),
            Deps::from([
                ("skyfit-api-sim".to_string(), false),
                ("skyfit-lake".to_string(), false),
            ]),
        ),
        ("skyfit-lake".to_string(), Deps::new()),
    ]);
    let d = differences(&g, &actual);
    assert_eq!(d.len(), 4, "{d:#?}");
}
