//! The hardware limit: PostgreSQL's own server-side `COPY … FROM 'file' (FORMAT binary)` of
//! the final rows into index-less copies of the targets, then the targets' indexes and keys.
//!
//! The files are written by the project's encoder ([`CopyEncoder`]) from the same queries the
//! loader runs, so both sides store identical rows; only the route differs (a file the server
//! reads itself, no client, no DataFusion). The copies keep the targets' partitioning, because
//! routing rows to partitions is part of what the server must do either way.
//!
//! Constraint: the server must be able to read the files (same machine, a world-readable
//! path) and the role needs `pg_read_server_files` (or superuser).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::BytesMut;
use futures::StreamExt;
use skyfit_load::sql::quote_ident;
use skyfit_load::{CopyEncoder, PgColumn, PgType};
use skyfit_transform::{QueryFile, TransformSession};
use tokio_postgres::Client;

use crate::error::{Error, Result};

/// Schema holding the index-less copies.
pub const LIMIT_SCHEMA: &str = "bench_limit";

/// One target's rows as a binary COPY file.
#[derive(Debug, Clone)]
pub struct LimitFile {
    pub target: String,
    pub path: PathBuf,
    pub columns: Vec<String>,
    pub rows: u64,
    pub bytes: u64,
}

/// What the server took for each step.
#[derive(Debug, Clone, Default)]
pub struct LimitReport {
    /// (target, seconds, rows) of each `COPY FROM 'file'`.
    pub copies: Vec<(String, f64, u64)>,
    /// (target, seconds) to build all of its indexes and keys.
    pub indexes: Vec<(String, f64)>,
    pub seconds: f64,
}

/// The target's columns with the loader's own type mapping, so the limit is measured on
/// exactly the rows and types the load writes.
async fn target_columns(client: &Client, target: &str) -> Result<Vec<(String, PgType, DataType)>> {
    Ok(skyfit_pipeline::target::columns(client, target)
        .await?
        .into_iter()
        .map(|c| (c.name, c.pg_type, c.arrow))
        .collect())
}

/// Runs `q` over the whole lake and writes its rows, cast to the target's types, to
/// `dir/<target>.bin`, world-readable so the server process can open it.
pub async fn write_file(
    session: &TransformSession,
    client: &Client,
    q: &QueryFile,
    dir: &Path,
) -> Result<LimitFile> {
    let targets = target_columns(client, &q.target).await?;
    let df = session.plan(q).await?;
    let input = df.schema().as_arrow().clone();
    let cols: Vec<_> = targets
        .into_iter()
        .filter(|(n, _, _)| input.field_with_name(n).is_ok())
        .collect();
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|(n, _, a)| Field::new(n, a.clone(), true))
            .collect::<Vec<_>>(),
    ));
    let pg_cols: Vec<PgColumn> = cols.iter().map(|(n, p, _)| PgColumn::new(n, *p)).collect();
    let encoder = CopyEncoder::try_new(&schema, &pg_cols)?;
    let path = dir.join(format!("{}.bin", q.target));
    let file = std::fs::File::create(&path).map_err(Error::io(path.display()))?;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut out = BytesMut::new();
    encoder.write_header(&mut out);
    let mut rows = 0u64;
    let mut bytes = 0u64;
    let mut stream = df.execute_stream().await?;
    let safe = CastOptions {
        safe: true,
        ..Default::default()
    };
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let arrays = cols
            .iter()
            .map(|(n, _, a)| {
                let c = batch
                    .column_by_name(n)
                    .ok_or_else(|| Error::Setup(format!("column {n} vanished")))?;
                cast_with_options(c, a, &safe).map_err(|e| Error::Setup(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let typed = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| Error::Setup(e.to_string()))?;
        encoder.encode_batch(&typed, &mut out)?;
        rows += typed.num_rows() as u64;
        bytes += out.len() as u64;
        file.write_all(&out).map_err(Error::io(path.display()))?;
        out.clear();
    }
    encoder.write_trailer(&mut out);
    bytes += out.len() as u64;
    file.write_all(&out)
        .and_then(|()| file.flush())
        .map_err(Error::io(path.display()))?;
    world_readable(&path, 0o644)?;
    Ok(LimitFile {
        target: q.target.clone(),
        path,
        columns: cols.into_iter().map(|(n, _, _)| n).collect(),
        rows,
        bytes,
    })
}

/// Sets Unix permissions so the `postgres` user can read (files) or traverse (directories).
pub fn world_readable(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(Error::io(path.display()))
}

fn limit_table(target: &str) -> String {
    let table = target.rsplit('.').next().unwrap_or(target);
    format!("{}.{}", quote_ident(LIMIT_SCHEMA), quote_ident(table))
}

/// Creates the index-less, identically partitioned copies of the files' targets.
pub async fn create_tables(client: &Client, files: &[LimitFile]) -> Result<()> {
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {s} CASCADE; CREATE SCHEMA {s}",
            s = quote_ident(LIMIT_SCHEMA)
        ))
        .await
        .map_err(Error::pg("creating the limit schema"))?;
    for f in files {
        let t = limit_table(&f.target);
        let key: Option<String> = client
            .query_one("SELECT pg_get_partkeydef($1::text::regclass)", &[&f.target])
            .await
            .map_err(Error::pg("reading the partition key"))?
            .get(0);
        let partition = key
            .map(|k| format!(" PARTITION BY {k}"))
            .unwrap_or_default();
        client
            .batch_execute(&format!(
                "CREATE TABLE {t} (LIKE {} INCLUDING DEFAULTS){partition}",
                f.target
            ))
            .await
            .map_err(Error::pg(format!("creating {t}")))?;
        let parts = client
            .query(
                "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::text::regclass",
                &[&f.target],
            )
            .await
            .map_err(Error::pg("reading partitions"))?;
        for p in parts {
            let (name, bound): (String, String) = (p.get(0), p.get(1));
            client
                .batch_execute(&format!(
                    "CREATE TABLE {}.{} PARTITION OF {t} {bound}",
                    quote_ident(LIMIT_SCHEMA),
                    quote_ident(&name)
                ))
                .await
                .map_err(Error::pg(format!("creating partition {name}")))?;
        }
    }
    Ok(())
}

