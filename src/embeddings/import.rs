//! Importers: read word vectors from external formats into memory.
//!
//! Supported sources (see [`SourceFormat`]):
//! * word2vec binary (`.bin`, `.bin.gz`),
//! * word2vec / GloVe / fastText text (`.txt`, `.vec`, optionally gzipped),
//! * a NumPy `.npy` matrix (`<f4` or `<f8`, C or Fortran order) plus a word list.
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

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
/// Longest word accepted in a word2vec binary file.
const MAX_WORD_BYTES: u64 = 1 << 16;
/// Upper bound on the number of floats reserved up front from a header's count.
const MAX_RESERVE_FLOATS: usize = 1 << 26;
/// Buffer size of the readers.
const BUF_BYTES: usize = 1 << 18;
/// Chunk size when reading a `.npy` matrix (progress granularity).
const NPY_CHUNK_BYTES: usize = 1 << 20;

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
        SourceFormat::Word2VecBinary => read_word2vec_binary(path, opts, &pb),
        SourceFormat::Text => read_text(path, opts, &pb),
        SourceFormat::Npy { words } => read_npy(path, words, opts, &pb),
    };
    pb.finish_and_clear();
    result
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Text (word2vec text, GloVe, fastText .vec)
// ---------------------------------------------------------------------------------------------

fn parse_usize_field(field: &[u8]) -> Option<usize> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn parse_f32_field(field: &[u8]) -> Option<f32> {
    std::str::from_utf8(field).ok()?.parse::<f32>().ok()
}

fn read_text(
    path: &Path,
    opts: &ImportOptions,
    pb: &ProgressBar,
) -> Result<(RawEmbeddings, ReadStats)> {
    let p = path.display();
    let mut reader = open_input(path, pb)?;
    let mut col = Collector::new(opts);
    let mut line: Vec<u8> = Vec::new();
    let mut values: Vec<f32> = Vec::new();
    let mut line_no = 0usize;
    let mut header_count: Option<usize> = None;
    let mut dim: Option<usize> = None;
    let mut first_line_done = false;
    let mut stopped_early = false;

    loop {
        if col.is_full() {
            stopped_early = true;
            break;
        }
        line.clear();
        let n = reader.read_until(b'\n', &mut line).with_context(|| {
            format!(
                "{p} line {}: read error (truncated or corrupt file?)",
                line_no + 1
            )
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut fields = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty());
        let Some(word) = fields.next() else {
            continue; // blank line
        };

        if !first_line_done {
            first_line_done = true;
            let mut rest = fields.clone();
            if let (Some(count), Some(second), None) = (
                parse_usize_field(word),
                rest.next().and_then(parse_usize_field),
                rest.next(),
            ) {
                if second == 0 {
                    bail!("{p} line {line_no}: header says dim 0");
                }
                if second > MAX_DIM {
                    bail!("{p} line {line_no}: header says dim {second}, which is implausible");
                }
                header_count = Some(count);
                dim = Some(second);
                col.reserve(count, second);
                continue;
            }
        }

        values.clear();
        for field in fields {
            let v = parse_f32_field(field)
                .ok_or_else(|| anyhow!("{p} line {line_no}: '{}' is not a number", show(field)))?;
            values.push(v);
        }
        match dim {
            Some(d) if values.len() != d => bail!(
                "{p} line {line_no}: expected {d} values, found {}",
                values.len()
            ),
            Some(_) => {}
            None if values.is_empty() => bail!(
                "{p} line {line_no}: no values after the word '{}' (dim 0)",
                show(word)
            ),
            None => dim = Some(values.len()),
        }

        if let Verdict::Keep = col.verdict(word) {
            let word = String::from_utf8(word.to_vec()).map_err(|_| {
                anyhow!(
                    "{p} line {line_no}: word '{}' is not valid UTF-8",
                    show(word)
                )
            })?;
            col.keep(word, &values, || format!("{p} line {line_no}"))?;
        }
    }

    let rows = col.stats.rows_read;
    if !stopped_early {
        if rows == 0 {
            bail!("{p}: no vectors (zero rows)");
        }
        if let Some(count) = header_count {
            if count != rows {
                bail!("{p}: header says {count} words but the file has {rows} (truncated?)");
            }
        }
    }
    col.finish(path, dim.unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// word2vec binary
// ---------------------------------------------------------------------------------------------

fn read_word2vec_binary(
    path: &Path,
    opts: &ImportOptions,
    pb: &ProgressBar,
) -> Result<(RawEmbeddings, ReadStats)> {
    let p = path.display();
    let mut reader = open_input(path, pb)?;

    let mut header = Vec::new();
    (&mut reader)
        .take(256)
        .read_until(b'\n', &mut header)
        .with_context(|| format!("{p}: cannot read the header"))?;
    let bad_header = || {
        anyhow!(
            "{p}: bad word2vec header '{}' (expected '<count> <dim>' and a newline)",
            show(header.trim_ascii())
        )
    };
    if header.last() != Some(&b'\n') {
        return Err(bad_header());
    }
    let mut fields = header
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let (count, dim) = match (
        fields.next().and_then(parse_usize_field),
        fields.next().and_then(parse_usize_field),
        fields.next(),
    ) {
        (Some(count), Some(dim), None) => (count, dim),
        _ => return Err(bad_header()),
    };
    if dim == 0 {
        bail!("{p}: header says dim 0");
    }
    if dim > MAX_DIM {
        bail!("{p}: header says dim {dim}, which is implausible");
    }
    if count == 0 {
        bail!("{p}: header says 0 words: no vectors (zero rows)");
    }

    let mut col = Collector::new(opts);
    col.reserve(count, dim);
    let mut word_buf: Vec<u8> = Vec::new();
    let mut bytes = vec![0u8; dim * 4];
    let mut values = vec![0f32; dim];

    for i in 1..=count {
        if col.is_full() {
            break;
        }
        word_buf.clear();
        let n = (&mut reader)
            .take(MAX_WORD_BYTES)
            .read_until(b' ', &mut word_buf)
            .with_context(|| format!("{p}: read error in word {i}"))?;
        // The optional '\n' that ends the previous vector is at the start of the buffer.
        let start = word_buf
            .iter()
            .position(|&b| b != b'\n')
            .unwrap_or(word_buf.len());
        if word_buf.last() != Some(&b' ') {
            if n as u64 >= MAX_WORD_BYTES {
                bail!("{p}: word {i} is longer than {MAX_WORD_BYTES} bytes (corrupt file?)");
            }
            bail!(
                "{p}: truncated in word {i} ('{}'): header says {count} words",
                show(&word_buf[start..])
            );
        }
        let word = &word_buf[start..word_buf.len() - 1];
        if word.is_empty() {
            bail!("{p}: word {i} is empty (corrupt file?)");
        }
        reader.read_exact(&mut bytes).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                anyhow!(
                    "{p}: truncated in word {i} ('{}'): its vector is incomplete",
                    show(word)
                )
            } else {
                anyhow::Error::new(e)
                    .context(format!("{p}: read error in word {i} ('{}')", show(word)))
            }
        })?;
        for (v, b) in values.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        if let Verdict::Keep = col.verdict(word) {
            let word = String::from_utf8(word.to_vec())
                .map_err(|_| anyhow!("{p}: word {i} ('{}') is not valid UTF-8", show(word)))?;
            col.keep(word, &values, || format!("{p} word {i}"))?;
        }
    }
    col.finish(path, dim)
}

