//! A transform query file: plain DataFusion SQL with a header of `-- @directive: value`
//! lines that tells the loader where the result goes and how, and which data tests it must
//! pass. See `queries/README.md` for the conventions.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How the result is written to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Upsert the rows by key (temp table + `INSERT … ON CONFLICT`).
    Merge,
    /// Rebuild the table (shadow table + atomic swap).
    FullRefresh,
    /// Child rows: delete the rows of every parent in the load (`@parents`), then insert.
    ReplaceChildren,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [
        Strategy::Merge,
        Strategy::FullRefresh,
        Strategy::ReplaceChildren,
    ];

    /// The name a query header uses (`-- @strategy: replace_children`), and the one summaries
    /// and the ledger print, so the two never drift apart.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Merge => "merge",
            Strategy::FullRefresh => "full_refresh",
            Strategy::ReplaceChildren => "replace_children",
        }
    }

    pub fn parse(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, not `write_str`: summaries print it in aligned columns (`{:<16}`).
        f.pad(self.as_str())
    }
}

/// A data test declared in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataTest {
    Unique(Vec<String>),
    NotNull(Vec<String>),
    AcceptedValues {
        column: String,
        values: Vec<String>,
    },
    /// `column -> schema.table.column`: every non-null value exists in the other query's output.
    Relationships {
        column: String,
        target_table: String,
        target_column: String,
    },
    RowCount {
        min: u64,
        max: Option<u64>,
    },
}

/// How much a failing data test matters in the nightly run: `error` (the default) fails the
/// run after loading, `warn` (`-- @test[warn] kind: …`) is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestSeverity {
    Warn,
    #[default]
    Error,
}

impl TestSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            TestSeverity::Warn => "warn",
            TestSeverity::Error => "error",
        }
    }
}

/// One parsed query file.
#[derive(Debug, Clone)]
pub struct QueryFile {
    pub path: PathBuf,
    /// `schema.table` in PostgreSQL.
    pub target: String,
    pub key: Vec<String>,
    pub strategy: Strategy,
    pub parent_key: Option<String>,
    /// `-- @chunk_by: column`: an integer column of the primary bronze table that every
    /// version of a key shares (it determines the key). A large load then runs in passes over
    /// buckets of it, each pass holding only its keys in memory.
    pub chunk_by: Option<String>,
    /// `-- @parents: relation -> schema.table`: the shared relation (`latest_evo_members`)
    /// whose rows are the parents a `replace_children` load covers, each by its `@parent_key`
    /// column. A parent in the load whose newest version has no children loses its old ones.
    pub parents: Option<String>,
    /// The parents' own table (`core.evo_members`, after `->`): a parent stored there from a
    /// newer run than the load's keeps its children.
    pub parent_table: Option<String>,
    /// The query giving the parent keys of the load and the run of each one's version:
    /// `parents` expanded with the shared relations, set by [`QueryFile::load_in`] (`None` for text parsed alone).
    pub parents_sql: Option<String>,
    /// `-- @version: column[, column]`: the record's own change time (e.g. `update_date`),
    /// compared before the run order when an upsert meets a stored row: an older version never
    /// replaces a newer one.
    pub version: Vec<String>,
    pub tests: Vec<DataTest>,
    /// The severity of each of `tests`, in the same order.
    pub test_severities: Vec<TestSeverity>,
    /// The full text (header included: it is only comments).
    pub sql: String,
    /// (column, description) from trailing `-- ` comments of the select list, for the catalog.
    pub column_docs: Vec<(String, String)>,
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl QueryFile {
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_in(path, None)
    }

    /// [`Self::load`] for a file that may live outside the queries directory: when no
    /// ancestor of `path` has a `_shared/` directory, `queries_dir`'s shared relations apply.
    pub fn load_in(path: &Path, queries_dir: Option<&Path>) -> Result<Self> {
        let sql = std::fs::read_to_string(path).map_err(|source| Error::Read {
            file: path.into(),
            source,
        })?;
        let shared = crate::shared::SharedRelations::for_query_or(path, queries_dir)?;
        Self::with_shared(path, &sql, &shared)
    }

