//! Azure AI Foundry projects: the project endpoint, the time limit of the connection string
//! lookup, the Microsoft Entra ID settings of the default credential, and why a lookup
//! failed.

use std::fmt;
use std::time::Duration;

use super::destination::{Secret, validate_url};
use super::error::{InitError, humantime};
use super::parse::{Number, invalid};
use super::vars::{
    AZURE_AI_PROJECT_ENDPOINT, AZURE_AUTHORITY_HOST, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
    AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID, PROJECT_ENDPOINT,
    TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT,
};

/// The time limit of a project's connection string lookup when none is configured: the
/// token, the two calls to the project, and every retry within them.
pub const DEFAULT_AZURE_AI_PROJECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An Azure AI Foundry project, as the environment describes it, and the Microsoft Entra ID
/// settings the default credential reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AzureProjectConfig {
    /// `AZURE_AI_PROJECT_ENDPOINT`, else `PROJECT_ENDPOINT`:
    /// `https://{account}.services.ai.azure.com/api/projects/{project}`.
    pub endpoint: Option<String>,
    /// `TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT`: the time limit of the lookup (default
    /// [`DEFAULT_AZURE_AI_PROJECT_TIMEOUT`]).
    pub timeout: Duration,
    /// `AZURE_TENANT_ID`.
    pub tenant_id: Option<String>,
    /// `AZURE_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `AZURE_CLIENT_SECRET` (never printed).
    pub client_secret: Option<Secret>,
    /// `AZURE_FEDERATED_TOKEN_FILE`: a workload identity's token file.
    pub federated_token_file: Option<String>,
    /// `AZURE_AUTHORITY_HOST`: the Microsoft Entra authority, `https://…`.
    pub authority_host: Option<String>,
}

impl Default for AzureProjectConfig {
    fn default() -> Self {
        AzureProjectConfig {
            endpoint: None,
            timeout: DEFAULT_AZURE_AI_PROJECT_TIMEOUT,
            tenant_id: None,
            client_id: None,
            client_secret: None,
            federated_token_file: None,
            authority_host: None,
        }
    }
}

/// Reads the project's variables through `get` (trimmed, empty as unset).
pub(super) fn read(
    get: &impl Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<AzureProjectConfig, InitError> {
    let mut config = AzureProjectConfig::default();
    if let Some(value) = get(AZURE_AI_PROJECT_ENDPOINT) {
        check_endpoint(&value).map_err(|expected| InitError::InvalidEnv {
            var: AZURE_AI_PROJECT_ENDPOINT,
            value: value.clone(),
            expected,
        })?;
        config.endpoint = Some(value);
    } else if let Some(value) = get(PROJECT_ENDPOINT) {
        // A name other software uses too: read only when it has the shape of a project
        // endpoint.
        if check_endpoint(&value).is_ok() && value.contains("/api/projects/") {
            config.endpoint = Some(value);
        }
    }
    if let Some(value) = get(TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT)
        && let Some(timeout) =
            Number::timeout(TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT).millis(&value, warnings)?
    {
        config.timeout = timeout;
    }
    config.tenant_id = get(AZURE_TENANT_ID);
    config.client_id = get(AZURE_CLIENT_ID);
    config.client_secret = get(AZURE_CLIENT_SECRET).map(Secret::new);
    config.federated_token_file = get(AZURE_FEDERATED_TOKEN_FILE);
    if let Some(path) = &config.federated_token_file
        && config.endpoint.is_some()
    {
        // Read by the credential at each token request: checked here, once, so that a
        // device or a huge file is an error naming the variable rather than a hang.
        super::parse::read_small_file(
            AZURE_FEDERATED_TOKEN_FILE,
            path,
            "give the path of the workload identity's token file",
        )?;
    }
    if let Some(value) = get(AZURE_AUTHORITY_HOST) {
        if !value.starts_with("https://") || validate_url(&value).is_err() {
            return Err(invalid(
                AZURE_AUTHORITY_HOST,
                &value,
                "an https:// URL, e.g. `https://login.microsoftonline.com`",
            ));
        }
        config.authority_host = Some(value);
    }
    Ok(config)
}

/// Checks a project endpoint: an `https://` URL with a host (the token goes with every
/// request, so never over plain HTTP).
pub(crate) fn check_endpoint(endpoint: &str) -> Result<(), &'static str> {
    const EXPECTED: &str = "the project endpoint, an https:// URL such as `https://{account}.services.ai.azure.com/api/projects/{project}` (the project's Overview page in the Foundry portal shows it)";
    if !endpoint.starts_with("https://") || validate_url(endpoint).is_err() {
        return Err(EXPECTED);
    }
    Ok(())
}

