//! Large loads in passes over ranges of the query's `@chunk_by` column.
//!
//! The dedup's hash tables hold every key of what they read, so a load of more than
//! `chunk_records` runs as `n` passes, each over the bronze rows whose chunk column falls in one
//! range. Every version of a key shares that column, so each key is deduplicated within one
//! pass and the passes' rows together are exactly the single pass's.
//!
//! Ranges rather than `column % n`: bronze parts of a clustered entity are written ordered by
//! the column in small data pages ([`skyfit_lake::CLUSTER_PAGE_ROWS`]), so the range filter,
//! pushed into the Parquet scan, skips the pages outside the range from the page index
//! instead of decoding them. A modulo filter matched rows in every page, and each pass decoded
//! every part's `_raw`: the 10M load read the lake nine times.
//!
//! The ranges split the rows evenly, not the value space: their bounds come from a histogram
//! of the column (EVO's `_entry_id` is not uniform: values below 1.5·10¹⁷ are twice as likely).

use datafusion::common::Column;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, lit};
use skyfit_transform::TransformSession;
use tracing::{debug, warn};

use crate::bronze::{BronzePart, register_filtered};
use crate::error::Result;
use crate::options::LoadOptions;
use crate::target::Target;

/// Histogram bins between the column's min and max: pass sizes come out even to within the
/// rows of one bin (1/4096 of the value range).
const BINS: u32 = 4096;

/// The query as one DataFrame per pass (just `df` when the load is small or the query declares
/// no `@chunk_by`). Leaves the primary table registered with the last pass's filter.
pub(crate) async fn passes(
    session: &TransformSession,
    t: &Target,
    pending: &[BronzePart],
    df: DataFrame,
    records: u64,
    opts: &LoadOptions,
) -> Result<Vec<DataFrame>> {
    let n = records.div_ceil(opts.chunk_records.max(1));
    let Some(column) = t.chunk_by.as_deref().filter(|_| n > 1) else {
        return Ok(vec![df]);
    };
    let bounds = range_bounds(session, &t.primary.name(), column, n).await?;
    if bounds.is_empty() {
        return Ok(vec![df]);
    }
    debug!(target = %t.name(), column, ?bounds, "Pass bounds from the column's histogram.");
    let mut out = Vec::with_capacity(bounds.len() + 1);
    for keep in range_filters(column, &bounds) {
        register_filtered(session, &t.primary, pending, Some(keep)).await?;
        out.push(crate::lift::lift(session.plan(&t.query).await?)?.df);
    }
    Ok(out)
}

/// One filter per pass for `bounds` b₁ < … < bₘ: `c < b₁ OR c IS NULL`, `b₁ <= c < b₂`, …,
/// `c >= bₘ`. Together they take every row exactly once, NULLs in the first pass.
fn range_filters(column: &str, bounds: &[i64]) -> Vec<Expr> {
    let c = || Expr::Column(Column::new_unqualified(column));
    (0..=bounds.len())
        .map(|k| {
            let low = k.checked_sub(1).map(|i| c().gt_eq(lit(bounds[i])));
            let high = bounds.get(k).map(|&b| c().lt(lit(b)));
            match (low, high) {
                (None, Some(high)) => high.or(c().is_null()),
                (Some(low), Some(high)) => low.and(high),
                (Some(low), None) => low,
                // `bounds` is never empty here.
                (None, None) => lit(true),
            }
        })
        .collect()
}

/// Up to `n - 1` increasing bounds that split the non-NULL values of `column` in
/// `bronze.{table}` into `n` ranges of about equal row counts (fewer when the values are too
/// few or too alike to split). Two scans of the one column: min/max, then a histogram of
/// [`BINS`] equal-width bins (computed in floating point: a bin only estimates counts, the
/// bounds themselves are exact integers, so a value near a bin edge is never lost).
async fn range_bounds(
    session: &TransformSession,
    table: &str,
    column: &str,
    n: u64,
) -> Result<Vec<i64>> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{DataType, Int64Type};
    use datafusion::functions::math::expr_fn::floor;
    use datafusion::functions_aggregate::expr_fn::{count, max, min};
    use datafusion::logical_expr::cast;

    let c = || Expr::Column(Column::new_unqualified(column));
    let bronze = session
        .context()
        .table(datafusion::common::TableReference::partial("bronze", table))
        .await?;
    let extent = bronze
        .clone()
        .aggregate(vec![], vec![min(c()), max(c())])?
        .collect()
        .await?;
    if let Some(b) = extent.first()
        && b.column(0).data_type() != &DataType::Int64
    {
        warn!(table, column, data_type = %b.column(0).data_type(),
              "The @chunk_by column is not Int64: the load runs in one pass, its memory unbounded.");
        return Ok(Vec::new());
    }
    let value = |i: usize| {
        let b = extent.first().filter(|b| b.num_rows() > 0)?;
        let a = b.column(i).as_primitive_opt::<Int64Type>()?;
        a.is_valid(0).then(|| a.value(0))
    };
    let (Some(lo), Some(hi)) = (value(0), value(1)) else {
        return Ok(Vec::new());
    };
    if lo == hi {
        return Ok(Vec::new());
    }
    let span = hi as f64 - lo as f64;
    let bin = cast(
        floor((cast(c(), DataType::Float64) - lit(lo as f64)) * lit(f64::from(BINS)) / lit(span)),
        DataType::Int64,
    );
    let histogram = bronze
        .filter(c().is_not_null())?
        .aggregate(vec![bin.alias("bin")], vec![count(lit(1)).alias("rows")])?
        .collect()
        .await?;
    let mut counts = vec![0u64; BINS as usize + 1];
    for b in &histogram {
        let (Some(bins), Some(rows)) = (
            b.column(0).as_primitive_opt::<Int64Type>(),
            b.column(1).as_primitive_opt::<Int64Type>(),
        ) else {
            continue;
        };
        for (bin, rows) in bins.iter().zip(rows.values()) {
            let bin = bin.unwrap_or(0).clamp(0, i64::from(BINS)) as usize;
            counts[bin] += (*rows).max(0) as u64;
        }
    }
    Ok(split_points(lo, hi, &counts, n))
}

