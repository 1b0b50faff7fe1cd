//! The ledger as C2SP tlog-tiles over HTTP: the signed checkpoint, every tile and entry bundle of the
//! tree, anonymous, with the content types and caching the spec asks for; 404 past the tree and for
//! paths the spec does not spell that way.

use axum::body::Body;
use axum::http::{header, Request};
use ledger::{tiles, Checkpoint, MemoryTree, NoteSigner, TileKind, TilePath, TileSet};
use server::{AppState, Config};

use crate::common;

const SIZE: u64 = 600;

fn leaf(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

struct Tiled {
    state: AppState,
    tree: MemoryTree,
    signer: NoteSigner,
    _dir: tempfile::TempDir,
}

async fn tiled(signed: bool) -> Tiled {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    let leaves: Vec<Vec<u8>> = (0..SIZE).map(leaf).collect();
    store.append_leaves(&leaves).await.unwrap();
    let mut tree = MemoryTree::new();
    for l in &leaves {
        tree.push(l);
    }
    let signer = NoteSigner::from_seed("example.org/rightsgate", [3; 32]).unwrap();
    let config = Config {
        signer: signed.then(|| signer.clone()),
        origin: "example.org/rightsgate".to_owned(),
        ..Config::default()
    };
    let sealer = store::Sealer::new(&[7u8; store::KEY_LEN]);
    let state = AppState::new(store, sealer, common::ctx(), config);
    Tiled { state, tree, signer, _dir: dir }
}

/// GETs `uri` anonymously: status, content type, cache control and body.
async fn get(state: &AppState, uri: &str) -> (u16, String, String, Vec<u8>) {
    use tower::ServiceExt as _;
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let res = server::router(state.clone()).oneshot(req).await.unwrap();
    let h =
        |name| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (ct, cc) = (h(header::CONTENT_TYPE), h(header::CACHE_CONTROL));
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    (status, ct, cc, body)
}

#[tokio::test]
async fn every_tile_and_bundle_is_served_and_matches_the_signed_checkpoint() {
    let t = tiled(true).await;
    let (status, ct, cc, body) = get(&t.state, "/ledger/checkpoint").await;
    assert_eq!((status, ct.as_str(), cc.as_str()), (200, "text/plain; charset=utf-8", "no-cache"));
    let note = String::from_utf8(body).unwrap();
    let cp = Checkpoint::from_signed_note(&note, &t.signer.verifier()).unwrap();
    assert_eq!(cp.origin(), "example.org/rightsgate");
    assert_eq!(*cp.root(), t.tree.root());

    let mut set = TileSet::new(SIZE);
    let mut served = 0;
    for tile in tiles(SIZE) {
        let path = TilePath::hashes(tile);
        let (status, ct, cc, body) = get(&t.state, &format!("/ledger/{path}")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(ct, "application/octet-stream");
        let want_cc = if tile.is_full() {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=60"
        };
        assert_eq!(cc, want_cc, "{path}");
        let want: Vec<_> =
            tile.nodes().unwrap().into_iter().map(|id| t.tree.node(id).unwrap()).collect();
        assert_eq!(body, ledger::encode_hashes(&want), "{path}");
        set.insert(tile, &body).unwrap();
        if tile.level() == 0 {
            let bundle = TilePath::entries(tile).unwrap();
            let (status, ct, cc, body) = get(&t.state, &format!("/ledger/{bundle}")).await;
            assert_eq!(
                (status, ct.as_str(), cc.as_str()),
                (200, "application/octet-stream", want_cc)
            );
            let first = tile.first_leaf().unwrap();
            let entries: Vec<Vec<u8>> =
                (first..first + u64::from(tile.width())).map(leaf).collect();
            assert_eq!(body, ledger::encode_bundle(&entries).unwrap(), "{bundle}");
            assert_eq!(bundle.kind(), TileKind::Entries);
        }
        served += 1;
    }
    // 600 leaves: two full level-0 tiles, a partial one of 88, and a partial level-1 tile of 2.
    assert_eq!(served, 4);
    assert_eq!(set.root().unwrap(), *cp.root());
    // A partial tile narrower than the tree's is still served (it is a prefix of the tree's).
    let (status, _, cc, body) = get(&t.state, "/ledger/tile/0/002.p/5").await;
    assert_eq!((status, cc.as_str(), body.len()), (200, "public, max-age=60", 5 * 32));
}

#[tokio::test]
async fn tiles_past_the_tree_and_misspelled_paths_are_404() {
    let t = tiled(true).await;
    for (uri, says) in [
        ("/ledger/tile/0/002.p/89", "beyond the ledger's current tree"),
        ("/ledger/tile/0/002", "beyond the ledger's current tree"),
        ("/ledger/tile/0/003.p/1", "beyond the ledger's current tree"),
        ("/ledger/tile/1/000", "beyond the ledger's current tree"),
        ("/ledger/tile/1/000.p/3", "beyond the ledger's current tree"),
        ("/ledger/tile/2/000.p/1", "beyond the ledger's current tree"),
        ("/ledger/tile/9/000.p/1", "beyond the ledger's current tree"),
        ("/ledger/tile/entries/002.p/89", "beyond the ledger's current tree"),
        ("/ledger/tile/entries/x001/000", "beyond the ledger's current tree"),
        ("/ledger/tile/0/2", "3 digits"),
        ("/ledger/tile/00/000", "level `<L>`"),
        ("/ledger/tile/0/000.p/256", "width `<W>`"),
        ("/ledger/tile/0/000.p/05", "width `<W>`"),
        ("/ledger/tile/0/x000/001", "leading `x000`"),
        ("/ledger/tile/0/001/", "nothing after"),
        ("/ledger/tile/data/000", "level `<L>`"),
    ] {
        let (status, ct, cc, body) = get(&t.state, uri).await;
        assert_eq!(status, 404, "{uri}");
        assert_eq!(cc, "no-store", "{uri}");
        assert!(ct.starts_with("application/problem+json"), "{uri}: {ct}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(says), "{uri}: {body}");
    }
}

#[tokio::test]
async fn no_checkpoint_without_a_signing_key() {
    let t = tiled(false).await;
    let (status, _, _, body) = get(&t.state, "/ledger/checkpoint").await;
    assert_eq!(status, 404);
    assert!(String::from_utf8(body).unwrap().contains("no checkpoint signing key"));
    // The tiles themselves hold only public hashes and are served regardless.
    assert_eq!(get(&t.state, "/ledger/tile/0/000").await.0, 200);
}

/// With witnesses, `/ledger/checkpoint` is the latest checkpoint a quorum co-signed, even when the tree has
/// grown past it, and the partial tiles of its size are still served.
#[tokio::test]
async fn the_published_checkpoint_is_the_latest_co_signed_one() {
    let t = tiled(true).await;
    let store = t.state.store();
    let old = SIZE - 3;
    let root = store.root_at(old).await.unwrap();
    let note = Checkpoint::new("example.org/rightsgate", root).unwrap().sign(&t.signer).unwrap();
    let cosigned = format!("{note}— witness.example AAAAAAAAAAAAAAAA\n");
    store.save_cosigned_checkpoint(old, &cosigned, time::OffsetDateTime::now_utc()).await.unwrap();
    let (status, _, _, body) = get(&t.state, "/ledger/checkpoint").await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(body).unwrap(), cosigned);
    for tile in ledger::partial_tiles(old) {
        let (status, _, _, _) = get(&t.state, &format!("/ledger/{}", tile.path())).await;
        assert_eq!(status, 200, "{}", tile.path());
    }
}
