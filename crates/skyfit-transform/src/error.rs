use std::path::PathBuf;

/// Errors of the transform stage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}:{line}: {message}")]
    Header {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {file}: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A SQL error, placed at the file and (when DataFusion gives one) line and column.
    #[error("{file}:{line}:{column}: {message}")]
    Sql {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("query {file} failed: {source}")]
    Execute {
        file: PathBuf,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    #[error("DataFusion: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("lake: {0}")]
    Lake(#[from] skyfit_lake::Error),
    #[error(
        "bronze part {path} is listed by its run's manifest but is not in the lake: restore it, or re-extract the run, then load again"
    )]
    MissingPart { path: String },
    #[error(
        "bronze part {path} has {found} bytes where its manifest says {expected}: it was truncated or replaced after its run completed; restore it, or re-extract the run"
    )]
    PartSize {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error("cannot check bronze part {path}: {source}")]
    PartCheck {
        path: String,
        #[source]
        source: Box<datafusion::object_store::Error>,
    },
    #[error("cannot read the Parquet footer of bronze part {path}: {source}")]
    Footer {
        path: String,
        #[source]
        source: Box<datafusion::parquet::errors::ParquetError>,
    },
    /// The read-path check (`skyfit doctor`) could not write or read its probe.
    #[error("lake read probe: {0}")]
    Probe(String),
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("Parquet: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
