//! The checks `skyfit doctor` runs for the night ahead: free space against the volume the
//! last runs wrote, the PostgreSQL version and settings the loader relies on, the reporting
//! role's privileges, and watermarks that stopped moving.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use skyfit_core::Config;
use skyfit_lake::NightlyVolume;
use skyfit_warehouse::health::{self, READER_ROLE, ReaderProblem};
use tokio_postgres::Client;

use super::doctor_report::Report;
use crate::context::Context;

/// Below this many times the expected volume, free space is a warning: a night can write
/// more than the last one (a full refresh writes a shadow copy beside each table).
const SPACE_MARGIN: u64 = 2;

/// The migrations use generated `STORED` columns (PostgreSQL 12).
const MIN_VERSION_NUM: i32 = 120_000;
/// PostgreSQL 12 is out of community support; 13 is the oldest version still patched.
const SUPPORTED_VERSION_NUM: i32 = 130_000;

pub(super) async fn run(r: &mut Report, ctx: &Context) {
    let volume = lake_space(r, ctx).await;
    let Ok(db) = ctx.database().await else {
        return; // reported by the database check
    };
    let Ok(client) = skyfit_warehouse::connect_with_retry(&db, Duration::from_secs(10)).await
    else {
        return;
    };
    server(r, &client, volume).await;
    reader(r, &client).await;
    watermarks(r, &client, &ctx.config).await;
}

async fn lake_space(r: &mut Report, ctx: &Context) -> Option<NightlyVolume> {
    let lake = ctx.lake().ok()?;
    let volume = match lake.nightly_volume().await {
        Ok(v) => v,
        Err(e) => {
            r.warn(
                "lake space",
                format!("cannot estimate tonight's volume: {e}"),
            );
            return None;
        }
    };
    let expected = if volume.entities == 0 {
        "no complete run yet to estimate tonight's volume from".to_string()
    } else {
        format!(
            "tonight's expected volume {} (newest complete run of {} entities)",
            bytes(volume.lake_bytes),
            volume.entities
        )
    };
    let Some(dir) = lake.url().strip_prefix("file://") else {
        r.note(
            "lake space",
            format!("{expected}; a remote lake's free space is not checked"),
        );
        return Some(volume);
    };
    space(
        r,
        "lake space",
        Path::new(dir),
        volume.lake_bytes,
        &expected,
    );
    Some(volume)
}

fn space(r: &mut Report, what: &str, dir: &Path, need: u64, expected: &str) {
    match free_bytes(dir) {
        Ok(free) if free < SPACE_MARGIN * need => r.warn(
            what,
            format!(
                "{} free at {}, less than {SPACE_MARGIN}× {expected}: free space before the run",
                bytes(free),
                dir.display()
            ),
        ),
        Ok(free) => r.ok(
            what,
            format!("{} free at {}, {expected}", bytes(free), dir.display()),
        ),
        Err(e) => r.warn(
            what,
            format!("cannot read the free space of {}: {e}", dir.display()),
        ),
    }
}

async fn server(r: &mut Report, client: &Client, volume: Option<NightlyVolume>) {
    let f = match health::server_facts(client).await {
        Ok(f) => f,
        Err(e) => return r.fail("PostgreSQL settings", e),
    };
    if f.version_num < MIN_VERSION_NUM {
        r.fail(
            "PostgreSQL version",
            format!(
                "{}: the migrations need 12 or newer (generated STORED columns); upgrade the server",
                f.version
            ),
        );
    } else if f.version_num < SUPPORTED_VERSION_NUM {
        r.warn(
            "PostgreSQL version",
            format!(
                "{}: works, but 12 gets no more fixes; plan an upgrade to 13 or newer",
                f.version
            ),
        );
    } else {
        r.ok(
            "PostgreSQL version",
            format!("{} (12+ needed: generated STORED columns)", f.version),
        );
    }
    // A run holds its lock/ledger connection plus the load's connections.
    let needed = skyfit_pipeline::DEFAULT_CONNECTIONS as i64 + 1;
    let free = f.max_connections - f.connections_in_use;
    let settings = format!(
        "max_connections={} ({} in use, a run opens {needed}), maintenance_work_mem={}",
        f.max_connections, f.connections_in_use, f.maintenance_work_mem
    );
    if free < needed {
        r.warn(
            "PostgreSQL settings",
            format!("{settings}: too few free connections for a run; raise max_connections or close idle sessions"),
        );
    } else {
        r.ok("PostgreSQL settings", settings);
    }
    let need = volume.map(|v| v.raw_bytes).unwrap_or(0);
    let size = bytes(u64::try_from(f.database_bytes).unwrap_or(0));
    let expected = match volume {
        Some(v) if v.entities > 0 => format!(
            "database {size}, tonight's expected volume up to {} (uncompressed records)",
            bytes(need)
        ),
        _ => format!("database {size}, no complete run yet to estimate tonight's volume from"),
    };
    match f.data_directory {
        // The server's data directory is visible here only when the server runs on this host.
        Some(dir) if Path::new(&dir).is_dir() => {
            space(r, "database space", Path::new(&dir), need, &expected)
        }
        Some(_) => r.note(
            "database space",
            format!("{expected}; free space unknown (the server runs on another host)"),
        ),
        None => r.note(
            "database space",
            format!(
                "{expected}; free space unknown (data_directory is readable by superusers only)"
            ),
        ),
    }
}

