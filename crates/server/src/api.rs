//! The JSON API under `/api/v1`, its OpenAPI 3.1 document, and the published JSON Schemas.
//!
//! Requests and decisions travel in their documented formats (`rightsgate/request/v1`,
//! `rightsgate/decision/v1`); the other bodies are the DTOs below, read with unknown fields rejected.

use app::cases::{ActionName, ActionRequest, Credentials};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::case::{Action, CaseState, Resolution};
use domain::decision::Grant;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{Filter, Received};
use utoipa::openapi::schema::{ObjectBuilder, Schema};
use utoipa::openapi::RefOr;
use utoipa::{OpenApi, PartialSchema, ToSchema};

use crate::auth::ApiUser;
use crate::body::{parse_json, JsonBytes};
use crate::error::{AppError, FieldError, Problem};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "rightsgate", description = "Human-rights screening of cross-border e-evidence requests"),
    paths(health, evaluate, submit, cases, case, case_ledger, act, checkpoint),
    components(schemas(Submitted, CaseList, CaseSummary, CaseDetail, TimelineItem, Proof, CaseLedger, LedgerEvent, SecondApprover, ActionDone, CheckpointBody, Health, Problem<'static>, FieldError)),
    modifiers(&Security)
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

/// Stands for a component that [`document`] writes from JSON: its name, so operations refer to it.
macro_rules! written_schema {
    ($name:ident, $component:literal) => {
        struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new().description(Some("written by `document`")).into()
            }
        }

        impl ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                $component.into()
            }
        }
    };
}

written_schema!(RequestSchema, "Request");
written_schema!(ScreenSchema, "RequestToScreen");
written_schema!(DecisionSchema, "Decision");
written_schema!(ActionSchema, "ActionBody");

/// `GET /api/v1/openapi.json`: the document for this deployment (see [`document`]).
pub(crate) async fn openapi(State(state): State<AppState>) -> Response {
    let doc = serde_json::to_vec_pretty(&document(&state.0.ctx)).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}

/// The OpenAPI document: the operations and DTOs declared with `utoipa` below, finished by the rules every
/// operation shares, so that the document names every status code and content type the server answers with.
///
/// - Every 4xx and 5xx answer is an RFC 9457 problem document, `application/problem+json`.
/// - An operation that needs a caller documents `401`; one that reads a body documents `400` (not JSON), `413`
///   (over 1 MiB) and `415` (not JSON's media type); every operation documents `500`.
/// - Request bodies are strict: the request format with this deployment's policy state and law packs, since
///   screening refuses others (`RequestToScreen`, what `evaluate` reads), plus what the store keeps (`Request`,
///   what intake takes); and one shape per action (`ActionBody`), fields of other actions refused. All forbid
///   unknown fields, as the server's readers do.
pub(crate) fn document(ctx: &rules::Context) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(|s| s.as_object_mut()) {
        schemas.insert("Request".to_owned(), request_schema(ctx, Purpose::Keep));
        schemas.insert("RequestToScreen".to_owned(), request_schema(ctx, Purpose::Screen));
        schemas.insert("Decision".to_owned(), published("decision.v1.json"));
        schemas.insert("ActionBody".to_owned(), action_schema());
    }
    let states: Vec<&str> = domain::case::ALL_STATES.iter().map(|s| s.as_str()).collect();
    if let Some(params) =
        doc.pointer_mut("/paths/~1api~1v1~1cases/get/parameters").and_then(|p| p.as_array_mut())
    {
        for p in params.iter_mut() {
            match p["name"].as_str() {
                Some("state") => p["schema"]["enum"] = json!(states),
                Some("limit") => {
                    p["schema"]["minimum"] = json!(1);
                    p["schema"]["maximum"] = json!(1000);
                }
                _ => {}
            }
        }
    }
    // Links say where a case id comes from, for clients and for stateful testing.
    let links = |id: &str| {
        let to = |op: &str| json!({ "operationId": op, "parameters": { "id": id } });
        json!({ "case": to("case"), "act": to("act"), "ledger": to("case_ledger") })
    };
    for (at, id) in [
        ("/paths/~1api~1v1~1requests/post/responses/201", "$response.body#/case"),
        ("/paths/~1api~1v1~1requests/post/responses/200", "$response.body#/case"),
        ("/paths/~1api~1v1~1cases/get/responses/200", "$response.body#/cases/0/id"),
    ] {
        if let Some(response) = doc.pointer_mut(at) {
            response["links"] = links(id);
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            for op in item.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                finish_operation(op);
            }
        }
    }
    doc
}

