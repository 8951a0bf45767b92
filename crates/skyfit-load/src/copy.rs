//! Streaming record batches into a table with `COPY … FROM STDIN (FORMAT binary)`.
//!
//! Each batch (split into chunks of at most [`CopyOptions::with_max_chunk_rows`]
//! rows) is encoded into its own buffer and sent as one message; the driver's
//! sink holds at most one message in flight, so memory stays bounded by about
//! two chunks whatever the number of batches. A failed stream or encoder error
//! drops the sink without finishing it, which aborts the COPY on the server.
//!
//! Constraint: if the server refuses the COPY statement itself (e.g. no INSERT
//! privilege), the driver's connection is left unusable; discard the client on
//! any [`Error::Postgres`] from this module. Missing tables and columns are
//! caught by a prepared `SELECT … LIMIT 0` before the COPY and do not do this.

use arrow::record_batch::RecordBatch;
use bytes::{Bytes, BytesMut};
use futures::{SinkExt, Stream, StreamExt, pin_mut};
use tokio_postgres::Client;

use crate::sql::{TableName, check_columns_statement, copy_in_statement};
use crate::{BoxError, CopyEncoder, EncodeReport, Error, Result};

/// Knobs for [`copy_in_with`].
#[derive(Debug, Clone)]
pub struct CopyOptions {
    max_chunk_rows: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            max_chunk_rows: 65_536,
        }
    }
}

impl CopyOptions {
    /// Largest number of rows encoded into one message (default 65,536).
    pub fn with_max_chunk_rows(mut self, rows: usize) -> Self {
        self.max_chunk_rows = rows.max(1);
        self
    }
}

/// What a COPY did.
#[derive(Debug, Clone, Default)]
pub struct CopyOutcome {
    /// Rows the server reports written.
    pub rows: u64,
    /// Everything the encoder altered; row numbers count from the stream's start.
    pub report: EncodeReport,
}

/// Copies every batch of `batches` into `table` (columns from `encoder`) and
/// returns the number of rows written and the encode report.
pub async fn copy_in<S, E>(
    client: &Client,
    table: &TableName,
    encoder: &CopyEncoder,
    batches: S,
) -> Result<CopyOutcome>
where
    S: Stream<Item = Result<RecordBatch, E>>,
    E: Into<BoxError>,
{
    copy_in_with(
        client,
        table,
        encoder,
        batches,
        &CopyOptions::default(),
        |_, _| Ok(()),
    )
    .await
}

/// [`copy_in`] with options and an inspector called after each chunk is encoded
/// with the chunk and its report (rows relative to the chunk). The inspector may
/// log or quarantine altered rows, or return `Err(reason)` to abort the COPY
/// (e.g. when a bad-value threshold is exceeded).
pub async fn copy_in_with<S, E, F>(
    client: &Client,
    table: &TableName,
    encoder: &CopyEncoder,
    batches: S,
    options: &CopyOptions,
    mut inspect: F,
) -> Result<CopyOutcome>
where
    S: Stream<Item = Result<RecordBatch, E>>,
    E: Into<BoxError>,
    F: FnMut(&RecordBatch, &EncodeReport) -> std::result::Result<(), String>,
{
    // Row numbers of the report count from the stream's start.
    let numbered = batches.scan(0u64, |next_row, b| {
        futures::future::ready(Some(b.map(|b| number(next_row, b))))
    });
    let (rows, report) =
        copy_stream(client, table, encoder, numbered, options, &mut inspect).await?;
    finished(table, rows, report)
}

