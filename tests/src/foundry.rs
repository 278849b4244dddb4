//! A loopback HTTPS stand-in for the two services an Azure AI Foundry project lookup talks
//! to: the Microsoft Entra ID token endpoint (`POST /{tenant}/oauth2/v2.0/token`, the
//! client-credentials grant) and the project's data plane
//! (`GET /api/projects/{project}/connections?connectionType=AppInsights&api-version=v1`,
//! `POST /api/projects/{project}/connections/{name}/getConnectionWithCredentials?api-version=v1`).
//!
//! Both live on one port: point `AZURE_AUTHORITY_HOST` at [`FoundryStandIn::endpoint`] and
//! the project endpoint at [`FoundryStandIn::project_endpoint`]. The client must trust
//! [`FoundryStandIn::ca_certificate_pem`]. Every request is kept ([`FoundryStandIn::requests`]);
//! what the project answers is set with [`Project`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use crate::tls::HttpResponse;

/// The access token the stand-in hands out.
pub const TOKEN: &str = "stand-in-access-token-5f2c";
/// The tenant in [`FoundryStandIn::token_path`].
pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
/// The client id the stand-in accepts.
pub const CLIENT_ID: &str = "66666666-7777-8888-9999-000000000000";
/// The client secret the stand-in accepts.
pub const CLIENT_SECRET: &str = "stand-in-client-secret-9d1e";
/// The Kubernetes service account token (a workload identity's client assertion) the
/// stand-in accepts.
pub const FEDERATED_TOKEN: &str = "stand-in-federated-token-3b7a";
/// The project's name in [`FoundryStandIn::project_endpoint`].
pub const PROJECT: &str = "demo-project";
/// The name of the project's Application Insights connection.
pub const CONNECTION: &str = "demo-appinsights";

/// What the project answers.
#[derive(Debug, Clone)]
pub enum Project {
    /// An Application Insights connection holding this connection string.
    Connected(String),
    /// No Application Insights connection.
    NoConnection,
    /// The connection exists, its credentials come back as `{"type":"ApiKey"}` without a key.
    EmptyCredentials,
    /// Every data-plane call answers this status.
    Status(u16),
    /// As `Connected`, but the connection list answers after this delay.
    Slow(String, Duration),
    /// Two Application Insights connections: first `other` (not the default), then
    /// [`CONNECTION`], the default one, holding `default`'s connection string.
    Several {
        /// The default connection's connection string.
        default: String,
        /// The other connection's connection string.
        other: String,
    },
    /// As `Connected`, but the connection is on the list's second page (`nextLink`).
    Paged(String),
    /// As `Connected`, but the first this many data-plane requests answer 500.
    Flaky(String, u32),
}

/// The name of the connection that is not the default in [`Project::Several`].
pub const OTHER_CONNECTION: &str = "other-appinsights";

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query's pairs, decoded.
    pub query: BTreeMap<String, String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// A form body's pairs, decoded (the token request).
    pub form: BTreeMap<String, String>,
    /// The `x-ms-client-request-id` header.
    pub client_request_id: Option<String>,
}

#[derive(Debug)]
struct State {
    project: Project,
    requests: Vec<Received>,
    /// `https://127.0.0.1:PORT`, for absolute `nextLink`s.
    endpoint: String,
    /// Data-plane requests answered so far.
    data_plane: u32,
}

#[derive(Debug, Clone)]
struct Shared(Arc<Mutex<State>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The stand-in; dropping it stops the server.
#[derive(Debug)]
pub struct FoundryStandIn {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
    ca_pem: String,
    shared: Shared,
}

impl FoundryStandIn {
    /// Starts serving, answering as `project` says.
    #[must_use]
    pub fn start(project: Project) -> Self {
        let pki = crate::tls::Pki::new();
        let shared = Shared(Arc::new(Mutex::new(State {
            project,
            requests: Vec::new(),
            endpoint: String::new(),
            data_plane: 0,
        })));
        let server_shared = shared.clone();
        let (runtime, addr) = crate::tls::serve_https(
            pki.server_config(false),
            "foundry-stand-in",
            move |request| handle(request, server_shared.clone()),
        );
        shared.lock().endpoint = format!("https://{addr}");
        FoundryStandIn {
            runtime: Some(runtime),
            addr,
            ca_pem: pki.ca_pem.clone(),
            shared,
        }
    }

    /// `https://127.0.0.1:PORT`: the authority host, and the host of the project.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// `https://127.0.0.1:PORT/api/projects/demo-project`.
    #[must_use]
    pub fn project_endpoint(&self) -> String {
        format!("{}/api/projects/{PROJECT}", self.endpoint())
    }

    /// `/{TENANT}/oauth2/v2.0/token`.
    #[must_use]
    pub fn token_path() -> String {
        format!("/{TENANT}/oauth2/v2.0/token")
    }

    /// The PEM of the CA that signed the server certificate.
    #[must_use]
    pub fn ca_certificate_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// Every request so far, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<Received> {
        self.shared.lock().requests.clone()
    }

    /// The variables of the client-secret flow against this stand-in: the project
    /// endpoint, tenant, client id and secret, and the authority host.
    #[must_use]
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_AI_PROJECT_ENDPOINT", self.project_endpoint()),
            ("AZURE_TENANT_ID", TENANT.to_owned()),
            ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
            ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("AZURE_AUTHORITY_HOST", self.endpoint()),
        ]
    }
}

impl Drop for FoundryStandIn {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn respond(status: u16, body: &serde_json::Value) -> HttpResponse {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("a status code"))
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid response")
}

