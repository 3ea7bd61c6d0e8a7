//! Proximity of TMFs to settlements, for the policy of removing TMFs from residential areas.
//!
//! Settlements are points with a population (GeoNames). A town is not a point, so each is
//! modelled as a disk of uniform density whose radius follows from its population and an urban
//! density (default 2,500 people per km²): `R = sqrt(population / (π · density))`. Then:
//! - the *edge distance* from a TMF to a settlement is the geodesic (WGS84) distance from the
//!   settlement centre to the TMF (its footprint edge when it has one, 0 inside it), minus `R`,
//!   floored at 0; a TMF is *inside* a settlement when that distance is 0;
//! - the *population within r km* is the sum, over settlements, of the population in the part
//!   of the settlement's disk within r km of the TMF (circle–circle overlap, uniform density).
//!
//! Candidates come from an R-tree over unit-sphere (ECEF) coordinates, where chord length grows
//! with geodesic distance; exact distances then come from geographiclib.

use geo::Contains;
use geo_types::{MultiPolygon, Point};
use geographiclib_rs::{Geodesic, InverseGeodesic};
use qaita_model::Settlement;
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

/// Mean Earth radius for chord bounds; the margin below covers the ellipsoid's departure from it.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Relative slack between spherical chord bounds and WGS84 geodesic distances (true error < 0.6%).
const SPHERE_SLACK: f64 = 0.01;

/// Parameters of the exposure assessment.
#[derive(Debug, Clone, Serialize)]
pub struct ProximityConfig {
    /// Radii for population counts, km.
    pub radii_km: Vec<f64>,
    /// A TMF whose edge distance to a settlement is at most this is flagged, km.
    pub near_km: f64,
    /// People per km² used to turn a settlement's population into a disk.
    pub urban_density_per_km2: f64,
}

impl Default for ProximityConfig {
    fn default() -> Self {
        ProximityConfig {
            radii_km: vec![1.0, 3.0, 5.0, 10.0],
            near_km: 1.0,
            urban_density_per_km2: 2500.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProximityError {
    #[error("radius {0} km must be positive and finite")]
    BadRadius(f64),
    #[error("urban density {0} per km² must be positive and finite")]
    BadDensity(f64),
    #[error("settlement {0} has coordinates out of range")]
    BadSettlement(String),
}

/// A TMF's location for proximity: a point and, if known, its footprint.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub lon: f64,
    pub lat: f64,
    pub footprint: Option<&'a MultiPolygon<f64>>,
}

/// The settlement nearest to a TMF by edge distance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NearestSettlement {
    pub settlement_id: i64,
    pub name: String,
    pub population: u64,
    /// Geodesic distance from the settlement centre to the TMF (footprint edge if any), km.
    pub centre_distance_km: f64,
    /// Distance from the settlement's modelled edge, km; 0 when the TMF is inside it.
    pub edge_distance_km: f64,
    pub inside: bool,
}

/// Population within one radius.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PopulationWithin {
    pub radius_km: f64,
    pub population: f64,
}

/// Exposure of one TMF.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Proximity {
    pub nearest: Option<NearestSettlement>,
    pub population_within: Vec<PopulationWithin>,
    /// Within `near_km` of a settlement (inside counts).
    pub near_settlement: bool,
}

type Entry = GeomWithData<[f64; 3], usize>;

/// Settlements indexed for repeated proximity queries.
pub struct SettlementIndex {
    settlements: Vec<Settlement>,
    urban_radius_km: Vec<f64>,
    max_urban_radius_km: f64,
    tree: RTree<Entry>,
    config: ProximityConfig,
}

fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Squared chord on the unit sphere for a surface distance.
fn chord2_for_km(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

/// Surface distance for a squared unit-sphere chord.
fn km_for_chord2(chord2: f64) -> f64 {
    2.0 * (chord2.sqrt() / 2.0).min(1.0).asin() * EARTH_RADIUS_KM
}

fn geodesic_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let metres: f64 = Geodesic::wgs84().inverse(lat1, lon1, lat2, lon2);
    metres / 1000.0
}

