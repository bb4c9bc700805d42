//! C2SP tlog-tiles: the log as immutable files a monitor can mirror and cache forever.
//!
//! A hash tile at level `L` holds the hashes of up to 256 consecutive complete subtrees of
//! height `8·L` (level 0: the leaf hashes); an entry bundle holds up to 256 consecutive
//! entries, each behind its big-endian `u16` length. A tile with fewer than 256 (the right
//! edge) is *partial*, named `.p/<W>`; since a complete subtree never changes, every tile,
//! partial ones included, is the same whenever it is served.
//!
//! Tiles are cut from the stored hashes (the store keeps every complete subtree), so serving
//! one is 256 reads; [`root_from_tiles`] is what a monitor does with them.
//!
//! ```
//! use truceline_log::tiles::{Tile, root_from_tiles};
//! use truceline_log::{Frontier, HashReader, leaf_hash};
//!
//! let mut tree = Frontier::default();
//! let mut stored = Vec::new();
//! for i in 0..300u32 {
//!     stored.extend(tree.append(leaf_hash(&i.to_be_bytes())));
//! }
//! // A full tile of leaf hashes, then the partial one at the edge.
//! assert_eq!(Tile::parse("0/000").unwrap().path(), "tile/0/000");
//! assert_eq!(Tile::parse("0/001.p/44").unwrap(), Tile::Hashes { level: 0, n: 1, width: 44 });
//! let root = root_from_tiles(300, |t| stored.read_nodes(&t.nodes().collect::<Vec<_>>())).unwrap();
//! assert_eq!(root, tree.root());
//! ```

use crate::hash::{EMPTY_ROOT, Hash, node_hash};

/// Levels of the tree one tile spans.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// The longest entry a bundle can hold (its length is a `u16`).
pub const MAX_ENTRY: usize = u16::MAX as usize;
/// The highest tile level named (64 tree levels).
const MAX_LEVEL: u8 = 7;

/// One tile: `width` is 256 for a full tile, 1–255 for a partial one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tile {
    Hashes { level: u8, n: u64, width: u16 },
    Entries { n: u64, width: u16 },
}

/// Why a tile path or bundle is not one.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TileError {
    #[error(
        "not a tile path: {0}; expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>], N in 3-digit groups (x001/x234/067), W from 1 to 255"
    )]
    Path(String),
    #[error("entry {index} is {len} bytes: an entry bundle holds entries of at most 65535")]
    EntryTooLong { index: u64, len: usize },
    #[error("the entry bundle is cut short after {0} entries")]
    Truncated(usize),
}

