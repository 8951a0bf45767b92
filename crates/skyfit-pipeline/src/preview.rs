//! Previews that read the smallest keys of the lake, not all of it (`skyfit query run --limit`).
//!
//! A query that declares `@chunk_by` promises what lets a load run in passes ([`crate::passes`]):
//! every version of a key shares that integer column. So the query over the bronze records with
//! `column < b` gives exactly the full result's rows for those keys: each key is still
//! deduplicated among all of its versions, and the lookup tables are read whole.
//!
//! The bound comes from the parts' footers: `b` is the `k`-th smallest of the row groups'
//! minimums, so at most `k - 1` row groups hold any record below it, each at least one, and
//! only their parts are read. The EVO entry key is a hash, so every part spans nearly the whole
//! key space and any bound taken from the values alone would open every part: the cost would
//! grow with the lake. Taken from the minimums, it follows the rows asked for. When too few rows
//! come back (keys without a version, records the query drops), `k` grows and the query runs
//! again.
//!
//! A query without `@chunk_by` (or whose column has no statistics) runs whole, and the preview
//! says why.

use datafusion::arrow::array::RecordBatch;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr, lit};
use skyfit_lake::LakeStore;
use skyfit_transform::{ColumnRanges, PartFile, QueryFile, SessionOptions, TransformSession};

use crate::bronze::{BronzePart, register, register_checked};
use crate::error::Result;
use crate::load::session_over;
use crate::target::Target;

/// Row groups first read per row wanted: room for keys the query drops (keyless records,
/// filters) and for versions of one key across runs.
const FIRST_FACTOR: usize = 4;
/// How much wider each further round reads.
const WIDEN: usize = 8;
const MAX_ROUNDS: u32 = 5;

/// The first rows of a query's full result, and how they were found.
pub struct Preview {
    pub batches: Vec<RecordBatch>,
    pub scope: PreviewScope,
    /// The session the rows came from, its primary table still bounded as they were read
    /// (`skyfit query explain --limit` explains the same plan).
    pub session: TransformSession,
}

