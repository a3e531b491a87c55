//! The model file format (`.wbm`), documented in `models/README.md`.
//!
//! ```text
//! 0    magic     8 bytes  "WBOCCEMD"
//! 8    version   u32      1
//! 12   flags     u32      bit 0: rows are unit-normalised
//! 16   dim       u32
//! 20   reserved  u32      0
//! 24   count     u64      number of words (= rows)
//! 32   vocab_off u64      128
//! 40   vocab_len u64      bytes of the vocabulary: the words, each followed by '\n'
//! 48   vec_off   u64      start of the vectors, a multiple of 64
//! 56   vec_len   u64      count * dim * 4
//! 64   checksum  u64      xxh3-64 of every byte from vocab_off to the end of the file
//! 72   name      48 bytes model name, UTF-8, zero-padded
//! 120  reserved  8 bytes  0
//! 128  vocabulary, zero padding up to vec_off, then f32 little-endian rows, row-major
//! ```
//! All integers are little-endian. The vectors start on a 64-byte boundary so a memory mapping
//! can be used as `&[f32]` without copying.

use anyhow::{bail, Context};
use std::io::Write;
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"WBOCCEMD";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 128;
pub const FLAG_UNIT: u32 = 1;
pub const NAME_LEN: usize = 48;

/// The parsed, validated header of a model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub flags: u32,
    pub dim: usize,
    pub count: usize,
    pub vocab_off: usize,
    pub vocab_len: usize,
    pub vec_off: usize,
    pub vec_len: usize,
    pub checksum: u64,
    pub name: String,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl Header {
    /// Parse and check a header against the length of the file it came from.
    pub fn parse(bytes: &[u8], file_len: usize) -> anyhow::Result<Header> {
        if bytes.len() >= MAGIC.len() && &bytes[0..8] != MAGIC {
            bail!(
                "not a Word Bocce model file (bad magic; import it with `word-bocce import-model`)"
            );
        }
        if bytes.len() < HEADER_LEN {
            bail!(
                "truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
                bytes.len()
            );
        }
        if &bytes[0..8] != MAGIC {
            bail!(
                "not a Word Bocce model file (bad magic; import it with `word-bocce import-model`)"
            );
        }
        let version = u32_at(bytes, 8);
        if version != VERSION {
            bail!("unsupported model format version {version} (this build reads {VERSION})");
        }
        let as_usize = |v: u64, what: &str| -> anyhow::Result<usize> {
            usize::try_from(v).with_context(|| format!("{what} {v} does not fit in memory"))
        };
        let name_raw = &bytes[72..72 + NAME_LEN];
        let name_end = name_raw.iter().position(|&c| c == 0).unwrap_or(NAME_LEN);
        let name = std::str::from_utf8(&name_raw[..name_end])
            .context("model name is not UTF-8")?
            .to_string();
        let h = Header {
            flags: u32_at(bytes, 12),
            dim: u32_at(bytes, 16) as usize,
            count: as_usize(u64_at(bytes, 24), "count")?,
            vocab_off: as_usize(u64_at(bytes, 32), "vocabulary offset")?,
            vocab_len: as_usize(u64_at(bytes, 40), "vocabulary length")?,
            vec_off: as_usize(u64_at(bytes, 48), "vector offset")?,
            vec_len: as_usize(u64_at(bytes, 56), "vector length")?,
            checksum: u64_at(bytes, 64),
            name,
        };
        if h.dim == 0 || h.dim > 4096 {
            bail!("implausible dimension {}", h.dim);
        }
        if h.count == 0 {
            bail!("the model holds no words");
        }
        if h.vocab_off != HEADER_LEN {
            bail!(
                "corrupt header: vocabulary offset {} (expected {HEADER_LEN})",
                h.vocab_off
            );
        }
        let want_vec_len = h
            .count
            .checked_mul(h.dim)
            .and_then(|n| n.checked_mul(4))
            .context("corrupt header: count x dim overflows")?;
        if h.vec_len != want_vec_len {
            bail!(
                "corrupt header: vector length {} but {} words x {} dims need {want_vec_len}",
                h.vec_len,
                h.count,
                h.dim
            );
        }
        if !h.vec_off.is_multiple_of(64) || h.vec_off < h.vocab_off.saturating_add(h.vocab_len) {
            bail!("corrupt header: vector offset {} is misplaced", h.vec_off);
        }
        let end = h.vec_off.checked_add(h.vec_len).context("corrupt header")?;
        if end != file_len {
            if end > file_len {
                bail!("truncated: header promises {end} bytes, the file has {file_len}");
            }
            bail!(
                "corrupt: {} unexpected bytes after the vectors",
                file_len - end
            );
        }
        Ok(h)
    }

    pub fn unit_normalised(&self) -> bool {
        self.flags & FLAG_UNIT != 0
    }
}

