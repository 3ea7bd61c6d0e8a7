//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the Swagger UI page
//! that browses it (its assets are vendored into the binary: nothing is downloaded).

use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Qaita API",
        description = "National registry of Kazakhstan's technogenic mineral formations (TMFs): registry, history, statistics, proximity to settlements, imports and exports, resource estimates, valuations, policy runs and national plans (ranking, roadmap, schedules, scenarios, reports).\n\nAuthentication: a web session (`POST /api/v1/session`, then the `qaita_session` cookie and, on writes, the `X-CSRF-Token` header) or an API token (`Authorization: Bearer qaita_<id>_<secret>`, from `qaita user token` or `POST /api/v1/users/{username}/tokens`). Roles: viewer < analyst (uploads sampling files, runs resource estimates, valuations, policy runs, schedules, scenarios and reports) < editor (writes the registry) < admin (users). Errors are RFC 9457 problem details.",
        license(name = "MIT")
    ),
    modifiers(&Security),
    tags(
        (name = "registry", description = "TMFs, their history, statistics and proximity"),
        (name = "analyses", description = "Valuations, resource estimates (uploads, preview, cross-validation, estimate jobs) and policy runs"),
        (name = "jobs", description = "Background jobs (stored in the database, run by any worker): state, results, files, cancellation"),
        (name = "plan", description = "National prioritisation: ranking, removal programme, rare-metals roadmap, schedules, scenarios and reports"),
        (name = "data", description = "Imports, exports and vocabularies"),
        (name = "auth", description = "Sessions, users and API tokens")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("qaita_<id>_<secret>")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// `/api/v1/openapi.json` and the docs page at `/api/v1/docs`.
pub fn docs(openapi: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi))
}
