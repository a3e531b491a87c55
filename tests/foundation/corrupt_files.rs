//! Damaged or foreign files: a model file is refused with an error naming the file and the
//! problem (never a panic, never a silently wrong model); a bad index cache is rebuilt.

use crate::common::write_subset;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use word_bocce::embeddings::format::HEADER_LEN;
use word_bocce::embeddings::{Embeddings, WordId};
use word_bocce::index::hnsw::{FrozenGraph, Origin};
use word_bocce::index::{HnswIndex, IndexParams, NearestIndex, NoSkip};

const DIM: usize = 50;

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Recompute the stored checksum, so that a later check is the one that fires.
fn fix_checksum(b: &mut [u8]) {
    let sum = xxhash_rust::xxh3::xxh3_64(&b[HEADER_LEN..]);
    b[64..72].copy_from_slice(&sum.to_le_bytes());
}

/// Byte offset of value `d` of row `row`.
fn value_at(b: &[u8], row: usize, d: usize) -> usize {
    u64_at(b, 48) as usize + (row * DIM + d) * 4
}

fn set_row(b: &mut [u8], row: usize, f: impl Fn(usize, f32) -> f32) {
    for d in 0..DIM {
        let at = value_at(b, row, d);
        let v = f32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        b[at..at + 4].copy_from_slice(&f(d, v).to_le_bytes());
    }
}

/// Open `path` expecting an error (not a panic) that names the file and contains every one of
/// `needles` (case-insensitive).
fn expect_refused(path: &Path, case: &str, needles: &[&str]) {
    let res = catch_unwind(AssertUnwindSafe(|| Embeddings::open(path)));
    let res = res.unwrap_or_else(|_| panic!("{case}: Embeddings::open panicked"));
    let e = match res {
        Ok(emb) => panic!("{case}: the damaged file opened as {emb:?}"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        e.contains(&path.display().to_string()),
        "{case}: the error does not name the file: {e}"
    );
    let lower = e.to_lowercase();
    for n in needles {
        assert!(
            lower.contains(&n.to_lowercase()),
            "{case}: the error does not say '{n}': {e}"
        );
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    good: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = write_subset(dir.path(), "small.wbm", 1000..1500);
        let good = std::fs::read(&path).unwrap();
        Embeddings::open(&path).expect("the intact small model opens");
        Fixture { dir, good }
    }

    /// Write a variant of the good file and return its path.
    fn variant(&self, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
        let mut b = self.good.clone();
        edit(&mut b);
        let p = self.dir.path().join(name);
        std::fs::write(&p, &b).unwrap();
        p
    }
}

#[test]
fn damaged_model_files_are_refused_with_a_reason() {
    let f = Fixture::new();
    let len = f.good.len();

    for (cut, why) in [
        (len - 1, "truncated"),
        (len - 100, "truncated"),
        (len / 2, "truncated"),
        (200, "truncated"),
        (HEADER_LEN, "truncated"),
        (64, "truncated"),
        (0, "truncated"),
    ] {
        let p = f.variant(&format!("cut{cut}.wbm"), |b| b.truncate(cut));
        expect_refused(&p, &format!("truncated to {cut} bytes"), &[why]);
    }
    let p = f.variant("padded.wbm", |b| b.extend_from_slice(&[0; 64]));
    expect_refused(&p, "padded", &["unexpected bytes"]);

    let p = f.variant("flipped.wbm", |b| {
        let at = value_at(b, 123, 17);
        b[at] ^= 0x01;
    });
    expect_refused(&p, "one flipped bit in the vectors", &["checksum"]);
    let p = f.variant("flipped-vocab.wbm", |b| b[HEADER_LEN + 3] ^= 0x20);
    expect_refused(&p, "one flipped bit in the vocabulary", &["checksum"]);

    let p = f.variant("magic.wbm", |b| b[0..8].copy_from_slice(b"WBOCCEMX"));
    expect_refused(&p, "bad magic", &["not a word bocce model file"]);

    let p = f.variant("version.wbm", |b| {
        b[8..12].copy_from_slice(&2u32.to_le_bytes())
    });
    expect_refused(&p, "version 2", &["version 2"]);

    let p = f.variant("count-up.wbm", |b| {
        let c = u64_at(b, 24) + 1;
        b[24..32].copy_from_slice(&c.to_le_bytes());
    });
    expect_refused(&p, "count + 1", &["corrupt header", "501 words"]);
    let p = f.variant("count-down.wbm", |b| {
        // Count and vector length agree with each other but not with the file.
        b[24..32].copy_from_slice(&499u64.to_le_bytes());
        b[56..64].copy_from_slice(&(499 * DIM as u64 * 4).to_le_bytes());
    });
    expect_refused(&p, "count - 1", &["corrupt"]);
    let p = f.variant("dim.wbm", |b| {
        b[16..20].copy_from_slice(&0u32.to_le_bytes())
    });
    expect_refused(&p, "dim 0", &["dimension"]);

    let p = f.variant("flags.wbm", |b| {
        b[12..16].copy_from_slice(&0u32.to_le_bytes())
    });
    expect_refused(&p, "not flagged unit", &["not unit-normalised"]);

    let p = f.variant("non-unit.wbm", |b| {
        set_row(b, 42, |_, v| v * 1.5);
        fix_checksum(b);
    });
    expect_refused(&p, "a row of norm 1.5", &["word 42", "norm 1.5"]);
    let p = f.variant("nan.wbm", |b| {
        set_row(b, 7, |d, v| if d == 3 { f32::NAN } else { v });
        fix_checksum(b);
    });
    expect_refused(&p, "a NaN", &["word 7", "non-finite"]);
    let p = f.variant("inf.wbm", |b| {
        set_row(b, 8, |d, v| if d == 0 { f32::INFINITY } else { v });
        fix_checksum(b);
    });
    expect_refused(&p, "an infinity", &["word 8", "non-finite"]);
    let p = f.variant("zero.wbm", |b| {
        set_row(b, 499, |_, _| 0.0);
        fix_checksum(b);
    });
    expect_refused(&p, "a zero row", &["word 499", "zero-norm"]);

    let p = f.variant("vocab-lines.wbm", |b| {
        // Two words run together: 499 words listed for 500 rows.
        let nl = b[HEADER_LEN..].iter().position(|&c| c == b'\n').unwrap();
        b[HEADER_LEN + nl] = b'x';
        fix_checksum(b);
    });
    expect_refused(&p, "a missing line break", &["corrupt vocabulary"]);
    let p = f.variant("vocab-utf8.wbm", |b| {
        b[HEADER_LEN] = 0xff;
        fix_checksum(b);
    });
    expect_refused(&p, "invalid UTF-8", &["utf-8"]);

    expect_refused(
        &f.dir.path().join("missing.wbm"),
        "a missing file",
        &["cannot open"],
    );
    expect_refused(f.dir.path(), "a directory", &[]);
}

#[test]
fn foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4000u32).map(|i| (i * 7919 % 251) as u8));
    let text = "the 0.418 0.24968 -0.41242 0.1217 0.34527\n".repeat(100);
    for (name, bytes) in [("image.png", png), ("vectors.txt", text.into_bytes())] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        expect_refused(&p, name, &["not a word bocce model file"]);
    }
    // A file shorter than a header is refused too (it is reported as truncated).
    let p = dir.path().join("short.txt");
    std::fs::write(&p, "hello\n").unwrap();
    expect_refused(&p, "a short text file", &[]);
}

