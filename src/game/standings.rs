//! Standings: in each resolved round a player earns a point for every other player whose move
//! was worse — rank first, then similarity (API.md "Comparing moves") — and half a point for a
//! tie; a player who did not move scores nothing. `total_similarity` breaks ties of points.

use super::state::{Match, RoundStatus};
use crate::scoring::better_first;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Standing {
    pub player_id: String,
    pub player_name: String,
    pub points: f64,
    pub total_similarity: f64,
}

impl Match {
    pub fn standings(&self) -> Vec<Standing> {
        let mut table: Vec<Standing> = self
            .players
            .iter()
            .map(|p| Standing {
                player_id: p.id.clone(),
                player_name: p.name.clone(),
                points: 0.0,
                total_similarity: 0.0,
            })
            .collect();
        for round in self
            .rounds
            .iter()
            .filter(|r| r.status == RoundStatus::Resolved)
        {
            // A player who did not move scores nothing: no points, no similarity.
            let key = |id: &str| round.moves.get(id).map(|m| m.result.key());
            for s in table.iter_mut() {
                let Some(mine) = key(&s.player_id) else {
                    continue;
                };
                s.total_similarity += mine.1 as f64;
                for other in &self.players {
                    if other.id == s.player_id {
                        continue;
                    }
                    match key(&other.id).map(|o| better_first(mine, o)) {
                        None | Some(Ordering::Less) => s.points += 1.0,
                        Some(Ordering::Equal) => s.points += 0.5,
                        Some(Ordering::Greater) => {}
                    }
                }
            }
        }
        table.sort_by(|a, b| {
            b.points
                .total_cmp(&a.points)
                .then(b.total_similarity.total_cmp(&a.total_similarity))
                .then(a.player_name.cmp(&b.player_name))
        });
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::state::{MoveInput, MoveResult, Player, Round, Sign, SubmittedMove};
    use crate::game::MatchSettings;
    use crate::scoring::Tier;
    use std::collections::BTreeMap;

    fn moved(rank: usize, similarity: f32) -> SubmittedMove {
        SubmittedMove {
            input: MoveInput {
                public_token: "a".into(),
                public_sign: Sign::Plus,
                private_token: "b".into(),
                private_sign: Sign::Plus,
                joker_override_token: None,
            },
            result: MoveResult {
                similarity,
                rank,
                tier: Tier::of(rank),
                nearest: "x".into(),
                nearest_sim: similarity,
                contributions: vec![],
            },
        }
    }

    /// A match of players `ids` with one resolved round of the given moves.
    fn played(moves: &[(&str, Option<(usize, f32)>)]) -> Match {
        let mut m = Match::new(
            "m".into(),
            "M".into(),
            1,
            MatchSettings::default(),
            "h".into(),
            0,
        );
        m.players = moves
            .iter()
            .map(|(id, _)| Player {
                id: id.to_string(),
                name: id.to_uppercase(),
                token_hash: "t".into(),
                bot: None,
            })
            .collect::<Vec<_>>()
            .into();
        m.rounds.push(
            Round {
                id: "r1".into(),
                number: 1,
                start_word: "s".into(),
                target_word: "t".into(),
                public_cards: vec![],
                hands: BTreeMap::new().into(),
                deadline_ts: 10,
                status: RoundStatus::Resolved,
                moves: moves
                    .iter()
                    .filter_map(|(id, mv)| mv.map(|(r, s)| (id.to_string(), moved(r, s))))
                    .collect(),
                par: BTreeMap::new().into(),
                bots: BTreeMap::new().into(),
            }
            .into(),
        );
        m
    }

    fn points(m: &Match) -> Vec<(String, f64)> {
        m.standings()
            .into_iter()
            .map(|s| (s.player_id, s.points))
            .collect()
    }

    #[test]
    fn the_lower_rank_wins_even_with_the_lower_similarity() {
        // The old similarity-first rule gave b the point.
        let m = played(&[("a", Some((3, 0.50))), ("b", Some((7, 0.60)))]);
        assert_eq!(points(&m), [("a".into(), 1.0), ("b".into(), 0.0)]);
    }

    #[test]
    fn similarity_breaks_a_tie_of_ranks_and_equal_moves_share_the_point() {
        let m = played(&[
            ("a", Some((5, 0.60))),
            ("b", Some((5, 0.61))),
            ("c", Some((5, 0.60))),
            ("d", None),
        ]);
        assert_eq!(
            points(&m),
            [
                ("b".into(), 3.0),
                ("a".into(), 1.5),
                ("c".into(), 1.5),
                ("d".into(), 0.0)
            ]
        );
    }
}
