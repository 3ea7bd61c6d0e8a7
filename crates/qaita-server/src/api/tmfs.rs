//! The registry: list (filters, bbox, text, sort, paging), GeoJSON, one TMF, create, edit,
//! soft delete, history.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qaita_app::document::TmfDocument;
use qaita_model::{Kind, LegalClass, Region, Status, StoredTmf, Tmf};
use qaita_risk::proximity::Site;
use qaita_store::{BBox, RawTmf, Role, SortKey, StoreError, TmfFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{Params, json, raw_json};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// Largest page.
pub const MAX_LIMIT: i64 = 1000;

/// Filters shared by the list, GeoJSON, statistics, proximity and export endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FilterQuery {
    /// Region code (`karaganda`) or its name in English, Russian or Kazakh.
    region: Option<String>,
    /// Kind code: tailings, slag, ash, waste_rock, off_balance_ore, sludge, phosphogypsum, cake_clinker, other.
    kind: Option<String>,
    /// Objects with a grade for this commodity (Cu, Au, Cr2O3, TREO, ...).
    commodity: Option<String>,
    /// Status code: active, inactive, conserved, abandoned, being_reprocessed, remediated, unknown.
    status: Option<String>,
    /// Legal class: waste, technogenic_subsoil, undetermined.
    legal_class: Option<String>,
    /// Only objects whose owner is known (true) or unknown (false).
    owner_known: Option<bool>,
    /// Case-insensitive text in ids, names (any language), operator, owner, source enterprise.
    q: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat` in WGS84 degrees (edges included).
    #[param(example = "66.0,47.0,70.0,50.0")]
    bbox: Option<String>,
}

/// Sorting and paging of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// external_id (default), id, name, region, kind, tonnage, npv (P50 NPV of the latest valuation). Missing values sort last.
    #[param(pattern = "^(id|external_id|name|region|kind|tonnage|npv)$")]
    sort: Option<String>,
    /// asc (default) or desc.
    #[param(pattern = "^(asc|desc)$")]
    order: Option<String>,
    /// Page size, 1..1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A query parameter parsed with `FromStr`; a bad value becomes a problem naming it.
pub(crate) fn vocab<T: std::str::FromStr>(
    params: &Params,
    name: &str,
    errors: &mut Vec<FieldProblem>,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let text = params.get(name).map(str::trim).filter(|t| !t.is_empty())?;
    match text.parse() {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldProblem::new(name, e.to_string()));
            None
        }
    }
}

/// The filter (and, with `paging`, the sort and page) of a query string, or a 400 naming
/// every bad parameter.
pub fn parse_filter(params: &Params, paging: bool) -> Result<TmfFilter, Problem> {
    let mut errors = Vec::new();
    let mut filter = TmfFilter {
        region: vocab::<Region>(params, "region", &mut errors),
        kind: vocab::<Kind>(params, "kind", &mut errors),
        commodity: vocab(params, "commodity", &mut errors),
        status: vocab::<Status>(params, "status", &mut errors),
        legal_class: vocab::<LegalClass>(params, "legal_class", &mut errors),
        bbox: vocab::<BBox>(params, "bbox", &mut errors),
        text: params
            .get("q")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        ..TmfFilter::default()
    };
    match params.get("owner_known") {
        None | Some("") => {}
        Some("true") => filter.owner_known = Some(true),
        Some("false") => filter.owner_known = Some(false),
        Some(_) => errors.push(FieldProblem::new("owner_known", "expected true or false")),
    }
    if paging {
        let name = params.get("sort").unwrap_or("external_id");
        filter.sort = SortKey::parse(name).unwrap_or_else(|| {
            errors.push(FieldProblem::new(
                "sort",
                format!(
                    "cannot sort by '{name}': use one of {}",
                    SortKey::NAMES.join(", ")
                ),
            ));
            SortKey::Id
        });
        filter.descending = match params.get("order").unwrap_or("asc") {
            "asc" => false,
            "desc" => true,
            _ => {
                errors.push(FieldProblem::new("order", "expected asc or desc"));
                false
            }
        };
        let integer = |name: &str,
                       default: i64,
                       range: std::ops::RangeInclusive<i64>,
                       errors: &mut Vec<FieldProblem>| {
            match params.get(name) {
                None => default,
                Some(text) => match text.trim().parse::<i64>() {
                    Ok(v) if range.contains(&v) => v,
                    _ => {
                        errors.push(FieldProblem::new(
                            name,
                            format!(
                                "expected an integer {}..{}",
                                range.start(),
                                if *range.end() == i64::MAX {
                                    "".to_string()
                                } else {
                                    range.end().to_string()
                                }
                            ),
                        ));
                        default
                    }
                },
            }
        };
        filter.limit = Some(integer("limit", 100, 1..=MAX_LIMIT, &mut errors));
        filter.offset = Some(integer("offset", 0, 0..=i64::MAX, &mut errors));
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(Problem::invalid("invalid query parameters", errors))
    }
}

/// One page of TMFs.
#[derive(Serialize, ToSchema)]
pub struct ListPage {
    /// Objects matching the filters, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// TMF documents (as `GET /tmfs/{id}`) with a shorter `derived`: tonnage_t, owner_known,
    /// proximity, and valuation.p50_usd when a valuation is stored.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
}

/// Proximity of a listed TMF, as JSON, cached by (id, version).
fn proximity_json(state: &AppState, row: &RawTmf) -> Arc<str> {
    let key = (row.id, row.version);
    if let Some(hit) = state
        .inner
        .proximity_json
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        return hit;
    }
    let footprint = row
        .footprint
        .as_deref()
        .and_then(|f| qaita_model::geometry::parse_footprint(f).ok());
    let proximity = state.settlements().assess(&Site {
        lon: row.lon,
        lat: row.lat,
        footprint: footprint.as_ref(),
    });
    let text: Arc<str> = serde_json::to_string(&proximity)
        .unwrap_or_else(|_| "null".into())
        .into();
    if let Ok(mut m) = state.inner.proximity_json.lock() {
        if m.len() > 500_000 {
            m.clear();
        }
        m.insert(key, text.clone());
    }
    text
}

fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serialising numbers, strings and options into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// A list item: the stored document spliced with the row's columns, never re-parsed.
fn write_item(out: &mut Vec<u8>, row: &RawTmf, proximity: &str) {
    out.extend_from_slice(b"{\"id\":");
    push_json(out, &row.id);
    out.extend_from_slice(b",\"version\":");
    push_json(out, &row.version);
    out.extend_from_slice(b",\"created_at\":");
    push_json(out, &row.created_at);
    out.extend_from_slice(b",\"updated_at\":");
    push_json(out, &row.updated_at);
    let doc = row.doc.trim();
    let inner = doc
        .strip_prefix('{')
        .and_then(|d| d.strip_suffix('}'))
        .unwrap_or("")
        .trim();
    if !inner.is_empty() {
        out.push(b',');
        out.extend_from_slice(inner.as_bytes());
    }
    out.extend_from_slice(b",\"derived\":{\"tonnage_t\":");
    push_json(out, &row.tonnage_t);
    out.extend_from_slice(b",\"owner_known\":");
    push_json(out, &row.owner_known);
    out.extend_from_slice(b",\"proximity\":");
    out.extend_from_slice(proximity.as_bytes());
    out.extend_from_slice(b",\"valuation\":");
    match row.npv_usd {
        Some(v) => {
            out.extend_from_slice(b"{\"p50_usd\":");
            push_json(out, &v);
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}}");
}

/// List TMFs: filters, bounding box, text search, sort and paging.
#[utoipa::path(
    get, path = "/tmfs", tag = "registry",
    params(FilterQuery, PageQuery),
    responses(
        (status = 200, description = "A page of TMFs", body = ListPage),
        (status = 400, description = "A parameter is invalid (each is named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let filter = parse_filter(&params, true)?;
    let (limit, offset) = (filter.limit.unwrap_or(100), filter.offset.unwrap_or(0));
    let (total, rows) = state.db_quick(move |s| Ok(s.list_page(&filter)?)).await?;
    let mut out = Vec::with_capacity(256 + rows.iter().map(|r| r.doc.len() + 600).sum::<usize>());
    out.extend_from_slice(b"{\"total\":");
    push_json(&mut out, &total);
    out.extend_from_slice(b",\"limit\":");
    push_json(&mut out, &limit);
    out.extend_from_slice(b",\"offset\":");
    push_json(&mut out, &offset);
    out.extend_from_slice(b",\"items\":[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_item(&mut out, row, &proximity_json(&state, row));
    }
    out.extend_from_slice(b"]}");
    Ok(raw_json(out, "application/json"))
}

/// A GeoJSON feature collection.
#[derive(Serialize, ToSchema)]
pub struct FeatureCollection {
    /// Always "FeatureCollection".
    #[serde(rename = "type")]
    pub kind: String,
    /// Point features; properties: id, external_id, name, name_kk, name_ru, kind, region,
    /// status, legal_class, owner_known, tonnage_t, near_settlement, npv_usd.
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<Value>,
}

/// Every TMF matching the filters as GeoJSON points (for maps and GIS).
#[utoipa::path(
    get, path = "/tmfs.geojson", tag = "registry",
    params(FilterQuery),
    responses(
        (status = 200, description = "TMF locations", body = FeatureCollection, content_type = "application/geo+json"),
        (status = 400, description = "A parameter is invalid", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn geojson(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let filter = parse_filter(&params, false)?;
    let rows = state.db(move |s| Ok(s.list_raw(&filter)?)).await?;
    let features: Vec<Value> = rows
        .iter()
        .map(|r| {
            let near = serde_json::from_str::<Value>(&proximity_json(&state, r))
                .ok()
                .and_then(|p| p["near_settlement"].as_bool())
                .unwrap_or(false);
            serde_json::json!({
                "type": "Feature",
                "id": r.id,
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": {
                    "id": r.id, "external_id": r.external_id, "name": r.name,
                    "name_kk": r.name_kk, "name_ru": r.name_ru, "kind": r.kind, "region": r.region,
                    "status": r.status, "legal_class": r.legal_class, "owner_known": r.owner_known,
                    "tonnage_t": r.tonnage_t, "near_settlement": near, "npv_usd": r.npv_usd,
                }
            })
        })
        .collect();
    let body = serde_json::to_vec(&FeatureCollection {
        kind: "FeatureCollection".into(),
        features,
    })
    .map_err(Problem::internal)?;
    Ok(raw_json(body, "application/geo+json"))
}

/// The TMF document with an ETag of its version.
fn document_response(status: StatusCode, document: &TmfDocument) -> Response {
    let mut response = json(document);
    *response.status_mut() = status;
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", document.stored.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

async fn load_document(state: &AppState, key: String) -> Result<TmfDocument, Problem> {
    let index_state = state.clone();
    state
        .db_quick(move |s| {
            let stored = s
                .find(&key)?
                .ok_or_else(|| Problem::not_found(format!("no TMF {key}")))?;
            Ok(TmfDocument::load(s, stored, index_state.settlements())?)
        })
        .await
}

/// One TMF: every figure with its provenance, and what follows from it (`derived`).
#[utoipa::path(
    get, path = "/tmfs/{id}", tag = "registry",
    params(("id" = String, Path, description = "Registry id (number) or external id (KZ-TMF-0012)", example = "KZ-TMF-0012")),
    responses(
        (status = 200, description = "The TMF document; ETag is its version", body = Object,
            headers(("ETag" = String, description = "\"<version>\", for If-Match"))),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF (or deleted)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let document = load_document(&state, id).await?;
    Ok(document_response(StatusCode::OK, &document))
}

/// Fields an edit may change, each a string or null (null or "" clears it; not `name`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TmfPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub name_kk: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub name_ru: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub operator: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub source_enterprise: Option<Option<String>>,
    /// Status code.
    #[serde(default, deserialize_with = "present")]
    pub status: Option<Option<String>>,
    /// Legal class code.
    #[serde(default, deserialize_with = "present")]
    pub legal_class: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub hazard_notes: Option<Option<String>>,
}

/// A member that is present (even as null) becomes `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl TmfPatch {
    /// Apply to `tmf`, or name every bad field.
    fn apply(self, tmf: &mut Tmf) -> Result<(), Vec<FieldProblem>> {
        let mut errors = Vec::new();
        let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(v) = self.name {
            match clean(v) {
                Some(name) => tmf.names.name = name,
                None => errors.push(FieldProblem::new("name", "the name cannot be empty")),
            }
        }
        if let Some(v) = self.name_kk {
            tmf.names.name_kk = clean(v);
        }
        if let Some(v) = self.name_ru {
            tmf.names.name_ru = clean(v);
        }
        if let Some(v) = self.operator {
            tmf.operator = clean(v);
        }
        if let Some(v) = self.owner {
            tmf.owner = clean(v);
        }
        if let Some(v) = self.source_enterprise {
            tmf.source_enterprise = clean(v);
        }
        if let Some(v) = self.hazard_notes {
            tmf.hazard_notes = clean(v);
        }
        if let Some(v) = self.status {
            match clean(v).map(|s| s.parse::<Status>()) {
                Some(Ok(s)) => tmf.status = s,
                Some(Err(e)) => errors.push(FieldProblem::new("status", e.to_string())),
                None => errors.push(FieldProblem::new(
                    "status",
                    "the status cannot be empty (use unknown)",
                )),
            }
        }
        if let Some(v) = self.legal_class {
            match clean(v).map(|s| s.parse::<LegalClass>()) {
                Some(Ok(s)) => tmf.legal_class = s,
                Some(Err(e)) => errors.push(FieldProblem::new("legal_class", e.to_string())),
                None => errors.push(FieldProblem::new(
                    "legal_class",
                    "the legal class cannot be empty (use undetermined)",
                )),
            }
        }
        errors.extend(
            tmf.validate()
                .into_iter()
                .map(|e| FieldProblem::new(e.field, e.reason)),
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The version an `If-Match` header names: `"12"`, `W/"12"` or `12`.
fn if_match(headers: &HeaderMap) -> Result<i64, Problem> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "Precondition required",
            "send If-Match: \"<version>\" with the version you read (the ETag)",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| {
            Problem::invalid(
                "If-Match must hold the version, e.g. \"3\"",
                vec![FieldProblem::new("If-Match", "expected \"<version>\"")],
            )
        })
}

/// A store conflict as 409 with the version the TMF is at now.
fn conflict_with_version(s: &mut qaita_store::Store, id: i64, e: StoreError) -> Problem {
    match e {
        StoreError::Conflict { expected, .. } => {
            let current = s.get(id).ok().flatten().map(|t| t.version);
            let mut p = Problem::conflict(format!(
                "the TMF is at version {}, not {expected}; reload and edit again",
                current.map_or("?".to_string(), |v| v.to_string())
            ));
            p.current_version = current;
            p
        }
        other => other.into(),
    }
}

fn body_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        let field = e.to_string();
        Problem::invalid(
            "the JSON body does not fit",
            vec![FieldProblem::new(
                field
                    .split('`')
                    .nth(1)
                    .filter(|_| field.contains("unknown field") || field.contains("missing field"))
                    .unwrap_or("body"),
                field.clone(),
            )],
        )
    })
}