/// Whatever single header byte is damaged, opening never panics; if the file still opens it is
/// the same model (only the name and reserved bytes are not load-bearing).
#[test]
fn no_header_byte_makes_open_panic() {
    let f = Fixture::new();
    let good = Embeddings::open(&f.dir.path().join("small.wbm")).unwrap();
    for at in 0..HEADER_LEN {
        for mask in [0x01u8, 0x80, 0xff] {
            let p = f.variant("header.wbm", |b| b[at] ^= mask);
            let res = catch_unwind(AssertUnwindSafe(|| Embeddings::open(&p)))
                .unwrap_or_else(|_| panic!("header byte {at} ^ {mask:#x}: open panicked"));
            if let Ok(emb) = res {
                // Only flag bits other than "unit", the reserved words and the name may change
                // without notice; the model itself must be the same.
                let harmless = (13..16).contains(&at)
                    || (at == 12 && mask & 1 == 0)
                    || (20..24).contains(&at)
                    || (72..128).contains(&at);
                assert!(harmless, "header byte {at} ^ {mask:#x} was not noticed");
                assert_eq!((emb.len(), emb.dim()), (good.len(), good.dim()));
                assert_eq!(emb.vectors(), good.vectors());
                assert!((0..emb.len() as WordId).all(|i| emb.word(i) == good.word(i)));
            }
        }
    }
}

// ----- the index cache ------------------------------------------------------------------------

fn small_params() -> IndexParams {
    IndexParams {
        m: 8,
        ef_construction: 40,
        ef_search: 32,
    }
}

fn open(path: &Path) -> Arc<Embeddings> {
    Arc::new(Embeddings::open(path).unwrap())
}

/// Load or build; returns the origin after checking the index serves.
fn load(emb: &Arc<Embeddings>, params: IndexParams, dir: &Path) -> Origin {
    let (index, origin) = HnswIndex::load_or_build(emb.clone(), params, Some(dir)).unwrap();
    let misses = (0..emb.len() as WordId)
        .filter(|&id| index.search(emb.vector(id), 1, &NoSkip, &[])[0].id != id)
        .count();
    assert!(misses <= 2, "{misses} words did not find themselves");
    origin
}

