//! Adopting the warehouse the original Python system built (docs/data-contract.md#the-reference, #warehouse): a
//! database with its `stg_*`, `core` and `meta` tables but no `meta.schema_migrations`.
//!
//! The plan compares every table with what SkyFit's migrations create (see `catalog`) and
//! turns each difference into a step: add a column (backfilled from `raw_data` / `payload`
//! where SkyFit needs it filled), widen a type, relax or add NOT NULL, add a unique key or
//! check. Anything else — a type change that could lose data, a missing column it cannot
//! fill, duplicate keys outside staging, a plain table where SkyFit partitions — is a problem,
//! and any problem refuses the whole adoption before a single statement changes the database.
//!
//! Applying runs the plan, then every migration, then re-grants every privilege that existed
//! before, all in one transaction: the warehouse is either adopted whole or left as it was.
//! Views in the managed schemas are dropped and recreated around type changes (PostgreSQL
//! refuses to retype a column a view reads), with their owner, grants and comments.

use std::fmt;

use tokio_postgres::Transaction;
use tracing::info;

use crate::catalog::{self, Column, Table, ident};
use crate::error::{Error, Result};
use crate::migrate::{BOOTSTRAP, SCHEMAS, STAGING_SCHEMAS, apply_one, migrations};

/// One change the adoption makes, with the statements that make it.
#[derive(Debug, Clone)]
pub struct Step {
    /// `schema.table` it touches.
    pub table: String,
    /// What it does, for `skyfit db migrate --plan`.
    pub action: String,
    pub sql: Vec<String>,
}

/// What `skyfit db migrate` would do to this database.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Steps that adapt an original warehouse; empty for a fresh or SkyFit-managed database.
    pub steps: Vec<Step>,
    /// Migrations that would be applied, in order.
    pub migrations: Vec<String>,
    /// Things kept as they are that an operator should know about.
    pub notes: Vec<String>,
    /// Whether this is an original warehouse being adopted.
    pub adopt: bool,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.adopt {
            writeln!(
                f,
                "Original warehouse found (tables present, no meta.schema_migrations): adopt it in one transaction."
            )?;
            for s in &self.steps {
                writeln!(f, "  {:<40} {}", s.table, s.action)?;
            }
        }
        if self.migrations.is_empty() {
            writeln!(f, "No migrations pending.")?;
        } else {
            writeln!(f, "Apply {} migration(s):", self.migrations.len())?;
            for m in &self.migrations {
                writeln!(f, "  {m}")?;
            }
        }
        for n in &self.notes {
            writeln!(f, "Note: {n}")?;
        }
        Ok(())
    }
}

