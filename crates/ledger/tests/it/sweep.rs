//! Every inclusion and consistency proof for small trees, checked against the RFC 6962 recursive
//! definitions and against single-byte tampering of the leaf, each proof hash and the roots.

use ledger::{ConsistencyProof, Frontier, InclusionProof, MemoryTree, RootHash};

use crate::flip;
use crate::reference::{leaf, leaf_hashes, mth, path, proof};

const MAX: usize = 64;

fn tree(n: usize) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        t.push(&leaf(i));
    }
    t
}

#[test]
fn roots_match_reference_and_frontier() {
    let hashes = leaf_hashes(2 * MAX);
    let t = tree(2 * MAX);
    let mut f = Frontier::new();
    for n in 0..=2 * MAX {
        let want = RootHash::new(n as u64, mth(&hashes[..n]));
        assert_eq!(t.root_at(n as u64).unwrap(), want, "size {n}");
        assert_eq!(f.root(), want, "frontier size {n}");
        if n < 2 * MAX {
            f.push(hashes[n], |_, _| {});
        }
    }
}

#[test]
fn every_inclusion_proof_verifies_and_every_tamper_fails() {
    let t = tree(MAX);
    let hashes = leaf_hashes(MAX);
    for n in 1..=MAX {
        let root = t.root_at(n as u64).unwrap();
        for i in 0..n {
            let p = t.inclusion_proof(i as u64, n as u64).unwrap();
            assert_eq!(p.hashes(), &path(i, &hashes[..n])[..], "inclusion {i} in {n}");
            let data = leaf(i);
            root.verify_inclusion(&data, i as u64, &p).unwrap();
            // Byte round trip.
            assert_eq!(InclusionProof::try_from_bytes(&p.to_bytes()).unwrap(), p);

            // A flipped leaf byte.
            for at in 0..data.len() {
                let mut bad = data.clone();
                bad[at] ^= 0x80;
                assert!(
                    root.verify_inclusion(&bad, i as u64, &p).is_err(),
                    "leaf byte {at}, {i} in {n}"
                );
            }
            // A flipped byte in each proof hash.
            for k in 0..p.hashes().len() {
                for at in [0, (i + k) % 32, 31] {
                    let mut v = p.hashes().to_vec();
                    v[k] = flip(&v[k], at);
                    let bad = InclusionProof::from_hashes(v);
                    assert!(
                        root.verify_inclusion(&data, i as u64, &bad).is_err(),
                        "hash {k}, {i} in {n}"
                    );
                }
            }
            // A flipped root byte.
            for at in [0, i % 32, 31] {
                let bad = RootHash::new(root.size(), flip(root.digest(), at));
                assert!(bad.verify_inclusion(&data, i as u64, &p).is_err());
            }
            // The wrong index or size.
            if n > 1 {
                let other = (i + 1) % n;
                assert!(root.verify_inclusion(&data, other as u64, &p).is_err());
            }
            // A doubled size needs a longer path. (Some other sizes share this path's shape, so a
            // proof alone does not pin the size: that is what the signed checkpoint is for.)
            let bigger = RootHash::new(2 * n as u64, *root.digest());
            assert!(bigger.verify_inclusion(&data, i as u64, &p).is_err());
        }
    }
}

#[test]
fn every_consistency_proof_verifies_and_every_tamper_fails() {
    // Old sizes 0..=64 and appends 0..=64, as the house style asks.
    let t = tree(2 * MAX);
    let hashes = leaf_hashes(2 * MAX);
    for old in 0..=MAX {
        let r1 = t.root_at(old as u64).unwrap();
        for new in old..=old + MAX {
            let r2 = t.root_at(new as u64).unwrap();
            let p = t.consistency_proof(old as u64, new as u64).unwrap();
            assert_eq!(p.hashes(), &proof(old, &hashes[..new])[..], "consistency {old} to {new}");
            r2.verify_consistency(&r1, &p).unwrap();
            assert_eq!(ConsistencyProof::try_from_bytes(&p.to_bytes()).unwrap(), p);

            for k in 0..p.hashes().len() {
                for at in [0, (old + new + k) % 32, 31] {
                    let mut v = p.hashes().to_vec();
                    v[k] = flip(&v[k], at);
                    let bad = ConsistencyProof::from_hashes(v);
                    assert!(r2.verify_consistency(&r1, &bad).is_err(), "hash {k}, {old} to {new}");
                }
            }
            for at in [0, new % 32, 31] {
                let bad1 = RootHash::new(r1.size(), flip(r1.digest(), at));
                assert!(r2.verify_consistency(&bad1, &p).is_err(), "old root, {old} to {new}");
                // Every tree extends the empty tree, so the new root is only checked when old > 0.
                if old > 0 {
                    let bad2 = RootHash::new(r2.size(), flip(r2.digest(), at));
                    assert!(bad2.verify_consistency(&r1, &p).is_err(), "new root, {old} to {new}");
                }
            }
            // Claiming the wrong old size fails too (unless the proof is trivially empty).
            if old > 0 && old < new {
                let wrong = RootHash::new(old as u64 + 1, *r1.digest());
                assert!(r2.verify_consistency(&wrong, &p).is_err());
            }
        }
    }
}

#[test]
fn frontier_reports_every_complete_node_once() {
    let t = tree(2 * MAX);
    let hashes = leaf_hashes(2 * MAX);
    let mut f = Frontier::new();
    let mut seen = 0usize;
    for (i, h) in hashes.iter().enumerate() {
        f.push(*h, |id, hash| {
            assert_eq!(id.last_leaf(), i as u64, "node {id:?} completed by leaf {i}");
            assert_eq!(t.node(id), Some(*hash), "node {id:?}");
            seen += 1;
        });
        // A frontier rebuilt from its own hashes continues identically.
        let again = Frontier::from_hashes(f.size(), f.hashes().to_vec()).unwrap();
        assert_eq!(again, f);
    }
    // n leaves complete n leaf nodes and n - 1 interior nodes in a full tree of 128.
    assert_eq!(seen, 2 * hashes.len() - 1);
}