// ---------------------------------------------------------------------------------------------
// NumPy .npy + word list
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NpyDtype {
    F4,
    F8,
}

impl NpyDtype {
    fn size(self) -> usize {
        match self {
            NpyDtype::F4 => 4,
            NpyDtype::F8 => 8,
        }
    }

    fn descr(self) -> &'static str {
        match self {
            NpyDtype::F4 => "<f4",
            NpyDtype::F8 => "<f8",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct NpyHeader {
    dtype: NpyDtype,
    fortran_order: bool,
    rows: usize,
    cols: usize,
    /// Bytes before the data (magic, version, length and header dict).
    data_offset: u64,
}

/// A Python literal as found in a `.npy` header.
#[derive(Debug, Clone, PartialEq)]
enum PyLit {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Seq(Vec<PyLit>),
    Dict(Vec<(PyLit, PyLit)>),
}

/// Minimal parser for the Python literal dict of a `.npy` header.
struct LitParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl LitParser<'_> {
    const MAX_DEPTH: usize = 16;

    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.pos))
        }
    }

    fn parse_value(&mut self, depth: usize) -> Result<PyLit, String> {
        if depth > Self::MAX_DEPTH {
            return Err("nested too deeply".to_string());
        }
        match self.peek() {
            None => Err("unexpected end".to_string()),
            Some(q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let mut out = String::new();
                loop {
                    match self.s.get(self.pos).copied() {
                        None => return Err("unterminated string".to_string()),
                        Some(c) if c == q => {
                            self.pos += 1;
                            return Ok(PyLit::Str(out));
                        }
                        Some(b'\\') => {
                            let c = self.s.get(self.pos + 1).copied();
                            let c = c.ok_or_else(|| "unterminated string".to_string())?;
                            out.push(c as char);
                            self.pos += 2;
                        }
                        Some(c) => {
                            out.push(c as char);
                            self.pos += 1;
                        }
                    }
                }
            }
            Some(open @ (b'(' | b'[')) => {
                let close = if open == b'(' { b')' } else { b']' };
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        return Ok(PyLit::Seq(items));
                    }
                    items.push(self.parse_value(depth + 1)?);
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                    } else {
                        self.expect(close)?;
                        return Ok(PyLit::Seq(items));
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        return Ok(PyLit::Dict(items));
                    }
                    let key = self.parse_value(depth + 1)?;
                    self.expect(b':')?;
                    let value = self.parse_value(depth + 1)?;
                    items.push((key, value));
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                    } else {
                        self.expect(b'}')?;
                        return Ok(PyLit::Dict(items));
                    }
                }
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                let digits = std::str::from_utf8(&self.s[start..self.pos])
                    .map_err(|_| "bad integer".to_string())?;
                let value = digits
                    .parse::<u64>()
                    .map_err(|_| format!("integer {digits} is too large"))?;
                // Python 2 long suffix, as in old files: (400000L, 50L).
                if matches!(self.s.get(self.pos), Some(b'L' | b'l')) {
                    self.pos += 1;
                }
                Ok(PyLit::Int(value))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(u8::is_ascii_alphanumeric) {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Ok(PyLit::Bool(true)),
                    b"False" => Ok(PyLit::Bool(false)),
                    b"None" => Ok(PyLit::None),
                    other => Err(format!("unexpected '{}'", show(other))),
                }
            }
            Some(c) => Err(format!(
                "unexpected character '{}' at byte {}",
                c.escape_ascii(),
                self.pos
            )),
        }
    }

    /// Parse one literal that must span the whole input (bar whitespace).
    fn parse_all(s: &[u8]) -> Result<PyLit, String> {
        let mut parser = LitParser { s, pos: 0 };
        let value = parser.parse_value(0)?;
        if parser.peek().is_some() {
            return Err(format!("trailing data at byte {}", parser.pos));
        }
        Ok(value)
    }
}

