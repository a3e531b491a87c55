//! Index parameters, validated before anything is built.

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// Parameters of the HNSW index. `m` and `ef_construction` shape the graph (and key its cache);
/// `ef_search` only changes how hard a search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexParams {
    /// Neighbours per node on the upper layers; layer 0 keeps `2 * m`.
    pub m: usize,
    pub ef_construction: usize,
    pub ef_search: usize,
}

impl Default for IndexParams {
    fn default() -> Self {
        IndexParams {
            m: 16,
            ef_construction: 100,
            ef_search: 192,
        }
    }
}

impl IndexParams {
    pub fn validate(&self) -> anyhow::Result<()> {
        // hnsw_rs exits the process above 256 connections; 2*m must also fit our layer 0.
        if !(4..=64).contains(&self.m) {
            bail!("INDEX_M must be between 4 and 64, got {}", self.m);
        }
        if !(8..=2000).contains(&self.ef_construction) {
            bail!(
                "INDEX_EF_CONSTRUCTION must be between 8 and 2000, got {}",
                self.ef_construction
            );
        }
        if !(1..=5000).contains(&self.ef_search) {
            bail!(
                "INDEX_EF_SEARCH must be between 1 and 5000, got {}",
                self.ef_search
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_parameters_by_name() {
        assert!(IndexParams::default().validate().is_ok());
        let e = IndexParams {
            m: 300,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("INDEX_M"));
        let e = IndexParams {
            ef_search: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("INDEX_EF_SEARCH"));
    }
}
