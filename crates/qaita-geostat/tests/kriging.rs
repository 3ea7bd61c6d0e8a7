//! Correctness of the kriging engine: unbiasedness (weights sum to 1), exact interpolation,
//! symmetry, equality with an independent dense solve, agreement with PyKrige.

use nalgebra::{DMatrix, DVector};
use qaita_geostat::kriging::{
    Estimator, KrigingKind, Neighbourhood, Samples, Status, cross_validate, cross_validate_with,
    idw, krige, nearest,
};
use qaita_geostat::variogram::{Anisotropy, Point, Shape, VariogramModel};

fn scattered(n: usize) -> (Vec<Point>, Vec<f64>) {
    // Deterministic scatter (golden-angle spiral) with a smooth field plus wiggle.
    let points: Vec<Point> = (0..n)
        .map(|i| {
            let r = 10.0 * (i as f64).sqrt();
            let a = i as f64 * 2.399_963;
            [100.0 + r * a.cos(), 100.0 + r * a.sin(), 0.0]
        })
        .collect();
    let values = points
        .iter()
        .map(|p| (p[0] / 30.0).sin() + (p[1] / 45.0).cos() + 0.1 * ((p[0] * 7.0).sin()))
        .collect();
    (points, values)
}

fn model() -> VariogramModel {
    VariogramModel::isotropic(Shape::Spherical, 0.05, 0.9, 80.0)
}

#[test]
fn ordinary_kriging_is_unbiased_weights_sum_to_one() {
    let (points, values) = scattered(60);
    let shifted: Vec<f64> = values.iter().map(|v| v + 7.5).collect();
    let targets: Vec<Point> = (0..20)
        .map(|i| [60.0 + 4.0 * i as f64, 90.0 + 3.0 * i as f64, 0.0])
        .collect();
    let nb = Neighbourhood {
        min: 4,
        max: 16,
        radius: 200.0,
        per_octant: None,
    };
    let a = krige(
        &Samples::new(points.clone(), values).unwrap(),
        &model(),
        KrigingKind::Ordinary,
        &nb,
        &targets,
        None,
    );
    let b = krige(
        &Samples::new(points, shifted).unwrap(),
        &model(),
        KrigingKind::Ordinary,
        &nb,
        &targets,
        None,
    );
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.status, Status::Ok);
        // Adding a constant to the data adds it to the estimate only if the weights sum to 1.
        assert!((y.value - x.value - 7.5).abs() < 1e-9);
        assert!((x.variance - y.variance).abs() < 1e-12);
        assert!(x.slope > 0.0 && x.slope <= 1.0 + 1e-9);
    }
}

#[test]
fn zero_nugget_kriging_is_exact_at_the_data() {
    let (points, values) = scattered(30);
    let m = VariogramModel::isotropic(Shape::Exponential, 0.0, 1.0, 60.0);
    let samples = Samples::new(points.clone(), values.clone()).unwrap();
    let e = krige(
        &samples,
        &m,
        KrigingKind::Ordinary,
        &Neighbourhood::global(30),
        &points,
        None,
    );
    for (est, v) in e.iter().zip(&values) {
        assert!((est.value - v).abs() < 1e-9, "{} vs {v}", est.value);
        assert!(est.variance.abs() < 1e-9);
    }
}

#[test]
fn symmetric_configuration_gives_symmetric_weights() {
    let points = vec![
        [0.0, 0.0, 0.0],
        [10.0, 0.0, 0.0],
        [10.0, 10.0, 0.0],
        [0.0, 10.0, 0.0],
    ];
    let samples = Samples::new(points, vec![1.0, 2.0, 4.0, 8.0]).unwrap();
    let e = krige(
        &samples,
        &model(),
        KrigingKind::Ordinary,
        &Neighbourhood::global(4),
        &[[5.0, 5.0, 0.0]],
        None,
    );
    assert!(
        (e[0].value - 3.75).abs() < 1e-12,
        "equal weights give the mean, got {}",
        e[0].value
    );
}

