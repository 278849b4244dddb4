//! Azure AI Foundry projects: the Application Insights connection string of the resource
//! connected to a project, looked up as the Azure SDKs for Python and JavaScript do
//! (`project_client.telemetry.get_application_insights_connection_string()`).
//!
//! Most applications need none of this module: with the feature `azure-ai-project`,
//! [`TelemetryBuilder::with_azure_ai_project`](crate::TelemetryBuilder::with_azure_ai_project),
//! or [`init`](crate::init) with `AZURE_AI_PROJECT_ENDPOINT` set, send telemetry to Azure
//! Monitor with the project's connection string. This module is for applications that
//! only want the string.
//!
//! # The lookup
//!
//! 1. A Microsoft Entra ID token for the Foundry data plane, scope [`SCOPE`]
//!    (`https://ai.azure.com/.default`), from the credential given, else from
//!    [`default_credential`].
//! 2. `GET {endpoint}/connections?connectionType=AppInsights&api-version=v1`: the project's
//!    Application Insights connections, every page (`nextLink`, on the project's own host);
//!    the default one (`isDefault`) is chosen, else the first, as the SDKs do.
//! 3. `POST {endpoint}/connections/{name}/getConnectionWithCredentials?api-version=v1`: its
//!    credentials, of type `ApiKey`, whose `key` is the connection string.
//!
//! Each data-plane request carries an `x-ms-client-request-id`, and a connection failure
//! or an answer the Azure SDKs retry (408, 429, 500, 502, 503, 504) is retried up to three
//! times with exponential backoff (0.8 s, 1.6 s, 3.2 s, or the answer's `Retry-After`).
//!
//! The whole lookup has one time limit (default
//! [`DEFAULT_AZURE_AI_PROJECT_TIMEOUT`](crate::config::DEFAULT_AZURE_AI_PROJECT_TIMEOUT),
//! `TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT`) and runs on a runtime thread of trace-genai's own,
//! so it works inside and outside `#[tokio::main]`. Its failures are
//! [`InitError::AzureAiProject`], naming the step and never a token or the connection
//! string.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::config::azure_project::{AzureProjectFailure, AzureProjectStep, check_endpoint};
use crate::config::destination::{ConnectionString, Pem};
use crate::config::error::{ExportFailure, InitError};
use crate::config::{AzureProjectConfig, Config};

mod credential;

/// `azure_core`'s credential trait: implement it, or take any credential of `azure_identity`,
/// to choose how the lookup authenticates.
pub use azure_core::credentials::TokenCredential;

/// The scope of the tokens the Foundry data plane accepts (the Azure SDKs' default).
pub const SCOPE: &str = "https://ai.azure.com/.default";

/// The data plane's API version.
const API_VERSION: &str = "v1";

/// The longest wait for a connection: the managed identity endpoint (IMDS) of a machine
/// outside Azure may never answer, and the chain must still reach its end, with the
/// reasons, within the lookup's time limit.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A lookup of a project's Application Insights connection string, with its options.
///
/// ```no_run
/// # async fn run() -> Result<(), trace_genai::InitError> {
/// use trace_genai::azure::FoundryProject;
///
/// let connection_string =
///     FoundryProject::new("https://my-account.services.ai.azure.com/api/projects/my-project")
///         .with_timeout(std::time::Duration::from_secs(10))
///         .connection_string()
///         .await?;
/// // `expose()` hands the secret over; `Debug` never shows it.
/// let _ = connection_string.expose();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use = "call `connection_string().await` to look the connection string up"]
pub struct FoundryProject {
    endpoint: String,
    credential: Option<Arc<dyn TokenCredential>>,
    timeout: Option<Duration>,
    root_certificates: Vec<String>,
    client_identity: Option<(Pem, Pem)>,
}

