//! Standings: in each resolved round a player earns a point for every other player whose move
//! was worse and half a point for a tie; a player who did not move scores nothing.

use super::state::{Match, RoundStatus};
use serde::{Deserialize, Serialize};

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
            let sim = |id: &str| round.moves.get(id).map(|m| m.result.similarity as f64);
            for s in table.iter_mut() {
                let Some(mine) = sim(&s.player_id) else {
                    continue;
                };
                s.total_similarity += mine;
                for other in &self.players {
                    if other.id == s.player_id {
                        continue;
                    }
                    match sim(&other.id) {
                        None => s.points += 1.0,
                        Some(o) if mine > o => s.points += 1.0,
                        Some(o) if mine == o => s.points += 0.5,
                        Some(_) => {}
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
