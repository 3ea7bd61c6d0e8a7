//! Durable background jobs: what a job kind is, the context it runs in, and the workers that
//! take jobs from the store's queue (`qaita serve` runs some in-process, `qaita worker` runs
//! them on their own, on as many machines as share the database).
//!
//! A job kind is a name and a function from its JSON input to a result (and files). Domain
//! modules define their kinds; the crate root lists them all in [`crate::job_kinds`]. A kind
//! must tolerate running again after its worker died mid-job (the queue retries it): its
//! committed outcome is exactly once (the store fences late writers), side effects written
//! before completion are at least once unless the kind checks for its earlier attempt's work
//! (the valuation and estimate kinds do, by job id).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use qaita_store::{ClaimedJob, JobFileData, Store, StoreError};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AppConfig;

/// Progress of a running attempt, shared with the thread renewing its lease.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicI64,
    total: AtomicI64,
    lost: AtomicBool,
}

impl Progress {
    pub fn advance(&self, steps: u64) {
        self.done.fetch_add(steps as i64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> (i64, i64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// What a running job sees.
pub struct JobContext<'a> {
    pub store: &'a mut Store,
    pub config: &'a AppConfig,
    pub job_id: i64,
    pub owner: &'a str,
    pub attempt: i64,
    progress: &'a Progress,
}

impl<'a> JobContext<'a> {
    /// The progress counter on its own, for reporting while the store is lent out.
    pub fn progress(&self) -> &'a Progress {
        self.progress
    }

    pub fn set_total(&self, steps: u64) {
        self.progress.total.store(steps as i64, Ordering::Relaxed);
    }

    pub fn advance(&self, steps: u64) {
        self.progress
            .done
            .fetch_add(steps as i64, Ordering::Relaxed);
    }

    /// The attempt lost its lease (another worker took the job, or it was cancelled): stop
    /// early; nothing it returns will be recorded.
    pub fn lost(&self) -> bool {
        self.progress.lost.load(Ordering::Relaxed)
    }
}

/// A job's result and the files it made.
pub struct JobOutput {
    pub result: Value,
    pub files: Vec<JobFileData>,
}

impl From<Value> for JobOutput {
    fn from(result: Value) -> Self {
        JobOutput {
            result,
            files: Vec::new(),
        }
    }
}

/// Why a job did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The input or the data does not allow it (running again gives the same answer).
    #[error("{0}")]
    Invalid(String),
    /// Something passing went wrong (the database went away): worth another attempt.
    #[error("{0}")]
    Transient(String),
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast_ref::<StoreError>() {
            Some(StoreError::Postgres(_)) | Some(StoreError::Sqlite(_)) => {
                JobError::Transient(format!("{e:#}"))
            }
            _ => JobError::Invalid(format!("{e:#}")),
        }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Postgres(_) | StoreError::Sqlite(_) => JobError::Transient(e.to_string()),
            other => JobError::Invalid(other.to_string()),
        }
    }
}

/// A job's input, read back as the type its kind expects.
pub fn input<T: DeserializeOwned>(value: Value) -> Result<T, JobError> {
    serde_json::from_value(value).map_err(|e| JobError::Invalid(format!("job input: {e}")))
}

pub type JobFn = fn(&mut JobContext<'_>, Value) -> Result<JobOutput, JobError>;

/// A kind of job.
#[derive(Clone, Copy)]
pub struct JobKind {
    pub name: &'static str,
    pub run: JobFn,
}

/// How workers run.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs run at once (one thread and two connections each).
    pub workers: usize,
    /// A job whose worker has not renewed its lease for this long is taken by another.
    pub lease_seconds: f64,
    /// How often an idle worker looks for work (a job queued in this process wakes it at once).
    pub poll: Duration,
    /// Attempts before a job is failed for good (new jobs and scheduled ones).
    pub max_attempts: i64,
    /// Worker names are `{name}:{n}`; unique per process.
    pub name: String,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            workers: 1,
            lease_seconds: 30.0,
            poll: Duration::from_millis(500),
            max_attempts: 3,
            name: default_worker_name(),
        }
    }
}

/// `host:pid`, so a job's `worker` says where it ran.
pub fn default_worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// What a worker reports as it goes (the CLI prints it; the server logs it).
#[derive(Debug, Clone)]
pub enum WorkerEvent {
    Started {
        job: i64,
        kind: String,
        attempt: i64,
    },
    Succeeded {
        job: i64,
        seconds: f64,
    },
    Failed {
        job: i64,
        error: String,
        retry: bool,
    },
    /// The attempt lost its lease; its outcome was not recorded.
    Lost {
        job: i64,
    },
    /// The database could not be reached; the worker retries.
    Unavailable {
        error: String,
    },
}

