//! Settlements (towns and villages) with population, for exposure of people to TMFs.

use serde::{Deserialize, Serialize};

/// A populated place at its centre point (GeoNames), WGS84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    /// GeoNames id.
    pub id: i64,
    pub name: String,
    pub population: u64,
    pub lon: f64,
    pub lat: f64,
}
