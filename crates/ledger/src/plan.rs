//! Which stored node hashes a proof or a root needs: pure index arithmetic for storage layers.
//!
//! A storage layer keeps the hash of every *complete* subtree, named by a [`NodeId`].
//! The functions here list the nodes to fetch (O(log n) of them), and [`ProofPlan::assemble`] turns
//! the fetched hashes into proof hashes.
//! At most one proof hash is *ephemeral*: the root of the incomplete subtree on the right edge of the
//! tree, which is rebuilt from the complete subtrees that cover it.

use crate::hash::{empty_root, node_hash, Digest, RootHash};

/// A complete subtree: level `level` (0 for leaves) and position `index` within that level.
///
/// It covers leaves `index * 2^level .. (index + 1) * 2^level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    // INVARIANT: level <= 63 and (index + 1) << level fits in a u64 when the node lies in a tree whose
    // size fits in a u64, which `new` checks.
    level: u8,
    index: u64,
}

impl NodeId {
    /// Names a complete subtree; `None` if it would cover leaves past `u64::MAX`.
    #[must_use]
    pub fn new(level: u8, index: u64) -> Option<Self> {
        if level > 63 {
            return None;
        }
        let end = (u128::from(index) + 1) << level;
        if end > u128::from(u64::MAX) {
            return None;
        }
        Some(Self { level, index })
    }

    /// The leaf node for the leaf at `index`.
    #[must_use]
    pub const fn leaf(index: u64) -> Self {
        Self { level: 0, index }
    }

    /// The height above the leaves; leaves are level 0.
    #[must_use]
    pub const fn level(&self) -> u8 {
        self.level
    }

    /// The position within the level.
    #[must_use]
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// The index of the first leaf this node covers.
    #[must_use]
    pub const fn first_leaf(&self) -> u64 {
        self.index << self.level
    }

    /// The index of the last leaf this node covers: appending it completes the node.
    #[must_use]
    pub const fn last_leaf(&self) -> u64 {
        self.first_leaf() + ((1u64 << self.level) - 1)
    }
}

/// Errors for proof and root requests that name sizes or indices outside the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The leaf index is not below the tree size.
    #[error("leaf index `{index}` is outside a tree of size `{size}`")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old size of a consistency proof exceeds the new size.
    #[error("old tree size `{old}` exceeds new tree size `{new}`")]
    OldSizeTooLarge {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The number of fetched hashes differs from the number of planned nodes.
    #[error("expected `{expected}` node hashes, got `{actual}`")]
    HashCount {
        /// How many nodes the plan lists.
        expected: usize,
        /// How many hashes were supplied.
        actual: usize,
    },
}

/// The nodes to fetch for one proof and how to turn their hashes into the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPlan {
    nodes: Vec<NodeId>,
    // INVARIANT: if set, begin + 1 < end <= nodes.len(); nodes[begin..end] are folded into one hash.
    rehash: Option<(usize, usize)>,
}

impl ProofPlan {
    /// The complete subtrees whose hashes [`ProofPlan::assemble`] needs, in that order.
    #[must_use]
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Turns the hashes of [`ProofPlan::nodes`] (same order) into the proof's hashes.
    ///
    /// # Errors
    /// [`PlanError::HashCount`] if `hashes` is not as long as the node list.
    pub fn assemble(&self, hashes: &[Digest]) -> Result<Vec<Digest>, PlanError> {
        if hashes.len() != self.nodes.len() {
            return Err(PlanError::HashCount { expected: self.nodes.len(), actual: hashes.len() });
        }
        let Some((begin, end)) = self.rehash else {
            return Ok(hashes.to_vec());
        };
        let (head, rest) = hashes.split_at(begin.min(hashes.len()));
        let (range, tail) = rest.split_at((end - begin).min(rest.len()));
        let mut out = Vec::with_capacity(hashes.len());
        out.extend_from_slice(head);
        if let Some(folded) = fold_right(range) {
            out.push(folded);
        }
        out.extend_from_slice(tail);
        Ok(out)
    }
}

