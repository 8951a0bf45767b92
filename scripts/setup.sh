#!/usr/bin/env bash
# Installs what is missing (PostgreSQL), builds skyfit and runs the nightly job on the
# embedded default: local lake in .skyfit/lake, local PostgreSQL, the API simulator for every
# source without credentials. Pass extra arguments to `skyfit run`, e.g. --sim-scale tiny.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_postgres
echo "==> cargo build"
cargo build --locked -q -p skyfit-cli
echo "==> skyfit run $*"
exec target/debug/skyfit run "$@"
