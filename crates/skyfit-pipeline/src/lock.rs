//! One load per database at a time.
//!
//! Two loads at once race on the same shadow tables and temp tables and quarantine every bad
//! value twice. A session-level advisory lock, held on a connection of its own for the whole
//! load, serialises them: the lock dies with its connection, so a killed load never leaves it
//! behind. The holder's `application_name` says which process holds it, for the message the
//! second load prints.

use std::time::Duration;

use skyfit_warehouse::Database;
use tokio_postgres::Client;

use crate::error::{Error, Result};

/// The advisory lock key, the bytes of "skyfload": positive, so pg_locks shows it as
/// classid = the high 32 bits and objid = the low 32 bits.
const KEY: i64 = 0x736b_7966_6c6f_6164;

/// Held while it lives; dropping it closes its connection, which releases the lock.
pub struct LoadLock {
    _client: Client,
}

impl LoadLock {
    /// Takes the lock, or fails at once naming the load that holds it. With `wait`, waits for
    /// that load to end instead.
    pub async fn acquire(db: &Database, wait: bool) -> Result<LoadLock> {
        let client = skyfit_warehouse::connect_with_retry(db, Duration::from_secs(60))
            .await
            .map_err(|e| Error::Query {
                query: "connect".into(),
                message: e.to_string(),
            })?;
        let me = format!("skyfit load (pid {} on {})", std::process::id(), hostname());
        client
            .execute("SELECT set_config('application_name', $1, false)", &[&me])
            .await
            .map_err(Error::pg("naming the load's lock session"))?;
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&KEY])
            .await
            .map_err(Error::pg("taking the load lock"))?
            .get(0);
        if got {
            return Ok(LoadLock { _client: client });
        }
        let holder = holder(&client).await?;
        if !wait {
            return Err(Error::Busy { holder });
        }
        tracing::warn!(holder = %holder, "Another load is running; waiting for it to end.");
        client
            .execute("SELECT pg_advisory_lock($1)", &[&KEY])
            .await
            .map_err(Error::pg("waiting for the load lock"))?;
        Ok(LoadLock { _client: client })
    }
}

/// Who holds the lock: application name, server pid, client address, since when.
async fn holder(client: &Client) -> Result<String> {
    let row = client
        .query_opt(
            "SELECT coalesce(nullif(a.application_name, ''), 'unknown client'), a.pid,
                    coalesce(host(a.client_addr), 'local socket'),
                    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid::text::bigint = $1::bigint >> 32 AND l.objid::text::bigint = $1::bigint & 4294967295",
            &[&KEY],
        )
        .await
        .map_err(Error::pg("finding the load that holds the lock"))?;
    Ok(match row {
        Some(r) => {
            let (app, pid, addr, since): (String, i32, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            format!("{app}, server pid {pid}, from {addr}, since {since}")
        }
        None => "a load that has just ended".into(),
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".into())
}
