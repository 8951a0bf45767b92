//! Full refresh of a partitioned table, one partition at a time, without downtime.
//!
//! The parent is never renamed or dropped (views, grants and the parent's OID stay put); its
//! partitions are replaced:
//!
//! 1. [`PartitionedShadow::create`]: `t__shadow`, partitioned like `t`, with one shadow
//!    partition per partition of `t` (same bounds, `DEFAULT` included) and no indexes.
//! 2. The caller COPYs into [`PartitionedShadow::table`] (any number of connections);
//!    PostgreSQL routes each row.
//! 3. [`PartitionedShadow::prepare`]: when `t` is partitioned by year (`t_YYYY` + DEFAULT),
//!    rows that landed in the shadow DEFAULT for a year of 1900–2200 move into a new yearly
//!    partition (created as the data needs it); rows outside stay in DEFAULT. Then each shadow
//!    partition is detached from `t__shadow` and gets, as one job, a CHECK constraint equal to
//!    its partition bound (validated here, outside any lock, so the attach below does not
//!    scan), `t`'s indexes and key constraints, and `ANALYZE`. The jobs run on several
//!    connections at once: index builds and statistics are server work, and a partition's
//!    are independent of the others'.
//! 4. [`PartitionedShadow::swap_in`], in the caller's transaction (so a ledger can commit
//!    with it): lock `t`, detach and drop the old partitions, rename the shadows to their
//!    names, attach them (ranges first, DEFAULT last: nothing is scanned, matching indexes are
//!    attached rather than rebuilt), restore owner, grants, comments and index names.
//!    Readers wait for the lock and then see the complete new table; never an empty one.
//!
//! Incremental loads merge into the parent; [`split_default`] then gives a year that landed in
//! DEFAULT its own partition in the same transaction.
//!
//! Constraints: a single-column range partition key for new partitions; sub-partitioned
//! partitions and foreign keys pointing at the table are refused.

use tokio_postgres::{Client, GenericClient, Transaction};

use crate::sql::{TableName, quote_ident, quote_literal, suffixed};
use crate::swap::{GrantFact, grants, index_sql, run, set_statistics_sql, statistics_targets};
use crate::{Error, Result};

/// Oldest and newest year a new yearly partition is created for; other dates stay in DEFAULT
/// (a year 0001 or 9999 is a data error, not a reason to create a partition).
const NEW_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The condition selecting `year`'s rows of the range key `key` (UTC years).
fn year_range(key: &str, year: i32) -> String {
    format!(
        "{k} >= '{year:04}-01-01 00:00:00+00' AND {k} < '{:04}-01-01 00:00:00+00'",
        year + 1,
        k = quote_ident(key)
    )
}

/// Years (within [`NEW_YEARS`]) that have rows in `default`.
async fn years_in(client: &impl GenericClient, table: &TableName, key: &str) -> Result<Vec<i32>> {
    Ok(client
        .query(
            &format!(
                "SELECT DISTINCT extract(year FROM {k} AT TIME ZONE 'UTC')::int FROM {table} ORDER BY 1",
                k = quote_ident(key)
            ),
            &[],
        )
        .await
        .map_err(Error::pg(table, "find new years"))?
        .iter()
        .filter_map(|r| r.get::<_, Option<i32>>(0))
        .filter(|y| NEW_YEARS.contains(y))
        .collect())
}

