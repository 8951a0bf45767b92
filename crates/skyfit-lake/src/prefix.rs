//! The lake's prefix below its container, applied to every object.
//!
//! object_store's `PrefixStore` (0.13) strips the prefix from what it lists but not from the
//! metadata a `get` or HEAD returns, so `head("bronze/x")` answers `{prefix}/bronze/x`.
//! DataFusion's `ListingTable` checks that location against the path it asked for and drops
//! the file when they differ: an Azure lake under a prefix read every part as zero rows. This
//! wrapper gives back lake-relative locations from every call.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// `inner` with every path below `prefix`, and every path it returns relative to it again.
pub(crate) struct Prefixed {
    inner: PrefixStore<Arc<dyn ObjectStore>>,
    prefix: Path,
}

impl Prefixed {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Prefixed {
            inner: PrefixStore::new(inner, prefix),
            prefix: Path::from(prefix),
        }
    }
}

impl fmt::Debug for Prefixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prefixed({}, {})", self.inner, self.prefix)
    }
}

impl fmt::Display for Prefixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prefixed({}, {})", self.inner, self.prefix)
    }
}

#[async_trait::async_trait]
impl ObjectStore for Prefixed {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let mut r = self.inner.get_opts(location, options).await?;
        let relative = r
            .meta
            .location
            .prefix_match(&self.prefix)
            .map(Path::from_iter);
        if let Some(relative) = relative {
            r.meta.location = relative;
        }
        Ok(r)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};

    use super::*;

    #[tokio::test]
    async fn head_and_get_answer_lake_relative_paths() {
        let store = Prefixed::new(Arc::new(InMemory::new()), "team/lake");
        let p = Path::from("bronze/evo/part-00001.parquet");
        store.put(&p, PutPayload::from_static(b"x")).await.unwrap();
        assert_eq!(store.head(&p).await.unwrap().location, p);
        assert_eq!(store.get(&p).await.unwrap().meta.location, p);
        // object_store's PrefixStore alone answers with the prefix (the bug this works around).
        let plain = PrefixStore::new(Arc::new(InMemory::new()) as Arc<dyn ObjectStore>, "team");
        plain.put(&p, PutPayload::from_static(b"x")).await.unwrap();
        assert_ne!(plain.head(&p).await.unwrap().location, p);
    }
}
