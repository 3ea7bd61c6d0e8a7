//! Background jobs: computations too long for a request (valuations with Monte Carlo, policy
//! sweeps, schedules, scenarios, reports). A job is queued, runs on the blocking pool (at most
//! `workers` at once, so requests keep their cores), reports progress, and keeps its result
//! (JSON, and files such as a report's PDF) for an hour. Jobs live in this process's memory:
//! results that matter (valuations) are also stored in the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use crate::Problem;

/// How long a finished job's result is kept.
const KEEP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// A job as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: u64,
    /// valuation, policy, schedule, scenarios, report.
    pub kind: String,
    pub status: JobStatus,
    /// Who started it.
    pub owner: String,
    /// Steps done of `total`.
    pub done: u64,
    pub total: u64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the result is, once it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
}

/// Progress a running job reports.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn advance(&self, steps: u64) {
        self.done.fetch_add(steps, Ordering::Relaxed);
    }
}

/// A file a job made (a report's HTML or PDF), downloaded from `/jobs/{id}/files/{name}`.
#[derive(Debug, Clone)]
pub struct JobFile {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Arc<Vec<u8>>,
}

struct Job {
    view: Mutex<JobView>,
    progress: Progress,
    result: Mutex<Option<serde_json::Value>>,
    files: Mutex<Vec<JobFile>>,
    finished: Mutex<Option<Instant>>,
}

impl Job {
    fn view(&self) -> JobView {
        let mut view = self
            .view
            .lock()
            .map(|v| v.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        view.done = self.progress.done.load(Ordering::Relaxed);
        view.total = self.progress.total.load(Ordering::Relaxed);
        view
    }

    fn update(&self, f: impl FnOnce(&mut JobView)) {
        let mut view = self.view.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut view);
    }
}

pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<Job>>>,
    workers: Arc<Semaphore>,
}

fn now() -> String {
    qaita_store::timestamp_in(chrono::Duration::zero())
}

impl Jobs {
    pub fn new(workers: usize) -> Self {
        Jobs {
            next: AtomicU64::new(1),
            jobs: Mutex::new(HashMap::new()),
            workers: Arc::new(Semaphore::new(workers)),
        }
    }

    /// Queue `work`; it runs on the blocking pool once a worker is free. Its `Ok` value is the
    /// result; its `Err` the job's error message.
    pub fn spawn<F>(&self, kind: &str, owner: &str, total: u64, work: F) -> JobView
    where
        F: FnOnce(&Progress) -> Result<serde_json::Value, Problem> + Send + 'static,
    {
        self.spawn_with_files(kind, owner, total, move |p| {
            work(p).map(|value| (value, Vec::new()))
        })
    }

    /// Like [`Jobs::spawn`], for work that also makes files.
    pub fn spawn_with_files<F>(&self, kind: &str, owner: &str, total: u64, work: F) -> JobView
    where
        F: FnOnce(&Progress) -> Result<(serde_json::Value, Vec<JobFile>), Problem> + Send + 'static,
    {
        self.prune();
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let job = Arc::new(Job {
            view: Mutex::new(JobView {
                id,
                kind: kind.to_string(),
                status: JobStatus::Queued,
                owner: owner.to_string(),
                done: 0,
                total,
                created_at: now(),
                started_at: None,
                finished_at: None,
                error: None,
                result_url: None,
            }),
            progress: Progress::default(),
            result: Mutex::new(None),
            files: Mutex::new(Vec::new()),
            finished: Mutex::new(None),
        });
        job.progress.set_total(total);
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(id, job.clone());
        }
        let workers = self.workers.clone();
        let view = job.view();
        tokio::spawn(async move {
            let Ok(_permit) = workers.acquire_owned().await else {
                return;
            };
            job.update(|v| {
                v.status = JobStatus::Running;
                v.started_at = Some(now());
            });
            let running = job.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&running.progress)))
            })
            .await;
            let outcome = match outcome {
                Ok(Ok(result)) => result,
                _ => Err(Problem::internal(format!("job {id} panicked"))),
            };
            match outcome {
                Ok((value, made)) => {
                    if let Ok(mut files) = job.files.lock() {
                        *files = made;
                    }
                    if let Ok(mut r) = job.result.lock() {
                        *r = Some(value);
                    }
                    job.update(|v| {
                        v.status = JobStatus::Succeeded;
                        v.result_url = Some(format!("/api/v1/jobs/{id}/result"));
                    });
                }
                Err(problem) => job.update(|v| {
                    v.status = JobStatus::Failed;
                    v.error = Some(problem.detail.clone().unwrap_or(problem.title.clone()));
                }),
            }
            job.update(|v| v.finished_at = Some(now()));
            if let Ok(mut f) = job.finished.lock() {
                *f = Some(Instant::now());
            }
        });
        view
    }

    pub fn view(&self, id: u64) -> Option<JobView> {
        self.jobs.lock().ok()?.get(&id).map(|j| j.view())
    }

    /// The result of a succeeded job.
    pub fn result(&self, id: u64) -> Option<serde_json::Value> {
        let job = self.jobs.lock().ok()?.get(&id).cloned()?;
        job.result.lock().ok()?.clone()
    }

    /// A file made by a succeeded job.
    pub fn file(&self, id: u64, name: &str) -> Option<JobFile> {
        let job = self.jobs.lock().ok()?.get(&id).cloned()?;
        let files = job.files.lock().ok()?;
        files.iter().find(|f| f.name == name).cloned()
    }

    /// Forget jobs finished more than [`KEEP`] ago.
    fn prune(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.retain(|_, j| {
                j.finished
                    .lock()
                    .map(|f| f.is_none_or(|t| t.elapsed() < KEEP))
                    .unwrap_or(true)
            });
        }
    }
}