/// The adoption plan for an original warehouse. Read-only apart from a rolled-back savepoint;
/// refuses with every problem found at once.
pub(crate) async fn plan(tx: &mut Transaction<'_>) -> Result<Plan> {
    let (target, target_views) = catalog::target(tx).await?;
    let schemas: Vec<String> = SCHEMAS.iter().map(|s| s.to_string()).collect();
    let existing = catalog::tables(tx, &schemas).await?;
    let existing_views = catalog::views(tx, &schemas).await?;
    let mut plan = Plan {
        adopt: true,
        migrations: migrations().iter().map(|m| m.name.to_string()).collect(),
        ..Plan::default()
    };
    let mut problems = Vec::new();
    for t in &target {
        // A table the original lacks is simply created by its migration.
        if let Some(e) = existing
            .iter()
            .find(|e| e.schema == t.schema && e.name == t.name)
        {
            diff_table(tx, t, e, &mut plan, &mut problems).await?;
        }
    }
    for e in &existing {
        if !target
            .iter()
            .any(|t| t.schema == e.schema && t.name == e.name)
        {
            plan.notes.push(format!(
                "{} is not a SkyFit table; it is kept as it is.",
                e.qualified()
            ));
        }
    }
    // A migration may only append columns to a view it replaces (CREATE OR REPLACE VIEW);
    // a view of the same name with other columns is someone else's and reports may read it.
    for (name, cols) in &existing_views {
        if let Some((_, want)) = target_views.iter().find(|(n, _)| n == name)
            && (want.len() < cols.len() || want[..cols.len()] != cols[..])
        {
            problems.push(format!(
                "view {name} has columns ({}) where SkyFit defines ({}); rename the view \
                 (ALTER VIEW {name} RENAME TO …) or drop it, and rerun",
                cols.join(", "),
                want.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Unrecognised { problems });
    }
    let public: i64 = tx
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                    aclexplode(c.relacl) a
             WHERE n.nspname = 'core' AND a.grantee = 0 AND a.privilege_type = 'SELECT'",
            &[],
        )
        .await
        .map_err(Error::pg("reading the grants to PUBLIC"))?
        .get(0);
    if public > 0 {
        plan.notes.push(format!(
            "{public} core tables and views are readable by PUBLIC (the original GRANT); \
             the grant is kept so reports keep working. Once the report logins are members of \
             skyfit_reader, run REVOKE SELECT ON ALL TABLES IN SCHEMA core FROM PUBLIC."
        ));
    }
    plan.notes.push(
        "Existing rows, views, grants and comments are kept; views are recreated unchanged \
         around column type changes."
            .to_string(),
    );
    Ok(plan)
}

/// SQL that fills a column SkyFit adds to an original table, and a predicate selecting the
/// rows it cannot fill. Only the columns SkyFit's loaders key or merge on are filled; other
/// new columns start NULL (or at their default) and the next load fills them.
fn backfill(table: &Table, column: &str) -> Option<(String, String)> {
    let id_from = |json: &str| {
        (
            format!("({json}->>'id')::bigint"),
            format!("NOT coalesce({json}->>'id' ~ '^-?[0-9]{{1,18}}$', false)"),
        )
    };
    match (table.schema.as_str(), table.name.as_str(), column) {
        ("stg_pipedrive", _, c) | ("stg_zendesk", _, c)
            if c.ends_with("_id") && c != "run_id" && table.column("payload").is_some() =>
        {
            Some(id_from("payload"))
        }
        // 0-based position in the member's contacts array. The original inserted each array
        // in order into a SERIAL id, so the id order within a member is the array order.
        ("core", "evo_member_contacts", "contact_position") => Some((
            "(SELECT p.pos FROM (SELECT id, (row_number() OVER (PARTITION BY member_id ORDER BY id) - 1)::int AS pos
               FROM core.evo_member_contacts) p WHERE p.id = evo_member_contacts.id)"
                .to_string(),
            "false".to_string(),
        )),
        _ => None,
    }
}

/// The statement that converts `from` to `to` when no value can be lost, else `None`.
fn conversion(from: &str, to: &str) -> Option<Option<String>> {
    let varchar_len = |t: &str| -> Option<u32> {
        t.strip_prefix("character varying(")?
            .strip_suffix(')')?
            .parse()
            .ok()
    };
    let numeric = |t: &str| -> Option<(u32, u32)> {
        let inner = t.strip_prefix("numeric(")?.strip_suffix(')')?;
        let (p, s) = inner.split_once(',')?;
        Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
    };
    match (from, to) {
        ("integer", "bigint") | ("smallint", "integer") | ("smallint", "bigint") => Some(None),
        // Every type has a text form; character varying(n) to text does not even rewrite.
        (_, "text") => Some(Some("::text".into())),
        (f, "character varying") if f.starts_with("character varying") => Some(None),
        (f, t) => match (varchar_len(f), varchar_len(t), numeric(f), numeric(t)) {
            (Some(a), Some(b), _, _) if b >= a => Some(None),
            (_, _, Some((p1, s1)), Some((p2, s2))) if s2 >= s1 && p2 - s2 >= p1 - s1 => Some(None),
            _ => None,
        },
    }
}

async fn count(tx: &Transaction<'_>, sql: &str) -> Result<i64> {
    Ok(tx
        .query_one(sql, &[])
        .await
        .map_err(Error::pg(format!("checking the data: {sql}")))?
        .get(0))
}