/// For incremental loads, in the load's transaction after its rows are written: every year
/// with rows in the DEFAULT partition of a table partitioned by year (`t_YYYY` + DEFAULT) gets
/// a partition of its own, the rows moved into it. `ATTACH` locks the parent only against
/// other DDL; the DEFAULT partition is locked until commit. Returns the partitions created;
/// tables partitioned otherwise are left alone.
pub async fn split_default(client: &impl GenericClient, target: &TableName) -> Result<Vec<String>> {
    let keydef: Option<String> = client
        .query_one(
            "SELECT pg_get_partkeydef($1::text::regclass)",
            &[&target.to_string()],
        )
        .await
        .map_err(Error::pg(target, "read partition key"))?
        .get(0);
    let Some(key) = keydef
        .as_deref()
        .and_then(|k| k.strip_prefix("RANGE ("))
        .and_then(|k| k.strip_suffix(')'))
        .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_string)
    else {
        return Ok(Vec::new());
    };
    let current = partitions(client, target).await?;
    let default = current.iter().find(|(_, b)| b == "DEFAULT");
    let yearly = current
        .iter()
        .all(|(p, b)| b == "DEFAULT" || year_of(&target.name, p).is_some());
    let (Some((default, _)), true) = (default, yearly) else {
        return Ok(Vec::new());
    };
    let default = target.sibling(default.as_str());
    let statistics = statistics_targets(client, target).await?;
    let mut created = Vec::new();
    for year in years_in(client, &default, &key).await? {
        let name = format!("{}_{year:04}", target.name);
        let new = target.sibling(name.as_str());
        // Moved out of DEFAULT first: attaching a range that DEFAULT still holds rows of is
        // refused. The attach builds the parent's indexes on the new partition.
        let mut sql = vec![format!(
            "CREATE TABLE {new} (LIKE {target} INCLUDING DEFAULTS INCLUDING CONSTRAINTS \
             INCLUDING STORAGE INCLUDING COMMENTS)"
        )];
        sql.extend(set_statistics_sql(&new, &statistics));
        sql.extend([
            format!(
                "WITH moved AS (DELETE FROM {default} WHERE {} RETURNING *) \
                 INSERT INTO {new} SELECT * FROM moved",
                year_range(&key, year)
            ),
            format!(
                "ALTER TABLE {target} ATTACH PARTITION {new} {}",
                year_bound(year)
            ),
        ]);
        run(client, target, "create new partition", &sql).await?;
        tracing::info!(table = %target, partition = %name, "New yearly partition for the data.");
        created.push(name);
    }
    Ok(created)
}

/// One partition of the target and its shadow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowPartition {
    /// Final (unqualified) name, e.g. `evo_entries_2024`.
    pub name: String,
    /// Name while loading, e.g. `evo_entries_2024__shadow`.
    pub shadow: String,
    /// `FOR VALUES …` or `DEFAULT`, as `pg_get_expr` prints it.
    pub bound: String,
    /// Whether `t` has this partition today (false: a new year).
    pub exists: bool,
}

impl ShadowPartition {
    fn is_default(&self) -> bool {
        self.bound == "DEFAULT"
    }
}

/// The shadow of a partitioned table being loaded for a full refresh.
#[derive(Debug, Clone)]
pub struct PartitionedShadow {
    target: TableName,
    shadow: TableName,
    key: Option<String>,
    yearly: bool,
    parts: Vec<ShadowPartition>,
    /// The target's explicit column statistics targets, for partitions created later.
    statistics: Vec<(String, i32)>,
}

/// Name of the CHECK constraint that stands in for a partition bound between detach and attach.
fn bound_check_name(shadow: &str) -> String {
    suffixed(shadow, "_bound")
}