fn read_npy_header(r: &mut impl Read, path: &Path) -> Result<NpyHeader> {
    let p = path.display();
    let mut magic = [0u8; 6];
    read_exact_or(r, &mut magic, || {
        anyhow!("{p}: not a .npy file (bad magic: file too short)")
    })?;
    if &magic != b"\x93NUMPY" {
        bail!("{p}: not a .npy file (bad magic)");
    }
    let mut version = [0u8; 2];
    read_exact_or(r, &mut version, || {
        anyhow!("{p}: truncated .npy header (no version)")
    })?;
    let len_bytes = match version {
        [1, 0] => 2,
        [2, 0] | [3, 0] => 4,
        [major, minor] => {
            bail!("{p}: unsupported .npy header version {major}.{minor} (supported: 1.0, 2.0, 3.0)")
        }
    };
    let mut len_buf = [0u8; 4];
    read_exact_or(r, &mut len_buf[..len_bytes], || {
        anyhow!("{p}: truncated .npy header (no header length)")
    })?;
    let header_len = u32::from_le_bytes(len_buf) as usize;
    if header_len > 1 << 20 {
        bail!("{p}: implausible .npy header length {header_len}");
    }
    let mut dict = vec![0u8; header_len];
    read_exact_or(r, &mut dict, || {
        anyhow!("{p}: truncated .npy header (expected {header_len} bytes)")
    })?;
    let data_offset = (6 + 2 + len_bytes + header_len) as u64;

    let bad = |why: &str| anyhow!("{p}: bad .npy header ({why}): {}", show(dict.trim_ascii()));
    let lit = LitParser::parse_all(&dict).map_err(|e| bad(&e))?;
    let PyLit::Dict(entries) = lit else {
        return Err(bad("not a dict"));
    };
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, PyLit::Str(s) if s == key))
            .map(|(_, v)| v)
            .ok_or_else(|| bad(&format!("no '{key}'")))
    };
    let dtype = match get("descr")? {
        PyLit::Str(s) if s == "<f4" => NpyDtype::F4,
        PyLit::Str(s) if s == "<f8" => NpyDtype::F8,
        PyLit::Str(s) => {
            bail!("{p}: unsupported dtype '{s}' (only '<f4' and '<f8' are supported)")
        }
        _ => bail!("{p}: unsupported dtype (structured array; only '<f4' and '<f8' are supported)"),
    };
    let fortran_order = match get("fortran_order")? {
        PyLit::Bool(b) => *b,
        _ => return Err(bad("'fortran_order' is not True or False")),
    };
    let shape = match get("shape")? {
        PyLit::Seq(items) => items
            .iter()
            .map(|item| match item {
                PyLit::Int(n) => usize::try_from(*n).ok(),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| bad("'shape' is not a tuple of integers"))?,
        _ => return Err(bad("'shape' is not a tuple")),
    };
    let [rows, cols] = shape[..] else {
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        bail!(
            "{p}: expected a 2-D matrix (words x dim), but the shape is ({})",
            dims.join(", ")
        );
    };
    Ok(NpyHeader {
        dtype,
        fortran_order,
        rows,
        cols,
        data_offset,
    })
}

/// `read_exact`, mapping a premature end of file to `eof()` and other errors to themselves.
fn read_exact_or(
    r: &mut impl Read,
    buf: &mut [u8],
    eof: impl FnOnce() -> anyhow::Error,
) -> Result<()> {
    match r.read_exact(buf) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(eof()),
        Err(e) => Err(e.into()),
    }
}

/// Read a word list: UTF-8, one word per line ('\n' or "\r\n"); may be gzipped.
fn read_word_list(path: &Path) -> Result<Vec<String>> {
    let p = path.display();
    let mut reader = open_input(path, &ProgressBar::hidden())?;
    let mut text = Vec::new();
    reader
        .read_to_end(&mut text)
        .with_context(|| format!("{p}: read error"))?;
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop(); // the final newline
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                bail!("{p} line {}: empty word", i + 1);
            }
            String::from_utf8(line.to_vec())
                .map_err(|_| anyhow!("{p} line {}: '{}' is not valid UTF-8", i + 1, show(line)))
        })
        .collect()
}

/// Convert row `r` of the matrix `data` (raw little-endian bytes) into `out`.
fn fill_row(data: &[u8], h: &NpyHeader, r: usize, out: &mut [f32]) {
    match h.dtype {
        NpyDtype::F4 => fill_row_typed::<4>(data, h, r, out, f32::from_le_bytes),
        NpyDtype::F8 => fill_row_typed::<8>(data, h, r, out, |b| f64::from_le_bytes(b) as f32),
    }
}

fn fill_row_typed<const W: usize>(
    data: &[u8],
    h: &NpyHeader,
    r: usize,
    out: &mut [f32],
    conv: impl Fn([u8; W]) -> f32,
) {
    let mut b = [0u8; W];
    if h.fortran_order {
        // Column-major: element (r, c) is at c * rows + r.
        for (c, v) in out.iter_mut().enumerate() {
            let at = (c * h.rows + r) * W;
            b.copy_from_slice(&data[at..at + W]);
            *v = conv(b);
        }
    } else {
        let start = r * h.cols * W;
        let row = &data[start..start + h.cols * W];
        for (v, chunk) in out.iter_mut().zip(row.chunks_exact(W)) {
            b.copy_from_slice(chunk);
            *v = conv(b);
        }
    }
}

