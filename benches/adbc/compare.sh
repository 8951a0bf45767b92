#!/usr/bin/env bash
# Arrow → PostgreSQL load stage alone: skyfit-load's binary COPY (benches/src/bin/arrow_copy.rs)
# beside Apache Arrow's ADBC PostgreSQL driver (benches/adbc/ingest.py), on the same Parquet
# rows and the same database, alternating ours/ADBC/ours/ADBC… (REPEATS runs each, default 3).
# Each run times connect + DROP/CREATE table + COPY + COMMIT of batches already in memory.
#
#   benches/adbc/compare.sh PARQUET_FILE_OR_DIR [LABEL]
#
# Producing the Parquet (core rows of a 1M-entry bench lake; `skyfit bench entries` builds
# such lakes under /tmp/skyfit-bench):
#
#   SKYFIT_LAKE_URL=/tmp/skyfit-bench/lake-n1000000-d3-s42-c16 \
#     target/release/skyfit query run queries/core/evo_entries.sql \
#     --format parquet --output /tmp/core_entries.parquet
#
# DataFusion writes a single file when the path ends in .parquet, else a directory of parts;
# both tools take either. Compare on the core (typed) rows: both sides then create the same
# column types. The stg shape (queries/stg/evo_entries.sql) also works, but its raw_data is
# Utf8, so both sides load it as TEXT (the loader's target column is JSONB); pass LABEL
# "stg, raw_data as TEXT on both sides" to say so in the output.
#
# Environment: DATABASE_URL (default postgresql://skyfit:skyfit@127.0.0.1:5432/skyfit_adbc,
# a superuser role so the untimed CHECKPOINT between runs works), REPEATS, BATCH_ROWS (8192),
# ARROW_COPY (default target/release/arrow_copy: cargo build --release -p skyfit-benches
# --bin arrow_copy), ADBC_PYTHON (default .skyfit/adbc-venv/bin/python, made by:
# python3 -m venv .skyfit/adbc-venv && .skyfit/adbc-venv/bin/pip install adbc-driver-postgresql pyarrow).
set -euo pipefail

parquet=${1:?usage: compare.sh PARQUET_FILE_OR_DIR [LABEL]}
label=${2:-core (typed) rows}
root=$(cd "$(dirname "$0")/../.." && pwd)
url=${DATABASE_URL:-postgresql://skyfit:skyfit@127.0.0.1:5432/skyfit_adbc}
repeats=${REPEATS:-3}
batch_rows=${BATCH_ROWS:-8192}
bin=${ARROW_COPY:-$root/target/release/arrow_copy}
py=${ADBC_PYTHON:-$root/.skyfit/adbc-venv/bin/python}
# libpq (under ADBC) defaults to sslmode=prefer and so to TLS when the server has it on;
# arrow_copy uses plain TCP unless told. Same transport on both sides:
case $url in *sslmode=*) ;; *\?*) url="$url&sslmode=disable" ;; *) url="$url?sslmode=disable" ;; esac

# One invocation's output as "SIDE run I: …"; its header line (tool, rows, table) only the first time.
show() {
    if [ "$2" -gt 1 ]; then sed 1d; else cat; fi | sed -e "s/^run 1:/$1 run $2:/" -e '/^median/d'
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "load stage alone: $label — $parquet"
echo "load before: $(uptime)"
for i in $(seq "$repeats"); do
    "$bin" --parquet "$parquet" --table arrow_copy_ours --database-url "$url" \
        --repeat 1 --batch-rows "$batch_rows" | tee -a "$log" | show ours "$i"
    "$py" "$root/benches/adbc/ingest.py" --parquet "$parquet" --table arrow_copy_adbc --uri "$url" \
        --repeat 1 --batch-rows "$batch_rows" | tee -a "$log" | show ADBC "$i"
done
echo "load after:  $(uptime)"

# Each invocation prints a header (ours… / ADBC…) then "run 1: rows R seconds S rows/s X MB/s Y".
awk -v label="$label" '
    /^ours /  { side = "ours" }
    /^ADBC /  { side = "ADBC" }
    /^run 1:/ { rows = $4; n[side]++; s[side, n[side]] = $6; mbs[side, n[side]] = $10 }
    function median(side,   i, j, t, v, k) {
        k = n[side]
        for (i = 1; i <= k; i++) v[i] = s[side, i]
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return v[int((k + 1) / 2)]
    }
    END {
        mo = median("ours"); ma = median("ADBC")
        printf "\n%-6s %10s %12s %12s   (%s, %d rows, %d runs each, medians)\n", "", "seconds", "rows/s", "runs (s)", label, rows, n["ours"]
        for (k = 0; k < 2; k++) {
            side = k ? "ADBC" : "ours"; m = k ? ma : mo; runs = ""
            for (i = 1; i <= n[side]; i++) runs = runs sprintf("%.3f ", s[side, i])
            printf "%-6s %10.3f %12.0f   %s\n", side, m, rows / m, runs
        }
        printf "ratio ours/ADBC, rows/s: %.2f (above 1: ours faster)\n", ma / mo
    }' "$log"

if command -v psql >/dev/null; then
    echo
    echo "column types created (ours | ADBC):"
    psql "$url" -AtF ' | ' -c "
        SELECT o.column_name, o.data_type, coalesce(a.data_type, '-')
        FROM information_schema.columns o
        LEFT JOIN information_schema.columns a
          ON a.table_name = 'arrow_copy_adbc' AND a.column_name = o.column_name
         AND a.table_schema = o.table_schema
        WHERE o.table_name = 'arrow_copy_ours' AND o.table_schema = current_schema()
        ORDER BY o.ordinal_position"
    psql "$url" -qc "DROP TABLE IF EXISTS arrow_copy_ours, arrow_copy_adbc"
fi
