//! The ledger tables on each backend: DB-built proofs equal in-memory proofs, with the proof cache
//! in every shape (default, tiny and evicting, disabled, a full mirror), also after another handle
//! appended, and
//! altering any single byte of a stored row is caught and named even when the cache holds it.

use ledger::{MemoryTree, RootHash};
use sqlx::Row;
use store::{StoreError, Tampered};

use crate::db::{self, Kind, Raw, TestDb};

fn leaf(i: usize) -> Vec<u8> {
    // Never empty, varied lengths, so every leaf row has a byte to flip.
    (0..=(i % 5)).map(|j| (i * 13 + j) as u8).collect()
}

/// Appends `total` leaves in batches of uneven sizes, checking each returned root.
async fn fill(store: &store::Store, total: usize) -> MemoryTree {
    let mut tree = MemoryTree::new();
    let mut next = 0;
    let mut batch = 1;
    while next < total {
        let end = (next + batch).min(total);
        let leaves: Vec<Vec<u8>> = (next..end).map(leaf).collect();
        for l in &leaves {
            tree.push(l);
        }
        let root = store.append_leaves(&leaves).await.unwrap();
        assert_eq!(root, tree.root(), "root after appending up to {end}");
        next = end;
        batch = batch * 2 + 1;
    }
    tree
}

async fn differential(db: TestDb) {
    let store = db.store().await;
    assert_eq!(store.tree_size().await.unwrap(), 0);
    assert_eq!(store.root_at(0).await.unwrap(), RootHash::empty());
    let total = 300;
    let tree = fill(&store, total).await;
    assert_eq!(store.tree_size().await.unwrap(), total as u64);
    // The default cache (levels from 10 up, filled by the appends), one that holds levels from 2 up
    // and evicts below after 8 nodes, none, and a mirror of the whole tree.
    for store in [
        store.clone(),
        store.with_proof_cache(2, 8),
        store.without_proof_cache(),
        store.with_proof_mirror(),
    ] {
        proofs_equal(&store, &tree).await;
    }
    // A second pass over the warmed cache.
    proofs_equal(&store, &tree).await;

    let report = store.verify_ledger(Some(&tree.root_at(100).unwrap())).await.unwrap();
    assert_eq!(report.root, tree.root());
    // A tree of n leaves has n - popcount(n) complete interior nodes.
    assert_eq!(report.nodes_checked, total as u64 - u64::from((total as u64).count_ones()));
    store.close().await;
}

/// Every proof and root of `store` at the sizes that matter equals the in-memory tree's, and
/// requests out of range are errors.
async fn proofs_equal(store: &store::Store, tree: &MemoryTree) {
    let total = tree.size();
    assert_eq!(total, 300);
    let mut sizes: Vec<u64> = (1..=40).collect();
    sizes.extend([63, 64, 65, 127, 128, 129, 255, 256, 257, 299, 300]);
    for &size in &sizes {
        let root = store.root_at(size).await.unwrap();
        assert_eq!(root, tree.root_at(size).unwrap(), "root at {size}");
        for index in 0..size {
            let got = store.inclusion_proof(index, size).await.unwrap();
            assert_eq!(
                got.proof,
                tree.inclusion_proof(index, size).unwrap(),
                "inclusion {index} in {size}"
            );
            assert_eq!(got.root, root);
            assert_eq!(Some(got.leaf_hash), tree.leaf_hash(index));
            let data = store.leaf(index).await.unwrap();
            assert_eq!(data, leaf(index as usize));
            got.root.verify_inclusion(&data, index, &got.proof).unwrap();
        }
    }
    for new in (1..=40u64).chain([64, 129, 300]) {
        for old in 0..=new {
            let got = store.consistency_proof(old, new).await.unwrap();
            assert_eq!(
                got.proof,
                tree.consistency_proof(old, new).unwrap(),
                "consistency {old} to {new}"
            );
            got.new_root.verify_consistency(&got.old_root, &got.proof).unwrap();
        }
    }
    // Out of range requests are errors, not panics.
    assert!(matches!(store.inclusion_proof(300, 300).await, Err(StoreError::Range(_))));
    assert!(matches!(store.inclusion_proof(0, 301).await, Err(StoreError::Range(_))));
    assert!(matches!(store.consistency_proof(5, 4).await, Err(StoreError::Range(_))));
    assert!(matches!(store.leaf(300).await, Err(StoreError::NotFound)));
    assert!(matches!(store.root_at(total + 1).await, Err(StoreError::Range(_))));
}

