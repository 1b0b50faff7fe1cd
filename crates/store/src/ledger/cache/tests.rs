//! The cache's bookkeeping without a database: what it keeps, for how long, and who sees it.

use super::*;

fn node(level: u8, index: u64) -> NodeId {
    NodeId::new(level, index).unwrap()
}

fn hash(id: NodeId) -> Digest {
    let mut b = [0u8; 32];
    b[0] = id.level();
    b[1..9].copy_from_slice(&id.index().to_le_bytes());
    Digest::from_bytes(b)
}

/// Inserts `ids` (each with its own hash, keeping every lower one), then checks which of `probe`
/// the cache answers, and that it answers them with the inserted hash.
fn check(cache: &ProofCache, ids: &[NodeId], probe: &[NodeId], expect_missing: &[NodeId]) {
    let hashes: Vec<(NodeId, Digest)> = ids.iter().map(|&id| (id, hash(id))).collect();
    cache.insert(hashes.iter().map(|(id, h)| (id, h)), |_| true);
    let mut found = BTreeMap::new();
    let missing = cache.lookup(probe, &mut found);
    assert_eq!(missing, expect_missing);
    for (id, h) in found {
        assert_eq!(h, hash(id), "{id:?}");
    }
}

#[test]
fn upper_nodes_stay_and_lower_ones_leave_first_in_first_out() {
    let cache = ProofCache::new(3, 2);
    let (up, a, b, c) = (node(3, 0), node(0, 1), node(1, 5), node(2, 7));
    check(&cache, &[up, a, b], &[up, a, b], &[]);
    // A third lower node evicts the oldest; the upper node stays.
    check(&cache, &[c], &[up, a, b, c], &[a]);
    // Inserting a held node again does not make it younger or count twice.
    check(&cache, &[b, b], &[b, c], &[]);
    check(&cache, &[a], &[a, b, c], &[b]);
}

#[test]
fn clones_share_one_cache_and_a_disabled_one_holds_nothing() {
    let cache = ProofCache::new(1, 8);
    let clone = cache.clone();
    check(&clone, &[node(0, 4), node(5, 1)], &[], &[]);
    check(&cache, &[], &[node(0, 4), node(5, 1), node(0, 5)], &[node(0, 5)]);
    let off = ProofCache::disabled();
    check(&off, &[node(0, 4), node(5, 1)], &[node(0, 4), node(5, 1)], &[node(0, 4), node(5, 1)]);
    // A fresh cache of the same shape shares nothing with the first.
    check(&ProofCache::new(1, 8), &[], &[node(5, 1)], &[node(5, 1)]);
}

#[test]
fn an_append_keeps_only_the_lower_nodes_it_is_told_to() {
    let cache = ProofCache::new(2, 8);
    let ids = [node(0, 0), node(1, 0), node(0, 6), node(2, 0)];
    let hashes: Vec<(NodeId, Digest)> = ids.iter().map(|&id| (id, hash(id))).collect();
    cache.insert(hashes.iter().map(|(id, h)| (id, h)), |id| id.last_leaf() >= 4);
    check(&cache, &[], &ids, &[node(0, 0), node(1, 0)]);
}