type Listener = Arc<dyn Fn(&str, &WorkerEvent) + Send + Sync>;

struct Shared {
    stop: AtomicBool,
    /// Bumped when a job is queued in this process, to wake idle workers early.
    wake: Mutex<u64>,
    signal: Condvar,
}

/// Worker threads taking jobs from the queue.
pub struct Workers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Start `options.workers` threads on the database `db`, running `kinds`.
    pub fn start(
        db: &str,
        config: Arc<AppConfig>,
        kinds: Vec<JobKind>,
        options: WorkerOptions,
        listener: impl Fn(&str, &WorkerEvent) + Send + Sync + 'static,
    ) -> std::io::Result<Workers> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            wake: Mutex::new(0),
            signal: Condvar::new(),
        });
        let kinds = Arc::new(kinds);
        let listener: Listener = Arc::new(listener);
        let mut workers = Workers {
            shared: shared.clone(),
            threads: Vec::with_capacity(options.workers),
        };
        for n in 0..options.workers {
            let worker = Worker {
                name: format!("{}:{n}", options.name),
                db: db.to_string(),
                config: config.clone(),
                kinds: kinds.clone(),
                options: options.clone(),
                shared: shared.clone(),
                listener: listener.clone(),
            };
            // A thread that cannot start stops the ones already started (Drop) and says why.
            let thread = std::thread::Builder::new()
                .name(format!("qaita-worker-{n}"))
                .spawn(move || worker.run())?;
            workers.threads.push(thread);
        }
        Ok(workers)
    }

    /// A job was queued: wake idle workers now rather than at their next poll.
    pub fn wake(&self) {
        if let Ok(mut n) = self.shared.wake.lock() {
            *n += 1;
        }
        self.shared.signal.notify_all();
    }

    /// Let running jobs finish, then stop.
    pub fn stop(mut self) {
        self.signal_stop();
        for t in std::mem::take(&mut self.threads) {
            let _ = t.join();
        }
    }

    fn signal_stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.signal.notify_all();
    }
}

impl Drop for Workers {
    /// Dropped without [`Workers::stop`]: the threads stop after their current job.
    fn drop(&mut self) {
        self.signal_stop();
    }
}

struct Worker {
    name: String,
    db: String,
    config: Arc<AppConfig>,
    kinds: Arc<Vec<JobKind>>,
    options: WorkerOptions,
    shared: Arc<Shared>,
    listener: Listener,
}

