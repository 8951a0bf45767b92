//! Full refresh without downtime: load a shadow table, then swap it in.
//!
//! 1. [`Shadow::create`]: `t__shadow` is created `LIKE t` with defaults, checks,
//!    storage and comments but **no indexes**, so the COPY is as fast as it gets.
//! 2. The caller COPYs into [`Shadow::table`] (any number of connections).
//! 3. [`Shadow::build_indexes`]: `t`'s indexes, primary/unique/exclusion and
//!    foreign-key constraints are recreated on the shadow (temporary names for
//!    index-backed ones, which must be unique per schema), then `ANALYZE`.
//! 4. [`Shadow::swap`]: one short transaction locks `t`, renames `t` → `t__old`
//!    and the shadow → `t`, restores the owner and the grants, re-points the
//!    views on `t` (`CREATE OR REPLACE VIEW` with the definitions read under the
//!    lock), drops `t__old` and gives indexes and constraints their names back.
//!    Readers see the old table until commit and the complete new one after.
//!
//! Not carried over, refused up front instead: partitioned tables, triggers,
//! materialized views on the table and foreign keys pointing at it. Column-level
//! grants, the table comment and row-level security policies are not copied.
//! The statements come from plain functions over [`TableFacts`].

use tokio_postgres::{Client, GenericClient, Transaction};

use crate::sql::{TableName, quote_ident, suffixed};
use crate::{Error, Result};

/// An index on the target, with the constraint it backs if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFact {
    /// Index name.
    pub name: String,
    /// `pg_get_indexdef` text.
    pub def: String,
    /// The backing constraint: name and `pg_get_constraintdef` text.
    pub constraint: Option<(String, String)>,
}

/// A privilege on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFact {
    /// Role name; `None` for PUBLIC.
    pub grantee: Option<String>,
    /// Privilege keyword (`SELECT`, `INSERT`, ...).
    pub privilege: String,
    /// Whether granted `WITH GRANT OPTION`.
    pub grantable: bool,
}

/// A view that depends on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFact {
    /// The view's name as `regclass` prints it (quoted, qualified if needed).
    pub name: String,
    /// `pg_get_viewdef` text.
    pub def: String,
}

/// What the swap must carry from the old table to the new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFacts {
    /// Owner role.
    pub owner: String,
    /// Indexes and index-backed constraints.
    pub indexes: Vec<IndexFact>,
    /// Foreign keys from the table: name and definition.
    pub foreign_keys: Vec<(String, String)>,
    /// Table-level privileges.
    pub grants: Vec<GrantFact>,
    /// Dependent views.
    pub views: Vec<ViewFact>,
    /// Sequences owned by a column (`serial`/`bigserial`): qualified sequence name, column.
    /// The shadow's column defaults use them too, so their ownership moves to the new table
    /// before the old one is dropped (dropping it would otherwise fail or take the sequence).
    pub owned_sequences: Vec<(String, String)>,
}

/// Temporary name of a shadow index or constraint.
fn shadow_index_name(name: &str) -> String {
    suffixed(name, "__sh")
}

/// Statements that (re)create the empty, index-less shadow of `target`.
pub fn create_shadow_sql(target: &TableName, shadow: &TableName) -> Vec<String> {
    vec![
        format!("DROP TABLE IF EXISTS {shadow}"),
        format!(
            "CREATE TABLE {shadow} (LIKE {target} INCLUDING DEFAULTS INCLUDING CONSTRAINTS \
             INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION \
             INCLUDING COMMENTS)"
        ),
    ]
}

/// The statement that builds `index` (one of `target`'s) on `on`: named `name`, or named by
/// PostgreSQL when `None` (partitions built one by one, whose names must not collide).
pub(crate) fn index_sql(
    index: &IndexFact,
    target: &TableName,
    on: &TableName,
    name: Option<&str>,
) -> Result<String> {
    if let Some((_, def)) = &index.constraint {
        return Ok(match name {
            Some(n) => format!("ALTER TABLE {on} ADD CONSTRAINT {} {def}", quote_ident(n)),
            None => format!("ALTER TABLE {on} ADD {def}"),
        });
    }
    let unique = if index.def.starts_with("CREATE UNIQUE INDEX ") {
        "UNIQUE "
    } else {
        ""
    };
    let rest = index
        .def
        .split_once(" USING ")
        .map(|(_, rest)| rest)
        .ok_or_else(|| Error::SwapUnsupported {
            table: target.to_string(),
            reason: format!("cannot read the definition of index {}", index.name),
        })?;
    let name = name
        .map(|n| format!("{} ", quote_ident(n)))
        .unwrap_or_default();
    Ok(format!("CREATE {unique}INDEX {name}ON {on} USING {rest}"))
}

