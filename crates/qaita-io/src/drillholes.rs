//! Drillhole tables as most logging and modelling software exports them: collars (`HOLEID`,
//! `X`, `Y`, `Z`, or `LON`, `LAT`, `Z`), downhole surveys (`HOLEID`, `AT`, `AZM`, `DIP`, dip
//! negative downwards) and sampled intervals (`HOLEID`, `FROM`, `TO` and value columns with units,
//! `Cu [%]`). Every bad row is reported with file, row, field and reason; holes are cross-checked
//! between the tables. Desurveying and compositing are `qaita_geostat::sampling`'s job.

use std::collections::BTreeMap;

use qaita_geostat::sampling::{Collar, Interval, Station};
use qaita_model::Problem;
use qaita_model::units::{Unit, parse_number};
use serde::Serialize;

use crate::samples::{Coordinates, GradeColumn, SamplePolicy, Table, cell};

/// The three tables, checked against each other. Interval values are mass fractions.
#[derive(Debug, Clone, Serialize)]
pub struct Drillholes {
    pub coordinates: Coordinates,
    /// Collars as read: projected metres, or lon/lat degrees with z in metres.
    pub collars: Vec<Collar>,
    /// Survey stations per hole (holes without any are vertical).
    pub surveys: BTreeMap<String, Vec<Station>>,
    /// Sampled intervals per hole, sorted by depth.
    pub intervals: BTreeMap<String, Vec<Interval>>,
    /// Unit the values were written in.
    pub unit: Unit,
    /// Interval rows without a value (left as gaps, never as zeros).
    pub missing: Vec<usize>,
    /// Interval rows whose negative value was set to zero.
    pub zeroed: Vec<usize>,
    /// Collars with no sampled interval.
    pub unsampled: Vec<String>,
}

const HOLE: &[&str] = &["holeid", "hole", "hole_id", "bhid", "dhid"];

/// Parse a number cell, recording a problem (with the column's header) when it is not one.
fn number(
    table: &Table,
    row: usize,
    cells: &[String],
    i: usize,
    problems: &mut Vec<Problem>,
) -> Option<f64> {
    match parse_number(cell(cells, i), table.decimal) {
        Ok(v) if v.is_finite() => Some(v),
        Ok(v) => {
            problems.push(Problem::at(
                &table.origin(row),
                Some(&table.headers[i]),
                format!("{v} is not a finite number"),
            ));
            None
        }
        Err(e) => {
            problems.push(Problem::at(
                &table.origin(row),
                Some(&table.headers[i]),
                format!("'{}': {e}", cell(cells, i)),
            ));
            None
        }
    }
}

fn hole_id(
    table: &Table,
    row: usize,
    cells: &[String],
    i: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let id = cell(cells, i);
    if id.is_empty() {
        problems.push(Problem::at(
            &table.origin(row),
            Some(&table.headers[i]),
            "empty hole id",
        ));
        return None;
    }
    Some(id.to_string())
}

/// Read and cross-check collar, optional survey and interval tables; `column` names the value.
pub fn read_drillholes(
    collars: (&str, &[u8]),
    surveys: Option<(&str, &[u8])>,
    intervals: (&str, &[u8]),
    column: &str,
    policy: SamplePolicy,
) -> Result<Drillholes, Vec<Problem>> {
    let mut problems = Vec::new();
    let (coordinates, collars) = read_collars(collars.0, collars.1, &mut problems)?;
    let known: BTreeMap<&str, ()> = collars.iter().map(|c| (c.hole.as_str(), ())).collect();
    let surveys = match surveys {
        Some((file, bytes)) => read_surveys(file, bytes, &known, &mut problems)?,
        None => BTreeMap::new(),
    };
    let read = read_intervals(
        intervals.0,
        intervals.1,
        column,
        policy,
        &known,
        &mut problems,
    )?;
    if !problems.is_empty() {
        return Err(problems);
    }
    if read.intervals.is_empty() {
        return Err(vec![Problem::whole_file(
            intervals.0,
            format!("no interval has a value in column '{column}'"),
        )]);
    }
    let unsampled = collars
        .iter()
        .filter(|c| !read.intervals.contains_key(&c.hole))
        .map(|c| c.hole.clone())
        .collect();
    Ok(Drillholes {
        coordinates,
        collars,
        surveys,
        intervals: read.intervals,
        unit: read.unit,
        missing: read.missing,
        zeroed: read.zeroed,
        unsampled,
    })
}

