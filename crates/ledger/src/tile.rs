//! C2SP `tlog-tiles`: the ledger as static tiles of hashes and bundles of entries.
//!
//! A tile at tile level `L` and index `N` holds up to 256 consecutive hashes of complete subtrees at
//! Merkle level `8 * L`, starting at subtree `N * 256`: at level 0 the leaf hashes, above that the root
//! hashes of full tiles of the level below.
//! A tile of fewer than 256 hashes (width `W`) is partial: it sits on the right edge of the tree.
//! Tiles are published at `tile/<L>/<N>[.p/<W>]` and the entries behind a level-0 tile, each written
//! as a 2-byte big-endian length followed by its bytes, at `tile/entries/<N>[.p/<W>]`; `<N>` is
//! written in 3-digit path elements, all but the last prefixed with `x` (`x001/x234/067`).
//!
//! This module is pure: it names tiles, encodes and parses their paths and contents, and computes
//! roots and proofs from tiles a reader has fetched ([`TileSet`]).
//! Tiles are not authenticated by themselves: a proof computed from them holds only once it
//! verifies against a signed checkpoint's root.

use std::collections::BTreeMap;
use std::fmt;

use crate::hash::{node_hash, Digest, RootHash, DIGEST_LEN};
use crate::plan::{
    indices_for_consistency, indices_for_inclusion, indices_for_root, root_from_nodes, NodeId,
    PlanError,
};
use crate::proof::{ConsistencyProof, InclusionProof};

/// The Merkle levels one tile spans: a tile at tile level `L` holds hashes at Merkle level `8 * L`.
pub const TILE_HEIGHT: u8 = 8;
/// The number of hashes (or entries) in a full tile.
pub const TILE_WIDTH: u16 = 256;
/// The highest tile level a path may name (the spec allows 0 to 63; only 0 to 7 ever hold hashes).
pub const MAX_TILE_LEVEL: u8 = 63;
/// The longest entry an entry bundle can hold: its length is written in two bytes.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// The highest tile level whose hashes lie in a tree whose size fits in a `u64`.
const MAX_HASH_LEVEL: u8 = 7;
/// Path elements of `<N>`: a `u64` has at most 20 decimal digits, so 7 groups of 3.
const MAX_INDEX_GROUPS: usize = 7;

