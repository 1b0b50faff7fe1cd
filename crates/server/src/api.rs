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
use store::{Filter, Received};
use utoipa::{OpenApi, ToSchema};

use crate::auth::ApiUser;
use crate::body::{parse_json, JsonBytes};
use crate::error::AppError;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "rightsgate", description = "Human-rights screening of cross-border e-evidence requests"),
    paths(health, evaluate, submit, cases, case, case_ledger, act, checkpoint),
    components(schemas(Submitted, CaseList, CaseSummary, CaseDetail, TimelineItem, Proof, CaseLedger, LedgerEvent, ActionBody, SecondApprover, ActionDone, CheckpointBody, Health, ProblemDoc)),
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

/// An RFC 9457 problem document.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProblemDoc {
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// One entry per field: `pointer` (a JSON pointer, or the query field's name) and `detail`.
    errors: Vec<serde_json::Value>,
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn openapi() -> Response {
    let doc = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
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
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
pub(crate) async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state.0.store.tree_size().await?;
    Ok(Json(Health { status: "ok", backend: state.0.store.backend_name() }))
}

/// Screens a request without storing it; returns the decision (`rightsgate/decision/v1`).
#[utoipa::path(post, path = "/api/v1/evaluate",
    request_body(content = Object, description = "a request (`/schemas/request.v1.json`)", content_type = "application/json"),
    responses((status = 200, description = "the decision (`/schemas/decision.v1.json`)", body = Object),
        (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
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
    #[schema(value_type = Object)]
    decision: Option<domain::Decision>,
}

/// Screens a request and stores it as a new case (durable when this returns).
#[utoipa::path(post, path = "/api/v1/requests",
    request_body(content = Object, description = "a request (`/schemas/request.v1.json`)", content_type = "application/json"),
    responses((status = 201, body = Submitted), (status = 200, description = "already stored", body = Submitted),
        (status = 400, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 413, body = ProblemDoc),
        (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
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
    responses((status = 200, body = CaseList), (status = 400, body = ProblemDoc), (status = 403, body = ProblemDoc)),
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
    #[schema(value_type = Object)]
    detail: Option<serde_json::Value>,
    proof: Proof,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseDetail {
    summary: CaseSummary,
    /// The request as received, unless purged.
    #[schema(value_type = Object)]
    request: Option<serde_json::Value>,
    /// Screening's decision, unless purged.
    #[schema(value_type = Object)]
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
    responses((status = 200, body = CaseDetail), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
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
    responses((status = 200, body = CaseLedger), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
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

/// A person's action on a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionBody {
    /// start_review, request_information, information_received, open_consultation, decide, execute,
    /// renew_preservation or close.
    #[schema(value_type = String)]
    action: ActionName,
    /// For `decide`: approved, approved_in_part, refused or withdrawn.
    #[schema(value_type = Option<String>)]
    resolution: Option<Resolution>,
    /// For `decide`: why the decision departs from the recommendation.
    reason: Option<String>,
    /// For `decide`, where four eyes are needed.
    second_approver: Option<SecondApprover>,
    /// For `execute`: what was disclosed, within the granted categories and windows.
    #[schema(value_type = Option<Vec<Object>>)]
    disclosed: Option<Vec<Grant>>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ActionDone {
    state: String,
}

/// Records a review action or a decision through `app::cases::act`; the store enforces roles, transitions, four
/// eyes and the grant.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", params(("id" = String, Path)),
    request_body(content = ActionBody, content_type = "application/json"),
    responses((status = 200, body = ActionDone), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, description = "not allowed in the case's state", body = ProblemDoc),
        (status = 422, description = "invalid body, a disclosure outside the grant, or the four-eyes rule refuses", body = ProblemDoc),
        (status = 429, description = "too many failed checks of the second approver's password", body = ProblemDoc)),
    security(("token" = []), ("session" = [])))]
pub(crate) async fn act(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    JsonBytes(bytes): JsonBytes,
) -> Result<Json<ActionDone>, AppError> {
    let body: ActionBody = parse_json(&bytes)?;
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
#[utoipa::path(get, path = "/api/v1/checkpoint", responses((status = 200, body = CheckpointBody)))]
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
