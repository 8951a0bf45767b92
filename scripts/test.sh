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
ensure_rust
ensure_postgres
ensure_azurite
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --locked --workspace --all-targets -q -- -D warnings
echo "==> cargo test"
cargo test --locked --workspace --all-targets
