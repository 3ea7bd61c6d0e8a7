//! Resource estimation for TMFs: variography and kriging. Pure computation on plain data
//! (projected coordinates in metres, values as numbers); no files, database or HTTP.
//!
//! ```
//! use qaita_geostat::kriging::{KrigingKind, Neighbourhood, Samples, krige};
//! use qaita_geostat::variogram::{Shape, VariogramModel};
//! let samples = Samples::new(vec![[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]], vec![1.0, 3.0]).unwrap();
//! let model = VariogramModel::isotropic(Shape::Spherical, 0.0, 1.0, 50.0);
//! let e = krige(&samples, &model, KrigingKind::Ordinary, &Neighbourhood::global(2), &[[5.0, 0.0, 0.0]], None);
//! assert!((e[0].value - 2.0).abs() < 1e-12);
//! ```

pub mod blockmodel;
pub mod crs;
pub mod kriging;
pub mod sampling;
pub mod variogram;