fn column_ddl(c: &Column, with_default: bool) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.ty);
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    } else if with_default && let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    s
}

async fn diff_table(
    tx: &Transaction<'_>,
    t: &Table,
    e: &Table,
    plan: &mut Plan,
    problems: &mut Vec<String>,
) -> Result<()> {
    let q = e.qualified();
    let name = format!("{}.{}", t.schema, t.name);
    let mut step = |action: String, sql: Vec<String>| {
        plan.steps.push(Step {
            table: name.clone(),
            action,
            sql,
        })
    };
    if t.partitioned != e.partitioned {
        problems.push(format!(
            "{name}: SkyFit expects a {} table, this one is {}; move its rows to a table of \
             another name, drop it, and rerun",
            if t.partitioned {
                "partitioned"
            } else {
                "plain"
            },
            if e.partitioned {
                "partitioned"
            } else {
                "plain"
            },
        ));
        return Ok(());
    }
    let rows = count(tx, &format!("SELECT count(*) FROM {q}")).await?;
    // Key columns the plan fills, for checking uniqueness before they exist.
    let mut filled: Vec<(String, String)> = Vec::new();
    for c in &t.columns {
        let col = ident(&c.name);
        let Some(have) = e.column(&c.name) else {
            if c.generated.is_some() {
                step(
                    format!("add generated column {} {}", c.name, c.ty),
                    vec![format!(
                        "ALTER TABLE {q} ADD COLUMN {}",
                        column_ddl(c, false)
                    )],
                );
            } else if let Some((expr, bad)) = backfill(e, &c.name) {
                let n = count(tx, &format!("SELECT count(*) FROM {q} WHERE {bad}")).await?;
                if n > 0 {
                    problems.push(format!(
                        "{name}: {n} row(s) have no numeric id to fill the new column {} from \
                         (SELECT * FROM {q} WHERE {bad}); delete or fix them and rerun",
                        c.name
                    ));
                    continue;
                }
                let mut sql = vec![
                    format!("ALTER TABLE {q} ADD COLUMN {}", column_ddl(c, true)),
                    format!("UPDATE {q} SET {col} = {expr}"),
                ];
                if c.not_null {
                    sql.push(format!("ALTER TABLE {q} ALTER COLUMN {col} SET NOT NULL"));
                }
                step(
                    format!(
                        "add column {} {}, filled with {expr} ({rows} rows)",
                        c.name, c.ty
                    ),
                    sql,
                );
                filled.push((c.name.clone(), expr));
            } else if c.default.as_deref().is_some_and(|d| d.contains("nextval(")) {
                problems.push(format!(
                    "{name}: the serial column {} is missing and cannot be added in place",
                    c.name
                ));
            } else if c.not_null && c.default.is_none() && rows > 0 {
                problems.push(format!(
                    "{name}: column {} ({}) is missing, required, and SkyFit does not know how \
                     to fill it for the {rows} existing rows",
                    c.name, c.ty
                ));
            } else {
                let mut ddl = column_ddl(c, true);
                if c.not_null {
                    ddl.push_str(" NOT NULL");
                }
                step(
                    format!("add column {} {}", c.name, c.ty),
                    vec![format!("ALTER TABLE {q} ADD COLUMN {ddl}")],
                );
            }
            continue;
        };
        if have.generated != c.generated && (have.generated.is_none() || c.generated.is_none()) {
            problems.push(format!(
                "{name}: column {} is {}generated here and {}generated in SkyFit",
                c.name,
                if have.generated.is_some() { "" } else { "not " },
                if c.generated.is_some() { "" } else { "not " },
            ));
            continue;
        }
        if have.ty != c.ty {
            match conversion(&have.ty, &c.ty) {
                Some(using) => {
                    let mut sql = vec![format!(
                        "ALTER TABLE {q} ALTER COLUMN {col} TYPE {}{}",
                        c.ty,
                        using
                            .map(|u| format!(" USING {col}{u}"))
                            .unwrap_or_default()
                    )];
                    if c.ty == "bigint"
                        && have
                            .default
                            .as_deref()
                            .is_some_and(|d| d.contains("nextval("))
                    {
                        sql.push(format!(
                            "ALTER SEQUENCE {} AS bigint",
                            seq_of(tx, e, &c.name).await?
                        ));
                    }
                    step(
                        format!("change {} from {} to {}", c.name, have.ty, c.ty),
                        sql,
                    );
                }
                None => problems.push(format!(
                    "{name}: column {} is {} here and {} in SkyFit, a conversion that could \
                     lose data; convert it yourself (ALTER TABLE {q} ALTER COLUMN {col} TYPE {} \
                     USING …) and rerun",
                    c.name, have.ty, c.ty, c.ty
                )),
            }
        }
        if c.not_null && !have.not_null {
            let n = count(tx, &format!("SELECT count(*) FROM {q} WHERE {col} IS NULL")).await?;
            if n > 0 {
                problems.push(format!(
                    "{name}: {n} row(s) have {} NULL, which SkyFit requires; fill them \
                     (UPDATE {q} SET {col} = … WHERE {col} IS NULL) and rerun",
                    c.name
                ));
            } else {
                step(
                    format!("make {} NOT NULL", c.name),
                    vec![format!("ALTER TABLE {q} ALTER COLUMN {col} SET NOT NULL")],
                );
            }
        } else if !c.not_null && have.not_null {
            step(
                format!("allow NULL in {}", c.name),
                vec![format!("ALTER TABLE {q} ALTER COLUMN {col} DROP NOT NULL")],
            );
        }
        if c.generated.is_none() && have.default != c.default {
            let nextval = |d: &Option<String>| d.as_deref().is_some_and(|d| d.contains("nextval("));
            // A serial keeps its own sequence; only plain defaults are aligned.
            if !(nextval(&have.default) && nextval(&c.default)) {
                let sql = match &c.default {
                    Some(d) => format!("ALTER TABLE {q} ALTER COLUMN {col} SET DEFAULT {d}"),
                    None => format!("ALTER TABLE {q} ALTER COLUMN {col} DROP DEFAULT"),
                };
                step(
                    format!(
                        "default of {}: {} -> {}",
                        c.name,
                        have.default.as_deref().unwrap_or("none"),
                        c.default.as_deref().unwrap_or("none")
                    ),
                    vec![sql],
                );
            }
        }
    }
    for have in &e.columns {
        if t.column(&have.name).is_none() {
            if have.not_null && have.default.is_none() {
                step(
                    format!(
                        "allow NULL in {} (kept, SkyFit does not write it)",
                        have.name
                    ),
                    vec![format!(
                        "ALTER TABLE {q} ALTER COLUMN {} DROP NOT NULL",
                        ident(&have.name)
                    )],
                );
            } else {
                plan.notes.push(format!(
                    "{name}.{} is not a SkyFit column; it is kept and no longer written.",
                    have.name
                ));
            }
        }
    }
    for u in &t.uniques {
        if let Some(h) = e
            .uniques
            .iter()
            .find(|h| h.keys == u.keys && h.predicate == u.predicate)
        {
            if h.name != u.name {
                let sql = if h.constraint.is_some() && u.constraint.is_some() {
                    format!(
                        "ALTER TABLE {q} RENAME CONSTRAINT {} TO {}",
                        ident(&h.name),
                        ident(&u.name)
                    )
                } else {
                    format!(
                        "ALTER INDEX {}.{} RENAME TO {}",
                        ident(&e.schema),
                        ident(&h.name),
                        ident(&u.name)
                    )
                };
                step(
                    format!("rename unique key {} to {}", h.name, u.name),
                    vec![sql],
                );
            }
            continue;
        }
        // A key column neither present nor filled was already reported (or gets a default).
        if u.keys.iter().any(|k| {
            t.column(k).is_some() && e.column(k).is_none() && !filled.iter().any(|(c, _)| c == k)
        }) {
            continue;
        }
        let keys: Vec<String> = u
            .keys
            .iter()
            .map(|k| {
                filled
                    .iter()
                    .find(|(c, _)| c == k)
                    .map(|(_, x)| x.clone())
                    .unwrap_or_else(|| k.clone())
            })
            .collect();
        let filter = u
            .predicate
            .as_ref()
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default();
        let dups = count(
            tx,
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM {q}{filter} GROUP BY {} HAVING count(*) > 1) d",
                keys.join(", ")
            ),
        )
        .await?;
        let add = match &u.constraint {
            Some(def) => format!("ALTER TABLE {q} ADD CONSTRAINT {} {def}", ident(&u.name)),
            None => u.index_def.clone(),
        };
        if dups == 0 {
            step(
                format!("add unique key {} ({})", u.name, u.keys.join(", ")),
                vec![add],
            );
        } else if STAGING_SCHEMAS.contains(&t.schema.as_str()) && u.predicate.is_none() {
            let Some(order) = ["loaded_at", "_updated_at", "_loaded_at"]
                .into_iter()
                .find(|c| e.column(c).is_some())
            else {
                problems.push(format!(
                    "{name}: {dups} duplicate key(s) on ({}) and no load time to pick the latest",
                    u.keys.join(", ")
                ));
                continue;
            };
            let tie = if e.column("id").is_some() {
                ", id DESC"
            } else {
                ""
            };
            let archive = format!(
                "{}.{}",
                ident(&e.schema),
                ident(&format!("{}_superseded", e.name))
            );
            let older = format!(
                "ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY {} ORDER BY {order} DESC{tie}) AS rn FROM {q}) r WHERE rn > 1)",
                keys.join(", ")
            );
            step(
                format!(
                    "keep the latest version per ({}) ({dups} keys with older versions); move the \
                     older versions to {archive}",
                    u.keys.join(", ")
                ),
                vec![
                    format!("CREATE TABLE {archive} AS SELECT * FROM {q} WHERE {older}"),
                    // Same snapshot, same ranking: deletes exactly the rows just archived.
                    format!("DELETE FROM {q} WHERE {older}"),
                    add,
                ],
            );
        } else {
            problems.push(format!(
                "{name}: {dups} duplicate key(s) on ({}) that SkyFit keeps unique; remove the \
                 duplicates and rerun",
                u.keys.join(", ")
            ));
        }
    }
    for (cname, def) in &t.checks {
        if e.checks.iter().any(|(_, d)| d == def) {
            continue;
        }
        let expr = def.strip_prefix("CHECK ").unwrap_or(def);
        let bad = count(tx, &format!("SELECT count(*) FROM {q} WHERE NOT {expr}")).await?;
        if bad > 0 {
            problems.push(format!(
                "{name}: {bad} row(s) break SkyFit's {def}; fix them and rerun"
            ));
        } else {
            step(
                format!("add {def}"),
                vec![format!(
                    "ALTER TABLE {q} ADD CONSTRAINT {} {def}",
                    ident(cname)
                )],
            );
        }
    }
    Ok(())
}