/// Ordinary kriging written independently in variogram (gamma) form on the full data set.
fn dense_ok(points: &[Point], values: &[f64], m: &VariogramModel, target: &Point) -> (f64, f64) {
    let n = points.len();
    let g = |a: &Point, b: &Point| m.gamma([b[0] - a[0], b[1] - a[1], b[2] - a[2]]);
    let mut a = DMatrix::zeros(n + 1, n + 1);
    let mut b = DVector::zeros(n + 1);
    for i in 0..n {
        for j in 0..n {
            a[(i, j)] = g(&points[i], &points[j]);
        }
        a[(i, n)] = 1.0;
        a[(n, i)] = 1.0;
        b[i] = g(&points[i], target);
    }
    b[n] = 1.0;
    let x = a.lu().solve(&b).unwrap();
    let value = (0..n).map(|i| x[i] * values[i]).sum();
    let variance = (0..n).map(|i| x[i] * b[i]).sum::<f64>() + x[n];
    (value, variance)
}

#[test]
fn equals_a_dense_direct_solve() {
    let (points, values) = scattered(45);
    let m = model();
    let samples = Samples::new(points.clone(), values.clone()).unwrap();
    let targets: Vec<Point> = (0..15)
        .map(|i| [40.0 + 9.0 * i as f64, 160.0 - 7.0 * i as f64, 0.0])
        .collect();
    let e = krige(
        &samples,
        &m,
        KrigingKind::Ordinary,
        &Neighbourhood::global(45),
        &targets,
        None,
    );
    for (t, est) in targets.iter().zip(&e) {
        let (value, variance) = dense_ok(&points, &values, &m, t);
        assert!((est.value - value).abs() < 1e-9, "{} vs {value}", est.value);
        assert!(
            (est.variance - variance).abs() < 1e-9,
            "{} vs {variance}",
            est.variance
        );
    }
}

#[derive(serde::Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    model: String,
    psill: f64,
    range: f64,
    nugget: f64,
    x: Vec<f64>,
    y: Vec<f64>,
    v: Vec<f64>,
    tx: Vec<f64>,
    ty: Vec<f64>,
    estimate: Vec<f64>,
    variance: Vec<f64>,
}

#[test]
fn agrees_with_pykrige() {
    let reference: Reference =
        serde_json::from_str(include_str!("data/pykrige_reference.json")).unwrap();
    assert!(!reference.cases.is_empty());
    for case in &reference.cases {
        let shape: Shape = case.model.parse().unwrap();
        let m = VariogramModel::isotropic(shape, case.nugget, case.psill, case.range);
        let points: Vec<Point> = case
            .x
            .iter()
            .zip(&case.y)
            .map(|(x, y)| [*x, *y, 0.0])
            .collect();
        let samples = Samples::new(points, case.v.clone()).unwrap();
        let targets: Vec<Point> = case
            .tx
            .iter()
            .zip(&case.ty)
            .map(|(x, y)| [*x, *y, 0.0])
            .collect();
        let e = krige(
            &samples,
            &m,
            KrigingKind::Ordinary,
            &Neighbourhood::global(samples.len()),
            &targets,
            None,
        );
        for (i, est) in e.iter().enumerate() {
            assert!(
                (est.value - case.estimate[i]).abs() < 1e-8,
                "{} target {i}: {} vs PyKrige {}",
                case.model,
                est.value,
                case.estimate[i]
            );
            assert!(
                (est.variance - case.variance[i]).abs() < 1e-8,
                "{} target {i}: variance {} vs {}",
                case.model,
                est.variance,
                case.variance[i]
            );
        }
    }
}

