//! Proximity of TMFs to settlements, worst first: `qaita proximity` and `GET /api/v1/proximity`.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use qaita_model::geometry::{Footprint, parse_footprint};
use qaita_risk::proximity::{Proximity, ProximityConfig, SettlementIndex, Site, worst_first};
use qaita_store::{Store, TmfFilter};
use serde::Serialize;

/// How proximity is measured, as reports state it.
pub const METHOD: &str = "geodesic WGS84 distance from settlement centre to TMF (footprint edge when known); settlements as disks of uniform urban density";

/// Where the bundled settlements come from, as reports state it.
pub const BUNDLED_SOURCE: &str =
    "bundled GeoNames extract (CC-BY 4.0), data/settlements/kz-settlements.csv";

/// One TMF's proximity.
#[derive(Debug, Clone, Serialize)]
pub struct ProximityRow {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub has_footprint: bool,
    #[serde(flatten)]
    pub proximity: Proximity,
}

/// The whole report (`proximity --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ProximityReport {
    pub method: &'static str,
    pub settlements: String,
    pub config: ProximityConfig,
    pub tmfs: Vec<ProximityRow>,
}

/// Where the time went, for `--timings`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub read: Duration,
    pub footprints: Duration,
    pub assess: Duration,
}

/// Proximity of every TMF matching `filter`, worst first (ties by id).
pub fn assess(
    store: &mut Store,
    filter: &TmfFilter,
    index: &SettlementIndex,
) -> Result<(Vec<ProximityRow>, Timings)> {
    let t0 = Instant::now();
    let located = store.locations(filter)?;
    let t1 = Instant::now();
    let footprints: Vec<Option<Footprint>> = located
        .iter()
        .map(|l| {
            l.footprint
                .as_deref()
                .map(parse_footprint)
                .transpose()
                .map_err(|e| anyhow!("stored footprint of {}: {e}", l.external_id))
        })
        .collect::<Result<_>>()?;
    let sites: Vec<Site<'_>> = located
        .iter()
        .zip(&footprints)
        .map(|(l, f)| Site {
            lon: l.lon,
            lat: l.lat,
            footprint: f.as_ref(),
        })
        .collect();
    let t2 = Instant::now();
    let results = index.assess_all(&sites);
    let t3 = Instant::now();
    let mut rows: Vec<ProximityRow> = located
        .into_iter()
        .zip(results)
        .map(|(l, proximity)| ProximityRow {
            id: l.id,
            external_id: l.external_id,
            name: l.name,
            lon: l.lon,
            lat: l.lat,
            has_footprint: l.footprint.is_some(),
            proximity,
        })
        .collect();
    rows.sort_by(|a, b| worst_first(&a.proximity, &b.proximity).then(a.id.cmp(&b.id)));
    let timings = Timings {
        read: t1 - t0,
        footprints: t2 - t1,
        assess: t3 - t2,
    };
    Ok((rows, timings))
}

/// Settings from `near_km` on top of an index's configuration.
pub fn config_with_near(index: &SettlementIndex, near_km: f64) -> ProximityConfig {
    ProximityConfig {
        near_km,
        ..index.config().clone()
    }
}
