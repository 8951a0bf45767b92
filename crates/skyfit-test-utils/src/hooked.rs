//! The one object-store wrapper behind the test and bench stores: every call is shown to a
//! [`StoreHook`] before it reaches the inner store, and the hook may record it, delay it or fail
//! it. The recording store ([`crate::counting`]), the failing one ([`crate::faults`]) and the
//! bench's slow one are hooks; the delegation of each `ObjectStore` method is written here once.
//!
//! A [`HookedStore`] dereferences to its hook, so a test asks the store itself what happened
//! (`store.calls()`, `store.injected()`).

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, OBJECT_STORE_COALESCE_DEFAULT,
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, RenameOptions, Result, coalesce_ranges,
};

/// The kind of a store call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A `get` with `head` set.
    Head,
    /// A `get`, whole or ranged.
    Get,
    /// One `get_ranges` call (several ranges of one object), when the hook takes it whole.
    GetRanges,
    /// Listing, recursive or by delimiter.
    List,
    /// `put` and multipart uploads.
    Put,
    /// A delete stream (its paths arrive later: the call names none).
    Delete,
    /// `copy` and `rename`, named by their destination.
    Copy,
}

/// What a [`HookedStore`] does with each call before passing it on.
#[async_trait::async_trait]
pub trait StoreHook: Send + Sync + 'static {
    /// How the store names itself in `Display` and `Debug` (`FaultyStore`).
    fn name(&self) -> String;

    /// Sees `kind` on `path` before the inner store does; an error is returned in the call's
    /// place and the inner store is not called.
    async fn before(&self, kind: CallKind, path: &str) -> Result<()>;

    /// Whether `get_ranges` is split into coalesced ranged `get`s, each shown to the hook, as a
    /// remote store sends them (the trait's default). Otherwise it is one
    /// [`CallKind::GetRanges`] passed on whole.
    fn split_ranges(&self) -> bool {
        false
    }
}

/// An [`ObjectStore`] over another one, showing each call to its hook `H` first.
pub struct HookedStore<H> {
    inner: Arc<dyn ObjectStore>,
    hook: Arc<H>,
}

impl<H: StoreHook> HookedStore<H> {
    pub fn with_hook(inner: Arc<dyn ObjectStore>, hook: H) -> Arc<Self> {
        Arc::new(HookedStore {
            inner,
            hook: Arc::new(hook),
        })
    }

    /// The stream of `open` (a listing or a delete), after the hook has seen `kind`: the hook
    /// is asynchronous and these calls are not, so it runs when the stream is first polled.
    fn hooked_stream<T: Send + 'static>(
        &self,
        kind: CallKind,
        path: String,
        open: impl FnOnce(Arc<dyn ObjectStore>) -> BoxStream<'static, Result<T>> + Send + 'static,
    ) -> BoxStream<'static, Result<T>> {
        let (hook, inner) = (Arc::clone(&self.hook), Arc::clone(&self.inner));
        futures::stream::once(async move {
            match hook.before(kind, &path).await {
                Ok(()) => open(inner),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

impl<H: StoreHook + Default> HookedStore<H> {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Self::with_hook(inner, H::default())
    }
}

impl<H> Deref for HookedStore<H> {
    type Target = H;

    fn deref(&self) -> &H {
        &self.hook
    }
}

impl<H: StoreHook> fmt::Debug for HookedStore<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<H: StoreHook> fmt::Display for HookedStore<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.hook.name(), self.inner)
    }
}

fn prefix_str(prefix: Option<&Path>) -> String {
    prefix.map(|p| p.to_string()).unwrap_or_default()
}

#[async_trait::async_trait]
impl<H: StoreHook> ObjectStore for HookedStore<H> {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.hook.before(CallKind::Put, location.as_ref()).await?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.hook.before(CallKind::Put, location.as_ref()).await?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let kind = if options.head {
            CallKind::Head
        } else {
            CallKind::Get
        };
        self.hook.before(kind, location.as_ref()).await?;
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        if self.hook.split_ranges() {
            return coalesce_ranges(
                ranges,
                |range| self.get_range(location, range),
                OBJECT_STORE_COALESCE_DEFAULT,
            )
            .await;
        }
        self.hook
            .before(CallKind::GetRanges, location.as_ref())
            .await?;
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.hooked_stream(CallKind::Delete, String::new(), move |inner| {
            inner.delete_stream(locations)
        })
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let owned = prefix.cloned();
        self.hooked_stream(CallKind::List, prefix_str(prefix), move |inner| {
            inner.list(owned.as_ref())
        })
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let (owned, offset) = (prefix.cloned(), offset.clone());
        self.hooked_stream(CallKind::List, prefix_str(prefix), move |inner| {
            inner.list_with_offset(owned.as_ref(), &offset)
        })
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.hook
            .before(CallKind::List, &prefix_str(prefix))
            .await?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.hook.before(CallKind::Copy, to.as_ref()).await?;
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.hook.before(CallKind::Copy, to.as_ref()).await?;
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;
    use object_store::memory::InMemory;

    use super::*;
    use crate::counting::CountingStore;
    use crate::faults::{Fault, FaultyStore, Op};

    #[tokio::test]
    async fn every_call_is_shown_to_the_hook_and_passed_on() {
        let store = CountingStore::new(Arc::new(InMemory::new()));
        let a = Path::from("d/a");
        store.put(&a, "0123456789".into()).await.unwrap();
        assert_eq!(
            store.get(&a).await.unwrap().bytes().await.unwrap(),
            "0123456789"
        );
        store.head(&a).await.unwrap();
        let got = store.get_ranges(&a, &[0..2, 5..7]).await.unwrap();
        assert_eq!(got, vec![Bytes::from("01"), Bytes::from("56")]);
        store.copy(&a, &Path::from("d/b")).await.unwrap();
        store
            .rename(&Path::from("d/b"), &Path::from("d/c"))
            .await
            .unwrap();
        let listed: Vec<_> = store
            .list(Some(&Path::from("d")))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(listed.len(), 2);
        let offset: Vec<_> = store
            .list_with_offset(Some(&Path::from("d")), &a)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(offset.len(), 1);
        store.list_with_delimiter(None).await.unwrap();
        store.delete(&a).await.unwrap();
        let kinds: Vec<(CallKind, String)> = store
            .calls()
            .into_iter()
            .map(|c| (c.kind, c.path))
            .collect();
        use CallKind::*;
        assert_eq!(
            kinds,
            [
                (Put, "d/a"),
                (Get, "d/a"),
                (Head, "d/a"),
                (GetRanges, "d/a"),
                (Copy, "d/b"),
                (Copy, "d/c"),
                (List, "d"),
                (List, "d"),
                (List, ""),
                (Delete, ""),
            ]
            .map(|(k, p)| (k, p.to_string()))
        );
    }

    #[tokio::test]
    async fn a_hook_error_replaces_the_call_streams_included() {
        let store = FaultyStore::new(Arc::new(InMemory::new()));
        let a = Path::from("d/a");
        store.put(&a, "x".into()).await.unwrap();
        store.inject(Fault::on(Op::List).times(1));
        store.inject(Fault::on(Op::Delete).times(1));
        let listed: Result<Vec<_>> = store.list(None).try_collect().await;
        assert!(listed.unwrap_err().to_string().contains("injected fault"));
        assert!(store.delete(&a).await.is_err());
        assert_eq!(store.injected(), ["List ", "Delete "]);
        // Healed (each fault hit once): both pass on, and the object was never deleted.
        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            store.to_string(),
            format!("FaultyStore({})", InMemory::new())
        );
    }
}
