//! The OpenAPI 3.1 description of the JSON API, generated from the code.
//!
//! Every API handler carries `#[utoipa::path]` and is mounted with
//! `utoipa_axum::routes!`, which registers the route and its description
//! from the same attribute: what is described is what is mounted (a test
//! holds both directions). The document is served at `GET
//! /api/openapi.json`; `GET /api/docs` renders it as a plain page, without
//! scripts, so it works offline and under the strict content security
//! policy.

use crate::error::ApiError;
use crate::pages::PageCtx;
use crate::state::Portcullis;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, Server};
use utoipa::{Modify, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Name of the session-cookie security scheme.
pub(crate) const SESSION: &str = "session";
/// Name of the CSRF-header security scheme (with a session, on every
/// method but GET).
pub(crate) const CSRF: &str = "csrf";
/// Name of the bearer-token security scheme.
pub(crate) const BEARER: &str = "bearer";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Portcullis",
        description = "Accounts, sessions, second factors, API tokens, roles and the audit log.\n\n\
            A request is authenticated by the session cookie (set by `POST /api/login`; every \
            method but GET then also sends the session's CSRF token as `X-CSRF-Token`) or by \
            an API token as `Authorization: Bearer pcl_…` (no CSRF token; a token does only \
            what its scopes allow, named in each operation's security requirement). Every \
            error is `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&Schemes),
    components(schemas(crate::error::ApiErrorBody, crate::error::ApiErrorDetail)),
    tags(
        (name = "account", description = "Registration, login and the caller's own account"),
        (name = "email", description = "Confirmation, password reset and email change"),
        (name = "sessions", description = "The caller's sessions"),
        (name = "two-factor", description = "TOTP and recovery codes"),
        (name = "passkeys", description = "Passkeys (WebAuthn): registering them, signing in with one, and the second factor"),
        (name = "tokens", description = "Login tokens and personal access tokens"),
        (name = "admin", description = "Administration: users, roles, service accounts, tokens and the audit log"),
        (name = "meta", description = "This description"),
    ),
)]
struct ApiDoc;

struct Schemes;

impl Modify for Schemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "portcullis_session",
                "The session cookie set by a login (`__Host-portcullis_session` over https).",
            ))),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token, as the login and `GET /api/me` answer it.",
            ))),
        );
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pcl_…")
                    .description(Some(
                        "An API token. The requirement's list names the scopes the token \
                         needs; an empty list means any token of the account.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every API route, under its `/api` prefix, with its description.
pub(crate) fn api_router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api",
        crate::api::router()
            .routes(routes!(document))
            .routes(routes!(docs_page)),
    )
}

/// The document, built once.
pub(crate) fn document_value() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut openapi = api_router().into_openapi();
        openapi.servers = Some(vec![Server::new("/")]);
        serde_json::to_value(&openapi).unwrap_or_else(|_| json!({}))
    })
}

/// The OpenAPI description of this API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "meta",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1)", body = Object, content_type = "application/json"),
    ),
)]
async fn document() -> Response {
    axum::Json(document_value()).into_response()
}

/// This description as a page.
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "api_docs_page",
    tag = "meta",
    responses(
        (status = 200, description = "The description as an HTML page", body = String, content_type = "text/html"),
    ),
)]
async fn docs_page(
    axum::extract::State(state): axum::extract::State<Portcullis>,
    page: PageCtx,
) -> Response {
    match DocsView::of(document_value()) {
        Some(view) => page.render(&state, StatusCode::OK, "api_docs.html", json!(view)),
        None => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The API description could not be read.",
        )
        .into_response(),
    }
}

/// The document arranged for the page: operations by tag, each with who
/// may call it, its parameters, body and answers; then the schemas.
#[derive(Serialize)]
struct DocsView {
    title: String,
    version: String,
    /// Paragraphs.
    description: Vec<Vec<Segment>>,
    tags: Vec<TagView>,
    schemas: Vec<NamedJson>,
}

#[derive(Serialize)]
struct TagView {
    name: String,
    description: String,
    operations: Vec<OperationView>,
}

