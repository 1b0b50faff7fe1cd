//! C2SP tlog-tiles: path spelling (known answers and rejections), which tiles a tree has (the
//! spec's examples), entry bundles, and roots and proofs computed from tiles, which must equal the
//! reference tree's, with tamper checks.

use std::sync::OnceLock;

use ledger::{
    decode_bundle, decode_hashes, encode_bundle, encode_hashes, partial_tiles, tiles,
    tiles_for_consistency, tiles_for_inclusion, tiles_for_root, MemoryTree, Tile, TileError,
    TileKind, TilePath, TileSet,
};
use proptest::prelude::*;

/// Leaves in the shared reference tree: past 65,536 so that level-2 tiles exist.
const TREE: u64 = 70_000;

/// One reference tree of `TREE` leaves, built once; smaller trees are its prefixes.
fn tree() -> &'static MemoryTree {
    static TREE_CELL: OnceLock<MemoryTree> = OnceLock::new();
    TREE_CELL.get_or_init(|| {
        let mut t = MemoryTree::new();
        for i in 0..TREE {
            t.push(&entry(i));
        }
        t
    })
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

/// A tile's contents read from the reference tree.
fn contents(tile: Tile) -> Vec<u8> {
    let hashes: Vec<_> =
        tile.nodes().unwrap().into_iter().map(|id| tree().node(id).unwrap()).collect();
    encode_hashes(&hashes)
}

/// A tile set for `size` holding `needed`.
fn set_with(size: u64, needed: &[Tile]) -> TileSet {
    let mut set = TileSet::new(size);
    for t in needed {
        set.insert(*t, &contents(*t)).unwrap();
    }
    set
}

fn tile(level: u8, index: u64, width: u16) -> Tile {
    Tile::new(level, index, width).unwrap()
}

#[test]
fn paths_are_spelled_as_the_spec_says() {
    let cases = [
        (tile(0, 0, 256), "tile/0/000"),
        (tile(0, 1_234_067, 256), "tile/0/x001/x234/067"),
        (tile(1, 17, 17), "tile/1/017.p/17"),
        (tile(2, 1000, 1), "tile/2/x001/000.p/1"),
        (tile(63, 999, 255), "tile/63/999.p/255"),
        (tile(3, u64::MAX, 256), "tile/3/x018/x446/x744/x073/x709/x551/615"),
    ];
    for (t, want) in cases {
        assert_eq!(t.path(), want);
        let parsed = TilePath::parse(want).unwrap();
        assert_eq!(parsed, TilePath::hashes(t));
        assert_eq!(parsed.kind(), TileKind::Hashes);
        assert_eq!(parsed.to_string(), want);
    }
    let bundle = TilePath::entries(tile(0, 1_234_067, 5)).unwrap();
    assert_eq!(bundle.to_string(), "tile/entries/x001/x234/067.p/5");
    assert_eq!(TilePath::parse("tile/entries/x001/x234/067.p/5").unwrap(), bundle);
    assert_eq!(TilePath::parse("tile/entries/000").unwrap().kind(), TileKind::Entries);
    assert_eq!(TilePath::entries(tile(1, 0, 256)), Err(TileError::EntriesLevel(1)));
}

