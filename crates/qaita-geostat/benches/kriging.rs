//! Kriging benchmark: ordinary kriging, spherical model, N random samples, M targets on a grid,
//! K neighbours. `cargo bench -p qaita-geostat --bench kriging -- [N] [M] [K] [CSV_DIR|-] [CASE]`
//! prints one JSON line. CASE: `2d` (default; points on a 10 x 10 km square), `block` (the same
//! with 2 x 2-discretised blocks the size of the grid cell) or `3d` (a 10 x 10 km x 100 m box,
//! anisotropic model with a 30 m vertical range, a 3-D target grid). With CSV_DIR (2d) it
//! also writes samples.csv and targets.csv so that bench/kriging.sh can run gstat and PyKrige
//! on the same input.

use std::io::Write;
use std::time::Instant;

use qaita_geostat::kriging::{Block, KrigingKind, Neighbourhood, Samples, Status, krige};
use qaita_geostat::variogram::{Anisotropy, Shape, Structure, VariogramModel};
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
    let dir = args.get(3).filter(|d| d.as_str() != "-");
    let case = args.get(4).map_or("2d", String::as_str);
    let three_d = case == "3d";
    let depth = if three_d { 100.0 } else { 0.0 };
    let mut rng = SmallRng::seed_from_u64(42);
    let side = 10_000.0;
    let points: Vec<[f64; 3]> = (0..n)
        .map(|_| {
            [
                rng.random_range(0.0..side),
                rng.random_range(0.0..side),
                if three_d {
                    rng.random_range(0.0..depth)
                } else {
                    0.0
                },
            ]
        })
        .collect();
    let values: Vec<f64> = points
        .iter()
        .map(|p| (p[0] / 900.0).sin() + (p[1] / 1300.0).cos() + rng.random_range(-0.3..0.3))
        .collect();
    let targets: Vec<[f64; 3]> = if three_d {
        // Layers of a 3-D grid, each layer in row order.
        let g = (m as f64).cbrt().ceil() as usize;
        (0..m)
            .map(|i| {
                [
                    side * ((i % g) as f64 + 0.5) / g as f64,
                    side * ((i / g % g) as f64 + 0.5) / g as f64,
                    depth * ((i / (g * g)) as f64 + 0.5) / g as f64,
                ]
            })
            .collect()
    } else {
        let g = (m as f64).sqrt().ceil() as usize;
        (0..m)
            .map(|i| {
                [
                    side * ((i % g) as f64 + 0.5) / g as f64,
                    side * ((i / g) as f64 + 0.5) / g as f64,
                    0.0,
                ]
            })
            .collect()
    };
    let cell = side / (m as f64).sqrt().ceil();
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
    let model = if three_d {
        VariogramModel {
            nugget: 0.05,
            structures: vec![Structure::new(
                Shape::Spherical,
                0.8,
                Anisotropy {
                    range_vertical: 30.0,
                    ..Anisotropy::isotropic(1500.0)
                },
            )],
        }
    } else {
        VariogramModel::isotropic(Shape::Spherical, 0.05, 0.8, 1500.0)
    };
    let block = Block {
        size: [cell, cell, 1.0],
        nodes: [2, 2, 1],
    };
    let block = (case == "block").then_some(&block);
    let started = Instant::now();
    let samples = Samples::new(points, values).unwrap();
    let nb = Neighbourhood {
        min: 1,
        max: k,
        radius: f64::INFINITY,
        per_octant: None,
    };
    let estimates = krige(
        &samples,
        &model,
        KrigingKind::Ordinary,
        &nb,
        &targets,
        block,
    );
    let seconds = started.elapsed().as_secs_f64();
    let ok = estimates.iter().filter(|e| e.status == Status::Ok).count();
    let mean: f64 = estimates.iter().map(|e| e.value).sum::<f64>() / m as f64;
    println!(
        "{{\"engine\":\"qaita-geostat\",\"case\":\"{case}\",\"samples\":{n},\"targets\":{m},\"neighbours\":{k},\"threads\":{},\"seconds\":{seconds:.3},\"estimated\":{ok},\"mean_estimate\":{mean:.6}}}",
        rayon::current_num_threads()
    );
}
