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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
