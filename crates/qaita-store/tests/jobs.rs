//! The durable job queue on both backends: claims, leases, fencing, retries, files, schedules.

#[macro_use]
mod common;

use std::collections::HashSet;

use qaita_store::{JobFileData, JobStatus, NewJob, ScheduleOptions, Store};
use serde_json::json;

fn new_job<'a>(input: &'a serde_json::Value, max_attempts: i64) -> NewJob<'a> {
    NewJob {
        kind: "probe",
        owner: "analyst",
        input,
        total: 3,
        max_attempts,
    }
}

fn claim_complete_and_files(store: &mut Store) {
    let input = json!({"n": 1});
    let queued = store.enqueue_job(&new_job(&input, 3)).unwrap();
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!(queued.input, input);
    assert_eq!(queued.total, 3);
    // Kinds a worker does not know are left for one that does.
    assert!(store.claim_job("w1", &["other"], 30.0).unwrap().is_none());
    let claim = store.claim_job("w1", &["probe"], 30.0).unwrap().unwrap();
    assert_eq!(claim.job.id, queued.id);
    assert_eq!(claim.attempt, 1);
    assert_eq!(claim.job.status, JobStatus::Running);
    assert!(store.claim_job("w2", &["probe"], 30.0).unwrap().is_none());
    assert!(store.heartbeat_job(&claim, 30.0, Some((2, 3))).unwrap());
    assert_eq!(store.job(queued.id).unwrap().unwrap().done, 2);
    let file = JobFileData {
        name: "r.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: vec![0, 1, 2, 255],
    };
    assert!(
        store
            .complete_job(&claim, &json!({"ok": true}), std::slice::from_ref(&file))
            .unwrap()
    );
    let done = store.job(queued.id).unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(json!({"ok": true})));
    assert_eq!(done.done, 3);
    assert!(done.finished_at.is_some());
    assert_eq!(store.job_file(queued.id, "r.pdf").unwrap(), Some(file));
    assert_eq!(
        store.job_files(queued.id).unwrap(),
        vec![("r.pdf".to_string(), "application/pdf".to_string(), 4)]
    );
    // A finished job is never completed twice.
    assert!(
        !store
            .complete_job(&claim, &json!({"again": 1}), &[])
            .unwrap()
    );
    assert_eq!(store.jobs(Some("analyst"), 10).unwrap().len(), 1);
    assert!(store.jobs(Some("viewer"), 10).unwrap().is_empty());
}

fn expired_lease_is_reclaimed_and_fenced(store: &mut Store) {
    let input = json!({});
    let job = store.enqueue_job(&new_job(&input, 2)).unwrap();
    let first = store.claim_job("dead", &["probe"], 0.05).unwrap().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(120));
    let second = store.claim_job("alive", &["probe"], 30.0).unwrap().unwrap();
    assert_eq!(second.job.id, job.id);
    assert_eq!(second.attempt, 2);
    // The first worker comes back: it holds nothing and can write nothing.
    assert!(!store.heartbeat_job(&first, 30.0, None).unwrap());
    assert!(!store.complete_job(&first, &json!("stale"), &[]).unwrap());
    assert!(!store.fail_job(&first, "stale", None).unwrap());
    assert!(store.complete_job(&second, &json!("fresh"), &[]).unwrap());
    assert_eq!(
        store.job(job.id).unwrap().unwrap().result,
        Some(json!("fresh"))
    );

    // Out of attempts: a job whose workers keep dying is failed, not claimed a third time.
    let job = store.enqueue_job(&new_job(&input, 2)).unwrap();
    for _ in 0..2 {
        store.claim_job("dead", &["probe"], 0.05).unwrap().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(120));
    }
    assert!(store.claim_job("w", &["probe"], 30.0).unwrap().is_none());
    let failed = store.job(job.id).unwrap().unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(
        failed
            .error
            .unwrap()
            .contains("(lease expired) on attempt 2 of 2")
    );
}

fn failures_retry_or_stop(store: &mut Store) {
    let input = json!({});
    let job = store.enqueue_job(&new_job(&input, 2)).unwrap();
    let claim = store.claim_job("w", &["probe"], 30.0).unwrap().unwrap();
    assert!(
        store
            .fail_job(&claim, "database went away", Some(0.0))
            .unwrap()
    );
    let again = store.job(job.id).unwrap().unwrap();
    assert_eq!(again.status, JobStatus::Queued);
    assert_eq!(again.error.as_deref(), Some("database went away"));
    let claim = store.claim_job("w", &["probe"], 30.0).unwrap().unwrap();
    assert_eq!(claim.attempt, 2);
    // The last attempt is not retried.
    assert!(store.fail_job(&claim, "still gone", Some(0.0)).unwrap());
    assert_eq!(
        store.job(job.id).unwrap().unwrap().status,
        JobStatus::Failed
    );

    let later = store.enqueue_job(&new_job(&input, 3)).unwrap();
    let claim = store.claim_job("w", &["probe"], 30.0).unwrap().unwrap();
    assert!(store.fail_job(&claim, "busy", Some(3600.0)).unwrap());
    // Backing off: not claimable until its time.
    assert!(store.claim_job("w", &["probe"], 30.0).unwrap().is_none());
    assert!(store.cancel_job(later.id).unwrap());
    assert_eq!(
        store.job(later.id).unwrap().unwrap().status,
        JobStatus::Cancelled
    );
    assert!(!store.cancel_job(later.id).unwrap());
}

