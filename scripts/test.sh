#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test of the workspace
# against a real PostgreSQL (started by the tests through skyfit's embedded server) and a real
# Azurite for the Azure lake path.
set -euo pipefail
cd "$(dirname "$0")/.."
export SKYFIT_TOOLS="${SKYFIT_TOOLS:-$PWD/.skyfit/tools}"
# The lake's Azure tests start Azurite from here.
export AZURITE_DIR="$SKYFIT_TOOLS"
. scripts/lib.sh
# A fresh clone gains nothing from incremental compilation, and its caches cost gigabytes of disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
ensure_rust
ensure_postgres
ensure_azurite
ensure_tmux
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --locked --workspace --all-targets -q -- -D warnings
# The production binary: skyfit-cli without its default features (the simulator, the benches).
# Only skyfit-cli has features, so this recompiles skyfit-cli alone, not DataFusion.
echo "==> cargo clippy --no-default-features (the production binary)"
cargo clippy --locked --workspace --all-targets --no-default-features -q -- -D warnings
if cargo tree --locked -p skyfit-cli --no-default-features -e normal,build --prefix none |
    grep -E '^skyfit-(api-sim|benches|test-utils) '; then
    echo "error: skyfit-cli without default features still links the crates above" >&2
    exit 1
fi
echo "==> cargo test"
cargo test --locked --workspace --all-targets
echo "==> cargo test --no-default-features --bin skyfit (the production binary's unit tests)"
cargo test --locked --workspace --no-default-features --bin skyfit -q
echo "==> second engine (DuckDB) reads the bronze Parquet"
bash scripts/second_engine.sh
echo "==> deploy/"
bash deploy/check.sh