impl Preview {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PreviewScope {
    /// The rows of the bronze records whose `column` is below `below`.
    Bounded {
        table: String,
        column: String,
        below: i64,
        /// Parts read (those with a record below the bound, and any without statistics).
        parts_read: usize,
        parts_total: usize,
        rounds: u32,
    },
    /// The whole query ran.
    Whole { reason: String },
}

/// The first `limit` rows of `q`'s result over the lake: rows of the full result, read from
/// the smallest keys of its primary table when the query allows it.
pub async fn preview(
    lake: &LakeStore,
    q: &QueryFile,
    options: &SessionOptions,
    limit: usize,
) -> Result<Preview> {
    // Analysed over empty tables: which tables the query reads, and its key. The primary
    // table's parts are scanned once and only the ones a bound admits are checked and read.
    let analysis = TransformSession::with_options(&LakeStore::in_memory(), options)?;
    let target = Target::analyse(&analysis, q.clone()).await?;
    let mut tables = vec![target.primary.clone()];
    tables.extend(target.secondary.iter().cloned());
    let Some(column) = target.chunk_by.clone() else {
        let (session, _) = session_over(lake, &tables, options, None).await?;
        let reason = format!(
            "{} declares no @chunk_by, so no key range bounds it",
            q.path.display()
        );
        return whole(session, q, limit, reason).await;
    };
    let (session, parts) = session_over(lake, &tables, options, Some(&target.primary)).await?;
    let files: Vec<PartFile> = parts.iter().map(BronzePart::file).collect();
    let stats = skyfit_transform::column_ranges(&lake.object_store(), &files, &column).await?;
    let table = format!("bronze.{}", target.primary.name());
    let mut want = limit.max(1).saturating_mul(FIRST_FACTOR);
    for round in 1..=MAX_ROUNDS {
        let Some(below) = bound_for(&stats, want) else {
            break;
        };
        // A part none of whose row groups starts below the bound holds no record under it;
        // a part without statistics may.
        let read: Vec<BronzePart> = parts
            .iter()
            .zip(&stats)
            .filter(|(_, s)| s.rows_unknown > 0 || s.ranges.iter().any(|r| r.min < below))
            .map(|(p, _)| p.clone())
            .collect();
        let keep = Expr::Column(Column::new_unqualified(&column)).lt(lit(below));
        register_checked(&session, &target.primary, &read, Some(keep)).await?;
        let batches = first_rows(&session, q, limit).await?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if rows >= limit {
            let scope = PreviewScope::Bounded {
                table,
                column,
                below,
                parts_read: read.len(),
                parts_total: parts.len(),
                rounds: round,
            };
            return Ok(Preview {
                batches,
                scope,
                session,
            });
        }
        want = want.saturating_mul(WIDEN);
    }
    register(&session, &target.primary, &parts).await?;
    let row_groups: usize = stats.iter().map(|s| s.ranges.len()).sum();
    let reason = if row_groups == 0 {
        format!("the footers of {table} hold no statistics of {column}")
    } else if row_groups <= limit.max(1).saturating_mul(FIRST_FACTOR) {
        format!("{table} has {row_groups} row groups, no more than a bounded preview would read")
    } else {
        format!("the smallest values of {column} gave fewer than {limit} rows")
    };
    whole(session, q, limit, reason).await
}

async fn first_rows(
    session: &TransformSession,
    q: &QueryFile,
    limit: usize,
) -> Result<Vec<RecordBatch>> {
    Ok(session
        .plan(q)
        .await?
        .limit(0, Some(limit))?
        .collect()
        .await?)
}

async fn whole(
    session: TransformSession,
    q: &QueryFile,
    limit: usize,
    reason: String,
) -> Result<Preview> {
    let batches = first_rows(&session, q, limit).await?;
    Ok(Preview {
        batches,
        scope: PreviewScope::Whole { reason },
        session,
    })
}

/// The `want + 1`-th smallest row-group minimum: below it lie records of at most `want` row
/// groups, and at least one of each. `None` when there are not more row groups than that, so
/// a bound would leave nothing out.
fn bound_for(parts: &[ColumnRanges], want: usize) -> Option<i64> {
    let mut mins: Vec<i64> = parts
        .iter()
        .flat_map(|p| p.ranges.iter().map(|r| r.min))
        .collect();
    if mins.len() <= want {
        return None;
    }
    let (_, nth, _) = mins.select_nth_unstable(want);
    Some(*nth)
}

#[cfg(test)]
mod tests {
    use skyfit_transform::ColumnRange;

    use super::*;

    fn part(mins: &[i64]) -> ColumnRanges {
        ColumnRanges {
            ranges: mins
                .iter()
                .map(|&min| ColumnRange {
                    min,
                    max: i64::MAX,
                    rows: 100,
                })
                .collect(),
            rows_unknown: 0,
        }
    }

    #[test]
    fn the_bound_admits_the_row_groups_with_the_smallest_minimums() {
        let parts = [part(&[5, 900]), part(&[1]), part(&[40]), part(&[7])];
        // Below 7: the row groups starting at 1 and 5.
        assert_eq!(bound_for(&parts, 2), Some(7));
        assert_eq!(bound_for(&parts, 4), Some(900));
    }

    #[test]
    fn asking_for_every_row_group_gives_no_bound() {
        let parts = [part(&[1, 2]), part(&[3])];
        assert_eq!(bound_for(&parts, 3), None);
        assert_eq!(bound_for(&[], 1), None);
    }

    #[test]
    fn equal_minimums_are_all_left_out_of_a_bound_at_their_value() {
        let parts = [part(&[3]), part(&[3]), part(&[3]), part(&[1])];
        // The second smallest minimum is 3: only the row group starting at 1 lies below it.
        assert_eq!(bound_for(&parts, 1), Some(3));
    }
}
