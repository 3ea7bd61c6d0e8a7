//! Synthetic national inventories of any size, for scale tests and benchmarks.
//!
//! Objects cluster around Kazakhstan's real industrial centres with the kinds of waste each
//! produces; tonnage is lognormal, grades follow the kind. Rows are written straight to CSV in
//! the import layout, so a million-row file needs no more memory than one row. Every figure is
//! labelled illustrative and synthetic.

use std::io::Write;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal};

/// An industrial centre: name, lon, lat, region code, kinds of waste produced there.
const CENTRES: &[(&str, f64, f64, &str, &[&str])] = &[
    (
        "Balkhash",
        74.98,
        46.85,
        "karaganda",
        &["tailings", "slag", "off_balance_ore"],
    ),
    (
        "Zhezkazgan",
        67.72,
        47.80,
        "ulytau",
        &["tailings", "slag", "waste_rock"],
    ),
    (
        "Satpaev",
        67.53,
        47.90,
        "ulytau",
        &["tailings", "waste_rock"],
    ),
    (
        "Ust-Kamenogorsk",
        82.61,
        49.97,
        "east_kazakhstan",
        &["slag", "cake_clinker", "sludge"],
    ),
    (
        "Ridder",
        83.51,
        50.34,
        "east_kazakhstan",
        &["tailings", "cake_clinker"],
    ),
    (
        "Altai",
        84.27,
        49.73,
        "east_kazakhstan",
        &["tailings", "waste_rock"],
    ),
    ("Tekeli", 78.83, 44.83, "zhetisu", &["tailings"]),
    (
        "Khromtau",
        58.44,
        50.25,
        "aktobe",
        &["tailings", "waste_rock"],
    ),
    ("Aksu", 76.93, 52.04, "pavlodar", &["slag", "ash"]),
    ("Aktobe", 57.21, 50.28, "aktobe", &["slag"]),
    (
        "Temirtau",
        72.96,
        50.05,
        "karaganda",
        &["slag", "ash", "sludge"],
    ),
    (
        "Ekibastuz",
        75.32,
        51.72,
        "pavlodar",
        &["ash", "waste_rock"],
    ),
    ("Pavlodar", 76.97, 52.28, "pavlodar", &["sludge", "ash"]),
    ("Shymkent", 69.60, 42.30, "shymkent", &["slag"]),
    (
        "Kentau",
        68.50,
        43.52,
        "turkistan",
        &["tailings", "waste_rock"],
    ),
    ("Stepnogorsk", 71.88, 52.35, "akmola", &["tailings"]),
    ("Zhitikara", 61.20, 52.19, "kostanay", &["waste_rock"]),
    (
        "Rudny",
        63.12,
        52.97,
        "kostanay",
        &["tailings", "waste_rock"],
    ),
    ("Lisakovsk", 62.50, 52.55, "kostanay", &["tailings"]),
    (
        "Karazhal",
        70.80,
        48.01,
        "ulytau",
        &["tailings", "waste_rock"],
    ),
    (
        "Karatau",
        70.47,
        43.18,
        "zhambyl",
        &["phosphogypsum", "waste_rock"],
    ),
    ("Taraz", 71.37, 42.90, "zhambyl", &["phosphogypsum", "slag"]),
    (
        "Karaganda",
        73.10,
        49.80,
        "karaganda",
        &["waste_rock", "ash"],
    ),
    ("Almaty", 76.93, 43.26, "almaty", &["ash"]),
    ("Semey", 80.23, 50.41, "abai", &["tailings", "waste_rock"]),
    ("Kostanay", 63.62, 53.21, "kostanay", &["ash"]),
];

const HEADER: &str = "external_id,name,kind,region,owner,lon,lat,tonnage,density,grade_Cu,grade_Zn,grade_Pb,grade_Au,grade_Ag,grade_Fe,\
grade_Cr2O3,grade_Mn,grade_TREO,grade_V,accumulation_from,accumulation_to,status,legal_class,source,source_date,method,confidence,illustrative\n";

const STATUSES: &[&str] = &[
    "active",
    "active",
    "inactive",
    "conserved",
    "abandoned",
    "being_reprocessed",
];
const LEGAL: &[&str] = &["waste", "technogenic_subsoil", "undetermined"];

