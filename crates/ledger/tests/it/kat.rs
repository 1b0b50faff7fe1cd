//! Known-answer vectors: the eight-leaf tree used by Certificate Transparency and transparency-dev.
//!
//! The roots and proofs are copied from transparency-dev/merkle `proof/verify_test.go` (which carries
//! them over from the Certificate Transparency C++ `merkle_tree_test`), with 1-based leaf numbers
//! there turned into 0-based indices here.

use ledger::{
    indices_for_consistency, indices_for_inclusion, leaf_hash, ConsistencyProof, InclusionProof,
    MemoryTree, NodeId, RootHash, VerifyError,
};

use crate::{d, flip};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees of size 0..=8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, proof).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn leaves() -> Vec<Vec<u8>> {
    LEAVES.iter().map(|h| hex::decode(h).unwrap()).collect()
}

fn tree() -> MemoryTree {
    let mut t = MemoryTree::new();
    for leaf in leaves() {
        t.push(&leaf);
    }
    t
}

fn root(size: u64) -> RootHash {
    RootHash::new(size, d(ROOTS[size as usize]))
}

#[test]
fn roots_match_rfc6962_vectors() {
    let t = tree();
    for size in 0..=8u64 {
        assert_eq!(t.root_at(size).unwrap(), root(size), "size {size}");
    }
    assert_eq!(t.root(), root(8));
    assert_eq!(ledger::empty_root(), d(ROOTS[0]));
    // The one-leaf root is the hash of the empty leaf.
    assert_eq!(leaf_hash(b""), d(ROOTS[1]));
}

#[test]
fn frontier_roots_match_rfc6962_vectors() {
    let mut f = ledger::Frontier::new();
    assert_eq!(f.root(), root(0));
    for (i, leaf) in leaves().iter().enumerate() {
        f.push(leaf_hash(leaf), |_, _| {});
        assert_eq!(f.root(), root(i as u64 + 1));
    }
}

#[test]
fn inclusion_proofs_match_vectors_and_verify() {
    let t = tree();
    let leaves = leaves();
    for (index, size, want) in INCLUSION {
        let want: Vec<_> = want.iter().map(|h| d(h)).collect();
        let proof = t.inclusion_proof(index, size).unwrap();
        assert_eq!(proof.hashes(), &want[..], "inclusion {index} in {size}");
        let r = root(size);
        r.verify_inclusion(&leaves[index as usize], index, &proof).unwrap();
        for bad in corrupt_inclusion(&r, index, &proof) {
            assert!(bad.1.verify_inclusion(&leaves[index as usize], bad.0, &bad.2).is_err());
        }
    }
}

/// The probes of transparency-dev's `corruptInclusionProof`, as (index, root, proof).
fn corrupt_inclusion(
    r: &RootHash,
    index: u64,
    proof: &InclusionProof,
) -> Vec<(u64, RootHash, InclusionProof)> {
    let h = proof.hashes().to_vec();
    let mk = |v: Vec<ledger::Digest>| InclusionProof::from_hashes(v);
    let mut out = vec![
        (index.wrapping_sub(1), *r, proof.clone()),
        (index + 1, *r, proof.clone()),
        (index ^ 2, *r, proof.clone()),
        (index, RootHash::new(r.size() * 2, *r.digest()), proof.clone()),
        (index, RootHash::new(r.size() / 2, *r.digest()), proof.clone()),
        (index, RootHash::new(r.size(), ledger::empty_root()), proof.clone()),
        (index, *r, mk([h.clone(), vec![*r.digest()]].concat())),
        (index, *r, mk([vec![*r.digest()], h.clone()].concat())),
    ];
    for i in 0..h.len() {
        let mut v = h.clone();
        v[i] = flip(&v[i], 0);
        out.push((index, *r, mk(v)));
    }
    if !h.is_empty() {
        out.push((index, *r, mk(h[..h.len() - 1].to_vec())));
    }
    out
}

