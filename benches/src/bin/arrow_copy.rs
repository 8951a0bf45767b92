//! `arrow_copy`: the Arrow → PostgreSQL load stage alone, for comparison with Apache Arrow's
//! ADBC PostgreSQL driver (`benches/adbc/ingest.py`, run beside it by `benches/adbc/compare.sh`).
//!
//! ```text
//! arrow_copy --parquet FILE_OR_DIR --table NAME [--database-url URL] [--repeat N] [--batch-rows N]
//! ```
//!
//! The Parquet file (or a directory of `*.parquet` parts, as DataFusion writes them) is read
//! fully into Arrow record batches of `--batch-rows` rows (default 8,192, DataFusion's batch
//! size, so the encoder sees what the loader streams to it) before anything is timed. Each
//! repeat then times what the loader does with batches it already has: connect, `BEGIN`,
//! `DROP TABLE IF EXISTS` + `CREATE TABLE` (each Arrow type mapped by [`PgType::for_arrow`],
//! the loader's mapping), binary COPY through [`CopyEncoder`] and [`copy_in`], `COMMIT`. Query
//! planning, the lake read and the loader's cast to the target's types are not in it; the ADBC
//! script times the same steps (connect, `adbc_ingest(mode="replace")`, commit) on the same
//! batches. An untimed `CHECKPOINT` before each repeat keeps one run's WAL write-back out of
//! the next (skipped if the role may not).
//!
//! One line per repeat (rows, seconds, rows/s, MB/s of Arrow buffer bytes), then the median.
//! The database URL defaults to `SKYFIT_TEST_DATABASE_URL`, then `DATABASE_URL`; TLS is off
//! unless the URL asks for it with `sslmode=`.

use std::convert::Infallible;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use skyfit_benches::{Error, Result};
use skyfit_core::config::SslMode;
use skyfit_load::sql::{TableName, quote_ident};
use skyfit_load::{CopyEncoder, copy_in};
use skyfit_warehouse::Database;
use tokio_postgres::Client;

const USAGE: &str = "usage: arrow_copy --parquet FILE_OR_DIR --table NAME \
                     [--database-url URL] [--repeat N] [--batch-rows N]";

struct Args {
    parquet: PathBuf,
    table: String,
    url: String,
    repeat: usize,
    batch_rows: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error's message already ends with its cause's.
            eprintln!("arrow_copy: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut it: impl Iterator<Item = String>) -> std::result::Result<Args, String> {
    let (mut parquet, mut table, mut url) = (None, None, None);
    let (mut repeat, mut batch_rows) = (3, 8192);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag}: `{v}` is not a positive number"))
        };
        match flag.as_str() {
            "--parquet" => parquet = Some(PathBuf::from(value()?)),
            "--table" => table = Some(value()?),
            "--database-url" => url = Some(value()?),
            "--repeat" => repeat = number(value()?)?,
            "--batch-rows" => batch_rows = number(value()?)?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let url = url
        .or_else(|| std::env::var("SKYFIT_TEST_DATABASE_URL").ok())
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .ok_or("no --database-url, SKYFIT_TEST_DATABASE_URL or DATABASE_URL")?;
    Ok(Args {
        parquet: parquet.ok_or("--parquet is required")?,
        table: table.ok_or("--table is required")?,
        url,
        repeat,
        batch_rows,
    })
}

