//! Fixtures shared by the importers' unit tests: source files of every format, written from
//! Rust so that no binary fixture is committed.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{ImportOptions, RawEmbeddings};

/// A matrix whose values are exact in f32 (so f8 -> f32 and text round trips are exact).
pub(super) fn value(r: usize, c: usize) -> f32 {
    (r as f32 + 1.0) * 0.5 - (c as f32) * 0.25 + if c.is_multiple_of(2) { 0.125 } else { -3.0 }
}

pub(super) fn matrix(rows: usize, dim: usize) -> Vec<Vec<f32>> {
    (0..rows)
        .map(|r| (0..dim).map(|c| value(r, c)).collect())
        .collect()
}

/// Words used by the filtering fixtures, with their expected fate under lowercase_alpha.
pub(super) const WORDS: [&str; 8] = ["the", "The", "cat", "don't", "x1", "dog", "cat", "sat"];

pub(super) fn opts() -> ImportOptions {
    ImportOptions::default()
}

pub(super) fn w2v_bin(rows: &[(&str, Vec<f32>)], newline: bool) -> Vec<u8> {
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

pub(super) fn w2v_text(rows: &[(&str, Vec<f32>)], header: bool) -> String {
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

pub(super) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// An .npy file from a header dict string and raw data (version 1.0 unless given).
pub(super) fn npy_raw(version: [u8; 2], dict: &str, data: &[u8]) -> Vec<u8> {
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
pub(super) fn npy(m: &[Vec<f32>], descr: &str, fortran: bool) -> Vec<u8> {
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
    let dict =
        format!("{{'descr': '{descr}', 'fortran_order': {py_bool}, 'shape': ({rows}, {dim}), }}");
    npy_raw([1, 0], &dict, &data)
}

pub(super) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

pub(super) fn word_list(words: &[&str]) -> String {
    words.iter().map(|w| format!("{w}\n")).collect()
}

pub(super) fn rows_of(words: &[&str], m: &[Vec<f32>]) -> Vec<(String, Vec<f32>)> {
    words
        .iter()
        .zip(m)
        .map(|(w, v)| (w.to_string(), v.clone()))
        .collect()
}

pub(super) fn as_refs(rows: &[(String, Vec<f32>)]) -> Vec<(&str, Vec<f32>)> {
    rows.iter().map(|(w, v)| (w.as_str(), v.clone())).collect()
}

/// Assert the read gives exactly `expected` (word, vector) rows.
pub(super) fn assert_rows(raw: &RawEmbeddings, expected: &[(&str, Vec<f32>)]) {
    let dim = expected[0].1.len();
    assert_eq!(raw.dim, dim);
    let words: Vec<&str> = expected.iter().map(|(w, _)| *w).collect();
    assert_eq!(raw.words, words);
    let vectors: Vec<f32> = expected.iter().flat_map(|(_, v)| v.clone()).collect();
    assert_eq!(raw.vectors, vectors);
}

pub(super) fn err_of(result: Result<RawEmbeddings>) -> String {
    match result {
        Ok(raw) => panic!("expected an error, got {} words", raw.words.len()),
        Err(e) => format!("{e:#}"),
    }
}

pub(super) fn assert_err(result: Result<RawEmbeddings>, needles: &[&str]) {
    let msg = err_of(result);
    for needle in needles {
        assert!(
            msg.contains(needle),
            "error message {msg:?} should contain {needle:?}"
        );
    }
}

pub(super) fn three_rows() -> Vec<(&'static str, Vec<f32>)> {
    let m = matrix(3, 4);
    vec![
        ("king", m[0].clone()),
        ("queen", m[1].clone()),
        ("émigré", m[2].clone()),
    ]
}
