//! What the warehouse schemas hold, read from `pg_catalog`, and what SkyFit's migrations would
//! make of them. The target layout is not written down twice: the embedded migrations are run
//! into shadow schemas (`skyfit_adopt_<schema>`) inside a savepoint that is rolled back, and
//! that catalog is read. So adoption always compares against exactly what the files create.

use tokio_postgres::Transaction;

use crate::error::{Error, Result};
use crate::migrate::{SCHEMAS, migrations};

const SHADOW: &str = "skyfit_adopt_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    /// `format_type`, e.g. `character varying(50)`.
    pub ty: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// Expression of a `GENERATED ALWAYS AS (…) STORED` column.
    pub generated: Option<String>,
}

/// A unique index, whether behind a constraint or not.
#[derive(Debug, Clone)]
pub(crate) struct Unique {
    pub name: String,
    pub keys: Vec<String>,
    pub predicate: Option<String>,
    /// `pg_get_constraintdef` when a PRIMARY KEY / UNIQUE constraint owns the index.
    pub constraint: Option<String>,
    pub index_def: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub schema: String,
    pub name: String,
    pub partitioned: bool,
    pub columns: Vec<Column>,
    pub uniques: Vec<Unique>,
    /// (name, `pg_get_constraintdef`) of CHECK constraints.
    pub checks: Vec<(String, String)>,
}

