//! Text vectors: word2vec text, GloVe, fastText `.vec`; plain or gzipped.
//!
//! One "word v1 v2 ... vdim" per line, fields separated by ASCII whitespace (so "\r\n" line
//! ends and trailing spaces are fine); blank lines are skipped. An optional first line
//! "<count> <dim>" (exactly two integer fields) is a header: the count is then checked
//! against the file, and the dim against every row.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;

use super::{
    open_input, parse_usize_field, show, Collector, ImportOptions, RawEmbeddings, ReadStats,
    Verdict, MAX_DIM,
};

fn parse_f32_field(field: &[u8]) -> Option<f32> {
    std::str::from_utf8(field).ok()?.parse::<f32>().ok()
}

/// If the first line (`first` field, then `rest`) is a "<count> <dim>" header, its values.
fn header_of<'a>(
    first: &[u8],
    mut rest: impl Iterator<Item = &'a [u8]>,
    loc: impl Fn() -> String,
) -> Result<Option<(usize, usize)>> {
    let (Some(count), Some(dim), None) = (
        parse_usize_field(first),
        rest.next().and_then(parse_usize_field),
        rest.next(),
    ) else {
        return Ok(None);
    };
    if dim == 0 {
        bail!("{}: header says dim 0", loc());
    }
    if dim > MAX_DIM {
        bail!("{}: header says dim {dim}, which is implausible", loc());
    }
    Ok(Some((count, dim)))
}

pub(super) fn read(
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
            if let Some((count, d)) =
                header_of(word, fields.clone(), || format!("{p} line {line_no}"))?
            {
                header_count = Some(count);
                dim = Some(d);
                col.reserve(count, d);
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{detect_format, read_source, ImportOptions, SourceFormat};

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
}
