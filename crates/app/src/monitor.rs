//! A monitor of a published ledger (C2SP tlog-tiles): fetch the checkpoint and the tiles, check the log's
//! signature and a quorum of witness cosignatures, check that every tile hashes to the root (and, if asked,
//! every entry bundle to its tile), and check that the tree extends the one seen last time.
//!
//! The one implementation behind `rightsgate monitor`; it reads from a base URL or from a directory written by
//! `rightsgate ledger export`. The caller keeps what was seen ([`Seen`]) between runs.

use std::path::PathBuf;

use base64::Engine as _;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ledger::{Checkpoint, CosignatureVerifier, RootHash, TilePath, TileSet, VerifierKey};
use serde::{Deserialize, Serialize};

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<bytes::Bytes>>;

/// Where the published ledger is read from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A base URL ending in `/` (`https://example.org/ledger/`).
    Http(String),
    /// A directory written by `rightsgate ledger export`.
    Dir(PathBuf),
}

impl Source {
    /// Reads `path` (`checkpoint`, `tile/0/000`); `None` when it does not exist. One `client` serves a whole
    /// run, so its connection is reused across the thousands of tiles of a large ledger.
    async fn get(&self, client: &HttpClient, path: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Source::Dir(dir) => match tokio::fs::read(dir.join(path)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", dir.join(path).display())),
            },
            Source::Http(base) => {
                let url = format!("{base}{path}");
                let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
                let response =
                    tokio::time::timeout(std::time::Duration::from_secs(30), client.get(uri))
                        .await
                        .map_err(|_| format!("{url}: no answer within 30 s"))?
                        .map_err(|e| format!("{url}: {e}"))?;
                let status = response.status().as_u16();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("{url}: {e}"))?
                    .to_bytes();
                match status {
                    200 => Ok(Some(bytes.to_vec())),
                    404 => Ok(None),
                    other => Err(format!("{url}: HTTP {other}")),
                }
            }
        }
    }
}

/// What a monitor checks a ledger against.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The log's note verifier key, obtained independently of the log.
    pub log: VerifierKey,
    /// The witnesses whose cosignatures count.
    pub witnesses: Vec<CosignatureVerifier>,
    /// How many of them must have cosigned the checkpoint.
    pub quorum: usize,
    /// Also fetch every entry bundle and check each entry against its tile.
    pub entries: bool,
}

/// What a monitor saw last: kept between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The log's origin line.
    pub origin: String,
    /// The tree size of the checkpoint.
    pub size: u64,
    /// Its root hash, base64.
    pub root: String,
    /// The checkpoint note as fetched, with its signatures: evidence if the log later contradicts it.
    pub note: String,
}

/// What one run found, when everything held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The checkpoint now seen.
    pub seen: Seen,
    /// The witnesses whose cosignatures verified.
    pub cosigned_by: Vec<String>,
    /// Tiles fetched and authenticated.
    pub tiles: usize,
    /// Entries checked against their tiles (0 without `entries`).
    pub entries: u64,
    /// The size seen before, if any.
    pub previous: Option<u64>,
}

/// Why the published ledger is not trustworthy, or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The log's signature or a known witness's cosignature does not verify, or too few witnesses cosigned.
    #[error("checkpoint: {0}")]
    Signature(String),
    /// The tree is smaller than the one seen before.
    #[error("rollback: the log now shows {now} leaves, but {before} were seen before")]
    Rollback {
        /// Size now.
        now: u64,
        /// Size seen before.
        before: u64,
    },
    /// The tree does not begin with the tree seen before: two different histories of one log.
    #[error("split view: the tree of {size} leaves seen before had root {seen}, the log's tiles now give {now}")]
    SplitView {
        /// The earlier size.
        size: u64,
        /// The root seen then (base64).
        seen: String,
        /// The root the new tiles give for that size (base64).
        now: String,
    },
    /// A tile or entry bundle does not hash to the checkpoint's root.
    #[error("tiles: {0}")]
    Tiles(String),
    /// The ledger could not be fetched; nothing is concluded about it.
    #[error("fetching: {0}")]
    Fetch(String),
}

