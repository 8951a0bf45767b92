//! The embedded default: a local PostgreSQL that `skyfit` starts and prepares itself when no
//! server is configured, so a fresh machine runs the whole pipeline with no set-up.
//!
//! As root (CI, the dev machines) it uses the Debian cluster through `pg_ctlcluster`, since
//! `initdb` refuses to run as root; otherwise it runs a private cluster under
//! `$XDG_DATA_HOME/skyfit/pg` with `initdb`/`pg_ctl` from the installed PostgreSQL.
//! Either way it ensures a login role `skyfit` (password `skyfit`, loopback only) exists.

use std::path::{Path, PathBuf};
use std::process::Command;

use skyfit_core::config::SslMode;
use tracing::info;

use crate::connect::Database;
use crate::error::{Error, Result};

/// The local role and its password. Both are fixed: the server listens on loopback only and
/// holds demo and test data.
const ROLE: &str = "skyfit";
const PRIVATE_PORT: u16 = 54329;

/// A running local server.
#[derive(Debug, Clone)]
pub struct LocalServer {
    /// Administrative connection (database `postgres`).
    pub admin: Database,
    /// How it was obtained, for the message the CLI prints.
    pub how: String,
}

impl LocalServer {
    /// URL of database `name` on this server.
    pub fn database(&self, name: &str) -> Database {
        self.admin.with_dbname(name)
    }
}

/// Starts (if needed) the local server and returns how to reach it. Idempotent.
pub async fn ensure_local_server() -> Result<LocalServer> {
    let how = tokio::task::spawn_blocking(start_server)
        .await
        .map_err(|e| Error::Local(format!("start task failed: {e}")))??;
    let admin = Database::from_url(&how.url, SslMode::Disable)?;
    // A just-started server needs a moment before it accepts connections.
    let client = crate::connect_with_retry(&admin, std::time::Duration::from_secs(30)).await?;
    drop(client);
    Ok(LocalServer {
        admin,
        how: how.description,
    })
}

struct Started {
    url: String,
    description: String,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

fn pg_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn run(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| Error::Local(format!("cannot run {shown}: {e}")))?;
    if !out.status.success() {
        return Err(Error::Local(format!(
            "{shown} failed: {}{}",
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn not_installed() -> Error {
    Error::Local(
        "PostgreSQL is not installed. Run `scripts/setup.sh` (installs it with apt-get), or set \
         PG_HOST/PG_USER/PG_PASSWORD (or DATABASE_URL) to use an existing server."
            .into(),
    )
}

fn start_server() -> Result<Started> {
    if is_root() {
        start_debian_cluster()
    } else {
        start_private_cluster()
    }
}

/// Root: the machine's Debian cluster, started with `pg_ctlcluster`.
fn start_debian_cluster() -> Result<Started> {
    let listing =
        run(Command::new("pg_lsclusters").arg("--no-header")).map_err(|_| not_installed())?;
    // Columns: version cluster port status owner datadir logfile
    let line = listing
        .lines()
        .filter(|l| !l.trim().is_empty())
        .max_by_key(|l| {
            l.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        })
        .ok_or_else(not_installed)?;
    let cols: Vec<&str> = line.split_whitespace().collect();
    let [version, cluster, port, status, ..] = cols[..] else {
        return Err(Error::Local(format!(
            "cannot read pg_lsclusters output: {line}"
        )));
    };
    if status != "online" {
        info!(version, cluster, "Starting the local PostgreSQL cluster.");
        run(Command::new("pg_ctlcluster").args([version, cluster, "start"]))?;
    }
    let sql = format!(
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN \
         CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{ROLE}'; END IF; END$$;"
    );
    run(Command::new("runuser").args([
        "-u", "postgres", "--", "psql", "-q", "-p", port, "-d", "postgres", "-c", &sql,
    ]))?;
    Ok(Started {
        url: format!("postgres://{ROLE}:{ROLE}@127.0.0.1:{port}/postgres"),
        description: format!(
            "the machine's PostgreSQL {version} cluster `{cluster}` (started with pg_ctlcluster)"
        ),
    })
}

/// Non-root: a cluster of our own under the user's data directory.
fn start_private_cluster() -> Result<Started> {
    let bin = pg_bin_dir().ok_or_else(not_installed)?;
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .ok_or_else(|| Error::Local("neither XDG_DATA_HOME nor HOME is set".into()))?;
    let data = base.join("skyfit/pg");
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data)
            .map_err(|e| Error::Local(format!("cannot create {}: {e}", data.display())))?;
        let pwfile = data.with_file_name("pg-password");
        std::fs::write(&pwfile, ROLE)
            .map_err(|e| Error::Local(format!("cannot write {}: {e}", pwfile.display())))?;
        info!(dir = %data.display(), "Creating a private PostgreSQL cluster.");
        run(Command::new(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                ROLE,
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-instructions",
            ])
            .arg(format!("--pwfile={}", pwfile.display())))?;
    }
    let running = Command::new(bin.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .arg("status")
        .status()
        .is_ok_and(|s| s.success());
    if !running {
        let log = data.with_file_name("pg.log");
        run(Command::new(bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .arg("-w")
            .arg("-o")
            .arg(format!(
                "-p {PRIVATE_PORT} -c listen_addresses=127.0.0.1 -k {}",
                data.display()
            ))
            .arg("start"))?;
    }
    Ok(Started {
        url: format!("postgres://{ROLE}:{ROLE}@127.0.0.1:{PRIVATE_PORT}/postgres"),
        description: format!("a private PostgreSQL cluster in {}", data.display()),
    })
}

/// Creates database `name` on the server if it does not exist.
pub(crate) async fn create_database_if_missing(admin: &Database, name: &str) -> Result<bool> {
    let client = admin.connect().await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(Error::pg("looking up the database"))?
        .is_some();
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match client.batch_execute(&sql).await {
            Ok(()) => {}
            // Another process created it between our check and our CREATE.
            Err(e) if e.code().is_some_and(|c| c.code() == "42P04") => {}
            Err(e) => return Err(Error::pg(format!("creating database {name}"))(e)),
        }
    }
    Ok(!exists)
}

impl LocalServer {
    /// Database `name`, created if missing.
    pub async fn ensure_database(&self, name: &str) -> Result<Database> {
        create_database_if_missing(&self.admin, name).await?;
        Ok(self.database(name))
    }
}
