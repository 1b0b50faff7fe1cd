//! Building trees: the [`Frontier`] that appends with O(log n) state, and the in-memory [`MemoryTree`].
//!
//! A storage layer keeps a [`Frontier`] (the hashes of [`crate::indices_for_root`]) and writes every
//! node that [`Frontier::push`] reports as complete; that is all the node-hash cache needs.

use crate::hash::{empty_root, leaf_hash, node_hash, Digest, RootHash};
use crate::plan::{
    fold_right, indices_for_consistency, indices_for_inclusion, indices_for_root, NodeId, PlanError,
};
use crate::proof::{ConsistencyProof, InclusionProof};

/// The right edge of a tree: the roots of the complete subtrees that make up a tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    // INVARIANT: hashes.len() == size.count_ones(), largest subtree first, as `indices_for_root(size)`.
    hashes: Vec<Digest>,
}

impl Frontier {
    /// The frontier of the empty tree.
    #[must_use]
    pub const fn new() -> Self {
        Self { size: 0, hashes: Vec::new() }
    }

    /// Rebuilds a frontier from the hashes of [`crate::indices_for_root`]`(size)`, in that order.
    ///
    /// # Errors
    /// [`PlanError::HashCount`] if the number of hashes does not match `size`.
    pub fn from_hashes(size: u64, hashes: Vec<Digest>) -> Result<Self, PlanError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(PlanError::HashCount { expected, actual: hashes.len() });
        }
        Ok(Self { size, hashes })
    }

    /// The number of leaves appended so far.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of [`crate::indices_for_root`]`(self.size())`.
    #[must_use]
    pub fn hashes(&self) -> &[Digest] {
        &self.hashes
    }

    /// Appends one leaf hash; `complete` is called with the leaf node and then with every interior
    /// node this append completes, lowest first.
    pub fn push(&mut self, leaf_hash: Digest, mut complete: impl FnMut(NodeId, &Digest)) {
        let mut node = NodeId::leaf(self.size);
        let mut hash = leaf_hash;
        complete(node, &hash);
        let mut index = self.size;
        let mut level = 0u8;
        while index & 1 == 1 {
            let Some(left) = self.hashes.pop() else { break };
            hash = node_hash(&left, &hash);
            index >>= 1;
            level += 1;
            if let Some(parent) = NodeId::new(level, index) {
                node = parent;
                complete(node, &hash);
            }
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    /// The root of the tree appended so far.
    #[must_use]
    pub fn root(&self) -> RootHash {
        RootHash::new(self.size, fold_right(&self.hashes).unwrap_or_else(empty_root))
    }
}

/// A whole tree in memory: every complete subtree's hash, level by level.
///
/// Used as the reference in tests and benchmarks; a durable log keeps the same hashes in a database.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    // INVARIANT: levels[l] holds the hashes of the complete subtrees at level l, in index order, and
    // levels[0].len() is the tree size.
    levels: Vec<Vec<Digest>>,
}

impl MemoryTree {
    /// An empty tree.
    #[must_use]
    pub const fn new() -> Self {
        Self { levels: Vec::new() }
    }

    /// An empty tree with room for `leaves` leaves and their interior nodes, for bulk loads.
    #[must_use]
    pub fn with_capacity(leaves: usize) -> Self {
        let mut levels = Vec::new();
        let mut n = leaves;
        while n > 0 {
            levels.push(Vec::with_capacity(n));
            n /= 2;
        }
        Self { levels }
    }

    /// Appends a leaf (its bytes are hashed, not kept) and returns its index.
    pub fn push(&mut self, leaf: &[u8]) -> u64 {
        self.push_hash(leaf_hash(leaf))
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn push_hash(&mut self, leaf_hash: Digest) -> u64 {
        let index = self.size();
        let mut hash = leaf_hash;
        let mut i = index;
        let mut level = 0usize;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else { break };
            let left = if i & 1 == 1 { row.last().copied() } else { None };
            row.push(hash);
            match left {
                Some(left) => {
                    hash = node_hash(&left, &hash);
                    i >>= 1;
                    level += 1;
                }
                None => break,
            }
        }
        index
    }

    /// The number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The stored hash of a complete subtree, if the tree has it.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<Digest> {
        let row = self.levels.get(usize::from(id.level()))?;
        row.get(usize::try_from(id.index()).ok()?).copied()
    }

    /// The leaf hash at `index`.
    #[must_use]
    pub fn leaf_hash(&self, index: u64) -> Option<Digest> {
        self.node(NodeId::leaf(index))
    }

    /// The root of the whole tree.
    #[must_use]
    pub fn root(&self) -> RootHash {
        let size = self.size();
        self.root_at(size).unwrap_or_else(|_| RootHash::empty())
    }

    /// The root of the tree as it was when it had `size` leaves.
    ///
    /// # Errors
    /// [`PlanError::IndexOutOfRange`] if `size` exceeds the current size.
    pub fn root_at(&self, size: u64) -> Result<RootHash, PlanError> {
        let hashes = self.fetch(&indices_for_root(size), size)?;
        crate::plan::root_from_nodes(size, &hashes)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    ///
    /// # Errors
    /// [`PlanError::IndexOutOfRange`] unless `index < size <= self.size()`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, PlanError> {
        let plan = indices_for_inclusion(index, size)?;
        let hashes = self.fetch(plan.nodes(), size)?;
        Ok(InclusionProof::from_hashes(plan.assemble(&hashes)?))
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `new` leaves.
    ///
    /// # Errors
    /// [`PlanError`] unless `old <= new <= self.size()`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<ConsistencyProof, PlanError> {
        let plan = indices_for_consistency(old, new)?;
        let hashes = self.fetch(plan.nodes(), new)?;
        Ok(ConsistencyProof::from_hashes(plan.assemble(&hashes)?))
    }

    fn fetch(&self, ids: &[NodeId], size: u64) -> Result<Vec<Digest>, PlanError> {
        if size > self.size() {
            return Err(PlanError::IndexOutOfRange {
                index: size.saturating_sub(1),
                size: self.size(),
            });
        }
        ids.iter()
            .map(|id| {
                self.node(*id)
                    .ok_or(PlanError::IndexOutOfRange { index: id.last_leaf(), size: self.size() })
            })
            .collect()
    }
}
