"""A second engine (DuckDB) reads the bronze Parquet exactly as SkyFit wrote it.

Spark, Databricks or Fabric pointed at the same ADLS container see the same files through the
same hive layout, so what DuckDB finds here is what they find: the partition columns
(`scope` for Pipedrive and Zendesk, `entity`, `ingestion_date`, `run_id`) parsed from the
directory names, and every record of every complete run, no more and no less.

Checked against the run manifests (`_manifest.json`, the lake's own account of what each run
wrote) and, when given, the `skyfit extract --json` summaries (what the extractor counted).
Any disagreement is printed and the exit status is 1.

Usage: second_engine.py LAKE_DIR [SUMMARY.json ...]
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

import duckdb

failures = []


def fail(msg):
    failures.append(msg)
    print(f"MISMATCH: {msg}", file=sys.stderr)


def load_manifests(lake):
    """Complete runs per (source, scope, entity): {(date, run_id): manifest}."""
    runs = defaultdict(dict)
    for path in sorted((lake / "bronze").glob("**/_manifest.json")):
        m = json.loads(path.read_text())
        if m.get("status") != "complete":
            continue
        key = (m["source"], m.get("scope"), m["entity"])
        runs[key][(m["ingestion_date"], m["run_id"])] = m
    return runs


def check_entity(con, lake, source, entity, runs_by_scope):
    """Reads every scope of one entity in one glob, so the `scope` column must tell them apart."""
    scoped = any(scope is not None for scope in runs_by_scope)
    level = "scope=*/" if scoped else ""
    glob = f"{lake}/bronze/{source}/{level}entity={entity}/**/*.parquet"
    rel = lambda f: str(Path(f).relative_to(lake))
    rel_sql = f"read_parquet('{glob}', hive_partitioning=true, filename=true)"

    columns = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {rel_sql}").fetchall()]
    before = len(failures)
    expected = ["entity", "ingestion_date", "run_id"] + (["scope"] if scoped else [])
    for c in expected:
        if c not in columns:
            fail(f"{source}/{entity}: hive column {c!r} missing; DuckDB saw {columns}")
    if not scoped and "scope" in columns:
        fail(f"{source}/{entity}: a 'scope' column appeared for an unscoped source")
    if len(failures) > before:
        return {}

    scope_col = "scope" if scoped else "NULL"
    rows = con.sql(
        f"""SELECT {scope_col} AS scope, entity, CAST(ingestion_date AS VARCHAR), run_id,
                   filename, count(*),
                   count(*) FILTER (WHERE _run_id IS DISTINCT FROM run_id),
                   count(*) FILTER (WHERE _ingestion_date IS DISTINCT FROM
                                    CAST(ingestion_date AS VARCHAR)),
                   count(*) FILTER (WHERE _scope IS DISTINCT FROM {scope_col})
            FROM {rel_sql} GROUP BY ALL"""
    ).fetchall()

    read = {}  # lake-relative parquet path -> (scope, date, run_id, records)
    for scope, ent, date, run_id, filename, n, bad_run, bad_date, bad_scope in rows:
        f = rel(filename)
        if ent != entity:
            fail(f"{f}: hive entity {ent!r}, expected {entity!r}")
        for what, bad in (("_run_id", bad_run), ("_ingestion_date", bad_date), ("_scope", bad_scope)):
            if bad:
                fail(f"{f}: {bad} records whose {what} column differs from the hive path")
        read[f] = (scope, date, run_id, n)

    listed = {}
    total = 0
    for scope, runs in runs_by_scope.items():
        for (date, run_id), m in runs.items():
            for p in m["parts"]:
                listed[p["parquet_path"]] = (scope, date, run_id, p["records"])
            if sum(p["records"] for p in m["parts"]) != m["records"]:
                fail(f"{source}/{scope}/{entity}@{run_id}: manifest parts do not add up to its records")
            total += m["records"]
    for f in sorted(set(read) - set(listed)):
        fail(f"{f}: read by DuckDB but listed in no complete run manifest")
    for f in sorted(set(listed) - set(read)):
        fail(f"{f}: listed in a complete manifest but DuckDB did not read it")
    for f in sorted(set(read) & set(listed)):
        if read[f] != listed[f]:
            fail(f"{f}: DuckDB (scope, date, run, records) {read[f]} != manifest {listed[f]}")

    per_scope = defaultdict(int)
    per_run = defaultdict(int)  # (scope, run_id) -> records, for the extractor's summaries
    for scope, _, run_id, n in read.values():
        per_scope[scope] += n
        per_run[(scope, run_id)] += n
    got = sum(per_scope.values())
    if got != total:
        fail(f"{source}/{entity}: DuckDB read {got} records, the manifests say {total}")
    runs = len({run for _, run in per_run})
    print(f"  {source}/{entity}: {got} records in {len(read)} parts of {runs} run(s)"
          + (f" ({', '.join(f'scope={s}: {n}' for s, n in sorted(per_scope.items()))})" if scoped else ""))
    return per_run


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    lake = Path(sys.argv[1]).resolve()
    manifests = load_manifests(lake)
    if not manifests:
        print(f"error: no complete run manifest under {lake}/bronze: nothing to check", file=sys.stderr)
        return 1

    con = duckdb.connect()
    print(f"DuckDB {duckdb.__version__} reading {lake}/bronze")
    by_entity = defaultdict(dict)
    for (source, scope, entity), runs in manifests.items():
        by_entity[(source, entity)][scope] = runs
    counts = {}
    for (source, entity), runs_by_scope in sorted(by_entity.items(), key=lambda kv: kv[0]):
        per_run = check_entity(con, lake, source, entity, runs_by_scope)
        for (scope, run_id), n in per_run.items():
            counts[(source, scope, entity, run_id)] = n

    # What the extractor itself reported, when its summaries are given.
    for summary in sys.argv[2:]:
        for e in json.loads(Path(summary).read_text())["entities"]:
            key = (e["source"], e.get("scope"), e["entity"], e["run_id"])
            if e["status"] != "complete":
                fail(f"{key}: extract reported status {e['status']}")
            elif counts.get(key) != e["records"]:
                fail(f"{key}: DuckDB read {counts.get(key)} records, skyfit extract reported {e['records']}")

    if failures:
        print(f"error: {len(failures)} mismatch(es) between DuckDB's reading and the lake's manifests",
              file=sys.stderr)
        return 1
    print(f"ok: {len(counts)} runs of source/scope/entity read by DuckDB match the manifests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
