//! What the encoder had to change so PostgreSQL would accept a batch.
//!
//! Nothing is dropped silently: every altered cell is counted per column and
//! listed with its row, so the caller can log it or write a quarantine row.
//! Row numbers are batch-relative in [`crate::CopyEncoder::encode_batch`] and
//! relative to the whole stream in [`crate::CopyOutcome`].

use std::fmt;

/// Why a cell was altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// A text value contained NUL bytes (refused by `text`/`varchar`); they were
    /// removed or replaced per [`crate::NulPolicy`].
    TextNul,
    /// A JSON value contained the escape `\u0000` (refused by `jsonb`); it was
    /// rewritten to `\ufffd`.
    JsonNulEscape,
    /// A JSON value contained an unpaired UTF-16 surrogate escape such as `\ud800`
    /// (refused by `jsonb`); it was rewritten to `\ufffd`.
    JsonLoneSurrogate,
    /// A value outside the range of the target type (date, timestamp or a narrower
    /// integer); it was written as NULL.
    OutOfRange,
}

impl IssueKind {
    /// Stable snake_case name for logs and quarantine rows.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::TextNul => "text_nul",
            IssueKind::JsonNulEscape => "json_nul_escape",
            IssueKind::JsonLoneSurrogate => "json_lone_surrogate",
            IssueKind::OutOfRange => "out_of_range",
        }
    }
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One altered cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellIssue {
    /// Row index (batch-relative or stream-relative, see the module docs).
    pub row: usize,
    /// Index of the target column (position in the encoder's column list).
    pub column: usize,
    /// What was altered.
    pub kind: IssueKind,
}

/// Per-column counts of altered cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnReport {
    /// Target column name.
    pub name: String,
    /// Values with NUL bytes made storable.
    pub text_nul: u64,
    /// Values with `\u0000` escapes rewritten.
    pub json_nul_escape: u64,
    /// Values with lone surrogate escapes rewritten.
    pub json_lone_surrogate: u64,
    /// Values written as NULL because the target type cannot hold them.
    pub out_of_range: u64,
}

impl ColumnReport {
    /// Total altered values in this column.
    pub fn total(&self) -> u64 {
        self.text_nul + self.json_nul_escape + self.json_lone_surrogate + self.out_of_range
    }

    pub(crate) fn count(&mut self, kind: IssueKind) {
        match kind {
            IssueKind::TextNul => self.text_nul += 1,
            IssueKind::JsonNulEscape => self.json_nul_escape += 1,
            IssueKind::JsonLoneSurrogate => self.json_lone_surrogate += 1,
            IssueKind::OutOfRange => self.out_of_range += 1,
        }
    }
}

/// The result of encoding one or more batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodeReport {
    /// Rows encoded.
    pub rows: u64,
    /// Bytes produced (row data only; the COPY header and trailer are not counted).
    pub bytes: u64,
    /// Counts per target column, in the encoder's column order.
    pub columns: Vec<ColumnReport>,
    /// Every altered cell, in row order per column.
    pub issues: Vec<CellIssue>,
}

impl EncodeReport {
    pub(crate) fn for_columns<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        EncodeReport {
            columns: names
                .map(|n| ColumnReport {
                    name: n.to_owned(),
                    ..ColumnReport::default()
                })
                .collect(),
            ..EncodeReport::default()
        }
    }

    pub(crate) fn record(&mut self, row: usize, column: usize, kind: IssueKind) {
        self.columns[column].count(kind);
        self.issues.push(CellIssue { row, column, kind });
    }

    /// Whether any cell was altered.
    pub fn has_issues(&self) -> bool {
        !self.issues.is_empty()
    }

    /// Adds `other` (a later batch of the same stream) to this report, shifting its
    /// row numbers by `row_offset`.
    pub fn absorb(&mut self, other: &EncodeReport, row_offset: u64) {
        if self.columns.is_empty() {
            self.columns = other
                .columns
                .iter()
                .map(|c| ColumnReport {
                    name: c.name.clone(),
                    ..ColumnReport::default()
                })
                .collect();
        }
        self.rows += other.rows;
        self.bytes += other.bytes;
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.text_nul += theirs.text_nul;
            mine.json_nul_escape += theirs.json_nul_escape;
            mine.json_lone_surrogate += theirs.json_lone_surrogate;
            mine.out_of_range += theirs.out_of_range;
        }
        let offset = usize::try_from(row_offset).unwrap_or(usize::MAX);
        self.issues.extend(other.issues.iter().map(|i| CellIssue {
            row: i.row.saturating_add(offset),
            ..*i
        }));
    }
}