fn pairs(text: &str) -> BTreeMap<String, String> {
    url_pairs(text.as_bytes())
}

fn url_pairs(bytes: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

async fn handle(request: Request<Incoming>, shared: Shared) -> Result<HttpResponse, Infallible> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = pairs(request.uri().query().unwrap_or_default());
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let client_request_id = header("x-ms-client-request-id");
    let body = request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let received = Received {
        method: method.clone(),
        path: path.clone(),
        query,
        authorization: authorization.clone(),
        form: url_pairs(&body),
        client_request_id,
    };
    let (project, endpoint, data_plane) = {
        let mut state = shared.lock();
        state.requests.push(received.clone());
        if path != FoundryStandIn::token_path() {
            state.data_plane += 1;
        }
        (
            state.project.clone(),
            state.endpoint.clone(),
            state.data_plane,
        )
    };

    if path == FoundryStandIn::token_path() {
        return Ok(token_answer(&method, &received.form));
    }

    if authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return Ok(respond(
            401,
            &json!({"error": {"code": "Unauthorized", "message": "no valid bearer token"}}),
        ));
    }
    let first_page = !received.query.contains_key("page");
    Ok(data_plane_answer(&project, &method, &path, first_page, &endpoint, data_plane).await)
}

/// The project's answer to an authorized data-plane request (`data_plane`: its number).
async fn data_plane_answer(
    project: &Project,
    method: &str,
    path: &str,
    first_page: bool,
    endpoint: &str,
    data_plane: u32,
) -> HttpResponse {
    let base = format!("/api/projects/{PROJECT}/connections");
    let credentials_path = |name: &str| format!("{base}/{name}/getConnectionWithCredentials");
    match (project, method, path) {
        (Project::Flaky(_, failures), _, _) if data_plane <= *failures => respond(
            500,
            &json!({"error": {"code": "InternalServerError", "message": "a transient fault"}}),
        ),
        (Project::Several { .. }, "GET", p) if p == base => respond(
            200,
            &json!({"value": [named_connection(OTHER_CONNECTION, false, None), connection(None)]}),
        ),
        (Project::Several { default, .. }, "POST", p) if p == credentials_path(CONNECTION) => {
            respond(200, &connection(Some(default)))
        }
        (Project::Several { other, .. }, "POST", p) if p == credentials_path(OTHER_CONNECTION) => {
            respond(200, &named_connection(OTHER_CONNECTION, false, Some(other)))
        }
        (Project::Paged(_), "GET", p) if p == base && first_page => respond(
            200,
            &json!({"value": [], "nextLink": format!("{endpoint}{base}?connectionType=AppInsights&api-version=v1&page=2")}),
        ),
        (Project::Status(status), _, _) => respond(
            *status,
            &json!({"error": {"code": "Refused", "message": "refused by the stand-in"}}),
        ),
        (Project::Slow(_, delay), "GET", p) if p == base => {
            tokio::time::sleep(*delay).await;
            respond(200, &json!({"value": [connection(None)]}))
        }
        (Project::NoConnection, "GET", p) if p == base => respond(200, &json!({"value": []})),
        (_, "GET", p) if p == base => respond(200, &json!({"value": [connection(None)]})),
        (
            Project::Connected(key)
            | Project::Slow(key, _)
            | Project::Paged(key)
            | Project::Flaky(key, _),
            "POST",
            p,
        ) if p == format!("{base}/{CONNECTION}/getConnectionWithCredentials") => {
            respond(200, &connection(Some(key)))
        }
        (Project::EmptyCredentials, "POST", p)
            if p == format!("{base}/{CONNECTION}/getConnectionWithCredentials") =>
        {
            respond(200, &connection(None))
        }
        _ => respond(
            404,
            &json!({"error": {"code": "NotFound", "message": "no such resource"}}),
        ),
    }
}

/// The token endpoint's answer: a token for the stand-in's client id with its secret or
/// its federated token (client assertion), else Microsoft Entra ID's refusal.
fn token_answer(method: &str, form: &BTreeMap<String, String>) -> HttpResponse {
    let field = |name: &str| form.get(name).map(String::as_str);
    let secret = field("client_secret") == Some(CLIENT_SECRET);
    let assertion = field("client_assertion_type")
        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        && field("client_assertion") == Some(FEDERATED_TOKEN);
    let accepted = method == "POST"
        && field("grant_type") == Some("client_credentials")
        && field("client_id") == Some(CLIENT_ID)
        && (secret || assertion);
    if accepted {
        respond(
            200,
            &json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": TOKEN}),
        )
    } else {
        respond(
            401,
            &json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
                "error_codes": [7_000_215],
            }),
        )
    }
}

/// The project's Application Insights connection, with `key` in its credentials when given.
fn connection(key: Option<&str>) -> serde_json::Value {
    named_connection(CONNECTION, true, key)
}

/// An Application Insights connection named `name`.
fn named_connection(name: &str, default: bool, key: Option<&str>) -> serde_json::Value {
    let mut credentials = json!({"type": "ApiKey"});
    if let Some(key) = key {
        credentials["key"] = json!(key);
    }
    json!({
        "name": name,
        "id": format!("/subscriptions/x/resourceGroups/y/providers/Microsoft.CognitiveServices/accounts/z/projects/{PROJECT}/connections/{name}"),
        "type": "AppInsights",
        "target": "/subscriptions/x/resourceGroups/y/providers/microsoft.insights/components/demo",
        "isDefault": default,
        "credentials": credentials,
        "metadata": {},
    })
}