impl std::fmt::Debug for FoundryProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoundryProject")
            .field("endpoint", &self.endpoint)
            .field("credential", &self.credential)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl FoundryProject {
    /// The project at `endpoint`,
    /// `https://{account}.services.ai.azure.com/api/projects/{project}` (the project's
    /// Overview page in the Foundry portal shows it).
    pub fn new(endpoint: impl Into<String>) -> Self {
        FoundryProject {
            endpoint: endpoint.into(),
            credential: None,
            timeout: None,
            root_certificates: Vec::new(),
            client_identity: None,
        }
    }

    /// Authenticates with this credential instead of [`default_credential`].
    pub fn with_credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The time limit of the whole lookup (zero: no limit). Wins over
    /// `TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Trusts this PEM certificate, besides the system roots, for the token endpoint and
    /// the project (a TLS-inspecting proxy, a private CA).
    pub fn with_root_certificate(mut self, pem: impl Into<String>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Looks the connection string up, on a runtime thread of trace-genai's own (any
    /// executor can await it).
    ///
    /// # Errors
    ///
    /// [`InitError::AzureAiProject`] naming the step that failed;
    /// [`InitError::InvalidEnv`] when the environment the default credential reads holds
    /// an invalid value; [`InitError::InvalidConfig`] for an endpoint that is not an
    /// `https://` URL.
    pub async fn connection_string(self) -> Result<ConnectionString, InitError> {
        let config = Config::from_env()?.azure_ai_project;
        let runtime = super::on_runtime::ExportRuntime::new()?;
        let task = runtime
            .handle()
            .spawn(async move { self.look_up(&config).await });
        task.await.unwrap_or_else(|error| {
            Err(InitError::Exporter {
                exporter: "Azure AI Foundry project lookup",
                source: Box::new(error),
            })
        })
    }

    /// The lookup itself; runs on a tokio runtime with I/O and time.
    async fn look_up(&self, config: &AzureProjectConfig) -> Result<ConnectionString, InitError> {
        let endpoint = self.endpoint.trim().trim_end_matches('/');
        check_endpoint(endpoint).map_err(|expected| {
            InitError::InvalidConfig(format!(
                "the Azure AI Foundry project endpoint {endpoint:?} is not {expected}"
            ))
        })?;
        let failed = |(step, failure)| InitError::AzureAiProject {
            endpoint: endpoint.to_owned(),
            step,
            failure,
        };
        let client = super::azure::http_client(
            client_builder(),
            &self.root_certificates,
            self.client_identity.as_ref(),
        )?;
        let credential = match &self.credential {
            Some(credential) => Arc::clone(credential),
            None => credential::default_chain(config, &client)
                .map_err(|failure| failed((AzureProjectStep::Token, failure)))?,
        };
        let limit = crate::config::time_limit(self.timeout.unwrap_or(config.timeout));
        let steps = Steps {
            deadline: Instant::now() + limit,
            limit,
        };
        calls(endpoint, credential.as_ref(), &client, &steps)
            .await
            .map_err(failed)
    }
}

/// The connection string of the project at `endpoint`, with the default credential
/// ([`default_credential`]) and time limit; see [`FoundryProject`] for the options.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let endpoint = std::env::var("AZURE_AI_PROJECT_ENDPOINT")?;
/// let connection_string = trace_genai::azure::project_connection_string(&endpoint).await?;
/// let telemetry = trace_genai::Telemetry::builder()
///     .with_azure_monitor(connection_string.expose())
///     .install()?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`FoundryProject::connection_string`].
pub async fn project_connection_string(endpoint: &str) -> Result<ConnectionString, InitError> {
    FoundryProject::new(endpoint).connection_string().await
}

/// The credential the lookup uses when none is given: the first of these that gives a
/// token.
///
/// 1. `ClientSecretCredential`, when `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
///    `AZURE_CLIENT_SECRET` are set (a service principal);
/// 2. `WorkloadIdentityCredential`, when `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_TENANT_ID`
///    and `AZURE_CLIENT_ID` are set (Kubernetes workload identity);
/// 3. `DeveloperToolsCredential`: the Azure CLI (`az login`), then the Azure Developer CLI
///    (`azd auth login`);
/// 4. `ManagedIdentityCredential` (App Service, Functions, Container Apps, virtual
///    machines), user-assigned with `AZURE_CLIENT_ID` when that is set.
///
/// A failure of 1 or 2 ends the chain: they were set up on purpose. `AZURE_AUTHORITY_HOST`
/// sets the Microsoft Entra authority (sovereign clouds). The token requests of 1, 2 and 4
/// go through trace-genai's HTTP client (reqwest), without retries: the lookup's time limit
/// bounds them; the CLIs of 3 run as their own processes. Hand the credential to
/// [`FoundryProject::with_credential`], or call it inside a tokio runtime.
///
/// # Errors
///
/// [`InitError::InvalidEnv`] when the environment holds an invalid value;
/// [`InitError::AzureAiProject`] when a credential set up by the environment cannot be
/// built.
pub fn default_credential() -> Result<Arc<dyn TokenCredential>, InitError> {
    let config = Config::from_env()?.azure_ai_project;
    let client = super::azure::http_client(client_builder(), &[], None)?;
    credential::default_chain(&config, &client).map_err(|failure| InitError::AzureAiProject {
        endpoint: config.endpoint.clone().unwrap_or_default(),
        step: AzureProjectStep::Token,
        failure,
    })
}

/// The HTTP client of the lookup, before its certificates: no redirects (the bearer token
/// never follows one), a bounded connection time, and trace-genai's user agent.
fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("trace-genai/", env!("CARGO_PKG_VERSION")))
}

