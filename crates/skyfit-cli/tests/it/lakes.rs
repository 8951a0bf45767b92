//! The lakes every end-to-end test runs against. To add a store (S3 on MinIO, say): a variant
//! here, its arm in [`TestLake::start`], and one line in [`on_every_lake`].

use std::process::Command;

use skyfit_test_utils::azurite::Azurite;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LakeKind {
    /// A directory (the default lake).
    Local,
    /// An ADLS Gen2 container on Azurite, under a prefix.
    Azurite,
}

/// A lake for one test; the `skyfit` commands of the test point at it through [`TestLake::env`].
pub struct TestLake {
    kind: LakeKind,
    env: Vec<(&'static str, String)>,
    _azurite: Option<Azurite>,
    _dir: tempfile::TempDir,
}

impl TestLake {
    pub fn start(kind: LakeKind) -> TestLake {
        let dir = tempfile::tempdir().unwrap();
        match kind {
            LakeKind::Local => TestLake {
                kind,
                env: vec![(
                    "SKYFIT_LAKE_URL",
                    dir.path().join("lake").display().to_string(),
                )],
                _azurite: None,
                _dir: dir,
            },
            LakeKind::Azurite => {
                let az = Azurite::start();
                az.create_container("datalake");
                TestLake {
                    kind,
                    env: az.env("datalake", "nightly/lake"),
                    _azurite: Some(az),
                    _dir: dir,
                }
            }
        }
    }

    /// The lake as the library opens it, for tests that write or inspect it directly.
    pub fn store(&self) -> skyfit_lake::LakeStore {
        let url = &self.env[0].1;
        match (self.kind, &self._azurite) {
            (LakeKind::Azurite, Some(az)) => skyfit_lake::LakeStore::builder(url.as_str())
                .with_azure(skyfit_lake::AzureOptions::default().with_emulator(az.endpoint()))
                .build()
                .unwrap(),
            _ => skyfit_lake::LakeStore::try_new(url).unwrap(),
        }
    }

    /// Points `cmd` at this lake.
    pub fn apply<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// `on_every_lake!(name)`: the async fn `name(LakeKind)` becomes one test per lake,
/// `name::local`, `name::azurite`.
macro_rules! on_every_lake {
    ($name:ident) => {
        mod $name {
            use crate::lakes::LakeKind;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn local() {
                super::$name(LakeKind::Local).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn azurite() {
                super::$name(LakeKind::Azurite).await
            }
        }
    };
}
pub(crate) use on_every_lake;