/// Normalise every row to unit length in place; fails naming the first zero-norm or
/// non-finite row.
pub fn normalise_rows(words: &[String], dim: usize, vectors: &mut [f32]) -> anyhow::Result<()> {
    for (i, row) in vectors.chunks_exact_mut(dim).enumerate() {
        if row.iter().any(|v| !v.is_finite()) {
            bail!("word {i} ('{}') has a non-finite value", words[i]);
        }
        let norm = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            bail!("word {i} ('{}') has a zero-norm vector", words[i]);
        }
        for v in row.iter_mut() {
            *v = (*v as f64 / norm) as f32;
        }
    }
    Ok(())
}

/// Write a model file: the rows are normalised here, once. The file is written beside its
/// destination and renamed into place, so a reader never sees half a model.
pub fn write_model(
    path: &Path,
    name: &str,
    words: &[String],
    dim: usize,
    mut vectors: Vec<f32>,
) -> anyhow::Result<()> {
    if words.is_empty() {
        bail!("no words to write");
    }
    if vectors.len() != words.len() * dim {
        bail!(
            "{} values for {} words of {dim} dims",
            vectors.len(),
            words.len()
        );
    }
    if name.len() > NAME_LEN {
        bail!("model name '{name}' is longer than {NAME_LEN} bytes");
    }
    for w in words {
        if w.is_empty() || w.contains(['\n', '\r']) {
            bail!("word {w:?} cannot be stored (empty or contains a line break)");
        }
    }
    normalise_rows(words, dim, &mut vectors)?;

    let mut vocab = Vec::with_capacity(words.iter().map(|w| w.len() + 1).sum());
    for w in words {
        vocab.extend_from_slice(w.as_bytes());
        vocab.push(b'\n');
    }
    let vec_off = (HEADER_LEN + vocab.len()).div_ceil(64) * 64;
    let mut body = Vec::with_capacity(vec_off - HEADER_LEN + vectors.len() * 4);
    body.extend_from_slice(&vocab);
    body.resize(vec_off - HEADER_LEN, 0);
    for v in &vectors {
        body.extend_from_slice(&v.to_le_bytes());
    }
    let checksum = xxhash_rust::xxh3::xxh3_64(&body);

    let mut header = [0u8; HEADER_LEN];
    header[0..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&VERSION.to_le_bytes());
    header[12..16].copy_from_slice(&FLAG_UNIT.to_le_bytes());
    header[16..20].copy_from_slice(&(dim as u32).to_le_bytes());
    header[24..32].copy_from_slice(&(words.len() as u64).to_le_bytes());
    header[32..40].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
    header[40..48].copy_from_slice(&(vocab.len() as u64).to_le_bytes());
    header[48..56].copy_from_slice(&(vec_off as u64).to_le_bytes());
    header[56..64].copy_from_slice(&((vectors.len() * 4) as u64).to_le_bytes());
    header[64..72].copy_from_slice(&checksum.to_le_bytes());
    header[72..72 + name.len()].copy_from_slice(name.as_bytes());

    let tmp = path.with_extension("wbm.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        f.write_all(&header)?;
        f.write_all(&body)?;
        f.into_inner()?.sync_all()
    };
    write().with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(())
}