/// What install asks of a project: built from the builder's settings.
impl FoundryProject {
    pub(crate) fn for_install(
        endpoint: &str,
        credential: Option<Arc<dyn TokenCredential>>,
        timeout: Option<Duration>,
        settings: &super::ExportSettings,
    ) -> Self {
        FoundryProject {
            endpoint: endpoint.to_owned(),
            credential,
            timeout,
            root_certificates: settings.root_certificates.clone(),
            client_identity: settings.client_identity.clone(),
        }
    }
}

impl super::Runtimes {
    /// Looks `project`'s connection string up on the export runtime, waiting for it.
    pub(crate) fn azure_ai_project(
        &mut self,
        project: &FoundryProject,
        config: &AzureProjectConfig,
    ) -> Result<ConnectionString, InitError> {
        let runtime = self.runtime()?;
        runtime.block_on(project.look_up(config))
    }
}

/// The time left for the lookup's steps.
struct Steps {
    deadline: Instant,
    limit: Duration,
}

type StepResult<T> = Result<T, (AzureProjectStep, AzureProjectFailure)>;

impl Steps {
    /// Runs one step within the time left.
    async fn run<T>(
        &self,
        step: AzureProjectStep,
        future: impl Future<Output = Result<T, AzureProjectFailure>>,
    ) -> StepResult<T> {
        match tokio::time::timeout_at(self.deadline, future).await {
            Ok(result) => result.map_err(|failure| (step, failure)),
            Err(_) => Err((step, AzureProjectFailure::TimedOut(self.limit))),
        }
    }
}

/// The token and the two calls.
async fn calls(
    endpoint: &str,
    credential: &dyn TokenCredential,
    client: &reqwest::Client,
    steps: &Steps,
) -> StepResult<ConnectionString> {
    let token = steps
        .run(AzureProjectStep::Token, async {
            credential
                .get_token(&[SCOPE], None)
                .await
                .map_err(|error| credential::token_failure(&error))
        })
        .await?;
    let bearer = token.token.secret();

    let step = AzureProjectStep::ListConnections;
    let list_url = url(
        endpoint,
        &["connections"],
        &[("connectionType", "AppInsights")],
    )
    .map_err(|failure| (step, failure))?;
    let connections = steps
        .run(
            step,
            list_connections(client, list_url, bearer, steps.deadline),
        )
        .await?;
    // The default connection, as the SDKs choose it (JavaScript asks for
    // `defaultConnection=true`, .NET takes the first `isDefault`), else the first.
    let name = connections
        .iter()
        .find(|connection| connection.get("isDefault").and_then(Value::as_bool) == Some(true))
        .or_else(|| connections.first())
        .and_then(|connection| connection.get("name").and_then(Value::as_str))
        .ok_or((step, AzureProjectFailure::NoApplicationInsights))?
        .to_owned();

    let step = AzureProjectStep::ConnectionCredentials;
    let credentials_url = url(
        endpoint,
        &["connections", &name, "getConnectionWithCredentials"],
        &[],
    )
    .map_err(|failure| (step, failure))?;
    let connection = steps
        .run(
            step,
            answer(
                || {
                    client
                        .post(credentials_url.clone())
                        .header(http::header::CONTENT_LENGTH, "0")
                },
                bearer,
                steps.deadline,
            ),
        )
        .await?;
    connection_string(&name, &connection).map_err(|failure| (step, failure))
}

/// The most pages of connections followed.
const MAX_PAGES: usize = 50;

