//! The `estimate` job: what `POST /tmfs/{id}/resource-estimates` queues. Its input names the
//! TMF and the uploads (stored in the database, so any worker reads them); its result is the
//! document `qaita estimate --json` prints plus the blocks as GeoJSON and the stored version.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EstimateError, EstimateRequest, Inputs, Named, RESOURCE_ESTIMATE, STEPS, run};
use crate::jobs::{self, JobContext, JobError, JobKind, JobOutput};

/// Input of the `estimate` job (the server has checked the uploads are the owner's).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateJob {
    pub tmf_id: i64,
    pub request: EstimateRequest,
}

impl From<EstimateError> for JobError {
    fn from(e: EstimateError) -> Self {
        match e {
            EstimateError::Rejected(problems) => JobError::Invalid(format!(
                "the sampling data are rejected: {}",
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            EstimateError::Invalid { field, message } => {
                JobError::Invalid(format!("{field}: {message}"))
            }
            EstimateError::Other(e) => e.into(),
        }
    }
}

fn run_estimate_job(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    let job: EstimateJob = jobs::input(value)?;
    context.set_total(STEPS);
    let stored = context
        .store
        .get(job.tmf_id)?
        .ok_or_else(|| JobError::Invalid(format!("TMF {} no longer exists", job.tmf_id)))?;
    let mut read = |field: &str, id: Option<i64>| -> Result<Option<Named>, JobError> {
        let Some(id) = id else { return Ok(None) };
        let upload = context.store.upload(id)?.ok_or_else(|| {
            JobError::Invalid(format!("{field}: upload {id} no longer exists (pruned)"))
        })?;
        Ok(Some(Named {
            name: upload.info.name,
            bytes: upload.bytes,
        }))
    };
    let inputs = Inputs {
        samples: read("samples", job.request.samples)?,
        collars: read("collars", job.request.collars)?,
        surveys: read("surveys", job.request.surveys)?,
        intervals: read("intervals", job.request.intervals)?,
        ..Inputs::default()
    };
    // An earlier attempt of this job that stored its version before its worker died: compute
    // again (the same numbers: the estimate is deterministic) without storing a second one.
    let job_id = context.job_id;
    let earlier = context
        .store
        .analyses(stored.id, RESOURCE_ESTIMATE)?
        .into_iter()
        .find(|a| a.parameters["job"].as_i64() == Some(job_id));
    let mut request = job.request.clone();
    if earlier.is_some() {
        request.store = false;
    }
    let mut done = 0;
    let progress = context.progress();
    let estimated = run(
        context.store,
        &stored,
        &request,
        &inputs,
        context.owner,
        Some(job_id),
        &mut |step, _| {
            progress.advance(step.saturating_sub(done));
            done = step;
        },
    )?;
    let mut document = estimated.job_document()?;
    if let Some(a) = earlier {
        document["analysis"] = json!({"id": a.id, "version": a.version});
    }
    Ok(document.into())
}

pub const JOB_KINDS: &[JobKind] = &[JobKind {
    name: "estimate",
    run: run_estimate_job,
}];
