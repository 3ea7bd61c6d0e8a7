//! The block model as rows (CSV, GSLIB), as GeoJSON in WGS84, and re-classified with other
//! rules without re-estimating.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use qaita_geostat::blockmodel::{
    Category, Cell, ClassificationRules, ResourceLine, resource_table,
};
use qaita_geostat::kriging::{Estimate, Status};
use qaita_model::units::Unit;
use serde_json::json;

use super::run::Estimated;
use super::{EstimateError, Named};

/// Block-model columns as rows of numbers for the CSV and GSLIB outputs.
pub const BLOCK_COLUMNS: [&str; 13] = [
    "x",
    "y",
    "z",
    "fraction",
    "thickness",
    "tonnes",
    "estimate",
    "variance",
    "relative_variance",
    "slope",
    "samples",
    "mean_distance",
    "octants",
];

pub fn block_row(c: &Cell, e: &Estimate, sill: f64) -> [f64; 13] {
    [
        c.centre[0],
        c.centre[1],
        c.z,
        c.fraction,
        c.thickness,
        c.tonnes,
        e.value,
        e.variance,
        e.variance / sill,
        e.slope,
        e.samples as f64,
        e.mean_distance,
        e.octants as f64,
    ]
}

/// The resource table as JSON: class, tonnes, mean grade and contained tonnes.
pub fn resources_json(resources: &[ResourceLine], factor: f64) -> serde_json::Value {
    resources
        .iter()
        .map(|l| json!({"class": l.class, "tonnes": l.tonnes, "mean_grade": l.mean_grade, "contained_t": l.contained * factor}))
        .collect()
}

fn category_name(c: Category) -> String {
    format!("{c:?}").to_lowercase()
}

fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::TooFewSamples(_) => "too_few_samples",
        Status::Singular(_) => "singular",
    }
}

/// The blocks as a GeoJSON FeatureCollection in WGS84: a 2-D model one square per block, a
/// 3-D model one per column (tonnage-weighted grade and variance over its estimated layers,
/// the category holding most of its tonnes). Properties: estimate, variance, category, tonnes,
/// status.
pub(crate) fn blocks_geojson(e: &Estimated) -> Result<serde_json::Value, EstimateError> {
    struct Column {
        tonnes: f64,
        ok_tonnes: f64,
        grade: f64,
        variance: f64,
        by_category: BTreeMap<Category, f64>,
        status: &'static str,
    }
    let mut columns: BTreeMap<[u64; 2], ([f64; 2], Column)> = BTreeMap::new();
    let mut order = Vec::new();
    for ((c, est), cat) in e.cells.iter().zip(&e.estimates).zip(&e.categories) {
        let key = c.centre.map(f64::to_bits);
        let entry = columns.entry(key).or_insert_with(|| {
            order.push(key);
            (
                c.centre,
                Column {
                    tonnes: 0.0,
                    ok_tonnes: 0.0,
                    grade: 0.0,
                    variance: 0.0,
                    by_category: BTreeMap::new(),
                    status: status_name(&est.status),
                },
            )
        });
        let col = &mut entry.1;
        col.tonnes += c.tonnes;
        *col.by_category.entry(*cat).or_default() += c.tonnes;
        if est.status == Status::Ok {
            col.ok_tonnes += c.tonnes;
            col.grade += c.tonnes * est.value;
            col.variance += c.tonnes * est.variance;
            col.status = "ok";
        }
    }
    let half = e.cell / 2.0;
    let projection = &e.data.projection;
    let mut features = Vec::with_capacity(order.len());
    for key in order {
        let (centre, col) = &columns[&key];
        let corners = [
            (-1.0, -1.0),
            (1.0, -1.0),
            (1.0, 1.0),
            (-1.0, 1.0),
            (-1.0, -1.0),
        ];
        let mut ring = Vec::with_capacity(5);
        for (dx, dy) in corners {
            let (lon, lat) = projection
                .to_wgs84(centre[0] + dx * half, centre[1] + dy * half)
                .map_err(|err| EstimateError::Other(anyhow!(err)))?;
            ring.push([lon, lat]);
        }
        let (estimate, variance) = if col.ok_tonnes > 0.0 {
            (
                Some(col.grade / col.ok_tonnes),
                Some(col.variance / col.ok_tonnes),
            )
        } else {
            (None, None)
        };
        let category = col
            .by_category
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map_or(Category::Unclassified, |(c, _)| *c);
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"estimate": estimate, "variance": variance,
                "category": category_name(category), "tonnes": col.tonnes, "status": col.status},
        }));
    }
    Ok(json!({"type": "FeatureCollection", "features": features}))
}