/// [`copy_in`] over several connections at once: each connection runs its own COPY into
/// `table` and takes the stream's next batch whenever it has sent its last, so the server
/// parses (JSONB, above all) on as many backends as there are `clients`. The COPYs commit
/// one by one: a caller that needs all or nothing copies into a table it discards on error
/// (a full refresh's shadow). Any error aborts the COPYs not yet finished.
pub async fn copy_in_parallel<S, E>(
    clients: &[&Client],
    table: &TableName,
    encoder: &CopyEncoder,
    batches: S,
) -> Result<CopyOutcome>
where
    S: Stream<Item = Result<RecordBatch, E>>,
    E: Into<BoxError>,
{
    // One source for all connections; the lock is held while the next batch is computed,
    // which is where the batches come from one at a time anyway.
    // After a failure every connection gets an error, never the end of the stream, which
    // would let it commit its part.
    let source = futures::lock::Mutex::new((Box::pin(batches), 0u64, false));
    let options = CopyOptions::default();
    let workers = clients.iter().map(|client| {
        let source = &source;
        let options = &options;
        async move {
            let numbered = futures::stream::unfold((), move |()| async move {
                let mut guard = source.lock().await;
                let (stream, next_row, failed) = &mut *guard;
                if *failed {
                    let e: BoxError = "the batch stream failed on another connection".into();
                    return Some((Err(e), ()));
                }
                let item = match stream.as_mut().next().await? {
                    Ok(b) => Ok(number(next_row, b)),
                    Err(e) => {
                        *failed = true;
                        Err(e.into())
                    }
                };
                Some((item, ()))
            });
            let mut inspect = |_: &RecordBatch, _: &EncodeReport| Ok(());
            copy_stream(client, table, encoder, numbered, options, &mut inspect).await
        }
    });
    let done = futures::future::try_join_all(workers).await?;
    let mut rows = 0;
    let mut report = EncodeReport::default();
    for (r, part) in done {
        rows += r;
        // Row numbers are already the stream's.
        report.absorb(&part, 0);
    }
    report.issues.sort_by_key(|i| i.row);
    finished(table, rows, report)
}

/// The batch with the stream row number of its first row; advances `next_row` past it.
fn number(next_row: &mut u64, batch: RecordBatch) -> (u64, RecordBatch) {
    let first = *next_row;
    *next_row += batch.num_rows() as u64;
    (first, batch)
}

fn finished(table: &TableName, rows: u64, report: EncodeReport) -> Result<CopyOutcome> {
    let altered = report.issues.len();
    if altered > 0 {
        tracing::warn!(table = %table, rows, altered, "COPY altered values to make them storable.");
    }
    tracing::debug!(table = %table, rows, bytes = report.bytes, "COPY finished.");
    Ok(CopyOutcome { rows, report })
}

/// One COPY of `(first row number, batch)` items. Returns the rows the server wrote and the
/// chunks' reports, absorbed at their row numbers.
async fn copy_stream<S, E, F>(
    client: &Client,
    table: &TableName,
    encoder: &CopyEncoder,
    batches: S,
    options: &CopyOptions,
    inspect: &mut F,
) -> Result<(u64, EncodeReport)>
where
    S: Stream<Item = Result<(u64, RecordBatch), E>>,
    E: Into<BoxError>,
    F: FnMut(&RecordBatch, &EncodeReport) -> std::result::Result<(), String>,
{
    let columns = || encoder.columns().map(|c| c.name.as_str());
    // tokio-postgres 0.7 leaves the connection unusable when COPY fails before
    // entering copy mode (a second ReadyForQuery arrives; rust-postgres PR #1337),
    // so the usual causes (missing table or column) are caught by a prepare first.
    client
        .prepare(&check_columns_statement(table, columns()))
        .await
        .map_err(Error::pg(table, "check columns"))?;
    let statement = copy_in_statement(table, columns());
    let sink = client
        .copy_in::<_, Bytes>(&statement)
        .await
        .map_err(Error::pg(table, "COPY"))?;
    pin_mut!(sink);
    pin_mut!(batches);

    let mut out = BytesMut::new();
    let mut report = EncodeReport::default();
    encoder.write_header(&mut out);
    while let Some(item) = batches.next().await {
        let (first_row, batch) = item.map_err(|e| Error::Source {
            table: table.to_string(),
            source: e.into(),
        })?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = options.max_chunk_rows.min(batch.num_rows() - offset);
            let chunk = batch.slice(offset, len);
            let chunk_report = encoder.encode_batch(&chunk, &mut out)?;
            inspect(&chunk, &chunk_report).map_err(|reason| Error::Stopped {
                table: table.to_string(),
                reason,
            })?;
            report.absorb(&chunk_report, first_row + offset as u64);
            offset += len;
            sink.send(out.split().freeze())
                .await
                .map_err(Error::pg(table, "COPY"))?;
        }
    }
    encoder.write_trailer(&mut out);
    sink.send(out.split().freeze())
        .await
        .map_err(Error::pg(table, "COPY"))?;
    let rows = sink
        .as_mut()
        .finish()
        .await
        .map_err(Error::pg(table, "COPY"))?;
    Ok((rows, report))
}
