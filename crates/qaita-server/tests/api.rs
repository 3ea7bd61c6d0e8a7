//! API integration tests: every check runs against embedded SQLite and against PostgreSQL/PostGIS
//! (`QAITA_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`, a schema per test),
//! through the whole router (auth, limits, problem+json), without a network.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use qaita_server::{AppState, ServerConfig, auth};
use qaita_store::{Backend, ImportOptions, Role, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

const INVENTORY: &str = include_str!("../../../data/demo/inventory.csv");

struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = ::postgres::Client::connect(&self.admin_url, ::postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

#[allow(dead_code)]
enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres(PgSchema),
}

/// A database with the demo inventory and one user per role (password `<role>-pass`).
fn database(backend: Backend, name: &str) -> (String, Guard) {
    let (target, guard) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("qaita.db").display().to_string();
            (path, Guard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("QAITA_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let schema = format!("qaita_api_{}_{name}", std::process::id());
            let mut client = ::postgres::Client::connect(&admin_url, ::postgres::NoTls)
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin_url} is needed for the API suite: {e}")
                });
            client
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))
                .unwrap();
            let separator = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema},public");
            (url, Guard::Postgres(PgSchema { admin_url, schema }))
        }
    };
    let mut store = Store::open(&target).unwrap();
    let input = qaita_io::read_bytes(
        "inventory.csv",
        INVENTORY.as_bytes(),
        qaita_io::Format::Csv,
        &Default::default(),
    )
    .unwrap();
    let options = ImportOptions {
        actor: "setup".into(),
        ..ImportOptions::default()
    };
    let report = store.import(input.records, &options, &mut |_| {}).unwrap();
    assert!(report.committed, "{:?}", report.problems);
    for role in Role::ALL {
        let hash = auth::hash_secret(&format!("{}-pass", role.code())).unwrap();
        store
            .add_user(role.code(), role, Some(&hash), "setup")
            .unwrap();
    }
    (target, guard)
}

struct Api {
    app: Router,
    _guard: Guard,
    db: String,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl Api {
    fn new(backend: Backend, name: &str, anon_read: bool) -> Api {
        let (db, guard) = database(backend, name);
        let mut config = ServerConfig::new(&db, "127.0.0.1:0".parse().unwrap());
        config.anon_read = anon_read;
        config.pool_size = 2;
        config.max_body = 1 << 20;
        // Short lock and delays, so the throttling test runs in seconds; the counts are the
        // defaults (10 per account), the address limit lower than its default to test it.
        config.login.lockout_secs = 2;
        config.login.address_failures = 15;
        config.login.delay_base = std::time::Duration::from_millis(1);
        config.login.delay_max = std::time::Duration::from_millis(5);
        let app = qaita_server::app(AppState::open(config).unwrap());
        Api {
            app,
            _guard: guard,
            db,
        }
    }

    async fn send(&self, method: Method, uri: &str, headers: &[(&str, &str)], body: Body) -> Reply {
        self.send_from(None, method, uri, headers, body).await
    }

    /// As [`Api::send`], as if from the peer `from` (the server sees it as the connection's
    /// address; nothing goes over a network).
    async fn send_from(
        &self,
        from: Option<std::net::SocketAddr>,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(addr) = from {
            request = request.extension(axum::extract::ConnectInfo(addr));
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_client_error() || status.is_server_error() {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "{status} {text}"
            );
            assert_eq!(body["status"], status.as_u16());
        }
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, uri, headers, Body::empty()).await
    }

    async fn json(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send(method, uri, &all, Body::from(body.to_string()))
            .await
    }

