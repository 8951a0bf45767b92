#!/usr/bin/env bash
# Validates what can be validated of deploy/ on this machine: the systemd units with
# `systemd-analyze verify` (against the built binary), the Container Apps job's YAML (shape and
# secret references), and the image when a container engine answers. Says what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SKYFIT_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/skyfit}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if command -v systemd-analyze >/dev/null; then
    [ -x "$bin" ] || { echo "deploy/check.sh: $bin not built (cargo build first)" >&2; exit 1; }
    for unit in skyfit.service skyfit.timer; do
        sed "s#/usr/local/bin/skyfit#$bin#" "deploy/systemd/$unit" >"$tmp/$unit"
    done
    # The unit's user is created at install time; verify reads units, not accounts.
    # Unknown keys and bad values are only warnings to systemd; here they fail.
    if ! out="$(systemd-analyze verify "$tmp/skyfit.service" "$tmp/skyfit.timer" 2>&1)" || [ -n "$out" ]; then
        echo "$out" >&2
        echo "deploy/check.sh: systemd-analyze verify complained about deploy/systemd" >&2
        exit 1
    fi
    echo "deploy: systemd units verified"
else
    echo "deploy: systemd units NOT verified (no systemd-analyze here)"
fi

python3 - deploy/azure/skyfit-job.yaml <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
p = job["properties"]
conf, containers = p["configuration"], p["template"]["containers"]
assert conf["triggerType"] == "Schedule", "the job must be scheduled"
assert len(conf["scheduleTriggerConfig"]["cronExpression"].split()) == 5, "cron has 5 fields"
assert conf["replicaRetryLimit"] == 0, "the platform must not rerun a failed night on its own"
secrets = {s["name"] for s in conf["secrets"]}
for c in containers:
    for e in c["env"]:
        assert ("value" in e) != ("secretRef" in e), e
        if "secretRef" in e:
            assert e["secretRef"] in secrets, f"{e['name']} refers to an undefined secret"
        if any(w in e["name"] for w in ("PASSWORD", "TOKEN", "KEY", "DATABASE_URL")):
            assert "secretRef" in e, f"{e['name']} must come from a secret, not a literal"
print("deploy: Container Apps job YAML checked")
PY

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    docker build -q -f deploy/Dockerfile -t skyfit-lake:check . >/dev/null
    docker run --rm skyfit-lake:check --help >/dev/null
    echo "deploy: image built and ran --help"
else
    echo "deploy: image NOT built (no container engine answers here)"
fi
