//! A server over a temporary SQLite store with the conformance law packs and one account per role.

use std::path::Path;

use axum::body::Body;
use axum::http::{header, Request, Response};
use domain::case::Role;
use server::{AppState, Config};
use tower::ServiceExt as _;

/// The password of every test account.
pub(crate) const PASSWORD: &str = "test password 123";

pub(crate) struct Harness {
    pub(crate) state: AppState,
    /// An API token per role, in `Role::ALL` order.
    pub(crate) tokens: Vec<(Role, String)>,
    _dir: tempfile::TempDir,
}

pub(crate) fn conformance() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance")
}

pub(crate) fn ctx() -> rules::Context {
    let root = conformance();
    app::inputs::load_context(&root.join("lawpacks"), &root.join("policies/default.toml")).unwrap()
}

/// A conformance case's request, with a fresh reference.
pub(crate) fn request(case: &str, reference: &str) -> serde_json::Value {
    let text = std::fs::read(conformance().join("cases").join(case)).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let mut request = value["request"].clone();
    request["reference"] = reference.into();
    request
}

/// The account name of a role in the harness.
pub(crate) fn name(role: Role) -> String {
    role.as_str().replace('_', "-")
}

impl Harness {
    pub(crate) async fn new() -> Harness {
        Harness::with_config(Config::default()).await
    }

    /// [`Harness::new`] with a server configuration.
    pub(crate) async fn with_config(config: Config) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = store::Store::connect(&url).await.unwrap();
        let now = time::OffsetDateTime::now_utc();
        let mut tokens = Vec::new();
        for role in Role::ALL {
            store.add_user(&name(*role), *role, PASSWORD, now).await.unwrap();
            tokens.push((*role, store.create_api_token(&name(*role), "test", now).await.unwrap()));
        }
        store.add_user("approver-2", Role::Approver, PASSWORD, now).await.unwrap();
        let sealer = store::Sealer::new(&[7u8; store::KEY_LEN]);
        let state = AppState::new(store, sealer, ctx(), config);
        Harness { state, tokens, _dir: dir }
    }

    /// A server over the living demo (`app::demo`), as `serve --demo` seeds it, with no API tokens.
    pub(crate) async fn demo() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
        let store = store::Store::connect(&url).await.unwrap();
        let sealer = store::Sealer::new(&[9u8; store::KEY_LEN]);
        let ctx = ctx();
        let now = time::OffsetDateTime::now_utc();
        let mut n = 0;
        app::demo::seed(&store, &sealer, &ctx, 200, now, || {
            n += 1;
            format!("demo password {n:04}")
        })
        .await
        .unwrap();
        let state = AppState::new(store, sealer, ctx, Config::default());
        Harness { state, tokens: Vec::new(), _dir: dir }
    }

    /// A new server over the same store, as after a restart (the tokens stay valid).
    pub(crate) fn restart(&mut self) {
        let store = self.state.store().clone();
        let sealer = store::Sealer::new(&[7u8; store::KEY_LEN]);
        self.state = AppState::new(store, sealer, ctx(), Config::default());
    }

    pub(crate) fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Response<Body> {
        server::router(self.state.clone()).oneshot(req).await.unwrap()
    }

    /// Sends a JSON body as `role` (or anonymously) and returns the status and the body parsed as JSON
    /// (`Null` when it is not JSON).
    pub(crate) async fn json(
        &self,
        method: &str,
        uri: &str,
        role: Option<Role>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(role) = role {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.token(role)));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(v).unwrap()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let res = self.send(req).await;
        let status = res.status().as_u16();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    /// Stores a conformance request as the intake officer and returns the case id.
    pub(crate) async fn submit(&self, case: &str, reference: &str) -> String {
        let (status, body) = self
            .json(
                "POST",
                "/api/v1/requests",
                Some(Role::IntakeOfficer),
                Some(&request(case, reference)),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["case"].as_str().unwrap().to_owned()
    }

    /// A session cookie and CSRF token for `role`.
    pub(crate) async fn session(&self, role: Role) -> (String, String) {
        let s = self
            .state
            .store()
            .create_session(&name(role), time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        (format!("rg_session={}", s.token), s.csrf)
    }
}
