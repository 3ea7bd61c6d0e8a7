//! National prioritisation and roadmap for Kazakhstan's technogenic mineral formations (TMFs).
//!
//! Pure computation over plain data ([`PlanTmf`]): no files, database or HTTP. The front end
//! builds the inputs from the registry, its stored valuations and resource estimates and the
//! proximity assessment, and writes what comes back (tables, JSON, SVG charts, HTML and PDF
//! bytes).
//!
//! - [`rank`]: multi-criteria ranking (economic, exposure, hazard, strategic content, resource
//!   confidence, legal readiness), each score explained by its parts, with its stability under
//!   perturbed weights;
//! - [`removal`]: the programme for TMFs in or next to settlements, with the net cost or value
//!   of removing each;
//! - [`roadmap`]: contained rare and rare-earth metals by TMF and region, candidates, routes and
//!   a timeline;
//! - [`scenario`]: national stock and flow 2025-2050 under scenarios;
//! - [`schedule`]: which projects to start in which year, as a MILP (HiGHS, or microlp) against
//!   greedy-by-rank, under capital budget, regional capacity and precedence;
//! - [`report`]: a national report and per-TMF fact sheets as HTML and PDF (typst).
//!
//! ```
//! use qaita_plan::{config::RankingConfig, rank::rank};
//! let ranking = rank(&[], &RankingConfig::bundled());
//! assert!(ranking.rows.is_empty());
//! ```

pub mod config;
pub mod hazard;
pub mod input;
pub mod rank;
pub mod removal;
pub mod report;
pub mod roadmap;
pub mod scenario;
pub mod schedule;

pub use input::{EstimateClass, PlanTmf, ProximityFacts, ValuationFacts};

/// Errors of the planner: bad planning data, or a solver failure.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A planning file (or its bundled default) is invalid.
    #[error("{file}: field '{field}': {reason}")]
    Data {
        file: String,
        field: String,
        reason: String,
    },
    /// A setting passed by the caller is out of range.
    #[error("{0}")]
    Setting(String),
    /// The MILP solver failed (not: found no better schedule than greedy).
    #[error("MILP solver {solver}: {reason}")]
    Solver {
        solver: &'static str,
        reason: String,
    },
    /// The PDF could not be typeset.
    #[error("report typesetting failed: {0}")]
    Typeset(String),
    #[error("chart: {0}")]
    Chart(#[from] qaita_charts::ChartError),
}