/// Statements that give the copy of `target` the target's keys and indexes.
async fn index_statements(client: &Client, target: &str) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT i.relname::text, pg_get_indexdef(x.indexrelid), pg_get_constraintdef(c.oid)
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
             WHERE x.indrelid = $1::text::regclass ORDER BY x.indisprimary DESC, i.relname",
            &[&target],
        )
        .await
        .map_err(Error::pg(format!("reading the indexes of {target}")))?;
    let t = limit_table(target);
    let mut out = Vec::new();
    for r in rows {
        let (name, def, constraint): (String, String, Option<String>) =
            (r.get(0), r.get(1), r.get(2));
        let lim = quote_ident(&format!("{name}_lim"));
        if let Some(c) = constraint {
            out.push(format!("ALTER TABLE {t} ADD CONSTRAINT {lim} {c}"));
            continue;
        }
        let unique = if def.starts_with("CREATE UNIQUE") {
            "UNIQUE "
        } else {
            ""
        };
        let rest = def
            .split_once(" USING ")
            .map(|(_, r)| r)
            .ok_or_else(|| Error::Setup(format!("cannot read index {name}: {def}")))?;
        out.push(format!("CREATE {unique}INDEX {lim} ON {t} USING {rest}"));
    }
    Ok(out)
}

/// Times the server-side COPY of every file, then the index builds.
pub async fn measure(client: &Client, files: &[LimitFile]) -> Result<LimitReport> {
    let mut report = LimitReport::default();
    let started = Instant::now();
    for f in files {
        let t0 = Instant::now();
        let cols: Vec<String> = f.columns.iter().map(|c| quote_ident(c)).collect();
        let path = f.path.display().to_string().replace('\'', "''");
        let rows = client
            .execute(
                &format!(
                    "COPY {} ({}) FROM '{path}' WITH (FORMAT binary)",
                    limit_table(&f.target),
                    cols.join(", ")
                ),
                &[],
            )
            .await
            .map_err(Error::pg(format!(
                "server-side COPY of {} (the role needs pg_read_server_files, and the server must see the file)",
                f.path.display()
            )))?;
        report
            .copies
            .push((f.target.clone(), t0.elapsed().as_secs_f64(), rows));
    }
    for f in files {
        let t0 = Instant::now();
        for s in index_statements(client, &f.target).await? {
            client
                .batch_execute(&s)
                .await
                .map_err(Error::pg(s.clone()))?;
        }
        report
            .indexes
            .push((f.target.clone(), t0.elapsed().as_secs_f64()));
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