/// Why a tile, a tile path or tile contents could not be made, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A tile path does not have the `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` shape.
    #[error("malformed tile path `{path}`: {expected}")]
    Path {
        /// The path as given.
        path: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The tile level is above [`MAX_TILE_LEVEL`].
    #[error("tile level `{0}` is above 63")]
    Level(u8),
    /// The tile width is outside 1 to 256.
    #[error("tile width `{0}` is outside 1 to 256")]
    Width(u16),
    /// An entry bundle was asked of a tile above level 0.
    #[error("entry bundles exist only at tile level 0, not `{0}`")]
    EntriesLevel(u8),
    /// The tile's hashes would cover leaves past the largest tree size.
    #[error("tile `{0}` lies beyond any tree")]
    Beyond(String),
    /// Tile contents have the wrong length for the tile's width.
    #[error("tile `{path}` is `{actual}` bytes long, expected `{expected}` (32 bytes per hash)")]
    Length {
        /// The tile's path.
        path: String,
        /// The expected length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// An entry bundle is not a sequence of exactly `W` length-prefixed entries.
    #[error("entry bundle `{path}`: {detail}")]
    Bundle {
        /// The bundle's path.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// An entry is too long to be written with a 2-byte length.
    #[error("entry `{index}` is `{len}` bytes long, more than the 65535 an entry bundle can hold")]
    EntryTooLong {
        /// The entry's position in the bundle.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A tile was given whose level, index or width is not the one the tree of this size has.
    #[error("tile `{path}` is not a tile of a tree of size `{size}`")]
    NotInTree {
        /// The tile's path.
        path: String,
        /// The tree size.
        size: u64,
    },
    /// The tiles do not hash up to the trusted root.
    #[error("the tiles do not hash up to the root of the tree of size `{0}`")]
    Root(u64),
    /// A full tile does not hash to its entry in the tile above it.
    #[error("tile `{0}` does not hash to its entry in the tile above it")]
    Inconsistent(String),
    /// An entry of a bundle does not hash to its leaf hash in the level-0 tile.
    #[error("entry `{index}` of `{path}` does not hash to its leaf hash in the level-0 tile")]
    Entry {
        /// The bundle's path.
        path: String,
        /// The entry's position in the bundle.
        index: usize,
    },
    /// A hash was asked for whose tile has not been supplied.
    #[error("tile `{0}` is needed but was not supplied")]
    Missing(String),
    /// A node, proof or root was asked for outside the tree.
    #[error("{0}")]
    Plan(#[from] PlanError),
}

/// One tile: a tile level, an index within the level and a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tile {
    // INVARIANT: level <= MAX_TILE_LEVEL and 1 <= width <= TILE_WIDTH.
    level: u8,
    index: u64,
    width: u16,
}

impl Tile {
    /// The tile at `level` and `index` holding `width` hashes (256 for a full tile).
    ///
    /// # Errors
    /// [`TileError::Level`] or [`TileError::Width`] when either is out of range.
    pub fn new(level: u8, index: u64, width: u16) -> Result<Self, TileError> {
        if level > MAX_TILE_LEVEL {
            return Err(TileError::Level(level));
        }
        if width == 0 || width > TILE_WIDTH {
            return Err(TileError::Width(width));
        }
        Ok(Self { level, index, width })
    }

    /// The tile at `level` and `index` as it is in the tree of `size` leaves: full, partial, or
    /// `None` when the tree has no hash in it.
    #[must_use]
    pub fn in_tree(level: u8, index: u64, size: u64) -> Option<Self> {
        if level > MAX_HASH_LEVEL {
            return None;
        }
        let count = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        let start = u128::from(index) * u128::from(TILE_WIDTH);
        let have = u128::from(count).checked_sub(start).filter(|h| *h > 0)?;
        let width = u16::try_from(have.min(u128::from(TILE_WIDTH))).ok()?;
        Some(Self { level, index, width })
    }

    /// The tile level: 0 for leaf hashes.
    #[must_use]
    pub const fn level(&self) -> u8 {
        self.level
    }

    /// The index of the tile within its level.
    #[must_use]
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// The number of hashes in the tile, 1 to 256.
    #[must_use]
    pub const fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile holds all 256 hashes.
    #[must_use]
    pub const fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The same tile with all 256 hashes.
    #[must_use]
    pub const fn full(&self) -> Self {
        Self { level: self.level, index: self.index, width: TILE_WIDTH }
    }

    /// Whether every hash of this tile is in the tree of `size` leaves.
    #[must_use]
    pub fn fits(&self, size: u64) -> bool {
        Self::in_tree(self.level, self.index, size).is_some_and(|t| t.width >= self.width)
    }

    /// The complete subtrees whose hashes the tile holds, in order.
    ///
    /// # Errors
    /// [`TileError::Beyond`] when they would cover leaves past the largest tree size.
    pub fn nodes(&self) -> Result<Vec<NodeId>, TileError> {
        let beyond = || TileError::Beyond(self.path());
        if self.level > MAX_HASH_LEVEL {
            return Err(beyond());
        }
        let level = self.level * TILE_HEIGHT;
        let first = self.index.checked_mul(u64::from(TILE_WIDTH)).ok_or_else(beyond)?;
        (0..u64::from(self.width))
            .map(|i| first.checked_add(i).and_then(|n| NodeId::new(level, n)).ok_or_else(beyond))
            .collect()
    }

    /// The index of the first leaf under the tile (the spec's start index).
    ///
    /// # Errors
    /// [`TileError::Beyond`] when it lies past the largest tree size.
    pub fn first_leaf(&self) -> Result<u64, TileError> {
        self.nodes()?.first().map(NodeId::first_leaf).ok_or_else(|| TileError::Beyond(self.path()))
    }

    /// The path of the tile's hashes: `tile/<L>/<N>[.p/<W>]`.
    #[must_use]
    pub fn path(&self) -> String {
        TilePath { kind: TileKind::Hashes, tile: *self }.to_string()
    }
}

/// Whether a path names a tile's hashes or the entries behind a level-0 tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TileKind {
    /// `tile/<L>/<N>[.p/<W>]`: concatenated 32-byte hashes.
    Hashes,
    /// `tile/entries/<N>[.p/<W>]`: length-prefixed entries.
    Entries,
}

/// A resource of a tiled log: a tile's hashes or an entry bundle, relative to the log's prefix.
///
/// `Display` writes the path; [`TilePath::parse`] reads it back and rejects every other spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TilePath {
    kind: TileKind,
    // INVARIANT: tile.level() == 0 when kind is Entries.
    tile: Tile,
}

impl TilePath {
    /// The path of a tile's hashes.
    #[must_use]
    pub const fn hashes(tile: Tile) -> Self {
        Self { kind: TileKind::Hashes, tile }
    }

    /// The path of the entry bundle behind a level-0 tile.
    ///
    /// # Errors
    /// [`TileError::EntriesLevel`] if the tile is above level 0.
    pub fn entries(tile: Tile) -> Result<Self, TileError> {
        if tile.level != 0 {
            return Err(TileError::EntriesLevel(tile.level));
        }
        Ok(Self { kind: TileKind::Entries, tile })
    }

    /// Hashes or entries.
    #[must_use]
    pub const fn kind(&self) -> TileKind {
        self.kind
    }

    /// The tile (level 0 for an entry bundle).
    #[must_use]
    pub const fn tile(&self) -> Tile {
        self.tile
    }

    /// Reads a path relative to the log's prefix, such as `tile/0/x001/234.p/5` or
    /// `tile/entries/007`.
    ///
    /// Only the spec's one spelling of each resource is accepted: no leading zeros in `<L>` or
    /// `<W>`, three digits in every element of `<N>`, no leading `x000` element, `<W>` from 1 to 255.
    ///
    /// # Errors
    /// [`TileError::Path`] saying what was expected.
    pub fn parse(path: &str) -> Result<Self, TileError> {
        let bad = |expected: &'static str| TileError::Path { path: path.to_owned(), expected };
        let too_big = || bad("expected an index `<N>` that fits in 64 bits");
        let rest = path.strip_prefix("tile/").ok_or_else(|| bad("expected `tile/` first"))?;
        let (first, rest) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected `tile/<L>/<N>` or `tile/entries/<N>`"))?;
        let (kind, level) = if first == "entries" {
            (TileKind::Entries, 0)
        } else {
            let level = parse_decimal(first)
                .and_then(|l| u8::try_from(l).ok())
                .filter(|l| *l <= MAX_TILE_LEVEL)
                .ok_or_else(|| {
                    bad("expected the level `<L>` from 0 to 63 without leading zeros")
                })?;
            (TileKind::Hashes, level)
        };
        let mut elements = rest.split('/');
        let mut index: u64 = 0;
        let mut groups = 0usize;
        let width = loop {
            let element = elements
                .next()
                .ok_or_else(|| bad("expected the index `<N>` in 3-digit path elements"))?;
            groups += 1;
            if groups > MAX_INDEX_GROUPS {
                return Err(too_big());
            }
            if let Some(digits) = element.strip_prefix('x') {
                if groups == 1 && digits == "000" {
                    return Err(bad("expected no leading `x000` element in the index `<N>`"));
                }
                index = push_group(index, digits)
                    .ok_or_else(|| {
                        bad("expected `x` and 3 digits in each leading element of `<N>`")
                    })?
                    .ok_or_else(too_big)?;
                continue;
            }
            let (digits, partial) = match element.strip_suffix(".p") {
                Some(d) => (d, true),
                None => (element, false),
            };
            index = push_group(index, digits)
                .ok_or_else(|| bad("expected 3 digits in the last element of `<N>`"))?
                .ok_or_else(too_big)?;
            if !partial {
                break TILE_WIDTH;
            }
            let w = elements
                .next()
                .and_then(parse_decimal)
                .and_then(|w| u16::try_from(w).ok())
                .filter(|w| (1..TILE_WIDTH).contains(w))
                .ok_or_else(|| {
                    bad("expected the width `<W>` from 1 to 255 without leading zeros after `.p/`")
                })?;
            break w;
        };
        if elements.next().is_some() {
            return Err(bad("expected nothing after the tile index and width"));
        }
        let tile = Tile::new(level, index, width)?;
        Ok(Self { kind, tile })
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TileKind::Hashes => write!(f, "tile/{}/", self.tile.level)?,
            TileKind::Entries => f.write_str("tile/entries/")?,
        }
        let mut groups = Vec::new();
        let mut n = self.tile.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        for (i, g) in groups.iter().enumerate().rev() {
            if i > 0 {
                write!(f, "x{g:03}/")?;
            } else {
                write!(f, "{g:03}")?;
            }
        }
        if !self.tile.is_full() {
            write!(f, ".p/{}", self.tile.width)?;
        }
        Ok(())
    }
}

