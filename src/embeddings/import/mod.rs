//! Importers: read word vectors from external formats into memory.
//!
//! Supported sources (see [`SourceFormat`]), one submodule each:
//! * word2vec binary (`.bin`, `.bin.gz`): [`word2vec`],
//! * word2vec / GloVe / fastText text (`.txt`, `.vec`, optionally gzipped): [`text`],
//! * a NumPy `.npy` matrix (`<f4` or `<f8`, C or Fortran order) plus a word list: [`npy`].
//!
//! Gzip compression is recognised by the gzip magic bytes (`1f 8b`), whatever the file is
//! called: a `.gz` file that does not start with the magic bytes is read as plain data.
//!
//! The filters of [`ImportOptions`] are applied while reading, so `top_n` stops the read
//! early. Vectors are returned as read (not normalised); normalising and writing the model
//! file is the writer's job. Because the writer normalises, an all-zero vector is rejected,
//! but only for words that are actually kept.
//!
//! Checking policy: structural problems (wrong number of values, unparsable numbers, bad
//! headers, truncation) are errors wherever they occur in the part of the file that is read;
//! value problems (non-finite or all-zero vectors) are errors only for kept words. Duplicate
//! words keep their first occurrence; later ones are skipped silently (and counted).
//!
//! This module holds what the formats share: the public API, the filters ([`Collector`]),
//! gzip detection and the reading of little-endian floats.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

mod npy;
#[cfg(test)]
mod test_support;
mod text;
mod word2vec;

/// Word vectors read from a source file, in the source's order (most frequent first for GloVe/word2vec).
#[derive(Debug, Clone)]
pub struct RawEmbeddings {
    pub words: Vec<String>,
    pub dim: usize,
    /// Row-major, words.len() * dim values, NOT normalised.
    pub vectors: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFormat {
    /// word2vec binary: header line "<count> <dim>\n", then per word: the word bytes, a space, dim little-endian f32, optionally a '\n'. `.bin` or `.bin.gz`.
    Word2VecBinary,
    /// word2vec / GloVe text: one "word v1 v2 ... vdim" per line; an optional first line "<count> <dim>" (detect it: exactly two integer fields). Optionally gzip (`.gz`).
    Text,
    /// A NumPy `.npy` matrix (count x dim, dtype '<f4' or '<f8', C or Fortran order as the
    /// header says) plus a word list file (UTF-8, one word per line, same order as the rows;
    /// its length must equal the number of rows).
    Npy { words: PathBuf },
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Keep only the first N words that pass the filters (file order = frequency order).
    pub top_n: Option<usize>,
    /// Keep only words made entirely of ASCII lowercase letters a-z.
    pub lowercase_alpha: bool,
    /// Show an indicatif progress bar on stderr (bytes or rows read).
    pub progress: bool,
}

/// Guess the format from the file name: ".npy" -> needs the words path (return an error asking for it if None), ".bin"/".bin.gz" -> Word2VecBinary, anything else (".txt", ".txt.gz", ".vec", ".gz") -> Text.
pub fn detect_format(path: &Path, words: Option<&Path>) -> Result<SourceFormat> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".npy") {
        match words {
            Some(words) => Ok(SourceFormat::Npy {
                words: words.to_path_buf(),
            }),
            None => bail!(
                "{}: a .npy matrix has no words; also give the path of its word list \
                 (UTF-8, one word per line, in row order)",
                path.display()
            ),
        }
    } else if name.ends_with(".bin") || name.ends_with(".bin.gz") {
        Ok(SourceFormat::Word2VecBinary)
    } else {
        Ok(SourceFormat::Text)
    }
}

/// Read the source, applying the filters while reading (stop early once top_n words are kept).
pub fn read_source(
    path: &Path,
    format: &SourceFormat,
    opts: &ImportOptions,
) -> Result<RawEmbeddings> {
    let (raw, stats) = read_with_stats(path, format, opts)?;
    if opts.progress {
        eprintln!(
            "{}: kept {} words of dim {} ({} read, {} filtered out, {} duplicates skipped)",
            path.display(),
            raw.words.len(),
            raw.dim,
            stats.rows_read,
            stats.filtered,
            stats.duplicates
        );
    }
    Ok(raw)
}

