//! An object store that fails chosen operations, so the lake's failure paths are tested through
//! the real code (the writer, the loader's scan) instead of a mock of it.
//!
//! ```ignore
//! let store = FaultyStore::new(Arc::new(InMemory::new()));
//! store.inject(Fault::on(Op::Put).matching("part-00002").times(1));
//! let lake = LakeStore::from_object_store(store.clone(), "", "faulty://");
//! ```

use std::sync::Mutex;

use object_store::Result;

use crate::hooked::{CallKind, HookedStore, StoreHook};

/// The kind of store call a [`Fault`] hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `put`, multipart uploads, copy and rename.
    Put,
    /// `get` with or without a range, and HEAD.
    Get,
    /// Listing, recursive or by delimiter.
    List,
    Delete,
}

impl Op {
    fn hits(self, kind: CallKind) -> bool {
        match self {
            Op::Put => matches!(kind, CallKind::Put | CallKind::Copy),
            Op::Get => matches!(kind, CallKind::Get | CallKind::Head | CallKind::GetRanges),
            Op::List => kind == CallKind::List,
            Op::Delete => kind == CallKind::Delete,
        }
    }
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

/// An object store over another one, failing the calls its [`Fault`]s match ([`Faults`]).
pub type FaultyStore = HookedStore<Faults>;

/// The hook of a [`FaultyStore`]: the faults to inject and those injected so far.
#[derive(Debug, Default)]
pub struct Faults {
    faults: Mutex<Vec<Fault>>,
    injected: Mutex<Vec<String>>,
}

impl Faults {
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
}

#[async_trait::async_trait]
impl StoreHook for Faults {
    fn name(&self) -> String {
        "FaultyStore".into()
    }

    async fn before(&self, kind: CallKind, path: &str) -> Result<()> {
        let mut faults = self.faults.lock().expect("faults lock");
        for f in faults.iter_mut() {
            if !f.op.hits(kind) || !path.contains(&f.matching) || f.times == 0 {
                continue;
            }
            if f.skip > 0 {
                f.skip -= 1;
                continue;
            }
            f.times -= 1;
            let what = format!("{:?} {path}", f.op);
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
