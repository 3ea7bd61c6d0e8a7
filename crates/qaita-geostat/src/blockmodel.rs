//! Block model of a TMF: columns of cells over the footprint (clipped, with partial-cell
//! fractions), thickness and dry bulk density to tonnes; grade-tonnage curve; Measured /
//! Indicated / Inferred classification and the KAZRC/JORC-style summary.

use geo::{Area, BooleanOps, BoundingRect};
use geo_types::{MultiPolygon, Rect, coord};
use serde::{Deserialize, Serialize};

use crate::kriging::{Estimate, Status};

/// One column of the block model: a cell of the grid clipped to the footprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub centre: [f64; 2],
    /// Elevation of the cell's centre (0 for the columns of a 2-D model).
    pub z: f64,
    /// Share of the cell inside the footprint (0..1].
    pub fraction: f64,
    /// Area inside the footprint, m2.
    pub area: f64,
    pub thickness: f64,
    pub density: f64,
    pub tonnes: f64,
}

/// Cells of `size` (m) over a footprint in projected coordinates; cells outside are dropped and
/// boundary cells keep the fraction inside. `thickness(x, y)` and `density(x, y)` give metres
/// and t/m3 at a cell centre (constants, surfaces or estimates).
pub fn cells(
    footprint: &MultiPolygon<f64>,
    size: [f64; 2],
    thickness: impl Fn(f64, f64) -> f64,
    density: impl Fn(f64, f64) -> f64,
) -> Result<Vec<Cell>, String> {
    if !(size[0] > 0.0 && size[1] > 0.0) {
        return Err("cell size must be positive".into());
    }
    let bounds = footprint.bounding_rect().ok_or("the footprint is empty")?;
    let (nx, ny) = (
        ((bounds.width()) / size[0]).ceil() as usize,
        ((bounds.height()) / size[1]).ceil() as usize,
    );
    if nx.saturating_mul(ny) > 50_000_000 {
        return Err(format!("{nx} x {ny} cells: choose a larger cell size"));
    }
    let full = size[0] * size[1];
    let mut out = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let x0 = bounds.min().x + i as f64 * size[0];
            let y0 = bounds.min().y + j as f64 * size[1];
            let rect = Rect::new(
                coord! { x: x0, y: y0 },
                coord! { x: x0 + size[0], y: y0 + size[1] },
            )
            .to_polygon();
            let area = MultiPolygon::new(vec![rect])
                .intersection(footprint)
                .unsigned_area();
            if area <= full * 1e-9 {
                continue;
            }
            let (cx, cy) = (x0 + size[0] / 2.0, y0 + size[1] / 2.0);
            let (t, d) = (thickness(cx, cy), density(cx, cy));
            if !(t >= 0.0 && d > 0.0) {
                return Err(format!(
                    "thickness {t} m or density {d} t/m3 at ({cx:.1}, {cy:.1}) is not valid"
                ));
            }
            out.push(Cell {
                centre: [cx, cy],
                z: 0.0,
                fraction: (area / full).min(1.0),
                area,
                thickness: t,
                density: d,
                tonnes: area * t * d,
            });
        }
    }
    Ok(out)
}

/// Split each column into layers of `height` metres from its top surface `top(x, y)` down
/// through its thickness (the last layer partial), for a 3-D model; tonnes are kept exactly.
pub fn layers(
    columns: &[Cell],
    height: f64,
    top: impl Fn(f64, f64) -> f64,
) -> Result<Vec<Cell>, String> {
    if height.is_nan() || height <= 0.0 {
        return Err(format!("layer height {height} must be positive"));
    }
    let mut out = Vec::new();
    for c in columns {
        let surface = top(c.centre[0], c.centre[1]);
        if !surface.is_finite() {
            return Err(format!(
                "no top surface at ({:.1}, {:.1})",
                c.centre[0], c.centre[1]
            ));
        }
        let mut depth = 0.0;
        while depth < c.thickness - 1e-9 {
            let part = height.min(c.thickness - depth);
            out.push(Cell {
                z: surface - depth - part / 2.0,
                thickness: part,
                tonnes: c.area * part * c.density,
                ..c.clone()
            });
            depth += part;
        }
    }
    Ok(out)
}