/// Largest vector dimension accepted from a header (guards against absurd allocations).
const MAX_DIM: usize = 1 << 20;
/// Upper bound on the number of floats reserved up front from a header's count.
const MAX_RESERVE_FLOATS: usize = 1 << 26;
/// Buffer size of the readers.
const BUF_BYTES: usize = 1 << 18;

/// Counters of one read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ReadStats {
    /// Data rows looked at (kept, filtered or duplicate).
    rows_read: usize,
    /// Rows dropped by `lowercase_alpha`.
    filtered: usize,
    /// Rows skipped because their word was already kept.
    duplicates: usize,
}

fn read_with_stats(
    path: &Path,
    format: &SourceFormat,
    opts: &ImportOptions,
) -> Result<(RawEmbeddings, ReadStats)> {
    let pb = new_progress(opts.progress, path);
    let result = match format {
        SourceFormat::Word2VecBinary => word2vec::read(path, opts, &pb),
        SourceFormat::Text => text::read(path, opts, &pb),
        SourceFormat::Npy { words } => npy::read(path, words, opts, &pb),
    };
    pb.finish_and_clear();
    result
}

fn new_progress(enabled: bool, path: &Path) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    pb.set_message(name);
    pb
}

/// Open `path` for buffered reading, transparently decompressing gzip (detected by magic
/// bytes). Progress counts bytes read from the file on disk (compressed bytes for gzip).
fn open_input(path: &Path, pb: &ProgressBar) -> Result<Box<dyn BufRead>> {
    let mut file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("{}: cannot stat", path.display()))?
        .len();
    let gz = has_gzip_magic(&mut file)
        .with_context(|| format!("{}: cannot read the first bytes", path.display()))?;
    pb.set_length(len);
    let counted = pb.clone().wrap_read(file);
    if gz {
        Ok(Box::new(BufReader::with_capacity(
            BUF_BYTES,
            MultiGzDecoder::new(BufReader::with_capacity(BUF_BYTES, counted)),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(BUF_BYTES, counted)))
    }
}