fn require_json(headers: &HeaderMap) -> Result<(), Problem> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/merge-patch+json")
        });
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send the body as JSON with Content-Type: application/json",
        ))
    }
}

/// Edit a TMF's names, operator, owner, status, legal class or hazard notes (editor).
#[utoipa::path(
    patch, path = "/tmfs/{id}", tag = "registry",
    params(
        ("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012"),
        ("If-Match" = String, Header, description = "\"<version>\" you read (the ETag)"),
    ),
    request_body(content = TmfPatch, description = "Only the fields to change", content_type = "application/json"),
    responses(
        (status = 200, description = "The TMF after the edit (version bumped only if something changed)", body = Object),
        (status = 400, description = "A field is invalid (each is named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below editor, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Someone changed it since you read it (current_version)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Editor)?.username.clone();
    let version = if_match(&headers)?;
    require_json(&headers)?;
    let patch: TmfPatch = body_object(&body)?;
    let via = if caller.csrf_token.is_some() {
        "web edit"
    } else {
        "API edit"
    };
    let index_state = state.clone();
    let document = state
        .db(move |s| {
            let stored = s
                .find(&id)?
                .ok_or_else(|| Problem::not_found(format!("no TMF {id}")))?;
            let mut tmf = stored.tmf.clone();
            patch
                .apply(&mut tmf)
                .map_err(|errors| Problem::invalid("invalid fields", errors))?;
            let updated = s
                .update(stored.id, version, &tmf, &user, via)
                .map_err(|e| conflict_with_version(s, stored.id, e))?;
            Ok(TmfDocument::load(s, updated, index_state.settlements())?)
        })
        .await?;
    Ok(document_response(StatusCode::OK, &document))
}

/// Add a TMF (editor). The body is a TMF document as `GET /tmfs/{id}` returns it, without
/// `id`, `version`, timestamps or `derived`.
#[utoipa::path(
    post, path = "/tmfs", tag = "registry",
    request_body(content = Object, description = "TMF document (external_id, name, kind, family, region, location, status, legal_class, figures with provenance, ...)", content_type = "application/json"),
    responses(
        (status = 201, description = "Created; Location names it", body = Object),
        (status = 400, description = "Invalid document (fields named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below editor, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The external id exists", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Editor)?.username.clone();
    require_json(&headers)?;
    let mut value: Value = body_object(&body)?;
    if let Some(object) = value.as_object_mut() {
        for server_side in ["id", "version", "created_at", "updated_at", "derived"] {
            object.remove(server_side);
        }
    }
    let tmf: Tmf = serde_json::from_value(value).map_err(|e| {
        Problem::invalid(
            "the TMF document does not fit",
            vec![FieldProblem::new("body", e.to_string())],
        )
    })?;
    let errors: Vec<FieldProblem> = tmf
        .validate()
        .into_iter()
        .map(|e| FieldProblem::new(e.field, e.reason))
        .collect();
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid TMF", errors));
    }
    let index_state = state.clone();
    let document = state
        .db(move |s| {
            let stored: StoredTmf = s.create(&tmf, &user, "API create")?;
            Ok(TmfDocument::load(s, stored, index_state.settlements())?)
        })
        .await?;
    let mut response = document_response(StatusCode::CREATED, &document);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/tmfs/{}", document.stored.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Delete a TMF (editor): it leaves listings and statistics; its history stays, and importing
/// it again revives it.
#[utoipa::path(
    delete, path = "/tmfs/{id}", tag = "registry",
    params(
        ("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012"),
        ("If-Match" = String, Header, description = "\"<version>\" you read (the ETag)"),
    ),
    responses(
        (status = 204, description = "Deleted (soft)"),
        (status = 400, description = "If-Match is malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below editor, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Changed since you read it", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Editor)?.username.clone();
    let version = if_match(&headers)?;
    state
        .db(move |s| {
            let stored = s
                .find(&id)?
                .ok_or_else(|| Problem::not_found(format!("no TMF {id}")))?;
            s.soft_delete(stored.id, version, &user, "API delete")
                .map_err(|e| conflict_with_version(s, stored.id, e))
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One change in a TMF's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub tmf_id: i64,
    pub at: String,
    /// User name of whoever made the change.
    pub actor: String,
    /// create, update or delete.
    pub action: String,
    pub context: Option<String>,
    /// Version after the change.
    pub version: i64,
    /// Fields changed: {field, before, after}.
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<Value>,
}

/// The audit trail of a TMF, oldest first (deleted TMFs included).
#[utoipa::path(
    get, path = "/tmfs/{id}/history", tag = "registry",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    responses(
        (status = 200, description = "Changes, oldest first", body = Vec<HistoryEntry>),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let entries = state
        .db(move |s| {
            let found = match s.find(&id)? {
                Some(t) => Some(t.id),
                None => s
                    .get_by_external_id(&id)?
                    .map(|t| t.id)
                    .or_else(|| id.parse::<i64>().ok()),
            };
            let entries = match found {
                Some(tmf_id) => s.history(tmf_id)?,
                None => Vec::new(),
            };
            if entries.is_empty() {
                return Err(Problem::not_found(format!("no TMF {id}")));
            }
            Ok(entries)
        })
        .await?;
    Ok(json(&entries))
}