fn expect_built(origin: Origin, why: &str) -> PathBuf {
    match origin {
        Origin::Built {
            reason,
            saved: Some(p),
        } => {
            assert!(
                reason.contains(why),
                "rebuilt because '{reason}', expected '{why}'"
            );
            p
        }
        other => panic!("expected a rebuild ({why}), got {other:?}"),
    }
}

fn expect_cache(origin: Origin, want: &Path) {
    match origin {
        Origin::Cache(p) => assert_eq!(p, want),
        other => panic!("expected the cache {}, got {other:?}", want.display()),
    }
}

#[test]
fn bad_index_caches_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let a = open(&write_subset(dir.path(), "a.wbm", 1000..1500));
    let b = open(&write_subset(dir.path(), "b.wbm", 2000..2500));
    assert_ne!(a.checksum(), b.checksum());
    let params = small_params();

    let path = expect_built(load(&a, params, &cache), "no cached graph yet");
    assert_eq!(path, HnswIndex::cache_path(&cache, &a, &params));
    expect_cache(load(&a, params, &cache), &path);
    let good = std::fs::read(&path).unwrap();

    // Damage the cache, check it is rejected (with `why`), rebuilt, and then loads.
    let damaged = |case: &str, why: &str, bytes: Vec<u8>| {
        std::fs::write(&path, bytes).unwrap();
        let rebuilt = expect_built(load(&a, params, &cache), why);
        assert_eq!(rebuilt, path, "{case}");
        let origin = load(&a, params, &cache);
        expect_cache(origin, &path);
    };
    let mut t = good.clone();
    t.truncate(good.len() - 4);
    damaged("truncated", "rejected: truncated", t);
    damaged("empty", "rejected", Vec::new());
    let mut t = good.clone();
    let mid = good.len() / 2;
    t[mid] ^= 0x10;
    damaged("flipped byte", "rejected: checksum mismatch", t);
    damaged(
        "text",
        "rejected: not an index cache",
        b"hello, world\n".repeat(20),
    );

    // The cache of another model, under this model's name.
    let (_, b_origin) = HnswIndex::load_or_build(b.clone(), params, Some(&cache)).unwrap();
    let b_path = expect_built(b_origin, "no cached graph yet");
    assert_ne!(b_path, path);
    damaged(
        "another model",
        "rejected: built for another model",
        std::fs::read(&b_path).unwrap(),
    );

    // A cache built with other parameters, under this one's name.
    let other = IndexParams { m: 12, ..params };
    let o_path = expect_built(load(&a, other, &cache), "no cached graph yet");
    assert_ne!(o_path, path);
    damaged(
        "other parameters",
        "rejected: built with other parameters",
        std::fs::read(&o_path).unwrap(),
    );
    let other = IndexParams {
        ef_construction: 41,
        ..params
    };
    let o_path = expect_built(load(&a, other, &cache), "no cached graph yet");
    damaged(
        "other ef_construction",
        "rejected: built with other parameters",
        std::fs::read(&o_path).unwrap(),
    );
    // ef_search does not shape the graph: the same cache serves.
    let wider = IndexParams {
        ef_search: 200,
        ..params
    };
    expect_cache(load(&a, wider, &cache), &path);

    // No cache directory: built, not saved.
    let (_, origin) = HnswIndex::load_or_build(a.clone(), params, None).unwrap();
    assert!(
        matches!(origin, Origin::Built { saved: None, .. }),
        "{origin:?}"
    );
}

/// Whatever single header byte of a cache file is damaged, loading never panics, and a graph
/// that loads still serves.
#[test]
fn no_cache_header_byte_makes_load_panic() {
    let dir = tempfile::tempdir().unwrap();
    let emb = open(&write_subset(dir.path(), "h.wbm", 3000..3400));
    let params = small_params();
    let (_, origin) = HnswIndex::load_or_build(emb.clone(), params, Some(dir.path())).unwrap();
    let path = expect_built(origin, "no cached graph yet");
    let good = std::fs::read(&path).unwrap();
    let probe = dir.path().join("probe.idx");
    let mut loaded = Vec::new();
    for at in 0..128 {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = good.clone();
            b[at] ^= mask;
            std::fs::write(&probe, &b).unwrap();
            let res = catch_unwind(AssertUnwindSafe(|| {
                FrozenGraph::load(&probe, &params, emb.checksum(), emb.len())
            }))
            .unwrap_or_else(|_| panic!("cache header byte {at} ^ {mask:#x}: load panicked"));
            if let Ok(g) = res {
                loaded.push(at);
                let index = HnswIndex::new(emb.clone(), g, params);
                for id in (0..emb.len() as WordId).step_by(7) {
                    let hits = index.search(emb.vector(id), 5, &NoSkip, &[]);
                    assert_eq!(hits.len(), 5, "byte {at} ^ {mask:#x}");
                }
            }
        }
    }
    loaded.dedup();
    eprintln!("cache header bytes whose damage still loads: {loaded:?}");
}
