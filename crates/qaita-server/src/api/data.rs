//! Statistics, proximity, vocabularies, imports, exports and health.

use std::time::Instant;

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qaita_io::{Format, ReadOptions};
use qaita_model::CurrentPolicy;
use qaita_model::vocab::{Confidence, Family, Kind, LegalClass, Region, Status};
use qaita_risk::proximity::SettlementIndex;
use qaita_store::{ImportOptions, Role};
use serde::Serialize;
use serde_json::{Value, json as j};
use utoipa::{IntoParams, ToSchema};

use super::{Params, json};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// National and regional summary of the TMFs matching the filters: objects, tonnage,
/// contained commodities, provenance coverage (as `qaita stats --json`).
#[utoipa::path(
    get, path = "/stats", tag = "registry",
    params(super::tmfs::FilterQuery),
    responses(
        (status = 200, description = "The summary", body = Object),
        (status = 400, description = "A parameter is invalid", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let filter = super::tmfs::parse_filter(&params, false)?;
    let stats = state
        .db(move |s| {
            let tmfs = s.list(&filter)?;
            serde_json::to_value(qaita_model::stats::summarize(tmfs.iter().map(|t| &t.tmf)))
                .map_err(Problem::internal)
        })
        .await?;
    Ok(json(&stats))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProximityQuery {
    /// A TMF this close (km, footprint edge to settlement edge) counts as near (default 1).
    #[param(minimum = 0.001, maximum = 1000)]
    radius_km: Option<f64>,
}

/// Settlements near each TMF, worst first: distance, whether inside, population within radii.
#[utoipa::path(
    get, path = "/proximity", tag = "registry",
    params(ProximityQuery, super::tmfs::FilterQuery),
    responses(
        (status = 200, description = "Proximity of every TMF, worst first", body = Object),
        (status = 400, description = "A parameter is invalid", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn proximity(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let mut filter_error = super::tmfs::parse_filter(&params, false).err();
    let radius = match params.get("radius_km") {
        None => None,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(r) if r > 0.0 && r <= 1000.0 => Some(r),
            _ => {
                let problem =
                    FieldProblem::new("radius_km", "expected a number of kilometres in (0, 1000]");
                match &mut filter_error {
                    Some(p) => p.errors.push(problem),
                    None => {
                        filter_error =
                            Some(Problem::invalid("invalid query parameters", vec![problem]))
                    }
                }
                None
            }
        },
    };
    if let Some(problem) = filter_error {
        return Err(problem);
    }
    let filter = super::tmfs::parse_filter(&params, false)?;
    let index_state = state.clone();
    let report = state
        .db(move |s| {
            let base = index_state.settlements();
            let custom;
            let index: &SettlementIndex = match radius {
                Some(r) => {
                    custom = SettlementIndex::new(
                        base.settlements().to_vec(),
                        qaita_app::proximity::config_with_near(base, r),
                    )
                    .map_err(|e| Problem::internal(format!("settlement index: {e}")))?;
                    &custom
                }
                None => base,
            };
            let (rows, _) = qaita_app::proximity::assess(s, &filter, index)?;
            Ok(qaita_app::proximity::ProximityReport {
                method: qaita_app::proximity::METHOD,
                settlements: match &index_state.config().settlements {
                    Some(p) => p.display().to_string(),
                    None => qaita_app::proximity::BUNDLED_SOURCE.to_string(),
                },
                config: index.config().clone(),
                tmfs: rows,
            })
        })
        .await?;
    Ok(json(&report))
}

/// One vocabulary term with its labels.
#[derive(Serialize, ToSchema)]
pub struct Term {
    pub code: &'static str,
    pub en: &'static str,
    pub ru: &'static str,
    pub kk: &'static str,
}

macro_rules! terms {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|t| Term {
                code: t.code(),
                en: t.label_en(),
                ru: t.label_ru(),
                kk: t.label_kk(),
            })
            .collect::<Vec<_>>()
    };
}

/// Vocabularies (kind, family, region, status, legal class, confidence) with English, Russian
/// and Kazakh labels. Readable as the registry is (the UI takes a 401 here as "log in first").
#[utoipa::path(
    get, path = "/vocab", tag = "data",
    responses(
        (status = 200, description = "Vocabulary name → terms", body = std::collections::BTreeMap<String, Vec<Term>>),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn vocab(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    caller.read(&state)?;
    Ok(json(&j!({
        "kind": terms!(Kind), "family": terms!(Family), "region": terms!(Region),
        "status": terms!(Status), "legal_class": terms!(LegalClass), "confidence": terms!(Confidence),
    })))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ImportQuery {
    /// Check and report without writing (default false).
    dry_run: Option<bool>,
    /// Keep the current figures as current when the file's figures conflict (default: the
    /// imported figures become current; both are kept either way).
    keep_current: Option<bool>,
    /// csv, xlsx or geojson (default: from the file name).
    #[param(pattern = "^(csv|xlsx|geojson)$")]
    format: Option<String>,
}

/// The upload: a `file` field.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Upload {
    /// CSV, XLSX or GeoJSON in the registry's import layout.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn flag(params: &Params, name: &str, errors: &mut Vec<FieldProblem>) -> bool {
    match params.get(name) {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            errors.push(FieldProblem::new(name, "expected true or false"));
            false
        }
    }
}

/// Import TMFs (editor): upsert by external id, all or nothing, with the same row-level report
/// as `qaita import`.
#[utoipa::path(
    post, path = "/imports", tag = "data",
    params(ImportQuery),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Imported (or, with dry_run, what would be): counts, changes", body = Object),
        (status = 400, description = "No file field, or a bad parameter", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below editor, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the server accepts", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Rows rejected, nothing written: errors name file, row, field and reason; report holds the counts", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Editor)?.username.clone();
    let mut errors = Vec::new();
    let dry_run = flag(&params, "dry_run", &mut errors);
    let keep_current = flag(&params, "keep_current", &mut errors);
    let forced = match params.get("format") {
        None | Some("") => None,
        Some("csv") => Some(Format::Csv),
        Some("xlsx") => Some(Format::Xlsx),
        Some("geojson") => Some(Format::GeoJson),
        Some(_) => {
            errors.push(FieldProblem::new("format", "expected csv, xlsx or geojson"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid query parameters", errors));
    }
    let mut multipart = multipart.map_err(|_| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send multipart/form-data with a 'file' field",
        )
    })?;
    let mut upload = None;
    while let Some(field) = multipart.next_field().await? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_string();
            upload = Some((name, field.bytes().await?));
            break;
        }
    }
    let (name, bytes) = upload.ok_or_else(|| {
        Problem::invalid(
            "multipart field 'file' is missing",
            vec![FieldProblem::new("file", "attach the file to import")],
        )
    })?;
    let format = match forced.or_else(|| Format::from_path(std::path::Path::new(&name))) {
        Some(f) => f,
        None => {
            return Err(Problem::invalid(
                "cannot tell the file's format",
                vec![FieldProblem::new(
                    "format",
                    format!("'{name}' has no .csv, .xlsx or .geojson extension: pass format"),
                )],
            ));
        }
    };
    let report = state
        .db(move |s| {
            let started = Instant::now();
            let input = match qaita_io::read_bytes(&name, &bytes, format, &ReadOptions::default()) {
                Ok(input) => input,
                Err(problems) => {
                    let errors: Vec<FieldProblem> = problems.iter().map(FieldProblem::from).collect();
                    let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Import rejected", format!("{name} cannot be read; nothing was written"));
                    p.errors = errors;
                    p.report = Some(j!({"file": name, "problems": problems, "committed": false, "dry_run": dry_run}));
                    return Err(p);
                }
            };
            let options = ImportOptions {
                policy: if keep_current { CurrentPolicy::KeepCurrent } else { CurrentPolicy::ImportedBecomesCurrent },
                dry_run,
                keep_valid: false,
                actor: user.clone(),
                context: format!("upload {name}"),
                ..ImportOptions::default()
            };
            let report = s.import(input.records, &options, &mut |_| {})?;
            let mut value = serde_json::to_value(&report).map_err(Problem::internal)?;
            if let Some(object) = value.as_object_mut() {
                object.insert("file".into(), Value::from(name.clone()));
                object.insert("encoding".into(), Value::from(input.encoding.name()));
                object.insert("seconds".into(), Value::from(started.elapsed().as_secs_f64()));
            }
            if !report.problems.is_empty() {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Import rejected",
                    format!("{} rows rejected; nothing was written", report.rejected_rows.len()),
                );
                p.errors = report.problems.iter().map(FieldProblem::from).collect();
                p.report = Some(value);
                return Err(p);
            }
            Ok(value)
        })
        .await?;
    Ok(json(&report))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportQuery {
    /// csv (default), geojson or gpkg.
    #[param(pattern = "^(csv|geojson|gpkg)$")]
    format: Option<String>,
}