#[tokio::test]
async fn sqlite_db_proofs_equal_in_memory_proofs() {
    differential(db::sqlite()).await;
}

#[tokio::test]
async fn postgres_db_proofs_equal_in_memory_proofs() {
    if let Some(db) = db::postgres("diff").await {
        differential(db).await;
    }
}

/// Reading ranges of leaves gives the bytes appended, whatever they hold (NUL, commas, bytes that are not
/// UTF-8, the empty leaf), across the store's internal bundles, and clamps to the stored log.
async fn ranges(db: TestDb) {
    let store = db.store().await;
    let odd = |i: usize| -> Vec<u8> {
        match i % 6 {
            0 => Vec::new(),
            1 => vec![0, 0xff, b',', 0],
            2 => b"{\"a\":1},".to_vec(),
            _ => leaf(i),
        }
    };
    let total = 9_000;
    let leaves: Vec<Vec<u8>> = (0..total).map(odd).collect();
    for batch in leaves.chunks(2_500) {
        store.append_leaves(batch).await.unwrap();
    }
    let want = |from: usize, to: usize| -> Vec<(u64, Vec<u8>)> {
        (from..to.min(total)).map(|i| (i as u64, leaves[i].clone())).collect()
    };
    for (from, to) in
        [(0, 9_000), (0, 1), (4_095, 4_097), (1, 8_193), (8_999, 20_000), (9_000, 9_100), (5, 5)]
    {
        let got = store.leaves(from as u64, to as u64).await.unwrap();
        assert!(got == want(from, to), "leaves {from}..{to} differ from those appended");
    }
}

#[tokio::test]
async fn sqlite_ranges_of_leaves_read_back_exactly() {
    ranges(db::sqlite()).await;
}

#[tokio::test]
async fn postgres_ranges_of_leaves_read_back_exactly() {
    if let Some(db) = db::postgres("ranges").await {
        ranges(db).await;
    }
}

/// Every proof of `store` at `size` equals the in-memory tree's, and at the tree's size, the next size
/// is out of range.
async fn all_proofs_at(store: &store::Store, tree: &MemoryTree, size: u64) {
    assert_eq!(store.root_at(size).await.unwrap(), tree.root_at(size).unwrap(), "root at {size}");
    for index in 0..size {
        let got = store.inclusion_proof(index, size).await.unwrap();
        assert_eq!(
            got.proof,
            tree.inclusion_proof(index, size).unwrap(),
            "inclusion {index} in {size}"
        );
        assert_eq!(Some(got.leaf_hash), tree.leaf_hash(index), "leaf hash {index}");
    }
    for old in 0..=size {
        let got = store.consistency_proof(old, size).await.unwrap();
        assert_eq!(
            got.proof,
            tree.consistency_proof(old, size).unwrap(),
            "consistency {old} to {size}"
        );
        assert_eq!(got.old_root, tree.root_at(old).unwrap());
    }
    if size < tree.size() {
        return;
    }
    // Nothing cached can stand for a leaf that is not stored yet.
    assert!(matches!(store.root_at(size + 1).await, Err(StoreError::Range(_))));
    assert!(matches!(store.inclusion_proof(0, size + 1).await, Err(StoreError::Range(_))));
    assert!(matches!(store.consistency_proof(1, size + 1).await, Err(StoreError::Range(_))));
}

