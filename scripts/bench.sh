#!/usr/bin/env bash
# The EVO entries benchmark (docs/performance.md): builds the release binary, then runs
# `skyfit bench entries` at 1M entries (and 10M with --10m), each printing the load's wall time,
# rows/s, peak RSS and the ratio to PostgreSQL's server-side COPY of the same rows, then the
# nightly case: a 50K-entry delta merged into the full tables.
#
#   scripts/bench.sh            # 1M, best of 3 (the machine is shared: take the best run)
#   scripts/bench.sh --10m      # 1M, then 10M once
#   REPEAT=1 scripts/bench.sh   # one run
#
# Extra arguments after the flags go to `skyfit bench entries` (e.g. --pg-options '-c synchronous_commit=off').
# Criterion benches per stage: cargo bench -p skyfit-benches -- --quick
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust
ensure_postgres

ten=""
if [ "${1:-}" = "--10m" ]; then ten=1; shift; fi
repeat="${REPEAT:-3}"

echo "==> cargo build --release -p skyfit-cli"
cargo build --release -p skyfit-cli
bin=target/release/skyfit

for i in $(seq 1 "$repeat"); do
    echo "==> skyfit bench entries --records 1000000 (run $i of $repeat)"
    "$bin" bench entries --records 1000000 --delta 50000 "$@"
done
if [ -n "$ten" ]; then
    # The limit half at 10M needs ~15 GB more disk (COPY files and a second copy of the rows).
    echo "==> skyfit bench entries --records 10000000 --skip-limit --delta 50000"
    "$bin" bench entries --records 10000000 --skip-limit --delta 50000 "$@"
fi