fn cancelled_running_job_loses_its_lease(store: &mut Store) {
    let input = json!({});
    let job = store.enqueue_job(&new_job(&input, 3)).unwrap();
    let claim = store.claim_job("w", &["probe"], 30.0).unwrap().unwrap();
    assert!(store.cancel_job(job.id).unwrap());
    assert!(!store.heartbeat_job(&claim, 30.0, Some((1, 3))).unwrap());
    assert!(!store.complete_job(&claim, &json!(1), &[]).unwrap());
    assert_eq!(
        store.job(job.id).unwrap().unwrap().status,
        JobStatus::Cancelled
    );
}

fn schedules_enqueue_each_slot_once(store: &mut Store) {
    let input = json!({"basin": "Esil"});
    let schedule = store
        .add_job_schedule(&ScheduleOptions {
            name: "daily-forecast",
            kind: "probe",
            owner: "admin",
            input: &input,
            every_seconds: 86_400,
            first_run_at: Some("2020-01-01T06:00:00.000Z"),
        })
        .unwrap();
    assert!(
        store
            .add_job_schedule(&ScheduleOptions {
                name: "daily-forecast",
                kind: "probe",
                owner: "admin",
                input: &input,
                every_seconds: 60,
                first_run_at: None,
            })
            .is_err()
    );
    let made = store.enqueue_due_schedules(&["probe"], 3).unwrap();
    assert_eq!(made.len(), 1);
    let job = store.job(made[0]).unwrap().unwrap();
    assert_eq!(job.schedule_id, Some(schedule.id));
    assert_eq!(job.input, input);
    assert_eq!(job.owner, "admin");
    // The next slot is in the future, at the same time of day: nothing more is due.
    assert!(
        store
            .enqueue_due_schedules(&["probe"], 3)
            .unwrap()
            .is_empty()
    );
    let listed = store.job_schedules().unwrap();
    assert_eq!(listed[0].last_job_id, Some(job.id));
    assert!(listed[0].next_run_at.ends_with("T06:00:00.000Z"));
    assert!(listed[0].next_run_at.as_str() > "2020-01-02");
    assert!(store.remove_job_schedule("daily-forecast").unwrap());
    assert!(!store.remove_job_schedule("daily-forecast").unwrap());
}

fn prune_removes_old_finished_jobs(store: &mut Store) {
    let input = json!({});
    let job = store.enqueue_job(&new_job(&input, 1)).unwrap();
    let claim = store.claim_job("w", &["probe"], 30.0).unwrap().unwrap();
    let file = JobFileData {
        name: "a.html".into(),
        content_type: "text/html".into(),
        bytes: b"<p>".to_vec(),
    };
    store.complete_job(&claim, &json!(1), &[file]).unwrap();
    let waiting = store.enqueue_job(&new_job(&input, 1)).unwrap();
    assert_eq!(store.prune_jobs("2000-01-01T00:00:00.000Z").unwrap(), 0);
    assert_eq!(store.prune_jobs("2999-01-01T00:00:00.000Z").unwrap(), 1);
    assert!(store.job(job.id).unwrap().is_none());
    assert!(store.job_file(job.id, "a.html").unwrap().is_none());
    assert!(store.job(waiting.id).unwrap().is_some());
}

on_both_backends!(
    claim_complete_and_files,
    expired_lease_is_reclaimed_and_fenced,
    failures_retry_or_stop,
    cancelled_running_job_loses_its_lease,
    schedules_enqueue_each_slot_once,
    prune_removes_old_finished_jobs,
);

/// Four connections claiming from one queue at once: every job is claimed by exactly one.
fn concurrent_claims_take_each_job_once(backend: qaita_store::Backend) {
    let (mut store, _guard, target) = common::open(backend, "concurrent_claims");
    let input = json!({});
    let ids: HashSet<i64> = (0..60)
        .map(|_| store.enqueue_job(&new_job(&input, 1)).unwrap().id)
        .collect();
    let claimed: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let target = target.clone();
                scope.spawn(move || {
                    let mut store = Store::open(&target).unwrap();
                    let mut mine = Vec::new();
                    while let Some(claim) =
                        store.claim_job(&format!("w{w}"), &["probe"], 30.0).unwrap()
                    {
                        assert!(store.complete_job(&claim, &json!(w), &[]).unwrap());
                        mine.push(claim.job.id);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(claimed.len(), ids.len());
    assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), ids);
}

#[test]
fn sqlite_concurrent_claims_take_each_job_once() {
    concurrent_claims_take_each_job_once(qaita_store::Backend::Sqlite);
}

#[test]
fn postgres_concurrent_claims_take_each_job_once() {
    concurrent_claims_take_each_job_once(qaita_store::Backend::Postgres);
}
