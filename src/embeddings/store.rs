//! The memory-mapped embedding store.

use super::format::Header;
use anyhow::{bail, Context};
use memmap2::Mmap;
use ndarray::ArrayView2;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

/// Index of a word in the model (its row).
pub type WordId = u32;

/// A loaded model: the vectors are used straight from the memory mapping.
pub struct Embeddings {
    mmap: Mmap,
    path: PathBuf,
    header: Header,
    /// Start of each word in the vocabulary section (relative to it), plus one final end.
    word_starts: Vec<u32>,
    /// Word ids sorted by word, for lookups by binary search.
    sorted: Vec<WordId>,
    /// Per word: 0 not yet judged, else [`JUDGED`] with [`OFFENSIVE`] and [`UNFIT_TO_DEAL`]
    /// (filled lazily: rustrict costs a few microseconds a word, too much for every word at
    /// startup).
    offensive: Vec<AtomicU8>,
}

const JUDGED: u8 = 1;
const OFFENSIVE: u8 = 2;
const UNFIT_TO_DEAL: u8 = 4;

impl std::fmt::Debug for Embeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embeddings")
            .field("path", &self.path)
            .field("name", &self.header.name)
            .field("dim", &self.header.dim)
            .field("count", &self.header.count)
            .finish()
    }
}

impl Embeddings {
    /// Map and validate a model file. Every problem is an error that names the file.
    pub fn open(path: &Path) -> anyhow::Result<Embeddings> {
        Self::open_inner(path).with_context(|| format!("model file {}", path.display()))
    }

    fn open_inner(path: &Path) -> anyhow::Result<Embeddings> {
        let file = std::fs::File::open(path).context("cannot open")?;
        // SAFETY: the file is opened read-only; model files are replaced by rename, never
        // rewritten in place, so the mapping does not change under us.
        let mmap = unsafe { Mmap::map(&file) }.context("cannot memory-map")?;
        let header = Header::parse(&mmap, mmap.len())?;
        let body = &mmap[header.vocab_off..];
        let sum = xxhash_rust::xxh3::xxh3_64(body);
        if sum != header.checksum {
            bail!(
                "checksum mismatch (stored {:016x}, computed {sum:016x}): the file is corrupt",
                header.checksum
            );
        }
        if !header.unit_normalised() {
            bail!("rows are not unit-normalised; re-import it with `word-bocce import-model`");
        }
        let vocab = &mmap[header.vocab_off..header.vocab_off + header.vocab_len];
        let mut word_starts = Vec::with_capacity(header.count + 1);
        word_starts.push(0u32);
        for (i, &b) in vocab.iter().enumerate() {
            if b == b'\n' {
                word_starts.push(i as u32 + 1);
            }
        }
        if word_starts.len() != header.count + 1 || vocab.last() != Some(&b'\n') {
            bail!(
                "corrupt vocabulary: {} words listed, header says {}",
                word_starts.len() - 1,
                header.count
            );
        }
        std::str::from_utf8(vocab).context("corrupt vocabulary: not UTF-8")?;
        if !(mmap.as_ptr() as usize).is_multiple_of(64) {
            bail!("the mapping is not 64-byte aligned");
        }
        let mut emb = Embeddings {
            mmap,
            path: path.to_path_buf(),
            header,
            word_starts,
            sorted: Vec::new(),
            offensive: Vec::new(),
        };
        emb.check_rows()?;
        let mut sorted: Vec<WordId> = (0..emb.len() as WordId).collect();
        sorted.sort_unstable_by(|&a, &b| emb.word(a).cmp(emb.word(b)));
        emb.sorted = sorted;
        emb.offensive = (0..emb.len()).map(|_| AtomicU8::new(0)).collect();
        Ok(emb)
    }

