//! `word-bocce check-puzzles`: validate the catalogue against the configured model.

use super::{Catalogue, Spread};
use crate::config::EngineSettings;
use crate::engine::Engine;
use std::io::Write;
use std::path::Path;

/// Load the model (`EngineSettings::from_env`), validate every puzzle of `dir`, print one line
/// per problem and a summary (with `verbose`, one line per puzzle too). An error when there is
/// any problem.
pub fn run(dir: &Path, verbose: bool) -> anyhow::Result<()> {
    let settings = EngineSettings::from_env()?;
    let engine = Engine::load(&settings)?;
    let catalogue = Catalogue::load(&engine, dir);
    let mut out = std::io::stdout().lock();
    write_report(&mut out, &catalogue, verbose)?;
    out.flush()?;
    match catalogue.problems().len() {
        0 => Ok(()),
        n => anyhow::bail!("{n} problem(s) in the puzzle catalogue {}", dir.display()),
    }
}

/// The report `check-puzzles` prints.
pub fn write_report(
    out: &mut dyn Write,
    catalogue: &Catalogue,
    verbose: bool,
) -> std::io::Result<()> {
    for p in catalogue.problems() {
        writeln!(out, "problem: {p}")?;
    }
    if verbose {
        for p in catalogue.puzzles() {
            let b = &p.best_move;
            let sign = |s: i8| if s > 0 { '+' } else { '-' };
            writeln!(
                out,
                "{:<28} {:<6} {:>12} -> {:<12} start {:.3}  1★ {:.3}  2★ {:.3}  3★ {:.3}  best {:.3} (#{}): {}{} {}{}{}",
                p.id,
                format!("{:?}", p.difficulty).to_lowercase(),
                p.start_word,
                p.target_word,
                p.start_similarity,
                p.stars_thresholds.one,
                p.stars_thresholds.two,
                p.stars_thresholds.three,
                p.optimal_similarity,
                b.rank,
                sign(b.public_sign),
                b.public_card,
                sign(b.private_sign),
                b.private_card,
                if p.has_wildcard { "  [wildcard]" } else { "" }
            )?;
        }
    }
    let s = catalogue.summary();
    writeln!(
        out,
        "{} puzzles: {} easy, {} medium, {} hard ({} with a wildcard); {} problem(s); loaded in {} ms",
        s.puzzles, s.easy, s.medium, s.hard, s.with_wildcard, s.problems, s.load_ms
    )?;
    let line = |out: &mut dyn Write, name: &str, sp: Option<Spread>| match sp {
        Some(sp) => writeln!(
            out,
            "{name:<24} min {:.3}  median {:.3}  max {:.3}",
            sp.min, sp.median, sp.max
        ),
        None => Ok(()),
    };
    line(out, "start similarity", s.start_similarity)?;
    line(out, "optimum", s.optimum)?;
    line(out, "gain (optimum - start)", s.gain)?;
    Ok(())
}
