//! A NumPy `.npy` matrix (words x dim, dtype `<f4` or `<f8`, C or Fortran order) plus a word
//! list (UTF-8, one word per line, in row order).
//!
//! The header's Python dict is parsed by `ndarray-npy`. The fixed-size prefix before it is
//! read here first, to bound the header length before anything is allocated, to accept the
//! `400000L` integers that Python 2 wrote (NumPy still reads them, Python 3 literal parsers do
//! not), to keep deeply nested (corrupt) dicts from the parser, whose time is exponential in
//! the nesting, and to word the errors the way the other importers do.
//!
//! C-order data is streamed one row at a time, so `top_n` stops the read early and memory
//! holds one row. A Fortran-order row is strided across the whole file, so that matrix is
//! read whole (bounded by the file size, checked against the shape first) by `ndarray-npy`,
//! which lays it out column-major.
//!
//! Big-endian dtypes (`>f4`, `>f8`) are refused, as they always were: NumPy writes native
//! (little-endian) order on every machine this runs on.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use ndarray::Array2;
use ndarray_npy::npy::header::{Header, ParseHeaderError, ReadHeaderError};
use ndarray_npy::{ReadNpyExt, ReadableElement};

use super::{
    open_input, read_le, show, Collector, ImportOptions, LeFloat, RawEmbeddings, ReadStats,
    Verdict, BUF_BYTES,
};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Longest header dict accepted (NumPy writes about 120 bytes for a matrix); bounds the
/// allocation a corrupt length field could ask for.
const MAX_HEADER_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F4,
    F8,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F4 => 4,
            Dtype::F8 => 8,
        }
    }

    fn descr(self) -> &'static str {
        match self {
            Dtype::F4 => "<f4",
            Dtype::F8 => "<f8",
        }
    }
}

/// What the reader needs of a `.npy` header.
#[derive(Debug, Clone)]
struct NpyHeader {
    dtype: Dtype,
    fortran_order: bool,
    rows: usize,
    cols: usize,
    /// The header as read, from the magic bytes to the end of the dict (so the data starts
    /// at `bytes.len()`), as [`prepare_dict`] left it.
    bytes: Vec<u8>,
}

/// Deepest bracket nesting accepted in a header dict. NumPy writes 2 (a dict holding the
/// shape tuple). The Python literal parser behind ndarray-npy takes time exponential in the
/// nesting (it parses a nested value again for each alternative it tries: about a second at
/// depth 16), so a corrupt header must not reach it deeply nested.
const MAX_NESTING: usize = 8;

