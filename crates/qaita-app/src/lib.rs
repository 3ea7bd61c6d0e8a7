//! What the `qaita` CLI and the HTTP server both do, written once: the TMF document with its
//! derived figures (`qaita show --json` and `GET /api/v1/tmfs/{id}`), valuation runs and resource
//! estimates as stored,
//! the settlement index and national plans (ranking, roadmap, schedule, scenarios, reports). Thin over the computation crates and the store; no printing, no
//! HTTP.

pub mod document;
pub mod estimate;
pub mod plan;
pub mod proximity;
pub mod settlements;
pub mod valuation;
