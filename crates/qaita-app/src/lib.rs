//! What the `qaita` CLI, the HTTP server and the workers all do, written once: the TMF document
//! with its derived figures (`qaita show --json` and `GET /api/v1/tmfs/{id}`), valuation runs and
//! resource estimates as stored, the settlement index, national plans (ranking, roadmap,
//! schedule, scenarios, reports) and the durable background jobs that run the long ones. Thin
//! over the computation crates and the store; no printing, no HTTP.
//!
//! Each domain module defines its job kinds (`JOB_KINDS`); [`job_kinds`] lists them all, so a
//! new domain adds one line there and touches no other domain's module.

pub mod document;
pub mod estimate;
pub mod jobs;
pub mod plan;
pub mod proximity;
pub mod settlements;
pub mod valuation;

use std::path::Path;

use anyhow::Result;
use qaita_risk::proximity::{ProximityConfig, SettlementIndex};

/// Data every use case may need, loaded once per process (server or worker).
pub struct AppConfig {
    pub econ: valuation::EconData,
    pub plan: plan::PlanConfig,
    pub settlements: SettlementIndex,
}

/// Where replacements for the bundled data are (`--econ-data`, `--plan-data`, `--settlements`).
#[derive(Debug, Clone, Default)]
pub struct DataPaths {
    pub econ: Option<std::path::PathBuf>,
    pub plan: Option<std::path::PathBuf>,
    pub settlements: Option<std::path::PathBuf>,
}

impl AppConfig {
    pub fn load(paths: &DataPaths) -> Result<AppConfig> {
        Ok(AppConfig {
            econ: valuation::load(paths.econ.as_deref())?,
            plan: plan::PlanConfig::load(paths.plan.as_deref())?,
            settlements: settlements::index(
                paths.settlements.as_deref().map(Path::new),
                ProximityConfig::default(),
            )?,
        })
    }
}

/// Every job kind a worker of this build runs.
pub fn job_kinds() -> Vec<jobs::JobKind> {
    [jobs::PROBE]
        .into_iter()
        .chain(valuation::JOB_KINDS.iter().copied())
        .chain(estimate::JOB_KINDS.iter().copied())
        .chain(plan::JOB_KINDS.iter().copied())
        .collect()
}