/// Make a header dict fit for the Python literal parser, outside string literals: blank out
/// the `L` of Python 2 long integers (`(400000L, 50L)`; blanking keeps the length, so the
/// header length field stays right) and refuse nesting deeper than [`MAX_NESTING`].
fn prepare_dict(text: &mut [u8]) -> Result<(), String> {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut depth = 0usize;
    for i in 0..text.len() {
        let c = text[i];
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == b'\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if matches!(c, b'(' | b'[' | b'{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(format!("nested more than {MAX_NESTING} deep"));
                }
            }
            None if matches!(c, b')' | b']' | b'}') => depth = depth.saturating_sub(1),
            None if matches!(c, b'L' | b'l') && i > 0 && text[i - 1].is_ascii_digit() => {
                text[i] = b' ';
            }
            None => {}
        }
    }
    Ok(())
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

/// Read the magic bytes, version, header length and header dict, leaving `r` at the data.
fn read_header_bytes(r: &mut impl Read, path: &Path) -> Result<(Vec<u8>, usize)> {
    let p = path.display();
    let mut bytes = vec![0u8; MAGIC.len()];
    read_exact_or(r, &mut bytes, || {
        anyhow!("{p}: not a .npy file (bad magic: file too short)")
    })?;
    if bytes != MAGIC {
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
    if header_len > MAX_HEADER_BYTES {
        bail!("{p}: implausible .npy header length {header_len}");
    }
    bytes.extend_from_slice(&version);
    bytes.extend_from_slice(&len_buf[..len_bytes]);
    let dict_start = bytes.len();
    bytes.resize(dict_start + header_len, 0);
    read_exact_or(r, &mut bytes[dict_start..], || {
        anyhow!("{p}: truncated .npy header (expected {header_len} bytes)")
    })?;
    Ok((bytes, dict_start))
}

/// Why ndarray-npy refused a header dict, in one line.
fn header_problem(e: ReadHeaderError) -> String {
    const MAX_CHARS: usize = 160;
    let why = match e {
        // ndarray-npy 0.10 calls a missing 'shape' "shaper".
        ReadHeaderError::Parse(ParseHeaderError::MissingKey(key)) if key.starts_with("shape") => {
            "no 'shape'".to_string()
        }
        ReadHeaderError::Parse(ParseHeaderError::MissingKey(key)) => format!("no '{key}'"),
        ReadHeaderError::Parse(ParseHeaderError::DictParse(e)) => {
            // pest renders a syntax error over several lines that quote the dict, with a
            // caret under the column: keep the position ("--> 1:35") and what was expected.
            let msg = e.to_string();
            let kept: Vec<&str> = msg
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("-->") || l.starts_with('='))
                .collect();
            if kept.is_empty() {
                msg
            } else {
                format!("not a Python literal: {}", kept.join(" "))
            }
        }
        ReadHeaderError::Parse(e) => e.to_string(),
        e => e.to_string(),
    };
    let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
    if why.chars().count() > MAX_CHARS {
        why.chars().take(MAX_CHARS).chain("...".chars()).collect()
    } else {
        why
    }
}

fn read_header(r: &mut impl Read, path: &Path) -> Result<NpyHeader> {
    let p = path.display();
    let (mut bytes, dict_start) = read_header_bytes(r, path)?;
    let bad = |why: String, dict: &[u8]| {
        anyhow!("{p}: bad .npy header ({why}): {}", show(dict.trim_ascii()))
    };
    if let Err(why) = prepare_dict(&mut bytes[dict_start..]) {
        return Err(bad(why, &bytes[dict_start..]));
    }
    let header = Header::from_reader(&mut &bytes[..])
        .map_err(|e| bad(header_problem(e), &bytes[dict_start..]))?;
    let dtype = match header.type_descriptor.as_string().map(String::as_str) {
        Some("<f4") => Dtype::F4,
        Some("<f8") => Dtype::F8,
        Some(s) => bail!("{p}: unsupported dtype '{s}' (only '<f4' and '<f8' are supported)"),
        None => {
            bail!("{p}: unsupported dtype (structured array; only '<f4' and '<f8' are supported)")
        }
    };
    let [rows, cols] = header.shape[..] else {
        let dims: Vec<String> = header.shape.iter().map(usize::to_string).collect();
        bail!(
            "{p}: expected a 2-D matrix (words x dim), but the shape is ({})",
            dims.join(", ")
        );
    };
    Ok(NpyHeader {
        dtype,
        fortran_order: header.layout.is_fortran(),
        rows,
        cols,
        bytes,
    })
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

pub(super) fn read(
    path: &Path,
    words_path: &Path,
    opts: &ImportOptions,
    pb: &ProgressBar,
) -> Result<(RawEmbeddings, ReadStats)> {
    let p = path.display();
    let file = File::open(path).with_context(|| format!("{p}: cannot open"))?;
    let file_len = file
        .metadata()
        .with_context(|| format!("{p}: cannot stat"))?
        .len();
    let mut reader = BufReader::with_capacity(BUF_BYTES, file);
    let header = read_header(&mut reader, path)?;
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
    let available = file_len.saturating_sub(header.bytes.len() as u64);
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

    pb.set_length(data_len as u64);
    let data = pb.wrap_read(reader);
    match header.dtype {
        Dtype::F4 => collect_rows::<f32>(&header, data, words, path, opts),
        Dtype::F8 => collect_rows::<f64>(&header, data, words, path, opts),
    }
}

/// The matrix's rows, visited in order.
enum Rows<T, R> {
    /// C order: each row is read when it is reached.
    Streamed { reader: R, row: Vec<T> },
    /// Fortran order: the whole matrix, column-major.
    Whole(Array2<T>),
}

impl<T: LeFloat, R: Read> Rows<T, R> {
    /// Move on to the next row (read it, if streamed).
    fn advance(&mut self) -> io::Result<()> {
        match self {
            Rows::Streamed { reader, row } => read_le(reader, row),
            Rows::Whole(_) => Ok(()),
        }
    }

    /// Row `r`, the one last moved to, as f32.
    fn fill(&self, r: usize, out: &mut [f32]) {
        match self {
            Rows::Streamed { row, .. } => {
                for (o, v) in out.iter_mut().zip(row) {
                    *o = v.to_f32();
                }
            }
            Rows::Whole(m) => {
                for (o, v) in out.iter_mut().zip(m.row(r)) {
                    *o = v.to_f32();
                }
            }
        }
    }
}

/// Apply the filters to the rows of the matrix whose data `data` starts at.
fn collect_rows<T: LeFloat + ReadableElement>(
    header: &NpyHeader,
    data: impl Read,
    words: Vec<String>,
    path: &Path,
    opts: &ImportOptions,
) -> Result<(RawEmbeddings, ReadStats)> {
    let p = path.display();
    let dim = header.cols;
    let mut rows = if header.fortran_order {
        // ndarray-npy reads the header again (from memory) and then the data.
        let whole = Array2::<T>::read_npy(io::Cursor::new(&header.bytes).chain(data))
            .map_err(|e| anyhow!("{p}: read error in the matrix data: {e}"))?;
        Rows::Whole(whole)
    } else {
        Rows::Streamed {
            reader: data,
            row: vec![T::zeroed(); dim],
        }
    };

    let mut col = Collector::new(opts);
    col.reserve(header.rows, dim);
    let mut row = vec![0f32; dim];
    for (r, word) in words.into_iter().enumerate() {
        if col.is_full() {
            break;
        }
        rows.advance().map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                anyhow!("{p}: truncated matrix data (row {r})")
            } else {
                anyhow::Error::new(e).context(format!("{p}: read error in the matrix data"))
            }
        })?;
        if let Verdict::Keep = col.verdict(word.as_bytes()) {
            rows.fill(r, &mut row);
            col.keep(word, &row, || format!("{p} row {r}"))?;
        }
    }
    col.finish(path, dim)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{detect_format, read_source, ImportOptions, SourceFormat};
    use super::{prepare_dict, MAX_NESTING};

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

    /// Files as `np.save` (NumPy 2.4) writes them: the same 4x3 float32 matrix in C order
    /// and in Fortran order (`np.asfortranarray`), header bytes and data order exactly as
    /// NumPy wrote them. Both give the same rows, and the test fixtures write the same bytes.
    #[test]
    fn npy_as_numpy_writes_it_in_both_orders() {
        let numpy_file = |fortran_order: &str, data_in_file_order: [f32; 12]| {
            let mut bytes = b"\x93NUMPY\x01\x00v\x00".to_vec();
            bytes.extend_from_slice(
                format!("{{'descr': '<f4', 'fortran_order': {fortran_order}, 'shape': (4, 3), }}")
                    .as_bytes(),
            );
            bytes.resize(127, b' ');
            bytes.push(b'\n');
            for v in data_in_file_order {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            bytes
        };
        let c = numpy_file(
            "False",
            [
                1.0, -1.5, 2.0, 2.5, -3.0, 3.5, 4.0, -4.5, 5.0, 5.5, -6.0, 6.5,
            ],
        );
        let f = numpy_file(
            "True",
            [
                1.0, 2.5, 4.0, 5.5, -1.5, -3.0, -4.5, -6.0, 2.0, 3.5, 5.0, 6.5,
            ],
        );
        let m = vec![
            vec![1.0, -1.5, 2.0],
            vec![2.5, -3.0, 3.5],
            vec![4.0, -4.5, 5.0],
            vec![5.5, -6.0, 6.5],
        ];
        assert_eq!(npy(&m, "<f4", false), c);
        assert_eq!(npy(&m, "<f4", true), f);

        let dir = tempfile::tempdir().unwrap();
        let words = ["w", "x", "y", "z"];
        let words_path = write(dir.path(), "words.txt", word_list(&words).as_bytes());
        let format = SourceFormat::Npy { words: words_path };
        let expected = rows_of(&words, &m);
        for (name, bytes) in [("c.npy", &c), ("f.npy", &f)] {
            let path = write(dir.path(), name, bytes);
            assert_rows(
                &read_source(&path, &format, &opts()).unwrap(),
                &as_refs(&expected),
            );
            // And with top_n, which stops a C-order read after the rows it needs.
            let o = ImportOptions {
                top_n: Some(2),
                ..opts()
            };
            assert_rows(
                &read_source(&path, &format, &o).unwrap(),
                &as_refs(&expected[..2]),
            );
        }
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

    #[test]
    fn python2_long_suffixes_are_blanked_outside_strings_only() {
        let mut text = b"{'descr': '<f4L', \"x1L\": 'a\\'2L', 'shape': (400000L, 50l)}".to_vec();
        prepare_dict(&mut text).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "{'descr': '<f4L', \"x1L\": 'a\\'2L', 'shape': (400000 , 50 )}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let nested = |depth: usize| {
            let mut text = "{'x': ".to_string();
            text.push_str(&"[".repeat(depth - 1));
            text.push_str(&"]".repeat(depth - 1));
            text.push('}');
            text.into_bytes()
        };
        assert!(prepare_dict(&mut nested(MAX_NESTING)).is_ok());
        let e = prepare_dict(&mut nested(MAX_NESTING + 1)).unwrap_err();
        assert!(e.contains("nested more than"), "{e}");
        // Brackets inside strings do not count.
        let mut quoted = format!("{{'x': '{}'}}", "(".repeat(100)).into_bytes();
        assert!(prepare_dict(&mut quoted).is_ok());
    }

    /// Bytes of the 3x2 `matrix` as '<f4', row-major, and a header dict for it.
    fn f4_data() -> Vec<u8> {
        matrix(3, 2)
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    fn dict(descr: &str, shape: &str) -> String {
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}")
    }

    /// Read `bytes` as `name` with the word list "a b c"; the error must contain `needles`.
    fn npy_case(name: &str, bytes: &[u8], needles: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let words = write(dir.path(), "words.txt", b"a\nb\nc\n");
        let path = write(dir.path(), name, bytes);
        assert_err(
            read_source(&path, &SourceFormat::Npy { words }, &opts()),
            needles,
        );
    }

    #[test]
    fn npy_header_errors() {
        let m = matrix(3, 2);
        let f4 = f4_data();
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
        // Deep but balanced: refused before the parser, which would take for ever on it.
        let deep = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), 'x': {}1{}}}",
            "{1: ".repeat(40),
            "}".repeat(40)
        );
        npy_case(
            "balanced.npy",
            &npy_raw([1, 0], &deep, &f4),
            &["balanced.npy", "bad .npy header (nested more than 8 deep)"],
        );
        // NumPy refuses keys other than its three, and so does ndarray-npy.
        npy_case(
            "extra.npy",
            &npy_raw(
                [1, 0],
                "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), 'x': 1}",
                &f4,
            ),
            &["extra.npy", "bad .npy header"],
        );
        // A length field asking for more than any real header.
        let mut huge = npy_raw([2, 0], &dict("<f4", "(3, 2)"), &f4);
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        npy_case(
            "hugeheader.npy",
            &huge,
            &["hugeheader.npy", "implausible .npy header length"],
        );
    }

    #[test]
    fn npy_dtype_and_shape_errors() {
        let f4 = f4_data();
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
            "bigendian8.npy",
            &npy_raw([1, 0], &dict(">f8", "(3, 1)"), &f4),
            &["bigendian8.npy", "unsupported dtype '>f8'"],
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
            "overflow.npy",
            &npy_raw([1, 0], &dict("<f4", "(18446744073709551615, 2)"), &f4),
            &["overflow.npy", "too large"],
        );
    }

    #[test]
    fn npy_value_errors() {
        let m = matrix(3, 2);
        let mut nan = m.clone();
        nan[1][1] = f32::NAN;
        npy_case(
            "nan.npy",
            &npy(&nan, "<f4", true),
            &["nan.npy row 1", "word 'b' has a non-finite value"],
        );
        npy_case(
            "nanc.npy",
            &npy(&nan, "<f4", false),
            &["nanc.npy row 1", "word 'b' has a non-finite value"],
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
    }

    #[test]
    fn npy_word_list_errors() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(3, 2);
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
}