#[test]
fn neighbourhood_limits_and_ties_are_deterministic() {
    // Four samples at the same distance: the two lowest indices are taken.
    let points = vec![
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [-1.0, 0.0, 0.0],
        [0.0, -1.0, 0.0],
        [5.0, 5.0, 0.0],
    ];
    let samples = Samples::new(points, vec![1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    let nb = Neighbourhood {
        min: 1,
        max: 2,
        radius: 10.0,
        per_octant: None,
    };
    let near = samples.neighbours(&[0.0, 0.0, 0.0], &nb, None);
    assert_eq!(near.iter().map(|n| n.0).collect::<Vec<_>>(), [0, 1]);
    let too_few = krige(
        &samples,
        &model(),
        KrigingKind::Ordinary,
        &Neighbourhood { min: 6, ..nb },
        &[[0.0; 3]],
        None,
    );
    assert!(matches!(too_few[0].status, Status::TooFewSamples(_)));
}

#[test]
fn duplicate_locations_are_reported_singular() {
    let samples = Samples::new(
        vec![[0.0; 3], [0.0; 3], [10.0, 0.0, 0.0]],
        vec![1.0, 2.0, 3.0],
    )
    .unwrap();
    let m = VariogramModel::isotropic(Shape::Spherical, 0.0, 1.0, 50.0);
    let e = krige(
        &samples,
        &m,
        KrigingKind::Ordinary,
        &Neighbourhood::global(3),
        &[[5.0, 0.0, 0.0]],
        None,
    );
    assert!(
        matches!(e[0].status, Status::Singular(_)),
        "{:?}",
        e[0].status
    );
}

#[test]
fn simple_kriging_far_from_data_returns_the_mean() {
    let (points, values) = scattered(20);
    let samples = Samples::new(points, values).unwrap();
    let e = krige(
        &samples,
        &model(),
        KrigingKind::Simple { mean: 0.7 },
        &Neighbourhood::global(20),
        &[[5000.0, 5000.0, 0.0]],
        None,
    );
    assert!((e[0].value - 0.7).abs() < 1e-12);
    assert!((e[0].variance - model().sill()).abs() < 1e-12);
}

#[test]
fn block_kriging_variance_is_below_point_variance() {
    let (points, values) = scattered(40);
    let samples = Samples::new(points, values).unwrap();
    let nb = Neighbourhood::global(40);
    let t = [[120.0, 95.0, 0.0]];
    let point = krige(&samples, &model(), KrigingKind::Ordinary, &nb, &t, None);
    let block = qaita_geostat::kriging::Block {
        size: [20.0, 20.0, 1.0],
        nodes: [4, 4, 1],
    };
    let blk = krige(
        &samples,
        &model(),
        KrigingKind::Ordinary,
        &nb,
        &t,
        Some(&block),
    );
    assert!(blk[0].variance < point[0].variance);
}

#[test]
fn idw_nearest_and_cross_validation() {
    let (points, values) = scattered(50);
    let samples = Samples::new(points.clone(), values.clone()).unwrap();
    let nb = Neighbourhood {
        min: 1,
        max: 12,
        radius: 300.0,
        per_octant: Some(3),
    };
    let at_data = idw(&samples, &nb, &points[..5], 2.0);
    for (e, v) in at_data.iter().zip(&values) {
        assert_eq!(e.value, *v);
    }
    let nn = nearest(&samples, 1000.0, &[[points[3][0] + 0.1, points[3][1], 0.0]]);
    assert_eq!(nn[0].value, values[3]);
    let cv = cross_validate(&samples, &model(), KrigingKind::Ordinary, &nb);
    assert_eq!(cv.estimated + cv.failed, 50);
    assert!(
        cv.rmse > 0.0 && cv.rmse < 1.0 && cv.mean_error.abs() < 0.2,
        "{cv:?}"
    );
}

#[test]
fn cross_validation_of_idw_and_nearest_leaves_the_sample_out() {
    let (points, values) = scattered(50);
    let samples = Samples::new(points, values).unwrap();
    let nb = Neighbourhood {
        min: 1,
        max: 12,
        radius: 300.0,
        per_octant: None,
    };
    for estimator in [Estimator::Idw { power: 2.0 }, Estimator::Nearest] {
        let cv = cross_validate_with(&samples, &model(), estimator, &nb);
        assert_eq!(cv.estimated, 50);
        // Had the sample itself been used, every error would be zero.
        assert!(cv.rmse > 0.01, "{estimator:?}: {cv:?}");
        assert!(cv.mean_standardised_squared_error.is_nan());
    }
}

#[test]
fn ellipsoid_search_prefers_the_major_axis_and_octants_are_counted() {
    // Samples 30 m north and ~11 m east-south-east of the origin: a north-south ellipsoid of
    // 100 x 10 m sees the northern one as nearer (0.3 of its radius) than the other (~1.0).
    let points = vec![[0.0, 30.0, 0.0], [10.0, -5.0, 0.0], [-40.0, -40.0, 0.0]];
    let values = vec![1.0, 2.0, 3.0];
    let ellipsoid = Anisotropy {
        range_major: 100.0,
        range_minor: 10.0,
        range_vertical: 10.0,
        azimuth: 0.0,
        dip: 0.0,
        rake: 0.0,
    };
    let one = Neighbourhood {
        min: 1,
        max: 1,
        radius: 1000.0,
        per_octant: None,
    };
    let round = Samples::new(points.clone(), values.clone()).unwrap();
    let stretched = Samples::with_search(points, values, Some(ellipsoid)).unwrap();
    let target = [0.0, 0.0, 0.0];
    assert_eq!(round.neighbours(&target, &one, None)[0].0, 1);
    let (nearest, distance) = stretched.neighbours(&target, &one, None)[0];
    assert_eq!(nearest, 0);
    assert!((distance - 30.0).abs() < 1e-9, "{distance}");
    // All three samples: the north-east, south-east and south-west quadrants are occupied
    // (a coordinate equal to the target's counts as east / north / above).
    let all = Neighbourhood { max: 3, ..one };
    let e = &idw(&round, &all, &[target], 2.0)[0];
    assert_eq!(e.samples, 3);
    assert_eq!(e.octants, 3);
}

#[test]
fn updated_factorisations_equal_a_dense_solve_along_a_grid_run() {
    // A moving 12-sample neighbourhood along a fine run of targets: consecutive targets swap a
    // sample or two, so the factor is updated rather than rebuilt; every estimate must still
    // equal a dense solve over exactly its own neighbours.
    let (points, values) = scattered(400);
    let m = model();
    let samples = Samples::new(points.clone(), values.clone()).unwrap();
    let nb = Neighbourhood {
        min: 12,
        max: 12,
        radius: f64::INFINITY,
        per_octant: None,
    };
    let targets: Vec<Point> = (0..600)
        .map(|i| [20.0 + 0.3 * i as f64, 100.0 + 0.1 * i as f64, 0.0])
        .collect();
    let run = krige(&samples, &m, KrigingKind::Ordinary, &nb, &targets, None);
    let mut changed = 0;
    let mut previous: Vec<usize> = Vec::new();
    for (t, est) in targets.iter().zip(&run) {
        let near: Vec<usize> = samples
            .neighbours(t, &nb, None)
            .iter()
            .map(|(s, _)| *s)
            .collect();
        let mut set = near.clone();
        set.sort_unstable();
        if !previous.is_empty() && set != previous {
            changed += 1;
        }
        previous = set;
        let p: Vec<Point> = near.iter().map(|s| points[*s]).collect();
        let v: Vec<f64> = near.iter().map(|s| values[*s]).collect();
        let (value, variance) = dense_ok(&p, &v, &m, t);
        assert!((est.value - value).abs() < 1e-9, "{} vs {value}", est.value);
        assert!((est.variance - variance).abs() < 1e-9);
    }
    assert!(
        changed > 50,
        "the run must exercise the updates ({changed} changes)"
    );
}