/// `t_2024` → 2024 when the partition follows the yearly naming scheme.
fn year_of(target: &str, partition: &str) -> Option<i32> {
    let y = partition.strip_prefix(target)?.strip_prefix('_')?;
    (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        .then(|| y.parse().ok())
        .flatten()
}

/// The bound of the yearly partition for `year` (UTC years, as the migrations declare them).
pub fn year_bound(year: i32) -> String {
    format!(
        "FOR VALUES FROM ('{year:04}-01-01 00:00:00+00') TO ('{:04}-01-01 00:00:00+00')",
        year + 1
    )
}

/// `(name, bound)` of every partition of `table`, ordered by name.
async fn partitions(
    client: &impl GenericClient,
    table: &TableName,
) -> Result<Vec<(String, String)>> {
    let rows = client
        .query(
            "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid), c.relkind::text \
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = $1::text::regclass ORDER BY 1",
            &[&table.to_string()],
        )
        .await
        .map_err(Error::pg(table, "read partitions"))?;
    if let Some(r) = rows.iter().find(|r| r.get::<_, String>(2) != "r") {
        return Err(Error::SwapUnsupported {
            table: table.to_string(),
            reason: format!("partition {} is itself partitioned", r.get::<_, String>(0)),
        });
    }
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

impl PartitionedShadow {
    /// Creates `t__shadow` and its empty partitions (dropping stale shadows of a killed load).
    pub async fn create(client: &Client, target: TableName) -> Result<Self> {
        let name = target.to_string();
        let row = client
            .query_one(
                "SELECT c.relkind::text, pg_get_partkeydef(c.oid), \
                   (SELECT count(*) FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f') \
                 FROM pg_class c WHERE c.oid = $1::text::regclass",
                &[&name],
            )
            .await
            .map_err(Error::pg(&target, "read table"))?;
        let (kind, keydef, inbound): (String, Option<String>, i64) =
            (row.get(0), row.get(1), row.get(2));
        let unsupported = |reason: String| Error::SwapUnsupported {
            table: name.clone(),
            reason,
        };
        let keydef = match (kind.as_str(), keydef) {
            ("p", Some(k)) => k,
            _ => {
                return Err(unsupported(format!(
                    "relkind {kind} is not a partitioned table"
                )));
            }
        };
        if inbound > 0 {
            return Err(unsupported(format!(
                "{inbound} foreign key(s) reference it"
            )));
        }
        // `RANGE (entry_date)` → entry_date; other keys get no new partitions.
        let key = keydef
            .strip_prefix("RANGE (")
            .and_then(|k| k.strip_suffix(')'))
            .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string);
        let current = partitions(client, &target).await?;
        let yearly = key.is_some()
            && current
                .iter()
                .all(|(p, bound)| bound == "DEFAULT" || year_of(&target.name, p).is_some())
            && current.iter().any(|(_, b)| b == "DEFAULT");
        let shadow = target.with_suffix("__shadow");
        let parts: Vec<ShadowPartition> = current
            .into_iter()
            .map(|(p, bound)| ShadowPartition {
                shadow: suffixed(&p, "__shadow"),
                name: p,
                bound,
                exists: true,
            })
            .collect();
        // Shadows left by a killed load: the partitioned shadow and detached partitions.
        let stale: Vec<String> = client
            .query(
                "SELECT c.relname::text FROM pg_class c \
                 WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = $1::text::regclass) \
                   AND c.relkind IN ('r', 'p') AND c.relname ~ ('^' || $2 || '(_[0-9]{4}|_default)?__shadow$')",
                &[&name, &target.name],
            )
            .await
            .map_err(Error::pg(&target, "find stale shadows"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut sql: Vec<String> = stale
            .iter()
            .map(|s| format!("DROP TABLE IF EXISTS {}", target.sibling(s.as_str())))
            .collect();
        sql.push(format!(
            "CREATE TABLE {shadow} (LIKE {target} INCLUDING DEFAULTS INCLUDING CONSTRAINTS \
             INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION \
             INCLUDING COMMENTS) PARTITION BY {keydef}"
        ));
        for p in &parts {
            sql.push(format!(
                "CREATE TABLE {} PARTITION OF {shadow} {}",
                target.sibling(p.shadow.as_str()),
                p.bound
            ));
        }
        // After the partitions: SET STATISTICS on the parent reaches its partitions.
        let statistics = statistics_targets(client, &target).await?;
        sql.extend(set_statistics_sql(&shadow, &statistics));
        run(client, &target, "create shadow", &sql).await?;
        Ok(PartitionedShadow {
            target,
            shadow,
            key,
            yearly,
            parts,
            statistics,
        })
    }

    /// The table to COPY into (rows are routed to the shadow partitions).
    pub fn table(&self) -> &TableName {
        &self.shadow
    }

    /// The partitions the swap will install.
    pub fn partitions(&self) -> &[ShadowPartition] {
        &self.parts
    }

    /// After the COPY: new yearly partitions for the years the data needs, the shadow
    /// partitions detached with a CHECK standing in for their bound, then each one's indexes,
    /// key constraints and statistics, built on `client` and `helpers` at once (biggest
    /// partition first; each connection builds one partition at a time). The swap's `ATTACH`
    /// adopts those indexes instead of building them.
    pub async fn prepare(&mut self, client: &Client, helpers: &[Client]) -> Result<()> {
        let t = self.target.clone();
        if let (true, Some(key), Some(default)) = (
            self.yearly,
            self.key.clone(),
            self.parts.iter().find(|p| p.is_default()).cloned(),
        ) {
            let default_shadow = t.sibling(default.shadow.as_str());
            let years = years_in(client, &default_shadow, &key).await?;
            for year in years {
                let name = format!("{}_{year:04}", t.name);
                if self.parts.iter().any(|p| p.name == name) {
                    continue; // cannot happen: its rows would not be in DEFAULT
                }
                let p = ShadowPartition {
                    shadow: suffixed(&name, "__shadow"),
                    name,
                    bound: year_bound(year),
                    exists: false,
                };
                let new = t.sibling(p.shadow.as_str());
                let range = year_range(&key, year);
                // Moved out of DEFAULT first: attaching a range that DEFAULT still holds rows
                // of is refused.
                let mut sql = vec![format!(
                    "CREATE TABLE {new} (LIKE {} INCLUDING ALL)",
                    self.shadow
                )];
                sql.extend(set_statistics_sql(&new, &self.statistics));
                sql.extend([
                    format!(
                        "WITH moved AS (DELETE FROM {default_shadow} WHERE {range} RETURNING *) \
                         INSERT INTO {new} SELECT * FROM moved"
                    ),
                    format!(
                        "ALTER TABLE {} ATTACH PARTITION {new} {}",
                        self.shadow, p.bound
                    ),
                ]);
                run(client, &t, "create new partition", &sql).await?;
                tracing::info!(table = %t, partition = %p.name, "New yearly partition for the data.");
                self.parts.push(p);
            }
        }
        // Detached first (quick on index-less tables), each partition is a table of its own
        // whose CHECK, indexes and statistics are built in one job, next to the others.
        let indexes = crate::swap::indexes(client, &t).await?;
        let mut jobs = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            let s = t.sibling(p.shadow.as_str());
            let row = client
                .query_one(
                    "SELECT pg_get_partition_constraintdef($1::text::regclass), \
                            pg_relation_size($1::text::regclass)",
                    &[&s.to_string()],
                )
                .await
                .map_err(Error::pg(&t, "read partition constraint"))?;
            let check = row
                .get::<_, Option<String>>(0)
                .unwrap_or_else(|| "true".into());
            let bytes: i64 = row.get(1);
            run(
                client,
                &t,
                "detach shadow partition",
                &[format!("ALTER TABLE {} DETACH PARTITION {s}", self.shadow)],
            )
            .await?;
            // The CHECK stands in for the bound, so the swap's ATTACH does not scan.
            let mut sql = vec![format!(
                "ALTER TABLE {s} ADD CONSTRAINT {} CHECK ({check})",
                quote_ident(&bound_check_name(&p.shadow))
            )];
            // Unnamed: PostgreSQL names each after its partition; the swap restores the
            // predecessors' names.
            for i in &indexes {
                sql.push(index_sql(i, &t, &s, None)?);
            }
            sql.push(format!("ANALYZE {s}"));
            jobs.push((bytes, sql));
        }
        jobs.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
        let clients: Vec<&Client> = std::iter::once(client).chain(helpers).collect();
        run_jobs(
            &clients,
            &t,
            "build indexes",
            jobs.into_iter().map(|(_, j)| j),
        )
        .await
    }

    /// Installs the shadow partitions in `tx` (which the caller commits). Waits at most
    /// `lock_timeout` for readers to release the table.
    pub async fn swap_in(
        self,
        tx: &Transaction<'_>,
        lock_timeout: std::time::Duration,
    ) -> Result<()> {
        let t = &self.target;
        let lock = [
            format!("SET LOCAL lock_timeout = '{}ms'", lock_timeout.as_millis()),
            format!("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE"),
        ];
        run(tx, t, "swap", &lock).await?;
        let current = partitions(tx, t).await?;
        if let Some((p, _)) = current
            .iter()
            .find(|(p, _)| !self.parts.iter().any(|s| &s.name == p))
        {
            // Added while we loaded (a migration): replacing it would lose its rows.
            return Err(Error::SwapUnsupported {
                table: t.to_string(),
                reason: format!("partition {p} appeared during the load; run the refresh again"),
            });
        }
        let owner: String = tx
            .query_one(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = $1::text::regclass",
                &[&t.to_string()],
            )
            .await
            .map_err(Error::pg(t, "read owner"))?
            .get(0);
        let mut sql = Vec::new();
        let mut after = Vec::new();
        let mut old_index_names = Vec::new();
        for p in self.parts.iter().filter(|p| p.exists) {
            let old = t.sibling(p.name.as_str());
            let comment: Option<String> = tx
                .query_one(
                    "SELECT obj_description($1::text::regclass, 'pg_class')",
                    &[&old.to_string()],
                )
                .await
                .map_err(Error::pg(t, "read comment"))?
                .get(0);
            let old_grants = grants(tx, &old.to_string()).await?;
            let shadow_grants = grants(tx, &t.sibling(p.shadow.as_str()).to_string()).await?;
            old_index_names.extend(index_names(tx, &old).await?);
            sql.push(format!("ALTER TABLE {t} DETACH PARTITION {old}"));
            sql.push(format!("DROP TABLE {old}"));
            after.extend(restore_sql(
                &old,
                &owner,
                &old_grants,
                &shadow_grants,
                comment.as_deref(),
            ));
        }
        // Ranges first, DEFAULT last: attaching a range while a DEFAULT is attached scans it.
        let mut order: Vec<&ShadowPartition> = self.parts.iter().collect();
        order.sort_by_key(|p| p.is_default());
        for p in order {
            let new = t.sibling(p.name.as_str());
            sql.push(format!(
                "ALTER TABLE {} RENAME TO {}",
                t.sibling(p.shadow.as_str()),
                quote_ident(&p.name)
            ));
            sql.push(format!(
                "ALTER TABLE {t} ATTACH PARTITION {new} {}",
                p.bound
            ));
            sql.push(format!(
                "ALTER TABLE {new} DROP CONSTRAINT {}",
                quote_ident(&bound_check_name(&p.shadow))
            ));
            if !p.exists {
                sql.push(format!(
                    "ALTER TABLE {new} OWNER TO {}",
                    quote_ident(&owner)
                ));
            }
        }
        sql.push(format!("DROP TABLE {}", self.shadow));
        run(tx, t, "swap", &sql).await?;
        run(tx, t, "swap", &after).await?;
        // The new partitions' indexes get their predecessors' names back, so names stay stable
        // over refreshes instead of growing suffixes.
        let new_names = {
            let mut all = Vec::new();
            for p in &self.parts {
                all.extend(index_names(tx, &t.sibling(p.name.as_str())).await?);
            }
            all
        };
        let mut renames = Vec::new();
        for (parent, partition, new_name) in &new_names {
            let predecessor = old_index_names
                .iter()
                .find(|(pi, pt, _)| pi == parent && pt == partition)
                .map(|(_, _, n)| n.clone());
            // A new partition has no predecessor: its index names lose the `__shadow` part
            // PostgreSQL derived them from (`t_2031__shadow_pkey` → `t_2031_pkey`).
            let derived = self
                .parts
                .iter()
                .find(|p| !p.exists && &p.name == partition)
                .and_then(|p| {
                    let rest = new_name.strip_prefix(p.shadow.as_str())?;
                    Some(suffixed(&p.name, rest))
                });
            if let Some(old_name) = predecessor.or(derived)
                && &old_name != new_name
            {
                renames.push(format!(
                    "ALTER INDEX {}{} RENAME TO {}",
                    t.schema_prefix(),
                    quote_ident(new_name),
                    quote_ident(&old_name)
                ));
            }
        }
        run(tx, t, "swap", &renames).await?;
        tracing::info!(table = %t, partitions = self.parts.len(), "Shadow partitions swapped in.");
        Ok(())
    }

    /// Drops every shadow table (after a failed load).
    pub async fn abandon(self, client: &Client) -> Result<()> {
        let mut sql = vec![format!("DROP TABLE IF EXISTS {}", self.shadow)];
        for p in &self.parts {
            sql.push(format!(
                "DROP TABLE IF EXISTS {}",
                self.target.sibling(p.shadow.as_str())
            ));
        }
        run(client, &self.target, "drop shadow", &sql).await
    }
}

/// Runs each job's statements in order on one of `clients`, as many jobs at once as there are
/// clients, taking jobs in order as connections come free. The first error stops the others.
async fn run_jobs(
    clients: &[&Client],
    table: &TableName,
    step: &'static str,
    jobs: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    let queue = std::sync::Mutex::new(jobs);
    let next = || queue.lock().ok().and_then(|mut q| q.next());
    let workers = clients.iter().map(|c| async {
        while let Some(job) = next() {
            run(*c, table, step, &job).await?;
        }
        Ok::<_, Error>(())
    });
    futures::future::try_join_all(workers).await?;
    Ok(())
}

/// Owner, grants and comment of a replaced partition, for its successor of the same name.
fn restore_sql(
    table: &TableName,
    owner: &str,
    old: &[GrantFact],
    shadow: &[GrantFact],
    comment: Option<&str>,
) -> Vec<String> {
    let role = |g: &GrantFact| {
        g.grantee
            .as_deref()
            .map_or("PUBLIC".to_owned(), quote_ident)
    };
    let mut out = vec![format!(
        "ALTER TABLE {table} OWNER TO {}",
        quote_ident(owner)
    )];
    let mut revoked: Vec<String> = Vec::new();
    for g in shadow {
        let r = role(g);
        if g.grantee.as_deref() != Some(owner) && !revoked.contains(&r) {
            out.push(format!("REVOKE ALL ON {table} FROM {r}"));
            revoked.push(r);
        }
    }
    for g in old {
        let option = if g.grantable {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        out.push(format!(
            "GRANT {} ON {table} TO {}{option}",
            g.privilege,
            role(g)
        ));
    }
    if let Some(c) = comment {
        out.push(format!("COMMENT ON TABLE {table} IS {}", quote_literal(c)));
    }
    out
}

/// `(parent index, partition, index name)` of each index of `partition` attached to one of
/// its parent's indexes.
async fn index_names(
    client: &impl GenericClient,
    partition: &TableName,
) -> Result<Vec<(String, String, String)>> {
    let rows = client
        .query(
            "SELECT pi.relname::text, $1::text::regclass::text, ci.relname::text \
             FROM pg_index x JOIN pg_class ci ON ci.oid = x.indexrelid \
             JOIN pg_inherits h ON h.inhrelid = ci.oid JOIN pg_class pi ON pi.oid = h.inhparent \
             WHERE x.indrelid = $1::text::regclass",
            &[&partition.to_string()],
        )
        .await
        .map_err(Error::pg(partition, "read partition indexes"))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), partition.name.clone(), r.get(2)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yearly_names_and_bounds() {
        assert_eq!(year_of("evo_entries", "evo_entries_2024"), Some(2024));
        assert_eq!(year_of("evo_entries", "evo_entries_default"), None);
        assert_eq!(year_of("evo_entries", "evo_entries_2024__shadow"), None);
        assert_eq!(
            year_bound(2031),
            "FOR VALUES FROM ('2031-01-01 00:00:00+00') TO ('2032-01-01 00:00:00+00')"
        );
    }

    #[test]
    fn restore_keeps_grants_and_comment() {
        let t = TableName::new("core", "evo_entries_2024");
        let sql = restore_sql(
            &t,
            "skyfit",
            &[GrantFact {
                grantee: Some("skyfit_reader".into()),
                privilege: "SELECT".into(),
                grantable: false,
            }],
            &[GrantFact {
                grantee: None,
                privilege: "SELECT".into(),
                grantable: false,
            }],
            Some("it's 2024"),
        );
        assert_eq!(
            sql,
            [
                "ALTER TABLE \"core\".\"evo_entries_2024\" OWNER TO \"skyfit\"",
                "REVOKE ALL ON \"core\".\"evo_entries_2024\" FROM PUBLIC",
                "GRANT SELECT ON \"core\".\"evo_entries_2024\" TO \"skyfit_reader\"",
                "COMMENT ON TABLE \"core\".\"evo_entries_2024\" IS 'it''s 2024'",
            ]
        );
    }
}