/// Area of the intersection of two disks with radii `r1`, `r2` and centres `d` apart.
fn disk_overlap_area(r1: f64, r2: f64, d: f64) -> f64 {
    use std::f64::consts::PI;
    if r1 <= 0.0 || r2 <= 0.0 {
        return 0.0;
    }
    if d >= r1 + r2 {
        return 0.0;
    }
    if d <= (r1 - r2).abs() {
        let r = r1.min(r2);
        return PI * r * r;
    }
    let a1 = ((d * d + r1 * r1 - r2 * r2) / (2.0 * d * r1))
        .clamp(-1.0, 1.0)
        .acos();
    let a2 = ((d * d + r2 * r2 - r1 * r1) / (2.0 * d * r2))
        .clamp(-1.0, 1.0)
        .acos();
    let k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2);
    r1 * r1 * a1 + r2 * r2 * a2 - 0.5 * k.max(0.0).sqrt()
}

/// Geodesic distance (km) from a point to a footprint: 0 inside, else to the nearest edge.
/// The nearest point on each edge is found in a local equirectangular plane (footprints are a
/// few km across, where that plane is accurate to metres), then measured on the ellipsoid.
fn distance_to_footprint_km(lon: f64, lat: f64, footprint: &MultiPolygon<f64>) -> f64 {
    if footprint.contains(&Point::new(lon, lat)) {
        return 0.0;
    }
    let k = lat.to_radians().cos();
    let mut best = f64::INFINITY;
    let mut best_point = (lon, lat);
    for polygon in &footprint.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for segment in ring.lines() {
                let (ax, ay) = ((segment.start.x - lon) * k, segment.start.y - lat);
                let (bx, by) = ((segment.end.x - lon) * k, segment.end.y - lat);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (ax + t * dx, ay + t * dy);
                let d2 = px * px + py * py;
                if d2 < best {
                    best = d2;
                    best_point = (lon + px / k, lat + py);
                }
            }
        }
    }
    geodesic_km(lon, lat, best_point.0, best_point.1)
}

impl SettlementIndex {
    pub fn new(
        settlements: Vec<Settlement>,
        config: ProximityConfig,
    ) -> Result<Self, ProximityError> {
        if let Some(r) = config
            .radii_km
            .iter()
            .chain([&config.near_km])
            .find(|r| !(r.is_finite() && **r > 0.0))
        {
            return Err(ProximityError::BadRadius(*r));
        }
        if !(config.urban_density_per_km2.is_finite() && config.urban_density_per_km2 > 0.0) {
            return Err(ProximityError::BadDensity(config.urban_density_per_km2));
        }
        if let Some(s) = settlements
            .iter()
            .find(|s| !(s.lon.abs() <= 180.0 && s.lat.abs() <= 90.0))
        {
            return Err(ProximityError::BadSettlement(s.name.clone()));
        }
        let urban_radius_km: Vec<f64> = settlements
            .iter()
            .map(|s| {
                (s.population as f64 / (std::f64::consts::PI * config.urban_density_per_km2)).sqrt()
            })
            .collect();
        let max_urban_radius_km = urban_radius_km.iter().copied().fold(0.0, f64::max);
        let entries = settlements
            .iter()
            .enumerate()
            .map(|(i, s)| GeomWithData::new(unit_vector(s.lon, s.lat), i))
            .collect();
        Ok(SettlementIndex {
            settlements,
            urban_radius_km,
            max_urban_radius_km,
            tree: RTree::bulk_load(entries),
            config,
        })
    }

    pub fn config(&self) -> &ProximityConfig {
        &self.config
    }

    /// Modelled radius of a settlement's built-up area, km.
    pub fn urban_radius_km(&self, index: usize) -> f64 {
        self.urban_radius_km[index]
    }

    pub fn settlements(&self) -> &[Settlement] {
        &self.settlements
    }

    fn centre_distance_km(&self, site: &Site<'_>, s: &Settlement) -> f64 {
        match site.footprint {
            Some(f) => distance_to_footprint_km(s.lon, s.lat, f),
            None => geodesic_km(site.lon, site.lat, s.lon, s.lat),
        }
    }