/// A block model re-classified: the categories per block (in file order), the resource table
/// above `cutoff` and the unit of the estimates. `problems` lists unreadable cells (then
/// nothing else is filled).
#[derive(Debug)]
pub struct ClassifyOutcome {
    pub headers: Vec<String>,
    pub unit: Unit,
    pub blocks: usize,
    pub categories: Vec<Category>,
    pub resources: Vec<ResourceLine>,
    pub problems: Vec<String>,
}

/// Re-classify a block model CSV written by `qaita estimate --blocks` with `rules`.
pub fn classify(
    file: &Named,
    rules: &ClassificationRules,
    cutoff: f64,
) -> Result<ClassifyOutcome, EstimateError> {
    let name = &file.name;
    let mut reader = csv::Reader::from_reader(file.bytes.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("cannot read {name}"))?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |col: &str| {
        headers
            .iter()
            .position(|h| h.split('[').next().unwrap_or("").trim() == col)
            .ok_or_else(|| {
                anyhow!("{name}: no column '{col}' (write it with `qaita estimate --blocks`)")
            })
    };
    let unit: Unit = headers
        .iter()
        .find_map(|h| {
            h.strip_prefix("estimate [")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .ok_or_else(|| anyhow!("{name}: the 'estimate [unit]' column names no known unit"))?;
    let idx: Vec<usize> = BLOCK_COLUMNS
        .iter()
        .map(|c| column(c))
        .collect::<anyhow::Result<_>>()?;
    let (mut block_cells, mut estimates) = (Vec::new(), Vec::new());
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(anyhow::Error::from)?;
        let row = i + 2;
        let mut v = [0.0; 13];
        for (k, c) in idx.iter().enumerate() {
            let text = record.get(*c).unwrap_or("");
            match text.parse::<f64>() {
                Ok(x) => v[k] = x,
                Err(_) => problems.push(format!(
                    "{name}: row {row}, {}: '{text}' is not a number",
                    headers[*c]
                )),
            }
        }
        block_cells.push(Cell {
            centre: [v[0], v[1]],
            z: v[2],
            fraction: v[3],
            area: 0.0,
            thickness: v[4],
            density: 0.0,
            tonnes: v[5],
        });
        // Relative variance is stored; classify against a unit sill.
        estimates.push(Estimate {
            value: v[6],
            variance: v[8],
            slope: v[9],
            samples: v[10] as usize,
            mean_distance: v[11],
            octants: v[12] as usize,
            status: if v[6].is_finite() {
                Status::Ok
            } else {
                Status::TooFewSamples("not estimated".into())
            },
        });
    }
    if !problems.is_empty() {
        return Ok(ClassifyOutcome {
            headers,
            unit,
            blocks: block_cells.len(),
            categories: Vec::new(),
            resources: Vec::new(),
            problems,
        });
    }
    let categories: Vec<Category> = estimates.iter().map(|e| rules.classify(e, 1.0)).collect();
    let resources = resource_table(&block_cells, &estimates, &categories, cutoff);
    Ok(ClassifyOutcome {
        headers,
        unit,
        blocks: block_cells.len(),
        categories,
        resources,
        problems,
    })
}