/// The step of a project's connection string lookup that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AzureProjectStep {
    /// Getting a Microsoft Entra ID token for the Foundry data plane
    /// (`https://ai.azure.com/.default`).
    Token,
    /// Listing the project's Application Insights connections
    /// (`GET {endpoint}/connections?connectionType=AppInsights`).
    ListConnections,
    /// Reading the connection's credentials
    /// (`POST {endpoint}/connections/{name}/getConnectionWithCredentials`).
    ConnectionCredentials,
}

impl fmt::Display for AzureProjectStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AzureProjectStep::Token => "getting a Microsoft Entra ID token",
            AzureProjectStep::ListConnections => {
                "listing the project's Application Insights connections"
            }
            AzureProjectStep::ConnectionCredentials => {
                "reading the Application Insights connection's credentials"
            }
        })
    }
}

/// Why a project's connection string lookup failed, with a hint at the fix. No variant
/// holds a token, a secret or the connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AzureProjectFailure {
    /// No credential of the chain could give a token (none is set up here).
    NoCredential(String),
    /// Microsoft Entra ID refused the token request (wrong tenant, client id or secret).
    TokenRefused(String),
    /// The project does not exist at this endpoint (HTTP 404).
    ProjectNotFound,
    /// The project refused the token (HTTP 401) or the identity's access (HTTP 403).
    AccessDenied {
        /// 401 or 403.
        status: u16,
    },
    /// No Application Insights resource is connected to the project.
    NoApplicationInsights,
    /// The connection's credentials came back without a connection string.
    EmptyCredentials {
        /// The connection's name.
        connection: String,
    },
    /// The connection's credentials are of another type than an API key (the connection
    /// string).
    NotApiKey {
        /// The connection's name.
        connection: String,
        /// The credentials' type, e.g. `AAD`.
        credential_type: String,
    },
    /// The connection string the project holds is not one (the reason never repeats it).
    InvalidConnectionString(&'static str),
    /// The lookup did not finish within its time limit.
    TimedOut(Duration),
    /// The endpoint could not be reached (name resolution, connection, TLS).
    Unreachable(String),
    /// The answer was not what the service documents: another HTTP status, or a body
    /// that is not the expected JSON.
    UnexpectedAnswer(String),
}

const TRACING_PAGE_HINT: &str = "connect an Application Insights resource under the project's Tracing page in the Foundry portal (Observability → Tracing), or set APPLICATIONINSIGHTS_CONNECTION_STRING";