/// Handles with their own caches (processes on one database) append in turn; each one's proofs stay
/// exact at every size, before and after another appended.
async fn two_handles(db: TestDb) {
    let a = db.store().await.with_proof_cache(2, 16);
    let b = db.store().await.with_proof_mirror();
    let c = db.store().await.with_proof_mirror();
    let mut tree = MemoryTree::new();
    let mut size = 0usize;
    for (round, n) in [37usize, 1, 26, 64, 3, 5].into_iter().enumerate() {
        let (writer, reader) = match round % 3 {
            0 => (&a, &b),
            1 => (&b, &c),
            _ => (&c, &a),
        };
        let leaves: Vec<Vec<u8>> = (size..size + n).map(leaf).collect();
        for l in &leaves {
            tree.push(l);
        }
        assert_eq!(writer.append_leaves(&leaves).await.unwrap(), tree.root());
        size += n;
        // The reader's cache was warmed at the older sizes; the writer's by its append.
        for handle in [reader, writer] {
            all_proofs_at(handle, &tree, size as u64).await;
            all_proofs_at(handle, &tree, (size - n) as u64).await;
        }
    }
    // A mirror loaded ahead of any proof (as `serve --proof-mirror` does at start-up) holds the stored size and
    // answers exactly; a handle without a mirror has none to load.
    let d = db.store().await.with_proof_mirror();
    assert_eq!(d.load_proof_mirror().await.unwrap(), Some(size as u64));
    assert_eq!(a.load_proof_mirror().await.unwrap(), None);
    for handle in [&a, &b, &c, &d] {
        all_proofs_at(handle, &tree, size as u64).await;
        handle.close().await;
    }
}

#[tokio::test]
async fn sqlite_proofs_stay_exact_when_another_handle_appends() {
    two_handles(db::sqlite()).await;
}

#[tokio::test]
async fn postgres_proofs_stay_exact_when_another_handle_appends() {
    if let Some(db) = db::postgres("handles").await {
        two_handles(db).await;
    }
}

/// Reads one column of one row, flips one byte, writes it back, and returns the original.
async fn flip_byte(raw: &Raw, sql_get: &str, sql_set: &str, key: (i64, i64), at: usize) -> Vec<u8> {
    match raw {
        Raw::Sqlite(p) => {
            let row = sqlx::query(sql_get).bind(key.0).bind(key.1).fetch_one(p).await.unwrap();
            let orig: Vec<u8> = row.get(0);
            let mut bad = orig.clone();
            let n = bad.len();
            bad[at % n] ^= 0x01;
            sqlx::query(sql_set).bind(bad).bind(key.0).bind(key.1).execute(p).await.unwrap();
            orig
        }
        Raw::Postgres(p) => {
            let row = sqlx::query(sql_get).bind(key.0).bind(key.1).fetch_one(p).await.unwrap();
            let orig: Vec<u8> = row.get(0);
            let mut bad = orig.clone();
            let n = bad.len();
            bad[at % n] ^= 0x01;
            sqlx::query(sql_set).bind(bad).bind(key.0).bind(key.1).execute(p).await.unwrap();
            orig
        }
    }
}

async fn restore(raw: &Raw, sql_set: &str, key: (i64, i64), orig: Vec<u8>) {
    match raw {
        Raw::Sqlite(p) => {
            sqlx::query(sql_set).bind(orig).bind(key.0).bind(key.1).execute(p).await.unwrap();
        }
        Raw::Postgres(p) => {
            sqlx::query(sql_set).bind(orig).bind(key.0).bind(key.1).execute(p).await.unwrap();
        }
    }
}

