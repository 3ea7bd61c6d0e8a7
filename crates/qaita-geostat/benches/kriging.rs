//! Kriging benchmark: 2-D ordinary kriging, spherical model, N random samples, M targets on a
//! grid, K neighbours. `cargo bench -p qaita-geostat --bench kriging -- [N] [M] [K] [CSV_DIR]`
//! prints one JSON line; with CSV_DIR it also writes samples.csv and targets.csv so that
//! bench/kriging.sh can run gstat and PyKrige on the same input.

use std::io::Write;
use std::time::Instant;

use qaita_geostat::kriging::{KrigingKind, Neighbourhood, Samples, Status, krige};
use qaita_geostat::variogram::{Shape, VariogramModel};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let m: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let k: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(32);
    let dir = args.get(3);
    let mut rng = SmallRng::seed_from_u64(42);
    let side = 10_000.0;
    let points: Vec<[f64; 3]> = (0..n)
        .map(|_| {
            [
                rng.random_range(0.0..side),
                rng.random_range(0.0..side),
                0.0,
            ]
        })
        .collect();
    let values: Vec<f64> = points
        .iter()
        .map(|p| (p[0] / 900.0).sin() + (p[1] / 1300.0).cos() + rng.random_range(-0.3..0.3))
        .collect();
    let g = (m as f64).sqrt().ceil() as usize;
    let targets: Vec<[f64; 3]> = (0..m)
        .map(|i| {
            [
                side * ((i % g) as f64 + 0.5) / g as f64,
                side * ((i / g) as f64 + 0.5) / g as f64,
                0.0,
            ]
        })
        .collect();
    if let Some(dir) = dir {
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/samples.csv")).unwrap());
        writeln!(f, "x,y,v").unwrap();
        for (p, v) in points.iter().zip(&values) {
            writeln!(f, "{},{},{}", p[0], p[1], v).unwrap();
        }
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/targets.csv")).unwrap());
        writeln!(f, "x,y").unwrap();
        for t in &targets {
            writeln!(f, "{},{}", t[0], t[1]).unwrap();
        }
    }
    let model = VariogramModel::isotropic(Shape::Spherical, 0.05, 0.8, 1500.0);
    let started = Instant::now();
    let samples = Samples::new(points, values).unwrap();
    let nb = Neighbourhood {
        min: 1,
        max: k,
        radius: f64::INFINITY,
        per_octant: None,
    };
    let estimates = krige(&samples, &model, KrigingKind::Ordinary, &nb, &targets, None);
    let seconds = started.elapsed().as_secs_f64();
    let ok = estimates.iter().filter(|e| e.status == Status::Ok).count();
    let mean: f64 = estimates.iter().map(|e| e.value).sum::<f64>() / m as f64;
    println!(
        "{{\"engine\":\"qaita-geostat\",\"samples\":{n},\"targets\":{m},\"neighbours\":{k},\"threads\":{},\"seconds\":{seconds:.3},\"estimated\":{ok},\"mean_estimate\":{mean:.6}}}",
        rayon::current_num_threads()
    );
}