#[test]
fn malformed_paths_are_rejected_saying_what_was_expected() {
    let bad = [
        ("", "`tile/` first"),
        ("tiles/0/000", "`tile/` first"),
        ("tile/0", "`tile/<L>/<N>`"),
        ("tile/00/000", "level `<L>` from 0 to 63"),
        ("tile/01/000", "level `<L>` from 0 to 63"),
        ("tile/64/000", "level `<L>` from 0 to 63"),
        ("tile/-1/000", "level `<L>` from 0 to 63"),
        ("tile/+1/000", "level `<L>` from 0 to 63"),
        ("tile/0/", "3 digits"),
        ("tile/0/1", "3 digits"),
        ("tile/0/0001", "3 digits"),
        ("tile/0/x001", "index `<N>`"),
        ("tile/0/x000/001", "leading `x000`"),
        ("tile/0/x01/001", "`x` and 3 digits"),
        ("tile/0/001/x001", "nothing after"),
        ("tile/0/001/002", "nothing after"),
        ("tile/0/x1a3/001", "`x` and 3 digits"),
        ("tile/0/000.p", "width `<W>`"),
        ("tile/0/000.p/", "width `<W>`"),
        ("tile/0/000.p/0", "width `<W>`"),
        ("tile/0/000.p/256", "width `<W>`"),
        ("tile/0/000.p/05", "width `<W>`"),
        ("tile/0/000.p/5/", "nothing after"),
        ("tile/0/000/", "nothing after"),
        ("tile/0/000.q/5", "3 digits"),
        ("tile/entries/", "3 digits"),
        ("tile/entries/x001", "index `<N>`"),
        ("tile/0/x018/x446/x744/x073/x709/x551/616", "fits in 64 bits"),
        ("tile/0/x001/x018/x446/x744/x073/x709/x551/615", "fits in 64 bits"),
        ("tile/0/x999/x999/x999/x999/x999/x999/999", "fits in 64 bits"),
        ("tile/０/000", "level `<L>`"),
    ];
    for (path, expected) in bad {
        match TilePath::parse(path) {
            Err(e @ TileError::Path { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(expected), "`{path}`: `{msg}` should mention {expected}");
                assert!(msg.contains(&format!("`{path}`")), "`{path}`: `{msg}` should quote it");
            }
            other => panic!("`{path}` should be rejected, got {other:?}"),
        }
    }
    assert_eq!(Tile::new(64, 0, 1), Err(TileError::Level(64)));
    assert_eq!(Tile::new(0, 0, 0), Err(TileError::Width(0)));
    assert_eq!(Tile::new(0, 0, 257), Err(TileError::Width(257)));
}

#[test]
fn a_tree_has_the_tiles_of_the_spec_examples() {
    // "A tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile
    // of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one partial
    // level 2 tile of width 1."
    let all: Vec<Tile> = tiles(70_000).collect();
    let full0 = all.iter().filter(|t| t.level() == 0 && t.is_full()).count();
    assert_eq!(full0, 273);
    let mut want: Vec<Tile> = (0..273).map(|i| tile(0, i, 256)).collect();
    want.extend([tile(0, 273, 112), tile(1, 0, 256), tile(1, 1, 17), tile(2, 0, 1)]);
    assert_eq!(all, want);
    assert_eq!(partial_tiles(70_000), vec![tile(0, 273, 112), tile(1, 1, 17), tile(2, 0, 1)]);
    // "A tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of
    // width 1."
    assert_eq!(tiles(256).collect::<Vec<_>>(), vec![tile(0, 0, 256), tile(1, 0, 1)]);
    assert_eq!(partial_tiles(256), vec![tile(1, 0, 1)]);
    assert_eq!(tiles(0).count(), 0);
    assert!(partial_tiles(0).is_empty());
    assert_eq!(tiles(1).collect::<Vec<_>>(), vec![tile(0, 0, 1)]);
    // The largest tree: levels 0 to 7, and the tile counts do not overflow.
    assert_eq!(partial_tiles(u64::MAX).len(), 8);
    assert_eq!(Tile::in_tree(7, 0, u64::MAX), Some(tile(7, 0, 255)));
    assert_eq!(Tile::in_tree(8, 0, u64::MAX), None);
}