const PROBLEM_TYPE: &str = "application/problem+json";

fn problem_content() -> serde_json::Value {
    json!({ PROBLEM_TYPE: { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

/// Applies the shared rules of [`document`] to one operation.
fn finish_operation(op: &mut serde_json::Value) {
    let secured = op.get("security").and_then(|s| s.as_array()).is_some_and(|s| !s.is_empty());
    let has_body = op.get("requestBody").is_some();
    let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
        return;
    };
    let mut common: Vec<(&str, &str)> =
        vec![("500", "an internal error: logged, never described to the caller")];
    if secured {
        common
            .push(("401", "no session or API token, or one that is unknown, revoked or disabled"));
    }
    if has_body {
        common.push(("400", "the body is not JSON"));
        common.push(("413", "the body is over 1 MiB"));
        common.push(("415", "the body is not sent as `application/json`"));
    }
    for (status, description) in common {
        responses.entry(status).or_insert_with(|| json!({ "description": description }));
    }
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = problem_content();
        }
    }
}

/// A published schema (`/schemas/NAME`) as an OpenAPI component: the same text without its `$schema` and `$id`.
fn published(name: &str) -> serde_json::Value {
    let text = SCHEMAS.iter().find(|(n, _)| *n == name).map_or("{}", |(_, t)| *t);
    let mut schema: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    if let Some(o) = schema.as_object_mut() {
        o.remove("$schema");
        o.remove("$id");
    }
    schema
}

/// What a request body is read for.
#[derive(Clone, Copy, PartialEq)]
enum Purpose {
    /// Screened only (`evaluate`).
    Screen,
    /// Screened and kept as a case (intake).
    Keep,
}

/// Text without U+0000, which the store refuses in the fields it keeps in clear (`Store::prepare_intake`).
const NO_NUL: &str = "^[^\\u0000]*$";

/// The request format as this deployment reads it: the published schema plus the checks its readers and
/// screening make that the published schema leaves out (see `domain::Request::check` and `rules::screen`), and
/// for intake the store's (`Store::prepare_intake`).
fn request_schema(ctx: &rules::Context, purpose: Purpose) -> serde_json::Value {
    let mut schema = published("request.v1.json");
    let states: Vec<&str> = ctx.lawpacks().map(|p| p.code.as_str()).collect();
    let patches = [
        ("/properties/reference", json!({ "minLength": 1, "maxLength": 128 })),
        ("/properties/offences", json!({ "minItems": 1 })),
        ("/properties/assurances/properties/retention_days", json!({ "maximum": u64::MAX })),
        ("/properties/requested_state", json!({ "enum": [ctx.policy().state] })),
        ("/properties/requesting/properties/state", json!({ "enum": states })),
        ("/properties/data/properties/period/properties/from", json!({ "format": "date" })),
        ("/properties/data/properties/period/properties/to", json!({ "format": "date" })),
    ];
    let kept = [
        ("/properties/reference", json!({ "pattern": NO_NUL })),
        ("/properties/requesting/properties/authority", json!({ "pattern": NO_NUL })),
    ];
    let kept = if purpose == Purpose::Keep { &kept[..] } else { &[] };
    for (at, patch) in patches.iter().chain(kept) {
        if let (Some(target), Some(patch)) =
            (schema.pointer_mut(at).and_then(|t| t.as_object_mut()), patch.as_object())
        {
            target.extend(patch.clone());
        }
    }
    // The readers take `null` for these optional fields as if they were absent.
    for at in [
        "/properties/emergency",
        "/properties/emergency/properties/threat",
        "/properties/emergency/properties/explanation",
        "/properties/data/properties/period",
        "/properties/authorization/properties/authority",
        "/properties/assurances/properties/retention_days",
        "/properties/intake",
        "/properties/review",
    ] {
        if let Some(kind) = schema.pointer_mut(at).and_then(|t| t.get_mut("type")) {
            *kind = json!([kind.clone(), "null"]);
        }
    }
    let kept = match purpose {
        Purpose::Screen => "",
        Purpose::Keep => {
            " Kept as a case: the reference and the authority's name, which the store keeps in clear, hold no \
             U+0000."
        }
    };
    schema["description"] = json!(format!(
        "A request for electronic evidence (`rightsgate/request/v1`, `/schemas/request.v1.json`), as this \
         deployment screens it: asked of `{}` by a state with a law pack.{kept}",
        ctx.policy().state
    ));
    schema
}

/// The action body: one shape per action, each refusing the fields of the others.
fn action_schema() -> serde_json::Value {
    let plain: Vec<&str> = ActionName::ALL
        .iter()
        .map(|(_, n)| *n)
        .filter(|n| !matches!(*n, "decide" | "execute"))
        .collect();
    let resolutions: Vec<&str> = domain::stats::RESOLUTIONS.iter().map(|r| r.as_str()).collect();
    let categories: Vec<&str> = domain::vocab::Category::ALL.iter().map(|c| c.as_str()).collect();
    let day = json!({ "type": ["string", "null"], "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" });
    json!({
        "description": "A person's action on a case. Each action takes only its own fields; absent and `null` \
            optional fields are the same.",
        "oneOf": [
            {
                "title": "a plain action",
                "type": "object",
                "additionalProperties": false,
                "required": ["action"],
                "properties": { "action": { "type": "string", "enum": plain } }
            },
            {
                "title": "decide",
                "type": "object",
                "additionalProperties": false,
                "required": ["action", "resolution"],
                "properties": {
                    "action": { "const": "decide" },
                    "resolution": { "type": "string", "enum": resolutions },
                    "reason": {
                        "type": ["string", "null"],
                        "description": "Why the decision departs from the recommendation."
                    },
                    "second_approver": {
                        "description": "Where four eyes are needed.",
                        "oneOf": [{ "$ref": "#/components/schemas/SecondApprover" }, { "type": "null" }]
                    }
                }
            },
            {
                "title": "execute",
                "type": "object",
                "additionalProperties": false,
                "required": ["action"],
                "properties": {
                    "action": { "const": "execute" },
                    "disclosed": {
                        "description": "What was disclosed: each item within a granted category and its window.",
                        "type": ["array", "null"],
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["category"],
                            "properties": {
                                "category": { "type": "string", "enum": categories },
                                "from": day,
                                "to": day
                            }
                        }
                    }
                }
            }
        ]
    })
}