/// Every connection of the list, following `nextLink` pages on the project's own host (the
/// token is sent nowhere else).
async fn list_connections(
    client: &reqwest::Client,
    first: reqwest::Url,
    bearer: &str,
    deadline: Instant,
) -> Result<Vec<Value>, AzureProjectFailure> {
    let mut connections = Vec::new();
    let mut next = Some(first.clone());
    for _ in 0..MAX_PAGES {
        let Some(page_url) = next.take() else {
            break;
        };
        let page = answer(|| client.get(page_url.clone()), bearer, deadline).await?;
        let items = page.get("value").and_then(Value::as_array).ok_or_else(|| {
            AzureProjectFailure::UnexpectedAnswer(
                "the answer has no list of connections (`value`)".to_owned(),
            )
        })?;
        connections.extend(items.iter().cloned());
        if let Some(link) = page.get("nextLink").and_then(Value::as_str) {
            let link = first.join(link).map_err(|_| {
                AzureProjectFailure::UnexpectedAnswer("a `nextLink` that is not a URL".to_owned())
            })?;
            if link.origin() != first.origin() {
                return Err(AzureProjectFailure::UnexpectedAnswer(
                    "a `nextLink` to another host than the project's".to_owned(),
                ));
            }
            next = Some(link);
        }
    }
    Ok(connections)
}

/// `{endpoint}/{segments…}?{query…}&api-version=v1`, each segment encoded.
fn url(
    endpoint: &str,
    segments: &[&str],
    query: &[(&str, &str)],
) -> Result<reqwest::Url, AzureProjectFailure> {
    let invalid = || AzureProjectFailure::UnexpectedAnswer("the endpoint is not a URL".to_owned());
    let mut url = reqwest::Url::parse(endpoint).map_err(|_| invalid())?;
    url.path_segments_mut()
        .map_err(|()| invalid())?
        .pop_if_empty()
        .extend(segments);
    url.query_pairs_mut()
        .extend_pairs(query)
        .append_pair("api-version", API_VERSION);
    Ok(url)
}

/// Retries after the first attempt of a data-plane request, as the Azure SDKs' pipelines.
const RETRIES: u32 = 3;

