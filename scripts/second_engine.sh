#!/usr/bin/env bash
# A second engine reads the bronze lake: `skyfit extract --sim-scale tiny` writes every source
# into a throwaway local lake, then DuckDB (from PyPI, in a private virtualenv under
# $SKYFIT_TOOLS) reads its Parquet parts through the hive layout, as Spark, Databricks or
# Fabric would on the ADLS container, and scripts/second_engine.py checks the partition
# columns and every record count against the run manifests and the extractor's own summary.
#
#   scripts/second_engine.sh            extract a fresh tiny lake and check it
#   scripts/second_engine.sh LAKE_DIR   check an existing local lake (no extraction)
#
# Reuses the debug binary (scripts/test.sh runs this right after `cargo test`, which built it)
# and builds it only when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export SKYFIT_TOOLS="${SKYFIT_TOOLS:-$PWD/.skyfit/tools}"
. scripts/lib.sh

venv="$SKYFIT_TOOLS/duckdb-venv"
VENV_IMPORTS=duckdb ensure_venv "$venv" 'duckdb>=1.1,<3'

if [ $# -ge 1 ]; then
    exec "$venv/bin/python" scripts/second_engine.py "$1"
fi

bin="$(realpath -m "${CARGO_TARGET_DIR:-target}/debug/skyfit")"
if [ ! -x "$bin" ]; then
    ensure_rust
    echo "==> cargo build (skyfit)"
    cargo build --locked -q -p skyfit-cli
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# EVO twice (the second run a full re-extraction of two entities), so one entity holds two
# runs that only the run_id partition tells apart.
for step in evo pipedrive zendesk "evo members entries --full"; do
    read -r source args <<<"$step"
    out="$source${args:+-again}"
    echo "==> skyfit extract $step --sim-scale tiny into $work/lake"
    # From $work, so no skyfit.toml or .env of the checkout points it elsewhere. Small parts, so
    # an entity spans several part files as a real history does.
    # shellcheck disable=SC2086 # $args is a list of words
    if ! (cd "$work" && SKYFIT_LAKE_URL="file://$work/lake" "$bin" extract "$source" $args \
        --sim-scale tiny --part-records 500 --json -q >"$out.json" 2>"$out.log"); then
        cat "$work/$out.log" >&2
        echo "error: skyfit extract $step failed" >&2
        exit 1
    fi
done
"$venv/bin/python" scripts/second_engine.py "$work/lake" "$work"/*.json