/// One row of a grade-tonnage table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeTonnage {
    pub cutoff: f64,
    pub tonnes: f64,
    pub mean_grade: f64,
    /// tonnes x mean grade (in the grade's unit times tonnes; for mass fractions, tonnes of metal).
    pub contained: f64,
}

/// Tonnage and mean grade above each cut-off, from cells and their grade estimates (cells
/// without an estimate are left out).
pub fn grade_tonnage(cells: &[Cell], grades: &[Estimate], cutoffs: &[f64]) -> Vec<GradeTonnage> {
    cutoffs
        .iter()
        .map(|&cutoff| {
            let (t, g) = cells
                .iter()
                .zip(grades)
                .filter(|(_, e)| e.status == Status::Ok && e.value >= cutoff)
                .fold((0.0, 0.0), |(t, g), (c, e)| {
                    (t + c.tonnes, g + c.tonnes * e.value)
                });
            GradeTonnage {
                cutoff,
                tonnes: t,
                mean_grade: if t > 0.0 { g / t } else { f64::NAN },
                contained: g,
            }
        })
        .collect()
}

/// Resource category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Measured,
    Indicated,
    Inferred,
    Unclassified,
}

/// What a cell's estimate must reach for a category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Criteria {
    pub min_slope: f64,
    pub min_samples: usize,
    pub max_mean_distance: f64,
    /// Kriging variance relative to the sill, at most.
    pub max_relative_variance: f64,
    /// Octants (quadrants for 2-D data) around the cell holding a sample, at least.
    #[serde(default)]
    pub min_octants: usize,
}

/// Classification rules (rules of thumb, configurable): by default Measured needs slope >= 0.8,
/// 12 samples within 50 m on average in at least 3 octants, Indicated slope >= 0.5 and 6 samples
/// within 100 m in at least 2; any other estimated cell is Inferred.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassificationRules {
    pub measured: Criteria,
    pub indicated: Criteria,
}

impl Default for ClassificationRules {
    fn default() -> Self {
        ClassificationRules {
            measured: Criteria {
                min_slope: 0.8,
                min_samples: 12,
                max_mean_distance: 50.0,
                max_relative_variance: 0.5,
                min_octants: 3,
            },
            indicated: Criteria {
                min_slope: 0.5,
                min_samples: 6,
                max_mean_distance: 100.0,
                max_relative_variance: 0.8,
                min_octants: 2,
            },
        }
    }
}

impl ClassificationRules {
    pub fn classify(&self, e: &Estimate, sill: f64) -> Category {
        if e.status != Status::Ok {
            return Category::Unclassified;
        }
        let meets = |c: &Criteria| {
            e.slope >= c.min_slope
                && e.samples >= c.min_samples
                && e.mean_distance <= c.max_mean_distance
                && e.variance / sill <= c.max_relative_variance
                && e.octants >= c.min_octants
        };
        if meets(&self.measured) {
            Category::Measured
        } else if meets(&self.indicated) {
            Category::Indicated
        } else {
            Category::Inferred
        }
    }
}

/// One line of the resource table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceLine {
    /// "Measured", "Indicated", "Measured + Indicated" or "Inferred".
    pub class: String,
    pub tonnes: f64,
    pub mean_grade: f64,
    pub contained: f64,
}

