//! SQL text for COPY, merge and shadow swap, as plain functions.
//!
//! Every identifier is double-quoted (exact, case-sensitive names). Nothing here
//! talks to a server, so the generated statements are unit-tested as strings.

use std::fmt;

pub use skyfit_core::sql::{quote_ident, quote_literal};

/// PostgreSQL truncates identifiers to 63 bytes.
const MAX_IDENT: usize = 63;

/// `name` with `suffix` appended, the name shortened (at a char boundary) so the
/// result fits PostgreSQL's 63-byte identifier limit.
pub fn suffixed(name: &str, suffix: &str) -> String {
    let mut keep = MAX_IDENT.saturating_sub(suffix.len()).min(name.len());
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{suffix}", &name[..keep])
}

/// A table name, optionally schema-qualified. Displays quoted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    /// Schema, or `None` to resolve through `search_path` (temp tables).
    pub schema: Option<String>,
    /// Table name.
    pub name: String,
}

impl TableName {
    /// `schema.name`.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        TableName {
            schema: Some(schema.into()),
            name: name.into(),
        }
    }

    /// A name resolved through `search_path`.
    pub fn unqualified(name: impl Into<String>) -> Self {
        TableName {
            schema: None,
            name: name.into(),
        }
    }

    /// The same schema, another name.
    pub fn sibling(&self, name: impl Into<String>) -> Self {
        TableName {
            schema: self.schema.clone(),
            name: name.into(),
        }
    }

    /// The same schema, the name with `suffix` appended (kept within 63 bytes).
    pub fn with_suffix(&self, suffix: &str) -> Self {
        self.sibling(suffixed(&self.name, suffix))
    }

    /// The quoted schema prefix (`"s".`), empty when unqualified.
    pub fn schema_prefix(&self) -> String {
        self.schema
            .as_deref()
            .map(|s| format!("{}.", quote_ident(s)))
            .unwrap_or_default()
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.schema_prefix(), quote_ident(&self.name))
    }
}

fn column_list<'a>(columns: impl IntoIterator<Item = &'a str>) -> String {
    columns
        .into_iter()
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `COPY t (a, b) FROM STDIN (FORMAT binary)`.
pub fn copy_in_statement<'a>(
    table: &TableName,
    columns: impl IntoIterator<Item = &'a str>,
) -> String {
    format!(
        "COPY {table} ({}) FROM STDIN (FORMAT binary)",
        column_list(columns)
    )
}

/// `SELECT a, b FROM t LIMIT 0`: prepared before a COPY to check the target.
pub fn check_columns_statement<'a>(
    table: &TableName,
    columns: impl IntoIterator<Item = &'a str>,
) -> String {
    format!("SELECT {} FROM {table} LIMIT 0", column_list(columns))
}

/// A temporary stage table shaped like `target`, dropped at commit.
pub fn create_stage_sql(target: &TableName, stage: &str) -> String {
    let stage = quote_ident(stage);
    format!(
        "DROP TABLE IF EXISTS pg_temp.{stage}; \
         CREATE TEMP TABLE {stage} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
}

/// How an upsert treats the stored row of a key it meets.
///
/// Without `order` every staged row replaces the stored one (the newest load wins, whatever
/// the version it carries). With it, a stored row whose version is strictly newer stays: the
/// `order` columns are compared in turn, a NULL oldest, so a late older run changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versioning {
    /// Columns that order the versions of a key, most significant first (the record's own
    /// change time, then the run id).
    pub order: Vec<String>,
    /// Column set to `now()` when an update changes a content column (`_updated_at`).
    pub touch: Option<String>,
    /// Columns that are not content (lineage: run id, file, line): a change in them alone
    /// leaves `touch` as it was.
    pub lineage: Vec<String>,
}