async fn exec(raw: &Raw, sql: &str) -> Result<(), sqlx::Error> {
    match raw {
        Raw::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Raw::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
}

async fn tamper(db: TestDb) {
    // A cache that holds every node, warmed by every proof before any row is touched: verify must
    // still read the rows.
    let store = db.store().await.with_proof_cache(0, 1 << 12);
    let total = 45usize;
    let tree = fill(&store, total).await;
    let checkpoint = tree.root();
    all_proofs_at(&store, &tree, total as u64).await;
    store.verify_ledger(Some(&checkpoint)).await.unwrap();
    let raw = db.raw().await;

    // The database itself refuses updates and deletes.
    assert!(exec(&raw, "UPDATE ledger_leaves SET data = data WHERE idx = 0").await.is_err());
    assert!(exec(&raw, "DELETE FROM ledger_nodes WHERE level = 1").await.is_err());
    assert!(exec(&raw, "DELETE FROM ledger_leaves WHERE idx = 0").await.is_err());

    // An attacker with database access can drop the triggers; verify must still catch every change.
    match db.kind {
        Kind::Sqlite => {
            for t in
                ["ledger_leaves_no_update", "ledger_nodes_no_update", "ledger_leaves_no_delete"]
            {
                exec(&raw, &format!("DROP TRIGGER {t}")).await.unwrap();
            }
        }
        Kind::Postgres => {
            exec(&raw, "ALTER TABLE ledger_leaves DISABLE TRIGGER USER").await.unwrap();
            exec(&raw, "ALTER TABLE ledger_nodes DISABLE TRIGGER USER").await.unwrap();
        }
    }
    let (p1, p2) = match db.kind {
        Kind::Sqlite => ("?1", "?2"),
        Kind::Postgres => ("$1", "$2"),
    };
    let pk = |n: usize| if db.kind == Kind::Sqlite { format!("?{n}") } else { format!("${n}") };

    for index in 0..total as i64 {
        for column in ["data", "leaf_hash"] {
            let get =
                format!("SELECT {column} FROM ledger_leaves WHERE idx = {p1} AND {p2} = {p2}");
            let set = format!(
                "UPDATE ledger_leaves SET {column} = {} WHERE idx = {} AND {} = {}",
                pk(1),
                pk(2),
                pk(3),
                pk(3)
            );
            for at in [0usize, 31] {
                let orig = flip_byte(&raw, &get, &set, (index, index), at).await;
                let err = store.verify_ledger(None).await.unwrap_err();
                match err {
                    StoreError::Tampered(t @ Tampered::LeafHash { .. }) => {
                        assert_eq!(t, Tampered::LeafHash { index: index as u64 });
                        assert_eq!(t.first_bad_index(), index as u64);
                        assert!(t.to_string().contains(&format!("`{index}`")));
                    }
                    other => panic!("{column} byte {at} of leaf {index}: {other:?}"),
                }
                restore(&raw, &set, (index, index), orig).await;
            }
        }
    }
    store.verify_ledger(Some(&checkpoint)).await.unwrap();

    let nodes: Vec<(i64, i64)> = match &raw {
        Raw::Sqlite(p) => {
            sqlx::query("SELECT last_leaf, level FROM ledger_nodes ORDER BY last_leaf, level")
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get::<i64, _>(0), i64::from(r.get::<i32, _>(1))))
                .collect()
        }
        Raw::Postgres(p) => {
            sqlx::query("SELECT last_leaf, level FROM ledger_nodes ORDER BY last_leaf, level")
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get::<i64, _>(0), i64::from(r.get::<i32, _>(1))))
                .collect()
        }
    };
    assert_eq!(nodes.len(), total - total.count_ones() as usize);
    for (last_leaf, level) in nodes {
        let get = format!("SELECT hash FROM ledger_nodes WHERE last_leaf = {p1} AND level = {p2}");
        let set = format!(
            "UPDATE ledger_nodes SET hash = {} WHERE last_leaf = {} AND level = {}",
            pk(1),
            pk(2),
            pk(3)
        );
        let key = (last_leaf, level);
        let (level8, index) = (level as u8, (last_leaf as u64) >> level);
        let orig = match db.kind {
            // Postgres binds `level` as INTEGER.
            Kind::Postgres => flip_node_pg(&raw, key, (last_leaf as usize) % 32).await,
            Kind::Sqlite => flip_byte(&raw, &get, &set, key, (last_leaf as usize) % 32).await,
        };
        match store.verify_ledger(None).await.unwrap_err() {
            StoreError::Tampered(Tampered::NodeHash {
                level: l,
                index: i,
                first_leaf,
                last_leaf: ll,
            }) => {
                assert_eq!((l, i), (level8, index), "node ({level}, {index})");
                assert_eq!(ll, last_leaf as u64);
                assert_eq!(first_leaf, index << level);
            }
            other => panic!("node ({level}, {index}): {other:?}"),
        }
        match db.kind {
            Kind::Postgres => restore_node_pg(&raw, key, orig).await,
            Kind::Sqlite => restore(&raw, &set, key, orig).await,
        }
    }
    store.verify_ledger(Some(&checkpoint)).await.unwrap();

    // A checkpoint from a larger log means leaves were removed; a different root means rewritten.
    let ahead = RootHash::new(total as u64 + 1, *checkpoint.digest());
    assert!(matches!(
        store.verify_ledger(Some(&ahead)).await,
        Err(StoreError::Tampered(Tampered::Truncated { checkpoint_size: 46, log_size: 45 }))
    ));
    let other = RootHash::new(10, *checkpoint.digest());
    assert!(matches!(
        store.verify_ledger(Some(&other)).await,
        Err(StoreError::Tampered(Tampered::CheckpointMismatch { size: 10 }))
    ));
    // A removed leaf in the middle is named.
    exec(&raw, "DELETE FROM ledger_leaves WHERE idx = 7").await.unwrap();
    assert!(matches!(
        store.verify_ledger(None).await,
        Err(StoreError::Tampered(Tampered::MissingLeaf { index: 7 }))
    ));
    store.close().await;
}

