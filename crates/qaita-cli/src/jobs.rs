//! `qaita worker` (run background jobs from the database's queue) and `qaita job` (list, show,
//! queue and cancel jobs; recurring schedules).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use qaita_app::jobs::{WorkerEvent, WorkerOptions, Workers};
use qaita_app::{AppConfig, DataPaths};
use qaita_store::{JobRecord, NewJob, ScheduleOptions, Store};

use crate::exit;
use crate::output::{print_json, table};

#[derive(Args)]
pub struct WorkerArgs {
    /// Jobs run at once.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// A job whose worker has not renewed its lease for this long is run by another, seconds.
    #[arg(long, default_value_t = 30.0)]
    lease_seconds: f64,
    /// How often an idle worker looks for jobs, ms.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// Attempts before a job whose workers keep dying fails.
    #[arg(long, default_value_t = 3)]
    max_attempts: i64,
    /// Settlements CSV replacing the bundled GeoNames extract (as `qaita serve`).
    #[arg(long)]
    settlements: Option<PathBuf>,
    /// Economic data directory replacing the bundled deck (as `qaita serve`).
    #[arg(long)]
    econ_data: Option<PathBuf>,
    /// Planning data directory (as `qaita serve`).
    #[arg(long)]
    plan_data: Option<PathBuf>,
}

/// Run jobs until SIGTERM or Ctrl-C, then let the running ones finish.
pub fn worker(db: &str, args: WorkerArgs) -> Result<u8> {
    if db == ":memory:" {
        bail!("qaita worker needs the database file or postgres:// URL the servers use");
    }
    if args.workers == 0 {
        bail!("--workers must be at least 1");
    }
    if !(args.lease_seconds >= 0.5 && args.lease_seconds.is_finite()) {
        bail!("--lease-seconds must be at least 0.5");
    }
    // Open (and migrate) once up front, so a wrong --db fails at once rather than in a retry loop.
    Store::open(db)
        .with_context(|| format!("cannot open database {}", qaita_server::redact(db)))?;
    let config = Arc::new(AppConfig::load(&DataPaths {
        econ: args.econ_data,
        plan: args.plan_data,
        settlements: args.settlements,
    })?);
    let kinds = qaita_app::job_kinds();
    let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
    let options = WorkerOptions {
        workers: args.workers,
        lease_seconds: args.lease_seconds,
        poll: Duration::from_millis(args.poll_ms.max(10)),
        max_attempts: args.max_attempts.max(1),
        ..WorkerOptions::default()
    };
    eprintln!(
        "qaita worker {} on {}: {} at once, lease {} s, kinds {}",
        options.name,
        qaita_server::redact(db),
        options.workers,
        options.lease_seconds,
        names.join(", ")
    );
    let workers = Workers::start(db, config, kinds, options, print_event)
        .context("cannot start the worker threads")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal handler")?;
    runtime.block_on(async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        Ok::<(), std::io::Error>(())
    })?;
    eprintln!("qaita worker: stopping after the jobs running now");
    workers.stop();
    Ok(exit::OK)
}

fn print_event(worker: &str, event: &WorkerEvent) {
    match event {
        WorkerEvent::Started { job, kind, attempt } => {
            eprintln!("{worker}: job {job} ({kind}) started, attempt {attempt}")
        }
        WorkerEvent::Succeeded { job, seconds } => {
            eprintln!("{worker}: job {job} succeeded in {seconds:.2} s")
        }
        WorkerEvent::Failed { job, error, retry } => eprintln!(
            "{worker}: job {job} failed{}: {error}",
            if *retry { " (will retry)" } else { "" }
        ),
        WorkerEvent::Lost { job } => {
            eprintln!("{worker}: job {job} lost its lease; its outcome is left to its new worker")
        }
        WorkerEvent::Unavailable { error } => eprintln!("{worker}: database unavailable: {error}"),
    }
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// Jobs, newest first, and counts by status.
    List {
        /// Only this owner's.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// One job with its input, result or error.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Queue a job (kinds: `qaita job kinds`); a worker runs it.
    Add {
        kind: String,
        /// The job's input as JSON (what the API would queue), e.g. '{"millis": 100}' for a probe.
        #[arg(long, default_value = "{}")]
        input: String,
        #[arg(long, default_value_t = 3)]
        max_attempts: i64,
    },
    /// Cancel a job that has not finished.
    Cancel { id: i64 },
    /// The job kinds this build runs.
    Kinds,
    /// Recurring jobs: add, list, remove.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
}

#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Run a job every period (e.g. a daily forecast): whichever worker polls first when it is
    /// due queues it, once.
    Add {
        name: String,
        kind: String,
        /// Period: a number with s, m, h or d (`1d`, `6h`, `90s`).
        #[arg(long)]
        every: String,
        /// First run, RFC 3339 (default now), e.g. 2026-12-04T06:00:00Z.
        #[arg(long)]
        first: Option<String>,
        #[arg(long, default_value = "{}")]
        input: String,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    Remove {
        name: String,
    },
}

/// `90s`, `15m`, `6h`, `1d` in seconds.
fn period_seconds(text: &str) -> Result<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number
        .parse()
        .map_err(|_| anyhow!("--every '{text}': expected a whole number with s, m, h or d"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("--every '{text}': the unit must be s, m, h or d"),
    };
    if n < 1 {
        bail!("--every '{text}': must be positive");
    }
    Ok(n * scale)
}

fn parse_input(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| anyhow!("--input is not JSON: {e}"))
}