impl Worker {
    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
    }

    fn emit(&self, event: WorkerEvent) {
        (self.listener)(&self.name, &event);
    }

    /// Sleep until the next poll, a wake-up or the stop.
    fn idle(&self, seen: &mut u64) {
        let Ok(guard) = self.shared.wake.lock() else {
            return;
        };
        if *guard != *seen {
            *seen = *guard;
            return;
        }
        if let Ok((guard, _)) = self.shared.signal.wait_timeout(guard, self.options.poll) {
            *seen = *guard;
        }
    }

    fn connect(&self) -> Option<(Store, Store)> {
        let open = || -> Result<(Store, Store), StoreError> {
            Ok((Store::open(&self.db)?, Store::open(&self.db)?))
        };
        loop {
            match open() {
                Ok(stores) => return Some(stores),
                Err(e) => {
                    self.emit(WorkerEvent::Unavailable {
                        error: e.to_string(),
                    });
                    let deadline = Instant::now() + Duration::from_secs(2);
                    while Instant::now() < deadline {
                        if self.stopping() {
                            return None;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        }
    }

    fn run(self) {
        let names: Vec<&str> = self.kinds.iter().map(|k| k.name).collect();
        let mut seen = 0;
        let mut stores = None;
        while !self.stopping() {
            if stores.is_none() {
                stores = self.connect();
            }
            let Some((store, beat)) = stores.as_mut() else {
                return;
            };
            let claimed = store
                .enqueue_due_schedules(&names, self.options.max_attempts)
                .and_then(|_| store.claim_job(&self.name, &names, self.options.lease_seconds));
            match claimed {
                Ok(Some(claim)) => {
                    if let Err(e) = self.run_claimed(store, beat, claim) {
                        self.emit(WorkerEvent::Unavailable {
                            error: e.to_string(),
                        });
                    }
                }
                Ok(None) => self.idle(&mut seen),
                Err(e) => {
                    self.emit(WorkerEvent::Unavailable {
                        error: e.to_string(),
                    });
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
            if store.is_closed() || beat.is_closed() {
                stores = None;
            }
        }
    }

    /// Run one attempt, renewing its lease from a second connection, and record its outcome.
    fn run_claimed(
        &self,
        store: &mut Store,
        beat: &mut Store,
        claim: ClaimedJob,
    ) -> Result<(), StoreError> {
        let job = claim.job.id;
        self.emit(WorkerEvent::Started {
            job,
            kind: claim.job.kind.clone(),
            attempt: claim.attempt,
        });
        let started = Instant::now();
        let progress = Progress::default();
        progress.total.store(claim.job.total, Ordering::Relaxed);
        let kind = self
            .kinds
            .iter()
            .find(|k| k.name == claim.job.kind)
            .copied();
        let lease = self.options.lease_seconds;
        // Renew often enough that two missed beats still leave the lease alive.
        let interval = Duration::from_secs_f64((lease / 3.0).clamp(0.05, 2.0));
        let (finished_tx, finished_rx) = std::sync::mpsc::channel::<()>();
        let outcome = std::thread::scope(|scope| {
            let progress = &progress;
            let claim = &claim;
            scope.spawn(move || {
                let mut last = None;
                loop {
                    match finished_rx.recv_timeout(interval) {
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    let now = progress.snapshot();
                    let report = (last != Some(now)).then_some(now);
                    match beat.heartbeat_job(claim, lease, report) {
                        Ok(true) => last = Some(now),
                        Ok(false) => {
                            progress.lost.store(true, Ordering::Relaxed);
                            return;
                        }
                        // The database is away: the lease may run out; completion is fenced.
                        Err(_) => {}
                    }
                }
            });
            let outcome = match kind {
                None => Err(JobError::Invalid(format!(
                    "no job kind '{}' in this worker",
                    claim.job.kind
                ))),
                Some(kind) => {
                    let mut context = JobContext {
                        store: &mut *store,
                        config: &self.config,
                        job_id: job,
                        owner: &claim.job.owner,
                        attempt: claim.attempt,
                        progress,
                    };
                    let input = claim.job.input.clone();
                    std::panic::catch_unwind(AssertUnwindSafe(|| (kind.run)(&mut context, input)))
                        .unwrap_or_else(|panic| {
                            let text = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "unknown panic".into());
                            Err(JobError::Invalid(format!("the job panicked: {text}")))
                        })
                }
            };
            let _ = finished_tx.send(());
            outcome
        });
        if progress.lost.load(Ordering::Relaxed) {
            self.emit(WorkerEvent::Lost { job });
            return Ok(());
        }
        let recorded = match &outcome {
            Ok(output) => store.complete_job(&claim, &output.result, &output.files)?,
            Err(JobError::Invalid(e)) => store.fail_job(&claim, e, None)?,
            Err(JobError::Transient(e)) => {
                // 1 s, 4 s, 9 s, ...: a database restart has time to finish.
                let backoff = (claim.attempt * claim.attempt) as f64;
                store.fail_job(&claim, e, Some(backoff))?
            }
        };
        self.emit(match (recorded, outcome) {
            (false, _) => WorkerEvent::Lost { job },
            (true, Ok(_)) => WorkerEvent::Succeeded {
                job,
                seconds: started.elapsed().as_secs_f64(),
            },
            (true, Err(e)) => WorkerEvent::Failed {
                job,
                retry: matches!(e, JobError::Transient(_))
                    && claim.attempt < claim.job.max_attempts,
                error: e.to_string(),
            },
        });
        Ok(())
    }
}

/// The probe kind: sleeps `millis` in `steps` steps and returns who ran it. For checking a
/// deployment (`qaita job add probe`) and for the scale-out tests.
pub fn probe(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        #[serde(default)]
        millis: u64,
        #[serde(default = "one")]
        steps: u64,
        #[serde(default)]
        tag: Option<String>,
        /// Fail with this message instead (for testing failure paths).
        #[serde(default)]
        fail: Option<String>,
    }
    fn one() -> u64 {
        1
    }
    let probe: Probe = input(value)?;
    let steps = probe.steps.clamp(1, 10_000);
    context.set_total(steps);
    for _ in 0..steps {
        if context.lost() {
            break;
        }
        std::thread::sleep(Duration::from_millis(probe.millis / steps));
        context.advance(1);
    }
    if let Some(message) = probe.fail {
        return Err(JobError::Invalid(message));
    }
    Ok(serde_json::json!({
        "job": context.job_id, "attempt": context.attempt, "tag": probe.tag,
        "worker_pid": std::process::id(),
    })
    .into())
}

pub const PROBE: JobKind = JobKind {
    name: "probe",
    run: probe,
};
