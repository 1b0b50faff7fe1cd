//! Server-rendered pages: sign-in, the work queue, intake with field-level messages, the case page with its
//! decision form, and the public transparency page. Templates are minijinja files compiled into the binary,
//! autoescaped as HTML.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::case::{Action, Event, Resolution};
use domain::vocab;
use serde_json::{json, Value};
use store::{Authenticated, Filter, Received};

use crate::auth::{self, MaybeUser, Principal};
use crate::body::Form;
use crate::error::AppError;
use crate::AppState;
use app::cases::{ActionName, ActionRequest, Credentials};

pub(crate) fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    for (name, text) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("error.html", include_str!("../templates/error.html")),
        ("queue.html", include_str!("../templates/queue.html")),
        ("intake.html", include_str!("../templates/intake.html")),
        ("case.html", include_str!("../templates/case.html")),
        ("transparency.html", include_str!("../templates/transparency.html")),
        ("oversight.html", include_str!("../templates/oversight.html")),
        ("assessment.html", include_str!("../templates/assessment.html")),
    ] {
        if let Err(e) = env.add_template(name, text) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
}

/// A page-level error: the same classes as the API's, rendered as HTML.
#[derive(Debug)]
pub(crate) struct PageError(pub(crate) AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<store::StoreError> for PageError {
    fn from(e: store::StoreError) -> Self {
        PageError(e.into())
    }
}

type PageResult = Result<Response, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // The app's templates, named `*.html`, so minijinja escapes every value as HTML.
        static TEMPLATES: std::sync::OnceLock<minijinja::Environment<'static>> =
            std::sync::OnceLock::new();
        self.0.log();
        let status = self.0.status();
        let (title, detail) = self.0.public_text();
        let html = TEMPLATES
            .get_or_init(templates)
            .get_template("error.html")
            .and_then(|t| t.render(minijinja::context! { title, detail }))
            .unwrap_or_else(|_| "error".to_owned());
        crate::error::with_retry_after((status, Html(html)).into_response(), self.0.retry_seconds())
    }
}

pub(crate) fn render(state: &AppState, name: &str, ctx: Value) -> PageResult {
    let html = state
        .0
        .templates
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| AppError::Internal(format!("rendering {name}: {e:#}")))?;
    Ok(Html(html).into_response())
}

pub(crate) fn user_ctx(p: &Principal) -> Value {
    json!({
        "name": p.name,
        "role": p.role.as_str(),
        "csrf": p.csrf(),
        "reads_cases": p.role.may(Action::ReadCases),
        "reads_ledger": p.role.may(Action::ReadLedger),
        "intake": p.role.may(Action::Intake),
        "reads_assessment": p.role.may(Action::ReadAssessment),
    })
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// Adds security headers to every response.
///
/// Responses are `Cache-Control: no-store` unless they already say otherwise, except that a successful public
/// page or asset (`/transparency`, `/static/…`, `/schemas/…`) fetched without credentials may be cached for a
/// few minutes.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let public =
        path == "/transparency" || path.starts_with("/static/") || path.starts_with("/schemas/");
    let credentials = req.headers().contains_key(header::AUTHORIZATION)
        || auth::cookie(req.headers(), auth::SESSION_COOKIE).is_some();
    let cacheable = public && !credentials;
    let mut res = next.run(req).await;
    let cache = if cacheable && res.status().is_success() {
        HeaderValue::from_static("public, max-age=300")
    } else {
        HeaderValue::from_static("no-store")
    };
    let h = res.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, cache);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

/// `GET /static/style.css`.
pub(crate) async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css")], include_str!("../templates/style.css")).into_response()
}

/// Unknown page.
pub(crate) async fn not_found() -> PageError {
    PageError(AppError::not_found())
}