/// Statements that build `facts`' indexes and constraints on `shadow`.
pub fn build_indexes_sql(
    facts: &TableFacts,
    target: &TableName,
    shadow: &TableName,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for index in &facts.indexes {
        out.push(index_sql(
            index,
            target,
            shadow,
            Some(&shadow_index_name(&index.name)),
        )?);
    }
    for (name, def) in &facts.foreign_keys {
        out.push(format!(
            "ALTER TABLE {shadow} ADD CONSTRAINT {} {def}",
            quote_ident(name)
        ));
    }
    out.push(format!("ANALYZE {shadow}"));
    Ok(out)
}

/// `ALTER COLUMN … SET STATISTICS` for each `(column, target)` on `table`: `LIKE` and
/// `PARTITION OF` do not copy statistics targets, so shadows and new partitions get their
/// target's from here (a target of 0 keeps ANALYZE off a JSONB blob nobody filters by).
pub fn set_statistics_sql(table: &TableName, targets: &[(String, i32)]) -> Vec<String> {
    if targets.is_empty() {
        return Vec::new();
    }
    let clauses: Vec<String> = targets
        .iter()
        .map(|(c, n)| format!("ALTER COLUMN {} SET STATISTICS {n}", quote_ident(c)))
        .collect();
    vec![format!("ALTER TABLE {table} {}", clauses.join(", "))]
}