fn known_kind(kind: &str) -> Result<()> {
    let kinds = qaita_app::job_kinds();
    if kinds.iter().any(|k| k.name == kind) {
        return Ok(());
    }
    let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
    bail!("no job kind '{kind}' (kinds: {})", names.join(", "))
}

fn print_jobs(jobs: &[JobRecord]) {
    let mut t = table(&[
        "id", "kind", "owner", "status", "progress", "attempts", "created", "worker",
    ]);
    for j in jobs {
        t.add_row(vec![
            j.id.to_string(),
            j.kind.clone(),
            j.owner.clone(),
            format!("{:?}", j.status).to_lowercase(),
            format!("{}/{}", j.done, j.total),
            format!("{}/{}", j.attempts, j.max_attempts),
            j.created_at.clone(),
            j.worker.clone().unwrap_or_default(),
        ]);
    }
    println!("{t}");
}

pub fn job(store: &mut Store, actor: &str, command: JobCommand) -> Result<u8> {
    match command {
        JobCommand::List { owner, limit, json } => {
            let jobs = store.jobs(owner.as_deref(), limit)?;
            if json {
                print_json(&jobs)?;
            } else {
                print_jobs(&jobs);
                let counts: Vec<String> = store
                    .job_counts()?
                    .into_iter()
                    .map(|(s, n)| format!("{n} {s}"))
                    .collect();
                println!("all jobs: {}", counts.join(", "));
            }
        }
        JobCommand::Show { id, json } => {
            let Some(job) = store.job(id)? else {
                eprintln!("no job {id}");
                return Ok(exit::NOT_FOUND);
            };
            if json {
                print_json(&job)?;
            } else {
                print_jobs(std::slice::from_ref(&job));
                println!("input: {}", job.input);
                if let Some(e) = &job.error {
                    println!("error: {e}");
                }
                if let Some(r) = &job.result {
                    println!("result: {}", serde_json::to_string_pretty(r)?);
                }
                for (name, kind, bytes) in store.job_files(id)? {
                    println!("file: {name} ({kind}, {bytes} bytes)");
                }
            }
        }
        JobCommand::Add {
            kind,
            input,
            max_attempts,
        } => {
            known_kind(&kind)?;
            let input = parse_input(&input)?;
            let job = store.enqueue_job(&NewJob {
                kind: &kind,
                owner: actor,
                input: &input,
                total: 0,
                max_attempts,
            })?;
            println!("job {} ({kind}) queued", job.id);
        }
        JobCommand::Cancel { id } => {
            if store.cancel_job(id)? {
                println!("job {id} cancelled");
            } else {
                eprintln!("job {id} does not exist or has finished");
                return Ok(exit::NOT_FOUND);
            }
        }
        JobCommand::Kinds => {
            for k in qaita_app::job_kinds() {
                println!("{}", k.name);
            }
        }
        JobCommand::Schedule(ScheduleCommand::Add {
            name,
            kind,
            every,
            first,
            input,
        }) => {
            known_kind(&kind)?;
            let every_seconds = period_seconds(&every)?;
            let first = first
                .map(|f| {
                    chrono::DateTime::parse_from_rfc3339(&f)
                        .map(|t| {
                            t.with_timezone(&chrono::Utc)
                                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        })
                        .map_err(|e| anyhow!("--first '{f}': {e} (expected RFC 3339)"))
                })
                .transpose()?;
            let input = parse_input(&input)?;
            let s = store.add_job_schedule(&ScheduleOptions {
                name: &name,
                kind: &kind,
                owner: actor,
                input: &input,
                every_seconds,
                first_run_at: first.as_deref(),
            })?;
            println!(
                "schedule {} ({}) every {} s, next run {}",
                s.name, s.kind, s.every_seconds, s.next_run_at
            );
        }
        JobCommand::Schedule(ScheduleCommand::List { json }) => {
            let all = store.job_schedules()?;
            if json {
                print_json(&all)?;
            } else {
                let mut t = table(&["name", "kind", "owner", "every (s)", "next run", "last job"]);
                for s in &all {
                    t.add_row(vec![
                        s.name.clone(),
                        s.kind.clone(),
                        s.owner.clone(),
                        s.every_seconds.to_string(),
                        s.next_run_at.clone(),
                        s.last_job_id.map(|j| j.to_string()).unwrap_or_default(),
                    ]);
                }
                println!("{t}");
            }
        }
        JobCommand::Schedule(ScheduleCommand::Remove { name }) => {
            if store.remove_job_schedule(&name)? {
                println!("schedule {name} removed");
            } else {
                eprintln!("no schedule {name}");
                return Ok(exit::NOT_FOUND);
            }
        }
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::period_seconds;

    #[test]
    fn periods_parse_with_units_and_reject_the_rest() {
        assert_eq!(period_seconds("90s").unwrap(), 90);
        assert_eq!(period_seconds("6h").unwrap(), 21_600);
        assert_eq!(period_seconds("1d").unwrap(), 86_400);
        assert!(period_seconds("1w").is_err());
        assert!(period_seconds("0m").is_err());
        assert!(period_seconds("d").is_err());
    }
}