    fn check_rows(&self) -> anyhow::Result<()> {
        let dim = self.dim();
        for (i, row) in self.vectors().chunks_exact(dim).enumerate() {
            let mut sq = 0f64;
            for &v in row {
                if !v.is_finite() {
                    bail!(
                        "word {i} ('{}') has a non-finite value",
                        self.word(i as WordId)
                    );
                }
                sq += v as f64 * v as f64;
            }
            if sq == 0.0 {
                bail!(
                    "word {i} ('{}') has a zero-norm vector",
                    self.word(i as WordId)
                );
            }
            if (sq.sqrt() - 1.0).abs() > 1e-3 {
                bail!(
                    "word {i} ('{}') has norm {:.4}, but the file says its rows are unit-normalised",
                    self.word(i as WordId),
                    sq.sqrt()
                );
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The model's name as stored in its header (e.g. `glove-6B-50d-100k`).
    pub fn name(&self) -> &str {
        &self.header.name
    }

    /// The checksum stored in the header: identifies this exact model (index caches key on it).
    pub fn checksum(&self) -> u64 {
        self.header.checksum
    }

    pub fn dim(&self) -> usize {
        self.header.dim
    }

    pub fn len(&self) -> usize {
        self.header.count
    }

    pub fn is_empty(&self) -> bool {
        self.header.count == 0
    }

    /// All vectors, row-major, straight from the mapping.
    pub fn vectors(&self) -> &[f32] {
        let bytes = &self.mmap[self.header.vec_off..self.header.vec_off + self.header.vec_len];
        // Cannot fail: the offset is a multiple of 64 from a 64-byte aligned mapping (checked
        // at open) and the length is count*dim*4 (checked by Header::parse). Little-endian
        // only: see the compile-time check below.
        bytemuck::try_cast_slice(bytes).expect("vectors are 4-byte aligned, whole f32s")
    }

    /// The vectors as an ndarray view (count x dim), without copying.
    pub fn matrix(&self) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((self.len(), self.dim()), self.vectors())
            .expect("shape checked at open")
    }

    /// The unit vector of a word.
    #[inline]
    pub fn vector(&self, id: WordId) -> &[f32] {
        let d = self.dim();
        let i = id as usize * d;
        &self.vectors()[i..i + d]
    }

    /// The word of an id.
    pub fn word(&self, id: WordId) -> &str {
        let vocab =
            &self.mmap[self.header.vocab_off..self.header.vocab_off + self.header.vocab_len];
        let s = self.word_starts[id as usize] as usize;
        let e = self.word_starts[id as usize + 1] as usize - 1;
        // SAFETY: the whole vocabulary was checked to be UTF-8 at open and words end at '\n'
        // (an ASCII byte), so every word is a UTF-8 boundary-aligned slice.
        unsafe { std::str::from_utf8_unchecked(&vocab[s..e]) }
    }

    /// Exact lookup (case-sensitive, as stored).
    pub fn id(&self, word: &str) -> Option<WordId> {
        self.sorted
            .binary_search_by(|&id| self.word(id).cmp(word))
            .ok()
            .map(|i| self.sorted[i])
    }

    /// Lookup as players type: trimmed and lower-cased first.
    pub fn lookup(&self, word: &str) -> Option<WordId> {
        let w = word.trim();
        if w.bytes().any(|b| b.is_ascii_uppercase()) || !w.is_ascii() {
            self.id(&w.to_lowercase())
        } else {
            self.id(w)
        }
    }

    /// Whether a word is a slur or profanity: never shown nor played
    /// ([`super::deck::is_offensive`]).
    pub fn is_offensive(&self, id: WordId) -> bool {
        self.judged(id) & OFFENSIVE != 0
    }

    /// Whether a word may never be dealt as a card, a start or a target
    /// ([`super::deck::is_unfit_to_deal`]).
    pub fn is_unfit_to_deal(&self, id: WordId) -> bool {
        self.judged(id) & UNFIT_TO_DEAL != 0
    }

    /// The word's verdict bits, judged once and remembered.
    fn judged(&self, id: WordId) -> u8 {
        let cell = &self.offensive[id as usize];
        match cell.load(Ordering::Relaxed) {
            0 => {
                let w = self.word(id);
                let bits = if super::deck::is_offensive(w) {
                    JUDGED | OFFENSIVE | UNFIT_TO_DEAL
                } else if super::deck::flagged_widely(w) {
                    JUDGED | UNFIT_TO_DEAL
                } else {
                    JUDGED
                };
                cell.store(bits, Ordering::Relaxed);
                bits
            }
            bits => bits,
        }
    }

    /// Exact cosine of two words (see [`crate::simd::exact_dot`]).
    pub fn cosine(&self, a: WordId, b: WordId) -> f32 {
        crate::simd::exact_dot(self.vector(a), self.vector(b))
    }
}

#[cfg(not(target_endian = "little"))]
compile_error!("model files store little-endian f32 rows that are mapped as-is");
