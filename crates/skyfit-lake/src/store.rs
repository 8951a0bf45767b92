//! `LakeStore`: the object store behind the lake, addressed by lake-relative paths.
//!
//! Built from a URL: a plain path or `file://` is a local directory (created if missing);
//! `az://`, `azure://`, `abfs(s)://` are Azure (see [`crate::azure`]). The URL's path below
//! the container is a prefix applied to every object, so several lakes can share a container;
//! the rest of the crate only sees `bronze/…` and `_meta/…` paths.
//!
//! Every write is a single `put`, which is atomic on the local file system (temp file + rename)
//! and on Azure (block blob commit): a reader sees the old object or the new one, never half.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::azure::{AzureOptions, build_azure, parse_azure_url, redact};
use crate::error::{Error, Result};
use crate::prefix::Prefixed;

/// Handle to one lake; cheap to clone.
#[derive(Clone)]
pub struct LakeStore {
    store: Arc<dyn ObjectStore>,
    /// The URL it was built from, without anything secret; for logs and errors.
    url: String,
}

impl fmt::Debug for LakeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeStore").field("url", &self.url).finish()
    }
}

/// Builds a [`LakeStore`] from a URL plus options the URL cannot carry (credentials).
#[derive(Debug, Clone)]
pub struct LakeStoreBuilder {
    url: String,
    azure: AzureOptions,
}

impl LakeStoreBuilder {
    pub fn new(url: impl Into<String>) -> Self {
        LakeStoreBuilder {
            url: url.into(),
            azure: AzureOptions::default(),
        }
    }

    /// Account, credentials and emulator settings used when the URL is an Azure one.
    pub fn with_azure(mut self, azure: AzureOptions) -> Self {
        self.azure = azure;
        self
    }