fn read_collars(
    file: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<(Coordinates, Vec<Collar>), Vec<Problem>> {
    let table = Table::read(file, bytes, true)?;
    let ch = table.require(HOLE)?;
    let coordinates = match (
        table.find(&["x", "east", "easting"]),
        table.find(&["y", "north", "northing"]),
        table.find(&["lon", "longitude"]),
        table.find(&["lat", "latitude"]),
    ) {
        (Some(x), Some(y), None, None) => (Coordinates::Projected, x, y),
        (None, None, Some(x), Some(y)) => (Coordinates::Wgs84, x, y),
        _ => {
            return Err(vec![Problem::whole_file(
                file,
                "give either X and Y (projected metres) or LON and LAT (WGS84), not both or neither",
            )]);
        }
    };
    let (coordinates, cx, cy) = coordinates;
    let cz = table.require(&["z", "elevation", "rl", "elev"])?;
    let mut out: Vec<Collar> = Vec::with_capacity(table.rows.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (row, cells) in &table.rows {
        let hole = hole_id(&table, *row, cells, ch, problems);
        let x = number(&table, *row, cells, cx, problems);
        let y = number(&table, *row, cells, cy, problems);
        let z = number(&table, *row, cells, cz, problems);
        let (Some(hole), Some(x), Some(y), Some(z)) = (hole, x, y, z) else {
            continue;
        };
        if coordinates == Coordinates::Wgs84 && !(x.abs() <= 180.0 && y.abs() <= 90.0) {
            problems.push(Problem::at(
                &table.origin(*row),
                Some("lon/lat"),
                format!("({x}, {y}) is not a WGS84 position"),
            ));
            continue;
        }
        if let Some(first) = seen.insert(hole.clone(), *row) {
            problems.push(Problem::at(
                &table.origin(*row),
                Some(&table.headers[ch]),
                format!("hole {hole} already has a collar on row {first}"),
            ));
            continue;
        }
        out.push(Collar { hole, x, y, z });
    }
    Ok((coordinates, out))
}

fn read_surveys(
    file: &str,
    bytes: &[u8],
    known: &BTreeMap<&str, ()>,
    problems: &mut Vec<Problem>,
) -> Result<BTreeMap<String, Vec<Station>>, Vec<Problem>> {
    let table = Table::read(file, bytes, true)?;
    let ch = table.require(HOLE)?;
    let cat = table.require(&["at", "depth", "distance"])?;
    let caz = table.require(&["azm", "azimuth", "az", "brg", "bearing"])?;
    let cdip = table.require(&["dip", "inclination"])?;
    let mut out: BTreeMap<String, Vec<(usize, Station)>> = BTreeMap::new();
    for (row, cells) in &table.rows {
        let hole = hole_id(&table, *row, cells, ch, problems);
        let at = number(&table, *row, cells, cat, problems);
        let azimuth = number(&table, *row, cells, caz, problems);
        let dip = number(&table, *row, cells, cdip, problems);
        let (Some(hole), Some(at), Some(azimuth), Some(dip)) = (hole, at, azimuth, dip) else {
            continue;
        };
        let origin = table.origin(*row);
        let mut bad = |i: usize, reason: String| {
            problems.push(Problem::at(&origin, Some(&table.headers[i]), reason));
        };
        if !known.contains_key(hole.as_str()) {
            bad(ch, format!("hole {hole} has no collar"));
            continue;
        }
        if at < 0.0 {
            bad(cat, format!("depth {at} is negative"));
            continue;
        }
        if !(0.0..=360.0).contains(&azimuth) {
            bad(caz, format!("azimuth {azimuth} is outside 0..360 degrees"));
            continue;
        }
        if !(-90.0..=90.0).contains(&dip) {
            bad(cdip, format!("dip {dip} is outside -90..90 degrees"));
            continue;
        }
        let stations = out.entry(hole.clone()).or_default();
        if let Some((first, _)) = stations.iter().find(|(_, s)| s.at == at) {
            bad(
                cat,
                format!("hole {hole} already has a survey station at {at} m (row {first})"),
            );
            continue;
        }
        stations.push((*row, Station { at, azimuth, dip }));
    }
    Ok(out
        .into_iter()
        .map(|(hole, mut stations)| {
            stations.sort_by(|a, b| a.1.at.total_cmp(&b.1.at));
            (hole, stations.into_iter().map(|(_, s)| s).collect())
        })
        .collect())
}

struct IntervalRead {
    intervals: BTreeMap<String, Vec<Interval>>,
    unit: Unit,
    missing: Vec<usize>,
    zeroed: Vec<usize>,
}

fn read_intervals(
    file: &str,
    bytes: &[u8],
    column: &str,
    policy: SamplePolicy,
    known: &BTreeMap<&str, ()>,
    problems: &mut Vec<Problem>,
) -> Result<IntervalRead, Vec<Problem>> {
    let table = Table::read(file, bytes, true)?;
    let ch = table.require(HOLE)?;
    let cfrom = table.require(&["from", "depth_from", "mfrom"])?;
    let cto = table.require(&["to", "depth_to", "mto"])?;
    let mut grade = GradeColumn::find(&table, column, policy)?;
    let (mut missing, mut zeroed) = (Vec::new(), Vec::new());
    let mut by_hole: BTreeMap<String, Vec<(usize, Interval)>> = BTreeMap::new();
    for (row, cells) in &table.rows {
        let origin = table.origin(*row);
        let hole = hole_id(&table, *row, cells, ch, problems);
        let from = number(&table, *row, cells, cfrom, problems);
        let to = number(&table, *row, cells, cto, problems);
        let (Some(hole), Some(from), Some(to)) = (hole, from, to) else {
            continue;
        };
        if !known.contains_key(hole.as_str()) {
            problems.push(Problem::at(
                &origin,
                Some(&table.headers[ch]),
                format!("hole {hole} has no collar"),
            ));
            continue;
        }
        if from < 0.0 || to <= from {
            problems.push(Problem::at(
                &origin,
                Some(&table.headers[cto]),
                format!("interval {from}-{to} m: FROM must be >= 0 and TO greater than FROM"),
            ));
            continue;
        }
        let value = match grade.value(&table, *row, cells, &mut zeroed) {
            Ok(Some(v)) => v,
            Ok(None) => {
                missing.push(*row);
                continue;
            }
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        by_hole
            .entry(hole)
            .or_default()
            .push((*row, Interval { from, to, value }));
    }
    let mut intervals = BTreeMap::new();
    for (hole, mut runs) in by_hole {
        runs.sort_by(|a, b| a.1.from.total_cmp(&b.1.from));
        for w in runs.windows(2) {
            if w[1].1.from < w[0].1.to - 1e-9 {
                problems.push(Problem::at(
                    &table.origin(w[1].0),
                    Some(&table.headers[cfrom]),
                    format!(
                        "hole {hole}: interval {}-{} m overlaps {}-{} m on row {}",
                        w[1].1.from, w[1].1.to, w[0].1.from, w[0].1.to, w[0].0
                    ),
                ));
            }
        }
        intervals.insert(hole, runs.into_iter().map(|(_, i)| i).collect());
    }
    Ok(IntervalRead {
        intervals,
        unit: grade.unit.unwrap_or(Unit::Percent),
        missing,
        zeroed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: SamplePolicy = SamplePolicy {
        negative_to_zero: false,
    };

    #[test]
    fn reads_and_cross_checks_the_three_tables() {
        let collars = "HOLEID,X,Y,Z\nA,1000,2000,350\nB,1060,2000,351\nC,1120,2000,352\n";
        let surveys = "HOLEID,AT,AZM,DIP\nA,0,0,-90\nA,6,10,-85\n";
        let intervals = "HOLEID,FROM,TO,Cr2O3 [%]\nA,0,1.5,30\nA,1.5,3,32\nB,0,1.5,\nB,1.5,3,28\n";
        let d = read_drillholes(
            ("c.csv", collars.as_bytes()),
            Some(("s.csv", surveys.as_bytes())),
            ("i.csv", intervals.as_bytes()),
            "Cr2O3",
            STRICT,
        )
        .unwrap();
        assert_eq!(d.coordinates, Coordinates::Projected);
        assert_eq!(d.collars.len(), 3);
        assert_eq!(d.surveys["A"].len(), 2);
        assert_eq!(d.intervals["A"].len(), 2);
        assert!((d.intervals["A"][1].value - 0.32).abs() < 1e-12);
        assert_eq!(d.intervals["B"].len(), 1, "the missing value is a gap");
        assert_eq!(d.missing, vec![4]);
        assert_eq!(d.unsampled, vec!["C".to_string()]);
        assert_eq!(d.unit, Unit::Percent);
    }

    #[test]
    fn every_bad_row_is_named() {
        let collars = "HOLEID,X,Y,Z\nA,1000,2000,350\nA,1001,2000,350\nB,abc,2000,350\n";
        let surveys = "HOLEID,AT,AZM,DIP\nA,0,400,-90\nZ,0,0,-90\n";
        let intervals = "HOLEID,FROM,TO,Cu [%]\nA,0,1.5,0.3\nA,1,2,0.2\nA,3,2,0.1\nQ,0,1,0.1\nA,5,6,-0.1\nA,6,7,3 m3\n";
        let problems = read_drillholes(
            ("c.csv", collars.as_bytes()),
            Some(("s.csv", surveys.as_bytes())),
            ("i.csv", intervals.as_bytes()),
            "Cu",
            STRICT,
        )
        .unwrap_err();
        let seen: Vec<(String, usize, String)> = problems
            .iter()
            .map(|p| (p.file.clone(), p.row.unwrap(), p.field.clone().unwrap()))
            .collect();
        let expect = |f: &str, r: usize, c: &str| (f.to_string(), r, c.to_string());
        assert_eq!(
            seen,
            [
                expect("c.csv", 3, "HOLEID"),
                expect("c.csv", 4, "X"),
                expect("s.csv", 2, "AZM"),
                expect("s.csv", 3, "HOLEID"),
                expect("i.csv", 4, "TO"),
                expect("i.csv", 5, "HOLEID"),
                expect("i.csv", 6, "Cu"),
                expect("i.csv", 7, "Cu"),
                expect("i.csv", 3, "FROM"),
            ],
            "{problems:#?}"
        );
        assert!(problems[0].reason.contains("row 2"));
        assert!(problems[8].reason.contains("overlaps"));
    }
}
