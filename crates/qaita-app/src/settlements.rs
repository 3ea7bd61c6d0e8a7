//! The settlement index proximity is measured against: the bundled GeoNames extract or a file.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use qaita_model::{Settlement, StoredTmf};
use qaita_risk::proximity::{ProximityConfig, SettlementIndex, Site};

/// Settlements from `path`, or the bundled extract (GeoNames, CC BY 4.0) when `None`.
pub fn index(path: Option<&Path>, config: ProximityConfig) -> Result<SettlementIndex> {
    let settlements: Vec<Settlement> = match path {
        None => qaita_io::settlements::parse_settlements(
            "bundled settlements",
            qaita_io::settlements::BUNDLED_KZ,
        ),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            qaita_io::settlements::parse_settlements(&p.display().to_string(), &text)
        }
    }
    .map_err(|problems| {
        anyhow!(
            "{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    Ok(SettlementIndex::new(settlements, config)?)
}

/// The point and footprint of a stored TMF, as proximity measures them.
pub fn site_of(stored: &StoredTmf) -> Result<Site<'_>> {
    Ok(Site {
        lon: stored.tmf.location.lon,
        lat: stored.tmf.location.lat,
        footprint: stored.tmf.footprint.as_ref(),
    })
}