/// The first retry's delay; each retry waits twice the one before (0.8 s, 1.6 s, 3.2 s),
/// unless the answer says how long (`Retry-After`). The lookup's time limit bounds it all.
const RETRY_DELAY: Duration = Duration::from_millis(800);

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Sends a data-plane request made by `request` and reads its JSON answer, retrying a
/// connection failure and the statuses the Azure SDKs retry (408, 429, 500, 502, 503,
/// 504) up to [`RETRIES`] times while the lookup's `deadline` leaves time for the wait
/// (else the failure is told as it is). Each attempt carries its own
/// `x-ms-client-request-id`.
async fn answer(
    request: impl Fn() -> reqwest::RequestBuilder,
    bearer: &str,
    deadline: Instant,
) -> Result<Value, AzureProjectFailure> {
    let mut attempt = 0;
    loop {
        match answer_once(request(), bearer).await {
            Ok(value) => return Ok(value),
            Err((failure, Some(retry_after))) if attempt < RETRIES => {
                let delay = retry_after
                    .unwrap_or_else(|| RETRY_DELAY.saturating_mul(2_u32.saturating_pow(attempt)))
                    .min(MAX_RETRY_AFTER);
                if Instant::now() + delay >= deadline {
                    return Err(failure);
                }
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err((failure, _)) => return Err(failure),
        }
    }
}

/// A new `x-ms-client-request-id`: a random UUID (version 4 form).
fn client_request_id() -> String {
    use opentelemetry_sdk::trace::IdGenerator as _;
    let mut bytes = opentelemetry_sdk::trace::RandomIdGenerator::default()
        .new_trace_id()
        .to_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = opentelemetry::trace::TraceId::from_bytes(bytes).to_string();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// One attempt: the answer, or the failure with, when it may be retried, the delay the
/// answer asked for (`Some(None)`: none given).
async fn answer_once(
    request: reqwest::RequestBuilder,
    bearer: &str,
) -> Result<Value, (AzureProjectFailure, Option<Option<Duration>>)> {
    let unreachable = |error: &reqwest::Error| {
        (
            AzureProjectFailure::Unreachable(ExportFailure::from_transport(error).to_string()),
            Some(None),
        )
    };
    let response = request
        .bearer_auth(bearer)
        .header(http::header::ACCEPT, "application/json")
        .header("x-ms-client-request-id", client_request_id())
        .send()
        .await
        .map_err(|error| unreachable(&error))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response
        .bytes()
        .await
        .map_err(|error| unreachable(&error))?;
    match status {
        200..=299 => serde_json::from_slice(&body).map_err(|_| {
            // Not repeated: the body may hold the connection string.
            (
                AzureProjectFailure::UnexpectedAnswer(format!(
                    "HTTP {status} with a body that is not JSON"
                )),
                None,
            )
        }),
        404 => Err((AzureProjectFailure::ProjectNotFound, None)),
        401 | 403 => Err((AzureProjectFailure::AccessDenied { status }, None)),
        408 | 429 | 500 | 502 | 503 | 504 => Err((
            AzureProjectFailure::UnexpectedAnswer(
                ExportFailure::from_http_answer(status, &body).to_string(),
            ),
            Some(retry_after),
        )),
        _ => Err((
            AzureProjectFailure::UnexpectedAnswer(
                ExportFailure::from_http_answer(status, &body).to_string(),
            ),
            None,
        )),
    }
}

/// The connection string in a connection's credentials (`{"type":"ApiKey","key":…}`).
fn connection_string(
    name: &str,
    connection: &Value,
) -> Result<ConnectionString, AzureProjectFailure> {
    let credentials = connection.get("credentials");
    let kind = credentials
        .and_then(|credentials| credentials.get("type"))
        .and_then(Value::as_str);
    if let Some(kind) = kind
        && !kind.eq_ignore_ascii_case("ApiKey")
    {
        return Err(AzureProjectFailure::NotApiKey {
            connection: name.to_owned(),
            credential_type: kind.to_owned(),
        });
    }
    let key = credentials
        .and_then(|credentials| credentials.get("key"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or_else(|| AzureProjectFailure::EmptyCredentials {
            connection: name.to_owned(),
        })?;
    ConnectionString::parse(key).map_err(AzureProjectFailure::InvalidConnectionString)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn urls_encode_the_connection_name_and_carry_the_api_version() {
        let credentials = url(
            "https://a.services.ai.azure.com/api/projects/p/",
            &["connections", "my insights", "getConnectionWithCredentials"],
            &[],
        )
        .unwrap();
        assert_eq!(
            credentials.as_str(),
            "https://a.services.ai.azure.com/api/projects/p/connections/my%20insights/getConnectionWithCredentials?api-version=v1"
        );
        let list = url(
            "https://a.services.ai.azure.com/api/projects/p",
            &["connections"],
            &[("connectionType", "AppInsights")],
        )
        .unwrap();
        assert_eq!(
            list.as_str(),
            "https://a.services.ai.azure.com/api/projects/p/connections?connectionType=AppInsights&api-version=v1"
        );
    }

    #[test]
    fn credentials_give_the_connection_string_or_say_what_is_missing() {
        let key = "InstrumentationKey=k;IngestionEndpoint=https://x/";
        let ok = json!({"name": "ai", "credentials": {"type": "ApiKey", "key": key}});
        assert_eq!(connection_string("ai", &ok).unwrap().expose(), key);
        for empty in [
            json!({"name": "ai"}),
            json!({"name": "ai", "credentials": {}}),
            json!({"name": "ai", "credentials": {"type": "ApiKey"}}),
            json!({"name": "ai", "credentials": {"type": "ApiKey", "key": " "}}),
        ] {
            assert_eq!(
                connection_string("ai", &empty).unwrap_err(),
                AzureProjectFailure::EmptyCredentials {
                    connection: "ai".to_owned()
                },
                "{empty}"
            );
        }
        let aad = json!({"credentials": {"type": "AAD"}});
        assert!(matches!(
            connection_string("ai", &aad).unwrap_err(),
            AzureProjectFailure::NotApiKey { .. }
        ));
        let bad = json!({"credentials": {"type": "ApiKey", "key": "IngestionEndpoint=https://x/"}});
        let failure = connection_string("ai", &bad).unwrap_err();
        assert!(matches!(
            failure,
            AzureProjectFailure::InvalidConnectionString(_)
        ));
        assert!(!failure.to_string().contains("https://x/"), "{failure}");
    }
}
