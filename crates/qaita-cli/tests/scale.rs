//! Scale-out on one PostgreSQL database, with real processes: two `qaita serve` and two (then
//! three) `qaita worker`. 200 jobs submitted through both servers each run exactly once, also
//! when a worker is killed mid-job; queued jobs survive a server restart; a session made on
//! one server works on the other. PostgreSQL (`QAITA_TEST_POSTGRES`) being unreachable is a
//! failure, not a skip.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A schema of its own in the test database, dropped afterwards.
struct Schema {
    admin_url: String,
    name: String,
}

impl Schema {
    fn new() -> (Schema, String) {
        let admin_url = std::env::var("QAITA_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("qaita_scale_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed: {e}"));
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{name},public");
        (Schema { admin_url, name }, url)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// A child process killed (SIGKILL) when dropped, so a failing test leaves nothing running.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn qaita(db: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qaita"));
    c.arg("--db")
        .arg(db)
        .args(args)
        .env("QAITA_USER", "scale-test");
    c
}

/// Start `qaita serve` on a free port; returns the process and its address.
fn server(db: &str) -> (Proc, String) {
    let mut child = qaita(
        db,
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo-users",
            "--job-workers",
            "0",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("qaita serve exited before serving")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Proc(child), address)
}

fn worker(db: &str) -> Proc {
    Proc(
        qaita(db, &["worker", "--lease-seconds", "2", "--poll-ms", "50"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// One HTTP/1.1 exchange (Connection: close); returns status, headers (lower-cased) and body.
fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, HashMap<String, String>, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let mut head_lines = head.lines();
    let status: u16 = head_lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut found = HashMap::new();
    let mut chunked = false;
    for line in head_lines {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim().to_string();
            chunked |= k == "transfer-encoding" && v.contains("chunked");
            found.insert(k, v);
        }
    }
    let body = if chunked {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, found, value)
}

/// A logged-in web session: the cookie and the CSRF token writes must echo.
struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    fn login(address: &str) -> Session {
        let (status, headers, body) = http(
            address,
            "POST",
            "/api/v1/session",
            &[],
            Some(&json!({"username": "admin", "password": "admin-pass"})),
        );
        assert_eq!(status, 200, "login: {body}");
        let cookie = headers["set-cookie"].split(';').next().unwrap().to_string();
        let csrf = body["csrf_token"].as_str().unwrap().to_string();
        Session { cookie, csrf }
    }

    fn get(&self, address: &str, path: &str) -> (u16, Value) {
        let (s, _, b) = http(address, "GET", path, &[("Cookie", &self.cookie)], None);
        (s, b)
    }

    fn post(&self, address: &str, path: &str, body: &Value) -> (u16, Value) {
        let (s, _, b) = http(
            address,
            "POST",
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf)],
            Some(body),
        );
        (s, b)
    }
}

fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_servers_and_workers_share_one_postgres_queue() {
    let (_schema, db) = Schema::new();
    // Migrate once, so the four processes start on a ready database.
    assert!(qaita(&db, &["demo"]).output().unwrap().status.success());
    let (mut server_a, a) = server(&db);
    let (_server_b, b) = server(&db);

    // A session made on one server works on the other.
    let session = Session::login(&a);
    let (status, me) = session.get(&b, "/api/v1/session");
    assert_eq!(status, 200);
    assert_eq!(me["user"]["username"], "admin", "{me}");

    // 200 short probes through both servers, and one long one to kill a worker under.
    let mut ids = Vec::new();
    let (status, long) = session.post(
        &a,
        "/api/v1/jobs/probes",
        &json!({"millis": 6000, "steps": 60, "tag": "long"}),
    );
    assert_eq!(status, 202, "{long}");
    let long_id = long["id"].as_i64().unwrap();
    for i in 0..200 {
        let target = if i % 2 == 0 { &a } else { &b };
        let (status, job) = session.post(
            target,
            "/api/v1/jobs/probes",
            &json!({"millis": 10, "tag": format!("p{i}")}),
        );
        assert_eq!(status, 202, "{job}");
        assert_eq!(job["status"], "queued");
        ids.push(job["id"].as_i64().unwrap());
    }

    // No worker runs yet: the jobs wait in the database, and outlive server A's restart.
    server_a.0.kill().unwrap();
    server_a.0.wait().unwrap();
    drop(server_a);
    let (_server_a, a) = server(&db);
    let (status, job) = session.get(&a, &format!("/api/v1/jobs/{}", ids[0]));
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "queued");

    let mut workers: HashMap<u32, Proc> = HashMap::new();
    for _ in 0..2 {
        let w = worker(&db);
        workers.insert(w.0.id(), w);
    }
    // Kill the worker running the long job in the middle of it (SIGKILL: no goodbye).
    let victim = wait_until("the long job to run", Duration::from_secs(60), || {
        let (_, job) = session.get(&b, &format!("/api/v1/jobs/{long_id}"));
        let done = job["done"].as_i64().unwrap_or(0);
        (job["status"] == "running" && done >= 5)
            .then(|| job["worker"].as_str().unwrap().to_string())
    });
    let pid: u32 = victim.split(':').nth(1).unwrap().parse().unwrap();
    let mut killed = workers
        .remove(&pid)
        .expect("the job's worker is one of ours");
    killed.0.kill().unwrap();
    killed.0.wait().unwrap();
    let w = worker(&db);
    workers.insert(w.0.id(), w);

    // Every job succeeds, once.
    let all = wait_until("all jobs to finish", Duration::from_secs(180), || {
        let (status, jobs) = session.get(&b, "/api/v1/jobs?all=true&limit=1000");
        assert_eq!(status, 200);
        let jobs = jobs.as_array().unwrap().clone();
        jobs.iter()
            .all(|j| j["status"] == "succeeded" || j["status"] == "failed")
            .then_some(jobs)
    });
    assert_eq!(all.len(), 201);
    let failed: Vec<&Value> = all.iter().filter(|j| j["status"] != "succeeded").collect();
    assert!(failed.is_empty(), "failed jobs: {failed:?}");
    let mut seen = HashSet::new();
    for id in ids.iter().chain([&long_id]) {
        let (status, result) = session.get(&a, &format!("/api/v1/jobs/{id}/result"));
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["job"].as_i64(), Some(*id));
        assert!(seen.insert(*id));
    }
    let retried: Vec<i64> = all
        .iter()
        .filter(|j| j["attempts"].as_i64() != Some(1))
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    // Only the job whose worker was killed ran twice; its recorded outcome is the second run's.
    assert_eq!(retried, vec![long_id]);
    let (_, long_result) = session.get(&a, &format!("/api/v1/jobs/{long_id}/result"));
    assert_eq!(long_result["attempt"], 2);
    assert_ne!(long_result["worker_pid"].as_u64(), Some(pid as u64));
}