    /// Log in; returns (cookie header value, CSRF token).
    async fn login(&self, user: &str) -> (String, String) {
        let r = self
            .json(
                Method::POST,
                "/api/v1/session",
                &[],
                json!({"username": user, "password": format!("{user}-pass")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let set = r
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_string();
        (cookie, r.body["csrf_token"].as_str().unwrap().to_string())
    }

    /// A direct store connection (on a thread allowed to block).
    fn store(&self) -> Store {
        tokio::task::block_in_place(|| Store::open(&self.db).unwrap())
    }
}

fn multipart(name: &str, content: &str) -> (String, Body) {
    let boundary = "qaitaTESTboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        Body::from(body),
    )
}

async fn unauthenticated_and_viewer_writes_change_nothing(api: &Api) {
    let before = api.get("/api/v1/tmfs/KZ-TMF-0012", &[]).await;
    assert_eq!(before.status, StatusCode::OK);
    let patch = json!({"operator": "Nobody LLP"});
    // Anonymous: 401 for every kind of write.
    let r = api
        .json(
            Method::PATCH,
            "/api/v1/tmfs/KZ-TMF-0012",
            &[("if-match", "\"1\"")],
            patch.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = api
        .send(
            Method::DELETE,
            "/api/v1/tmfs/KZ-TMF-0012",
            &[("if-match", "\"1\"")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let (content_type, body) = multipart("x.csv", "external_id\nX\n");
    let r = api
        .send(
            Method::POST,
            "/api/v1/imports",
            &[("content-type", &content_type)],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/valuations",
            &[],
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Viewer: 403, with or without the CSRF token.
    let (cookie, csrf) = api.login("viewer").await;
    let r = api
        .json(
            Method::PATCH,
            "/api/v1/tmfs/KZ-TMF-0012",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("if-match", "\"1\""),
            ],
            patch.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body["detail"].as_str().unwrap().contains("editor"),
        "{}",
        r.text
    );
    let r = api
        .send(
            Method::DELETE,
            "/api/v1/tmfs/KZ-TMF-0012",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("if-match", "\"1\""),
            ],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An editor without the CSRF header: 403 too.
    let (cookie, _) = api.login("editor").await;
    let r = api
        .json(
            Method::PATCH,
            "/api/v1/tmfs/KZ-TMF-0012",
            &[("cookie", &cookie), ("if-match", "\"1\"")],
            patch,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["title"], "CSRF token missing or wrong");
    // Nothing changed: same version, same document, no history beyond the import.
    let after = api.get("/api/v1/tmfs/KZ-TMF-0012", &[]).await;
    assert_eq!(after.body, before.body);
    assert_eq!(
        api.get("/api/v1/tmfs/KZ-TMF-0012/history", &[])
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(api.get("/api/v1/tmfs?limit=1", &[]).await.body["total"], 78);
}

async fn editor_edits_with_if_match_and_history_records_them(api: &Api) {
    let (cookie, csrf) = api.login("editor").await;
    let auth = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let current = api.get("/api/v1/tmfs/KZ-TMF-0012", &auth).await;
    let version = current.body["version"].as_i64().unwrap();
    assert_eq!(
        current.headers[header::ETAG],
        format!("\"{version}\"").as_str()
    );
    let uri = "/api/v1/tmfs/KZ-TMF-0012";
    let change = json!({"operator": "Qaita Test LLP", "status": "conserved", "name_ru": null});
    // No If-Match: 428. Stale: 409 with the current version. Bad field: 400 naming it.
    let r = api.json(Method::PATCH, uri, &auth, change.clone()).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let stale = format!("\"{}\"", version + 5);
    let r = api
        .json(
            Method::PATCH,
            uri,
            &[auth[0], auth[1], ("if-match", &stale)],
            change.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["current_version"], version);
    let tag = format!("\"{version}\"");
    let with_tag = [auth[0], auth[1], ("if-match", tag.as_str())];
    let r = api
        .json(
            Method::PATCH,
            uri,
            &with_tag,
            json!({"status": "sleeping", "name": "  ", "colour": "red"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("colour"), "{}", r.text);
    let r = api
        .json(
            Method::PATCH,
            uri,
            &with_tag,
            json!({"status": "sleeping", "name": "  "}),
        )
        .await;
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "status"], "{}", r.text);
    // The edit.
    let r = api
        .json(Method::PATCH, uri, &with_tag, change.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"], version + 1);
    assert_eq!(r.body["operator"], "Qaita Test LLP");
    assert!(r.body.get("name_ru").is_none());
    // Repeating it changes nothing and keeps the version.
    let tag2 = format!("\"{}\"", version + 1);
    let r = api
        .json(
            Method::PATCH,
            uri,
            &[auth[0], auth[1], ("if-match", &tag2)],
            change,
        )
        .await;
    assert_eq!(r.body["version"], version + 1);
    // Persisted, and the newest history entry names the editor and the fields.
    let again = api.get(uri, &auth).await;
    assert_eq!(again.body["status"], "conserved");
    let history = api
        .get("/api/v1/tmfs/KZ-TMF-0012/history", &auth)
        .await
        .body;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "editor");
    assert_eq!(last["version"], version + 1);
    let changed: Vec<&str> = last["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"operator")
            && changed.contains(&"status")
            && changed.contains(&"name_ru"),
        "{changed:?}"
    );
    // Logged out: the cookie no longer works (anonymous reading is off here).
    let r = api
        .send(Method::DELETE, "/api/v1/session", &auth, Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.get(uri, &auth).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn list_filters_bbox_search_sort_and_paging(api: &Api) {
    let all = api.get("/api/v1/tmfs?limit=1000", &[]).await.body;
    assert_eq!(all["total"], 78);
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 78);
    // bbox: exactly the objects whose point lies inside, edges included.
    let bbox = [66.0, 47.0, 76.0, 51.0];
    let inside = items
        .iter()
        .filter(|d| {
            let (lon, lat) = (
                d["location"]["lon"].as_f64().unwrap(),
                d["location"]["lat"].as_f64().unwrap(),
            );
            lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3]
        })
        .count();
    assert!(inside > 0 && inside < 78);
    let r = api
        .get("/api/v1/tmfs?bbox=66,47,76,51&limit=1000", &[])
        .await;
    assert_eq!(r.body["total"], inside as i64);
    let geo = api.get("/api/v1/tmfs.geojson?bbox=66,47,76,51", &[]).await;
    assert_eq!(geo.headers[header::CONTENT_TYPE], "application/geo+json");
    assert_eq!(geo.body["features"].as_array().unwrap().len(), inside);
    // Text search is case-insensitive in Cyrillic too.
    let name_ru = items
        .iter()
        .find_map(|d| d["name_ru"].as_str())
        .unwrap()
        .to_string();
    let word: String = name_ru.split_whitespace().next().unwrap().to_uppercase();
    let r = api
        .get(&format!("/api/v1/tmfs?q={}", urlencode(&word)), &[])
        .await;
    assert!(r.body["total"].as_i64().unwrap() >= 1, "{word}: {}", r.text);
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d.to_string().to_lowercase().contains(&word.to_lowercase()))
    );
    // Sorted by tonnage, descending, missing tonnages last; pages join up.
    let page1 = api
        .get("/api/v1/tmfs?sort=tonnage&order=desc&limit=40", &[])
        .await
        .body;
    let page2 = api
        .get(
            "/api/v1/tmfs?sort=tonnage&order=desc&limit=40&offset=40",
            &[],
        )
        .await
        .body;
    let tonnages: Vec<Option<f64>> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["items"].as_array().unwrap())
        .map(|d| d["derived"]["tonnage_t"].as_f64())
        .collect();
    assert_eq!(tonnages.len(), 78);
    let known: Vec<f64> = tonnages.iter().map_while(|t| *t).collect();
    assert!(known.windows(2).all(|w| w[0] >= w[1]));
    assert!(tonnages[known.len()..].iter().all(Option::is_none));
    // Filters combine; bad values are each named.
    let r = api
        .get("/api/v1/tmfs?region=karaganda&kind=tailings", &[])
        .await;
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["region"] == "karaganda" && d["kind"] == "tailings")
    );
    let r = api
        .get(
            "/api/v1/tmfs?region=atlantis&limit=0&bbox=1,2&sort=colour&owner_known=maybe",
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["bbox", "limit", "owner_known", "region", "sort"]);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn tokens_anonymous_reading_and_revocation(api: &Api) {
    assert_eq!(
        api.get("/api/v1/tmfs", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.get("/api/v1/session", &[]).await.body["user"],
        Value::Null
    );
    // An admin creates a user and a token for them; the token reads without CSRF.
    let (cookie, csrf) = api.login("admin").await;
    let admin = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let r = api
        .json(
            Method::POST,
            "/api/v1/users",
            &admin,
            json!({"username": "qgis", "role": "analyst"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = api
        .json(
            Method::POST,
            "/api/v1/users",
            &admin,
            json!({"username": "qgis", "role": "analyst"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = api
        .json(
            Method::POST,
            "/api/v1/users",
            &admin,
            json!({"username": "a b", "role": "king", "password": "short"}),
        )
        .await;
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3, "{}", r.text);
    let r = api
        .json(
            Method::POST,
            "/api/v1/users/qgis/tokens",
            &admin,
            json!({"label": "QGIS"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    for _ in 0..2 {
        let r = api
            .get("/api/v1/tmfs?limit=1", &[("authorization", &bearer)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // The secret is not stored.
    let mut store = api.store();
    let tokens = tokio::task::block_in_place(|| store.tokens(Some("qgis")).unwrap());
    assert_eq!(tokens[0].label, "QGIS");
    tokio::task::block_in_place(move || drop(store));
    // A wrong secret, a malformed token: 401.
    let wrong = format!("{}x", bearer);
    assert_eq!(
        api.get("/api/v1/tmfs", &[("authorization", &wrong)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.get("/api/v1/tmfs", &[("authorization", "Basic abc")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Analysts may not edit or manage users.
    let r = api
        .json(
            Method::PATCH,
            "/api/v1/tmfs/1",
            &[("authorization", &bearer), ("if-match", "\"1\"")],
            json!({"owner": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get("/api/v1/users", &[("authorization", &bearer)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Revoking the user stops the token at once.
    let r = api
        .send(Method::DELETE, "/api/v1/users/qgis", &admin, Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        api.get("/api/v1/tmfs", &[("authorization", &bearer)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let users = api.get("/api/v1/users", &admin).await.body;
    let qgis = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "qgis")
        .unwrap();
    assert_eq!(qgis["revoked_by"], "admin");
}

async fn imports_report_rows_and_are_atomic(api: &Api) {
    let (cookie, csrf) = api.login("editor").await;
    let bad = "external_id,name,region,lon,lat,tonnage,source\nbad-1,Bad row one,nowhere,73.1,49.8,1 Mt,\nbad-2,Bad row two,karaganda,269.1,49.8,12 parsecs,E2E\n";
    let (content_type, body) = multipart("bad.csv", bad);
    let auth = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
        ("content-type", content_type.as_str()),
    ];
    let r = api
        .send(Method::POST, "/api/v1/imports?dry_run=false", &auth, body)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errors = r.body["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["file"] == "bad.csv" && e["row"] == 2 && e["field"] == "region")
    );
    assert!(errors.iter().any(|e| e["row"] == 3
        && e["field"] == "tonnage"
        && e["reason"].as_str().unwrap().contains("parsecs")));
    assert_eq!(r.body["report"]["counts"]["rejected"], 2);
    let good = "external_id,name,kind,region,lon,lat,tonnage,source,source_date,confidence\nKZ-E2E-0001,E2E dump,tailings,karaganda,73.1,49.8,1.5 Mt,E2E test,2026-01-01,low\n";
    let (_, body) = multipart("good.csv", good);
    let r = api
        .send(Method::POST, "/api/v1/imports?dry_run=true", &auth, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["counts"]["create"], 1);
    assert_eq!(r.body["committed"], false);
    assert_eq!(api.get("/api/v1/tmfs?limit=1", &[]).await.body["total"], 78);
    let (_, body) = multipart("good.csv", good);
    let r = api.send(Method::POST, "/api/v1/imports", &auth, body).await;
    assert_eq!(r.body["committed"], true, "{}", r.text);
    assert_eq!(api.get("/api/v1/tmfs?limit=1", &[]).await.body["total"], 79);
    let history = api.get("/api/v1/tmfs/KZ-E2E-0001/history", &[]).await.body;
    assert_eq!(history[0]["actor"], "editor");
    assert_eq!(history[0]["context"], "upload good.csv");
}

async fn delete_is_soft_and_audited(api: &Api) {
    let (cookie, csrf) = api.login("editor").await;
    let auth = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
        ("if-match", "\"1\""),
    ];
    let r = api
        .send(
            Method::DELETE,
            "/api/v1/tmfs/KZ-TMF-0005",
            &auth,
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        api.get("/api/v1/tmfs/KZ-TMF-0005", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("/api/v1/tmfs?limit=1", &[]).await.body["total"], 77);
    let history = api.get("/api/v1/tmfs/KZ-TMF-0005/history", &[]).await.body;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("delete"), Some("editor"))
    );
    // The row is still in the database.
    let mut store = api.store();
    assert!(
        tokio::task::block_in_place(|| store.get_by_external_id("KZ-TMF-0005").unwrap()).is_some()
    );
    tokio::task::block_in_place(move || drop(store));
    let r = api
        .send(
            Method::DELETE,
            "/api/v1/tmfs/KZ-TMF-0005",
            &auth,
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn valuation_runs_as_a_job_and_is_stored(api: &Api) {
    let (cookie, csrf) = api.login("analyst").await;
    let auth = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/valuations",
            &auth,
            json!({"paths": 500, "scenario": "sideways"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "scenario");
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/valuations",
            &auth,
            json!({"paths": 500, "seed": 7}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let mut job = Value::Null;
    for _ in 0..600 {
        job = api.get(&location, &auth).await.body;
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        (job["done"].as_u64(), job["total"].as_u64()),
        (Some(2), Some(2))
    );
    let result = api
        .get(job["result_url"].as_str().unwrap(), &auth)
        .await
        .body;
    let latest = api
        .get("/api/v1/tmfs/KZ-TMF-0012/valuation", &[])
        .await
        .body;
    assert_eq!(result["p50_usd"], latest["p50_usd"]);
    assert_eq!(latest["actor"], "analyst");
    assert_eq!(latest["paths"], 500);
    let histogram = &latest["npv_histogram"];
    assert_eq!(
        histogram["edges"].as_array().unwrap().len(),
        histogram["counts"].as_array().unwrap().len() + 1
    );
    // The list now sorts by it, and the document carries it.
    let document = api.get("/api/v1/tmfs/KZ-TMF-0012", &[]).await.body;
    assert_eq!(
        document["derived"]["valuation"]["p50_usd"],
        latest["p50_usd"]
    );
    let top = api
        .get("/api/v1/tmfs?sort=npv&order=desc&limit=1", &[])
        .await
        .body;
    assert_eq!(top["items"][0]["external_id"], "KZ-TMF-0012");
    // Someone else's job is not visible.
    let (other, other_csrf) = api.login("viewer").await;
    let r = api
        .get(
            &location,
            &[("cookie", &other), ("x-csrf-token", &other_csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn problems_docs_and_ui(api: &Api) {
    let r = api.get("/api/v1/nothing-here", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .send(Method::PUT, "/api/v1/tmfs", &[], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = api
        .send(
            Method::POST,
            "/api/v1/session",
            &[("content-type", "application/json")],
            Body::from("{not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let big = "x".repeat(2 << 20);
    let r = api
        .send(
            Method::POST,
            "/api/v1/session",
            &[("content-type", "application/json")],
            Body::from(big),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = api
        .json(
            Method::POST,
            "/api/v1/session",
            &[],
            json!({"username": "editor", "password": "wrong-pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = api
        .json(
            Method::POST,
            "/api/v1/session",
            &[],
            json!({"username": "ghost", "password": "ghost-pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let spec = api.get("/api/v1/openapi.json", &[]).await.body;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/tmfs",
        "/api/v1/tmfs/{id}",
        "/api/v1/tmfs/{id}/history",
        "/api/v1/imports",
        "/api/v1/jobs/{id}",
        "/api/v1/users",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = api.get("/api/v1/docs/", &[]).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.text.contains("swagger"),
        "{}",
        &docs.text[..docs.text.len().min(300)]
    );
    let vocab = api.get("/api/v1/vocab", &[]).await.body;
    assert_eq!(vocab["region"].as_array().unwrap().len(), 20);
    let stats = api.get("/api/v1/stats", &[]).await.body;
    assert_eq!(stats["national"]["objects"], 78);
    let proximity = api.get("/api/v1/proximity?radius_km=5", &[]).await.body;
    assert_eq!(proximity["config"]["near_km"], 5.0);
    assert_eq!(proximity["tmfs"].as_array().unwrap().len(), 78);
    let export = api
        .get("/api/v1/exports?format=csv&region=karaganda", &[])
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.text.starts_with("external_id,"));
    let health = api.get("/api/v1/health", &[]).await.body;
    assert_eq!(health["schema_version"], 4);
}

/// JSON equal but for the last bits of floats (serde_json's default parser may round the
/// shortest representation one unit off).
fn assert_close(a: &Value, b: &Value, path: &str) {
    assert_within(a, b, path, 1e-12);
}

/// As [`assert_close`], numbers equal to `tolerance` relative.
fn assert_within(a: &Value, b: &Value, path: &str, tolerance: f64) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= tolerance * x.abs().max(y.abs()),
                "{path}: {x} != {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: lengths");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_within(x, y, &format!("{path}[{i}]"), tolerance);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}: members"
            );
            for (k, v) in x {
                assert_within(v, &y[k], &format!("{path}.{k}"), tolerance);
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

/// Poll a job until it ends; returns its last view.
async fn finish(api: &Api, location: &str, auth: &[(&str, &str)]) -> Value {
    let mut job = Value::Null;
    for _ in 0..2400 {
        job = api.get(location, auth).await.body;
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    job
}

async fn plans_rank_schedule_and_report(api: &Api) {
    // The ranking is what the library computes over the same registry (as `qaita rank`).
    let r = api
        .get("/api/v1/plan/ranking?paths=0&stability=false", &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rows = r.body["ranking"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 78);
    assert!(
        r.body["label"]
            .as_str()
            .unwrap()
            .starts_with("ILLUSTRATIVE")
    );
    let expected = tokio::task::block_in_place(|| {
        let mut store = Store::open(&api.db).unwrap();
        let index = qaita_app::settlements::index(None, Default::default()).unwrap();
        let econ = qaita_app::valuation::load(None).unwrap();
        let options = qaita_app::plan::DataOptions {
            paths: 0,
            ..Default::default()
        };
        let plan = qaita_app::plan::load(&mut store, &index, &econ, &options).unwrap();
        let config = qaita_app::plan::PlanConfig::bundled();
        serde_json::to_value(qaita_app::plan::rank(&plan, &config.ranking, false)).unwrap()
    });
    assert_close(&r.body["ranking"], &expected, "ranking");
    for row in rows {
        let points: f64 = row["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["contribution"].as_f64().unwrap())
            .sum();
        assert!(
            (points - row["score"].as_f64().unwrap()).abs() < 1e-9,
            "{row}"
        );
    }
    let r = api
        .get(
            "/api/v1/plan/ranking?region=karaganda&paths=0&stability=false",
            &[],
        )
        .await;
    let rows = r.body["ranking"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|x| x["region"] == "karaganda"));
    let r = api
        .get("/api/v1/plan/ranking?paths=many&stability=maybe", &[])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["paths", "stability"]);
    let r = api
        .get("/api/v1/plan/roadmap?part=residential&paths=0", &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["rare_metals"].is_null());
    let residential = r.body["residential"]["rows"].as_array().unwrap();
    assert!(!residential.is_empty());
    let near_km = r.body["residential"]["near_km"].as_f64().unwrap();
    assert!(
        residential.iter().all(|x| x["inside_settlement"] == true
            || x["edge_distance_km"].as_f64().unwrap() <= near_km)
    );
    let r = api.get("/api/v1/plan/roadmap?part=everything", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "part");

    // Jobs: anonymous 401, viewer 403, bad options 400 naming the field.
    let body = json!({"paths": 0, "time_limit_s": 20, "budget_musd": 150, "capacity_mt": 5});
    let r = api
        .json(Method::POST, "/api/v1/plan/schedules", &[], body.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let (viewer, viewer_csrf) = api.login("viewer").await;
    let as_viewer = [
        ("cookie", viewer.as_str()),
        ("x-csrf-token", viewer_csrf.as_str()),
    ];
    let r = api
        .json(
            Method::POST,
            "/api/v1/plan/schedules",
            &as_viewer,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (cookie, csrf) = api.login("analyst").await;
    let auth = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    for (bad, field) in [
        (json!({"objective": "profit"}), "objective"),
        (json!({"budget_musd": -1}), "budget_musd"),
        (
            json!({"region_capacity": {"atlantis": 3}}),
            "region_capacity",
        ),
        (json!({"time_limit_s": 3600}), "time_limit_s"),
        (
            json!({"precedence": [["KZ-TMF-9999", "KZ-TMF-0001"]]}),
            "precedence",
        ),
        (json!({"gap": 0.01, "horizon": 3}), "body"),
    ] {
        let r = api
            .json(Method::POST, "/api/v1/plan/schedules", &auth, bad.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{bad}");
    }
    let r = api
        .json(Method::POST, "/api/v1/plan/schedules", &auth, body)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let job = finish(api, &location, &auth).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["kind"], "schedule");
    let result = api
        .get(job["result_url"].as_str().unwrap(), &auth)
        .await
        .body;
    let c = &result["comparison"];
    assert_eq!(c["violations"], json!([]), "{c}");
    let (milp, greedy) = (
        c["milp"]["objective_value"].as_f64().unwrap(),
        c["greedy"]["objective_value"].as_f64().unwrap(),
    );
    assert!(milp >= greedy - 1e-6 * greedy.abs(), "{milp} < {greedy}");
    assert_eq!(result["settings"]["annual_budget_usd"], 150e6);
    for schedule in [&c["milp"], &c["greedy"]] {
        for (year, capex) in schedule["capex_by_year"].as_object().unwrap() {
            assert!(capex.as_f64().unwrap() <= 150e6 + 1e-3, "{year}: {capex}");
        }
        for (region, years) in schedule["regional_tonnes"].as_object().unwrap() {
            for (year, t) in years.as_object().unwrap() {
                assert!(t.as_f64().unwrap() <= 5e6 + 1e-3, "{region} {year}: {t}");
            }
        }
    }

    // A fact sheet as HTML and PDF, downloaded by its owner only.
    for (bad, field) in [
        (json!({"report": "national", "id": "KZ-TMF-0012"}), "id"),
        (json!({"report": "tmf"}), "id"),
        (json!({"report": "tmf", "id": "KZ-TMF-9999"}), "id"),
        (json!({"report": "memo"}), "report"),
        (json!({"report": "national", "top": 0}), "top"),
    ] {
        let r = api
            .json(Method::POST, "/api/v1/reports", &auth, bad.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{bad}");
    }
    let r = api
        .json(
            Method::POST,
            "/api/v1/reports",
            &auth,
            json!({"report": "tmf", "id": "KZ-TMF-0012", "paths": 0, "time_limit_s": 10}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let job = finish(api, &location, &auth).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let result = api
        .get(job["result_url"].as_str().unwrap(), &auth)
        .await
        .body;
    assert_eq!(result["external_id"], "KZ-TMF-0012");
    let names: Vec<&str> = result["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["KZ-TMF-0012.html", "KZ-TMF-0012.pdf"]);
    let files = format!("/api/v1/jobs/{}/files", job["id"]);
    let pdf = api.get(&format!("{files}/KZ-TMF-0012.pdf"), &auth).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(
        pdf.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(pdf.text.starts_with("%PDF"));
    assert_eq!(
        result["files"][1]["bytes"].to_string(),
        pdf.headers[header::CONTENT_LENGTH].to_str().unwrap()
    );
    let html = api.get(&format!("{files}/KZ-TMF-0012.html"), &auth).await;
    assert!(html.text.contains("KZ-TMF-0012") && html.text.contains("<svg"));
    assert!(html.headers.contains_key(header::CONTENT_SECURITY_POLICY));
    let r = api
        .get(&format!("{files}/KZ-TMF-0012.pdf"), &as_viewer)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get(&format!("{files}/KZ-TMF-0012.pdf"), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = api.get(&format!("{files}/other.pdf"), &auth).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn try_login(api: &Api, from: Option<&str>, user: &str, password: &str) -> Reply {
    let from = from.map(|a| a.parse().unwrap());
    api.send_from(
        from,
        Method::POST,
        "/api/v1/session",
        &[("content-type", "application/json")],
        Body::from(json!({"username": user, "password": password}).to_string()),
    )
    .await
}

async fn failed_logins_are_throttled_and_locked(api: &Api) {
    // A session and a token made before the attack keep working through the lockout.
    let (cookie, _) = api.login("admin").await;
    let token = tokio::task::block_in_place(|| {
        let mut store = Store::open(&api.db).unwrap();
        let id = store.add_token("admin", "throttle test", "unset").unwrap();
        let (token, secret) = auth::new_token(id);
        store
            .set_token_hash(id, &auth::hash_secret(&secret).unwrap())
            .unwrap();
        token
    });
    for attempt in 1..=10 {
        let r = try_login(api, None, "admin", "wrong-password").await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {}",
            r.text
        );
    }
    // The 11th within the minute: locked.
    let r = try_login(api, None, "admin", "wrong-password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    let retry: i64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.body["retry_after"], retry);
    // Even the right password waits for the lock; case does not get around it.
    let r = try_login(api, None, "ADMIN", "admin-pass").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    // Other accounts, the existing session and the token are not affected.
    let r = try_login(api, None, "editor", "editor-pass").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api.get("/api/v1/session", &[("cookie", &cookie)]).await;
    assert_eq!(r.body["user"]["username"], "admin");
    let bearer = format!("Bearer {token}");
    let r = api
        .get(
            "/api/v1/auth-events?user=admin",
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let kinds: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "login_failed").count(),
        10,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "lockout").count(),
        1,
        "{kinds:?}"
    );
    // The log keeps the name as typed: the "ADMIN" attempt is logged under that name.
    assert_eq!(
        kinds.iter().filter(|k| **k == "login_locked").count(),
        1,
        "{kinds:?}"
    );
    // Only admins read the log.
    let (editor_cookie, _) = api.login("editor").await;
    let r = api
        .get("/api/v1/auth-events", &[("cookie", &editor_cookie)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // After the lock: the right password logs in, and counting starts afresh.
    tokio::time::sleep(std::time::Duration::from_millis(retry as u64 * 1000 + 200)).await;
    let r = try_login(api, None, "admin", "admin-pass").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = try_login(api, None, "admin", "wrong-password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let events = tokio::task::block_in_place(|| {
        Store::open(&api.db)
            .unwrap()
            .auth_events(Some("admin"), 1)
            .unwrap()
    });
    assert_eq!(events[0].kind, "login_failed");

    // Per address: wrong passwords for many names from one address lock that address only.
    let attacker = "127.0.0.2:40000";
    for n in 0..15 {
        let r = try_login(api, Some(attacker), &format!("guess{n}"), "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{n}: {}", r.text);
    }
    let r = try_login(api, Some(attacker), "viewer", "viewer-pass").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    let r = try_login(api, Some("127.0.0.3:40000"), "viewer", "viewer-pass").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = tokio::task::block_in_place(|| {
        Store::open(&api.db)
            .unwrap()
            .auth_events(Some("guess0"), 10)
            .unwrap()
    });
    assert_eq!(events[0].client.as_deref(), Some("127.0.0.2"));
}

/// The database is set up, and torn down, outside the async runtime: the synchronous
/// PostgreSQL client refuses to run inside one (the server calls it on blocking threads).
const AUGER: &[u8] = include_bytes!("../../../data/demo/sampling/donskoy-auger.csv");

/// Upload a file as `auth`; returns the reply.
async fn upload(api: &Api, name: &str, bytes: &[u8], auth: &[(&str, &str)]) -> Reply {
    let mut headers = vec![("content-type", "text/csv")];
    headers.extend_from_slice(auth);
    api.send(
        Method::POST,
        &format!("/api/v1/uploads?name={name}"),
        &headers,
        Body::from(bytes.to_vec()),
    )
    .await
}

async fn estimates_from_uploads_match_the_app(api: &Api) {
    let (cookie, csrf) = api.login("analyst").await;
    let auth = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let r = upload(api, "donskoy-auger.csv", AUGER, &auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["name"], "donskoy-auger.csv");
    assert_eq!(r.body["owner"], "analyst");
    assert_eq!(r.body["bytes"], AUGER.len());
    assert_eq!(r.body["sha256"].as_str().unwrap().len(), 64);
    let samples = r.body["id"].as_i64().unwrap();
    let body = json!({"samples": samples, "value": "Cr2O3"});

    // Preview: the samples as the estimate reads them and a fitted variogram.
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-preview",
            &auth,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["commodity"], "Cr2O3");
    assert_eq!(r.body["dimension"], 2);
    assert!(
        r.body["variogram"]["model"]["structures"][0]["sill"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(
        r.body["variogram"]["curve"][0][1].as_array().unwrap().len(),
        50
    );
    assert_eq!(
        r.body["points"].as_array().unwrap().len() as u64,
        r.body["samples"]["statistics"]["samples"].as_u64().unwrap()
    );
    // Cross-validation: the requested method and the three others.
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-crossval",
            &auth,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rows = r.body["rows"].as_array().unwrap();
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["ok", "sk", "idw", "nn"]);
    assert!(
        rows[2]["mean_standardised_squared_error"].is_null(),
        "{}",
        rows[2]
    );
    // Unknown members and bad values are named.
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-preview",
            &auth,
            json!({"samples": samples, "value": "Cr2O3", "cel": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "cel");
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-preview",
            &auth,
            json!({"samples": samples, "value": "Cr2O3", "method": "magic"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "method", "{}", r.text);
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-crossval",
            &auth,
            json!({"samples": samples, "value": "Cr2O3", "radius": -1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "radius");

    // The estimate job stores a version whose resources are what the app computes directly.
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/resource-estimates",
            &auth,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["kind"], "estimate");
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let job = finish(api, &location, &auth).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["done"], job["total"]);
    let result = api
        .get(job["result_url"].as_str().unwrap(), &auth)
        .await
        .body;
    let direct = tokio::task::block_in_place(|| {
        let mut store = Store::open(&api.db).unwrap();
        let stored = store.get_by_external_id("KZ-TMF-0012").unwrap().unwrap();
        let request: qaita_app::estimate::EstimateRequest =
            serde_json::from_value(json!({"value": "Cr2O3", "store": false})).unwrap();
        let inputs = qaita_app::estimate::Inputs {
            samples: Some(qaita_app::estimate::Named {
                name: "donskoy-auger.csv".into(),
                bytes: AUGER.to_vec(),
            }),
            ..Default::default()
        };
        qaita_app::estimate::run(
            &mut store,
            &stored,
            &request,
            &inputs,
            "test",
            None,
            &mut |_, _| {},
        )
        .unwrap()
    });
    assert!(direct.analysis.is_none());
    // The same numbers exactly: qaita-geostat sums in a fixed order, whatever the threads.
    let same = |a: &Value, b: &Value, path: &str| assert_within(a, b, path, 0.0);
    same(
        &result["resources"],
        &direct.document["resources"],
        "resources",
    );
    same(
        &result["grade_tonnage"],
        &direct.document["grade_tonnage"],
        "grade_tonnage",
    );
    assert_eq!(result["samples"]["file"], "donskoy-auger.csv");
    let features = result["blocks_geojson"]["features"].as_array().unwrap();
    assert_eq!(
        features.len() as u64,
        result["blocks"]["count"].as_u64().unwrap()
    );
    let corner = &features[0]["geometry"]["coordinates"][0][0];
    let (lon, lat) = (corner[0].as_f64().unwrap(), corner[1].as_f64().unwrap());
    assert!(
        (lon - 58.46).abs() < 0.2 && (lat - 50.26).abs() < 0.2,
        "{corner}"
    );
    let version = result["analysis"]["version"].as_i64().unwrap();
    let versions = api
        .get("/api/v1/tmfs/KZ-TMF-0012/resource-estimates", &[])
        .await
        .body;
    let last = versions.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["version"], version, "{last}");
    let latest = api
        .get("/api/v1/tmfs/KZ-TMF-0012/resource-estimate", &[])
        .await
        .body;
    assert_eq!(latest["actor"], "analyst");
    assert_close(
        &latest["resources"],
        &result["resources"],
        "stored resources",
    );

    // A bad file: 422 naming the upload, the row and the field.
    let bad = b"lon,lat,Cr2O3 [%]\n58.46,50.26,24.1\n58.47,50.27,abc\n58.48,50.28,23.0\n";
    let r = upload(api, "bad.csv", bad, &auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bad_id = r.body["id"].as_i64().unwrap();
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-preview",
            &auth,
            json!({"samples": bad_id, "value": "Cr2O3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errors = r.body["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["file"] == "bad.csv" && e["row"] == 3 && e["field"] != ""),
        "{errors:?}"
    );

    // A viewer may neither upload nor estimate; another user may not use the analyst's upload.
    let (viewer, viewer_csrf) = api.login("viewer").await;
    let as_viewer = [
        ("cookie", viewer.as_str()),
        ("x-csrf-token", viewer_csrf.as_str()),
    ];
    assert_eq!(
        upload(api, "x.csv", AUGER, &as_viewer).await.status,
        StatusCode::FORBIDDEN
    );
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/resource-estimates",
            &as_viewer,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (editor, editor_csrf) = api.login("editor").await;
    let as_editor = [
        ("cookie", editor.as_str()),
        ("x-csrf-token", editor_csrf.as_str()),
    ];
    let r = api
        .json(
            Method::POST,
            "/api/v1/tmfs/KZ-TMF-0012/estimate-preview",
            &as_editor,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "samples");
    // Nothing more was stored by the refused requests.
    let after = api
        .get("/api/v1/tmfs/KZ-TMF-0012/resource-estimates", &[])
        .await
        .body;
    assert_eq!(
        after.as_array().unwrap().len(),
        versions.as_array().unwrap().len()
    );
}

/// Jobs are read from the store: listing, owners only, cancellation of queued and running jobs
/// (a cancelled running job's result is never recorded), results only once succeeded.
async fn jobs_are_listed_cancelled_and_private(api: &Api) {
    let (cookie, csrf) = api.login("admin").await;
    let admin = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let probe = |millis: u64, tag: &str| json!({"millis": millis, "steps": 50, "tag": tag});
    let long = api
        .json(
            Method::POST,
            "/api/v1/jobs/probes",
            &admin,
            probe(30_000, "long"),
        )
        .await;
    assert_eq!(long.status, StatusCode::ACCEPTED, "{}", long.text);
    let long_id = long.body["id"].as_i64().unwrap();
    // One in-process worker: the second waits while the first runs.
    let waiting = api
        .json(
            Method::POST,
            "/api/v1/jobs/probes",
            &admin,
            probe(10, "waiting"),
        )
        .await;
    let waiting_id = waiting.body["id"].as_i64().unwrap();
    let start = std::time::Instant::now();
    loop {
        let r = api.get(&format!("/api/v1/jobs/{long_id}"), &admin).await;
        if r.body["status"] == "running" && r.body["done"].as_i64().unwrap_or(0) > 0 {
            assert_eq!(r.body["attempts"], 1);
            assert!(r.body["worker"].as_str().is_some(), "{}", r.text);
            break;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "the probe never ran: {}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let listed = api.get("/api/v1/jobs", &admin).await;
    let ids: Vec<i64> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![waiting_id, long_id]);
    let r = api
        .get(&format!("/api/v1/jobs/{waiting_id}/result"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("queued"), "{}", r.text);

    // Other users see nothing of them.
    let (cookie_a, csrf_a) = api.login("analyst").await;
    let analyst = [
        ("cookie", cookie_a.as_str()),
        ("x-csrf-token", csrf_a.as_str()),
    ];
    let r = api.get(&format!("/api/v1/jobs/{long_id}"), &analyst).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/jobs", &analyst).await.body, json!([]));
    assert_eq!(
        api.get("/api/v1/jobs?all=true", &analyst).await.status,
        StatusCode::FORBIDDEN
    );
    let r = api
        .send(
            Method::DELETE,
            &format!("/api/v1/jobs/{long_id}"),
            &analyst,
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .json(Method::POST, "/api/v1/jobs/probes", &analyst, probe(1, "x"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Cancelling: the queued one never runs, the running one stops and records nothing.
    for id in [waiting_id, long_id] {
        let r = api
            .send(
                Method::DELETE,
                &format!("/api/v1/jobs/{id}"),
                &admin,
                Body::empty(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["status"], "cancelled");
    }
    let r = api
        .send(
            Method::DELETE,
            &format!("/api/v1/jobs/{long_id}"),
            &admin,
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The worker notices at its next heartbeat and takes the next job.
    let next = api
        .json(
            Method::POST,
            "/api/v1/jobs/probes",
            &admin,
            probe(10, "next"),
        )
        .await;
    let next_id = next.body["id"].as_i64().unwrap();
    let start = std::time::Instant::now();
    let result = loop {
        let r = api
            .get(&format!("/api/v1/jobs/{next_id}/result"), &admin)
            .await;
        if r.status == StatusCode::OK {
            break r.body;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "the worker did not move on: {}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(result["tag"], "next");
    assert_eq!(result["job"], next_id);
    for id in [waiting_id, long_id] {
        let r = api.get(&format!("/api/v1/jobs/{id}"), &admin).await;
        assert_eq!(r.body["status"], "cancelled", "{}", r.text);
        let r = api.get(&format!("/api/v1/jobs/{id}/result"), &admin).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
    }
    let waited = api.get(&format!("/api/v1/jobs/{waiting_id}"), &admin).await;
    assert_eq!(
        waited.body["attempts"], 0,
        "a cancelled queued job never ran"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

macro_rules! on_both_backends {
    ($($check:ident: $anon:expr),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $check() {
                let api = super::Api::new(qaita_store::Backend::Sqlite, stringify!($check), $anon);
                super::runtime().block_on(super::$check(&api));
            })*
        }
        mod postgres {
            $(#[test] fn $check() {
                let api = super::Api::new(qaita_store::Backend::Postgres, stringify!($check), $anon);
                super::runtime().block_on(super::$check(&api));
            })*
        }
    };
}

on_both_backends!(
    unauthenticated_and_viewer_writes_change_nothing: true,
    editor_edits_with_if_match_and_history_records_them: false,
    list_filters_bbox_search_sort_and_paging: true,
    tokens_anonymous_reading_and_revocation: false,
    imports_report_rows_and_are_atomic: true,
    delete_is_soft_and_audited: true,
    valuation_runs_as_a_job_and_is_stored: true,
    problems_docs_and_ui: true,
    plans_rank_schedule_and_report: true,
    failed_logins_are_throttled_and_locked: false,
    estimates_from_uploads_match_the_app: true,
    jobs_are_listed_cancelled_and_private: false,
);
