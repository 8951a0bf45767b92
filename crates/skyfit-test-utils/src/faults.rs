//! An object store that fails chosen operations, so the lake's failure paths are tested through
//! the real code (the writer, the loader's scan) instead of a mock of it.
//!
//! ```ignore
//! let store = FaultyStore::new(Arc::new(InMemory::new()));
//! store.inject(Fault::on(Op::Put).matching("part-00002").times(1));
//! let lake = LakeStore::from_object_store(store.clone(), "", "faulty://");
//! ```

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// The kind of store call a [`Fault`] hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `put` and multipart uploads.
    Put,
    /// `get` with or without a range, and HEAD.
    Get,
    /// Listing, recursive or by delimiter.
    List,
    Delete,
}

/// One injected failure rule.
#[derive(Debug, Clone)]
pub struct Fault {
    op: Op,
    matching: String,
    skip: u32,
    times: u32,
}

impl Fault {
    /// Every call of `op` fails, on any path, forever (narrow it with the builders).
    pub fn on(op: Op) -> Self {
        Fault {
            op,
            matching: String::new(),
            skip: 0,
            times: u32::MAX,
        }
    }

    /// Only calls whose path contains `fragment`.
    pub fn matching(mut self, fragment: impl Into<String>) -> Self {
        self.matching = fragment.into();
        self
    }

    /// The first `n` matching calls succeed.
    pub fn after(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Fail `n` matching calls, then heal.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }
}

/// An [`ObjectStore`] over another one, failing the calls its [`Fault`]s match.
pub struct FaultyStore {
    inner: Arc<dyn ObjectStore>,
    faults: Mutex<Vec<Fault>>,
    injected: Mutex<Vec<String>>,
}

impl fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Arc::new(FaultyStore {
            inner,
            faults: Mutex::new(Vec::new()),
            injected: Mutex::new(Vec::new()),
        })
    }

    pub fn inject(&self, fault: Fault) {
        self.faults.lock().expect("faults lock").push(fault);
    }

    /// Remove every fault: the store behaves like its inner store again.
    pub fn heal(&self) {
        self.faults.lock().expect("faults lock").clear();
    }

    /// The calls that failed on purpose, as `op path`.
    pub fn injected(&self) -> Vec<String> {
        self.injected.lock().expect("injected lock").clone()
    }

    fn check(&self, op: Op, path: &str) -> Result<()> {
        let mut faults = self.faults.lock().expect("faults lock");
        for f in faults.iter_mut() {
            if f.op != op || !path.contains(&f.matching) || f.times == 0 {
                continue;
            }
            if f.skip > 0 {
                f.skip -= 1;
                continue;
            }
            f.times -= 1;
            let what = format!("{op:?} {path}");
            self.injected
                .lock()
                .expect("injected lock")
                .push(what.clone());
            return Err(object_store::Error::Generic {
                store: "FaultyStore",
                source: format!("injected fault: {what}").into(),
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.check(Op::Put, location.as_ref())?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.check(Op::Put, location.as_ref())?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.check(Op::Get, location.as_ref())?;
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.check(Op::Get, location.as_ref())?;
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        // Matched on no path: the paths arrive later, in the stream.
        match self.check(Op::Delete, "") {
            Ok(()) => self.inner.delete_stream(locations),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let p = prefix.map(|p| p.to_string()).unwrap_or_default();
        match self.check(Op::List, &p) {
            Ok(()) => self.inner.list(prefix),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let p = prefix.map(|p| p.to_string()).unwrap_or_default();
        match self.check(Op::List, &p) {
            Ok(()) => self.inner.list_with_offset(prefix, offset),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let p = prefix.map(|p| p.to_string()).unwrap_or_default();
        self.check(Op::List, &p)?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.check(Op::Put, to.as_ref())?;
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.check(Op::Put, to.as_ref())?;
        self.inner.rename_opts(from, to, options).await
    }
}
