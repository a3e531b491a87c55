//! word2vec binary (`.bin`, `.bin.gz`): a header line "<count> <dim>\n", then per word the
//! word's bytes, a space and `dim` little-endian f32, optionally followed by a '\n'.

use std::io::{self, BufRead, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;

use super::{
    open_input, parse_usize_field, read_le, show, Collector, ImportOptions, RawEmbeddings,
    ReadStats, Verdict, MAX_DIM,
};

/// Longest word accepted in a word2vec binary file.
const MAX_WORD_BYTES: u64 = 1 << 16;

/// Read and check the "<count> <dim>\n" header line.
fn read_header(reader: &mut impl BufRead, path: &Path) -> Result<(usize, usize)> {
    let p = path.display();
    let mut header = Vec::new();
    reader
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
    Ok((count, dim))
}

pub(super) fn read(
    path: &Path,
    opts: &ImportOptions,
    pb: &ProgressBar,
) -> Result<(RawEmbeddings, ReadStats)> {
    let p = path.display();
    let mut reader = open_input(path, pb)?;
    let (count, dim) = read_header(&mut reader, path)?;

    let mut col = Collector::new(opts);
    col.reserve(count, dim);
    let mut word_buf: Vec<u8> = Vec::new();
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
        read_le(&mut reader, &mut values).map_err(|e| {
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
        if let Verdict::Keep = col.verdict(word) {
            let word = String::from_utf8(word.to_vec())
                .map_err(|_| anyhow!("{p}: word {i} ('{}') is not valid UTF-8", show(word)))?;
            col.keep(word, &values, || format!("{p} word {i}"))?;
        }
    }
    col.finish(path, dim)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{detect_format, read_source, SourceFormat};
    use super::MAX_WORD_BYTES;

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

    #[test]
    fn binary_truncation_and_header_errors() {
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
    }

    #[test]
    fn binary_value_and_word_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bin = |name: &str, bytes: &[u8]| write(dir.path(), name, bytes);
        let fmt = SourceFormat::Word2VecBinary;

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
}