/// Whether the file starts with the gzip magic bytes; rewinds to the start.
fn has_gzip_magic(file: &mut File) -> io::Result<bool> {
    let mut magic = [0u8; 2];
    let mut n = 0;
    while n < magic.len() {
        match file.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(n == magic.len() && magic == [0x1f, 0x8b])
}

/// A float type that source files store little-endian, read straight into a typed buffer.
trait LeFloat: bytemuck::Pod {
    /// The value whose bytes, as read from a little-endian file, are those of `self`.
    fn le_to_native(self) -> Self;
    fn to_f32(self) -> f32;
}

impl LeFloat for f32 {
    fn le_to_native(self) -> Self {
        f32::from_bits(u32::from_le(self.to_bits()))
    }
    fn to_f32(self) -> f32 {
        self
    }
}

impl LeFloat for f64 {
    fn le_to_native(self) -> Self {
        f64::from_bits(u64::from_le(self.to_bits()))
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
}

/// Fill `out` with little-endian values read from `r`. The bytes go straight into `out`'s
/// memory (a `&mut [T]` seen as bytes is always aligned), then are byte-swapped on a
/// big-endian machine (a no-op here).
fn read_le<T: LeFloat>(r: &mut impl Read, out: &mut [T]) -> io::Result<()> {
    r.read_exact(bytemuck::cast_slice_mut(out))?;
    for v in out.iter_mut() {
        *v = v.le_to_native();
    }
    Ok(())
}

/// A byte string for an error message: lossy UTF-8, shortened if long.
fn show(bytes: &[u8]) -> String {
    const MAX_CHARS: usize = 40;
    let s = String::from_utf8_lossy(bytes);
    if s.chars().count() > MAX_CHARS {
        let mut short: String = s.chars().take(MAX_CHARS).collect();
        short.push_str("...");
        short
    } else {
        s.into_owned()
    }
}

/// A header field that must be a plain decimal count (no sign, no spaces).
fn parse_usize_field(field: &[u8]) -> Option<usize> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn passes_lowercase_alpha(word: &[u8]) -> bool {
    !word.is_empty() && word.iter().all(u8::is_ascii_lowercase)
}

enum Verdict {
    Keep,
    Filtered,
    Duplicate,
}

/// Applies the filters and accumulates the kept rows.
struct Collector<'a> {
    opts: &'a ImportOptions,
    words: Vec<String>,
    vectors: Vec<f32>,
    seen: HashSet<Vec<u8>>,
    stats: ReadStats,
}

impl<'a> Collector<'a> {
    fn new(opts: &'a ImportOptions) -> Self {
        Self {
            opts,
            words: Vec::new(),
            vectors: Vec::new(),
            seen: HashSet::new(),
            stats: ReadStats::default(),
        }
    }

    /// Reserve room for up to `rows` rows of `dim` values (a hint from a header).
    fn reserve(&mut self, rows: usize, dim: usize) {
        let rows = rows.min(self.opts.top_n.unwrap_or(usize::MAX));
        let floats = rows.saturating_mul(dim).min(MAX_RESERVE_FLOATS);
        let rows = rows.min(floats / dim.max(1));
        self.vectors.reserve(floats);
        self.words.reserve(rows);
        self.seen.reserve(rows);
    }

    /// True once `top_n` words are kept: the caller should stop reading.
    fn is_full(&self) -> bool {
        self.opts.top_n.is_some_and(|n| self.words.len() >= n)
    }

    /// Decide the fate of the next row's word (counts every row).
    fn verdict(&mut self, word: &[u8]) -> Verdict {
        self.stats.rows_read += 1;
        if self.opts.lowercase_alpha && !passes_lowercase_alpha(word) {
            self.stats.filtered += 1;
            Verdict::Filtered
        } else if self.seen.contains(word) {
            self.stats.duplicates += 1;
            Verdict::Duplicate
        } else {
            Verdict::Keep
        }
    }

    /// Store a row that got [`Verdict::Keep`], after checking its values. `loc` names the
    /// place in the file for error messages, e.g. "vectors.txt line 3".
    fn keep(&mut self, word: String, values: &[f32], loc: impl Fn() -> String) -> Result<()> {
        if values.iter().any(|v| !v.is_finite()) {
            bail!("{}: word '{}' has a non-finite value", loc(), word);
        }
        if values.iter().all(|&v| v == 0.0) {
            bail!(
                "{}: word '{}' is an all-zero vector (zero norm, cannot be normalised)",
                loc(),
                word
            );
        }
        self.seen.insert(word.as_bytes().to_vec());
        self.words.push(word);
        self.vectors.extend_from_slice(values);
        Ok(())
    }

    fn finish(self, path: &Path, dim: usize) -> Result<(RawEmbeddings, ReadStats)> {
        if self.words.is_empty() {
            if self.opts.top_n == Some(0) {
                bail!("{}: top_n is 0, so no words were kept", path.display());
            }
            bail!(
                "{}: no words passed the filters ({} read, {} filtered out, {} duplicates)",
                path.display(),
                self.stats.rows_read,
                self.stats.filtered,
                self.stats.duplicates
            );
        }
        Ok((
            RawEmbeddings {
                words: self.words,
                dim,
                vectors: self.vectors,
            },
            self.stats,
        ))
    }
}

#[cfg(test)]
mod tests {
    //! What every format shares: format detection, the filters, the value policy, and
    //! robustness against corrupt input. Each format's own cases are in its module.
    use super::test_support::*;
    use super::*;

    #[test]
    fn detect_format_by_name() {
        let words = Path::new("words.txt");
        assert_eq!(
            detect_format(Path::new("m/glove.npy"), Some(words)).unwrap(),
            SourceFormat::Npy {
                words: words.to_path_buf()
            }
        );
        let msg = format!(
            "{:#}",
            detect_format(Path::new("m/glove.npy"), None).unwrap_err()
        );
        assert!(
            msg.contains("m/glove.npy") && msg.contains("word list"),
            "{msg}"
        );
        for bin in ["GoogleNews.bin", "x.bin.gz", "X.BIN"] {
            assert_eq!(
                detect_format(Path::new(bin), None).unwrap(),
                SourceFormat::Word2VecBinary,
                "{bin}"
            );
        }
        for text in ["a.txt", "a.txt.gz", "wiki.vec", "a.gz", "noext"] {
            assert_eq!(
                detect_format(Path::new(text), None).unwrap(),
                SourceFormat::Text,
                "{text}"
            );
        }
    }

    #[test]
    fn read_le_converts_little_endian_floats() {
        let bytes: Vec<u8> = [1.5f32, -2.25]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut out = [0f32; 2];
        read_le(&mut &bytes[..], &mut out).unwrap();
        assert_eq!(out, [1.5, -2.25]);
        let bytes: Vec<u8> = [1e300f64, 0.5]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut out = [0f64; 2];
        read_le(&mut &bytes[..], &mut out).unwrap();
        assert_eq!(out, [1e300, 0.5]);
        assert_eq!(out.map(LeFloat::to_f32), [f32::INFINITY, 0.5]);
        // Too few bytes: an error, not a partial read passed off as whole.
        let e = read_le(&mut &bytes[..12], &mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    // ----- filters -----

    /// The filter fixture in every format: WORDS with rows of `matrix`.
    fn all_formats(dir: &Path) -> Vec<(PathBuf, SourceFormat)> {
        let m = matrix(WORDS.len(), 3);
        let rows = rows_of(&WORDS, &m);
        let rows = as_refs(&rows);
        let words_path = write(dir, "words.txt", word_list(&WORDS).as_bytes());
        vec![
            (
                write(dir, "f.bin", &w2v_bin(&rows, true)),
                SourceFormat::Word2VecBinary,
            ),
            (
                write(dir, "f.txt", w2v_text(&rows, true).as_bytes()),
                SourceFormat::Text,
            ),
            (
                write(dir, "f.txt.gz", &gz(w2v_text(&rows, false).as_bytes())),
                SourceFormat::Text,
            ),
            (
                write(dir, "f.npy", &npy(&m, "<f4", true)),
                SourceFormat::Npy {
                    words: words_path.clone(),
                },
            ),
            (
                write(dir, "c.npy", &npy(&m, "<f8", false)),
                SourceFormat::Npy { words: words_path },
            ),
        ]
    }

    #[test]
    fn filters_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(WORDS.len(), 3);
        for (path, format) in all_formats(dir.path()) {
            let name = path.display().to_string();
            // No filters: everything but the duplicate "cat" (row 6), first occurrence kept.
            let (raw, stats) = read_with_stats(&path, &format, &opts()).unwrap();
            assert_rows(
                &raw,
                &[
                    ("the", m[0].clone()),
                    ("The", m[1].clone()),
                    ("cat", m[2].clone()),
                    ("don't", m[3].clone()),
                    ("x1", m[4].clone()),
                    ("dog", m[5].clone()),
                    ("sat", m[7].clone()),
                ],
            );
            assert_eq!(
                stats,
                ReadStats {
                    rows_read: 8,
                    filtered: 0,
                    duplicates: 1
                },
                "{name}"
            );

            // lowercase_alpha drops "The", "don't", "x1"; the duplicate is still skipped.
            let o = ImportOptions {
                lowercase_alpha: true,
                ..opts()
            };
            let (raw, stats) = read_with_stats(&path, &format, &o).unwrap();
            assert_rows(
                &raw,
                &[
                    ("the", m[0].clone()),
                    ("cat", m[2].clone()),
                    ("dog", m[5].clone()),
                    ("sat", m[7].clone()),
                ],
            );
            assert_eq!(
                stats,
                ReadStats {
                    rows_read: 8,
                    filtered: 3,
                    duplicates: 1
                },
                "{name}"
            );
            check_limits(&path, &format, &m);
        }
    }

    /// `top_n` in one format of [`filters_in_every_format`].
    fn check_limits(path: &Path, format: &SourceFormat, m: &[Vec<f32>]) {
        let name = path.display().to_string();
        // top_n counts kept words only and stops reading once reached.
        let o = ImportOptions {
            lowercase_alpha: true,
            top_n: Some(2),
            ..opts()
        };
        let (raw, stats) = read_with_stats(path, format, &o).unwrap();
        assert_rows(&raw, &[("the", m[0].clone()), ("cat", m[2].clone())]);
        assert_eq!(stats.rows_read, 3, "{name}");

        let o = ImportOptions {
            top_n: Some(3),
            ..opts()
        };
        let raw = read_source(path, format, &o).unwrap();
        assert_eq!(raw.words, ["the", "The", "cat"], "{name}");

        // top_n larger than the file: everything.
        let o = ImportOptions {
            top_n: Some(100),
            ..opts()
        };
        assert_eq!(read_source(path, format, &o).unwrap().words.len(), 7);

        // Progress enabled must not change the result (stderr is not a terminal here).
        let o = ImportOptions {
            progress: true,
            top_n: Some(1),
            ..opts()
        };
        assert_eq!(read_source(path, format, &o).unwrap().words, ["the"]);

        // Nothing kept is an error.
        let o = ImportOptions {
            top_n: Some(0),
            ..opts()
        };
        assert_err(read_source(path, format, &o), &[&name, "top_n is 0"]);
    }

    #[test]
    fn zero_and_non_finite_vectors_are_errors_only_when_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "v.txt",
            b"good 1 2\nZero 0 -0\nNan NaN 1\nbad 0 0\n",
        );
        let o = ImportOptions {
            lowercase_alpha: true,
            top_n: Some(1),
            ..opts()
        };
        assert_eq!(
            read_source(&path, &SourceFormat::Text, &o).unwrap().words,
            ["good"]
        );
        let o = ImportOptions {
            lowercase_alpha: true,
            ..opts()
        };
        assert_err(
            read_source(&path, &SourceFormat::Text, &o),
            &["v.txt line 4", "word 'bad'", "all-zero"],
        );
        assert_err(
            read_source(&path, &SourceFormat::Text, &opts()),
            &["v.txt line 2", "word 'Zero'", "all-zero"],
        );
    }

    /// Every truncation and many single-byte corruptions of valid files give Ok or Err,
    /// never a panic; truncated binary formats are always errors.
    #[test]
    fn corrupted_inputs_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(4, 3);
        let words = ["a", "b", "c", "d"];
        let rows = rows_of(&words, &m);
        let rows = as_refs(&rows);
        let words_path = write(dir.path(), "w.txt", word_list(&words).as_bytes());
        let npy_format = || SourceFormat::Npy {
            words: words_path.clone(),
        };
        let fixtures = [
            (w2v_bin(&rows, true), SourceFormat::Word2VecBinary, 1),
            (w2v_bin(&rows, false), SourceFormat::Word2VecBinary, 0),
            (
                w2v_text(&rows, true).into_bytes(),
                SourceFormat::Text,
                usize::MAX,
            ),
            (
                gz(&w2v_text(&rows, false).into_bytes()),
                SourceFormat::Text,
                0,
            ),
            (npy(&m, "<f8", true), npy_format(), 0),
            (npy(&m, "<f4", false), npy_format(), 0),
        ];
        let path = dir.path().join("fuzz");
        for (bytes, format, optional_tail) in &fixtures {
            assert!(read_source(&write(dir.path(), "fuzz", bytes), format, &opts()).is_ok());
            for len in 0..bytes.len() {
                std::fs::write(&path, &bytes[..len]).unwrap();
                let result = read_source(&path, format, &opts());
                if *optional_tail != usize::MAX && len < bytes.len() - optional_tail {
                    let msg = err_of(result);
                    assert!(msg.contains("fuzz"), "{msg}");
                }
            }
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x20, 0x80, 0xff] {
                    let mut corrupt = bytes.clone();
                    corrupt[i] ^= flip;
                    std::fs::write(&path, &corrupt).unwrap();
                    if let Err(e) = read_source(&path, format, &opts()) {
                        assert!(format!("{e:#}").contains("fuzz"), "{e:#}");
                    }
                }
            }
        }
    }
}