#[derive(Serialize)]
struct OperationView {
    anchor: String,
    method: String,
    path: String,
    summary: Vec<Segment>,
    description: Vec<Segment>,
    security: Vec<String>,
    parameters: Vec<ParameterView>,
    body: Option<BodyView>,
    responses: Vec<ResponseView>,
}

#[derive(Serialize)]
struct ParameterView {
    name: String,
    location: String,
    required: bool,
    description: String,
    schema: String,
}

#[derive(Serialize)]
struct ResponseView {
    status: String,
    description: Vec<Segment>,
    body: Option<BodyView>,
}

/// A body: its media type and schema, linked when it is a component.
#[derive(Serialize)]
struct BodyView {
    media: String,
    schema: String,
    linked: bool,
}

/// A run of text; `code` runs were between backticks.
#[derive(Serialize)]
struct Segment {
    text: String,
    code: bool,
}

/// Text with `code` spans, as the descriptions write them.
fn prose(text: &str) -> Vec<Segment> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| Segment {
            text: part.to_owned(),
            code: i % 2 == 1,
        })
        .collect()
}

#[derive(Serialize)]
struct NamedJson {
    name: String,
    json: String,
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A schema in words: the name of a referenced component, else the JSON.
fn schema_label(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.rsplit('/').next().unwrap_or(reference).to_owned(),
        None => serde_json::to_string(schema).unwrap_or_default(),
    }
}

fn content_schema(value: &Value) -> Option<BodyView> {
    let content = value.get("content")?.as_object()?;
    let (media, body) = content.iter().next()?;
    let schema = body.get("schema");
    Some(BodyView {
        media: media.clone(),
        schema: schema.map(schema_label).unwrap_or_default(),
        linked: schema.is_some_and(|s| s.get("$ref").is_some()),
    })
}

/// How the page names a security scheme, and where it sorts.
fn scheme_words(scheme: &str) -> (usize, &str) {
    match scheme {
        SESSION => (0, "session"),
        CSRF => (1, "CSRF header"),
        BEARER => (2, "bearer token"),
        other => (3, other),
    }
}