impl Table {
    pub fn qualified(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident(&self.name))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

pub(crate) use skyfit_core::sql::ident_if_needed as ident;

/// Tables (not partitions) of `schemas`, with columns, unique indexes and checks.
pub(crate) async fn tables(tx: &Transaction<'_>, schemas: &[String]) -> Result<Vec<Table>> {
    let rels = tx
        .query(
            "SELECT n.nspname::text, c.relname::text, c.relkind = 'p'
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             ORDER BY 1, 2",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("reading the tables of the warehouse"))?;
    let cols = tx
        .query(
            "SELECT n.nspname::text, c.relname::text, a.attname::text,
                    format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                    CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY n.nspname, c.relname, a.attnum",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("reading the columns of the warehouse"))?;
    let uniques = tx
        .query(
            "SELECT n.nspname::text, c.relname::text, i.relname::text,
                    ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true)
                          FROM generate_series(1, x.indnkeyatts::int) k ORDER BY k),
                    pg_get_expr(x.indpred, x.indrelid),
                    pg_get_constraintdef(con.oid),
                    pg_get_indexdef(x.indexrelid)
             FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class c ON c.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = c.oid
                                         AND con.contype IN ('p', 'u')
             WHERE x.indisunique AND n.nspname = ANY($1) AND NOT c.relispartition
             ORDER BY 1, 2, 3",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("reading the unique keys of the warehouse"))?;
    let checks = tx
        .query(
            "SELECT n.nspname::text, c.relname::text, con.conname::text, pg_get_constraintdef(con.oid)
             FROM pg_constraint con
             JOIN pg_class c ON c.oid = con.conrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'c' AND n.nspname = ANY($1) AND NOT c.relispartition
             ORDER BY 1, 2, 3",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("reading the check constraints of the warehouse"))?;
    let mut out: Vec<Table> = rels
        .iter()
        .map(|r| Table {
            schema: r.get(0),
            name: r.get(1),
            partitioned: r.get(2),
            columns: Vec::new(),
            uniques: Vec::new(),
            checks: Vec::new(),
        })
        .collect();
    let find = |out: &mut Vec<Table>, s: &str, t: &str| {
        out.iter().position(|x| x.schema == s && x.name == t)
    };
    for r in &cols {
        if let Some(i) = find(&mut out, r.get(0), r.get(1)) {
            out[i].columns.push(Column {
                name: r.get(2),
                ty: r.get(3),
                not_null: r.get(4),
                default: r.get(5),
                generated: r.get(6),
            });
        }
    }
    for r in &uniques {
        if let Some(i) = find(&mut out, r.get(0), r.get(1)) {
            out[i].uniques.push(Unique {
                name: r.get(2),
                keys: r.get(3),
                predicate: r.get(4),
                constraint: r.get(5),
                index_def: r.get(6),
            });
        }
    }
    for r in &checks {
        if let Some(i) = find(&mut out, r.get(0), r.get(1)) {
            out[i].checks.push((r.get(2), r.get(3)));
        }
    }
    Ok(out)
}

/// Views of `schemas` as (`schema.name`, column names in order).
pub(crate) async fn views(
    tx: &Transaction<'_>,
    schemas: &[String],
) -> Result<Vec<(String, Vec<String>)>> {
    let rows = tx
        .query(
            "SELECT n.nspname || '.' || c.relname,
                    ARRAY(SELECT a.attname::text FROM pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attnum > 0 ORDER BY a.attnum)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($1) AND c.relkind = 'v' ORDER BY 1",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("reading the views of the warehouse"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The tables and views SkyFit's migrations create, with the schema names of the real
/// warehouse. Runs every embedded migration into shadow schemas inside a savepoint and rolls
/// it back.
pub(crate) async fn target(
    tx: &mut Transaction<'_>,
) -> Result<(Vec<Table>, Vec<(String, Vec<String>)>)> {
    let sp = tx
        .savepoint("skyfit_adopt_shadow")
        .await
        .map_err(Error::pg("starting the shadow migration"))?;
    for s in SCHEMAS {
        sp.batch_execute(&format!("CREATE SCHEMA {SHADOW}{s}"))
            .await
            .map_err(Error::pg("creating a shadow schema"))?;
    }
    for m in migrations() {
        sp.batch_execute(&shadow_sql(m.sql))
            .await
            .map_err(|source| Error::Migration {
                name: format!("{} (into shadow schemas)", m.name),
                source,
            })?;
    }
    let shadow: Vec<String> = SCHEMAS.iter().map(|s| format!("{SHADOW}{s}")).collect();
    let mut found = tables(&sp, &shadow).await?;
    let mut found_views = views(&sp, &shadow).await?;
    sp.rollback()
        .await
        .map_err(Error::pg("rolling back the shadow migration"))?;
    for t in &mut found {
        t.schema = unshadow(&t.schema);
        for c in &mut t.columns {
            c.default = c.default.as_deref().map(unshadow);
            c.generated = c.generated.as_deref().map(unshadow);
        }
        for u in &mut t.uniques {
            u.index_def = unshadow(&u.index_def);
            u.predicate = u.predicate.as_deref().map(unshadow);
        }
    }
    for v in &mut found_views {
        v.0 = unshadow(&v.0);
    }
    Ok((found, found_views))
}

fn unshadow(s: &str) -> String {
    s.replace(SHADOW, "")
}

/// Renames the managed schemas in a migration to their shadows: every bare identifier equal to
/// a schema name, outside string literals, quoted identifiers and comments.
pub(crate) fn shadow_sql(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 256);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() {
                if b[i] == c {
                    if i + 1 < b.len() && b[i + 1] == c {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push_str(&sql[start..i]);
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            let start = i;
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            out.push_str(&sql[start..i]);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            let word = &sql[start..i];
            if SCHEMAS.contains(&word) {
                out.push_str(SHADOW);
            }
            out.push_str(word);
        } else {
            // Multi-byte UTF-8 is copied whole: only ASCII starts a token above.
            let ch = sql[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_renames_schemas_but_not_literals_comments_or_longer_words() {
        let sql = "-- core tables\nCREATE TABLE core.x (metadata JSONB, s TEXT CHECK (s IN ('core')));\n\
                   GRANT USAGE ON SCHEMA core, analytics TO r; COMMENT ON TABLE meta.t IS 'meta é';";
        assert_eq!(
            shadow_sql(sql),
            "-- core tables\nCREATE TABLE skyfit_adopt_core.x (metadata JSONB, s TEXT CHECK (s IN ('core')));\n\
             GRANT USAGE ON SCHEMA skyfit_adopt_core, skyfit_adopt_analytics TO r; COMMENT ON TABLE skyfit_adopt_meta.t IS 'meta é';"
        );
    }
}