/// Write `objects` synthetic TMFs as CSV, reproducibly for a given `seed`.
pub fn generate_csv(mut out: impl Write, objects: usize, seed: u64) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let tonnage = LogNormal::new(13.0_f64, 1.6).expect("valid lognormal"); // median ~0.44 Mt
    let scatter = Normal::new(0.0_f64, 0.12).expect("valid normal"); // ~13 km around a centre
    out.write_all(HEADER.as_bytes())?;
    let mut line = String::with_capacity(256);
    for i in 1..=objects {
        let (town, lon, lat, region, kinds) = CENTRES[rng.random_range(0..CENTRES.len())];
        let kind = kinds[rng.random_range(0..kinds.len())];
        let lon = (lon + scatter.sample(&mut rng)).clamp(46.5, 87.5);
        let lat = (lat + scatter.sample(&mut rng) * 0.7).clamp(40.6, 55.4);
        let t = tonnage.sample(&mut rng).clamp(1e3, 5e9);
        let owner = if rng.random_bool(0.32) {
            format!("Operator {}", rng.random_range(1..400))
        } else {
            String::new()
        };
        let mut grade = |mean: f64, unit: &str, p: f64| -> String {
            if rng.random_bool(p) {
                format!("{:.4} {unit}", mean * rng.random_range(0.3..1.7))
            } else {
                String::new()
            }
        };
        let (cu, zn, pb, au, ag, fe, cr, mn, treo, v) = match kind {
            "tailings" => (
                grade(0.18, "%", 0.7),
                grade(0.4, "%", 0.4),
                grade(0.2, "%", 0.3),
                grade(0.5, "g/t", 0.5),
                grade(5.0, "g/t", 0.3),
                grade(12.0, "%", 0.2),
                grade(20.0, "%", 0.05),
                String::new(),
                String::new(),
                String::new(),
            ),
            "slag" => (
                grade(0.6, "%", 0.6),
                grade(3.0, "%", 0.5),
                grade(1.0, "%", 0.4),
                String::new(),
                String::new(),
                grade(30.0, "%", 0.6),
                grade(8.0, "%", 0.2),
                grade(10.0, "%", 0.2),
                String::new(),
                grade(800.0, "ppm", 0.3),
            ),
            "ash" => (
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                grade(5.0, "%", 0.5),
                String::new(),
                String::new(),
                grade(350.0, "ppm", 0.6),
                grade(150.0, "ppm", 0.3),
            ),
            "phosphogypsum" => (
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                grade(4000.0, "ppm", 0.9),
                String::new(),
            ),
            "sludge" => (
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                grade(40.0, "%", 0.8),
                String::new(),
                String::new(),
                grade(900.0, "ppm", 0.6),
                grade(500.0, "ppm", 0.5),
            ),
            _ => (
                grade(0.1, "%", 0.5),
                grade(0.2, "%", 0.3),
                String::new(),
                grade(0.3, "g/t", 0.3),
                String::new(),
                grade(15.0, "%", 0.3),
                String::new(),
                grade(5.0, "%", 0.1),
                String::new(),
                String::new(),
            ),
        };
        // Every row needs at least one grade to be useful downstream.
        let fe = if [&cu, &zn, &pb, &au, &ag, &fe, &cr, &mn, &treo, &v]
            .iter()
            .all(|g| g.is_empty())
        {
            "10.0 %".to_string()
        } else {
            fe
        };
        let from = rng.random_range(1935..2015);
        let to = if rng.random_bool(0.4) {
            String::new()
        } else {
            rng.random_range(from..=2025).to_string()
        };
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "SYN-{i:07},{kind} {i} near {town},{kind},{region},{owner},{lon:.5},{lat:.5},{t:.0} t,{density:.2} t/m3,{cu},{zn},{pb},{au},{ag},{fe},{cr},{mn},{treo},{v},{from},{to},{status},{legal},Qaita synthetic generator (seed {seed}),2026-11-01,synthetic,low,true",
            density = rng.random_range(1.4..3.2),
            status = STATUSES[rng.random_range(0..STATUSES.len())],
            legal = LEGAL[rng.random_range(0..LEGAL.len())],
        );
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_file_and_every_row_imports() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        generate_csv(&mut a, 500, 7).unwrap();
        generate_csv(&mut b, 500, 7).unwrap();
        assert_eq!(a, b);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("syn.csv");
        std::fs::write(&path, &a).unwrap();
        let input =
            crate::read::read(&path, crate::read::Format::Csv, &Default::default()).unwrap();
        let records: Vec<_> = input.records.collect();
        assert_eq!(records.len(), 500);
        let problems: Vec<_> = records.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(problems.is_empty(), "{problems:?}");
        for record in records.iter().flatten() {
            let tmf = qaita_model::import::merge(None, &record.1, Default::default()).unwrap();
            assert!(tmf.validate().is_empty());
        }
    }
}