/// A decimal without leading zeros ("0" itself is fine).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// `index * 1000 + digits`, where `digits` must be exactly three ASCII digits; `None` for other
/// digits, `Some(None)` when the index would not fit in 64 bits.
fn push_group(index: u64, digits: &str) -> Option<Option<u64>> {
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let g: u64 = digits.parse().ok()?;
    Some(index.checked_mul(1000).and_then(|i| i.checked_add(g)))
}

/// Every tile of the tree of `size` leaves, level by level from 0, each level's full tiles in index
/// order and then its partial tile, if any.
///
/// The entry bundles are the level-0 tiles.
pub fn tiles(size: u64) -> impl Iterator<Item = Tile> {
    (0..=MAX_HASH_LEVEL).flat_map(move |level| {
        let count = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        let n = count.div_ceil(u64::from(TILE_WIDTH));
        (0..n).filter_map(move |index| Tile::in_tree(level, index, size))
    })
}

/// The partial tiles of the tree of `size` leaves: its right edge, lowest level first.
#[must_use]
pub fn partial_tiles(size: u64) -> Vec<Tile> {
    (0..=MAX_HASH_LEVEL)
        .filter_map(|level| {
            let count = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
            Tile::in_tree(level, count / u64::from(TILE_WIDTH), size).filter(|t| !t.is_full())
        })
        .collect()
}