async fn run(args: &Args) -> Result<()> {
    let batches = read_parquet(&args.parquet, args.batch_rows)?;
    let first = batches
        .first()
        .ok_or_else(|| Error::Setup(format!("{}: no rows", args.parquet.display())))?;
    let encoder = CopyEncoder::try_from_schema(&first.schema())?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let bytes = arrow_bytes(&batches)?;
    let table = match args.table.split_once('.') {
        Some((schema, name)) => TableName::new(schema, name),
        None => TableName::unqualified(&args.table),
    };
    let columns = encoder
        .columns()
        .map(|c| format!("{} {}", quote_ident(&c.name), c.pg_type.sql_name()))
        .collect::<Vec<_>>()
        .join(", ");
    let ddl = format!("DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({columns})");
    let db = Database::from_url(&args.url, sslmode_of(&args.url)?)?;
    println!(
        "ours (skyfit-load binary COPY): {rows} rows, {} batches, {:.1} MB Arrow, table {table} ({columns})",
        batches.len(),
        mb(bytes)
    );

    let mut seconds = Vec::with_capacity(args.repeat);
    for i in 1..=args.repeat {
        if let Ok(c) = db.connect().await {
            let _ = c.batch_execute("CHECKPOINT").await;
        }
        let started = Instant::now();
        let client = db.connect().await?;
        pg(&client, "BEGIN").await?;
        pg(&client, &ddl).await?;
        let stream = futures::stream::iter(batches.iter().cloned().map(Ok::<_, Infallible>));
        let outcome = copy_in(&client, &table, &encoder, stream).await?;
        pg(&client, "COMMIT").await?;
        let s = started.elapsed().as_secs_f64();
        if outcome.rows != rows as u64 {
            return Err(Error::Setup(format!(
                "COPY wrote {} rows, expected {rows}",
                outcome.rows
            )));
        }
        println!("{}", line(&format!("run {i}"), rows, s, bytes));
        seconds.push(s);
    }
    // The lower median for an even count, as `statistics.median_low` in ingest.py.
    seconds.sort_by(f64::total_cmp);
    println!(
        "{}",
        line("median", rows, seconds[(seconds.len() - 1) / 2], bytes)
    );
    Ok(())
}

async fn pg(client: &Client, sql: &str) -> Result<()> {
    client
        .batch_execute(sql)
        .await
        .map_err(|source| Error::Postgres {
            step: sql.chars().take(60).collect(),
            source,
        })
}

/// All batches of a Parquet file, or of the `*.parquet` files of a directory (name order).
fn read_parquet(path: &Path, batch_rows: usize) -> Result<Vec<RecordBatch>> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| Error::Io { path, source }
    };
    let files = if path.is_dir() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(io(path))? {
            let p = entry.map_err(io(path))?.path();
            if p.extension().is_some_and(|e| e == "parquet") {
                files.push(p);
            }
        }
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut batches = Vec::new();
    for f in &files {
        let parquet = |e: &dyn std::fmt::Display| Error::Setup(format!("{}: {e}", f.display()));
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(f).map_err(io(f))?)
            .map_err(|e| parquet(&e))?
            .with_batch_size(batch_rows)
            .build()
            .map_err(|e| parquet(&e))?;
        for b in reader {
            batches.push(b.map_err(|e| parquet(&e))?);
        }
    }
    batches.retain(|b| b.num_rows() > 0);
    Ok(batches)
}

/// Bytes of the Arrow buffers the batches use (as pyarrow's `Table.nbytes` counts them).
fn arrow_bytes(batches: &[RecordBatch]) -> Result<usize> {
    let mut total = 0;
    for b in batches {
        for c in b.columns() {
            total += c
                .to_data()
                .get_slice_memory_size()
                .map_err(|e| Error::Setup(format!("measuring batches: {e}")))?;
        }
    }
    Ok(total)
}

/// `sslmode=` of the URL if it has one, else no TLS (a local benchmark).
fn sslmode_of(url: &str) -> Result<SslMode> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    match query.split('&').find_map(|kv| kv.strip_prefix("sslmode=")) {
        Some(mode) => mode.parse().map_err(Error::Setup),
        None => Ok(SslMode::Disable),
    }
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn line(label: &str, rows: usize, s: f64, bytes: usize) -> String {
    format!(
        "{label}: rows {rows} seconds {s:.3} rows/s {:.0} MB/s {:.1}",
        rows as f64 / s,
        mb(bytes) / s
    )
}