impl MonitorError {
    /// Whether this shows the log misbehaving (exit 3), rather than failing to read it (exit 1).
    pub fn is_inconsistency(&self) -> bool {
        !matches!(self, MonitorError::Fetch(_))
    }
}

fn b64(root: &RootHash) -> String {
    base64::engine::general_purpose::STANDARD.encode(root.digest().as_bytes())
}

/// One monitoring run against `source`, given what was seen before.
///
/// # Errors
/// A [`MonitorError`] saying what does not hold; the caller keeps `previous` then.
pub async fn check(
    source: &Source,
    trust: &Trust,
    previous: Option<&Seen>,
) -> Result<Checked, MonitorError> {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let note = source
        .get(&client, "checkpoint")
        .await
        .map_err(MonitorError::Fetch)?
        .ok_or_else(|| MonitorError::Fetch("no checkpoint published".into()))?;
    let note = String::from_utf8(note)
        .map_err(|_| MonitorError::Signature("the checkpoint is not UTF-8".into()))?;
    let cosigned = ledger::verify_quorum(&note, &trust.log, &trust.witnesses, trust.quorum)
        .map_err(|e| MonitorError::Signature(e.to_string()))?;
    let cosigned_by: Vec<String> = cosigned.cosignatures().iter().map(|c| c.name.clone()).collect();
    let checkpoint = Checkpoint::from_signed_note(&note, &trust.log)
        .map_err(|e| MonitorError::Signature(e.to_string()))?;
    let root = *checkpoint.root();
    let size = root.size();
    if let Some(before) = previous {
        if before.origin != checkpoint.origin() {
            return Err(MonitorError::Signature(format!(
                "origin `{}` is not the `{}` seen before",
                checkpoint.origin(),
                before.origin
            )));
        }
        if size < before.size {
            return Err(MonitorError::Rollback { now: size, before: before.size });
        }
    }
    let mut set = TileSet::new(size);
    let all: Vec<ledger::Tile> = ledger::tiles(size).collect();
    for tile in &all {
        let path = TilePath::hashes(*tile).to_string();
        let bytes = source
            .get(&client, &path)
            .await
            .map_err(MonitorError::Fetch)?
            .ok_or_else(|| MonitorError::Tiles(format!("`{path}` is missing")))?;
        set.insert(*tile, &bytes).map_err(|e| MonitorError::Tiles(e.to_string()))?;
    }
    set.verify(&root).map_err(|e| MonitorError::Tiles(e.to_string()))?;
    if let Some(before) = previous {
        let then = set.root_at(before.size).map_err(|e| MonitorError::Tiles(e.to_string()))?;
        if b64(&then) != before.root {
            return Err(MonitorError::SplitView {
                size: before.size,
                seen: before.root.clone(),
                now: b64(&then),
            });
        }
    }
    let mut entries = 0u64;
    if trust.entries {
        for tile in all.iter().filter(|t| t.level() == 0) {
            let path = TilePath::entries(*tile)
                .map_err(|e| MonitorError::Tiles(e.to_string()))?
                .to_string();
            let bytes = source
                .get(&client, &path)
                .await
                .map_err(MonitorError::Fetch)?
                .ok_or_else(|| MonitorError::Tiles(format!("`{path}` is missing")))?;
            let checked =
                set.check_bundle(*tile, &bytes).map_err(|e| MonitorError::Tiles(e.to_string()))?;
            entries += checked.len() as u64;
        }
    }
    Ok(Checked {
        seen: Seen { origin: checkpoint.origin().to_owned(), size, root: b64(&root), note },
        cosigned_by,
        tiles: all.len(),
        entries,
        previous: previous.map(|p| p.size),
    })
}
