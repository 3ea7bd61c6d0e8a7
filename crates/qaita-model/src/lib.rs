//! Domain model of Qaita, the registry of Kazakhstan's technogenic mineral formations (TMFs).
//!
//! Plain data and rules only: no I/O, no database, no HTTP. Every figure is a [`Figure`] with a
//! [`Provenance`]; conflicting figures for one field are kept side by side with one current.
//!
//! ```
//! use qaita_model::units::{DecimalSeparator, Quantity};
//! let q = Quantity::parse("14.5 Mt", None, DecimalSeparator::Point).unwrap();
//! assert_eq!(q.canonical(), 14_500_000.0); // tonnes
//! ```

pub mod commodity;
pub mod diff;
pub mod geometry;
pub mod import;
pub mod provenance;
pub mod settlement;
pub mod stats;
pub mod tmf;
pub mod units;
pub mod vocab;

pub use commodity::Commodity;
pub use import::{
    Change, CurrentPolicy, ImportPlan, ImportPlanner, ImportRecord, Origin, Problem, RecordResult,
    StoredTmf,
};
pub use provenance::{Provenance, SourceDate};
pub use settlement::Settlement;
pub use tmf::{FieldError, Figure, FigureField, Location, Names, Tmf};
pub use units::{DecimalSeparator, Dimension, Quantity, Unit};
pub use vocab::{Confidence, Family, Kind, LegalClass, Region, Status};
