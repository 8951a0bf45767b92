//! An object store that records every call it passes on, so a test can count what a reader
//! asked of the lake (HEADs, listings, ranged reads) without changing what the reader gets.
//!
//! ```ignore
//! let store = CountingStore::new(Arc::new(LocalFileSystem::new_with_prefix(dir)?));
//! let lake = LakeStore::from_object_store(store.clone(), "", "counting://");
//! // ... read through `lake` ...
//! let heads = store.calls().iter().filter(|c| c.kind == CallKind::Head).count();
//! ```

use std::sync::Mutex;

use object_store::Result;

pub use crate::hooked::CallKind;
use crate::hooked::{HookedStore, StoreHook};

/// One call and the path (or prefix) it named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Call {
    pub kind: CallKind,
    pub path: String,
}

/// An object store over another one, recording each call ([`Recorder`]).
pub type CountingStore = HookedStore<Recorder>;

/// The hook of a [`CountingStore`]: the calls so far.
#[derive(Debug, Default)]
pub struct Recorder {
    calls: Mutex<Vec<Call>>,
}

impl Recorder {
    /// Every call since the store was made or last [`Recorder::reset`], in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls lock").clone()
    }

    pub fn reset(&self) {
        self.calls.lock().expect("calls lock").clear();
    }
}

#[async_trait::async_trait]
impl StoreHook for Recorder {
    fn name(&self) -> String {
        "CountingStore".into()
    }

    async fn before(&self, kind: CallKind, path: &str) -> Result<()> {
        self.calls.lock().expect("calls lock").push(Call {
            kind,
            path: path.to_string(),
        });
        Ok(())
    }
}