impl Tile {
    /// Reads a path below `tile/` (`0/x001/234`, `entries/000.p/5`).
    pub fn parse(path: &str) -> Result<Tile, TileError> {
        let bad = || TileError::Path(path.to_string());
        let (head, rest) = path.split_once('/').ok_or_else(bad)?;
        let (index, width) = match rest.split_once(".p/") {
            Some((index, w)) => {
                // Exactly the decimal width, no sign or leading zero.
                let w: u16 = (!w.starts_with('0') && w.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| w.parse().ok())
                    .flatten()
                    .filter(|&w| (1..TILE_WIDTH as u16).contains(&w))
                    .ok_or_else(bad)?;
                (index, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let n = parse_index(index).ok_or_else(bad)?;
        if head == "entries" {
            return Ok(Tile::Entries { n, width });
        }
        let level: u8 = (head.len() == 1)
            .then(|| head.parse().ok())
            .flatten()
            .filter(|&l| l <= MAX_LEVEL)
            .ok_or_else(bad)?;
        Ok(Tile::Hashes { level, n, width })
    }

    /// Its path from the log's root: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let (head, n, width) = match *self {
            Tile::Hashes { level, n, width } => (level.to_string(), n, width),
            Tile::Entries { n, width } => ("entries".to_string(), n, width),
        };
        let mut out = format!("tile/{head}/{}", index_path(n));
        if u64::from(width) < TILE_WIDTH {
            out.push_str(&format!(".p/{width}"));
        }
        out
    }

    /// Whether the log of `size` leaves has it: its last hash or entry is complete.
    pub fn within(&self, size: u64) -> bool {
        let (available, n, width) = match *self {
            Tile::Hashes { level, n, width } => {
                (size >> (TILE_HEIGHT * u32::from(level)), n, width)
            }
            Tile::Entries { n, width } => (size, n, width),
        };
        n.checked_mul(TILE_WIDTH)
            .and_then(|first| first.checked_add(u64::from(width)))
            .is_some_and(|end| end <= available)
    }

    /// The subtrees a hash tile holds, as (tree level, position): what to read. An entry
    /// bundle's leaves, at level 0.
    pub fn nodes(&self) -> impl Iterator<Item = (u32, u64)> + use<> {
        let (level, n, width) = match *self {
            Tile::Hashes { level, n, width } => (TILE_HEIGHT * u32::from(level), n, width),
            Tile::Entries { n, width } => (0, n, width),
        };
        let first = n * TILE_WIDTH;
        (first..first + u64::from(width)).map(move |i| (level, i))
    }

    /// The hash tile a monitor fetches for the subtree at (`level`, `k`) of a log of `size`
    /// leaves: full if the log has it, else the partial one at the edge.
    pub fn holding(level: u32, k: u64, size: u64) -> Tile {
        let tile_level = level / TILE_HEIGHT;
        let first = k << (level % TILE_HEIGHT);
        let n = first / TILE_WIDTH;
        let available = size >> (TILE_HEIGHT * tile_level);
        let width = (available - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
        Tile::Hashes {
            level: tile_level as u8,
            n,
            width,
        }
    }
}

/// `N` in groups of three digits, all but the last behind `x`.
fn index_path(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn parse_index(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split('/').collect();
    let mut n: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x')?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    // One spelling per number: no leading all-zero group.
    (parts.len() == 1 || !parts[0].ends_with("000")).then_some(n)
}

/// An entry bundle: each entry behind its length as a big-endian `u16`. `first` is the first
/// entry's index, for the error naming one too long.
pub fn entry_bundle<'a>(
    first: u64,
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLong {
            index: first + i as u64,
            len: e.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of a bundle.
pub fn read_entry_bundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else {
            return Err(TileError::Truncated(out.len()));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len {
            return Err(TileError::Truncated(out.len()));
        }
        out.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(out)
}

/// The root of the log of `size` leaves from its hash tiles alone, as a monitor computes it:
/// `fetch` answers a tile's hashes (checked to be as many as its width).
pub fn root_from_tiles<E>(
    size: u64,
    mut fetch: impl FnMut(Tile) -> Result<Vec<Hash>, E>,
) -> Result<Hash, RootError<E>> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    // The complete subtrees the size splits into, largest first, folded from the right.
    let mut subtrees = Vec::new();
    let mut start = 0u64;
    for level in (0..64u32).rev() {
        if size & (1 << level) != 0 {
            subtrees.push((level, start >> level));
            start += 1 << level;
        }
    }
    let mut hashes = Vec::with_capacity(subtrees.len());
    for (level, k) in subtrees {
        let tile = Tile::holding(level, k, size);
        let got = fetch(tile).map_err(RootError::Fetch)?;
        let Tile::Hashes { width, n, .. } = tile else {
            unreachable!("holding names a hash tile")
        };
        if got.len() != usize::from(width) {
            return Err(RootError::Width {
                tile: tile.path(),
                got: got.len(),
            });
        }
        // The subtree folds the 2^r hashes of the tile below it.
        let r = level % TILE_HEIGHT;
        let first = ((k << r) - n * TILE_WIDTH) as usize;
        hashes.push(crate::root_of_leaves(&got[first..first + (1 << r)]));
    }
    let mut acc = hashes.pop().expect("a size > 0 has a subtree");
    while let Some(h) = hashes.pop() {
        acc = node_hash(&h, &acc);
    }
    Ok(acc)
}

/// Why [`root_from_tiles`] could not compute a root.
#[derive(Debug, thiserror::Error)]
pub enum RootError<E> {
    #[error("tile {tile} has {got} hashes, not as many as its width")]
    Width { tile: String, got: usize },
    #[error(transparent)]
    Fetch(E),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Frontier, HashReader, leaf_hash, subtree_root};

    #[test]
    fn paths_are_the_specs() {
        for (n, p) in [
            (0, "000"),
            (67, "067"),
            (1000, "x001/000"),
            (1_234_067, "x001/x234/067"),
        ] {
            assert_eq!(index_path(n), p);
            assert_eq!(parse_index(p), Some(n));
        }
        assert_eq!(
            Tile::parse("entries/x001/x234/067.p/8").unwrap(),
            Tile::Entries {
                n: 1_234_067,
                width: 8
            }
        );
        assert_eq!(
            Tile::Entries {
                n: 1_234_067,
                width: 8
            }
            .path(),
            "tile/entries/x001/x234/067.p/8"
        );
        for bad in [
            "0/67",
            "0/0067",
            "0/x000/067",
            "0/067.p/0",
            "0/067.p/256",
            "0/067.p/08",
            "8/000",
            "01/000",
            "-1/000",
            "0/x1/000",
            "0",
            "entries",
            "0/067/",
        ] {
            assert!(Tile::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundles_round_trip_and_refuse_what_does_not_fit() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), vec![], vec![7; 300]];
        let b = entry_bundle(0, entries.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(&b[..3], &[0, 1, b'a']);
        assert_eq!(read_entry_bundle(&b).unwrap(), entries);
        assert_eq!(
            read_entry_bundle(&b[..b.len() - 1]),
            Err(TileError::Truncated(2))
        );
        let big = vec![0; MAX_ENTRY + 1];
        assert_eq!(
            entry_bundle(512, [&b"x"[..], &big]),
            Err(TileError::EntryTooLong {
                index: 513,
                len: MAX_ENTRY + 1
            })
        );
    }

    #[test]
    fn the_root_from_tiles_is_the_trees_at_every_size() {
        let mut tree = Frontier::default();
        let mut stored = Vec::new();
        for size in 1..=1100u64 {
            stored.extend(tree.append(leaf_hash(&size.to_be_bytes())));
            let mut fetched = Vec::new();
            let root = root_from_tiles(size, |t| {
                assert!(t.within(size), "{t:?} is not in a log of {size}");
                fetched.push(t);
                stored.read_nodes(&t.nodes().collect::<Vec<_>>())
            })
            .unwrap();
            assert_eq!(root, tree.root(), "size {size}");
            assert_eq!(root, subtree_root(size, &stored).unwrap());
        }
        // A tile beyond the log is not in it; one within an older size stays within.
        let t = Tile::parse("0/004.p/76").unwrap();
        assert!(t.within(1100) && !t.within(1099));
        assert!(!Tile::parse("1/000.p/5").unwrap().within(1100));
        assert!(Tile::parse("1/000.p/4").unwrap().within(1100));
    }
}