/// Tonnes, grade and contained commodity per category above `cutoff` (Measured, Indicated,
/// Measured + Indicated, Inferred), as resources are reported under KAZRC/JORC.
pub fn resource_table(
    cells: &[Cell],
    grades: &[Estimate],
    categories: &[Category],
    cutoff: f64,
) -> Vec<ResourceLine> {
    let line = |keep: &dyn Fn(Category) -> bool, class: &str| {
        let (t, g) = cells
            .iter()
            .zip(grades)
            .zip(categories)
            .filter(|((_, e), c)| keep(**c) && e.status == Status::Ok && e.value >= cutoff)
            .fold((0.0, 0.0), |(t, g), ((cell, e), _)| {
                (t + cell.tonnes, g + cell.tonnes * e.value)
            });
        ResourceLine {
            class: class.to_string(),
            tonnes: t,
            mean_grade: if t > 0.0 { g / t } else { f64::NAN },
            contained: g,
        }
    };
    vec![
        line(&|c| c == Category::Measured, "Measured"),
        line(&|c| c == Category::Indicated, "Indicated"),
        line(
            &|c| matches!(c, Category::Measured | Category::Indicated),
            "Measured + Indicated",
        ),
        line(&|c| c == Category::Inferred, "Inferred"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn estimate(value: f64, slope: f64, samples: usize) -> Estimate {
        Estimate {
            value,
            variance: 0.2,
            slope,
            samples,
            mean_distance: 20.0,
            octants: 4,
            status: Status::Ok,
        }
    }

    #[test]
    fn layers_keep_the_tonnes_of_their_columns() {
        let square = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 20.0), (x: 0.0, y: 20.0), (x: 0.0, y: 0.0)],
        ]);
        let columns = cells(&square, [10.0, 10.0], |x, _| 3.0 + x / 10.0, |_, _| 1.6).unwrap();
        let layered = layers(&columns, 1.5, |_, _| 100.0).unwrap();
        let total = |c: &[Cell]| c.iter().map(|c| c.tonnes).sum::<f64>();
        assert!((total(&columns) - total(&layered)).abs() < 1e-6);
        // Columns of 3.5 m and 4.5 m: 3 layers each, the last of 0.5 m and 1.5 m.
        assert_eq!(layered.len(), 12);
        assert!((layered[0].z - 99.25).abs() < 1e-12);
        assert!((layered[2].thickness - 0.5).abs() < 1e-12 && (layered[2].z - 96.75).abs() < 1e-12);
        assert!(layers(&columns, 0.0, |_, _| 0.0).is_err());
    }

    #[test]
    fn cells_are_clipped_to_the_footprint() {
        // A right triangle with legs 100 m: area 5,000 m2.
        let triangle = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 0.0, y: 100.0), (x: 0.0, y: 0.0)],
        ]);
        let cells = cells(&triangle, [10.0, 10.0], |_, _| 2.0, |_, _| 1.5).unwrap();
        let area: f64 = cells.iter().map(|c| c.area).sum();
        assert!((area - 5000.0).abs() < 1e-6);
        assert!((cells.iter().map(|c| c.tonnes).sum::<f64>() - 5000.0 * 2.0 * 1.5).abs() < 1e-6);
        assert!(
            cells.iter().any(|c| (c.fraction - 0.5).abs() < 1e-9),
            "diagonal cells are half inside"
        );
        assert_eq!(cells.iter().filter(|c| c.fraction == 1.0).count(), 45);
    }

    #[test]
    fn grade_tonnage_and_classification() {
        let square = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 20.0), (x: 0.0, y: 20.0), (x: 0.0, y: 0.0)],
        ]);
        let cells = cells(&square, [10.0, 10.0], |_, _| 1.0, |_, _| 1.0).unwrap();
        assert_eq!(cells.len(), 4);
        let grades = vec![
            estimate(0.1, 0.9, 20),
            estimate(0.3, 0.6, 8),
            estimate(0.5, 0.3, 3),
            Estimate {
                status: Status::TooFewSamples("0".into()),
                ..estimate(f64::NAN, f64::NAN, 0)
            },
        ];
        let gt = grade_tonnage(&cells, &grades, &[0.0, 0.2, 0.4]);
        assert_eq!(
            gt.iter().map(|g| g.tonnes).collect::<Vec<_>>(),
            [300.0, 200.0, 100.0]
        );
        assert!((gt[0].mean_grade - 0.3).abs() < 1e-12 && (gt[1].contained - 80.0).abs() < 1e-9);
        let rules = ClassificationRules::default();
        let categories: Vec<Category> = grades.iter().map(|e| rules.classify(e, 1.0)).collect();
        assert_eq!(
            categories,
            [
                Category::Measured,
                Category::Indicated,
                Category::Inferred,
                Category::Unclassified
            ]
        );
        let table = resource_table(&cells, &grades, &categories, 0.0);
        assert_eq!(
            table.iter().map(|l| l.tonnes).collect::<Vec<_>>(),
            [100.0, 100.0, 200.0, 100.0]
        );
        assert_eq!(table[2].class, "Measured + Indicated");
    }
}