#[test]
fn tile_membership_and_nodes() {
    assert_eq!(Tile::in_tree(0, 0, 300), Some(tile(0, 0, 256)));
    assert_eq!(Tile::in_tree(0, 1, 300), Some(tile(0, 1, 44)));
    assert_eq!(Tile::in_tree(0, 2, 300), None);
    assert_eq!(Tile::in_tree(1, 0, 300), Some(tile(1, 0, 1)));
    assert_eq!(Tile::in_tree(1, 0, 255), None);
    assert!(tile(0, 1, 44).fits(300));
    assert!(tile(0, 1, 10).fits(300));
    assert!(!tile(0, 1, 45).fits(300));
    assert!(!tile(0, 1, 256).fits(300));
    assert!(tile(0, 0, 256).fits(300));
    assert!(!tile(40, 0, 1).fits(u64::MAX));
    let t = tile(1, 2, 3);
    let nodes = t.nodes().unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!((nodes[0].level(), nodes[0].index()), (8, 512));
    assert_eq!(nodes[2].index(), 514);
    assert_eq!(t.first_leaf().unwrap(), 512 * 256);
    assert!(matches!(tile(8, 0, 1).nodes(), Err(TileError::Beyond(_))));
    assert!(matches!(tile(7, 1, 1).nodes(), Err(TileError::Beyond(_))));
}

#[test]
fn entry_bundles_round_trip_and_reject_malformed_bytes() {
    let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), Vec::new(), vec![7u8; 300]];
    let bytes = encode_bundle(&entries).unwrap();
    assert_eq!(&bytes[..5], &[0, 1, b'a', 0, 0]);
    assert_eq!(&bytes[5..7], &[0x01, 0x2c]);
    assert_eq!(bytes.len(), 3 + 2 + 302);
    let t = tile(0, 0, 3);
    let back = decode_bundle(t, &bytes).unwrap();
    assert_eq!(back, entries.iter().map(Vec::as_slice).collect::<Vec<_>>());

    let max = vec![0u8; 65_535];
    assert_eq!(encode_bundle(&[&max]).unwrap().len(), 65_537);
    let long = vec![0u8; 65_536];
    assert_eq!(
        encode_bundle(&[b"ok".as_slice(), &long]),
        Err(TileError::EntryTooLong { index: 1, len: 65_536 })
    );

    let msg = |r: Result<Vec<&[u8]>, TileError>| r.unwrap_err().to_string();
    assert!(
        msg(decode_bundle(tile(0, 0, 4), &bytes)).contains("ends before the length of entry `3`")
    );
    assert!(msg(decode_bundle(tile(0, 0, 2), &bytes)).contains("`302` bytes follow"));
    assert!(msg(decode_bundle(t, &bytes[..bytes.len() - 1])).contains("entry `2` is `300` bytes"));
    assert!(msg(decode_bundle(t, &bytes[..1])).contains("tile/entries/000.p/3"));
}

#[test]
fn tile_hashes_must_have_the_tiles_width() {
    let t = tile(0, 0, 2);
    let h = [ledger::leaf_hash(b"x"), ledger::leaf_hash(b"y")];
    assert_eq!(decode_hashes(t, &encode_hashes(&h)).unwrap(), h);
    let err = decode_hashes(t, &encode_hashes(&h[..1])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tile `tile/0/000.p/2` is `32` bytes long, expected `64` (32 bytes per hash)"
    );
}

/// Roots and proofs from tiles equal the reference tree's for every size up to a few tiles, for
/// sizes around each tile boundary, and the proofs verify.
#[test]
fn tiles_give_the_reference_roots_and_proofs() {
    let mut sizes: Vec<u64> = (0..=600).collect();
    for b in [256u64 * 256, 256 * 256 + 256 * 3] {
        sizes.extend(b.saturating_sub(3)..=b + 3);
    }
    sizes.push(TREE);
    for size in sizes {
        check_size(size, &[0, size / 2, size.saturating_sub(1), size / 3 + 1]);
    }
}