/// `GET /`: the queue, the oversight page for oversight bodies, the public page for public auditors, or the
/// sign-in page.
pub(crate) async fn home(user: MaybeUser) -> Redirect {
    match user.0 {
        None => Redirect::to("/login"),
        Some(p) if p.role.may(Action::ReadCases) => Redirect::to("/queue"),
        Some(p) if p.role.may(Action::ReadLedger) => Redirect::to("/oversight"),
        Some(_) => Redirect::to("/transparency"),
    }
}

fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<&str>,
    name: &str,
    status: StatusCode,
) -> PageResult {
    let csrf = random_hex();
    let mut res =
        render(state, "login.html", json!({ "csrf": csrf, "error": error, "name": name }))?;
    *res.status_mut() = status;
    let cookie = auth::set_cookie(auth::LOGIN_COOKIE, &csrf, 3600, auth::secure(state, headers));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /login`.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: MaybeUser,
) -> PageResult {
    if user.0.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    login_page(&state, &headers, None, "", StatusCode::OK)
}

/// `POST /login`: checks the login CSRF cookie, then the password (throttled per account and client, see
/// `auth`).
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: auth::Client,
    form: Form,
) -> PageResult {
    let sent = form.get("csrf");
    let expected = auth::cookie(&headers, auth::LOGIN_COOKIE).unwrap_or("");
    if sent.is_empty()
        || !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes()))
    {
        return login_page(
            &state,
            &headers,
            Some("The sign-in form expired. Try again."),
            form.get("name"),
            StatusCode::FORBIDDEN,
        );
    }
    let name = form.get("name").trim();
    let now = crate::now();
    let checked = state.0.store.authenticate(name, form.get("password"), &client.0, now).await;
    let wait = |seconds: u64, res: PageResult| {
        res.map(|r| crate::error::with_retry_after(r, Some(seconds)))
    };
    match checked {
        Err(store::StoreError::Busy) => {
            let error = AppError::busy();
            let seconds = error.retry_seconds().unwrap_or(1);
            let message = "Too many sign-ins at once. Try again in a moment.";
            let res =
                login_page(&state, &headers, Some(message), name, StatusCode::SERVICE_UNAVAILABLE);
            wait(seconds, res)
        }
        Err(e) => Err(e.into()),
        Ok(Authenticated::User(user)) => {
            let session = state.0.store.create_session(&user.name, now).await?;
            let secure = auth::secure(&state, &headers);
            let ttl = (session.expires_at - now).whole_seconds();
            let mut res = Redirect::to("/").into_response();
            for c in [
                auth::set_cookie(auth::SESSION_COOKIE, &session.token, ttl, secure),
                auth::set_cookie(auth::LOGIN_COOKIE, "", 0, secure),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(res)
        }
        Ok(Authenticated::Wrong) => login_page(
            &state,
            &headers,
            Some("The account name or password is wrong."),
            name,
            StatusCode::UNAUTHORIZED,
        ),
        Ok(Authenticated::Disabled) => login_page(
            &state,
            &headers,
            Some("This account is disabled. Ask an administrator to enable it."),
            name,
            StatusCode::FORBIDDEN,
        ),
        Ok(Authenticated::Throttled { retry_after }) => {
            let seconds = crate::error::seconds_until(retry_after, now);
            let message = format!(
                "Too many failed sign-ins from here. Wait {} and try again.",
                crate::error::wait_text(seconds)
            );
            let status = StatusCode::TOO_MANY_REQUESTS;
            wait(seconds, login_page(&state, &headers, Some(&message), name, status))
        }
    }
}

/// `POST /logout`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: MaybeUser,
    form: Form,
) -> PageResult {
    if let Some(p) = user.0 {
        p.check_csrf(form.get("csrf"))?;
        if let Some(token) = auth::cookie(&headers, auth::SESSION_COOKIE) {
            state.0.store.end_session(token).await?;
        }
    }
    let mut res = Redirect::to("/login").into_response();
    let c = auth::set_cookie(auth::SESSION_COOKIE, "", 0, auth::secure(&state, &headers));
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn when(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC).format(&f).unwrap_or_default()
}

/// `GET /queue`: open cases by deadline, overdue ones highlighted.
pub(crate) async fn queue(State(state): State<AppState>, user: MaybeUser) -> PageResult {
    let Some(user) = user.0 else { return Ok(to_login()) };
    user.require(Action::ReadCases, "read cases")?;
    let now = crate::now();
    let cases = state
        .0
        .store
        .cases(&Filter { open_only: true, limit: Some(500), ..Filter::default() })
        .await?;
    let mut overdue = 0;
    let rows: Vec<Value> = cases
        .iter()
        .map(|c| {
            let late = c.due_at < now;
            overdue += usize::from(late);
            json!({
                "id": c.id, "reference": c.reference, "requesting_state": c.requesting_state,
                "authority": c.authority, "measure": c.measure, "urgency": c.urgency,
                "recommended": c.recommended, "state": c.state.as_str(), "due_at": when(c.due_at),
                "overdue": late, "duplicate_of": c.duplicate_of,
            })
        })
        .collect();
    let preserved = state
        .0
        .store
        .cases(&Filter { preservations: true, limit: Some(500), ..Filter::default() })
        .await?;
    let mut expired = 0;
    let preservations: Vec<Value> = preserved
        .iter()
        .filter_map(|c| {
            let expires = c.preservation_expires_at?;
            let late = expires <= now;
            expired += usize::from(late);
            Some(json!({
                "id": c.id, "reference": c.reference, "requesting_state": c.requesting_state,
                "authority": c.authority, "state": c.state.as_str(), "expires_at": when(expires), "expired": late,
            }))
        })
        .collect();
    render(
        &state,
        "queue.html",
        json!({
            "user": user_ctx(&user), "cases": rows, "overdue": overdue,
            "preservations": preservations, "expired": expired,
        }),
    )
}

fn names<T: Copy>(all: &[T], f: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

fn vocab_ctx() -> Value {
    json!({
        "channel": names(vocab::Channel::ALL, vocab::Channel::as_str),
        "instrument": names(vocab::Instrument::ALL, vocab::Instrument::as_str),
        "measure": names(vocab::Measure::ALL, vocab::Measure::as_str),
        "urgency": names(vocab::Urgency::ALL, vocab::Urgency::as_str),
        "authority_type": names(vocab::AuthorityType::ALL, vocab::AuthorityType::as_str),
        "category": names(vocab::Category::ALL, vocab::Category::as_str),
        "identifier_type": names(vocab::IdentifierType::ALL, vocab::IdentifierType::as_str),
        "authorization_kind": names(vocab::AuthorizationKind::ALL, vocab::AuthorizationKind::as_str),
    })
}

/// `GET /intake`.
pub(crate) async fn intake_form(State(state): State<AppState>, user: MaybeUser) -> PageResult {
    let Some(user) = user.0 else { return Ok(to_login()) };
    user.require(Action::Intake, "take requests in")?;
    let received = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"))
        .unwrap_or_default();
    let values = json!({
        "received": received,
        "requested_state": state.0.ctx.policy().state,
        "channel": "central_authority", "measure": "stored_data", "urgency": "routine",
        "authorization_kind": "judicial", "independent": true, "use_limited": true, "authenticated": true,
        "categories": ["subscriber"],
    });
    render(
        &state,
        "intake.html",
        json!({ "user": user_ctx(&user), "vocab": vocab_ctx(), "values": values, "errors": {} }),
    )
}

/// Which form field a request's JSON path belongs to.
fn form_field(pointer: &str) -> &'static str {
    const MAP: &[(&str, &str)] = &[
        ("/reference", "reference"),
        ("/received", "received"),
        ("/channel", "channel"),
        ("/requesting/state", "requesting_state"),
        ("/requesting/authority_type", "authority_type"),
        ("/requesting/authority", "authority"),
        ("/requested_state", "requested_state"),
        ("/legal_basis", "instrument"),
        ("/measure", "measure"),
        ("/data/categories", "categories"),
        ("/data/identifiers", "identifiers"),
        ("/data/period/from", "period_from"),
        ("/data/period/to", "period_to"),
        ("/data/period", "period"),
        ("/offences", "offences"),
        ("/facts", "facts"),
        ("/urgency", "urgency"),
        ("/emergency", "urgency"),
        ("/authorization/kind", "authorization_kind"),
        ("/authorization/authority", "authorization_authority"),
        ("/authorization", "authorization"),
        ("/assurances", "assurances"),
    ];
    MAP.iter().find(|(p, _)| pointer.starts_with(p)).map_or("form", |(_, f)| f)
}

/// The non-blank lines of a text area, each split at its first whitespace into a head (without a trailing
/// colon) and the trimmed rest: `email: a@example.org` gives `("email", "a@example.org")`.
fn head_and_rest(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| {
        let (head, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        (head.trim_end_matches(':'), rest.trim())
    })
}

/// Builds a request document from the intake form.
fn request_from_form(form: &Form) -> Value {
    let identifiers: Vec<Value> = head_and_rest(form.get("identifiers"))
        .map(|(kind, value)| json!({ "type": kind, "value": value }))
        .collect();
    let offences: Vec<Value> = head_and_rest(form.get("offences"))
        .map(|(r, d)| json!({ "ref": r, "description": d }))
        .collect();
    let mut received = form.get("received").trim().to_owned();
    if received.len() == 16 {
        received.push_str(":00Z");
    }
    let mut data = json!({ "categories": form.all("categories"), "identifiers": identifiers });
    let (from, to) = (form.get("period_from").trim(), form.get("period_to").trim());
    if !from.is_empty() || !to.is_empty() {
        data["period"] = json!({ "from": from, "to": to });
    }
    let mut authorization = json!({
        "kind": form.get("authorization_kind"),
        "independent": form.get("independent") == "true",
    });
    let authority = form.get("authorization_authority").trim();
    if !authority.is_empty() {
        authorization["authority"] = json!(authority);
    }
    json!({
        "schema": "rightsgate/request/v1",
        "reference": form.get("reference").trim(),
        "received": received,
        "channel": form.get("channel"),
        "requesting": {
            "state": form.get("requesting_state").trim(),
            "authority": form.get("authority").trim(),
            "authority_type": form.get("authority_type"),
        },
        "requested_state": form.get("requested_state").trim(),
        "legal_basis": { "instrument": form.get("instrument") },
        "measure": form.get("measure"),
        "data": data,
        "offences": offences,
        "facts": form.get("facts").trim(),
        "urgency": form.get("urgency"),
        "authorization": authorization,
        "assurances": {
            "use_limited_to_proceedings": form.get("use_limited") == "true",
            "no_death_penalty": form.get("no_death_penalty") == "true",
        },
        "intake": { "authenticated": form.get("authenticated") == "true" },
    })
}

/// `POST /intake`: screens and stores, or shows the form again with a message at each field.
pub(crate) async fn intake(
    State(state): State<AppState>,
    user: MaybeUser,
    form: Form,
) -> PageResult {
    let Some(user) = user.0 else { return Ok(to_login()) };
    user.check_csrf(form.get("csrf"))?;
    user.require(Action::Intake, "take requests in")?;
    let doc = request_from_form(&form);
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    let screened = match crate::intake::screen(&state, &bytes) {
        Ok(s) => s,
        Err(AppError::Client { errors, detail, .. }) => {
            let mut by_field: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            if errors.is_empty() {
                by_field.entry("form").or_default().push(detail);
            }
            for e in errors {
                by_field.entry(form_field(&e.pointer)).or_default().push(e.detail);
            }
            let mut values: serde_json::Map<String, Value> = serde_json::Map::new();
            for (k, v) in &form.0 {
                if k != "csrf" && k != "categories" {
                    values.insert(k.clone(), json!(v));
                }
            }
            values.insert("categories".to_owned(), json!(form.all("categories")));
            let mut res = render(
                &state,
                "intake.html",
                json!({ "user": user_ctx(&user), "vocab": vocab_ctx(), "values": values, "errors": by_field }),
            )?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let (received, _) = crate::intake::store(&state, screened, &user.name).await?;
    let id = match received {
        Received::New { id, .. } | Received::AlreadyStored { id } => id,
    };
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}

/// The actions that need no fields; execution and decisions have their own forms.
const ACTION_LABELS: [(ActionName, &str); 6] = [
    (ActionName::StartReview, "Start review"),
    (ActionName::RequestInformation, "Request information"),
    (ActionName::InformationReceived, "Information received"),
    (ActionName::OpenConsultation, "Open consultation"),
    (ActionName::RenewPreservation, "Renew preservation"),
    (ActionName::Close, "Close"),
];

async fn case_page(
    state: &AppState,
    user: &Principal,
    id: &str,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    user.require(Action::ReadCases, "read cases")?;
    let view = state.0.store.case(&state.0.sealer, id).await?;
    let size = state.0.store.tree_size().await?;
    let mut timeline = Vec::new();
    for t in &view.timeline {
        let proof = crate::api::proof(state, t.leaf_index, size).await?;
        timeline.push(json!({
            "at": when(t.at), "event": t.event, "state": t.state, "actor": t.actor, "role": t.role,
            "detail": t.detail, "proof": serde_json::to_value(&proof).unwrap_or(Value::Null),
        }));
    }
    let s = &view.summary;
    let cstate = s.state;
    let preserving = s.preservation_expires_at.is_some();
    let actions: Vec<Value> = ACTION_LABELS
        .iter()
        .filter(|(a, _)| {
            let event = a.event(None);
            user.role.may(Action::Act(event))
                && cstate.apply(event).is_ok()
                && (*a != ActionName::RenewPreservation || preserving)
        })
        .map(|(a, label)| json!({ "name": a.as_str(), "label": label }))
        .collect();
    let resolutions: Vec<&str> = domain::stats::RESOLUTIONS
        .into_iter()
        .filter(|r| {
            cstate.apply(Event::Decided(*r)).is_ok()
                && user.role.may(Action::Act(Event::Decided(*r)))
        })
        .map(Resolution::as_str)
        .collect();
    let now = crate::now();
    let c = json!({
        "id": s.id, "reference": s.reference, "requesting_state": s.requesting_state, "authority": s.authority,
        "measure": s.measure, "urgency": s.urgency, "recommended": s.recommended, "state": cstate.as_str(),
        "due_at": when(s.due_at), "overdue": cstate.is_open() && s.due_at < now, "duplicate_of": s.duplicate_of,
        "preservation_expires_at": s.preservation_expires_at.map(when),
        "preservation_expired": s.preservation_expires_at.is_some_and(|t| t <= now),
    });
    let can_execute =
        user.role.may(Action::Act(Event::Executed)) && cstate.apply(Event::Executed).is_ok();
    let scope = execution_scope(&view);
    let mut res = render(
        state,
        "case.html",
        json!({
            "user": user_ctx(user), "c": c, "decision": view.decision, "timeline": timeline,
            "actions": actions, "can_decide": !resolutions.is_empty(), "resolutions": resolutions, "error": error,
            "can_execute": can_execute && view.decision.is_some(), "scope": scope,
        }),
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// The scope an execution may record, as the store will check it.
fn execution_scope(view: &store::CaseView) -> Vec<domain::decision::Grant> {
    let (Some(bytes), Some(decision)) = (&view.request, &view.decision) else { return Vec::new() };
    domain::Request::parse("", bytes)
        .map(|request| domain::case::disclosure_scope(&request, decision))
        .unwrap_or_default()
}

/// `GET /cases/{id}`.
pub(crate) async fn case(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(id): Path<String>,
) -> PageResult {
    let Some(user) = user.0 else { return Ok(to_login()) };
    case_page(&state, &user, &id, None, StatusCode::OK).await
}

/// Shows the case again with the error of a refused action, or propagates errors that have no case to show.
async fn after_action(
    state: &AppState,
    user: &Principal,
    id: &str,
    result: Result<(), AppError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(AppError::Client { status, detail, .. }) if status != StatusCode::NOT_FOUND => {
            case_page(state, user, id, Some(detail), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /cases/{id}/act` (and `/decide`, `/execute`, whose forms post the same fields): one workflow action,
/// read from the form into the same `ActionRequest` the API builds.
pub(crate) async fn act(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(id): Path<String>,
    form: Form,
) -> PageResult {
    let Some(user) = user.0 else { return Ok(to_login()) };
    user.check_csrf(form.get("csrf"))?;
    let result = async {
        let request = action_from_form(&state, &user, &id, &form).await?;
        crate::act(&state, &user, &id, request).await?;
        Ok(())
    }
    .await;
    after_action(&state, &user, &id, result).await
}

/// The action a case page's form asks for: a plain action, a decision with the second approver's own password
/// where four eyes are needed, or an execution with what was disclosed per ticked granted item and its window.
async fn action_from_form(
    state: &AppState,
    user: &Principal,
    id: &str,
    form: &Form,
) -> Result<ActionRequest, AppError> {
    let action = ActionName::parse(form.get("action"))
        .ok_or_else(|| AppError::field("action", "unknown action"))?;
    match action {
        ActionName::Decide => {
            let resolution = Resolution::parse(form.get("resolution"))
                .ok_or_else(|| AppError::field("resolution", "choose a resolution"))?;
            let second_name = form.get("second_name").trim();
            let second = (!second_name.is_empty()).then(|| Credentials {
                name: second_name.to_owned(),
                password: form.get("second_password").to_owned(),
            });
            Ok(ActionRequest {
                resolution: Some(resolution),
                reason: Some(form.get("reason").to_owned()),
                second,
                ..ActionRequest::plain(action)
            })
        }
        ActionName::Execute => {
            // Checked before the case's personal data is opened to build the scope.
            user.require(Action::Act(Event::Executed), "record execution")?;
            let view = state.0.store.case(&state.0.sealer, id).await?;
            let scope = execution_scope(&view);
            let day = |name: String| -> Result<Option<domain::Day>, AppError> {
                match form.get(&name).trim() {
                    "" => Ok(None),
                    text => {
                        domain::Day::parse(text).map(Some).map_err(|e| AppError::field(&name, e))
                    }
                }
            };
            let mut disclosed = Vec::new();
            for index in form.all("disclosed") {
                let (i, g) = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| scope.get(i).map(|g| (i, g)))
                    .ok_or_else(|| {
                        AppError::field("disclosed", "tick only the listed categories")
                    })?;
                disclosed.push(domain::decision::Grant {
                    category: g.category,
                    from: day(format!("from_{i}"))?,
                    to: day(format!("to_{i}"))?,
                });
            }
            Ok(ActionRequest { disclosed, ..ActionRequest::plain(action) })
        }
        _ => Ok(ActionRequest::plain(action)),
    }
}