fn read_npy(
    path: &Path,
    words_path: &Path,
    opts: &ImportOptions,
    pb: &ProgressBar,
) -> Result<(RawEmbeddings, ReadStats)> {
    let p = path.display();
    let mut file = File::open(path).with_context(|| format!("{p}: cannot open"))?;
    let file_len = file
        .metadata()
        .with_context(|| format!("{p}: cannot stat"))?
        .len();
    let header = read_npy_header(&mut file, path)?;
    let (rows, dim) = (header.rows, header.cols);
    if dim == 0 {
        bail!("{p}: dim 0 (shape ({rows}, 0))");
    }
    if rows == 0 {
        bail!("{p}: no vectors (zero rows, shape (0, {dim}))");
    }
    let data_len = rows
        .checked_mul(dim)
        .and_then(|n| n.checked_mul(header.dtype.size()))
        .ok_or_else(|| anyhow!("{p}: shape ({rows}, {dim}) is too large"))?;
    let available = file_len.saturating_sub(header.data_offset);
    if available != data_len as u64 {
        bail!(
            "{p}: shape ({rows}, {dim}) of '{}' needs {data_len} bytes of data but the file has {available}{}",
            header.dtype.descr(),
            if available < data_len as u64 { " (truncated)" } else { "" }
        );
    }

    let words = read_word_list(words_path)?;
    if words.len() != rows {
        bail!(
            "{}: the word list has {} words but {p} has {rows} rows",
            words_path.display(),
            words.len()
        );
    }

    // Read the whole matrix (bounded by the file size checked above), then convert only the
    // rows that are kept, transposing them if the matrix is column-major.
    pb.set_length(data_len as u64);
    let mut data = vec![0u8; data_len];
    for chunk in data.chunks_mut(NPY_CHUNK_BYTES) {
        read_exact_or(&mut file, chunk, || anyhow!("{p}: truncated matrix data"))
            .with_context(|| format!("{p}: read error in the matrix data"))?;
        pb.inc(chunk.len() as u64);
    }

    let mut col = Collector::new(opts);
    col.reserve(rows, dim);
    let mut row = vec![0f32; dim];
    for (r, word) in words.into_iter().enumerate() {
        if col.is_full() {
            break;
        }
        if let Verdict::Keep = col.verdict(word.as_bytes()) {
            fill_row(&data, &header, r, &mut row);
            col.keep(word, &row, || format!("{p} row {r}"))?;
        }
    }
    col.finish(path, dim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    // ----- fixtures -----

    /// A matrix whose values are exact in f32 (so f8 -> f32 and text round trips are exact).
    fn value(r: usize, c: usize) -> f32 {
        (r as f32 + 1.0) * 0.5 - (c as f32) * 0.25 + if c.is_multiple_of(2) { 0.125 } else { -3.0 }
    }

    fn matrix(rows: usize, dim: usize) -> Vec<Vec<f32>> {
        (0..rows)
            .map(|r| (0..dim).map(|c| value(r, c)).collect())
            .collect()
    }

    /// Words used by the filtering fixtures, with their expected fate under lowercase_alpha.
    const WORDS: [&str; 8] = ["the", "The", "cat", "don't", "x1", "dog", "cat", "sat"];

    fn opts() -> ImportOptions {
        ImportOptions::default()
    }

    fn w2v_bin(rows: &[(&str, Vec<f32>)], newline: bool) -> Vec<u8> {
        let dim = rows.first().map_or(0, |(_, v)| v.len());
        let mut out = format!("{} {}\n", rows.len(), dim).into_bytes();
        for (word, vector) in rows {
            out.extend_from_slice(word.as_bytes());
            out.push(b' ');
            for v in vector {
                out.extend_from_slice(&v.to_le_bytes());
            }
            if newline {
                out.push(b'\n');
            }
        }
        out
    }

    fn w2v_text(rows: &[(&str, Vec<f32>)], header: bool) -> String {
        let mut out = String::new();
        if header {
            let dim = rows.first().map_or(0, |(_, v)| v.len());
            out.push_str(&format!("{} {}\n", rows.len(), dim));
        }
        for (word, vector) in rows {
            out.push_str(word);
            for v in vector {
                out.push_str(&format!(" {v}"));
            }
            out.push('\n');
        }
        out
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// An .npy file from a header dict string and raw data (version 1.0 unless given).
    fn npy_raw(version: [u8; 2], dict: &str, data: &[u8]) -> Vec<u8> {
        let len_bytes = if version == [1, 0] { 2 } else { 4 };
        let prefix = 6 + 2 + len_bytes;
        let unpadded = prefix + dict.len() + 1;
        let padded = unpadded.div_ceil(64) * 64;
        let mut header = dict.to_string();
        header.push_str(&" ".repeat(padded - unpadded));
        header.push('\n');
        let mut out = b"\x93NUMPY".to_vec();
        out.extend_from_slice(&version);
        if len_bytes == 2 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        assert_eq!(out.len() % 64, 0, "header must be padded to 64 bytes");
        out.extend_from_slice(data);
        out
    }

    /// A proper .npy of `m` (row-major input) with dtype "<f4"/"<f8" in C or Fortran order.
    fn npy(m: &[Vec<f32>], descr: &str, fortran: bool) -> Vec<u8> {
        let rows = m.len();
        let dim = m.first().map_or(0, Vec::len);
        let order: Vec<f32> = if fortran {
            (0..dim)
                .flat_map(|c| m.iter().map(move |row| row[c]))
                .collect()
        } else {
            m.iter().flatten().copied().collect()
        };
        let mut data = Vec::new();
        for v in order {
            match descr {
                "<f4" => data.extend_from_slice(&v.to_le_bytes()),
                "<f8" => data.extend_from_slice(&f64::from(v).to_le_bytes()),
                _ => panic!("test helper: bad descr"),
            }
        }
        let py_bool = if fortran { "True" } else { "False" };
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {py_bool}, 'shape': ({rows}, {dim}), }}"
        );
        npy_raw([1, 0], &dict, &data)
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn word_list(words: &[&str]) -> String {
        words.iter().map(|w| format!("{w}\n")).collect()
    }

    fn rows_of(words: &[&str], m: &[Vec<f32>]) -> Vec<(String, Vec<f32>)> {
        words
            .iter()
            .zip(m)
            .map(|(w, v)| (w.to_string(), v.clone()))
            .collect()
    }

    fn as_refs(rows: &[(String, Vec<f32>)]) -> Vec<(&str, Vec<f32>)> {
        rows.iter().map(|(w, v)| (w.as_str(), v.clone())).collect()
    }

    /// Assert the read gives exactly `expected` (word, vector) rows.
    fn assert_rows(raw: &RawEmbeddings, expected: &[(&str, Vec<f32>)]) {
        let dim = expected[0].1.len();
        assert_eq!(raw.dim, dim);
        let words: Vec<&str> = expected.iter().map(|(w, _)| *w).collect();
        assert_eq!(raw.words, words);
        let vectors: Vec<f32> = expected.iter().flat_map(|(_, v)| v.clone()).collect();
        assert_eq!(raw.vectors, vectors);
    }

    fn err_of(result: Result<RawEmbeddings>) -> String {
        match result {
            Ok(raw) => panic!("expected an error, got {} words", raw.words.len()),
            Err(e) => format!("{e:#}"),
        }
    }

    fn assert_err(result: Result<RawEmbeddings>, needles: &[&str]) {
        let msg = err_of(result);
        for needle in needles {
            assert!(
                msg.contains(needle),
                "error message {msg:?} should contain {needle:?}"
            );
        }
    }

    fn three_rows() -> Vec<(&'static str, Vec<f32>)> {
        let m = matrix(3, 4);
        vec![
            ("king", m[0].clone()),
            ("queen", m[1].clone()),
            ("émigré", m[2].clone()),
        ]
    }

    // ----- detect_format -----

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

    // ----- word2vec binary -----

    #[test]
    fn word2vec_binary_with_and_without_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        for newline in [true, false] {
            let path = write(dir.path(), "v.bin", &w2v_bin(&rows, newline));
            let raw = read_source(&path, &SourceFormat::Word2VecBinary, &opts()).unwrap();
            assert_rows(&raw, &rows);
        }
    }

    #[test]
    fn word2vec_binary_gz() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        let path = write(dir.path(), "v.bin.gz", &gz(&w2v_bin(&rows, true)));
        let format = detect_format(&path, None).unwrap();
        assert_eq!(format, SourceFormat::Word2VecBinary);
        let raw = read_source(&path, &format, &opts()).unwrap();
        assert_rows(&raw, &rows);
    }

    // ----- text -----

    #[test]
    fn text_with_and_without_header() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        for header in [true, false] {
            let path = write(dir.path(), "v.txt", w2v_text(&rows, header).as_bytes());
            let raw = read_source(&path, &SourceFormat::Text, &opts()).unwrap();
            assert_rows(&raw, &rows);
        }
    }

    #[test]
    fn text_tolerates_crlf_trailing_spaces_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "v.txt",
            b"2 3\r\na 1 2 3 \r\n\r\nb\t-4.5 5e-1 6\r\n",
        );
        let raw = read_source(&path, &SourceFormat::Text, &opts()).unwrap();
        assert_rows(
            &raw,
            &[("a", vec![1.0, 2.0, 3.0]), ("b", vec![-4.5, 0.5, 6.0])],
        );
    }

    #[test]
    fn text_gz_by_extension_and_by_magic() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        let compressed = gz(w2v_text(&rows, false).as_bytes());
        // Named .gz and gzipped.
        let path = write(dir.path(), "v.txt.gz", &compressed);
        assert_eq!(detect_format(&path, None).unwrap(), SourceFormat::Text);
        assert_rows(
            &read_source(&path, &SourceFormat::Text, &opts()).unwrap(),
            &rows,
        );
        // Gzipped but not named .gz: the magic bytes win.
        let path = write(dir.path(), "v.txt", &compressed);
        assert_rows(
            &read_source(&path, &SourceFormat::Text, &opts()).unwrap(),
            &rows,
        );
        // Named .gz but plain: the (missing) magic bytes win.
        let path = write(dir.path(), "plain.gz", w2v_text(&rows, true).as_bytes());
        assert_rows(
            &read_source(&path, &SourceFormat::Text, &opts()).unwrap(),
            &rows,
        );
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        let mut bytes = gz(w2v_text(&rows[..1], false).as_bytes());
        bytes.extend_from_slice(&gz(w2v_text(&rows[1..], false).as_bytes()));
        let path = write(dir.path(), "multi.txt.gz", &bytes);
        assert_rows(
            &read_source(&path, &SourceFormat::Text, &opts()).unwrap(),
            &rows,
        );
    }

    // ----- npy -----

    #[test]
    fn npy_c_order_fortran_order_and_f8_agree() {
        let dir = tempfile::tempdir().unwrap();
        let words = ["alpha", "beta", "gamma", "delta", "epsilon"];
        let m = matrix(words.len(), 3);
        let words_path = write(dir.path(), "words.txt", word_list(&words).as_bytes());
        let expected = rows_of(&words, &m);
        let expected = as_refs(&expected);
        let format = SourceFormat::Npy {
            words: words_path.clone(),
        };
        let mut results = Vec::new();
        for (descr, fortran) in [("<f4", false), ("<f4", true), ("<f8", false), ("<f8", true)] {
            let path = write(dir.path(), "m.npy", &npy(&m, descr, fortran));
            assert_eq!(detect_format(&path, Some(&words_path)).unwrap(), format);
            let raw = read_source(&path, &format, &opts()).unwrap();
            assert_rows(&raw, &expected);
            results.push(raw.vectors);
        }
        assert!(results.windows(2).all(|w| w[0] == w[1]));
        // The Fortran bytes really differ from the C bytes (the test is not vacuous).
        assert_ne!(npy(&m, "<f4", false), npy(&m, "<f4", true));
    }

    #[test]
    fn npy_fortran_order_is_transposed_correctly_with_filters() {
        // Non-square, with filtered rows in between, so a wrong stride would show.
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(WORDS.len(), 5);
        let words_path = write(dir.path(), "words.txt", word_list(&WORDS).as_bytes());
        let path = write(dir.path(), "m.npy", &npy(&m, "<f4", true));
        let o = ImportOptions {
            lowercase_alpha: true,
            ..opts()
        };
        let raw = read_source(&path, &SourceFormat::Npy { words: words_path }, &o).unwrap();
        assert_rows(
            &raw,
            &[
                ("the", m[0].clone()),
                ("cat", m[2].clone()),
                ("dog", m[5].clone()),
                ("sat", m[7].clone()),
            ],
        );
    }

    #[test]
    fn npy_header_versions_2_and_3_and_python2_longs() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(2, 2);
        let data: Vec<u8> = m.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
        let words_path = write(dir.path(), "w.txt", b"a\r\nb\r\n");
        let format = SourceFormat::Npy { words: words_path };
        for (version, dict) in [
            (
                [2, 0],
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
            ),
            (
                [3, 0],
                "{\"shape\": (2, 2), \"descr\": \"<f4\", \"fortran_order\": False}",
            ),
            (
                [1, 0],
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L)}",
            ),
        ] {
            let path = write(dir.path(), "m.npy", &npy_raw(version, dict, &data));
            let raw = read_source(&path, &format, &opts()).unwrap();
            assert_rows(&raw, &[("a", m[0].clone()), ("b", m[1].clone())]);
        }
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

            // top_n counts kept words only and stops reading once reached.
            let o = ImportOptions {
                lowercase_alpha: true,
                top_n: Some(2),
                ..opts()
            };
            let (raw, stats) = read_with_stats(&path, &format, &o).unwrap();
            assert_rows(&raw, &[("the", m[0].clone()), ("cat", m[2].clone())]);
            assert_eq!(stats.rows_read, 3, "{name}");

            let o = ImportOptions {
                top_n: Some(3),
                ..opts()
            };
            let raw = read_source(&path, &format, &o).unwrap();
            assert_eq!(raw.words, ["the", "The", "cat"], "{name}");

            // top_n larger than the file: everything.
            let o = ImportOptions {
                top_n: Some(100),
                ..opts()
            };
            assert_eq!(read_source(&path, &format, &o).unwrap().words.len(), 7);

            // Progress enabled must not change the result (stderr is not a terminal here).
            let o = ImportOptions {
                progress: true,
                top_n: Some(1),
                ..opts()
            };
            assert_eq!(read_source(&path, &format, &o).unwrap().words, ["the"]);

            // Nothing kept is an error.
            let o = ImportOptions {
                top_n: Some(0),
                ..opts()
            };
            assert_err(read_source(&path, &format, &o), &[&name, "top_n is 0"]);
        }
    }

    #[test]
    fn top_n_stops_before_later_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "v.txt",
            b"a 1 2\nb 3 4\nthis line is broken\nc 0 0\n",
        );
        let o = ImportOptions {
            top_n: Some(2),
            ..opts()
        };
        let raw = read_source(&path, &SourceFormat::Text, &o).unwrap();
        assert_rows(&raw, &[("a", vec![1.0, 2.0]), ("b", vec![3.0, 4.0])]);
        // Without top_n the broken line is reached.
        assert_err(
            read_source(&path, &SourceFormat::Text, &opts()),
            &["v.txt line 3", "'line' is not a number"],
        );
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

    // ----- errors -----

    #[test]
    fn text_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, &[u8], &[&str])] = &[
            (
                "count.txt",
                b"a 1 2 3\nb 1 2 3\nc 1 2\n",
                &["count.txt line 3", "expected 3 values, found 2"],
            ),
            (
                "more.txt",
                b"a 1 2\nb 1 2 3\n",
                &["more.txt line 2", "expected 2 values, found 3"],
            ),
            (
                "hdrdim.txt",
                b"2 3\na 1 2 3\nb 1 2\n",
                &["hdrdim.txt line 3", "expected 3 values, found 2"],
            ),
            (
                "nan.txt",
                b"a 1 2\nb 3 abc\n",
                &["nan.txt line 2", "'abc' is not a number"],
            ),
            (
                "inf.txt",
                b"a 1 2\ncat inf 2\n",
                &["inf.txt line 2", "word 'cat' has a non-finite value"],
            ),
            (
                "overflow.txt",
                b"cat 1e39 2\n",
                &["overflow.txt line 1", "word 'cat' has a non-finite value"],
            ),
            (
                "nanval.txt",
                b"cat NaN 2\n",
                &["nanval.txt line 1", "non-finite"],
            ),
            ("dim0.txt", b"a\nb\n", &["dim0.txt line 1", "dim 0"]),
            ("hdr0.txt", b"3 0\n", &["hdr0.txt line 1", "dim 0"]),
            ("empty.txt", b"", &["empty.txt", "zero rows"]),
            ("blank.txt", b"\n\n  \n", &["blank.txt", "zero rows"]),
            ("hdronly.txt", b"0 50\n", &["hdronly.txt", "zero rows"]),
            (
                "short.txt",
                b"3 2\na 1 2\nb 3 4\n",
                &["short.txt", "header says 3 words but the file has 2"],
            ),
            (
                "zero.txt",
                b"a 1 2\ncat 0 0\n",
                &["zero.txt line 2", "word 'cat'", "all-zero"],
            ),
            (
                "utf8.txt",
                b"a 1 2\n\xff\xfe 1 2\n",
                &["utf8.txt line 2", "not valid UTF-8"],
            ),
        ];
        for (name, bytes, needles) in cases {
            let path = write(dir.path(), name, bytes);
            assert_err(read_source(&path, &SourceFormat::Text, &opts()), needles);
        }
        // Missing file.
        assert_err(
            read_source(&dir.path().join("nope.txt"), &SourceFormat::Text, &opts()),
            &["nope.txt", "cannot open"],
        );
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        let full = gz(w2v_text(&rows, false).as_bytes());
        let path = write(dir.path(), "cut.txt.gz", &full[..full.len() - 10]);
        assert_err(
            read_source(&path, &SourceFormat::Text, &opts()),
            &["cut.txt.gz", "truncated or corrupt"],
        );
    }

    #[test]
    fn binary_errors() {
        let dir = tempfile::tempdir().unwrap();
        let rows = three_rows();
        let good = w2v_bin(&rows, true);
        let bin = |name: &str, bytes: &[u8]| write(dir.path(), name, bytes);
        let fmt = SourceFormat::Word2VecBinary;

        // Cut inside the third word's vector.
        let path = bin("cut.bin", &good[..good.len() - 6]);
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["cut.bin", "truncated in word 3 ('émigré')"],
        );
        // Cut inside the third word itself.
        let cut = good.len() - 1 - 16 - 4;
        let path = bin("cutword.bin", &good[..cut]);
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["cutword.bin", "truncated in word 3 ('émi"],
        );
        // Header promises more words than there are.
        let mut more = good.clone();
        more[0] = b'4';
        let path = bin("more.bin", &more);
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["more.bin", "truncated in word 4"],
        );
        // Bad headers.
        for (name, bytes) in [
            ("hdr1.bin", &b"3\nabc"[..]),
            ("hdr2.bin", b"x 4\n"),
            ("hdr3.bin", b"3 4 5\n"),
            ("hdr4.bin", b""),
        ] {
            let path = bin(name, bytes);
            assert_err(
                read_source(&path, &fmt, &opts()),
                &[name, "bad word2vec header"],
            );
        }
        let path = bin("dim0.bin", b"3 0\n");
        assert_err(read_source(&path, &fmt, &opts()), &["dim0.bin", "dim 0"]);
        let path = bin("rows0.bin", b"0 4\n");
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["rows0.bin", "zero rows"],
        );
        // Non-finite and zero vectors.
        let path = bin(
            "inf.bin",
            &w2v_bin(
                &[("a", vec![1.0, 2.0]), ("cat", vec![1.0, f32::INFINITY])],
                true,
            ),
        );
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["inf.bin word 2", "word 'cat' has a non-finite value"],
        );
        let path = bin("nan.bin", &w2v_bin(&[("cat", vec![f32::NAN, 2.0])], false));
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["nan.bin word 1", "word 'cat' has a non-finite value"],
        );
        let path = bin(
            "zero.bin",
            &w2v_bin(&[("a", vec![1.0, 2.0]), ("cat", vec![0.0, 0.0])], true),
        );
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["zero.bin word 2", "word 'cat'", "all-zero"],
        );
        // A word that never ends.
        let mut long = b"1 2\n".to_vec();
        long.extend(std::iter::repeat_n(b'a', (MAX_WORD_BYTES + 10) as usize));
        let path = bin("long.bin", &long);
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["long.bin", "longer than"],
        );
        // An empty word.
        let path = bin("emptyword.bin", b"1 1\n \x00\x00\x80\x3f\n");
        assert_err(
            read_source(&path, &fmt, &opts()),
            &["emptyword.bin", "empty"],
        );
    }

    #[test]
    fn npy_errors() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(3, 2);
        let words_path = write(dir.path(), "words.txt", b"a\nb\nc\n");
        let fmt = SourceFormat::Npy {
            words: words_path.clone(),
        };
        let f4: Vec<u8> = m.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
        let dict = |descr: &str, shape: &str| {
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}")
        };
        let npy_case = |name: &str, bytes: &[u8], needles: &[&str]| {
            let path = write(dir.path(), name, bytes);
            assert_err(read_source(&path, &fmt, &opts()), needles);
        };

        npy_case(
            "magic.npy",
            b"\x93NUMPX\x01\x00",
            &["magic.npy", "not a .npy file (bad magic)"],
        );
        npy_case("tiny.npy", b"\x93NU", &["tiny.npy", "bad magic"]);
        npy_case(
            "gzipped.npy",
            &gz(&npy(&m, "<f4", false)),
            &["gzipped.npy", "bad magic"],
        );
        npy_case(
            "version.npy",
            &npy_raw([4, 0], &dict("<f4", "(3, 2)"), &f4),
            &["version.npy", "unsupported .npy header version 4.0"],
        );
        npy_case(
            "i4.npy",
            &npy_raw([1, 0], &dict("<i4", "(3, 2)"), &f4),
            &["i4.npy", "unsupported dtype '<i4'"],
        );
        npy_case(
            "bigendian.npy",
            &npy_raw([1, 0], &dict(">f4", "(3, 2)"), &f4),
            &["bigendian.npy", "unsupported dtype '>f4'"],
        );
        npy_case(
            "f2.npy",
            &npy_raw([1, 0], &dict("<f2", "(3, 2)"), &f4[..12]),
            &["f2.npy", "unsupported dtype '<f2'"],
        );
        npy_case(
            "structured.npy",
            &npy_raw(
                [1, 0],
                "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (3,), }",
                &f4,
            ),
            &["structured.npy", "unsupported dtype"],
        );
        npy_case(
            "oned.npy",
            &npy_raw([1, 0], &dict("<f4", "(6,)"), &f4),
            &["oned.npy", "expected a 2-D matrix", "(6)"],
        );
        npy_case(
            "dim0.npy",
            &npy_raw([1, 0], &dict("<f4", "(3, 0)"), &[]),
            &["dim0.npy", "dim 0"],
        );
        npy_case(
            "rows0.npy",
            &npy_raw([1, 0], &dict("<f4", "(0, 2)"), &[]),
            &["rows0.npy", "zero rows"],
        );
        npy_case(
            "short.npy",
            &npy_raw([1, 0], &dict("<f4", "(3, 2)"), &f4[..20]),
            &[
                "short.npy",
                "needs 24 bytes of data but the file has 20 (truncated)",
            ],
        );
        npy_case(
            "long.npy",
            &npy_raw([1, 0], &dict("<f4", "(3, 2)"), &[&f4[..], &[0; 8]].concat()),
            &["long.npy", "needs 24 bytes of data but the file has 32"],
        );
        npy_case(
            "garbage.npy",
            &npy_raw([1, 0], "{'descr': '<f4', 'fortran_order': Maybe}", &f4),
            &["garbage.npy", "bad .npy header"],
        );
        npy_case(
            "noshape.npy",
            &npy_raw([1, 0], "{'descr': '<f4', 'fortran_order': False}", &f4),
            &["noshape.npy", "no 'shape'"],
        );
        npy_case(
            "deep.npy",
            &npy_raw([1, 0], &"(".repeat(5000), &f4),
            &["deep.npy", "bad .npy header"],
        );
        npy_case(
            "overflow.npy",
            &npy_raw([1, 0], &dict("<f4", "(18446744073709551615, 2)"), &f4),
            &["overflow.npy", "too large"],
        );
        let mut nan = m.clone();
        nan[1][1] = f32::NAN;
        npy_case(
            "nan.npy",
            &npy(&nan, "<f4", true),
            &["nan.npy row 1", "word 'b' has a non-finite value"],
        );
        // An f8 value beyond the f32 range becomes infinite.
        let big: Vec<u8> = [1.0f64, 2.0, 1e300, 1.0, 5.0, 6.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        npy_case(
            "big.npy",
            &npy_raw([1, 0], &dict("<f8", "(3, 2)"), &big),
            &["big.npy row 1", "word 'b' has a non-finite value"],
        );
        let mut zero = m.clone();
        zero[2] = vec![0.0, 0.0];
        npy_case(
            "zero.npy",
            &npy(&zero, "<f4", true),
            &["zero.npy row 2", "word 'c'", "all-zero"],
        );

        // Word list / matrix count mismatches, both ways, and bad word lists.
        let path = write(dir.path(), "m.npy", &npy(&m, "<f4", false));
        for (name, list, needles) in [
            (
                "longer.txt",
                &b"a\nb\nc\nd\n"[..],
                &["longer.txt", "has 4 words", "m.npy has 3 rows"][..],
            ),
            (
                "shorter.txt",
                b"a\nb\n",
                &["shorter.txt", "has 2 words", "m.npy has 3 rows"],
            ),
            (
                "blankword.txt",
                b"a\n\nc\n",
                &["blankword.txt line 2", "empty word"],
            ),
            (
                "badutf8.txt",
                b"a\n\xff\nc\n",
                &["badutf8.txt line 2", "not valid UTF-8"],
            ),
        ] {
            let words = write(dir.path(), name, list);
            assert_err(
                read_source(&path, &SourceFormat::Npy { words }, &opts()),
                needles,
            );
        }
        assert_err(
            read_source(
                &path,
                &SourceFormat::Npy {
                    words: dir.path().join("missing-words.txt"),
                },
                &opts(),
            ),
            &["missing-words.txt", "cannot open"],
        );
        // A word list without the final newline is fine.
        let words = write(dir.path(), "nofinal.txt", b"a\nb\nc");
        let raw = read_source(&path, &SourceFormat::Npy { words }, &opts()).unwrap();
        assert_eq!(raw.words, ["a", "b", "c"]);
        assert_eq!(raw.vectors, m.concat());
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
            (
                npy(&m, "<f8", true),
                SourceFormat::Npy {
                    words: words_path.clone(),
                },
                0,
            ),
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