fn check_size(size: u64, picks: &[u64]) {
    let t = tree();
    let set = set_with(size, &tiles_for_root(size).unwrap());
    let root = set.root().unwrap();
    assert_eq!(root, t.root_at(size).unwrap(), "root at {size}");
    for &i in picks.iter().filter(|i| **i < size) {
        let set = set_with(size, &tiles_for_inclusion(i, size).unwrap());
        let proof = set.inclusion_proof(i).unwrap();
        assert_eq!(proof, t.inclusion_proof(i, size).unwrap(), "inclusion {i} in {size}");
        root.verify_inclusion(&entry(i), i, &proof).unwrap();
    }
    for &old in picks.iter().filter(|o| **o <= size) {
        let set = set_with(size, &tiles_for_consistency(old, size).unwrap());
        let proof = set.consistency_proof(old).unwrap();
        assert_eq!(proof, t.consistency_proof(old, size).unwrap(), "consistency {old} to {size}");
        root.verify_consistency(&t.root_at(old).unwrap(), &proof).unwrap();
    }
}

#[test]
fn a_missing_or_wrong_tile_is_named() {
    let size = 1000;
    let set = TileSet::new(size);
    assert_eq!(set.root(), Err(TileError::Missing("tile/1/000.p/3".to_owned())));
    let mut set = TileSet::new(size);
    // A tile of another width than the tree's is refused, as are tiles past the tree.
    let err = set.insert(tile(0, 3, 200), &[0; 200 * 32]).unwrap_err();
    assert_eq!(err, TileError::NotInTree { path: "tile/0/003.p/200".to_owned(), size: 1000 });
    assert!(set.insert(tile(0, 4, 1), &[0; 32]).is_err());
    assert!(set.insert(tile(0, 3, 232), &[0; 31]).is_err());
    assert_eq!(set.missing(&tiles_for_root(size).unwrap()).len(), 2);
    assert!(matches!(set.inclusion_proof(1000), Err(TileError::Plan(_))));
    assert!(matches!(set.root_at(1001), Err(TileError::Plan(_))));
}

/// Flipping one byte of any tile a proof is computed from makes it fail against the signed root.
#[test]
fn a_tampered_tile_fails_verification() {
    let size = 70_000;
    let root = tree().root_at(size).unwrap();
    let index = 12_345;
    let needed = tiles_for_inclusion(index, size).unwrap();
    for victim in &needed {
        for at in [0usize, 31, usize::from(victim.width()) * 32 - 1] {
            let mut set = TileSet::new(size);
            for t in &needed {
                let mut bytes = contents(*t);
                if t == victim {
                    bytes[at] ^= 1;
                }
                set.insert(*t, &bytes).unwrap();
            }
            let proof = set.inclusion_proof(index);
            // The flipped byte is either under the proof (it must fail) or a hash it never reads.
            if let Ok(proof) = proof {
                if proof != tree().inclusion_proof(index, size).unwrap() {
                    assert!(root.verify_inclusion(&entry(index), index, &proof).is_err());
                }
            }
        }
    }
    // A flipped byte in the level-0 tile holding the leaf's sibling always matters.
    let mut set = set_with(size, &needed);
    let sibling_tile = needed.iter().find(|t| t.level() == 0).unwrap();
    let mut bytes = contents(*sibling_tile);
    let sibling = usize::try_from((index ^ 1) % 256).unwrap();
    bytes[sibling * 32] ^= 1;
    set.insert(*sibling_tile, &bytes).unwrap();
    let proof = set.inclusion_proof(index).unwrap();
    assert!(root.verify_inclusion(&entry(index), index, &proof).is_err());
}