    pub fn build(self) -> Result<LakeStore> {
        let url = self.url.trim();
        if let Some(parsed) = parse_azure_url(url)? {
            let inner = build_azure(url, &parsed, &self.azure)?;
            let store = with_prefix(inner, &parsed.prefix);
            tracing::info!(lake = %redact(url), "Opened Azure lake.");
            return Ok(LakeStore {
                store,
                url: redact(url),
            });
        }
        let dir = match url.split_once("://") {
            Some(("file", path)) => path,
            Some((scheme, _)) => {
                return Err(Error::InvalidUrl {
                    url: redact(url),
                    reason: format!(
                        "unsupported scheme `{scheme}`: use a directory, file://, az://, azure:// or abfss://"
                    ),
                });
            }
            None => url,
        };
        if dir.is_empty() {
            return Err(Error::InvalidUrl {
                url: url.to_string(),
                reason: "empty path".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|source| Error::LocalDir {
            dir: dir.to_string(),
            source,
        })?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(|source| Error::Store {
            op: "open",
            path: dir.to_string(),
            source,
        })?;
        tracing::info!(lake = %dir, "Opened local lake.");
        Ok(LakeStore {
            store: Arc::new(fs),
            url: format!("file://{dir}"),
        })
    }
}

fn with_prefix(store: Arc<dyn ObjectStore>, prefix: &str) -> Arc<dyn ObjectStore> {
    if prefix.is_empty() {
        store
    } else {
        Arc::new(Prefixed::new(store, prefix))
    }
}

impl LakeStore {
    /// A lake at `url` with default options (Azure credentials from the environment).
    pub fn try_new(url: &str) -> Result<Self> {
        LakeStoreBuilder::new(url).build()
    }

    pub fn builder(url: impl Into<String>) -> LakeStoreBuilder {
        LakeStoreBuilder::new(url)
    }

    /// Wrap any object store (S3, GCS, a latency-injecting wrapper for benches) under `prefix`.
    pub fn from_object_store(store: Arc<dyn ObjectStore>, prefix: &str, label: &str) -> Self {
        LakeStore {
            store: with_prefix(store, prefix.trim_matches('/')),
            url: redact(label),
        }
    }

    /// A lake in memory, for tests.
    pub fn in_memory() -> Self {
        Self::from_object_store(Arc::new(InMemory::new()), "", "memory://")
    }

    /// The object store with the lake prefix applied: paths such as
    /// [`crate::RunRef::parquet_path`] resolve in it directly. Register it with DataFusion
    /// under any URL (e.g. `skyfit://lake/`) to read parts as a listing table.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    /// The lake URL without secrets.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Writes, reads back and deletes a small object under `_meta/_doctor/`: proves the lake
    /// is reachable and writable with the configured credentials.
    pub async fn check_writable(&self) -> Result<()> {
        let path = Path::from(format!("_meta/_doctor/probe-{}", std::process::id()));
        let body = Bytes::from_static(b"skyfit doctor probe");
        self.put(&path, body.clone()).await?;
        let back = self.get(&path).await?;
        self.store
            .delete(&path)
            .await
            .map_err(|e| Error::store("delete", &path, e))?;
        if back != body {
            return Err(Error::store(
                "get",
                &path,
                object_store::Error::Generic {
                    store: "lake",
                    source: "read back different bytes".into(),
                },
            ));
        }
        Ok(())
    }

    /// Replace the object at `path` in one atomic put.
    pub(crate) async fn put(&self, path: &Path, bytes: Bytes) -> Result<()> {
        self.store
            .put(path, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| Error::store("put", path, e))?;
        Ok(())
    }

    /// Create the object at `path`; `Ok(false)` when it already exists.
    pub(crate) async fn put_new(&self, path: &Path, bytes: Bytes) -> Result<bool> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(path, PutPayload::from_bytes(bytes), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(Error::store("create", path, e)),
        }
    }

    /// The object's bytes, or `None` when there is no such object.
    pub(crate) async fn get_opt(&self, path: &Path) -> Result<Option<Bytes>> {
        match self.store.get(path).await {
            Ok(r) => Ok(Some(
                r.bytes().await.map_err(|e| Error::store("read", path, e))?,
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::store("get", path, e)),
        }
    }

    /// The object's bytes; a missing object is an error.
    pub(crate) async fn get(&self, path: &Path) -> Result<Bytes> {
        let r = self
            .store
            .get(path)
            .await
            .map_err(|e| Error::store("get", path, e))?;
        r.bytes().await.map_err(|e| Error::store("read", path, e))
    }

    /// The immediate "directories" below `prefix`.
    pub(crate) async fn list_dirs(&self, prefix: &Path) -> Result<Vec<Path>> {
        match self.store.list_with_delimiter(Some(prefix)).await {
            Ok(r) => Ok(r.common_prefixes),
            Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(Error::store("list", prefix, e)),
        }
    }

    /// Every object below `prefix`, recursively.
    pub(crate) async fn list_all(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        match self.store.list(Some(prefix)).try_collect().await {
            Ok(v) => Ok(v),
            Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(Error::store("list", prefix, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_lake_creates_its_dir_and_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        let lake = LakeStore::try_new(&format!("file://{}", dir.display())).unwrap();
        assert!(dir.is_dir());
        let p = Path::from("bronze/x.json");
        assert!(lake.get_opt(&p).await.unwrap().is_none());
        lake.put(&p, Bytes::from_static(b"1")).await.unwrap();
        assert!(!lake.put_new(&p, Bytes::from_static(b"2")).await.unwrap());
        assert_eq!(lake.get(&p).await.unwrap(), Bytes::from_static(b"1"));
        assert!(dir.join("bronze/x.json").is_file());
        assert!(
            lake.list_dirs(&Path::from("nothing/here"))
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unknown_schemes_are_refused() {
        let err = LakeStore::try_new("ftp://host/lake").unwrap_err();
        assert!(err.to_string().contains("unsupported scheme"), "{err}");
    }

    #[tokio::test]
    async fn prefixes_isolate_lakes_in_one_store() {
        let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let a = LakeStore::from_object_store(Arc::clone(&inner), "team/a", "mem://a");
        let b = LakeStore::from_object_store(Arc::clone(&inner), "team/b/", "mem://b");
        let p = Path::from("bronze/x");
        a.put(&p, Bytes::from_static(b"a")).await.unwrap();
        assert!(b.get_opt(&p).await.unwrap().is_none());
        assert!(inner.head(&Path::from("team/a/bronze/x")).await.is_ok());
    }
}