/// The published schemas, hand-written and checked against the conformance requests in the tests.
pub(crate) const SCHEMAS: &[(&str, &str)] = &[
    ("request.v1.json", include_str!("../assets/schemas/request.v1.json")),
    ("decision.v1.json", include_str!("../assets/schemas/decision.v1.json")),
];

/// `GET /schemas/{file}`.
pub(crate) async fn schema(Path(file): Path<String>) -> Result<Response, AppError> {
    let (_, text) = SCHEMAS.iter().find(|(n, _)| *n == file).ok_or_else(AppError::not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/schema+json")], *text).into_response())
}

/// Any unknown API path.
pub(crate) async fn not_found() -> AppError {
    AppError::not_found()
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    status: &'static str,
    backend: &'static str,
}

/// Liveness: the process answers and the database is reachable.
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, description = "up", body = Health)))]
pub(crate) async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state.0.store.tree_size().await?;
    Ok(Json(Health { status: "ok", backend: state.0.store.backend_name() }))
}

/// Screens a request without storing it; returns the decision (`rightsgate/decision/v1`).
#[utoipa::path(post, path = "/api/v1/evaluate",
    request_body(content = ScreenSchema, description = "a request (`/schemas/request.v1.json`)", content_type = "application/json"),
    responses((status = 200, description = "the decision (`/schemas/decision.v1.json`)", body = DecisionSchema),
        (status = 403, description = "the caller's role may not read cases"),
        (status = 422, description = "the request does not read (a field named in `errors`)")),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn evaluate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response, AppError> {
    user.require(Action::ReadCases, "evaluate requests")?;
    let screened = crate::intake::screen(&state, &bytes)?;
    let body = serde_json::to_vec(&screened.decision)
        .map_err(|e| AppError::Internal(format!("serializing a decision: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// What intake did.
#[derive(Serialize, ToSchema)]
pub(crate) struct Submitted {
    /// The case id.
    case: String,
    /// Whether the authority's reference was stored before (then nothing was written).
    already_stored: bool,
    /// An open case from the same authority with an overlapping identifier.
    duplicate_of: Option<String>,
    /// The screening decision.
    #[schema(value_type = Option<DecisionSchema>)]
    decision: Option<domain::Decision>,
}

/// Screens a request and stores it as a new case (durable when this returns).
#[utoipa::path(post, path = "/api/v1/requests",
    request_body(content = RequestSchema, description = "a request (`/schemas/request.v1.json`)", content_type = "application/json"),
    responses(
        (status = 201, description = "stored as a new case", body = Submitted,
            headers(("Location" = String, description = "the case, `/api/v1/cases/{id}`"))),
        (status = 200, description = "the authority's reference was stored before; nothing was written", body = Submitted),
        (status = 403, description = "the caller is not an intake officer"),
        (status = 422, description = "the request does not read (a field named in `errors`)"),
        (status = 503, description = "another writer held the database too long; nothing was stored",
            headers(("Retry-After" = u64, description = "seconds to wait")))),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response, AppError> {
    user.require(Action::Intake, "submit requests")?;
    let screened = crate::intake::screen(&state, &bytes)?;
    let (received, decision) = crate::intake::store(&state, screened, &user.name).await?;
    Ok(match received {
        Received::New { id, duplicate_of } => (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/api/v1/cases/{id}"))],
            Json(Submitted {
                case: id,
                already_stored: false,
                duplicate_of,
                decision: Some(decision),
            }),
        )
            .into_response(),
        Received::AlreadyStored { id } => {
            Json(Submitted { case: id, already_stored: true, duplicate_of: None, decision: None })
                .into_response()
        }
    })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseSummary {
    id: String,
    requesting_state: String,
    authority: String,
    reference: String,
    measure: String,
    urgency: String,
    recommended: String,
    state: String,
    /// RFC 3339.
    received_at: String,
    /// RFC 3339.
    due_at: String,
    overdue: bool,
    duplicate_of: Option<String>,
    purged: bool,
    /// RFC 3339: when preserved data expires, for an approved preservation not yet closed.
    preservation_expires_at: Option<String>,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn summary(s: store::Summary, now: time::OffsetDateTime) -> CaseSummary {
    CaseSummary {
        overdue: s.state.is_open() && s.due_at < now,
        id: s.id,
        requesting_state: s.requesting_state,
        authority: s.authority,
        reference: s.reference,
        measure: s.measure,
        urgency: s.urgency,
        recommended: s.recommended,
        state: s.state.as_str().to_owned(),
        received_at: rfc3339(s.received_at),
        due_at: rfc3339(s.due_at),
        duplicate_of: s.duplicate_of,
        purged: s.purged,
        preservation_expires_at: s.preservation_expires_at.map(rfc3339),
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseList {
    cases: Vec<CaseSummary>,
}

/// Reads `state`, `open`, `requesting_state` and `limit` from a query string, naming a bad field.
pub(crate) fn filter(query: Option<&str>) -> Result<Filter, AppError> {
    let mut f = Filter::default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*k {
            "state" => {
                let names: Vec<&str> =
                    domain::case::ALL_STATES.iter().map(|s| s.as_str()).collect();
                f.state = Some(CaseState::parse(&v).ok_or_else(|| {
                    AppError::field(
                        "state",
                        format!("unknown state \"{v}\", expected one of {}", names.join(", ")),
                    )
                })?);
            }
            "open" => {
                f.open_only = match &*v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(AppError::field(
                            "open",
                            format!("\"{v}\" is not true or false"),
                        ))
                    }
                }
            }
            "requesting_state" => f.requesting_state = Some(v.into_owned()),
            "limit" => {
                f.limit = Some(
                    v.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                        AppError::field("limit", format!("\"{v}\" is not a number from 1 to 1000"))
                    })?,
                );
            }
            other => {
                return Err(AppError::field(
                    other,
                    "unknown query field, expected state, open, requesting_state or limit",
                ))
            }
        }
    }
    Ok(f)
}

/// Lists cases, earliest due first.
#[utoipa::path(get, path = "/api/v1/cases",
    params(("state" = Option<String>, Query, description = "only cases in this state"),
        ("open" = Option<bool>, Query, description = "only open cases"),
        ("requesting_state" = Option<String>, Query, description = "ISO 3166 code"),
        ("limit" = Option<u32>, Query, description = "1 to 1000, default 100")),
    responses((status = 200, description = "the cases", body = CaseList),
        (status = 403, description = "the caller's role may not read cases"),
        (status = 422, description = "a query field is unknown or out of range (named in `errors`)")),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn cases(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<Json<CaseList>, AppError> {
    user.require(Action::ReadCases, "read cases")?;
    let filter = filter(query.as_deref())?;
    let now = crate::now();
    let list = state.0.store.cases(&filter).await?;
    Ok(Json(CaseList { cases: list.into_iter().map(|s| summary(s, now)).collect() }))
}

/// An inclusion proof of one leaf in the tree of `size` leaves.
#[derive(Serialize, ToSchema, Clone)]
pub(crate) struct Proof {
    pub(crate) index: u64,
    pub(crate) size: u64,
    /// Hex SHA-256 leaf hash (RFC 6962).
    pub(crate) leaf_hash: String,
    /// Hex root of the tree of `size` leaves.
    pub(crate) root: String,
    /// Hex audit path, leaf to root.
    pub(crate) hashes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TimelineItem {
    seq: u64,
    at: String,
    event: String,
    state: String,
    actor: String,
    role: String,
    leaf_index: u64,
    /// What the event recorded besides its name: a decision's approvers, reason and departure, an execution's
    /// disclosures; `null` for the other events.
    #[schema(value_type = Option<Object>)]
    detail: Option<serde_json::Value>,
    proof: Proof,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseDetail {
    summary: CaseSummary,
    /// The request as received, unless purged.
    #[schema(value_type = Option<Object>)]
    request: Option<serde_json::Value>,
    /// Screening's decision, unless purged.
    #[schema(value_type = Option<DecisionSchema>)]
    decision: Option<domain::Decision>,
    timeline: Vec<TimelineItem>,
}

/// The inclusion proof of leaf `index` at `size`.
pub(crate) async fn proof(state: &AppState, index: u64, size: u64) -> Result<Proof, AppError> {
    let inc = state.0.store.inclusion_proof(index, size).await?;
    Ok(Proof {
        index,
        size,
        leaf_hash: hex::encode(inc.leaf_hash.as_bytes()),
        root: hex::encode(inc.root.digest().as_bytes()),
        hashes: inc.proof.hashes().iter().map(|h| hex::encode(h.as_bytes())).collect(),
    })
}

/// One case with its decision, findings, timeline, and an inclusion proof of every event's ledger leaf.
#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "the case", body = CaseDetail),
        (status = 403, description = "the caller's role may not read cases"),
        (status = 404, description = "no such case")),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn case(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, AppError> {
    user.require(Action::ReadCases, "read cases")?;
    let view = state.0.store.case(&state.0.sealer, &id).await?;
    let size = state.0.store.tree_size().await?;
    let mut timeline = Vec::with_capacity(view.timeline.len());
    for t in view.timeline {
        timeline.push(TimelineItem {
            proof: proof(&state, t.leaf_index, size).await?,
            seq: t.seq,
            at: rfc3339(t.at),
            event: t.event,
            state: t.state,
            actor: t.actor,
            role: t.role,
            leaf_index: t.leaf_index,
            detail: t.detail,
        });
    }
    Ok(Json(CaseDetail {
        summary: summary(view.summary, crate::now()),
        request: view.request.and_then(|b| serde_json::from_slice(&b).ok()),
        decision: view.decision,
        timeline,
    }))
}

/// One ledger leaf of a case with its inclusion proof.
#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerEvent {
    pub(crate) leaf_index: u64,
    /// The leaf as stored (canonical JSON of non-personal metadata; see docs/reports.md).
    #[schema(value_type = Object)]
    pub(crate) leaf: serde_json::Value,
    pub(crate) proof: Proof,
}

/// What an oversight body sees of a case: its ledger leaves and their proofs against one checkpoint, never the
/// request or anything personal.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaseLedger {
    pub(crate) case: String,
    pub(crate) checkpoint: CheckpointBody,
    pub(crate) events: Vec<LedgerEvent>,
}

/// A case's ledger leaves with an inclusion proof of each against the current checkpoint (oversight and staff).
#[utoipa::path(get, path = "/api/v1/ledger/cases/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "the case's leaves and proofs", body = CaseLedger),
        (status = 403, description = "the caller's role may not read the ledger"),
        (status = 404, description = "no such case")),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn case_ledger(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseLedger>, AppError> {
    user.require(Action::ReadLedger, "read the ledger")?;
    Ok(Json(ledger_of_case(&state, &id).await?))
}

/// The one implementation of the oversight view of a case, for the API and the desk's oversight page.
pub(crate) async fn ledger_of_case(state: &AppState, id: &str) -> Result<CaseLedger, AppError> {
    let indices = state.0.store.case_leaves(id).await?;
    let checkpoint = current_checkpoint(state).await?;
    let mut events = Vec::with_capacity(indices.len());
    for index in indices {
        let bytes = state.0.store.leaf(index).await?;
        let leaf = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Internal(format!("ledger leaf {index} is not JSON: {e}")))?;
        events.push(LedgerEvent {
            leaf_index: index,
            leaf,
            proof: proof(state, index, checkpoint.size).await?,
        });
    }
    Ok(CaseLedger { case: id.to_owned(), checkpoint, events })
}

/// The second approver of a four-eyes decision, confirming with their own password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondApprover {
    pub(crate) name: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for SecondApprover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondApprover").field("name", &self.name).finish_non_exhaustive()
    }
}

/// A person's action on a case (documented by [`action_schema`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionBody {
    /// start_review, request_information, information_received, open_consultation, decide, execute,
    /// renew_preservation or close.
    action: ActionName,
    /// For `decide`: approved, approved_in_part, refused or withdrawn.
    resolution: Option<Resolution>,
    /// For `decide`: why the decision departs from the recommendation.
    reason: Option<String>,
    /// For `decide`, where four eyes are needed.
    second_approver: Option<SecondApprover>,
    /// For `execute`: what was disclosed, within the granted categories and windows.
    disclosed: Option<Vec<Grant>>,
}

