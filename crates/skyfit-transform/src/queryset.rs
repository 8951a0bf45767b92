//! Where the query files come from: a directory (`--queries DIR`, the tests, a data engineer's
//! checkout) or the copy of `queries/` compiled into the `skyfit` binary. The binary's copy is
//! the default because the migrations are compiled in too: a release then runs exactly the SQL
//! its tables were written for, wherever it is started from.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::query::{QueryFile, load_dir};
use crate::shared::{SHARED_DIR, SharedRelations};

/// A set of query files with their shared relations.
#[derive(Debug, Clone)]
pub enum QuerySet {
    /// `dir/{stg,core}/*.sql` and `dir/_shared/*.sql`, read when used.
    Dir(PathBuf),
    /// `(path relative to queries/, text)` of every file, `_shared/` ones included, compiled
    /// into the binary.
    Embedded(&'static [(&'static str, &'static str)]),
}

impl QuerySet {
    /// Every query file (not the shared relations), sorted by path.
    pub fn files(&self) -> Result<Vec<QueryFile>> {
        match self {
            QuerySet::Dir(dir) => load_dir(dir),
            QuerySet::Embedded(files) => {
                let shared = self.shared()?;
                let mut queries: Vec<&(&str, &str)> = files
                    .iter()
                    .filter(|(p, _)| p.ends_with(".sql") && !is_shared(p))
                    .collect();
                queries.sort_by_key(|(p, _)| *p);
                queries
                    .into_iter()
                    .map(|(p, sql)| QueryFile::with_shared(&embedded_path(p), sql, &shared))
                    .collect()
            }
        }
    }

    /// The shared relations of the set.
    pub fn shared(&self) -> Result<SharedRelations> {
        match self {
            QuerySet::Dir(dir) => SharedRelations::load(&dir.join(SHARED_DIR)),
            QuerySet::Embedded(files) => {
                let mut shared = SharedRelations::default();
                for (p, sql) in files.iter().filter(|(p, _)| is_shared(p)) {
                    shared.add(&embedded_path(p), sql)?;
                }
                Ok(shared)
            }
        }
    }

    /// A query file named on the command line: read from disk, with the shared relations of
    /// the queries directory it lives in, or this set's when it lives in none (a copy being
    /// edited elsewhere).
    pub fn load_file(&self, path: &Path) -> Result<QueryFile> {
        match self {
            QuerySet::Dir(dir) => QueryFile::load_in(path, Some(dir)),
            QuerySet::Embedded(_) => {
                if SharedRelations::has_own(path) {
                    return QueryFile::load(path);
                }
                let sql =
                    std::fs::read_to_string(path).map_err(|source| crate::error::Error::Read {
                        file: path.into(),
                        source,
                    })?;
                QueryFile::with_shared(path, &sql, &self.shared()?)
            }
        }
    }
}

impl fmt::Display for QuerySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuerySet::Dir(dir) => write!(f, "{}", dir.display()),
            QuerySet::Embedded(_) => f.write_str("the queries/ compiled into this binary"),
        }
    }
}

impl From<PathBuf> for QuerySet {
    fn from(dir: PathBuf) -> Self {
        QuerySet::Dir(dir)
    }
}

impl From<&Path> for QuerySet {
    fn from(dir: &Path) -> Self {
        QuerySet::Dir(dir.into())
    }
}

impl From<&PathBuf> for QuerySet {
    fn from(dir: &PathBuf) -> Self {
        QuerySet::Dir(dir.clone())
    }
}

fn is_shared(path: &str) -> bool {
    path.starts_with(&format!("{SHARED_DIR}/"))
}

/// How messages name an embedded file: as it is named in the repository.
fn embedded_path(rel: &str) -> PathBuf {
    Path::new("queries").join(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: &[(&str, &str)] = &[
        (
            "_shared/things.sql",
            "-- @latest: id\nSELECT CAST(1 AS BIGINT) AS id, 'x' AS _run_id, 'f' AS _source_file, 1 AS _line",
        ),
        (
            "core/b.sql",
            "-- @target: core.b\n-- @key: id\nSELECT id FROM latest_things",
        ),
        (
            "core/a.sql",
            "-- @target: core.a\n-- @key: id\nSELECT id FROM things",
        ),
    ];

    /// The embedded set gives the same files, in path order, with their shared relations
    /// expanded, as a directory holding the same files.
    #[test]
    fn embedded_files_read_like_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        for (p, sql) in FILES {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, sql).unwrap();
        }
        let from_dir = QuerySet::Dir(dir.path().into()).files().unwrap();
        let embedded = QuerySet::Embedded(FILES).files().unwrap();
        let names = |qs: &[QueryFile]| qs.iter().map(|q| q.target.clone()).collect::<Vec<_>>();
        assert_eq!(names(&embedded), ["core.a", "core.b"]);
        assert_eq!(names(&from_dir), names(&embedded));
        for (d, e) in from_dir.iter().zip(&embedded) {
            assert_eq!(d.sql, e.sql);
        }
        assert!(
            embedded[1].sql.contains("latest_things AS ("),
            "{}",
            embedded[1].sql
        );
        assert_eq!(embedded[0].path, Path::new("queries/core/a.sql"));
    }
}