async fn flip_node_pg(raw: &Raw, key: (i64, i64), at: usize) -> Vec<u8> {
    let Raw::Postgres(p) = raw else { unreachable!() };
    let level = key.1 as i32;
    let row = sqlx::query("SELECT hash FROM ledger_nodes WHERE last_leaf = $1 AND level = $2")
        .bind(key.0)
        .bind(level)
        .fetch_one(p)
        .await
        .unwrap();
    let orig: Vec<u8> = row.get(0);
    let mut bad = orig.clone();
    bad[at % 32] ^= 0x01;
    restore_node_pg(raw, key, bad).await;
    orig
}

async fn restore_node_pg(raw: &Raw, key: (i64, i64), bytes: Vec<u8>) {
    let Raw::Postgres(p) = raw else { unreachable!() };
    sqlx::query("UPDATE ledger_nodes SET hash = $1 WHERE last_leaf = $2 AND level = $3")
        .bind(bytes)
        .bind(key.0)
        .bind(key.1 as i32)
        .execute(p)
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_verify_names_the_first_altered_row() {
    tamper(db::sqlite()).await;
}

#[tokio::test]
async fn postgres_verify_names_the_first_altered_row() {
    if let Some(db) = db::postgres("tamper").await {
        tamper(db).await;
    }
}

#[tokio::test]
async fn unsupported_urls_are_rejected() {
    assert!(matches!(store::Store::connect("mysql://x").await, Err(StoreError::UnsupportedUrl(_))));
}

/// Co-signed checkpoints: kept by size, replaced when more cosignatures arrive, never beyond the ledger.
async fn cosigned_checkpoints(db: TestDb) {
    let store = db.store().await;
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(store.latest_cosigned_checkpoint().await.unwrap(), None);
    store.append_leaves(&[b"a".to_vec(), b"b".to_vec()]).await.unwrap();
    assert!(matches!(
        store.save_cosigned_checkpoint(3, "note", now).await,
        Err(store::StoreError::Invalid { .. })
    ));
    store.save_cosigned_checkpoint(1, "one", now).await.unwrap();
    store.save_cosigned_checkpoint(2, "two", now).await.unwrap();
    store.save_cosigned_checkpoint(2, "two, cosigned again", now).await.unwrap();
    assert_eq!(
        store.latest_cosigned_checkpoint().await.unwrap(),
        Some((2, "two, cosigned again".into()))
    );
}

#[tokio::test]
async fn cosigned_checkpoints_on_sqlite() {
    cosigned_checkpoints(db::sqlite()).await;
}

#[tokio::test]
async fn cosigned_checkpoints_on_postgres() {
    if let Some(db) = db::postgres("cosigned").await {
        cosigned_checkpoints(db).await;
    }
}

/// Kept tallies: only of this ledger's leaves, replaced only by a later or longer count, and forgotten when
/// their bytes or their root no longer match.
async fn kept_tallies(db: TestDb) {
    let store = db.store().await;
    let now = time::OffsetDateTime::now_utc();
    let day = |d: &str| domain::Day::parse(d).unwrap();
    let (jan, jun, dec) = (day("2026-01-01"), day("2026-06-30"), day("2026-12-31"));
    assert_eq!(store.kept_tally(jan).await.unwrap(), None);
    store.append_leaves(&[b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]).await.unwrap();
    let (one, two) = (store.root_at(1).await.unwrap(), store.root_at(2).await.unwrap());
    let invalid = |r: Result<bool, StoreError>| matches!(r, Err(StoreError::Invalid { .. }));
    // Not this ledger's root at that size, a size beyond the ledger, a reversed period.
    assert!(invalid(
        store.keep_tally(jan, jun, &ledger::RootHash::new(2, *one.digest()), b"x", now).await
    ));
    assert!(invalid(
        store.keep_tally(jan, jun, &ledger::RootHash::new(4, *one.digest()), b"x", now).await
    ));
    assert!(invalid(store.keep_tally(jun, jan, &one, b"x", now).await));
    assert!(store.keep_tally(jan, jun, &two, b"two", now).await.unwrap());
    // Fewer leaves for the same period, or a shorter period, do not replace it.
    assert!(!store.keep_tally(jan, jun, &one, b"one", now).await.unwrap());
    let kept = store.kept_tally(jan).await.unwrap().unwrap();
    assert_eq!((kept.to, kept.root, kept.body.as_slice()), (jun, two, b"two".as_slice()));
    assert!(store.keep_tally(jan, dec, &one, b"longer", now).await.unwrap());
    assert!(!store.keep_tally(jan, jun, &two, b"shorter", now).await.unwrap());
    assert_eq!(store.kept_tally(jan).await.unwrap().unwrap().body, b"longer");
    // A flipped byte in the body: refused, named, forgotten.
    let raw = db.raw().await;
    let sql = match db.kind {
        Kind::Sqlite => "UPDATE kept_tallies SET body = x'00'",
        Kind::Postgres => "UPDATE kept_tallies SET body = '\\x00'::bytea",
    };
    exec(&raw, sql).await.unwrap();
    let err = store.kept_tally(jan).await.unwrap_err().to_string();
    assert!(err.contains("does not read back as written"), "{err}");
    assert_eq!(store.kept_tally(jan).await.unwrap(), None);
    // A root of other leaves at the same size (as after restoring another ledger): refused.
    assert!(store.keep_tally(jan, dec, &two, b"two", now).await.unwrap());
    let sql = match db.kind {
        Kind::Sqlite => "UPDATE kept_tallies SET root = zeroblob(32)",
        Kind::Postgres => "UPDATE kept_tallies SET root = decode(repeat('00', 32), 'hex')",
    };
    exec(&raw, sql).await.unwrap();
    let err = store.kept_tally(jan).await.unwrap_err().to_string();
    assert!(err.contains("not of this ledger's first 2 leaves"), "{err}");
    assert_eq!(store.kept_tally(jan).await.unwrap(), None);
}

#[tokio::test]
async fn kept_tallies_on_sqlite() {
    kept_tallies(db::sqlite()).await;
}

#[tokio::test]
async fn kept_tallies_on_postgres() {
    if let Some(db) = db::postgres("tallies").await {
        kept_tallies(db).await;
    }
}