async fn seq_of(tx: &Transaction<'_>, t: &Table, column: &str) -> Result<String> {
    let row = tx
        .query_one(
            "SELECT pg_get_serial_sequence($1, $2)",
            &[&t.qualified(), &column],
        )
        .await
        .map_err(Error::pg("finding a serial sequence"))?;
    row.get::<_, Option<String>>(0)
        .ok_or_else(|| Error::Unrecognised {
            problems: vec![format!(
                "{}.{}: its default uses a sequence the column does not own",
                t.qualified(),
                column
            )],
        })
}

/// A view of the managed schemas, saved to be recreated as it was.
struct SavedView {
    name: String,
    def: String,
    owner: String,
    comment: Option<String>,
}

/// Saved ACL entries: (object kind, object, privilege, grantee, grantable).
type Grants = Vec<(String, String, String, String, bool)>;

async fn saved_views(tx: &Transaction<'_>) -> Result<Vec<SavedView>> {
    let schemas: Vec<String> = SCHEMAS.iter().map(|s| s.to_string()).collect();
    let rows = tx
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), pg_get_viewdef(c.oid),
                    pg_get_userbyid(c.relowner)::text, obj_description(c.oid, 'pg_class')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($1) AND c.relkind = 'v' ORDER BY c.oid",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("saving the views"))?;
    Ok(rows
        .iter()
        .map(|r| SavedView {
            name: r.get(0),
            def: r.get(1),
            owner: r.get(2),
            comment: r.get(3),
        })
        .collect())
}