#[test]
fn consistency_proofs_match_vectors_and_verify() {
    let t = tree();
    for (old, new, want) in CONSISTENCY {
        let want: Vec<_> = want.iter().map(|h| d(h)).collect();
        let proof = t.consistency_proof(old, new).unwrap();
        assert_eq!(proof.hashes(), &want[..], "consistency {old} to {new}");
        let (r1, r2) = (root(old), root(new));
        r2.verify_consistency(&r1, &proof).unwrap();
        if want.is_empty() {
            continue;
        }
        let mk = |v: Vec<ledger::Digest>| ConsistencyProof::from_hashes(v);
        let probes = vec![
            (RootHash::new(old - 1, *r1.digest()), r2, proof.clone()),
            (RootHash::new(old + 1, *r1.digest()), r2, proof.clone()),
            (RootHash::new(old ^ 2, *r1.digest()), r2, proof.clone()),
            (r1, RootHash::new(new * 2, *r2.digest()), proof.clone()),
            (r1, RootHash::new(new / 2, *r2.digest()), proof.clone()),
            (RootHash::new(old, *r2.digest()), RootHash::new(new, *r1.digest()), proof.clone()),
            (r1, r2, mk(Vec::new())),
            (r1, r2, mk([want.clone(), vec![*r1.digest()]].concat())),
            (r1, r2, mk([want.clone(), vec![*r2.digest()]].concat())),
            (r1, r2, mk([vec![*r1.digest()], want.clone()].concat())),
            (r1, r2, mk([vec![*r2.digest()], want.clone()].concat())),
            (r1, r2, mk([vec![want[0]], want.clone()].concat())),
            (r1, r2, mk(want[..want.len() - 1].to_vec())),
        ];
        for (i, (a, b, p)) in probes.into_iter().enumerate() {
            assert!(b.verify_consistency(&a, &p).is_err(), "probe {i} for {old} to {new}");
        }
        for i in 0..want.len() {
            let mut v = want.clone();
            v[i] = flip(&v[i], 0);
            assert!(r2.verify_consistency(&r1, &mk(v)).is_err());
        }
    }
}

#[test]
fn trivial_consistency_cases() {
    let e = RootHash::empty();
    let one = root(1);
    let none = ConsistencyProof::default();
    e.verify_consistency(&e, &none).unwrap();
    one.verify_consistency(&e, &none).unwrap();
    one.verify_consistency(&one, &none).unwrap();
    assert_eq!(
        e.verify_consistency(&one, &none),
        Err(VerifyError::OldSizeTooLarge { old: 1, new: 0 })
    );
    let junk = ConsistencyProof::from_hashes(vec![ledger::empty_root()]);
    assert!(e.verify_consistency(&e, &junk).is_err());
    assert!(one.verify_consistency(&e, &junk).is_err());
    assert!(one.verify_consistency(&one, &junk).is_err());
    // Two different roots of the same size are not consistent.
    assert!(one.verify_consistency(&RootHash::new(1, d(ROOTS[2])), &none).is_err());
}

#[test]
fn inclusion_out_of_range_is_rejected() {
    let none = InclusionProof::default();
    for (index, size) in [(0, 0), (1, 0), (2, 1)] {
        let r = RootHash::new(size, ledger::empty_root());
        assert_eq!(
            r.verify_inclusion_hash(&ledger::empty_root(), index, &none),
            Err(VerifyError::IndexOutOfRange { index, size })
        );
    }
}

/// Node lists from transparency-dev `proof/proof_test.go`; the rehashed (ephemeral) range is listed
/// left to right here and right to left there, which folds to the same hash.
#[test]
fn proof_node_indices_match_transparency_dev() {
    let id = |level: u8, index: u64| NodeId::new(level, index).unwrap();
    let cases: Vec<(u64, u64, Vec<NodeId>)> = vec![
        (1, 0, vec![]),
        (2, 0, vec![id(0, 1)]),
        (3, 1, vec![id(0, 0), id(0, 2)]),
        (7, 0, vec![id(0, 1), id(1, 1), id(1, 2), id(0, 6)]),
        (7, 4, vec![id(0, 5), id(0, 6), id(2, 0)]),
        (7, 6, vec![id(1, 2), id(2, 0)]),
        (6, 3, vec![id(0, 2), id(1, 0), id(1, 2)]),
        (15, 10, vec![id(0, 11), id(1, 4), id(1, 6), id(0, 14), id(3, 0)]),
        (
            95,
            81,
            vec![
                id(0, 80),
                id(1, 41),
                id(2, 21),
                id(2, 22),
                id(1, 46),
                id(0, 94),
                id(4, 4),
                id(6, 0),
            ],
        ),
    ];
    for (size, index, want) in cases {
        assert_eq!(
            indices_for_inclusion(index, size).unwrap().nodes(),
            &want[..],
            "{index} in {size}"
        );
    }
    let cases: Vec<(u64, u64, Vec<NodeId>)> = vec![
        (1, 2, vec![id(0, 1)]),
        (1, 4, vec![id(0, 1), id(1, 1)]),
        (2, 8, vec![id(1, 1), id(2, 1)]),
        (3, 7, vec![id(0, 2), id(0, 3), id(1, 0), id(1, 2), id(0, 6)]),
        (4, 7, vec![id(1, 2), id(0, 6)]),
        (5, 7, vec![id(0, 4), id(0, 5), id(0, 6), id(2, 0)]),
        (7, 8, vec![id(0, 6), id(0, 7), id(1, 2), id(2, 0)]),
        (24, 31, vec![id(3, 2), id(2, 6), id(1, 14), id(0, 30), id(4, 0)]),
        (5, 5, vec![]),
    ];
    for (old, new, want) in cases {
        assert_eq!(indices_for_consistency(old, new).unwrap().nodes(), &want[..], "{old} to {new}");
    }
    assert!(indices_for_inclusion(8, 7).is_err());
    assert!(indices_for_consistency(9, 8).is_err());
}