fn security_words(operation: &Value) -> Vec<String> {
    let Some(requirements) = operation.get("security").and_then(Value::as_array) else {
        return vec!["anyone".to_owned()];
    };
    requirements
        .iter()
        .filter_map(Value::as_object)
        .map(|requirement| {
            if requirement.is_empty() {
                return "anyone".to_owned();
            }
            let mut schemes: Vec<(&String, &Value)> = requirement.iter().collect();
            schemes.sort_by_key(|(scheme, _)| scheme_words(scheme).0);
            schemes
                .into_iter()
                .map(|(scheme, scopes)| {
                    let name = scheme_words(scheme).1;
                    let scopes: Vec<&str> = scopes
                        .as_array()
                        .map(|s| s.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if scopes.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{name} ({})", scopes.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect()
}

impl DocsView {
    fn of(document: &Value) -> Option<Self> {
        let info = document.get("info")?;
        let mut tags: Vec<TagView> = document
            .get("tags")?
            .as_array()?
            .iter()
            .map(|tag| TagView {
                name: text(tag, "name"),
                description: text(tag, "description"),
                operations: Vec::new(),
            })
            .collect();
        for (path, item) in document.get("paths")?.as_object()? {
            for (method, operation) in item.as_object()? {
                let tag = operation
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(Value::as_str)
                    .unwrap_or("meta");
                let Some(group) = tags.iter_mut().find(|t| t.name == tag) else {
                    continue;
                };
                group
                    .operations
                    .push(OperationView::of(path, method, operation));
            }
        }
        let schemas = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|schemas| {
                schemas
                    .iter()
                    .map(|(name, schema)| NamedJson {
                        name: name.clone(),
                        json: serde_json::to_string_pretty(schema).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            title: text(info, "title"),
            version: text(info, "version"),
            description: text(info, "description").split("\n\n").map(prose).collect(),
            tags,
            schemas,
        })
    }
}

impl OperationView {
    fn of(path: &str, method: &str, operation: &Value) -> Self {
        let parameters = operation
            .get("parameters")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|p| ParameterView {
                        name: text(p, "name"),
                        location: text(p, "in"),
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        description: text(p, "description"),
                        schema: p.get("schema").map(schema_label).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let responses = operation
            .get("responses")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(status, response)| ResponseView {
                        status: status.clone(),
                        description: prose(&text(response, "description")),
                        body: content_schema(response),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let method = method.to_ascii_uppercase();
        Self {
            anchor: format!("{method}-{path}")
                .replace(['/', '{', '}'], "-")
                .to_ascii_lowercase(),
            path: path.to_owned(),
            summary: prose(&text(operation, "summary")),
            description: prose(&text(operation, "description")),
            security: security_words(operation),
            parameters,
            body: operation.get("requestBody").and_then(content_schema),
            responses,
            method,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path.display().to_string(), text));
            }
        }
    }

    /// The API router is built only from `routes!`, which mounts a handler
    /// with the path its description names: a route added any other way
    /// would be mounted without being described.
    #[test]
    fn every_api_route_is_mounted_through_its_description() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root.join("api"), &mut files);
        files.push((
            "openapi.rs".into(),
            std::fs::read_to_string(root.join("openapi.rs")).unwrap(),
        ));
        for (name, text) in &files {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for forbidden in [
                ".route(",
                ".route_service(",
                ".nest_service(",
                "Router::new()\n",
                "axum::Router",
            ] {
                let hit = code
                    .match_indices(forbidden)
                    .any(|(i, _)| !code[..i].ends_with("OpenApi"));
                assert!(!hit, "{name} mounts a route with {forbidden:?}");
            }
            let handlers = code.matches("#[utoipa::path(").count();
            let mounted: usize = code
                .match_indices("routes!(")
                .map(|(i, _)| {
                    let rest = &code[i + "routes!(".len()..];
                    let end = rest.find(')').unwrap();
                    rest[..end]
                        .split(',')
                        .filter(|h| !h.trim().is_empty())
                        .count()
                })
                .sum();
            assert_eq!(
                handlers, mounted,
                "{name}: {handlers} described handlers, {mounted} mounted"
            );
        }
    }

    #[test]
    fn the_document_describes_every_operation_with_security_and_answers() {
        let doc = document_value();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        let mut ids = std::collections::HashSet::new();
        assert!(paths.len() >= 30, "only {} paths", paths.len());
        let mut operations = 0;
        for (path, item) in paths {
            assert!(path.starts_with("/api/"), "{path}");
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                let responses = op["responses"].as_object().unwrap();
                let meta = op["tags"][0] == "meta";
                assert!(meta || responses.contains_key("4XX"), "{method} {path}");
                assert!(
                    responses.keys().any(|k| k.starts_with('2')),
                    "{method} {path} has no success answer"
                );
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{method} {path} has no tag"
                );
                for parameter in path.split('{').skip(1) {
                    let name = parameter.split('}').next().unwrap();
                    let described = op["parameters"].as_array().is_some_and(|list| {
                        list.iter().any(|p| p["name"] == name && p["in"] == "path")
                    });
                    assert!(described, "{method} {path}: {{{name}}} is not described");
                }
            }
        }
        assert!(operations >= 45, "only {operations} operations");
        for scheme in [SESSION, CSRF, BEARER] {
            assert!(
                doc["components"]["securitySchemes"][scheme].is_object(),
                "{scheme}"
            );
        }
        // A token's scopes are part of the requirement.
        let me = &doc["paths"]["/api/me"]["get"]["security"];
        assert!(
            me.as_array()
                .unwrap()
                .iter()
                .any(|r| r["bearer"][0] == "me:read")
        );
    }

    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    found.push(r.clone());
                }
                map.values().for_each(|v| references(v, found));
            }
            Value::Array(list) => list.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_names_a_schema_of_the_document() {
        let doc = document_value();
        let mut found = Vec::new();
        references(doc, &mut found);
        assert!(found.len() > 50);
        for reference in found {
            let name = reference.strip_prefix("#/components/schemas/").unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{reference} is not in the document"
            );
        }
    }

    #[test]
    fn the_page_view_lists_every_operation() {
        let view = DocsView::of(document_value()).unwrap();
        let listed: usize = view.tags.iter().map(|t| t.operations.len()).sum();
        let described: usize = document_value()["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(listed, described);
        assert!(view.schemas.iter().any(|s| s.name == "Error"));
    }
}