async fn saved_grants(tx: &Transaction<'_>) -> Result<Grants> {
    let schemas: Vec<String> = SCHEMAS.iter().map(|s| s.to_string()).collect();
    let rows = tx
        .query(
            "SELECT 'TABLE', format('%I.%I', n.nspname, c.relname), a.privilege_type,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                    a.is_grantable
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm') AND a.grantee <> c.relowner
             UNION ALL
             SELECT 'SCHEMA', quote_ident(n.nspname), a.privilege_type,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                    a.is_grantable
             FROM pg_namespace n, aclexplode(n.nspacl) a
             WHERE n.nspname = ANY($1) AND a.grantee <> n.nspowner",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("saving the grants"))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect())
}

async fn exec(tx: &Transaction<'_>, sql: &str) -> Result<()> {
    tx.batch_execute(sql)
        .await
        .map_err(|source| Error::Adoption {
            statement: sql.to_string(),
            source,
        })
}

/// Plans and applies the adoption, then every migration, in the caller's transaction.
/// Returns the plan it carried out.
pub(crate) async fn apply(tx: &mut Transaction<'_>) -> Result<Plan> {
    let plan = plan(tx).await?;
    let grants = saved_grants(tx).await?;
    let retype = plan
        .steps
        .iter()
        .any(|s| s.sql.iter().any(|q| q.contains(" TYPE ")));
    let views = if retype {
        saved_views(tx).await?
    } else {
        Vec::new()
    };
    for v in views.iter().rev() {
        exec(tx, &format!("DROP VIEW IF EXISTS {}", v.name)).await?;
    }
    for s in &plan.steps {
        for sql in &s.sql {
            exec(tx, sql).await?;
        }
        info!(table = %s.table, action = %s.action, "Adopted.");
    }
    for v in &views {
        exec(tx, &format!("CREATE VIEW {} AS {}", v.name, v.def)).await?;
        exec(
            tx,
            &format!("ALTER VIEW {} OWNER TO {}", v.name, ident(&v.owner)),
        )
        .await?;
        if let Some(c) = &v.comment {
            exec(
                tx,
                &format!("COMMENT ON VIEW {} IS '{}'", v.name, c.replace('\'', "''")),
            )
            .await?;
        }
    }
    exec(tx, BOOTSTRAP).await?;
    for m in migrations() {
        apply_one(tx, &m).await?;
    }
    for (kind, object, privilege, grantee, grantable) in &grants {
        exec(
            tx,
            &format!(
                "GRANT {privilege} ON {kind} {object} TO {grantee}{}",
                if *grantable { " WITH GRANT OPTION" } else { "" }
            ),
        )
        .await?;
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::conversion;

    #[test]
    fn only_lossless_conversions_are_automatic() {
        assert_eq!(conversion("integer", "bigint"), Some(None));
        assert_eq!(
            conversion("character varying(50)", "text"),
            Some(Some("::text".into()))
        );
        assert_eq!(
            conversion("time without time zone", "text"),
            Some(Some("::text".into()))
        );
        assert_eq!(
            conversion("character varying(50)", "character varying(100)"),
            Some(None)
        );
        assert_eq!(
            conversion("character varying(100)", "character varying(50)"),
            None
        );
        assert_eq!(conversion("numeric(15,2)", "numeric(18,2)"), Some(None));
        assert_eq!(conversion("numeric(18,2)", "numeric(15,2)"), None);
        assert_eq!(conversion("text", "bigint"), None);
        assert_eq!(conversion("bigint", "integer"), None);
    }
}
