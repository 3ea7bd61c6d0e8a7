//! Coordinate reference systems. Estimation works in metres, so WGS84 lon/lat (the registry's
//! CRS) goes to the UTM zone of the data, and projected data must name its EPSG code: nothing
//! is guessed. Projections come from proj4rs (pure Rust) with its EPSG definitions.

use geo_types::{Coord, MultiPolygon};
use proj4rs::Proj;
use proj4rs::transform::transform;

/// A projected CRS known by its EPSG code.
pub struct Projection {
    pub epsg: u16,
    proj: Proj,
    wgs84: Proj,
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EPSG:{}", self.epsg)
    }
}

/// EPSG code of the WGS84 / UTM zone containing a point (326zz north, 327zz south).
pub fn utm_epsg_for(lon: f64, lat: f64) -> u16 {
    let zone = (((lon + 180.0) / 6.0).floor() as i32).clamp(0, 59) + 1;
    (if lat >= 0.0 { 32600 } else { 32700 } + zone) as u16
}

impl Projection {
    pub fn from_epsg(epsg: u16) -> Result<Self, String> {
        let proj = Proj::from_epsg_code(epsg)
            .map_err(|e| format!("EPSG:{epsg} is not a known projection ({e:?})"))?;
        if proj.is_latlong() {
            return Err(format!(
                "EPSG:{epsg} is geographic (degrees): estimation needs a projected CRS in metres"
            ));
        }
        let wgs84 =
            Proj::from_epsg_code(4326).map_err(|e| format!("EPSG:4326 unavailable ({e:?})"))?;
        Ok(Projection { epsg, proj, wgs84 })
    }

    /// The UTM zone of a WGS84 point.
    pub fn utm_for(lon: f64, lat: f64) -> Result<Self, String> {
        Projection::from_epsg(utm_epsg_for(lon, lat))
    }

    /// WGS84 lon/lat (degrees) to this CRS (metres).
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), String> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        transform(&self.wgs84, &self.proj, &mut p)
            .map_err(|e| format!("cannot project ({lon}, {lat}): {e:?}"))?;
        Ok((p.0, p.1))
    }

    /// This CRS (metres) to WGS84 lon/lat (degrees).
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), String> {
        let mut p = (x, y, 0.0);
        transform(&self.proj, &self.wgs84, &mut p)
            .map_err(|e| format!("cannot unproject ({x}, {y}): {e:?}"))?;
        Ok((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// A WGS84 footprint in this CRS.
    pub fn footprint(&self, footprint: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, String> {
        let mut out = footprint.clone();
        for polygon in out.0.iter_mut() {
            let mut err = None;
            let mut project = |c: &mut Coord<f64>| match self.from_wgs84(c.x, c.y) {
                Ok((x, y)) => {
                    c.x = x;
                    c.y = y;
                }
                Err(e) => err = Some(e),
            };
            polygon.exterior_mut(|ring| ring.coords_mut().for_each(&mut project));
            polygon.interiors_mut(|rings| {
                rings
                    .iter_mut()
                    .for_each(|r| r.coords_mut().for_each(&mut project))
            });
            if let Some(e) = err {
                return Err(e);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_zones_of_kazakhstan() {
        assert_eq!(utm_epsg_for(69.6, 42.3), 32642); // Shymkent
        assert_eq!(utm_epsg_for(82.6, 50.0), 32644); // Ust-Kamenogorsk
        assert_eq!(utm_epsg_for(51.2, 43.6), 32639); // Aktau
    }

    #[test]
    fn projects_and_back() {
        let utm = Projection::utm_for(69.6, 42.3).unwrap();
        // On the central meridian (69E) the easting is the false easting.
        let (e, n) = utm.from_wgs84(69.0, 42.0).unwrap();
        assert!((e - 500_000.0).abs() < 1e-3, "{e}");
        assert!((n - 4_649_776.22).abs() < 1.0, "{n}");
        let (lon, lat) = utm.to_wgs84(e, n).unwrap();
        assert!((lon - 69.0).abs() < 1e-9 && (lat - 42.0).abs() < 1e-9);
        // 0.01 degree of latitude is ~1.11 km, times the UTM scale (~0.9996 near the meridian).
        let (_, n2) = utm.from_wgs84(69.0, 42.01).unwrap();
        assert!(((n2 - n) - 1110.5).abs() < 2.0, "{}", n2 - n);
        assert!(
            Projection::from_epsg(4326)
                .unwrap_err()
                .contains("geographic")
        );
        // A 0.01 x 0.01 degree square at 42N: ~1,110 m x ~827 m.
        use geo::Area;
        use geo_types::polygon;
        let square = MultiPolygon::new(vec![
            polygon![(x: 69.0, y: 42.0), (x: 69.01, y: 42.0), (x: 69.01, y: 42.01), (x: 69.0, y: 42.01), (x: 69.0, y: 42.0)],
        ]);
        let area = utm.footprint(&square).unwrap().unsigned_area();
        assert!((area - 1110.5 * 827.1).abs() < 0.005 * area, "{area}");
        assert!(Projection::from_epsg(1).is_err());
    }
}