    /// Half the largest extent of the footprint from the site point, km: bounds how much closer
    /// a footprint edge can be than the point.
    fn footprint_reach_km(site: &Site<'_>) -> f64 {
        site.footprint.map_or(0.0, |f| {
            f.0.iter()
                .flat_map(|p| p.exterior().coords())
                .map(|c| geodesic_km(site.lon, site.lat, c.x, c.y))
                .fold(0.0, f64::max)
        })
    }

    /// Assess one TMF.
    pub fn assess(&self, site: &Site<'_>) -> Proximity {
        let centre = unit_vector(site.lon, site.lat);
        let reach = Self::footprint_reach_km(site);
        let max_radius = self
            .config
            .radii_km
            .iter()
            .copied()
            .fold(self.config.near_km, f64::max);
        // Everything that can touch the largest radius: radius + town size + footprint size.
        let search_km =
            (max_radius + self.max_urban_radius_km + reach) * (1.0 + SPHERE_SLACK) + 0.1;
        let mut population: Vec<f64> = vec![0.0; self.config.radii_km.len()];
        let mut nearest: Option<NearestSettlement> = None;
        let consider = |index: usize, centre_km: f64, nearest: &mut Option<NearestSettlement>| {
            let s = &self.settlements[index];
            let radius = self.urban_radius_km[index];
            let edge = (centre_km - radius).max(0.0);
            let better = match nearest {
                None => true,
                // Ties go to the larger town, then the lower GeoNames id: deterministic output.
                Some(n) => {
                    (edge, std::cmp::Reverse(s.population), s.id)
                        < (
                            n.edge_distance_km,
                            std::cmp::Reverse(n.population),
                            n.settlement_id,
                        )
                }
            };
            if better {
                *nearest = Some(NearestSettlement {
                    settlement_id: s.id,
                    name: s.name.clone(),
                    population: s.population,
                    centre_distance_km: centre_km,
                    edge_distance_km: edge,
                    inside: edge == 0.0,
                });
            }
        };
        // Spherical lower bound on the distance from the site (or its footprint) to a centre.
        let lower_bound_km = |p: &[f64; 3]| {
            let d2 = (0..3).map(|i| (p[i] - centre[i]).powi(2)).sum::<f64>();
            km_for_chord2(d2) * (1.0 - SPHERE_SLACK) - reach
        };
        for entry in self
            .tree
            .locate_within_distance(centre, chord2_for_km(search_km))
        {
            let index = entry.data;
            let radius = self.urban_radius_km[index];
            let bound = lower_bound_km(entry.geom());
            let best_edge = nearest
                .as_ref()
                .map_or(f64::INFINITY, |n| n.edge_distance_km);
            // Skip the exact (ellipsoidal) distance for a town that can neither add people within
            // the largest radius nor have a nearer edge than the best so far.
            if bound > max_radius + radius && bound - radius > best_edge {
                continue;
            }
            let s = &self.settlements[index];
            let centre_km = self.centre_distance_km(site, s);
            for (total, r) in population.iter_mut().zip(&self.config.radii_km) {
                if radius > 0.0 {
                    let share = disk_overlap_area(*r, radius, centre_km)
                        / (std::f64::consts::PI * radius * radius);
                    *total += s.population as f64 * share;
                }
            }
            consider(index, centre_km, &mut nearest);
        }
        // Every town outside the search disk has its edge farther than the largest radius, so a
        // nearest edge within that radius is final. Otherwise walk outwards until no farther
        // centre can beat the best edge distance found.
        let settled = nearest
            .as_ref()
            .is_some_and(|n| n.edge_distance_km <= max_radius);
        if !settled {
            for (entry, chord2) in self.tree.nearest_neighbor_iter_with_distance_2(&centre) {
                let lower_bound =
                    km_for_chord2(chord2) * (1.0 - SPHERE_SLACK) - reach - self.max_urban_radius_km;
                if nearest
                    .as_ref()
                    .is_some_and(|n| lower_bound > n.edge_distance_km)
                {
                    break;
                }
                let centre_km = self.centre_distance_km(site, &self.settlements[entry.data]);
                consider(entry.data, centre_km, &mut nearest);
            }
        }
        let near_settlement = nearest
            .as_ref()
            .is_some_and(|n| n.edge_distance_km <= self.config.near_km);
        Proximity {
            nearest,
            population_within: self
                .config
                .radii_km
                .iter()
                .zip(population)
                .map(|(&radius_km, population)| PopulationWithin {
                    radius_km,
                    population,
                })
                .collect(),
            near_settlement,
        }
    }

