//! Relations written once in `queries/_shared/` and used by many query files.
//!
//! `queries/_shared/<name>.sql` holds one `SELECT` (comments allowed) that defines the
//! relation `<name>`. A header line `-- @latest: k1, k2` also defines `latest_<name>`: the latest
//! version of each key of `<name>` (latest run, then part, then line; rows with a NULL key column
//! left out), built from [`LATEST`], the one definition of that dedup. A file with
//! `-- @each: suffix: k1=v1, k2=v2` lines is a template: each such line defines the relation
//! `<name>_<suffix>`, the file's SELECT with `{k1}`, `{k2}` replaced, and the file defines no
//! `<name>` of its own (one text for relations that differ only in names).
//!
//! When a query file is loaded, every shared relation its SQL names (outside comments and
//! strings), and those they name in turn, are put in front of the query as CTEs, dependencies
//! first. The query's `sql` is therefore self-contained text: its plan scans the `bronze.*`
//! tables directly (a bronze table re-registered with a filter is what the expansion reads),
//! and a CTE the query defines itself (`src`) stays as written. The CTEs are inserted on the line
//! of the query's `WITH` (or of its first code line), on that one line, so the editor's line
//! numbers still hold for errors in the query's own text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Directory of the shared relations, inside the queries directory.
pub const SHARED_DIR: &str = "_shared";

/// The dedup every `@latest` relation uses; `{relation}`, `{key}` and `{key_not_null}` are
/// filled in.
pub const LATEST: &str = "SELECT * FROM (SELECT r.*, row_number() OVER (PARTITION BY {key} \
     ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn FROM {relation} r \
     WHERE {key_not_null}) ranked WHERE _rn = 1";

/// The shared relations of a queries directory.
#[derive(Debug, Clone, Default)]
pub struct SharedRelations {
    /// name → SQL on one line, comments removed.
    defs: BTreeMap<String, String>,
}

impl SharedRelations {
    /// Reads `dir/*.sql`; no directory means no shared relations.
    pub fn load(dir: &Path) -> Result<Self> {
        let mut out = SharedRelations::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(out);
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                file: path.clone(),
                source,
            })?;
            out.add(&path, &text)?;
        }
        Ok(out)
    }

    /// The shared relations of the queries directory holding `query` (the nearest ancestor with
    /// a `_shared` directory).
    pub fn for_query(query: &Path) -> Result<Self> {
        Self::for_query_or(query, None)
    }

    /// [`Self::for_query`], or for a query file outside any queries directory (a copy being
    /// edited elsewhere) the shared relations of `queries_dir`.
    pub fn for_query_or(query: &Path, queries_dir: Option<&Path>) -> Result<Self> {
        match own_dir(query).or_else(|| queries_dir.map(|d| d.join(SHARED_DIR))) {
            Some(dir) => Self::load(&dir),
            None => Ok(SharedRelations::default()),
        }
    }

    /// Whether `query` lives in a queries directory (an ancestor has a `_shared` directory).
    pub fn has_own(query: &Path) -> bool {
        own_dir(query).is_some()
    }

    /// Adds the relation defined by the file `path` (its stem is the name).
    pub fn add(&mut self, path: &Path, text: &str) -> Result<()> {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let err = |message: String| Error::Header {
            file: path.into(),
            line: 1,
            message,
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(err(format!("`{name}` is not a relation name")));
        }
        let body = one_line(text);
        if body.is_empty() {
            return Err(err("no SELECT".into()));
        }
        let mut template = false;
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("-- @") else {
                continue;
            };
            match rest.split_once(':') {
                Some(("latest", key)) => {
                    let key: Vec<&str> = key.split(',').map(str::trim).collect();
                    let latest = LATEST
                        .replace("{relation}", &name)
                        .replace("{key}", &key.join(", "))
                        .replace(
                            "{key_not_null}",
                            &key.iter()
                                .map(|k| format!("{k} IS NOT NULL"))
                                .collect::<Vec<_>>()
                                .join(" AND "),
                        );
                    self.defs.insert(format!("latest_{name}"), latest);
                }
                Some(("each", spec)) => {
                    let (suffix, args) = spec.split_once(':').ok_or_else(|| {
                        err(format!(
                            "`{}`: expected `@each: suffix: k=v, ...`",
                            line.trim()
                        ))
                    })?;
                    let mut sql = body.clone();
                    for arg in args.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                        let (k, v) = arg.split_once('=').ok_or_else(|| {
                            err(format!("`{arg}` in `{}` is not k=v", line.trim()))
                        })?;
                        sql = sql.replace(&format!("{{{}}}", k.trim()), v.trim());
                    }
                    self.defs.insert(format!("{name}_{}", suffix.trim()), sql);
                    template = true;
                }
                _ => return Err(err(format!("unknown directive `{}`", line.trim()))),
            }
        }
        // A template (`@each`) defines only its instances: its own text has placeholders.
        if !template {
            self.defs.insert(name, body);
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// `sql` with the shared relations it uses in front as CTEs (unchanged when it uses none).
    pub fn expand(&self, sql: &str) -> String {
        let mut order: Vec<&str> = Vec::new();
        for name in words(sql) {
            self.visit(name, &mut order, 0);
        }
        if order.is_empty() {
            return sql.to_string();
        }
        let ctes: Vec<String> = order
            .iter()
            .map(|n| format!("{n} AS ({})", self.defs[*n]))
            .collect();
        let ctes = ctes.join(", ");
        // Insert on the first code line: after its `WITH`, or as a new WITH in front of it.
        let mut out = String::with_capacity(sql.len() + ctes.len() + 16);
        let mut done = false;
        for line in sql.split_inclusive('\n') {
            let t = line.trim_start();
            if !done && !t.is_empty() && !t.starts_with("--") {
                let indent = &line[..line.len() - t.len()];
                if t.len() >= 4 && t[..4].eq_ignore_ascii_case("with") && !is_word(t, 4) {
                    out.push_str(&format!("{indent}WITH {ctes},{}", &t[4..]));
                } else {
                    out.push_str(&format!("{indent}WITH {ctes} {t}"));
                }
                done = true;
            } else {
                out.push_str(line);
            }
        }
        out
    }

    /// Depth-first: what `name` uses goes first.
    fn visit<'a>(&'a self, name: &str, order: &mut Vec<&'a str>, depth: usize) {
        let Some((key, body)) = self.defs.get_key_value(name) else {
            return;
        };
        if order.contains(&key.as_str()) || depth > 32 {
            return;
        }
        for w in words(body) {
            if w != name {
                self.visit(w, order, depth + 1);
            }
        }
        if !order.contains(&key.as_str()) {
            order.push(key);
        }
    }
}

