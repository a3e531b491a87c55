//! Importing end to end: a small word2vec file in, a model file out, opened and searched.

use crate::common::engine;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;
use word_bocce::embeddings::format::write_model;
use word_bocce::embeddings::import::{detect_format, read_source, ImportOptions, SourceFormat};
use word_bocce::embeddings::Embeddings;
use word_bocce::simd::exact_dot;

/// Words and their raw (not unit) vectors: GloVe values from the committed model, scaled the
/// way raw GloVe vectors are (norms of a few units), rounded to 6 decimals as text files are.
fn source_rows() -> Vec<(String, Vec<f32>)> {
    let emb = &engine().emb;
    ["king", "queen", "house", "music", "water", "river", "paris"]
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let id = emb.id(w).unwrap();
            let scale = 2.5 + i as f32 * 0.75;
            let v = emb
                .vector(id)
                .iter()
                .map(|&x| ((x * scale) as f64 * 1e6).round() as f32 / 1e6)
                .collect();
            (w.to_string(), v)
        })
        .collect()
}

fn text(rows: &[(String, Vec<f32>)], header: bool) -> String {
    let mut s = String::new();
    if header {
        s += &format!("{} {}\n", rows.len(), rows[0].1.len());
    }
    for (w, v) in rows {
        s += w;
        for x in v {
            s += &format!(" {x}");
        }
        s += "\n";
    }
    s
}

fn binary(rows: &[(String, Vec<f32>)]) -> Vec<u8> {
    let mut b = format!("{} {}\n", rows.len(), rows[0].1.len()).into_bytes();
    for (w, v) in rows {
        b.extend_from_slice(w.as_bytes());
        b.push(b' ');
        for x in v {
            b.extend_from_slice(&x.to_le_bytes());
        }
        b.push(b'\n');
    }
    b
}

/// Import `src`, write the model, open it and check it against `rows`.
fn import_and_check(src: &Path, rows: &[(String, Vec<f32>)], out: &Path) {
    let format = detect_format(src, None).unwrap();
    let raw = read_source(src, &format, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e:#}", src.display()));
    assert_eq!(raw.dim, 50);
    assert_eq!(
        raw.words,
        rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()
    );
    write_model(out, "tiny-import", &raw.words, raw.dim, raw.vectors).unwrap();

    let emb = Embeddings::open(out).unwrap();
    assert_eq!(
        (emb.len(), emb.dim(), emb.name()),
        (rows.len(), 50, "tiny-import")
    );
    for (i, (w, v)) in rows.iter().enumerate() {
        let id = emb.id(w).unwrap();
        assert_eq!(id as usize, i, "file order is kept");
        assert_eq!(emb.word(id), w);
        let u = emb.vector(id);
        let norm = u.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6, "'{w}' has norm {norm}");
        let vnorm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        let cos: f64 = u
            .iter()
            .zip(v)
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum::<f64>()
            / vnorm;
        assert!(
            cos > 1.0 - 1e-6,
            "'{w}' is not parallel to its input (cos {cos})"
        );
    }
    assert_eq!(emb.lookup(" King "), emb.id("king"));
    assert_eq!(emb.lookup("QUEEN\n"), emb.id("queen"));
    assert_eq!(emb.lookup("kingdom"), None);
    assert_eq!(emb.lookup(""), None);
    // Cosines survive the round trip.
    let (k, q) = (emb.id("king").unwrap(), emb.id("queen").unwrap());
    let orig = engine().emb.cosine(
        engine().emb.id("king").unwrap(),
        engine().emb.id("queen").unwrap(),
    );
    assert!((exact_dot(emb.vector(k), emb.vector(q)) - orig).abs() < 1e-5);
}

#[test]
fn word2vec_text_and_binary_import_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let rows = source_rows();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("glove.txt", text(&rows, false).into_bytes()),
        ("w2v.vec", text(&rows, true).into_bytes()),
        ("w2v.txt.gz", {
            let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(text(&rows, true).as_bytes()).unwrap();
            gz.finish().unwrap()
        }),
        ("w2v.bin", binary(&rows)),
    ];
    for (name, bytes) in cases {
        let src = dir.path().join(name);
        std::fs::write(&src, bytes).unwrap();
        let want = if name.ends_with(".bin") {
            SourceFormat::Word2VecBinary
        } else {
            SourceFormat::Text
        };
        assert_eq!(detect_format(&src, None).unwrap(), want, "{name}");
        import_and_check(&src, &rows, &dir.path().join(format!("{name}.wbm")));
    }
}

#[test]
fn import_filters_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = source_rows();
    rows.insert(1, ("U.S.".to_string(), rows[0].1.clone()));
    rows.insert(3, ("king".to_string(), rows[2].1.clone())); // a duplicate: first one wins
    let src = dir.path().join("mixed.txt");
    std::fs::write(&src, text(&rows, false)).unwrap();
    let opts = ImportOptions {
        lowercase_alpha: true,
        top_n: Some(4),
        progress: false,
    };
    let raw = read_source(&src, &SourceFormat::Text, &opts).unwrap();
    assert_eq!(raw.words, ["king", "queen", "house", "music"]);
    assert_eq!(raw.vectors.len(), 4 * 50);
    assert_eq!(&raw.vectors[..50], &rows[0].1[..]);

    // Broken sources are errors that name the file and the line.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "king 0.1 0.2 0.3\nqueen 0.1 zebra 0.3\n").unwrap();
    let e = format!(
        "{:#}",
        read_source(&bad, &SourceFormat::Text, &ImportOptions::default()).unwrap_err()
    );
    assert!(e.contains("bad.txt") && e.contains("line 2"), "{e}");
    std::fs::write(&bad, "king 0.1 0.2 0.3\nqueen 0.1 0.2\n").unwrap();
    let e = format!(
        "{:#}",
        read_source(&bad, &SourceFormat::Text, &ImportOptions::default()).unwrap_err()
    );
    assert!(e.contains("line 2"), "{e}");
    // A zero vector cannot be normalised: write_model refuses it by name.
    let raw = read_source(&src, &SourceFormat::Text, &ImportOptions::default()).unwrap();
    let mut v = raw.vectors.clone();
    v[100..150].fill(0.0);
    let e = write_model(&dir.path().join("z.wbm"), "z", &raw.words, 50, v).unwrap_err();
    assert!(format!("{e:#}").contains(&raw.words[2]), "{e:#}");
}
