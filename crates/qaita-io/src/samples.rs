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
    let table = Table::read(file, bytes, false)?;
    let whole = |reason: String| vec![Problem::whole_file(file, reason)];
    let coordinates = match (
        table.find(&["x"]),
        table.find(&["y"]),
        table.find(&["lon"]),
        table.find(&["lat"]),
    ) {
        (Some(_), Some(_), None, None) => Coordinates::Projected,
        (None, None, Some(_), Some(_)) => Coordinates::Wgs84,
        _ => return Err(whole(
            "give either x and y (projected metres) or lon and lat (WGS84), not both or neither"
                .into(),
        )),
    };
    let (cx, cy) = match coordinates {
        Coordinates::Projected => (table.find(&["x"]), table.find(&["y"])),
        Coordinates::Wgs84 => (table.find(&["lon"]), table.find(&["lat"])),
    };
    let (cx, cy, cz) = (cx.unwrap_or(0), cy.unwrap_or(0), table.find(&["z"]));
    let mut grade = GradeColumn::find(&table, column, policy)?;
    let mut problems = Vec::new();
    let mut samples = Vec::new();
    let (mut missing, mut zeroed) = (Vec::new(), Vec::new());
    for (row, cells) in &table.rows {
        let row = *row;
        let origin = table.origin(row);
        let mut coordinate = |i: usize, name: &str| -> Option<f64> {
            parse_number(cell(cells, i), table.decimal)
                .map_err(|e| problems.push(Problem::at(&origin, Some(name), e.to_string())))
                .ok()
        };
        let x = coordinate(cx, &table.headers[cx]);
        let y = coordinate(cy, &table.headers[cy]);
        let z = match cz {
            Some(i) if !cell(cells, i).is_empty() => coordinate(i, "z"),
            _ => Some(0.0),
        };
        let value = match grade.value(&table, row, cells, &mut zeroed) {
            Ok(Some(v)) => v,
            Ok(None) => {
                missing.push(row);
                continue;
            }
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
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
    let unit = grade.unit;
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

/// A CSV table with its header and rows (line numbers as the user sees them).
pub(crate) struct Table {
    pub(crate) file: String,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<(usize, Vec<String>)>,
    pub(crate) decimal: DecimalSeparator,
}

impl Table {
    /// Read a CSV (UTF-8 or Windows-1251; `;` means decimal commas); `skip_blank` drops rows
    /// whose cells are all empty.
    pub(crate) fn read(file: &str, bytes: &[u8], skip_blank: bool) -> Result<Table, Vec<Problem>> {
        let (text, _) = decode(file, bytes, TextEncoding::Auto)?;
        let delimiter = if text.lines().next().unwrap_or("").contains(';') {
            b';'
        } else {
            b','
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
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| whole(e.to_string()))?;
            let row = record.position().map_or(0, |p| p.line() as usize);
            if skip_blank && record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((row, record.iter().map(|c| c.trim().to_string()).collect()));
        }
        Ok(Table {
            file: file.to_string(),
            headers,
            rows,
            decimal: if delimiter == b';' {
                DecimalSeparator::Comma
            } else {
                DecimalSeparator::Point
            },
        })
    }

    /// The column called any of `names` (case-insensitive, unit suffix ignored).
    pub(crate) fn find(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            let bare = h.split('[').next().unwrap_or("").trim();
            names.iter().any(|n| bare.eq_ignore_ascii_case(n))
        })
    }

    pub(crate) fn require(&self, names: &[&str]) -> Result<usize, Vec<Problem>> {
        self.find(names).ok_or_else(|| {
            vec![Problem::whole_file(
                &self.file,
                format!(
                    "no column {} (also accepted: {}; columns: {})",
                    names[0],
                    names[1..].join(", "),
                    self.headers.join(", ")
                ),
            )]
        })
    }

    pub(crate) fn origin(&self, row: usize) -> Origin {
        Origin {
            file: self.file.clone(),
            row,
            unit: "row",
        }
    }
}

/// The text of cell `i` (empty when the row is short).
pub(crate) fn cell(cells: &[String], i: usize) -> &str {
    cells.get(i).map_or("", String::as_str)
}

/// A grade column: its unit from the header (`Cu [%]`) or the cells, one unit per file, and the
/// policy for negative grades.
pub(crate) struct GradeColumn {
    pub(crate) index: usize,
    /// The name the user asked for (problems name it).
    name: String,
    header_unit: Option<Unit>,
    /// The unit seen so far.
    pub(crate) unit: Option<Unit>,
    policy: SamplePolicy,
}

impl GradeColumn {
    pub(crate) fn find(
        table: &Table,
        column: &str,
        policy: SamplePolicy,
    ) -> Result<Self, Vec<Problem>> {
        let whole = |reason: String| vec![Problem::whole_file(&table.file, reason)];
        let index = table.find(&[column]).ok_or_else(|| {
            whole(format!(
                "no column '{column}' (columns: {})",
                table.headers.join(", ")
            ))
        })?;
        let header = &table.headers[index];
        let header_unit = match header.find('[') {
            Some(open) => Some(
                header[open + 1..]
                    .trim_end_matches(']')
                    .trim()
                    .parse::<Unit>()
                    .map_err(|e| whole(format!("column '{header}': {e}")))?,
            ),
            None => None,
        };
        Ok(GradeColumn {
            index,
            name: column.to_string(),
            header_unit,
            unit: header_unit,
            policy,
        })
    }

    /// The row's grade as a mass fraction; `None` when the cell is empty (a missing value).
    /// A negative grade is an error, or zero (and its row noted in `zeroed`) by the policy.
    pub(crate) fn value(
        &mut self,
        table: &Table,
        row: usize,
        cells: &[String],
        zeroed: &mut Vec<usize>,
    ) -> Result<Option<f64>, Problem> {
        let text = cell(cells, self.index);
        if text.is_empty() {
            return Ok(None);
        }
        let origin = table.origin(row);
        let bad = |reason: String| Problem::at(&origin, Some(&self.name), reason);
        let quantity = Quantity::parse(text, self.header_unit, table.decimal)
            .and_then(|q| q.expect(Dimension::Grade))
            .map_err(|e| bad(format!("'{text}': {e}")))?;
        if let Some(unit) = self.unit.filter(|u| *u != quantity.unit) {
            return Err(bad(format!(
                "unit {} differs from the file's {unit}",
                quantity.unit
            )));
        }
        self.unit = Some(quantity.unit);
        let value = quantity.canonical();
        if value >= 0.0 {
            return Ok(Some(value));
        }
        if self.policy.negative_to_zero {
            zeroed.push(row);
            return Ok(Some(0.0));
        }
        Err(bad(format!(
            "negative grade {text} (use --negative-to-zero to treat it as 0)"
        )))
    }
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
