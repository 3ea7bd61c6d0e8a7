//! Point samples for resource estimation: CSV with `x`, `y` (and optionally `z`) in a projected
//! CRS, or `lon`, `lat` in WGS84, and one or more value columns with units (`Cu [%]`, or a unit
//! in each cell). Bad rows are listed with row, field and reason; the policies for missing
//! values, negative grades and repeated locations are explicit (see [`SamplePolicy`]).

use std::collections::BTreeMap;

use qaita_model::units::{DecimalSeparator, Dimension, Quantity, Unit, parse_number};
use qaita_model::{Origin, Problem};
use serde::Serialize;

use crate::read::{TextEncoding, decode};

/// Where the coordinates of a sample file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Coordinates {
    /// `x`, `y`, optional `z`, metres in a projected CRS the caller names.
    Projected,
    /// `lon`, `lat` in WGS84 degrees, optional `z` (elevation, metres).
    Wgs84,
}

/// What to do with awkward rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SamplePolicy {
    /// Negative grades are errors unless they are set to zero (some labs report below detection
    /// limit as negative numbers).
    pub negative_to_zero: bool,
}

/// One sample: location as read (projected metres or lon/lat) and value as a mass fraction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointSample {
    pub row: usize,
    pub location: [f64; 3],
    pub value: f64,
}

/// What was read, and what the policies did.
#[derive(Debug, Clone, Serialize)]
pub struct SampleSet {
    pub coordinates: Coordinates,
    pub samples: Vec<PointSample>,
    /// Unit the values were written in (values are stored as mass fractions).
    pub unit: Unit,
    /// Rows without a value, skipped.
    pub missing: Vec<usize>,
    /// Rows whose negative value was set to zero.
    pub zeroed: Vec<usize>,
    /// Groups of rows at the same location, replaced by one sample with their mean.
    pub merged_duplicates: Vec<Vec<usize>>,
}