/// Bounds splitting a histogram of `counts.len() - 1` equal bins over `min..=max` (the last
/// slot holds the values equal to `max`) into `n` parts of about equal counts. A bound is the
/// start of the bin after the one where a part's share is reached; bounds are strictly
/// increasing and within `min + 1 ..= max`.
fn split_points(min: i64, max: i64, counts: &[u64], n: u64) -> Vec<i64> {
    let bins = counts.len().saturating_sub(1).max(1) as i128;
    let total: u64 = counts.iter().sum();
    if n < 2 || total == 0 || max <= min {
        return Vec::new();
    }
    let span = max as i128 - min as i128;
    let start_of = |bin: usize| (min as i128 + span * bin as i128 / bins) as i64;
    let mut bounds: Vec<i64> = Vec::with_capacity(n as usize - 1);
    let mut seen = 0u64;
    let mut k = 1u64;
    // The last slot holds `max` alone: a share reached there leaves nothing to split off.
    for (bin, count) in counts.iter().enumerate().take(bins as usize) {
        seen += count;
        while k < n && seen as u128 * n as u128 >= total as u128 * k as u128 {
            let b = start_of(bin + 1).clamp(min + 1, max);
            if bounds.last().is_none_or(|last| *last < b) {
                bounds.push(b);
            }
            k += 1;
        }
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_values_split_into_equal_ranges() {
        // 4 bins of 0..=400 with 100 rows each, plus none at max.
        let bounds = split_points(0, 400, &[100, 100, 100, 100, 0], 4);
        assert_eq!(bounds, [100, 200, 300]);
    }

    #[test]
    fn skewed_values_split_by_rows_not_by_value() {
        // Half the rows in the first bin: the first bound comes right after it.
        let bounds = split_points(0, 1000, &[500, 100, 100, 100, 100, 100, 0, 0, 0, 0, 0], 2);
        assert_eq!(bounds, [100]);
    }

    #[test]
    fn too_few_distinct_values_give_fewer_passes() {
        // Every row in one bin: one bound can still separate max from the rest.
        assert_eq!(split_points(0, 10, &[0, 0, 0, 0, 50], 5), Vec::<i64>::new());
        assert!(split_points(5, 5, &[10], 3).is_empty());
        assert!(split_points(0, 10, &[0, 0, 0], 3).is_empty());
        let two = split_points(0, 1, &[30, 30], 4);
        assert_eq!(two, [1]);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let bounds = split_points(i64::MIN, i64::MAX, &[10, 10, 10, 10, 0], 4);
        assert_eq!(bounds.len(), 3);
        assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        assert!(bounds[0] > i64::MIN && bounds[2] < i64::MAX);
    }

    #[test]
    fn filters_cover_every_value_once() {
        use datafusion::arrow::array::{Int64Array, RecordBatch};
        use datafusion::prelude::SessionContext;
        let bounds = [-5, 0, 7];
        let filters = range_filters("c", &bounds);
        assert_eq!(filters.len(), 4);
        let values: Vec<Option<i64>> = (-10..10).map(Some).chain([None]).collect();
        let batch = RecordBatch::try_from_iter([(
            "c",
            std::sync::Arc::new(Int64Array::from(values.clone())) as _,
        )])
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut taken = 0;
        rt.block_on(async {
            let ctx = SessionContext::new();
            for (k, f) in filters.into_iter().enumerate() {
                let rows: usize = ctx
                    .read_batch(batch.clone())
                    .unwrap()
                    .filter(f)
                    .unwrap()
                    .collect()
                    .await
                    .unwrap()
                    .iter()
                    .map(|b| b.num_rows())
                    .sum();
                // -10..-5 and NULL, -5..0, 0..7, 7..10.
                assert_eq!(rows, [6, 5, 7, 3][k], "pass {k}");
                taken += rows;
            }
        });
        assert_eq!(taken, values.len());
    }
}
