//! An independent, recursive transcription of RFC 6962 §2.1 (MTH, PATH, PROOF/SUBPROOF), used to
//! cross-check the iterative index arithmetic of the crate.

use ledger::{leaf_hash, node_hash, Digest};

/// The largest power of two strictly below `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) over leaf hashes.
pub(crate) fn mth(d: &[Digest]) -> Digest {
    match d.len() {
        0 => ledger::empty_root(),
        1 => d[0],
        n => {
            let k = split(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]).
pub(crate) fn path(m: usize, d: &[Digest]) -> Vec<Digest> {
    let n = d.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]).
pub(crate) fn proof(m: usize, d: &[Digest]) -> Vec<Digest> {
    if m == 0 || m == d.len() {
        return Vec::new();
    }
    subproof(m, d, true)
}

fn subproof(m: usize, d: &[Digest], b: bool) -> Vec<Digest> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

/// The leaves used by the sweeps: varied lengths, distinct contents.
pub(crate) fn leaf(i: usize) -> Vec<u8> {
    let len = i % 7;
    (0..=len).map(|j| (i * 31 + j) as u8).collect()
}

/// Leaf hashes of `leaf(0..n)`.
pub(crate) fn leaf_hashes(n: usize) -> Vec<Digest> {
    (0..n).map(|i| leaf_hash(&leaf(i))).collect()
}