/// The columns of `table` with an explicit statistics target, and the target.
pub(crate) async fn statistics_targets(
    client: &impl GenericClient,
    table: &TableName,
) -> Result<Vec<(String, i32)>> {
    Ok(client
        .query(
            "SELECT attname::text, attstattarget::int4 FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped \
               AND attstattarget >= 0 ORDER BY attnum",
            &[&table.to_string()],
        )
        .await
        .map_err(Error::pg(table, "read statistics targets"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// The swap transaction's statements, after the lock. `facts` are the target's
/// (read under the lock), `shadow_grants` those the shadow got by default.
pub fn swap_sql(
    facts: &TableFacts,
    shadow_grants: &[GrantFact],
    target: &TableName,
    shadow: &TableName,
    old: &TableName,
) -> Vec<String> {
    let mut out = vec![
        format!("ALTER TABLE {target} RENAME TO {}", quote_ident(&old.name)),
        format!(
            "ALTER TABLE {shadow} RENAME TO {}",
            quote_ident(&target.name)
        ),
        format!(
            "ALTER TABLE {target} OWNER TO {}",
            quote_ident(&facts.owner)
        ),
    ];
    let role = |g: &GrantFact| {
        g.grantee
            .as_deref()
            .map_or("PUBLIC".to_owned(), quote_ident)
    };
    let mut revoked: Vec<String> = Vec::new();
    for g in shadow_grants {
        let r = role(g);
        if g.grantee.as_deref() != Some(facts.owner.as_str()) && !revoked.contains(&r) {
            out.push(format!("REVOKE ALL ON {target} FROM {r}"));
            revoked.push(r);
        }
    }
    for g in &facts.grants {
        let option = if g.grantable {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        out.push(format!(
            "GRANT {} ON {target} TO {}{option}",
            g.privilege,
            role(g)
        ));
    }
    for v in &facts.views {
        out.push(format!(
            "CREATE OR REPLACE VIEW {} AS {}",
            v.name,
            v.def.trim_end_matches(';')
        ));
    }
    for (sequence, column) in &facts.owned_sequences {
        out.push(format!(
            "ALTER SEQUENCE {sequence} OWNED BY {target}.{}",
            quote_ident(column)
        ));
    }
    out.push(format!("DROP TABLE {old}"));
    let prefix = target.schema_prefix();
    for index in &facts.indexes {
        let tmp = quote_ident(&shadow_index_name(&index.name));
        match &index.constraint {
            Some((name, _)) => out.push(format!(
                "ALTER TABLE {target} RENAME CONSTRAINT {tmp} TO {}",
                quote_ident(name)
            )),
            None => out.push(format!(
                "ALTER INDEX {prefix}{tmp} RENAME TO {}",
                quote_ident(&index.name)
            )),
        }
    }
    out
}

/// Reads `table`'s facts, refusing what the swap cannot carry over.
pub async fn table_facts(client: &impl GenericClient, table: &TableName) -> Result<TableFacts> {
    let name = table.to_string();
    let pg = |step| Error::pg(&name, step);
    let unsupported = |reason: String| Error::SwapUnsupported {
        table: name.clone(),
        reason,
    };
    let row = client
        .query_one(
            "SELECT c.relkind::text, pg_get_userbyid(c.relowner), \
               (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), \
               (SELECT count(*) FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f') \
             FROM pg_class c WHERE c.oid = $1::text::regclass",
            &[&name],
        )
        .await
        .map_err(pg("read table"))?;
    let (kind, owner, triggers, inbound): (String, String, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if kind != "r" {
        return Err(unsupported(format!(
            "relkind {kind} (only plain tables swap; partitions swap one by one)"
        )));
    }
    if triggers > 0 {
        return Err(unsupported(format!("{triggers} trigger(s)")));
    }
    if inbound > 0 {
        return Err(unsupported(format!(
            "{inbound} foreign key(s) reference it"
        )));
    }
    let indexes = indexes(client, table).await?;
    let foreign_keys = client
        .query(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = $1::text::regclass AND contype = 'f' ORDER BY 1",
            &[&name],
        )
        .await
        .map_err(pg("read foreign keys"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let views = client
        .query(
            "SELECT DISTINCT v.oid::regclass::text, pg_get_viewdef(v.oid), v.relkind::text \
             FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class \
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = $1::text::regclass \
               AND v.oid <> d.refobjid ORDER BY 1",
            &[&name],
        )
        .await
        .map_err(pg("read views"))?;
    if let Some(m) = views.iter().find(|r| r.get::<_, String>(2) != "v") {
        return Err(unsupported(format!(
            "materialized view {} depends on it",
            m.get::<_, String>(0)
        )));
    }
    let views = views
        .iter()
        .map(|r| ViewFact {
            name: r.get(0),
            def: r.get(1),
        })
        .collect();
    // 'a': serial columns' sequences; identity sequences ('i') belong to the column itself
    // and the shadow gets its own.
    let owned_sequences = client
        .query(
            "SELECT s.oid::regclass::text, a.attname::text FROM pg_depend d \
             JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
             WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass \
               AND d.refobjid = $1::text::regclass AND d.deptype = 'a' ORDER BY 1",
            &[&name],
        )
        .await
        .map_err(pg("read owned sequences"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok(TableFacts {
        owner,
        indexes,
        foreign_keys,
        grants: grants(client, &name).await?,
        views,
        owned_sequences,
    })
}

/// The indexes of `table` itself (for a partitioned table, its partitioned indexes, whose
/// definitions read `ON ONLY t`), each with the key constraint it backs.
pub(crate) async fn indexes(
    client: &impl GenericClient,
    table: &TableName,
) -> Result<Vec<IndexFact>> {
    Ok(client
        .query(
            "SELECT i.relname::text, pg_get_indexdef(i.oid), con.conname::text, pg_get_constraintdef(con.oid) \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid \
               AND con.contype IN ('p', 'u', 'x') \
             WHERE x.indrelid = $1::text::regclass ORDER BY 1",
            &[&table.to_string()],
        )
        .await
        .map_err(Error::pg(table, "read indexes"))?
        .iter()
        .map(|r| IndexFact {
            name: r.get(0),
            def: r.get(1),
            constraint: r.get::<_, Option<String>>(2).zip(r.get::<_, Option<String>>(3)),
        })
        .collect())
}

pub(crate) async fn grants(client: &impl GenericClient, table: &str) -> Result<Vec<GrantFact>> {
    let rows = client
        .query(
            "SELECT r.rolname::text, a.privilege_type, a.is_grantable \
             FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a \
             LEFT JOIN pg_roles r ON r.oid = a.grantee \
             WHERE c.oid = $1::text::regclass ORDER BY 1, 2",
            &[&table],
        )
        .await
        .map_err(Error::pg(&table, "read grants"))?;
    Ok(rows
        .iter()
        .map(|r| GrantFact {
            grantee: r.get(0),
            privilege: r.get(1),
            grantable: r.get(2),
        })
        .collect())
}

/// Runs `statements` in order; an error names the table and `step`.
pub(crate) async fn run(
    client: &impl GenericClient,
    table: &TableName,
    step: &'static str,
    statements: &[String],
) -> Result<()> {
    for s in statements {
        tracing::debug!(table = %table, statement = %s, step, "Running swap step.");
        client
            .batch_execute(s)
            .await
            .map_err(Error::pg(table, step))?;
    }
    Ok(())
}

/// A shadow table being loaded for a full refresh of `target`.
#[derive(Debug, Clone)]
pub struct Shadow {
    target: TableName,
    shadow: TableName,
    old: TableName,
}

impl Shadow {
    /// Creates the empty, index-less `target__shadow` (dropping a stale one).
    pub async fn create(client: &Client, target: TableName) -> Result<Self> {
        let shadow = target.with_suffix("__shadow");
        let old = target.with_suffix("__old");
        table_facts(client, &target).await?; // refuse early what cannot swap
        let mut sql = create_shadow_sql(&target, &shadow);
        sql.extend(set_statistics_sql(
            &shadow,
            &statistics_targets(client, &target).await?,
        ));
        run(client, &target, "create shadow", &sql).await?;
        Ok(Shadow {
            target,
            shadow,
            old,
        })
    }

    /// The table to COPY into.
    pub fn table(&self) -> &TableName {
        &self.shadow
    }

    /// Builds the target's indexes and constraints on the loaded shadow.
    pub async fn build_indexes(&self, client: &Client) -> Result<()> {
        let facts = table_facts(client, &self.target).await?;
        let statements = build_indexes_sql(&facts, &self.target, &self.shadow)?;
        run(client, &self.target, "build indexes", &statements).await
    }

    /// Swaps the shadow in, in one transaction (waits at most `lock_timeout`
    /// for readers to release the table).
    pub async fn swap(self, client: &mut Client, lock_timeout: std::time::Duration) -> Result<()> {
        let target = self.target.clone();
        let tx = client
            .transaction()
            .await
            .map_err(Error::pg(&target, "swap"))?;
        self.swap_in(&tx, lock_timeout).await?;
        tx.commit().await.map_err(Error::pg(&target, "swap"))
    }

    /// [`Shadow::swap`] inside the caller's transaction, so that what records the
    /// refresh (a ledger) commits atomically with it. The caller commits.
    pub async fn swap_in(
        self,
        tx: &Transaction<'_>,
        lock_timeout: std::time::Duration,
    ) -> Result<()> {
        let target = &self.target;
        let lock = [
            format!("SET LOCAL lock_timeout = '{}ms'", lock_timeout.as_millis()),
            format!("LOCK TABLE {target} IN ACCESS EXCLUSIVE MODE"),
        ];
        run(tx, target, "swap", &lock).await?;
        let facts = table_facts(tx, target).await?;
        let shadow_grants = grants(tx, &self.shadow.to_string()).await?;
        let statements = swap_sql(&facts, &shadow_grants, target, &self.shadow, &self.old);
        run(tx, target, "swap", &statements).await?;
        tracing::info!(table = %target, "Shadow table swapped in.");
        Ok(())
    }

    /// Drops the shadow (after a failed load).
    pub async fn abandon(self, client: &Client) -> Result<()> {
        run(
            client,
            &self.target,
            "drop shadow",
            &[format!("DROP TABLE IF EXISTS {}", self.shadow)],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TableFacts {
        TableFacts {
            owner: "skyfit".into(),
            indexes: vec![
                IndexFact {
                    name: "idx_core_members_branch".into(),
                    def: "CREATE INDEX idx_core_members_branch ON core.evo_members USING btree (branch_id)".into(),
                    constraint: None,
                },
                IndexFact {
                    name: "evo_members_pkey".into(),
                    def: "CREATE UNIQUE INDEX evo_members_pkey ON core.evo_members USING btree (member_id)".into(),
                    constraint: Some(("evo_members_pkey".into(), "PRIMARY KEY (member_id)".into())),
                },
            ],
            foreign_keys: vec![],
            grants: vec![GrantFact {
                grantee: Some("reporting".into()),
                privilege: "SELECT".into(),
                grantable: false,
            }],
            views: vec![ViewFact {
                name: "analytics.active_members".into(),
                def: " SELECT member_id FROM core.evo_members;".into(),
            }],
            owned_sequences: vec![("core.evo_members_id_seq".into(), "id".into())],
        }
    }

    #[test]
    fn index_statements() {
        let t = TableName::new("core", "evo_members");
        let s = t.with_suffix("__shadow");
        let sql = build_indexes_sql(&facts(), &t, &s).unwrap();
        assert_eq!(
            sql,
            vec![
                "CREATE INDEX \"idx_core_members_branch__sh\" ON \"core\".\"evo_members__shadow\" USING btree (branch_id)",
                "ALTER TABLE \"core\".\"evo_members__shadow\" ADD CONSTRAINT \"evo_members_pkey__sh\" PRIMARY KEY (member_id)",
                "ANALYZE \"core\".\"evo_members__shadow\"",
            ]
        );
    }

    #[test]
    fn unnamed_index_statements_and_statistics() {
        let t = TableName::new("core", "evo_members");
        let p = TableName::new("core", "evo_members_2024__shadow");
        let sql: Vec<String> = facts()
            .indexes
            .iter()
            .map(|i| index_sql(i, &t, &p, None).unwrap())
            .collect();
        assert_eq!(
            sql,
            [
                "CREATE INDEX ON \"core\".\"evo_members_2024__shadow\" USING btree (branch_id)",
                "ALTER TABLE \"core\".\"evo_members_2024__shadow\" ADD PRIMARY KEY (member_id)",
            ]
        );
        assert!(set_statistics_sql(&p, &[]).is_empty());
        assert_eq!(
            set_statistics_sql(&p, &[("raw_data".into(), 0), ("member_id".into(), 500)]),
            [
                "ALTER TABLE \"core\".\"evo_members_2024__shadow\" ALTER COLUMN \"raw_data\" SET STATISTICS 0, \
              ALTER COLUMN \"member_id\" SET STATISTICS 500"
            ]
        );
    }

    #[test]
    fn swap_statements() {
        let t = TableName::new("core", "evo_members");
        let grants = [GrantFact {
            grantee: None,
            privilege: "SELECT".into(),
            grantable: false,
        }];
        let sql = swap_sql(
            &facts(),
            &grants,
            &t,
            &t.with_suffix("__shadow"),
            &t.with_suffix("__old"),
        );
        assert_eq!(
            sql,
            vec![
                "ALTER TABLE \"core\".\"evo_members\" RENAME TO \"evo_members__old\"",
                "ALTER TABLE \"core\".\"evo_members__shadow\" RENAME TO \"evo_members\"",
                "ALTER TABLE \"core\".\"evo_members\" OWNER TO \"skyfit\"",
                "REVOKE ALL ON \"core\".\"evo_members\" FROM PUBLIC",
                "GRANT SELECT ON \"core\".\"evo_members\" TO \"reporting\"",
                "CREATE OR REPLACE VIEW analytics.active_members AS  SELECT member_id FROM core.evo_members",
                "ALTER SEQUENCE core.evo_members_id_seq OWNED BY \"core\".\"evo_members\".\"id\"",
                "DROP TABLE \"core\".\"evo_members__old\"",
                "ALTER INDEX \"core\".\"idx_core_members_branch__sh\" RENAME TO \"idx_core_members_branch\"",
                "ALTER TABLE \"core\".\"evo_members\" RENAME CONSTRAINT \"evo_members_pkey__sh\" TO \"evo_members_pkey\"",
            ]
        );
    }
}
