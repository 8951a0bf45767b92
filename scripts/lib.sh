# Shared by setup.sh and test.sh: install and start what SkyFit Lake needs on a Debian machine.
# Idempotent; every step says what it does.

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "error: '$*' needs root and sudo is not available" >&2; return 1; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        echo "==> apt-get update"
        as_root apt-get update -qq
        apt_updated=1
    fi
    echo "==> apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
    if ! command -v cargo >/dev/null; then
        echo "error: cargo is not installed; install the Rust toolchain (https://rustup.rs) and rerun" >&2
        return 1
    fi
}

# PostgreSQL: skyfit starts the server itself (the Debian cluster as root, a private cluster
# otherwise); here we only make sure it is installed.
ensure_postgres() {
    if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        echo "==> PostgreSQL is installed: $(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | tr '\n' ' ')"
    else
        apt_install postgresql
    fi
    # The Debian package creates cluster 'main'; if a previous user removed it, recreate it.
    if [ "$(id -u)" = 0 ] && command -v pg_lsclusters >/dev/null && [ -z "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
        v=$(ls /usr/lib/postgresql | sort -n | tail -1)
        echo "==> creating PostgreSQL cluster $v/main"
        pg_createcluster "$v" main
    fi
}

# Azurite, the Azure Storage emulator the lake's Azure tests run against.
ensure_azurite() {
    if [ -x "$SKYFIT_TOOLS/node_modules/.bin/azurite-blob" ]; then
        echo "==> Azurite is installed in $SKYFIT_TOOLS"
        return 0
    fi
    if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
    echo "==> npm install azurite into $SKYFIT_TOOLS"
    mkdir -p "$SKYFIT_TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$SKYFIT_TOOLS" azurite@3 >/dev/null
}

# tmux: the console test runs `skyfit run` in a terminal and reads its screen.
ensure_tmux() {
    if command -v tmux >/dev/null; then return 0; fi
    apt_install tmux
}

# A private Python virtualenv at $1 with the packages $2.. (the second-engine test's DuckDB),
# reused while it imports them. Debian ships `venv` without ensurepip unless python3-venv is
# installed, so a failed creation installs it and tries once more.
ensure_venv() {
    local dir="$1"; shift
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import ${VENV_IMPORTS:-sys}" 2>/dev/null; then
        echo "==> Python virtualenv $dir is ready"
        return 0
    fi
    if ! command -v python3 >/dev/null; then apt_install python3 python3-venv; fi
    rm -rf "$dir"
    echo "==> python3 -m venv $dir"
    if ! python3 -m venv "$dir" >/dev/null 2>&1; then
        rm -rf "$dir"
        apt_install python3-venv
        python3 -m venv "$dir"
    fi
    echo "==> pip install $* into $dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
}