    /// Assess many TMFs in parallel, in input order.
    pub fn assess_all(&self, sites: &[Site<'_>]) -> Vec<Proximity> {
        sites.par_iter().map(|s| self.assess(s)).collect()
    }
}

/// Order for the removal programme, worst first: flagged before not flagged, then more people
/// within the smallest radius (then the next), then closer to a settlement edge.
pub fn worst_first(a: &Proximity, b: &Proximity) -> std::cmp::Ordering {
    b.near_settlement
        .cmp(&a.near_settlement)
        .then_with(|| {
            for (pa, pb) in a.population_within.iter().zip(&b.population_within) {
                let o = pb.population.total_cmp(&pa.population);
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        })
        .then_with(|| {
            let edge = |p: &Proximity| {
                p.nearest
                    .as_ref()
                    .map_or(f64::INFINITY, |n| n.edge_distance_km)
            };
            edge(a).total_cmp(&edge(b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qaita_model::geometry::parse_footprint;

    fn town(id: i64, name: &str, population: u64, lon: f64, lat: f64) -> Settlement {
        Settlement {
            id,
            name: name.into(),
            population,
            lon,
            lat,
        }
    }

    fn index() -> SettlementIndex {
        SettlementIndex::new(
            vec![
                town(1, "Shymkent", 414_032, 69.6, 42.3),
                town(2, "Village", 1_000, 70.0, 42.3),
                town(3, "Khromtau", 23_715, 58.44003, 50.25117),
            ],
            ProximityConfig::default(),
        )
        .unwrap()
    }

    #[test]
    fn geodesic_distance_matches_a_known_value() {
        // One degree of latitude at 42N on WGS84 is 111.05 km.
        assert!((geodesic_km(69.6, 42.0, 69.6, 43.0) - 111.05).abs() < 0.05);
    }

    #[test]
    fn a_site_in_a_city_is_inside_and_counts_people() {
        let p = index().assess(&Site {
            lon: 69.56,
            lat: 42.30,
            footprint: None,
        });
        let n = p.nearest.as_ref().unwrap();
        assert_eq!(n.name, "Shymkent");
        assert!(n.inside && p.near_settlement);
        assert!(
            (n.centre_distance_km - 3.29).abs() < 0.02,
            "{}",
            n.centre_distance_km
        );
        // Fully inside a 7.3 km disk: the 1 km disk holds density * pi people.
        assert!((p.population_within[0].population - 2500.0 * std::f64::consts::PI).abs() < 1.0);
        assert!(
            p.population_within
                .windows(2)
                .all(|w| w[0].population <= w[1].population)
        );
    }

    #[test]
    fn a_remote_site_finds_its_nearest_town_far_away() {
        let p = index().assess(&Site {
            lon: 62.0,
            lat: 48.0,
            footprint: None,
        });
        let n = p.nearest.unwrap();
        assert_eq!(n.name, "Khromtau");
        assert!(!p.near_settlement);
        assert!(n.centre_distance_km > 300.0 && n.centre_distance_km < 400.0);
        assert!(p.population_within.iter().all(|w| w.population == 0.0));
    }

    #[test]
    fn footprint_edge_is_closer_than_its_point() {
        let fp = parse_footprint(
            "POLYGON((69.70 42.29,69.72 42.29,69.72 42.31,69.70 42.31,69.70 42.29))",
        )
        .unwrap();
        let idx = index();
        let point = idx.assess(&Site {
            lon: 69.71,
            lat: 42.30,
            footprint: None,
        });
        let area = idx.assess(&Site {
            lon: 69.71,
            lat: 42.30,
            footprint: Some(&fp),
        });
        let (p, a) = (point.nearest.unwrap(), area.nearest.unwrap());
        assert!(
            a.centre_distance_km < p.centre_distance_km - 0.7,
            "{} vs {}",
            a.centre_distance_km,
            p.centre_distance_km
        );
        // A footprint containing the town centre is at distance 0.
        let over = parse_footprint(
            "POLYGON((69.59 42.29,69.61 42.29,69.61 42.31,69.59 42.31,69.59 42.29))",
        )
        .unwrap();
        let inside = idx.assess(&Site {
            lon: 69.6,
            lat: 42.3,
            footprint: Some(&over),
        });
        assert_eq!(inside.nearest.unwrap().centre_distance_km, 0.0);
    }

    #[test]
    fn disk_overlap_limits() {
        use std::f64::consts::PI;
        assert_eq!(disk_overlap_area(1.0, 2.0, 5.0), 0.0);
        assert!((disk_overlap_area(1.0, 2.0, 0.5) - PI).abs() < 1e-12);
        // Two unit disks one radius apart: 2π/3 − √3/2.
        assert!(
            (disk_overlap_area(1.0, 1.0, 1.0) - (2.0 * PI / 3.0 - 3f64.sqrt() / 2.0)).abs() < 1e-12
        );
    }

    #[test]
    fn rejects_bad_configuration() {
        let bad = ProximityConfig {
            radii_km: vec![1.0, -3.0],
            ..ProximityConfig::default()
        };
        assert!(SettlementIndex::new(vec![], bad).is_err());
    }

    /// The 267 GeoNames settlements shipped in data/, parsed ad hoc (this crate reads no files).
    fn real_index() -> SettlementIndex {
        let text = include_str!("../../../data/settlements/kz-settlements.csv");
        let towns = text
            .lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.rsplitn(4, ',').collect(); // lat, lon, population, rest
                let id = f[3].split(',').next().unwrap().parse().unwrap();
                town(
                    id,
                    f[3],
                    f[2].parse().unwrap(),
                    f[1].parse().unwrap(),
                    f[0].parse().unwrap(),
                )
            })
            .collect();
        SettlementIndex::new(towns, ProximityConfig::default()).unwrap()
    }

    proptest::proptest! {
        #[test]
        fn indexed_results_equal_brute_force_on_real_settlements(lon in 50.0f64..85.0, lat in 41.0f64..55.0) {
            let idx = real_index();
            let p = idx.assess(&Site { lon, lat, footprint: None });
            let mut brute_population = vec![0.0; idx.config.radii_km.len()];
            let mut best = (f64::INFINITY, std::cmp::Reverse(0u64), 0i64);
            for (i, s) in idx.settlements().iter().enumerate() {
                let d = geodesic_km(lon, lat, s.lon, s.lat);
                let r = idx.urban_radius_km(i);
                let candidate = ((d - r).max(0.0), std::cmp::Reverse(s.population), s.id);
                if candidate.partial_cmp(&best) == Some(std::cmp::Ordering::Less) {
                    best = candidate;
                }
                for (total, radius) in brute_population.iter_mut().zip(&idx.config.radii_km) {
                    if r > 0.0 {
                        *total += s.population as f64 * disk_overlap_area(*radius, r, d) / (std::f64::consts::PI * r * r);
                    }
                }
            }
            let n = p.nearest.unwrap();
            proptest::prop_assert_eq!(n.settlement_id, best.2);
            proptest::prop_assert!((n.edge_distance_km - best.0).abs() < 1e-9);
            for (got, want) in p.population_within.iter().zip(brute_population) {
                proptest::prop_assert!((got.population - want).abs() < 1e-6, "{} vs {}", got.population, want);
            }
        }

        #[test]
        fn indexed_nearest_equals_brute_force(lon in 50.0f64..85.0, lat in 41.0f64..55.0) {
            let idx = index();
            let p = idx.assess(&Site { lon, lat, footprint: None });
            let brute = idx.settlements().iter().enumerate()
                .map(|(i, s)| ((geodesic_km(lon, lat, s.lon, s.lat) - idx.urban_radius_km(i)).max(0.0), s.id))
                .min_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
            let n = p.nearest.unwrap();
            proptest::prop_assert_eq!(n.settlement_id, brute.1);
            proptest::prop_assert!((n.edge_distance_km - brute.0).abs() < 1e-9);
        }
    }
}
