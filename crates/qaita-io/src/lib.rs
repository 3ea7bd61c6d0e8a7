//! File formats of Qaita. Reading gives a stream of [`qaita_model::ImportRecord`]s (or the
//! problems of each bad row); writing takes TMFs. No database access except the GeoPackage
//! writer's own file.
//!
//! The flat layout (one row per TMF) is shared by CSV, XLSX and GeoJSON properties, so an
//! export imports back unchanged: see [`flat`].

pub mod drillholes;
pub mod flat;
pub mod read;
pub mod samples;
pub mod settlements;
pub mod synthetic;
pub mod write;

pub use read::{Format, Input, ReadOptions, TextEncoding, read, read_bytes};
pub use write::{ExportError, write_csv, write_geojson, write_gpkg, write_rejects};