/// Export the TMFs matching the filters as CSV (the import layout), GeoJSON or GeoPackage.
#[utoipa::path(
    get, path = "/exports", tag = "data",
    params(ExportQuery, super::tmfs::FilterQuery),
    responses(
        (status = 200, description = "The file (Content-Disposition names it)", content((String = "text/csv"), (Object = "application/geo+json"), (String = "application/geopackage+sqlite3"))),
        (status = 400, description = "A parameter is invalid", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let format = params.get("format").unwrap_or("csv").to_string();
    let filter = super::tmfs::parse_filter(&params, false);
    let (extension, content_type) = match format.as_str() {
        "csv" => ("csv", "text/csv; charset=utf-8"),
        "geojson" => ("geojson", "application/geo+json"),
        "gpkg" => ("gpkg", "application/geopackage+sqlite3"),
        _ => {
            let problem = FieldProblem::new("format", "expected csv, geojson or gpkg");
            return Err(match filter {
                Err(mut p) => {
                    p.errors.push(problem);
                    p
                }
                Ok(_) => Problem::invalid("invalid query parameters", vec![problem]),
            });
        }
    };
    let filter = filter?;
    let body = state
        .db(move |s| {
            let stored = s.list(&filter)?;
            let tmfs: Vec<&qaita_model::Tmf> = stored.iter().map(|t| &t.tmf).collect();
            let mut out = Vec::new();
            match format.as_str() {
                "csv" => qaita_io::write_csv(&mut out, &tmfs, qaita_io::TextEncoding::Utf8, b',')
                    .map_err(Problem::internal)?,
                "geojson" => qaita_io::write_geojson(&mut out, &tmfs).map_err(Problem::internal)?,
                _ => {
                    let dir = tempfile::tempdir().map_err(Problem::internal)?;
                    let path = dir.path().join("export.gpkg");
                    let refs: Vec<&qaita_model::StoredTmf> = stored.iter().collect();
                    qaita_io::write_gpkg(&path, &refs).map_err(Problem::internal)?;
                    out = std::fs::read(&path).map_err(Problem::internal)?;
                }
            }
            Ok(out)
        })
        .await?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = format!("attachment; filename=\"qaita-tmfs.{extension}\"");
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Liveness and the database behind the server.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// "ok".
    pub status: String,
    /// sqlite or postgres.
    pub backend: String,
    pub schema_version: i64,
    /// Server version.
    pub version: String,
}

/// Whether the server and its database answer (no login needed).
#[utoipa::path(
    get, path = "/health", tag = "data",
    responses(
        (status = 200, description = "Up", body = Health),
        (status = 503, description = "The database does not answer", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn health(State(state): State<AppState>) -> Result<Response, Problem> {
    let (backend, schema_version) = state
        .db(|s| {
            Ok((
                s.backend(),
                s.schema_version()
                    .map_err(|e| Problem::unavailable(e.to_string()))?,
            ))
        })
        .await?;
    Ok(json(&Health {
        status: "ok".into(),
        backend: serde_json::to_value(backend)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        schema_version,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
