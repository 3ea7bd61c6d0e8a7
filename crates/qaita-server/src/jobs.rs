//! Background jobs as clients see them. Jobs live in the database (`qaita_store` jobs domain):
//! any server process sharing it accepts a job and answers for it, and any worker (in a
//! server, `--job-workers`, or a `qaita worker` process) runs it. See `qaita_app::jobs`.

use qaita_store::{JobRecord, JobStatus, NewJob};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, Problem};

/// A job as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    /// valuation, policy, schedule, scenarios, report, estimate, probe.
    pub kind: String,
    /// queued, running, succeeded, failed, cancelled.
    #[schema(value_type = String, example = "running")]
    pub status: JobStatus,
    /// Who started it.
    pub owner: String,
    /// Steps done of `total`.
    pub done: i64,
    pub total: i64,
    /// Attempts so far (a job whose worker died is tried again, up to `max_attempts`).
    pub attempts: i64,
    pub max_attempts: i64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Why it failed (or, while queued for a retry, why the last attempt failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the result is, once it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    /// The worker that runs (or ran) it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// The schedule that made it, for recurring jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_id: Option<i64>,
}

impl From<&JobRecord> for JobView {
    fn from(r: &JobRecord) -> Self {
        JobView {
            id: r.id,
            kind: r.kind.clone(),
            status: r.status,
            owner: r.owner.clone(),
            done: r.done,
            total: r.total,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            created_at: r.created_at.clone(),
            started_at: r.started_at.clone(),
            finished_at: r.finished_at.clone(),
            error: r.error.clone(),
            result_url: (r.status == JobStatus::Succeeded)
                .then(|| format!("/api/v1/jobs/{}/result", r.id)),
            worker: r.worker.clone(),
            schedule_id: r.schedule_id,
        }
    }
}

impl AppState {
    /// Queue a job of `kind` with its checked `input`; it runs on whichever worker is free.
    pub async fn enqueue(
        &self,
        kind: &'static str,
        owner: &str,
        input: serde_json::Value,
        total: i64,
    ) -> Result<JobView, Problem> {
        let owner = owner.to_string();
        let max_attempts = self.config().job_max_attempts;
        let record = self
            .db(move |s| {
                Ok(s.enqueue_job(&NewJob {
                    kind,
                    owner: &owner,
                    input: &input,
                    total,
                    max_attempts,
                })?)
            })
            .await?;
        self.wake_workers();
        Ok(JobView::from(&record))
    }
}
