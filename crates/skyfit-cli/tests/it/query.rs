//! `skyfit query diff|sample`, `skyfit docs` and SQL error positions, through the binary, on a
//! lake and database filled by `skyfit run --sim-scale tiny`.

use std::path::{Path, PathBuf};

use skyfit_test_utils::TestDb;

use crate::lakes::{LakeKind, TestLake, on_every_lake};
use crate::support::{skyfit, text};

fn repo_queries() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries")
}

/// A database and `lake` after one nightly run on the tiny simulator.
async fn loaded(dir: &Path, lake: &TestLake) -> TestDb {
    let db = TestDb::empty().await;
    let out = lake
        .apply(&mut skyfit(dir))
        .args(["run", "--sim-scale", "tiny"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    // The run's own status is the nightly test's business; here the tables must be loaded.
    if !out.status.success() {
        eprintln!("skyfit run reported a failure: {}", text(&out));
    }
    let members: i64 = db
        .client()
        .query_one("SELECT count(*) FROM core.evo_members", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(members, 200, "{}", text(&out));
    db
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

on_every_lake!(diff_is_empty_after_a_load_and_names_exactly_the_changed_rows);

async fn diff_is_empty_after_a_load_and_names_exactly_the_changed_rows(kind: LakeKind) {
    let lake = TestLake::start(kind);
    let dir = tempfile::tempdir().unwrap();
    let db = loaded(dir.path(), &lake).await;
    let diff = |file: &Path, extra: &[&str]| {
        lake.apply(&mut skyfit(dir.path()))
            .args(["query", "diff"])
            .arg(file)
            .args(extra)
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };

    // Right after the load, every core table equals its query over the whole lake.
    let mut core: Vec<PathBuf> = std::fs::read_dir(repo_queries().join("core"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    core.sort();
    assert!(core.len() > 20);
    for file in &core {
        let out = diff(file, &["--fail-on-diff"]);
        let t = text(&out);
        assert!(out.status.success(), "{}: {t}", file.display());
        assert!(t.contains("No differences."), "{}: {t}", file.display());
        assert!(t.contains("only in the query: 0"), "{t}");
    }

    // A changed query: one column for every tenth member, and a filter dropping some members.
    let original = std::fs::read_to_string(repo_queries().join("core/evo_members.sql")).unwrap();
    let first_name = "json_as_text(_raw, 'firstName') AS first_name,";
    assert!(original.contains(first_name));
    let changed = original.replace(
        first_name,
        "CASE WHEN latest.member_id % 10 = 0 THEN 'CHANGED' ELSE json_as_text(_raw, 'firstName') END AS first_name,",
    );
    let changed = format!("{}\nWHERE latest.member_id % 25 <> 1\n", changed.trim_end());
    let file = dir.path().join("evo_members.sql");
    std::fs::write(&file, changed).unwrap();
    let renamed = count(
        &db,
        "SELECT count(*) FROM core.evo_members WHERE member_id % 10 = 0 AND first_name IS DISTINCT FROM 'CHANGED'",
    )
    .await;
    let dropped = count(
        &db,
        "SELECT count(*) FROM core.evo_members WHERE member_id % 25 = 1",
    )
    .await;
    let total = count(&db, "SELECT count(*) FROM core.evo_members").await;
    assert!(renamed > 0 && dropped > 0, "{renamed} {dropped}");

    let out = diff(&file, &["--examples", "3"]);
    let t = text(&out);
    assert!(
        out.status.success(),
        "without --fail-on-diff the diff exits 0: {t}"
    );
    assert!(
        t.contains(&format!(
            "rows: {} in the query, {total} in the table",
            total - dropped
        )),
        "{t}"
    );
    assert!(t.contains("only in the query: 0"), "{t}");
    assert!(t.contains(&format!("only in the table: {dropped}")), "{t}");
    assert!(t.contains("differing: 1\n"), "{t}");
    assert!(
        t.contains(&format!("first_name: {renamed} row(s) differ")),
        "{t}"
    );
    assert!(t.contains("query `CHANGED` table"), "{t}");
    assert!(t.contains("Differences found."), "{t}");

    let out = diff(&file, &["--fail-on-diff", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["only_in_table"]["count"], dropped);
    let differing: Vec<&serde_json::Value> = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["differing"].as_i64() != Some(0))
        .collect();
    assert_eq!(differing.len(), 1);
    assert_eq!(differing[0]["column"], "first_name");
    assert_eq!(differing[0]["differing"], renamed);

    // The catalog, with PostgreSQL types from the migrated database.
    let catalog = dir.path().join("catalog.md");
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["docs", "--types", "database", "--output"])
        .arg(&catalog)
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let md = std::fs::read_to_string(&catalog).unwrap();
    assert!(md.contains("types from the migrated database"), "{md}");
    assert!(md.contains("## core.evo_entries"), "{md}");
    assert!(
        md.contains("| `first_name` | ") && md.contains("`firstName`"),
        "{md}"
    );
    assert!(md.contains("timestamp with time zone"), "{md}");
}

#[test]
fn sample_is_a_deterministic_valid_lake_with_every_entity() {
    // A lake only (no database): EVO in parts of 100 records, so entries has 20 parts.
    let dir = tempfile::tempdir().unwrap();
    for source in ["evo", "pipedrive"] {
        let out = skyfit(dir.path())
            .args([
                "extract",
                source,
                "--sim-scale",
                "tiny",
                "--part-records",
                "100",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let sample = |out: &str| {
        let o = skyfit(dir.path())
            .args([
                "query",
                "sample",
                "--fraction",
                "0.3",
                "--whole-below",
                "0",
                "--output",
                out,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    let t = sample("s1");
    sample("s2");
    let entries = t
        .lines()
        .find(|l| l.starts_with("evo/entries "))
        .unwrap_or_else(|| panic!("{t}"));
    let parts: Vec<u64> = entries
        .split_whitespace()
        .nth(1)
        .unwrap()
        .split('/')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(parts[1], 20, "{t}");
    assert!(parts[0] >= 1 && parts[0] < 20, "{t}");
    // A second sample into a used directory is refused.
    let again = skyfit(dir.path())
        .args(["query", "sample", "--output", "s1"])
        .output()
        .unwrap();
    assert!(!again.status.success());

    let files = |root: &Path| -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().display().to_string();
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    };
    let (s1, s2) = (files(&dir.path().join("s1")), files(&dir.path().join("s2")));
    assert_eq!(s1, s2, "the same lake and fraction give the same sample");

    // Every entity of the lake has at least one part in the sample, and every manifest
    // lists exactly the parts that were copied.
    let manifests: Vec<&String> = s1
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with("_manifest.json"))
        .collect();
    assert!(!manifests.is_empty());
    let (mut kept, mut all) = (0u64, 0u64);
    for m in &manifests {
        let m: skyfit_lake::Manifest =
            serde_json::from_slice(&std::fs::read(dir.path().join("s1").join(m)).unwrap()).unwrap();
        assert!(m.is_complete());
        assert!(!m.parts.is_empty());
        assert_eq!(m.records, m.parts.iter().map(|p| p.records).sum::<u64>());
        for p in &m.parts {
            assert!(dir.path().join("s1").join(&p.path).is_file(), "{}", p.path);
            assert!(dir.path().join("s1").join(&p.parquet_path).is_file());
        }
        kept += m.parts.len() as u64;
    }
    let source_manifests = files(&dir.path().join(".skyfit/lake"))
        .into_iter()
        .filter(|(p, _)| p.ends_with("_manifest.json"))
        .collect::<Vec<_>>();
    let mut entities = std::collections::BTreeSet::new();
    for (p, bytes) in &source_manifests {
        let m: skyfit_lake::Manifest = serde_json::from_slice(bytes).unwrap();
        if m.is_complete() && !m.parts.is_empty() {
            all += m.parts.len() as u64;
            entities.insert(p.split("/ingestion_date=").next().unwrap().to_string());
        }
    }
    let sampled_entities: std::collections::BTreeSet<String> = manifests
        .iter()
        .map(|p| p.split("/ingestion_date=").next().unwrap().to_string())
        .collect();
    assert_eq!(entities, sampled_entities);
    assert!(kept <= all, "{kept} of {all}");

    // The sample is a lake the query tools read.
    let out = skyfit(dir.path())
        .args(["query", "run"])
        .arg(repo_queries().join("core/evo_entries.sql"))
        .args(["--limit", "1"])
        .env("SKYFIT_LAKE_URL", dir.path().join("s1"))
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("1 rows shown"), "{t}");
}

#[test]
fn sql_errors_point_at_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let header = "-- @target: core.evo_branches\n-- @key: branch_id\n";
    let cases = [
        (
            "unknown_column.sql",
            format!(
                "{header}SELECT\n  _line AS branch_id,\n     no_such_column AS b\nFROM bronze.evo_branches\n"
            ),
            "unknown_column.sql:5:6: ",
        ),
        (
            "syntax.sql",
            format!(
                "{header}SELECT\n  _line AS branch_id,\n  (1 + ) AS b\nFROM bronze.evo_branches\n"
            ),
            "syntax.sql:5:8: ",
        ),
    ];
    for (name, sql, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, sql).unwrap();
        let out = skyfit(dir.path())
            .args(["query", "run"])
            .arg(&file)
            .output()
            .unwrap();
        let t = text(&out);
        assert!(!out.status.success(), "{t}");
        assert!(t.contains(expected), "{expected}: {t}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The binary runs the SQL compiled into it, which matches its migrations: a `./queries` that
/// differs is not used, and a warning names the file that differs; `--queries` runs it.
#[test]
fn the_compiled_queries_run_unless_queries_is_given() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_queries(), &dir.path().join("queries"));
    let extra = "-- @target: core.zz_local_only\n-- @key: id\nSELECT CAST(1 AS BIGINT) AS id FROM bronze.evo_branches -- a table only the local copy has\n";
    std::fs::write(dir.path().join("queries/core/zz_local_only.sql"), extra).unwrap();
    let catalog = |extra_args: &[&str]| {
        let out_file = dir.path().join("catalog.md");
        let out = skyfit(dir.path())
            .args(extra_args)
            .args(["docs", "--types", "query", "--output"])
            .arg(&out_file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        (std::fs::read_to_string(&out_file).unwrap(), text(&out))
    };

    let (compiled, log) = catalog(&[]);
    assert!(compiled.contains("core.evo_members"), "{compiled}");
    let checked_in = repo_queries().join("../docs/catalog.md");
    assert!(
        compiled == std::fs::read_to_string(&checked_in).unwrap(),
        "docs/catalog.md is not what the queries give: run `skyfit docs --types query`"
    );
    assert!(!compiled.contains("zz_local_only"), "{compiled}");
    assert!(
        log.contains("queries/core/zz_local_only.sql") && log.contains("--queries queries"),
        "the warning names the differing file and the way to use it: {log}"
    );

    let (local, log) = catalog(&["--queries", "queries"]);
    assert!(local.contains("zz_local_only"), "{local}");
    assert!(!log.contains("differs"), "{log}");
}