/// A tile's contents: its hashes, concatenated.
#[must_use]
pub fn encode_hashes(hashes: &[Digest]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.as_bytes().iter().copied()).collect()
}

/// Reads a tile's contents: exactly `width` 32-byte hashes.
///
/// # Errors
/// [`TileError::Length`] if the length is not 32 times the tile's width.
pub fn decode_hashes(tile: Tile, bytes: &[u8]) -> Result<Vec<Digest>, TileError> {
    let expected = usize::from(tile.width) * DIGEST_LEN;
    if bytes.len() != expected {
        return Err(TileError::Length { path: tile.path(), expected, actual: bytes.len() });
    }
    Ok(bytes.chunks_exact(DIGEST_LEN).filter_map(Digest::from_slice).collect())
}

/// An entry bundle: each entry as a 2-byte big-endian length followed by its bytes.
///
/// # Errors
/// [`TileError::EntryTooLong`] if an entry is longer than [`MAX_ENTRY_LEN`].
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    let total: usize = entries.iter().map(|e| e.as_ref().len() + 2).sum();
    let mut out = Vec::with_capacity(total);
    for (index, entry) in entries.iter().enumerate() {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len())
            .map_err(|_| TileError::EntryTooLong { index, len: entry.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Reads the entry bundle behind a level-0 tile: exactly `width` entries and nothing after them.
///
/// # Errors
/// [`TileError::Bundle`] if the bytes are not such a sequence.
pub fn decode_bundle(tile: Tile, bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let path = || TilePath { kind: TileKind::Entries, tile }.to_string();
    let mut out = Vec::with_capacity(usize::from(tile.width));
    let mut rest = bytes;
    for i in 0..tile.width {
        let (len, after) = rest.split_first_chunk::<2>().ok_or_else(|| TileError::Bundle {
            path: path(),
            detail: format!(
                "ends before the length of entry `{i}` (expected `{}` entries)",
                tile.width
            ),
        })?;
        let len = usize::from(u16::from_be_bytes(*len));
        if after.len() < len {
            return Err(TileError::Bundle {
                path: path(),
                detail: format!(
                    "entry `{i}` is `{len}` bytes long but only `{}` remain",
                    after.len()
                ),
            });
        }
        let (entry, after) = after.split_at(len);
        out.push(entry);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(TileError::Bundle {
            path: path(),
            detail: format!("`{}` bytes follow the last of `{}` entries", rest.len(), tile.width),
        });
    }
    Ok(out)
}

/// The tiles, as they are in the tree of `size` leaves, that hold what [`TileSet::node`] needs to
/// compute the hashes of `ids`, sorted and without repeats.
///
/// # Errors
/// [`TileError::Plan`] if a node is not a complete subtree of the tree of `size` leaves.
pub fn tiles_for_nodes(ids: &[NodeId], size: u64) -> Result<Vec<Tile>, TileError> {
    let mut out = ids.iter().map(|id| tile_of(*id, size)).collect::<Result<Vec<_>, _>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The tiles needed for the inclusion proof of leaf `index` in the tree of `size` leaves.
///
/// # Errors
/// [`TileError::Plan`] unless `index < size`.
pub fn tiles_for_inclusion(index: u64, size: u64) -> Result<Vec<Tile>, TileError> {
    tiles_for_nodes(indices_for_inclusion(index, size)?.nodes(), size)
}

/// The tiles needed for the consistency proof from the tree of `old` leaves to the tree of `new`.
///
/// # Errors
/// [`TileError::Plan`] if `old > new`.
pub fn tiles_for_consistency(old: u64, new: u64) -> Result<Vec<Tile>, TileError> {
    tiles_for_nodes(indices_for_consistency(old, new)?.nodes(), new)
}

/// The tiles needed for the root of the tree of `size` leaves.
///
/// # Errors
/// Never in practice: the root's nodes are always complete subtrees of the tree.
pub fn tiles_for_root(size: u64) -> Result<Vec<Tile>, TileError> {
    tiles_for_nodes(&indices_for_root(size), size)
}

/// The tile holding the hashes that node `id` is computed from, as it is in the tree of `size`.
fn tile_of(id: NodeId, size: u64) -> Result<Tile, TileError> {
    if id.last_leaf() >= size {
        return Err(PlanError::IndexOutOfRange { index: id.last_leaf(), size }.into());
    }
    let (level, sub) = (id.level() / TILE_HEIGHT, id.level() % TILE_HEIGHT);
    let first = id.index() << sub;
    Tile::in_tree(level, first / u64::from(TILE_WIDTH), size)
        .ok_or(TileError::Plan(PlanError::IndexOutOfRange { index: id.last_leaf(), size }))
}

/// The hashes of the tiles a reader has fetched for one tree size, from which it computes node
/// hashes, the root and proofs.
///
/// Nothing here is trusted: check what it computes against a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSet {
    size: u64,
    // INVARIANT: each key is a tile of the tree of `size` leaves (as `Tile::in_tree` gives it), and
    // its value holds exactly `width` hashes.
    tiles: BTreeMap<Tile, Vec<Digest>>,
}

impl TileSet {
    /// An empty set for the tree of `size` leaves.
    #[must_use]
    pub const fn new(size: u64) -> Self {
        Self { size, tiles: BTreeMap::new() }
    }

    /// The tree size the tiles are read for.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// Adds a tile's contents.
    ///
    /// # Errors
    /// [`TileError::NotInTree`] if the tree of this size has no such tile (a different width
    /// included), or [`TileError::Length`] if the contents are not its width's hashes.
    pub fn insert(&mut self, tile: Tile, bytes: &[u8]) -> Result<(), TileError> {
        if Tile::in_tree(tile.level, tile.index, self.size) != Some(tile) {
            return Err(TileError::NotInTree { path: tile.path(), size: self.size });
        }
        let hashes = decode_hashes(tile, bytes)?;
        self.tiles.insert(tile, hashes);
        Ok(())
    }

    /// Authenticates every inserted tile against `root`, the root of a verified checkpoint of the
    /// set's size: the tiles of [`tiles_for_root`] must hash up to it, and every full tile must hash
    /// to its entry in the tile above it, which must be inserted too.
    ///
    /// Every hash of a partial tile is part of the root, and every full tile is an entry of the tile
    /// above, so afterwards every inserted hash is proven to be in the tree.
    ///
    /// # Errors
    /// [`TileError::Root`] or [`TileError::Inconsistent`] naming what does not hash up, or
    /// [`TileError::Missing`] for a tile the check needs.
    pub fn verify(&self, root: &RootHash) -> Result<(), TileError> {
        if root.size() != self.size || self.root()? != *root {
            return Err(TileError::Root(root.size()));
        }
        for (tile, hashes) in self.tiles.iter().filter(|(t, _)| t.is_full()) {
            let parent = tile
                .level
                .checked_add(1)
                .and_then(|level| {
                    Tile::in_tree(level, tile.index / u64::from(TILE_WIDTH), self.size)
                })
                .ok_or_else(|| TileError::Inconsistent(tile.path()))?;
            let above = self.tiles.get(&parent).ok_or_else(|| TileError::Missing(parent.path()))?;
            let at = usize::try_from(tile.index % u64::from(TILE_WIDTH)).unwrap_or(usize::MAX);
            if above.get(at) != Some(&perfect_root(hashes)) {
                return Err(TileError::Inconsistent(tile.path()));
            }
        }
        Ok(())
    }

    /// Reads the entry bundle behind an inserted level-0 tile and checks that each entry hashes to
    /// the tile's leaf hash; after [`TileSet::verify`], the entries are proven to be in the tree.
    ///
    /// # Errors
    /// [`TileError::Missing`] if the tile is not inserted, [`TileError::Bundle`] if the bytes are
    /// malformed, or [`TileError::Entry`] naming the first entry that does not match.
    pub fn check_bundle<'a>(
        &self,
        tile: Tile,
        bytes: &'a [u8],
    ) -> Result<Vec<&'a [u8]>, TileError> {
        let hashes = self.tiles.get(&tile).ok_or_else(|| TileError::Missing(tile.path()))?;
        let path = TilePath::entries(tile)?.to_string();
        let entries = decode_bundle(tile, bytes)?;
        for (index, (entry, hash)) in entries.iter().zip(hashes).enumerate() {
            if crate::hash::leaf_hash(entry) != *hash {
                return Err(TileError::Entry { path, index });
            }
        }
        Ok(entries)
    }

    /// The tiles of `needed` not inserted yet.
    #[must_use]
    pub fn missing(&self, needed: &[Tile]) -> Vec<Tile> {
        needed.iter().filter(|t| !self.tiles.contains_key(t)).copied().collect()
    }

    /// The hash of the complete subtree `id`, hashed up from the tile that holds its descendants.
    ///
    /// # Errors
    /// [`TileError::Plan`] if the node is not a complete subtree of the tree, or
    /// [`TileError::Missing`] if its tile has not been inserted.
    pub fn node(&self, id: NodeId) -> Result<Digest, TileError> {
        let tile = tile_of(id, self.size)?;
        let hashes = self.tiles.get(&tile).ok_or_else(|| TileError::Missing(tile.path()))?;
        let sub = id.level() % TILE_HEIGHT;
        let first = id.index() << sub;
        let offset = first % u64::from(TILE_WIDTH);
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let count = 1usize << sub;
        let span = start
            .checked_add(count)
            .and_then(|end| hashes.get(start..end))
            .ok_or_else(|| TileError::Missing(tile.path()))?;
        Ok(perfect_root(span))
    }

    /// The hashes of `ids`, in order.
    ///
    /// # Errors
    /// As [`TileSet::node`].
    pub fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Digest>, TileError> {
        ids.iter().map(|id| self.node(*id)).collect()
    }

    /// The root of the tree as it was at `size` leaves, at most the set's size.
    ///
    /// # Errors
    /// [`TileError::Plan`] if `size` exceeds the set's size, or [`TileError::Missing`].
    pub fn root_at(&self, size: u64) -> Result<RootHash, TileError> {
        if size > self.size {
            return Err(PlanError::IndexOutOfRange { index: size - 1, size: self.size }.into());
        }
        let hashes = self.nodes(&indices_for_root(size))?;
        Ok(root_from_nodes(size, &hashes)?)
    }

    /// The root of the tree of the set's size.
    ///
    /// # Errors
    /// [`TileError::Missing`] if a tile of [`tiles_for_root`] has not been inserted.
    pub fn root(&self) -> Result<RootHash, TileError> {
        self.root_at(self.size)
    }

    /// The inclusion proof of leaf `index` in the tree of the set's size.
    ///
    /// # Errors
    /// [`TileError::Plan`] unless `index < size`, or [`TileError::Missing`].
    pub fn inclusion_proof(&self, index: u64) -> Result<InclusionProof, TileError> {
        let plan = indices_for_inclusion(index, self.size)?;
        let hashes = self.nodes(plan.nodes())?;
        Ok(InclusionProof::from_hashes(plan.assemble(&hashes)?))
    }

    /// The consistency proof from the tree of `old` leaves to the tree of the set's size.
    ///
    /// # Errors
    /// [`TileError::Plan`] if `old` exceeds the size, or [`TileError::Missing`].
    pub fn consistency_proof(&self, old: u64) -> Result<ConsistencyProof, TileError> {
        let plan = indices_for_consistency(old, self.size)?;
        let hashes = self.nodes(plan.nodes())?;
        Ok(ConsistencyProof::from_hashes(plan.assemble(&hashes)?))
    }
}

/// The root of a perfect tree over `hashes`, whose length is a power of two.
fn perfect_root(hashes: &[Digest]) -> Digest {
    let mut row = hashes.to_vec();
    while row.len() > 1 {
        row = row
            .chunks_exact(2)
            .filter_map(|pair| match pair {
                [left, right] => Some(node_hash(left, right)),
                _ => None,
            })
            .collect();
    }
    row.first().copied().unwrap_or_else(crate::hash::empty_root)
}
