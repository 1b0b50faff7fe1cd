//! Properties over large trees: proofs from one big in-memory tree verify at random sizes and
//! indices, and tampered proofs do not.

use std::sync::OnceLock;

use ledger::{leaf_hash, ConsistencyProof, Frontier, InclusionProof, MemoryTree, RootHash};
use proptest::prelude::*;

use crate::flip;

/// A bit more than 2^20 leaves, so sizes cross a power of two.
const BIG: u64 = (1 << 20) + 4097;

fn big() -> &'static MemoryTree {
    static TREE: OnceLock<MemoryTree> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut t = MemoryTree::with_capacity(BIG as usize);
        for i in 0..BIG {
            t.push(&i.to_le_bytes());
        }
        t
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_holds_at_large_sizes(size in 1..=BIG, seed in any::<u64>(), at in 0usize..32) {
        let t = big();
        let index = seed % size;
        let root = t.root_at(size).unwrap();
        let p = t.inclusion_proof(index, size).unwrap();
        prop_assert!(p.hashes().len() <= 64);
        root.verify_inclusion(&index.to_le_bytes(), index, &p).unwrap();
        prop_assert!(root.verify_inclusion(&(index + 1).to_le_bytes(), index, &p).is_err());
        let bad_root = RootHash::new(size, flip(root.digest(), at));
        prop_assert!(bad_root.verify_inclusion(&index.to_le_bytes(), index, &p).is_err());
        for k in 0..p.hashes().len() {
            let mut v = p.hashes().to_vec();
            v[k] = flip(&v[k], at);
            let bad = InclusionProof::from_hashes(v);
            prop_assert!(root.verify_inclusion(&index.to_le_bytes(), index, &bad).is_err());
        }
    }

    #[test]
    fn consistency_holds_at_large_sizes(new in 1..=BIG, seed in any::<u64>(), at in 0usize..32) {
        let t = big();
        let old = seed % (new + 1);
        let (r1, r2) = (t.root_at(old).unwrap(), t.root_at(new).unwrap());
        let p = t.consistency_proof(old, new).unwrap();
        r2.verify_consistency(&r1, &p).unwrap();
        for k in 0..p.hashes().len() {
            let mut v = p.hashes().to_vec();
            v[k] = flip(&v[k], at);
            prop_assert!(r2.verify_consistency(&r1, &ConsistencyProof::from_hashes(v)).is_err());
        }
        if old > 0 && old < new {
            let bad = RootHash::new(new, flip(r2.digest(), at));
            prop_assert!(bad.verify_consistency(&r1, &p).is_err());
        }
    }

    #[test]
    fn frontier_matches_tree_root(size in 0..=BIG) {
        let t = big();
        let hashes: Vec<_> = ledger::indices_for_root(size).iter().map(|id| t.node(*id).unwrap()).collect();
        let f = Frontier::from_hashes(size, hashes).unwrap();
        prop_assert_eq!(f.root(), t.root_at(size).unwrap());
        let mut f2 = f;
        if size < BIG {
            f2.push(leaf_hash(&size.to_le_bytes()), |_, _| {});
            prop_assert_eq!(f2.root(), t.root_at(size + 1).unwrap());
        }
    }
}
