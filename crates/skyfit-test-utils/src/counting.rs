//! An object store that records every call it passes on, so a test can count what a reader
//! asked of the lake (HEADs, listings, ranged reads) without changing what the reader gets.
//!
//! ```ignore
//! let store = CountingStore::new(Arc::new(LocalFileSystem::new_with_prefix(dir)?));
//! let lake = LakeStore::from_object_store(store.clone(), "", "counting://");
//! // ... read through `lake` ...
//! let heads = store.calls().iter().filter(|c| c.kind == CallKind::Head).count();
//! ```

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// The kind of a recorded call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A `get` with `head` set.
    Head,
    /// A `get`, whole or ranged.
    Get,
    /// One `get_ranges` call (several ranges of one object).
    GetRanges,
    /// Listing, recursive or by delimiter.
    List,
    Put,
    Delete,
    Copy,
}

/// One call and the path (or prefix) it named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Call {
    pub kind: CallKind,
    pub path: String,
}

/// An [`ObjectStore`] over another one, recording each call.
pub struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    calls: Mutex<Vec<Call>>,
}

impl fmt::Debug for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountingStore({})", self.inner)
    }
}

impl fmt::Display for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountingStore({})", self.inner)
    }
}

impl CountingStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Arc::new(CountingStore {
            inner,
            calls: Mutex::new(Vec::new()),
        })
    }

    /// Every call since the store was made or last [`CountingStore::reset`], in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls lock").clone()
    }

    pub fn reset(&self) {
        self.calls.lock().expect("calls lock").clear();
    }

    fn record(&self, kind: CallKind, path: &str) {
        self.calls.lock().expect("calls lock").push(Call {
            kind,
            path: path.to_string(),
        });
    }
}

#[async_trait::async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.record(CallKind::Put, location.as_ref());
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.record(CallKind::Put, location.as_ref());
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let kind = if options.head {
            CallKind::Head
        } else {
            CallKind::Get
        };
        self.record(kind, location.as_ref());
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.record(CallKind::GetRanges, location.as_ref());
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        // The paths arrive later, in the stream: recorded without one.
        self.record(CallKind::Delete, "");
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.record(CallKind::List, prefix.map_or("", |p| p.as_ref()));
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.record(CallKind::List, prefix.map_or("", |p| p.as_ref()));
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.record(CallKind::List, prefix.map_or("", |p| p.as_ref()));
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.record(CallKind::Copy, to.as_ref());
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.record(CallKind::Copy, to.as_ref());
        self.inner.rename_opts(from, to, options).await
    }
}