/// `GET /oversight[?case=ID]`: the ledger's current checkpoint and, for a case id, its ledger leaves with an
/// inclusion proof of each: what an oversight body verifies, with no personal data on the page.
pub(crate) async fn oversight(
    State(state): State<AppState>,
    user: MaybeUser,
    RawQuery(query): RawQuery,
) -> PageResult {
    let Some(user) = user.0 else { return Ok(to_login()) };
    user.require(Action::ReadLedger, "read the ledger")?;
    let checkpoint = crate::api::current_checkpoint(&state).await?;
    // Witness status: the latest checkpoint witnesses co-signed, and who signed it (the note's signature lines
    // other than the log's own; `/ledger/checkpoint` publishes this note).
    let cosigned = match state.0.store.latest_cosigned_checkpoint().await? {
        Some((size, note)) => {
            let signers: Vec<String> = ledger::open_note(&note)
                .map(|(_, sigs)| {
                    sigs.into_iter().map(|s| s.name).filter(|n| *n != checkpoint.origin).collect()
                })
                .unwrap_or_default();
            json!({ "size": size, "behind": checkpoint.size.saturating_sub(size), "witnesses": signers, "note": note })
        }
        None => Value::Null,
    };
    let case = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "case")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|c| !c.is_empty());
    let (found, missing) = match case {
        None => (None, None),
        Some(id) => match crate::api::ledger_of_case(&state, &id).await {
            Ok(ledger) => (Some(ledger), None),
            Err(e) if e.status() == StatusCode::NOT_FOUND => (None, Some(id)),
            Err(e) => return Err(e.into()),
        },
    };
    let events: Vec<Value> = found
        .as_ref()
        .map(|l| {
            l.events
                .iter()
                .map(|e| {
                    json!({
                        "index": e.leaf_index,
                        "leaf": serde_json::to_string(&e.leaf).unwrap_or_default(),
                        "leaf_hash": e.proof.leaf_hash,
                        "hashes": e.proof.hashes,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    render(
        &state,
        "oversight.html",
        json!({
            "user": user_ctx(&user),
            "checkpoint": { "origin": checkpoint.origin, "size": checkpoint.size, "root": checkpoint.root, "note": checkpoint.note, "signed": checkpoint.signed },
            "cosigned": cosigned,
            "case": found.as_ref().map(|l| l.case.clone()),
            "missing": missing,
            "events": events,
        }),
    )
}

/// `GET /transparency`: public. The report comes from `public`'s cache and is never recomputed per request.
pub(crate) async fn transparency(State(state): State<AppState>, user: MaybeUser) -> PageResult {
    let doc = crate::public::document(&state).await?;
    // The ledger may have grown past the report's checkpoint while the cache catches up; only then is the
    // current checkpoint built and signed.
    let reported = doc.pointer("/checkpoint/tree_size").and_then(Value::as_u64);
    let current = if Some(state.0.store.tree_size().await?) == reported {
        json!({ "size": reported })
    } else {
        let (size, _, note) = crate::api::public_checkpoint(&state).await?;
        json!({ "size": size, "note": note })
    };
    let user = user.0.as_ref().map(user_ctx);
    render(
        &state,
        "transparency.html",
        json!({ "user": user, "report": public_report(&doc), "current": current,
                "assessment": crate::assess_page::published(&state).is_some() }),
    )
}

/// The template's view of a `rightsgate/report/v1` document: every table with its cells as the published
/// report shows them (a count, `<k` or `x`), the summaries exactly as the document publishes them (`null` when
/// withheld), the disclosure control in words and the checkpoint.
fn public_report(doc: &Value) -> Value {
    let k = app::report::k_of(doc);
    let tables: Vec<Value> = app::report::tables(doc)
        .into_iter()
        .map(|table| {
            let rows: Vec<Value> = table
                .rows
                .iter()
                .map(|row| {
                    let cells: Vec<String> = row.cells.iter().map(|c| c.text(k)).collect();
                    json!({ "label": row.key, "cells": cells })
                })
                .collect();
            json!({ "id": table.id, "title": table.title, "columns": table.columns, "rows": rows })
        })
        .collect();
    let at = |pointer: &str| doc.pointer(pointer).cloned().unwrap_or(Value::Null);
    json!({
        "from": at("/period/from"),
        "to": at("/period/to"),
        "k": k,
        "method": at("/disclosure_control/method"),
        "identifiers": at("/identifiers_affected"),
        "days": at("/days_to_decision"),
        "tables": tables,
        "checkpoint": at("/checkpoint"),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_fields() {
        assert_eq!(super::form_field("/requesting/authority_type"), "authority_type");
        assert_eq!(super::form_field("/requesting/authority"), "authority");
        assert_eq!(super::form_field("/data/identifiers/0/type"), "identifiers");
        assert_eq!(super::form_field("/nope"), "form");
    }
}