/// A monitor that reads every tile and bundle authenticates all of them against the signed root;
/// one flipped byte anywhere is named.
#[test]
fn verify_authenticates_every_tile_and_bundle() {
    for size in [1u64, 255, 256, 257, 600, 65_536, TREE] {
        let root = tree().root_at(size).unwrap();
        let all: Vec<Tile> = tiles(size).collect();
        let set = set_with(size, &all);
        set.verify(&root).unwrap();
        for t in all.iter().filter(|t| t.level() == 0) {
            let first = t.first_leaf().unwrap();
            let entries: Vec<Vec<u8>> = (first..first + u64::from(t.width())).map(entry).collect();
            let bytes = encode_bundle(&entries).unwrap();
            assert_eq!(set.check_bundle(*t, &bytes).unwrap().len(), entries.len());
        }
        // Another root, or another size, is refused.
        let other = ledger::RootHash::new(size, ledger::leaf_hash(b"another tree"));
        assert_eq!(set.verify(&other), Err(TileError::Root(size)));
        let bigger = ledger::RootHash::new(size + 1, *root.digest());
        assert_eq!(set.verify(&bigger), Err(TileError::Root(size + 1)));
    }
    // One flipped byte in any tile of a 600-leaf tree: the root or the tile above catches it.
    let size = 600;
    let root = tree().root_at(size).unwrap();
    let all: Vec<Tile> = tiles(size).collect();
    for victim in &all {
        for at in [0, usize::from(victim.width()) * 32 - 1] {
            let mut set = TileSet::new(size);
            for t in &all {
                let mut bytes = contents(*t);
                if t == victim {
                    bytes[at] ^= 1;
                }
                set.insert(*t, &bytes).unwrap();
            }
            let err = set.verify(&root).unwrap_err();
            assert!(
                matches!(err, TileError::Root(600) | TileError::Inconsistent(_)),
                "{}: {err:?}",
                victim.path()
            );
        }
    }
    // A full tile without the tile above it cannot be authenticated.
    let mut set = set_with(size, &tiles_for_root(size).unwrap());
    set.verify(&root).unwrap();
    set.insert(tile(0, 0, 256), &contents(tile(0, 0, 256))).unwrap();
    set.verify(&root).unwrap();
    let size2 = 65_536 + 256;
    let mut needed = tiles_for_root(size2).unwrap();
    needed.push(tile(0, 0, 256));
    let set = set_with(size2, &needed);
    assert_eq!(
        set.verify(&tree().root_at(size2).unwrap()),
        Err(TileError::Missing("tile/1/000".to_owned()))
    );
    // A changed entry is named.
    let set = set_with(size, &all);
    let t = tile(0, 2, 88);
    let mut entries: Vec<Vec<u8>> = (512..600).map(entry).collect();
    entries[7].push(b'!');
    let bytes = encode_bundle(&entries).unwrap();
    assert_eq!(
        set.check_bundle(t, &bytes),
        Err(TileError::Entry { path: "tile/entries/002.p/88".to_owned(), index: 7 })
    );
    assert!(matches!(set.check_bundle(tile(0, 3, 1), &[0, 0]), Err(TileError::Missing(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_path_round_trips(level in 0u8..=63, index in any::<u64>(), width in 1u16..=256) {
        let t = tile(level, index, width);
        let p = TilePath::hashes(t);
        prop_assert_eq!(TilePath::parse(&p.to_string()).unwrap(), p);
        if level == 0 {
            let e = TilePath::entries(t).unwrap();
            prop_assert_eq!(TilePath::parse(&e.to_string()).unwrap(), e);
        }
    }

    #[test]
    fn parsing_never_panics(s in "tile/[0-9a-z.x/p]{0,40}") {
        if let Ok(p) = TilePath::parse(&s) {
            prop_assert_eq!(p.to_string(), s);
        }
    }

    #[test]
    fn random_sizes_and_proofs(size in 1u64..=TREE, a in any::<u64>(), b in any::<u64>()) {
        check_size(size, &[a % size, b % (size + 1)]);
    }

    #[test]
    fn every_tile_of_a_tree_is_listed_once(size in 0u64..=TREE) {
        let all: Vec<Tile> = tiles(size).collect();
        let hashes: u64 = all.iter().map(|t| u64::from(t.width())).sum();
        let mut want = 0;
        let mut count = size;
        while count > 0 {
            want += count;
            count >>= 8;
        }
        prop_assert_eq!(hashes, want);
        for t in &all {
            prop_assert_eq!(Tile::in_tree(t.level(), t.index(), size), Some(*t));
        }
    }
}