impl fmt::Display for AzureProjectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AzureProjectFailure::NoCredential(reason) => write!(
                f,
                "no Microsoft Entra ID credential is available ({reason}) (hint: sign in with `az login` or `azd auth login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, run where a managed or workload identity is assigned, or give a credential to `with_azure_credential`)"
            ),
            AzureProjectFailure::TokenRefused(reason) => write!(
                f,
                "Microsoft Entra ID refused the token request ({reason}) (hint: check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or the credential given to `with_azure_credential`)"
            ),
            AzureProjectFailure::ProjectNotFound => f.write_str(
                "the project was not found (HTTP 404) (hint: copy the project endpoint from the project's Overview page in the Foundry portal, `https://{account}.services.ai.azure.com/api/projects/{project}`)",
            ),
            AzureProjectFailure::AccessDenied { status: 401 } => f.write_str(
                "the project did not accept the token (HTTP 401) (hint: is the identity in the project's tenant? set AZURE_TENANT_ID, or `az login --tenant …`)",
            ),
            AzureProjectFailure::AccessDenied { status } => write!(
                f,
                "access denied (HTTP {status}) (hint: give the identity a role on the Foundry project that may read its connections and their credentials)"
            ),
            AzureProjectFailure::NoApplicationInsights => write!(
                f,
                "no Application Insights resource is connected to the project (hint: {TRACING_PAGE_HINT})"
            ),
            AzureProjectFailure::EmptyCredentials { connection } => write!(
                f,
                "the connection {connection:?} came back with empty credentials, without its connection string (hint: {TRACING_PAGE_HINT})"
            ),
            AzureProjectFailure::NotApiKey {
                connection,
                credential_type,
            } => write!(
                f,
                "the connection {connection:?} has credentials of type {credential_type:?}, not an API key holding the connection string (hint: {TRACING_PAGE_HINT})"
            ),
            AzureProjectFailure::InvalidConnectionString(reason) => write!(
                f,
                "the connection string the project holds {reason} (hint: {TRACING_PAGE_HINT})"
            ),
            AzureProjectFailure::TimedOut(limit) => write!(
                f,
                "no answer within {} (hint: raise TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT or `with_azure_ai_project_timeout`, or check the network)",
                humantime(*limit)
            ),
            AzureProjectFailure::Unreachable(reason) => write!(
                f,
                "{reason} (hint: check the endpoint and the network; for a TLS-inspecting proxy, give its CA with `with_root_certificate`)"
            ),
            AzureProjectFailure::UnexpectedAnswer(reason) => f.write_str(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_from(vars: &[(&str, &str)]) -> Result<AzureProjectConfig, InitError> {
        read(
            &|name| {
                vars.iter()
                    .find(|(var, _)| *var == name)
                    .map(|(_, value)| (*value).to_owned())
            },
            &mut Vec::new(),
        )
    }

    #[test]
    fn the_endpoint_comes_from_either_variable_the_new_one_first() {
        let new = "https://a.services.ai.azure.com/api/projects/new";
        let old = "https://a.services.ai.azure.com/api/projects/old";
        let config = read_from(&[(PROJECT_ENDPOINT, old)]).unwrap();
        assert_eq!(config.endpoint.as_deref(), Some(old));
        let config =
            read_from(&[(PROJECT_ENDPOINT, old), (AZURE_AI_PROJECT_ENDPOINT, new)]).unwrap();
        assert_eq!(config.endpoint.as_deref(), Some(new));
        // The older, generic name is read only with a project endpoint's shape.
        for other in [
            "https://gitlab.example.com/group/project",
            "http://x/api/projects/p",
        ] {
            let config = read_from(&[(PROJECT_ENDPOINT, other)]).unwrap();
            assert_eq!(config.endpoint, None, "{other}");
        }
        assert_eq!(config.timeout, DEFAULT_AZURE_AI_PROJECT_TIMEOUT);
    }

    #[test]
    fn a_plain_http_endpoint_and_a_bad_timeout_are_refused() {
        let err = read_from(&[(AZURE_AI_PROJECT_ENDPOINT, "http://x/api/projects/p")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("AZURE_AI_PROJECT_ENDPOINT"), "{err}");
        assert!(err.contains("https://"), "{err}");
        let err = read_from(&[(TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT, "5s")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT"),
            "{err}"
        );
        let config = read_from(&[(TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT, "250")]).unwrap();
        assert_eq!(config.timeout, Duration::from_millis(250));
    }

    #[test]
    fn the_project_is_looked_up_only_when_no_other_destination_is_configured() {
        let project = "https://a.services.ai.azure.com/api/projects/p";
        let lookup = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            crate::config::Config::from_lookup(move |name| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            })
            .unwrap()
            .azure_ai_project_lookup()
            .map(str::to_owned)
        };
        let otlp = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317");
        let endpoint = (AZURE_AI_PROJECT_ENDPOINT, project);
        assert_eq!(lookup(&[endpoint]).as_deref(), Some(project));
        assert_eq!(lookup(&[]), None);
        assert_eq!(lookup(&[endpoint, otlp]), None);
        assert_eq!(
            lookup(&[
                endpoint,
                (
                    "APPLICATIONINSIGHTS_CONNECTION_STRING",
                    "InstrumentationKey=k"
                )
            ]),
            None
        );
        assert_eq!(
            lookup(&[endpoint, ("OTEL_TRACES_EXPORTER", "console")]).as_deref(),
            Some(project),
            "logs and metrics still choose automatically"
        );
        assert_eq!(
            lookup(&[
                endpoint,
                otlp,
                ("OTEL_TRACES_EXPORTER", "otlp,azure_monitor")
            ])
            .as_deref(),
            Some(project),
            "azure_monitor named with only the project to send to"
        );
        assert_eq!(
            lookup(&[
                endpoint,
                ("OTEL_TRACES_EXPORTER", "console"),
                ("OTEL_LOGS_EXPORTER", "none"),
                ("OTEL_METRICS_EXPORTER", "none")
            ]),
            None
        );
    }

    #[test]
    fn the_client_secret_is_never_printed() {
        let config = read_from(&[(AZURE_CLIENT_SECRET, "s3cr3t")]).unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let err = read_from(&[(AZURE_AUTHORITY_HOST, "http://login")]).unwrap_err();
        assert!(err.to_string().contains("AZURE_AUTHORITY_HOST"), "{err}");
    }
}
