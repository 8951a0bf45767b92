//! The one error type of the bench library: which step failed, and why.

/// A failed step of a benchmark; the message names the step.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bronze lake: {0}")]
    Lake(#[from] skyfit_lake::Error),
    #[error("loading: {0}")]
    Pipeline(#[from] skyfit_pipeline::Error),
    #[error("transform: {0}")]
    Transform(#[from] skyfit_transform::Error),
    #[error("DataFusion: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("COPY encoding: {0}")]
    Encode(#[from] skyfit_load::Error),
    #[error("warehouse: {0}")]
    Warehouse(#[from] skyfit_warehouse::Error),
    #[error("PostgreSQL, {step}: {source}")]
    Postgres {
        step: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

impl Error {
    pub(crate) fn pg(step: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let step = step.into();
        move |source| Error::Postgres { step, source }
    }

    pub(crate) fn io(path: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_string();
        move |source| Error::Io { path, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