    /// Parses `sql` (the text of the file `path`) with the shared relations it names put in
    /// front of it as CTEs.
    pub fn with_shared(
        path: &Path,
        sql: &str,
        shared: &crate::shared::SharedRelations,
    ) -> Result<Self> {
        let mut q = Self::parse(path, &shared.expand(sql))?;
        if let (Some(relation), Some(key)) = (&q.parents, &q.parent_key) {
            q.parents_sql = Some(shared.expand(&parents_select(relation, key)));
        }
        Ok(q)
    }

    /// The distinct parent keys of the rows of `relation` (text parsed alone has no shared
    /// relations: the relation must then be a table the session has).
    pub fn parents_sql(&self) -> Option<String> {
        self.parents_sql.clone().or_else(|| {
            let (relation, key) = (self.parents.as_ref()?, self.parent_key.as_ref()?);
            Some(parents_select(relation, key))
        })
    }

    pub fn parse(path: &Path, sql: &str) -> Result<Self> {
        let err = |line: usize, message: String| Error::Header {
            file: path.into(),
            line,
            message,
        };
        let (mut target, mut key, mut strategy, mut parent_key, mut tests) =
            (None, None, None, None, Vec::new());
        let (mut chunk_by, mut parents, mut version) = (None, None, Vec::new());
        let mut parent_table: Option<String> = None;
        let mut test_severities = Vec::new();
        for (i, raw) in sql.lines().enumerate() {
            let n = i + 1;
            let Some(rest) = raw.trim().strip_prefix("-- @") else {
                continue;
            };
            let Some((name, value)) = rest.split_once(':') else {
                return Err(err(
                    n,
                    format!("`{raw}` is not a `-- @name: value` directive"),
                ));
            };
            let value = value.split("  (").next().unwrap_or("").trim();
            match name.trim() {
                "target" => target = Some(value.to_string()),
                "key" => key = Some(list(value)),
                "strategy" => {
                    let name = value.split_whitespace().next().unwrap_or("");
                    strategy = Some(Strategy::parse(name).ok_or_else(|| {
                        err(
                            n,
                            format!(
                                "unknown strategy `{name}` (merge, full_refresh, replace_children)"
                            ),
                        )
                    })?)
                }
                "parent_key" => parent_key = Some(value.trim_matches('"').to_string()),
                "chunk_by" => chunk_by = Some(value.trim_matches('"').to_string()),
                "parents" => {
                    let (relation, table) = match value.split_once("->") {
                        Some((r, t)) => (r.trim(), Some(t.trim().to_string())),
                        None => (value, None),
                    };
                    parents = Some(relation.trim_matches('"').to_string());
                    parent_table = table;
                }
                "version" => version = list(value),
                t if t.starts_with("test ") || t.starts_with("test[") => {
                    let (severity, kind) =
                        parse_severity(&t["test".len()..]).map_err(|m| err(n, m))?;
                    tests.push(parse_test(kind, value).map_err(|m| err(n, m))?);
                    test_severities.push(severity);
                }
                other => return Err(err(n, format!("unknown directive `@{other}`"))),
            }
        }
        let target = target.ok_or_else(|| err(1, "missing `-- @target: schema.table`".into()))?;
        if !target.contains('.') {
            return Err(err(1, format!("@target `{target}` must be schema.table")));
        }
        let key = key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| err(1, "missing `-- @key: col[, col]`".into()))?;
        let strategy = strategy.unwrap_or(Strategy::Merge);
        if strategy == Strategy::ReplaceChildren && parent_key.is_none() {
            return Err(err(
                1,
                "strategy replace_children needs `-- @parent_key: column`".into(),
            ));
        }
        if strategy == Strategy::ReplaceChildren && parents.is_none() {
            return Err(err(
                1,
                "strategy replace_children needs `-- @parents: relation` (the parents a load \
                 covers, e.g. latest_evo_members): without it a parent whose last child was \
                 removed would keep its old children"
                    .into(),
            ));
        }
        if let Some(r) = parents.as_deref().filter(|r| !is_identifier(r)) {
            return Err(err(1, format!("@parents `{r}` is not a relation name")));
        }
        if let Some(t) = parent_table.as_deref().filter(|t| {
            t.split_once('.')
                .is_none_or(|(s, n)| !is_identifier(s) || !is_identifier(n))
        }) {
            return Err(err(1, format!("@parents table `{t}` is not schema.table")));
        }
        Ok(QueryFile {
            path: path.into(),
            target,
            key,
            strategy,
            parent_key,
            chunk_by,
            parents,
            parent_table,
            parents_sql: None,
            version,
            tests,
            test_severities,
            sql: sql.to_string(),
            column_docs: column_docs(sql),
        })
    }

    /// `schema` and `table` of the target.
    pub fn target_parts(&self) -> (&str, &str) {
        self.target
            .split_once('.')
            .unwrap_or(("public", &self.target))
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Each parent's key and the run of its version in the load.
fn parents_select(relation: &str, key: &str) -> String {
    format!(
        "SELECT {key}, max(_run_id) AS _run_id FROM {relation} WHERE {key} IS NOT NULL GROUP BY {key}"
    )
}

/// `[warn] kind` or ` kind` (after `test`): the severity and the test kind.
fn parse_severity(rest: &str) -> std::result::Result<(TestSeverity, &str), String> {
    let Some(rest) = rest.strip_prefix('[') else {
        return Ok((TestSeverity::Error, rest.trim()));
    };
    let (sev, kind) = rest
        .split_once(']')
        .ok_or("`@test[severity] kind: …` needs a closing `]`")?;
    let severity = match sev.trim() {
        "warn" => TestSeverity::Warn,
        "error" => TestSeverity::Error,
        other => return Err(format!("unknown test severity `{other}` (warn, error)")),
    };
    Ok((severity, kind.trim()))
}

fn parse_test(kind: &str, value: &str) -> std::result::Result<DataTest, String> {
    Ok(match kind {
        "unique" => DataTest::Unique(list(value)),
        "not_null" => DataTest::NotNull(list(value)),
        "accepted_values" => {
            let (col, vals) = value
                .split_once('=')
                .ok_or("accepted_values: `column = 'a', 'b'`")?;
            DataTest::AcceptedValues {
                column: col.trim().trim_matches('"').to_string(),
                values: vals
                    .split(',')
                    .map(|v| v.trim().trim_matches('\'').to_string())
                    .collect(),
            }
        }
        "relationships" => {
            let (col, tgt) = value
                .split_once("->")
                .ok_or("relationships: `column -> schema.table.column`")?;
            let tgt = tgt.trim();
            let (table, column) = tgt
                .rsplit_once('.')
                .ok_or("relationships target must be schema.table.column")?;
            DataTest::Relationships {
                column: col.trim().to_string(),
                target_table: table.to_string(),
                target_column: column.to_string(),
            }
        }
        "row_count" => {
            let (lo, hi) = value
                .split_once("..")
                .ok_or("row_count: `min..max` or `min..`")?;
            let min = lo
                .trim()
                .parse()
                .map_err(|_| format!("row_count min `{lo}` is not a number"))?;
            let max = match hi.trim() {
                "" => None,
                h => Some(
                    h.parse()
                        .map_err(|_| format!("row_count max `{h}` is not a number"))?,
                ),
            };
            DataTest::RowCount { min, max }
        }
        other => {
            return Err(format!(
                "unknown test `{other}` (unique, not_null, accepted_values, relationships, row_count)"
            ));
        }
    })
}

/// `expr AS name, -- description` lines of the outermost select list.
fn column_docs(sql: &str) -> Vec<(String, String)> {
    sql.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .filter_map(|l| {
            let (code, doc) = l.split_once("--")?;
            let code = code.trim().trim_end_matches(',');
            let name = code
                .rsplit_once(" AS ")
                .or_else(|| code.rsplit_once(" as "))
                .map(|(_, n)| n)
                .unwrap_or(code);
            let name = name.trim().trim_matches('"');
            (!name.is_empty() && !name.contains(' '))
                .then(|| (name.to_string(), doc.trim().to_string()))
        })
        .collect()
}

/// Every `*.sql` under `dir`, sorted by path.
pub fn load_dir(dir: &Path) -> Result<Vec<QueryFile>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| Error::Read {
            file: d.clone(),
            source,
        })?;
        for e in entries {
            let p = e
                .map_err(|source| Error::Read {
                    file: d.clone(),
                    source,
                })?
                .path();
            if p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n == crate::shared::SHARED_DIR)
            {
                // Shared relations, not query files (see `crate::shared`).
            } else if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "sql") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.iter().map(|p| QueryFile::load(p)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strategy_names_round_trip() {
        for s in super::Strategy::ALL {
            assert_eq!(super::Strategy::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            super::Strategy::ReplaceChildren.to_string(),
            "replace_children"
        );
        assert_eq!(format!("{:<8}|", super::Strategy::Merge), "merge   |");
    }

    use super::*;

    /// Every variant is in `Strategy::ALL`, the list `parse` searches: a new variant does not
    /// compile here until the walk reaches it, then fails this test until `ALL` lists it
    /// (otherwise every header naming it is refused as an unknown strategy).
    #[test]
    fn all_lists_every_strategy() {
        fn after(s: Option<Strategy>) -> Option<Strategy> {
            match s {
                None => Some(Strategy::Merge),
                Some(Strategy::Merge) => Some(Strategy::FullRefresh),
                Some(Strategy::FullRefresh) => Some(Strategy::ReplaceChildren),
                Some(Strategy::ReplaceChildren) => None,
            }
        }
        let mut walked = Vec::new();
        let mut s = after(None);
        while let Some(v) = s {
            walked.push(v);
            s = after(s);
        }
        assert_eq!(walked, Strategy::ALL);
    }

    const SQL: &str = "-- @target: core.evo_entries
-- @key: entry_id, entry_date
-- @strategy: merge
-- @test unique: entry_id, entry_date
-- @test not_null: entry_id
-- @test accepted_values: entry_action = 'Entrada', 'Saída'
-- @test relationships: member_id -> core.evo_members.member_id
-- @test row_count: 1..
SELECT
  evo_entry_id(_raw) AS entry_id, -- Synthetic key.
  \"idMember\" AS member_id -- EVO member.
FROM bronze.evo_entries
";

    #[test]
    fn test_severity_is_parsed() {
        let sql = "-- @target: core.t\n-- @key: id\n-- @test[warn] not_null: x\n\
                   -- @test[error] unique: id\n-- @test row_count: 1..\nSELECT 1 AS id\n";
        let q = QueryFile::parse(Path::new("q.sql"), sql).unwrap();
        assert_eq!(q.tests[0], DataTest::NotNull(vec!["x".into()]));
        assert_eq!(
            q.test_severities,
            [TestSeverity::Warn, TestSeverity::Error, TestSeverity::Error]
        );
        let bad = "-- @target: core.t\n-- @key: id\n-- @test[fatal] unique: id\nSELECT 1\n";
        let e = QueryFile::parse(Path::new("q.sql"), bad).unwrap_err();
        assert!(e.to_string().contains("severity"), "{e}");
    }

    #[test]
    fn header_is_parsed() {
        let q = QueryFile::parse(Path::new("q.sql"), SQL).unwrap();
        assert_eq!(q.target, "core.evo_entries");
        assert_eq!(q.key, ["entry_id", "entry_date"]);
        assert_eq!(q.strategy, Strategy::Merge);
        assert_eq!(q.tests.len(), 5);
        assert_eq!(
            q.tests[2],
            DataTest::AcceptedValues {
                column: "entry_action".into(),
                values: vec!["Entrada".into(), "Saída".into()]
            }
        );
        assert_eq!(q.tests[4], DataTest::RowCount { min: 1, max: None });
        assert_eq!(q.test_severities, [TestSeverity::Error; 5]);
        assert_eq!(
            q.column_docs,
            [
                ("entry_id".to_string(), "Synthetic key.".to_string()),
                ("member_id".to_string(), "EVO member.".to_string())
            ]
        );
    }

    #[test]
    fn header_errors_name_file_and_line() {
        let e = QueryFile::parse(
            Path::new("q.sql"),
            "-- @target: core.x\n-- @key: a\n-- @strategy: sometimes\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "q.sql:3: unknown strategy `sometimes` (merge, full_refresh, replace_children)"
        );
        let e = QueryFile::parse(Path::new("q.sql"), "-- @target: core.x\nSELECT 1").unwrap_err();
        assert!(e.to_string().contains("missing `-- @key"), "{e}");
    }
}
