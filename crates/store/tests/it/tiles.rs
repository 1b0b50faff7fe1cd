//! Tiles read from the ledger tables equal the reference tree's on each backend: every tile of the
//! tree at several sizes (level 0 to 2, full and partial), every entry bundle, narrower partial
//! tiles, and tiles past the tree refused as out of range.

use ledger::{tiles, MemoryTree, Tile, TileSet};
use store::StoreError;

use crate::db::{self, TestDb};

fn leaf(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

async fn tiles_equal_reference(db: TestDb) {
    let store = db.store().await;
    let mut tree = MemoryTree::new();
    // Sizes that end inside a level-0 tile, on a tile boundary, and past one full level-1 tile.
    for size in [0u64, 1, 300, 512, 70_000] {
        let have = tree.size();
        let leaves: Vec<Vec<u8>> = (have..size).map(leaf).collect();
        for l in &leaves {
            tree.push(l);
        }
        for chunk in leaves.chunks(10_000) {
            store.append_leaves(chunk).await.unwrap();
        }
        let mut set = TileSet::new(size);
        for t in tiles(size) {
            let hashes = store.tile_hashes(t).await.unwrap();
            let want: Vec<_> =
                t.nodes().unwrap().into_iter().map(|id| tree.node(id).unwrap()).collect();
            assert_eq!(hashes, want, "{} at size {size}", t.path());
            set.insert(t, &ledger::encode_hashes(&hashes)).unwrap();
            if t.level() == 0 {
                let entries = store.tile_entries(t).await.unwrap();
                let first = t.first_leaf().unwrap();
                let want: Vec<Vec<u8>> = (first..first + u64::from(t.width())).map(leaf).collect();
                assert_eq!(entries, want, "entries of {} at size {size}", t.path());
            }
        }
        assert_eq!(set.root().unwrap(), store.root_at(size).await.unwrap(), "root at {size}");
    }
    // A narrower partial tile than the tree's is a prefix of the tree's tile.
    let narrow = Tile::new(0, 273, 5).unwrap();
    let wide = store.tile_hashes(Tile::new(0, 273, 112).unwrap()).await.unwrap();
    assert_eq!(store.tile_hashes(narrow).await.unwrap(), wide[..5]);
    // Past the tree: out of range, not a tampered ledger.
    for t in [
        Tile::new(0, 273, 113).unwrap(),
        Tile::new(0, 273, 256).unwrap(),
        Tile::new(0, 274, 1).unwrap(),
        Tile::new(1, 1, 18).unwrap(),
        Tile::new(2, 0, 2).unwrap(),
        Tile::new(3, 0, 1).unwrap(),
        Tile::new(9, 0, 1).unwrap(),
        Tile::new(0, u64::MAX, 256).unwrap(),
    ] {
        let got = store.tile_hashes(t).await;
        assert!(matches!(got, Err(StoreError::Range(_))), "{}: {got:?}", t.path());
    }
    assert!(matches!(
        store.tile_entries(Tile::new(0, 274, 1).unwrap()).await,
        Err(StoreError::Range(_))
    ));
    assert!(matches!(
        store.tile_entries(Tile::new(1, 0, 1).unwrap()).await,
        Err(StoreError::Invalid { .. })
    ));
    store.close().await;
}

#[tokio::test]
async fn sqlite_tiles_equal_the_reference_tree() {
    tiles_equal_reference(db::sqlite()).await;
}

#[tokio::test]
async fn postgres_tiles_equal_the_reference_tree() {
    if let Some(db) = db::postgres("tiles").await {
        tiles_equal_reference(db).await;
    }
}