impl Versioning {
    /// Versions ordered by `order`.
    pub fn ordered_by(order: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Versioning {
            order: order.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// `column` records the time of the last change.
    pub fn with_touch(mut self, column: impl Into<String>) -> Self {
        self.touch = Some(column.into());
        self
    }

    /// Columns a change in which is not a change of the row's content.
    pub fn with_lineage(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.lineage = columns.into_iter().map(Into::into).collect();
        self
    }

    /// The condition under which the stored row `t` is strictly newer than the incoming
    /// `EXCLUDED` one (`None` without `order`).
    pub fn stored_is_newer(&self) -> Option<String> {
        self.order.iter().rev().fold(None, |later, c| {
            let c = quote_ident(c);
            let newer =
                format!("(t.{c} IS NOT NULL AND (EXCLUDED.{c} IS NULL OR t.{c} > EXCLUDED.{c}))");
            Some(match later {
                None => newer,
                Some(l) => {
                    format!("({newer} OR (t.{c} IS NOT DISTINCT FROM EXCLUDED.{c} AND {l}))")
                }
            })
        })
    }

    /// `SET` assignments and the `WHERE` of `ON CONFLICT … DO UPDATE` for `update`.
    fn update_clause(&self, update: &[&str]) -> String {
        let mut sets: Vec<String> = update
            .iter()
            .map(|c| format!("{0} = EXCLUDED.{0}", quote_ident(c)))
            .collect();
        if let Some(touch) = &self.touch {
            let content: Vec<String> = update
                .iter()
                .filter(|c| **c != touch.as_str() && !self.lineage.iter().any(|l| l == *c))
                .map(|c| quote_ident(c))
                .collect();
            let touch = quote_ident(touch);
            if !content.is_empty() {
                let stored = content.iter().map(|c| format!("t.{c}")).collect::<Vec<_>>();
                let incoming = content
                    .iter()
                    .map(|c| format!("EXCLUDED.{c}"))
                    .collect::<Vec<_>>();
                // ROW(…) so that one content column compares like several.
                sets.push(format!(
                    "{touch} = CASE WHEN ROW({}) IS DISTINCT FROM ROW({}) THEN now() ELSE t.{touch} END",
                    stored.join(", "),
                    incoming.join(", ")
                ));
            }
        }
        let mut out = format!("UPDATE SET {}", sets.join(", "));
        if let Some(newer) = self.stored_is_newer() {
            out.push_str(&format!(" WHERE NOT {newer}"));
        }
        out
    }
}

/// Upsert from `stage` into `target` on `key`. `update` lists the columns replaced
/// on conflict (`DO NOTHING` when empty), as `versioning` allows. The statement returns one
/// row: how many stage rows already had their key in the target (read from the snapshot
/// before the insert) and how many rows the upsert inserted or updated.
///
/// (`RETURNING xmax = 0`, the usual insert/update split, is refused on partitioned
/// tables, hence the `EXISTS` count.)
pub fn upsert_sql(
    target: &TableName,
    stage: &str,
    columns: &[&str],
    key: &[&str],
    update: &[&str],
    versioning: &Versioning,
) -> String {
    let cols = column_list(columns.iter().copied());
    let stage = quote_ident(stage);
    let action = if update.is_empty() {
        "NOTHING".to_owned()
    } else {
        versioning.update_clause(update)
    };
    let matches = key
        .iter()
        .map(|k| format!("t.{0} = s.{0}", quote_ident(k)))
        .collect::<Vec<_>>()
        .join(" AND ");
    // The existing rows are counted with one key probe per staged row (LATERAL … LIMIT 1):
    // with `WHERE EXISTS` the planner may hash the whole target instead (10 s at 10M rows on a
    // partitioned table, whose parent has no statistics), which made a nightly delta's time
    // grow with the table. `RETURNING xmax` would say inserted/updated directly but is refused
    // on partitioned tables.
    //
    // Both the probes and the insert go in key order. Keys such as EVO's hashed `entry_id`
    // are random, so in arrival order every staged row lands on another leaf of the key index;
    // once the index outgrows the server's buffer cache (at 30M entries the current year's key
    // index alone is 119 MB, the default cache 128 MB), each row costs a page read and a dirty
    // page written back. Sorted, consecutive rows share leaves: replayed on the 30M database,
    // each sorted core upsert beat the arrival-order one run beside it, by 0.04-0.84 s of
    // 1.7-2.4 s (issue 20, docs/performance.md). The sort is the server's (it spills past
    // `work_mem`), so a large merge costs no memory here.
    let key = column_list(key.iter().copied());
    format!(
        "WITH existing AS (SELECT count(*) AS n FROM \
         (SELECT {key} FROM pg_temp.{stage} ORDER BY {key}) s \
         CROSS JOIN LATERAL (SELECT 1 FROM {target} t WHERE {matches} LIMIT 1) hit), \
         merged AS (INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM pg_temp.{stage} \
         ORDER BY {key} ON CONFLICT ({key}) DO {action} RETURNING 1) \
         SELECT (SELECT n FROM existing), (SELECT count(*) FROM merged)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        let t = TableName::new("core", "evo_entries");
        assert_eq!(t.to_string(), "\"core\".\"evo_entries\"");
        assert_eq!(TableName::unqualified("x").to_string(), "\"x\"");
        assert_eq!(t.with_suffix("__shadow").name, "evo_entries__shadow");
        assert_eq!(suffixed(&"é".repeat(40), "__x").len(), 63);
        assert_eq!(suffixed(&"é".repeat(40), "__xy").len(), 62);
    }

    #[test]
    fn copy_statement() {
        let t = TableName::new("core", "t");
        assert_eq!(
            copy_in_statement(&t, ["id", "Name"]),
            r#"COPY "core"."t" ("id", "Name") FROM STDIN (FORMAT binary)"#
        );
    }

    #[test]
    fn upsert_statement() {
        let t = TableName::new("stg_evo", "members_raw");
        let sql = upsert_sql(
            &t,
            "members_raw__stage",
            &["member_id", "raw_data"],
            &["member_id"],
            &["raw_data"],
            &Versioning::default(),
        );
        assert_eq!(
            sql,
            "WITH existing AS (SELECT count(*) AS n FROM \
             (SELECT \"member_id\" FROM pg_temp.\"members_raw__stage\" ORDER BY \"member_id\") s \
             CROSS JOIN LATERAL (SELECT 1 FROM \"stg_evo\".\"members_raw\" t WHERE t.\"member_id\" = s.\"member_id\" LIMIT 1) hit), \
             merged AS (INSERT INTO \"stg_evo\".\"members_raw\" AS t (\"member_id\", \"raw_data\") \
             SELECT \"member_id\", \"raw_data\" FROM pg_temp.\"members_raw__stage\" \
             ORDER BY \"member_id\" ON CONFLICT (\"member_id\") DO UPDATE SET \"raw_data\" = EXCLUDED.\"raw_data\" RETURNING 1) \
             SELECT (SELECT n FROM existing), (SELECT count(*) FROM merged)"
        );
        assert!(
            upsert_sql(&t, "s", &["a"], &["a"], &[], &Versioning::default()).contains("DO NOTHING")
        );
    }

    #[test]
    fn a_versioned_upsert_keeps_newer_rows_and_touches_changed_ones() {
        let t = TableName::new("core", "evo_sales");
        let v = Versioning::ordered_by(["update_date", "_source_run_id"])
            .with_touch("_updated_at")
            .with_lineage(["_source_run_id"]);
        let sql = upsert_sql(
            &t,
            "s",
            &["sale_id", "amount", "update_date", "_source_run_id"],
            &["sale_id"],
            &["amount", "update_date", "_source_run_id"],
            &v,
        );
        assert!(
            sql.contains(
                "\"_updated_at\" = CASE WHEN ROW(t.\"amount\", t.\"update_date\") IS DISTINCT FROM \
                 ROW(EXCLUDED.\"amount\", EXCLUDED.\"update_date\") THEN now() ELSE t.\"_updated_at\" END"
            ),
            "{sql}"
        );
        assert!(
            sql.contains(
                " WHERE NOT ((t.\"update_date\" IS NOT NULL AND (EXCLUDED.\"update_date\" IS NULL OR \
                 t.\"update_date\" > EXCLUDED.\"update_date\")) OR (t.\"update_date\" IS NOT DISTINCT FROM \
                 EXCLUDED.\"update_date\" AND (t.\"_source_run_id\" IS NOT NULL AND \
                 (EXCLUDED.\"_source_run_id\" IS NULL OR t.\"_source_run_id\" > EXCLUDED.\"_source_run_id\")))) RETURNING"
            ),
            "{sql}"
        );
    }
}
