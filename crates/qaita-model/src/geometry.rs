//! Footprint geometry: reading WKT or GeoJSON, writing GeoJSON, validity checks.

use geo::{Area, Validation};
use geo_types::{Geometry, MultiPolygon};
use wkt::TryFromWkt;

/// Kazakhstan's extent with a margin; a point outside is a data error (swapped lon/lat, typo).
pub const KAZAKHSTAN_BBOX: [f64; 4] = [46.0, 40.0, 88.0, 56.0];

/// A TMF footprint: one or more polygons in WGS84 lon/lat.
pub type Footprint = MultiPolygon<f64>;

/// Read a footprint written as WKT (`POLYGON((...))`, `MULTIPOLYGON(...)`) or as a GeoJSON
/// geometry object, in WGS84 lon/lat.
pub fn parse_footprint(text: &str) -> Result<MultiPolygon<f64>, String> {
    let text = text.trim();
    let geometry: Geometry<f64> = if text.starts_with('{') {
        let geojson: geojson::Geometry =
            serde_json::from_str(text).map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
        Geometry::try_from(&geojson).map_err(|e| format!("GeoJSON geometry not usable: {e}"))?
    } else {
        Geometry::try_from_wkt_str(text).map_err(|e| format!("not valid WKT: {e}"))?
    };
    footprint_from_geometry(geometry)
}

/// Accept a Polygon or MultiPolygon as a footprint.
pub fn footprint_from_geometry(geometry: Geometry<f64>) -> Result<MultiPolygon<f64>, String> {
    match geometry {
        Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        Geometry::MultiPolygon(mp) => Ok(mp),
        other => Err(format!(
            "a footprint must be a Polygon or MultiPolygon, got {}",
            geometry_name(&other)
        )),
    }
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// Reasons a footprint cannot be stored: outside Kazakhstan, empty, self-intersecting.
pub fn validate_footprint(footprint: &MultiPolygon<f64>) -> Vec<String> {
    let mut problems = Vec::new();
    if footprint.0.is_empty() {
        problems.push("footprint has no polygon".to_string());
        return problems;
    }
    let [min_lon, min_lat, max_lon, max_lat] = KAZAKHSTAN_BBOX;
    let outside = footprint
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.coords())
        .find(|c| {
            !(c.x.is_finite()
                && c.y.is_finite()
                && (min_lon..=max_lon).contains(&c.x)
                && (min_lat..=max_lat).contains(&c.y))
        });
    if let Some(c) = outside {
        problems.push(format!(
            "vertex ({}, {}) is outside Kazakhstan (lon/lat swapped or not WGS84?)",
            c.x, c.y
        ));
        return problems;
    }
    if footprint.unsigned_area() == 0.0 {
        problems.push("footprint has zero area".to_string());
    }
    problems.extend(
        footprint
            .validation_errors()
            .into_iter()
            .map(|e| format!("invalid polygon: {e}")),
    );
    problems
}

/// Footprint as a GeoJSON geometry value.
pub fn to_geojson(footprint: &MultiPolygon<f64>) -> geojson::Geometry {
    geojson::Geometry::new(geojson::GeometryValue::from(footprint))
}

/// Serde adapter: an optional footprint as a GeoJSON geometry object.
pub mod optional_geojson {
    use geo_types::MultiPolygon;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<MultiPolygon<f64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_ref().map(super::to_geojson).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<MultiPolygon<f64>>, D::Error> {
        let geometry: Option<geojson::Geometry> = Option::deserialize(d)?;
        geometry
            .map(|g| {
                let g: geo_types::Geometry<f64> =
                    geo_types::Geometry::try_from(&g).map_err(serde::de::Error::custom)?;
                super::footprint_from_geometry(g).map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wkt_and_geojson() {
        let wkt = parse_footprint(
            "POLYGON((69.55 42.30,69.56 42.30,69.56 42.31,69.55 42.31,69.55 42.30))",
        )
        .unwrap();
        assert_eq!(wkt.0.len(), 1);
        assert!(validate_footprint(&wkt).is_empty());
        let json = serde_json::to_string(&to_geojson(&wkt)).unwrap();
        assert_eq!(parse_footprint(&json).unwrap(), wkt);
    }

    #[test]
    fn rejects_bad_footprints() {
        assert!(
            parse_footprint("POINT(69 42)")
                .unwrap_err()
                .contains("Polygon")
        );
        assert!(parse_footprint("POLYGON((69 42").is_err());
        let swapped =
            parse_footprint("POLYGON((42.30 69.55,42.30 69.56,42.31 69.56,42.30 69.55))").unwrap();
        assert!(validate_footprint(&swapped)[0].contains("outside Kazakhstan"));
        let bowtie = parse_footprint("POLYGON((69 42,70 43,70 42,69 43,69 42))").unwrap();
        assert!(!validate_footprint(&bowtie).is_empty());
    }
}