/// Read `column` of a sample CSV (UTF-8 or Windows-1251; `,` or `;`).
pub fn read_samples(
    file: &str,
    bytes: &[u8],
    column: &str,
    policy: SamplePolicy,
) -> Result<SampleSet, Vec<Problem>> {
    let (text, _) = decode(file, bytes, TextEncoding::Auto)?;
    let delimiter = if text.lines().next().unwrap_or("").contains(';') {
        b';'
    } else {
        b','
    };
    let decimal = if delimiter == b';' {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let whole = |reason: String| vec![Problem::whole_file(file, reason)];
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| whole(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| {
        headers.iter().position(|h| {
            h.split('[')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(name)
        })
    };
    let coordinates = match (find("x"), find("y"), find("lon"), find("lat")) {
        (Some(_), Some(_), None, None) => Coordinates::Projected,
        (None, None, Some(_), Some(_)) => Coordinates::Wgs84,
        _ => return Err(whole(
            "give either x and y (projected metres) or lon and lat (WGS84), not both or neither"
                .into(),
        )),
    };
    let (cx, cy) = match coordinates {
        Coordinates::Projected => (find("x"), find("y")),
        Coordinates::Wgs84 => (find("lon"), find("lat")),
    };
    let (cx, cy, cz) = (cx.unwrap_or(0), cy.unwrap_or(0), find("z"));
    let cv = find(column).ok_or_else(|| {
        whole(format!(
            "no column '{column}' (columns: {})",
            headers.join(", ")
        ))
    })?;
    let header_unit = match headers[cv].find('[') {
        Some(open) => Some(
            headers[cv][open + 1..]
                .trim_end_matches(']')
                .trim()
                .parse::<Unit>()
                .map_err(|e| whole(format!("column '{}': {e}", headers[cv])))?,
        ),
        None => None,
    };
    let mut problems = Vec::new();
    let mut samples = Vec::new();
    let (mut missing, mut zeroed) = (Vec::new(), Vec::new());
    let mut unit = header_unit;
    for record in reader.records() {
        let record = record.map_err(|e| whole(e.to_string()))?;
        let row = record.position().map_or(0, |p| p.line() as usize);
        let origin = Origin {
            file: file.to_string(),
            row,
            unit: "row",
        };
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let mut coordinate = |i: usize, name: &str| -> Option<f64> {
            parse_number(cell(i), decimal)
                .map_err(|e| problems.push(Problem::at(&origin, Some(name), e.to_string())))
                .ok()
        };
        let x = coordinate(cx, &headers[cx]);
        let y = coordinate(cy, &headers[cy]);
        let z = match cz {
            Some(i) if !cell(i).is_empty() => coordinate(i, "z"),
            _ => Some(0.0),
        };
        if cell(cv).is_empty() {
            missing.push(row);
            continue;
        }
        let quantity = match Quantity::parse(cell(cv), header_unit, decimal)
            .and_then(|q| q.expect(Dimension::Grade))
        {
            Ok(q) => q,
            Err(e) => {
                problems.push(Problem::at(
                    &origin,
                    Some(column),
                    format!("'{}': {e}", cell(cv)),
                ));
                continue;
            }
        };
        if unit.is_some_and(|u| u != quantity.unit) {
            problems.push(Problem::at(
                &origin,
                Some(column),
                format!(
                    "unit {} differs from the file's {}",
                    quantity.unit,
                    unit.unwrap_or(quantity.unit)
                ),
            ));
            continue;
        }
        unit = Some(quantity.unit);
        let mut value = quantity.canonical();
        if value < 0.0 {
            if policy.negative_to_zero {
                zeroed.push(row);
                value = 0.0;
            } else {
                problems.push(Problem::at(
                    &origin,
                    Some(column),
                    format!(
                        "negative grade {} (use --negative-to-zero to treat it as 0)",
                        cell(cv)
                    ),
                ));
                continue;
            }
        }
        if let (Some(x), Some(y), Some(z)) = (x, y, z) {
            if coordinates == Coordinates::Wgs84 && !(x.abs() <= 180.0 && y.abs() <= 90.0) {
                problems.push(Problem::at(
                    &origin,
                    Some("lon/lat"),
                    format!("({x}, {y}) is not a WGS84 position"),
                ));
                continue;
            }
            samples.push(PointSample {
                row,
                location: [x, y, z],
                value,
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if samples.is_empty() {
        return Err(whole(format!("no sample has a value in column '{column}'")));
    }
    // Samples at the same location would make the kriging system singular: average them.
    let mut groups: BTreeMap<[u64; 3], Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        groups
            .entry(s.location.map(f64::to_bits))
            .or_default()
            .push(i);
    }
    let mut merged_duplicates = Vec::new();
    let mut unique = Vec::with_capacity(groups.len());
    for indices in groups.values() {
        let first = samples[indices[0]].clone();
        if indices.len() > 1 {
            merged_duplicates.push(indices.iter().map(|i| samples[*i].row).collect());
        }
        let mean = indices.iter().map(|i| samples[*i].value).sum::<f64>() / indices.len() as f64;
        unique.push(PointSample {
            value: mean,
            ..first
        });
    }
    unique.sort_by_key(|s| s.row);
    Ok(SampleSet {
        coordinates,
        samples: unique,
        unit: unit.unwrap_or(Unit::Percent),
        missing,
        zeroed,
        merged_duplicates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: SamplePolicy = SamplePolicy {
        negative_to_zero: false,
    };

    #[test]
    fn reads_values_in_their_unit_with_explicit_policies() {
        let csv = "hole,x,y,z,Cu [%]\nA,100,200,50,0.25\nA,100,200,50,0.35\nB,110,200,50,\nC,120,200,50,0.5\n";
        let set = read_samples("s.csv", csv.as_bytes(), "cu", STRICT).unwrap();
        assert_eq!(set.coordinates, Coordinates::Projected);
        assert_eq!(set.samples.len(), 2);
        assert!(
            (set.samples[0].value - 0.003).abs() < 1e-12,
            "duplicates averaged"
        );
        assert_eq!(set.merged_duplicates, vec![vec![2, 3]]);
        assert_eq!(set.missing, vec![4]);
        assert_eq!(set.unit, Unit::Percent);
    }

    #[test]
    fn bad_rows_are_listed() {
        let csv =
            "lon;lat;Au\n69,5;42,3;1,2 g/t\n69,6;abc;0,5 g/t\n69,7;42,4;-0,1 g/t\n69,8;42,5;3 m3\n";
        let problems = read_samples("s.csv", csv.as_bytes(), "Au", STRICT).unwrap_err();
        let fields: Vec<_> = problems
            .iter()
            .map(|p| (p.row.unwrap(), p.field.clone().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                (3, "lat".to_string()),
                (4, "Au".to_string()),
                (5, "Au".to_string())
            ]
        );
        assert!(problems[1].reason.contains("negative"));
        let set = read_samples(
            "s.csv",
            b"lon;lat;Au\n69,5;42,3;1,2 g/t\n69,7;42,4;-0,1 g/t\n",
            "Au",
            SamplePolicy {
                negative_to_zero: true,
            },
        )
        .unwrap();
        assert_eq!(set.zeroed, vec![3]);
        assert_eq!(set.coordinates, Coordinates::Wgs84);
        assert!(read_samples("s.csv", b"x,lat,Au\n1,2,3 g/t\n", "Au", STRICT).is_err());
    }
}