/// The nodes to fetch for the inclusion proof of leaf `index` in the tree of `size` leaves.
///
/// # Errors
/// [`PlanError::IndexOutOfRange`] unless `index < size`.
pub fn indices_for_inclusion(index: u64, size: u64) -> Result<ProofPlan, PlanError> {
    if index >= size {
        return Err(PlanError::IndexOutOfRange { index, size });
    }
    let mut plan = ProofPlan { nodes: Vec::new(), rehash: None };
    push_path(&mut plan, 0, index, size);
    Ok(plan)
}

/// The nodes to fetch for the consistency proof from the tree of `old` leaves to the tree of `new`.
///
/// # Errors
/// [`PlanError::OldSizeTooLarge`] if `old > new`.
pub fn indices_for_consistency(old: u64, new: u64) -> Result<ProofPlan, PlanError> {
    if old > new {
        return Err(PlanError::OldSizeTooLarge { old, new });
    }
    let mut plan = ProofPlan { nodes: Vec::new(), rehash: None };
    if old == 0 || old == new {
        return Ok(plan);
    }
    // The largest complete subtree that ends at the old size: the proof is this node (omitted when it
    // is the whole old tree, which the verifier already knows) followed by its inclusion path.
    let level = old.trailing_zeros();
    let index = (old - 1) >> level;
    if index != 0 {
        plan.nodes.push(NodeId { level: level_u8(level), index });
    }
    push_path(&mut plan, level, index << level, new);
    Ok(plan)
}

/// The complete subtrees that make up the tree of `size` leaves, left to right (largest first).
///
/// Folding their hashes with [`root_from_nodes`] gives the root.
#[must_use]
pub fn indices_for_root(size: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    push_range(&mut out, 0, size);
    out
}

/// The root of the tree of `size` leaves from the hashes of [`indices_for_root`]`(size)`.
///
/// # Errors
/// [`PlanError::HashCount`] if `hashes` is not as long as that node list.
pub fn root_from_nodes(size: u64, hashes: &[Digest]) -> Result<RootHash, PlanError> {
    let expected = size.count_ones() as usize;
    if hashes.len() != expected {
        return Err(PlanError::HashCount { expected, actual: hashes.len() });
    }
    Ok(RootHash::new(size, fold_right(hashes).unwrap_or_else(empty_root)))
}

/// Folds hashes right to left, as the right edge of an RFC 6962 tree is built: H(a, H(b, c)).
pub(crate) fn fold_right(hashes: &[Digest]) -> Option<Digest> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// Levels are below 64, so this never saturates.
fn level_u8(level: u32) -> u8 {
    u8::try_from(level).unwrap_or(u8::MAX)
}

/// Appends the path from the node at `level` whose first leaf is `leaf` up to the root of `size`.
fn push_path(plan: &mut ProofPlan, level: u32, leaf: u64, size: u64) {
    let last = size - 1;
    // Below `inner` the path and the last leaf sit in different subtrees, so every level has a sibling.
    let inner = u64::BITS - (leaf ^ last).leading_zeros();
    for l in level..inner {
        let sibling = (leaf >> l) ^ 1;
        let start = sibling << l;
        if size - start >= 1u64 << l {
            plan.nodes.push(NodeId { level: level_u8(l), index: sibling });
        } else {
            // The incomplete subtree on the right edge: rebuilt from the complete ones covering it.
            let begin = plan.nodes.len();
            push_range(&mut plan.nodes, start, size);
            let end = plan.nodes.len();
            if end - begin > 1 {
                plan.rehash = Some((begin, end));
            }
        }
    }
    // Above `inner` the path runs along the right edge: only left siblings exist.
    for l in inner..u64::BITS {
        if (leaf >> l) & 1 == 1 {
            plan.nodes.push(NodeId { level: level_u8(l), index: (leaf >> l) ^ 1 });
        }
    }
}

/// Appends the complete subtrees covering `start..end`, where `start` is aligned to a power of two
/// larger than `end - start` (or is 0).
fn push_range(out: &mut Vec<NodeId>, start: u64, end: u64) {
    let mut pos = start;
    let len = end - start;
    for l in (0..u64::BITS).rev() {
        if (len >> l) & 1 == 1 {
            out.push(NodeId { level: level_u8(l), index: pos >> l });
            pos += 1u64 << l;
        }
    }
}