/// The fields an action takes besides `action`; the others are refused rather than ignored, so that a client's
/// mistake (a disclosure sent with a decision) is not silently dropped.
fn fields_of(action: ActionName) -> &'static [&'static str] {
    match action {
        ActionName::Decide => &["resolution", "reason", "second_approver"],
        ActionName::Execute => &["disclosed"],
        _ => &[],
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ActionDone {
    state: String,
}

/// Records a review action or a decision through `app::cases::act`; the store enforces roles, transitions, four
/// eyes and the grant.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", params(("id" = String, Path)),
    request_body(content = ActionSchema, content_type = "application/json"),
    responses((status = 200, description = "the case's new state", body = ActionDone),
        (status = 403, description = "the caller's role may not take this action"),
        (status = 404, description = "no such case"),
        (status = 409, description = "not allowed in the case's state"),
        (status = 422, description = "an invalid body, a field of another action, a disclosure outside the grant, a renewal of \
            what is not a running preservation, or the four-eyes rule refuses (the field is named in `errors`)"),
        (status = 429, description = "too many failed checks of the second approver's password",
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, description = "too many password checks at once",
            headers(("Retry-After" = u64, description = "seconds to wait")))),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn act(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    JsonBytes(bytes): JsonBytes,
) -> Result<Json<ActionDone>, AppError> {
    let body: ActionBody = parse_json(&bytes)?;
    let fields: serde_json::Map<String, serde_json::Value> = parse_json(&bytes)?;
    let allowed = fields_of(body.action);
    if let Some(other) = fields.keys().find(|k| *k != "action" && !allowed.contains(&k.as_str())) {
        return Err(AppError::field(
            &format!("/{other}"),
            format!("`{other}` is not a field of `{}`", body.action.as_str()),
        ));
    }
    // Serde also reads a struct from an array of its fields in order; the body has objects only.
    let items = fields.get("disclosed").and_then(|d| d.as_array()).into_iter().flatten();
    let objects = fields
        .get("second_approver")
        .map(|v| ("/second_approver".to_owned(), v))
        .into_iter()
        .chain(items.enumerate().map(|(i, v)| (format!("/disclosed/{i}"), v)));
    for (at, v) in objects {
        if v.is_array() {
            return Err(AppError::field(&at, "expected an object, not an array"));
        }
    }
    let request = ActionRequest {
        action: body.action,
        resolution: body.resolution,
        reason: body.reason,
        second: body.second_approver.map(|s| Credentials { name: s.name, password: s.password }),
        disclosed: body.disclosed.unwrap_or_default(),
    };
    let next = crate::act(&state, &user, &id, request).await?;
    Ok(Json(ActionDone { state: next.as_str().to_owned() }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CheckpointBody {
    pub(crate) origin: String,
    pub(crate) size: u64,
    /// Base64 root hash, as in the checkpoint note.
    pub(crate) root: String,
    /// The checkpoint as a C2SP signed note (the unsigned body when the server has no signing key).
    pub(crate) note: String,
    pub(crate) signed: bool,
}

/// The ledger's current checkpoint (public: it holds only a size and a root hash).
#[utoipa::path(get, path = "/api/v1/checkpoint", responses((status = 200, description = "the checkpoint", body = CheckpointBody)))]
pub(crate) async fn checkpoint(
    State(state): State<AppState>,
) -> Result<Json<CheckpointBody>, AppError> {
    Ok(Json(current_checkpoint(&state).await?))
}

pub(crate) async fn current_checkpoint(state: &AppState) -> Result<CheckpointBody, AppError> {
    use base64::Engine as _;
    let store = &state.0.store;
    let size = store.tree_size().await?;
    let root = store.root_at(size).await?;
    let config = &state.0.config;
    let cp = ledger::Checkpoint::new(&config.origin, root)
        .map_err(|e| AppError::Internal(format!("checkpoint: {e}")))?;
    let (note, signed) = match &config.signer {
        Some(s) => (cp.sign(s).map_err(|e| AppError::Internal(format!("signing: {e}")))?, true),
        None => (cp.body(), false),
    };
    Ok(CheckpointBody {
        origin: config.origin.clone(),
        size,
        root: base64::engine::general_purpose::STANDARD.encode(root.digest().as_bytes()),
        note,
        signed,
    })
}

/// The checkpoint's size and root for the public page.
pub(crate) async fn public_checkpoint(state: &AppState) -> Result<(u64, String, String), AppError> {
    let c = current_checkpoint(state).await?;
    Ok((c.size, c.root, c.note))
}
