//! An in-memory cache of ledger node hashes, so that a proof at a large tree size reads few or no
//! rows.
//!
//! Every complete subtree at or above `upper_level` is kept for good: a tree of n leaves has fewer
//! than n / 2^(upper_level - 1) of them (about 2,000 at 1M leaves with level 10).
//! Below that level a bounded set of the most recently read or appended nodes and leaf hashes is
//! kept, first in first out.
//!
//! Only a hash read from a committed row, or written by an append whose transaction has committed,
//! enters the cache. Complete subtrees never change, so a cached hash is the stored one, and its
//! presence proves that the row exists: a node that ends at leaf `size - 1` is cached only if the
//! log has at least `size` leaves, which is what lets a proof skip reading the tree size.
//! A hash the cache lacks is read from the database, so appends by another process (or by a
//! case transaction, which does not pass through here) are picked up when first needed.
//! `Store::verify_ledger` never reads the cache: it must see the rows as they are.
//!
//! A *mirror* is the other shape: a `MemoryTree` of every leaf hash and complete subtree (64 MB per
//! million leaves), loaded from the leaf hashes of committed rows in index order and extended from
//! them, so that every proof is answered from memory once the mirror covers its size.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock};

use ledger::{Digest, MemoryTree, NodeId};

/// The lowest level held for good by default: 1M leaves leave about 2,000 such nodes (64 KB).
pub(crate) const UPPER_LEVEL: u8 = 10;
/// How many lower nodes and leaf hashes are held by default (about 6 MB at most).
pub(crate) const LOWER_CAPACITY: usize = 1 << 16;

/// A cache shared by every clone of a `Store`; with neither part every hash is read.
#[derive(Clone)]
pub(crate) struct ProofCache {
    inner: Option<Arc<RwLock<Inner>>>,
    // INVARIANT: leaf i of the mirror has the leaf hash stored in committed row `idx = i`.
    mirror: Option<Arc<RwLock<MemoryTree>>>,
}

struct Inner {
    upper_level: u8,
    lower_capacity: usize,
    upper: BTreeMap<NodeId, Digest>,
    lower: BTreeMap<NodeId, Digest>,
    // INVARIANT: holds exactly the keys of `lower`, oldest first.
    order: VecDeque<NodeId>,
}

impl ProofCache {
    /// A cache that holds levels from `upper_level` up for good and `lower_capacity` nodes below.
    pub(crate) fn new(upper_level: u8, lower_capacity: usize) -> Self {
        Self {
            inner: Some(Arc::new(RwLock::new(Inner {
                upper_level,
                lower_capacity,
                upper: BTreeMap::new(),
                lower: BTreeMap::new(),
                order: VecDeque::new(),
            }))),
            mirror: None,
        }
    }

    /// A mirror of the whole tree, empty until the first proof loads it.
    pub(crate) fn mirror() -> Self {
        Self { inner: None, mirror: Some(Arc::new(RwLock::new(MemoryTree::new()))) }
    }

    /// How many leaves the mirror holds; `None` if this cache is not a mirror.
    pub(crate) fn mirror_size(&self) -> Option<u64> {
        Some(self.mirror.as_ref()?.read().unwrap_or_else(PoisonError::into_inner).size())
    }

    /// Runs `f` on the mirror; `None` if this cache is not a mirror.
    pub(crate) fn with_mirror<T>(&self, f: impl FnOnce(&MemoryTree) -> T) -> Option<T> {
        Some(f(&self.mirror.as_ref()?.read().unwrap_or_else(PoisonError::into_inner)))
    }

    /// Extends the mirror by the committed leaf hashes `hashes` of leaves `from..`, skipping those
    /// it already holds; a gap (the mirror is shorter than `from`) leaves it as it is.
    pub(crate) fn mirror_extend(&self, from: u64, hashes: &[Digest]) {
        let Some(mirror) = &self.mirror else {
            return;
        };
        let mut tree = mirror.write().unwrap_or_else(PoisonError::into_inner);
        let Some(skip) = tree.size().checked_sub(from) else {
            return;
        };
        for h in hashes.iter().skip(usize::try_from(skip).unwrap_or(usize::MAX)) {
            tree.push_hash(*h);
        }
    }

    /// The default shape.
    pub(crate) fn standard() -> Self {
        Self::new(UPPER_LEVEL, LOWER_CAPACITY)
    }

    /// A cache that holds nothing: every hash is read from the database.
    pub(crate) const fn disabled() -> Self {
        Self { inner: None, mirror: None }
    }

    /// Copies the cached hashes of `ids` into `found` and returns the ids it does not hold.
    pub(crate) fn lookup(
        &self,
        ids: &[NodeId],
        found: &mut BTreeMap<NodeId, Digest>,
    ) -> Vec<NodeId> {
        let Some(inner) = &self.inner else {
            return ids.to_vec();
        };
        let inner = inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut missing = Vec::new();
        for id in ids {
            let map = if id.level() >= inner.upper_level { &inner.upper } else { &inner.lower };
            match map.get(id) {
                Some(h) => {
                    found.insert(*id, *h);
                }
                None => missing.push(*id),
            }
        }
        missing
    }

    /// Adds hashes that are known to be stored in committed rows.
    ///
    /// Lower nodes are added only when `keep_lower` says so (an append adds only the lower nodes
    /// near the new end of the log, the likeliest to be asked for next).
    pub(crate) fn insert<'a>(
        &self,
        nodes: impl IntoIterator<Item = (&'a NodeId, &'a Digest)>,
        keep_lower: impl Fn(&NodeId) -> bool,
    ) {
        let Some(inner) = &self.inner else {
            return;
        };
        let mut inner = inner.write().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *inner;
        for (id, h) in nodes {
            if id.level() >= inner.upper_level {
                inner.upper.insert(*id, *h);
            } else if inner.lower_capacity > 0
                && keep_lower(id)
                && inner.lower.insert(*id, *h).is_none()
            {
                inner.order.push_back(*id);
                if inner.order.len() > inner.lower_capacity {
                    if let Some(old) = inner.order.pop_front() {
                        inner.lower.remove(&old);
                    }
                }
            }
        }
    }
}

impl std::fmt::Debug for ProofCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            None if self.mirror.is_some() => {
                f.debug_struct("ProofCache").field("mirror", &self.mirror_size()).finish()
            }
            None => f.write_str("ProofCache(disabled)"),
            Some(inner) => {
                let inner = inner.read().unwrap_or_else(PoisonError::into_inner);
                f.debug_struct("ProofCache")
                    .field("upper_level", &inner.upper_level)
                    .field("upper", &inner.upper.len())
                    .field("lower", &inner.lower.len())
                    .finish()
            }
        }
    }
}

#[cfg(test)]
mod tests;
