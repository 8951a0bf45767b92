//! Previews that read the smallest keys of the lake, not all of it (`skyfit query run --limit`).
//!
//! A query that declares `@chunk_by` promises what lets a load run in passes ([`crate::passes`]):
//! every version of a key shares that integer column. So the query over the bronze records with
//! `column < b` gives exactly the full result's rows for those keys: each key is still
//! deduplicated among all of its versions, and the lookup tables are read whole. A preview
//! picks the smallest `b` whose records, estimated from the parts' footers, should give the
//! rows asked for, runs the query with that filter pushed into the scan (the clustered parts
//! let it skip every other page), and widens the range while too few rows come back. Its cost
//! follows the rows asked for, not the size of the lake.
//!
//! A query without `@chunk_by` (or whose column has no statistics) runs whole, and the preview
//! says why.

use datafusion::arrow::array::RecordBatch;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr, lit};
use skyfit_lake::LakeStore;
use skyfit_transform::{ColumnRange, PartFile, QueryFile, SessionOptions, TransformSession};

use crate::bronze::{BronzePart, register_filtered, scan_parts};
use crate::error::Result;
use crate::target::Target;

/// Rows first asked of the smallest keys, per row wanted: room for keys the query drops
/// (keyless records, filters) and for versions of one key across runs.
const FIRST_FACTOR: u64 = 4;
/// How much wider each further round reads.
const WIDEN: u64 = 8;
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
        /// Records under the bound, estimated from the footers.
        records_estimated: u64,
        /// Records of the table.
        records_total: u64,
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
    let session = crate::load::session_for(lake, std::slice::from_ref(q), options).await?;
    let target = Target::analyse(&session, q.clone()).await?;
    let Some(column) = target.chunk_by.clone() else {
        let reason = format!(
            "{} declares no @chunk_by, so no key range bounds it",
            q.path.display()
        );
        return whole(session, q, limit, reason).await;
    };
    let (parts, _) = scan_parts(lake, target.primary.source, &target.primary.entity).await?;
    let files: Vec<PartFile> = parts.iter().map(BronzePart::file).collect();
    let stats = skyfit_transform::column_ranges(&lake.object_store(), &files, &column).await?;
    let total: u64 = parts.iter().map(|p| p.records).sum();
    let table = format!("bronze.{}", target.primary.name());
    let mut want = (limit.max(1) as u64).saturating_mul(FIRST_FACTOR);
    for round in 1..=MAX_ROUNDS {
        let Some((below, estimated)) = bound_for(&stats.ranges, want) else {
            break;
        };
        let keep = Expr::Column(Column::new_unqualified(&column)).lt(lit(below));
        register_filtered(&session, &target.primary, &parts, Some(keep)).await?;
        let batches = session
            .plan(q)
            .await?
            .limit(0, Some(limit))?
            .collect()
            .await?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if rows >= limit {
            let scope = PreviewScope::Bounded {
                table,
                column,
                below,
                records_estimated: estimated + stats.rows_unknown,
                records_total: total,
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
    register_filtered(&session, &target.primary, &parts, None).await?;
    let reason = if stats.ranges.is_empty() {
        format!("the footers of {table} hold no statistics of {column}")
    } else {
        format!("the smallest values of {column} gave fewer than {limit} rows")
    };
    whole(session, q, limit, reason).await
}

async fn whole(
    session: TransformSession,
    q: &QueryFile,
    limit: usize,
    reason: String,
) -> Result<Preview> {
    let batches = session
        .plan(q)
        .await?
        .limit(0, Some(limit))?
        .collect()
        .await?;
    Ok(Preview {
        batches,
        scope: PreviewScope::Whole { reason },
        session,
    })
}

/// The smallest bound `b` under which the row groups should hold at least `want` rows (each
/// row group taken as spread evenly over its range), with that estimate; `None` when `want`
/// reaches every row, so no bound would leave anything out.
fn bound_for(ranges: &[ColumnRange], want: u64) -> Option<(i64, u64)> {
    let total: u64 = ranges.iter().map(|r| r.rows).sum();
    if want >= total {
        return None;
    }
    let below = |b: i128| -> u64 {
        ranges
            .iter()
            .map(|r| {
                let (min, max) = (i128::from(r.min), i128::from(r.max));
                if b <= min {
                    0
                } else if b > max {
                    r.rows
                } else {
                    (u128::from(r.rows) * (b - min) as u128 / (max - min + 1) as u128) as u64
                }
            })
            .sum()
    };
    let mut lo = ranges.iter().map(|r| i128::from(r.min)).min()? + 1;
    let mut hi = ranges.iter().map(|r| i128::from(r.max)).max()? + 1;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if below(mid) >= want {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    // Past i64::MAX the bound would keep every row anyway.
    let b = i64::try_from(lo).ok()?;
    Some((b, below(lo)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(min: i64, max: i64, rows: u64) -> ColumnRange {
        ColumnRange { min, max, rows }
    }

    #[test]
    fn the_bound_takes_the_smallest_values_across_parts() {
        // Two parts over the same values (two runs), 1000 rows each over 0..=999.
        let ranges = [r(0, 999, 1000), r(0, 999, 1000)];
        let (b, est) = bound_for(&ranges, 20).unwrap();
        assert_eq!(b, 10);
        assert_eq!(est, 20);
    }

    #[test]
    fn a_part_above_the_bound_is_left_out() {
        let ranges = [r(0, 99, 100), r(1000, 1999, 1000)];
        assert_eq!(bound_for(&ranges, 50), Some((50, 50)));
        // More than the first part holds: into the second.
        assert_eq!(bound_for(&ranges, 150), Some((1050, 150)));
    }

    #[test]
    fn asking_for_every_row_gives_no_bound() {
        let ranges = [r(0, 9, 10)];
        assert_eq!(bound_for(&ranges, 10), None);
        assert_eq!(bound_for(&[], 1), None);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let ranges = [r(i64::MIN, i64::MAX, 1000)];
        let (b, est) = bound_for(&ranges, 10).unwrap();
        assert!(est >= 10 && est < 20, "{est}");
        assert!(b < 0);
        let top = [r(i64::MAX - 1, i64::MAX, 10), r(0, 0, 5)];
        assert_eq!(bound_for(&top, 5), Some((1, 5)));
    }
}
