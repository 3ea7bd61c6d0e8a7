//! Errors as RFC 9457 problem details (`application/problem+json`), with field-level errors.
//! Every failure a client can see goes through [`Problem`]; a panic becomes a 500 problem too.

use axum::extract::multipart::MultipartError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qaita_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One thing wrong with a field of the request (or a row of an uploaded file).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The query parameter, body member or column at fault.
    pub field: String,
    pub reason: String,
    /// The uploaded file, for import problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Row (CSV/XLSX, 1 = header) or feature number (GeoJSON), for import problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// What `row` counts: row, feature, file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            reason: reason.into(),
            file: None,
            row: None,
            unit: None,
        }
    }
}

impl From<&qaita_model::Problem> for FieldProblem {
    fn from(p: &qaita_model::Problem) -> Self {
        let value = serde_json::to_value(p).unwrap_or_default();
        FieldProblem {
            field: value["field"].as_str().unwrap_or("").to_string(),
            reason: value["reason"].as_str().unwrap_or("").to_string(),
            file: value["file"].as_str().map(str::to_string),
            row: value["row"].as_u64().map(|r| r as usize),
            unit: value["unit"].as_str().map(str::to_string),
        }
    }
}

/// A problem details document (RFC 9457), boxed so that `Result<_, Problem>` stays small.
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemDetails>);

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

/// What a problem says (RFC 9457 members plus Qaita's).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDetails {
    /// `urn:qaita:problem:<slug>`, one per kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level (or row-level) errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// On 409 after a stale `If-Match`: the version the object is at now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// On a rejected import: the whole report (counts, problems, rejected rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    /// On 429 and 503: seconds to wait, also sent as the `Retry-After` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> Self {
        let slug: String = title
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let detail: String = detail.into();
        Problem(Box::new(ProblemDetails {
            kind: format!("urn:qaita:problem:{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: (!detail.is_empty()).then_some(detail),
            errors: Vec::new(),
            current_version: None,
            report: None,
            retry_after: None,
        }))
    }

    /// Ask the client to wait `seconds` (the `Retry-After` header and the `retry_after` member).
    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = errors;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 400 naming the fields at fault.
    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldProblem>) -> Self {
        Problem::bad_request(detail).with_errors(errors)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    pub fn csrf() -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "CSRF token missing or wrong",
            "send the X-CSRF-Token header returned by POST /api/v1/session",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        // The cause goes to the log; the client learns only that it was not its fault.
        tracing::error!("internal error: {detail}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "the server failed; the error is in its log",
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            detail,
        )
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.0.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"qaita\""),
            );
        }
        response
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { id, expected } => Problem::conflict(format!(
                "TMF {id} is no longer at version {expected}; reload and edit again"
            )),
            StoreError::Duplicate(what) => Problem::conflict(format!("{what} already exists")),
            StoreError::NotFound(what) => Problem::not_found(format!("{what} does not exist")),
            other => Problem::internal(other),
        }
    }
}

impl From<anyhow::Error> for Problem {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<StoreError>() {
            Ok(store) => store.into(),
            Err(other) => Problem::internal(format!("{other:#}")),
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let text = r.body_text();
        match r {
            JsonRejection::MissingJsonContentType(_) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonDataError(_) => {
                // serde names the member at fault: "... at line 1 column 10" or "field: ...".
                Problem::invalid(
                    "the JSON body does not fit",
                    vec![FieldProblem::new("body", text)],
                )
            }
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            _ => Problem::invalid(
                "the body is not valid JSON",
                vec![FieldProblem::new("body", text)],
            ),
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        Problem::invalid(
            "invalid query parameters",
            vec![FieldProblem::new("query", r.body_text())],
        )
    }
}

impl From<PathRejection> for Problem {
    fn from(r: PathRejection) -> Self {
        Problem::invalid(
            "invalid path",
            vec![FieldProblem::new("path", r.body_text())],
        )
    }
}

impl From<MultipartError> for Problem {
    fn from(e: MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Problem::bad_request(format!("cannot read the multipart body: {}", e.body_text()))
        }
    }
}

pub fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Payload too large",
        "the request body is larger than the server accepts (--max-body)",
    )
}