/// The `_shared` directory of the nearest ancestor of `query` that has one.
fn own_dir(query: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(query).unwrap_or_else(|_| query.to_path_buf());
    abs.ancestors()
        .skip(1)
        .map(|a| a.join(SHARED_DIR))
        .find(|d| d.is_dir())
}

fn is_word(s: &str, i: usize) -> bool {
    s[i..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The SQL as one line: comments removed, line breaks as spaces, strings and quoted names kept.
fn one_line(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.split(' ')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The identifiers of `sql` outside comments, strings and quoted names, in order.
fn words(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += 1;
            }
            i += 1;
        } else if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            // `bronze.x` names a table, not a shared relation.
            if start == 0 || bytes[start - 1] != b'.' {
                out.push(&sql[start..i]);
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> SharedRelations {
        let mut s = SharedRelations::default();
        s.add(
            Path::new("_shared/evo_members.sql"),
            "-- EVO members with their key.\n-- @latest: member_id\nSELECT\n  TRY_CAST(json_as_text(_raw, 'idMember') AS BIGINT) AS member_id, -- key\n  _raw\nFROM bronze.evo_members\n",
        )
        .unwrap();
        s
    }

    #[test]
    fn used_relations_go_in_front_on_the_with_line() {
        let sql = "-- @target: core.x\n-- latest_evo_members in a comment is not a use\nWITH src AS (SELECT * FROM evo_members)\nSELECT member_id\nFROM latest_evo_members\n";
        let out = shared().expand(sql);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), sql.lines().count());
        assert_eq!(lines[..2], sql.lines().collect::<Vec<_>>()[..2]);
        assert!(
            lines[2].starts_with("WITH evo_members AS (SELECT TRY_CAST(json_as_text(_raw, 'idMember') AS BIGINT) AS member_id, _raw FROM bronze.evo_members), latest_evo_members AS (SELECT * FROM (SELECT r.*, row_number() OVER (PARTITION BY member_id ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn FROM evo_members r WHERE member_id IS NOT NULL) ranked WHERE _rn = 1), src AS"),
            "{}",
            lines[2]
        );
        assert_eq!(lines[3..], sql.lines().collect::<Vec<_>>()[3..]);
    }

    #[test]
    fn a_query_without_with_gets_one_and_others_are_unchanged() {
        let out = shared().expand("-- h\nSELECT member_id FROM latest_evo_members\n");
        assert!(out.starts_with("-- h\nWITH evo_members AS ("), "{out}");
        assert!(
            out.ends_with(" SELECT member_id FROM latest_evo_members\n"),
            "{out}"
        );
        let plain = "SELECT 1 FROM bronze.evo_members";
        assert_eq!(shared().expand(plain), plain);
    }

    #[test]
    fn each_instantiates_a_template_per_line() {
        let mut s = SharedRelations::default();
        s.add(
            Path::new("_shared/cf.sql"),
            "-- @each: deals: id=deal_id, src=bronze.deals\n-- @each: persons: id=person_id, src=bronze.persons\nSELECT {id}, '{' AS brace FROM {src}\n",
        )
        .unwrap();
        let out = s.expand("SELECT * FROM cf_persons");
        assert!(
            out.starts_with(
                "WITH cf_persons AS (SELECT person_id, '{' AS brace FROM bronze.persons) "
            ),
            "{out}"
        );
        assert_eq!(s.expand("SELECT * FROM cf"), "SELECT * FROM cf");
        let e = SharedRelations::default()
            .add(Path::new("_shared/x.sql"), "-- @each: deals\nSELECT 1")
            .unwrap_err();
        assert!(e.to_string().contains("@each"), "{e}");
    }

    #[test]
    fn an_unknown_directive_is_an_error() {
        let e = SharedRelations::default()
            .add(Path::new("_shared/x.sql"), "-- @lastest: a\nSELECT 1 AS a")
            .unwrap_err();
        assert!(e.to_string().contains("unknown directive"), "{e}");
    }
}