async fn reader(r: &mut Report, client: &Client) {
    match health::reader_privileges(client).await {
        Ok((n, None)) => r.ok(
            "reader role",
            format!("{READER_ROLE} reads core and analytics ({n} tables and views checked), not stg_* or meta"),
        ),
        Ok((_, Some(ReaderProblem::NotMigrated))) => r.note(
            "reader role",
            "not checked: no warehouse tables yet (`skyfit db migrate` creates them)",
        ),
        Ok((_, Some(ReaderProblem::Missing))) => r.fail(
            "reader role",
            format!("{READER_ROLE} does not exist: `skyfit db migrate` creates it"),
        ),
        Ok((_, Some(ReaderProblem::CannotRead(t)))) => r.fail(
            "reader role",
            format!("{READER_ROLE} cannot read {t}: GRANT SELECT ON {t} TO {READER_ROLE}"),
        ),
        Ok((_, Some(ReaderProblem::CanRead(t)))) => r.fail(
            "reader role",
            format!("{READER_ROLE} can read {t}, which reports must not see: REVOKE ALL ON {t} FROM {READER_ROLE}"),
        ),
        Err(e) => r.fail("reader role", e),
    }
}

async fn watermarks(r: &mut Report, client: &Client, c: &Config) {
    let rows = match skyfit_warehouse::watermarks(client).await {
        Ok(rows) => rows,
        // Before the first migration there is no meta schema: the migrations line says so.
        Err(e) => return r.note("watermarks", format!("not read: {e}")),
    };
    if rows.is_empty() {
        return r.note("watermarks", "none yet: no extraction has finished");
    }
    let now = Utc::now();
    let mut stale = Vec::new();
    for w in &rows {
        let hours = match w.source.as_str() {
            "evo" => c.freshness.evo_hours,
            "pipedrive" => c.freshness.pipedrive_hours,
            "zendesk" => c.freshness.zendesk_hours,
            _ => continue,
        };
        let age = now - w.updated_at;
        if age > chrono::Duration::hours(i64::from(hours)) {
            let name = match &w.scope {
                Some(s) => format!("{}/{s}/{}", w.source, w.entity),
                None => format!("{}/{}", w.source, w.entity),
            };
            stale.push(format!(
                "{name} ({} h old, limit {hours} h)",
                age.num_hours()
            ));
        }
    }
    if stale.is_empty() {
        r.ok(
            "watermarks",
            format!("{} fresh (within freshness.*_hours)", rows.len()),
        );
    } else {
        r.warn(
            "watermarks",
            format!(
                "stale: {}; check the last runs' extraction (`skyfit status`)",
                stale.join(", ")
            ),
        );
    }
}

/// Free bytes for an unprivileged user on the filesystem holding `dir`.
fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    let mut s = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is NUL-terminated and outlives the call; `s` is only read after statvfs
    // reported success, which means it filled it.
    let rc = unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: see above.
    let s = unsafe { s.assume_init() };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    Ok(s.f_bavail as u64 * s.f_frsize as u64)
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
