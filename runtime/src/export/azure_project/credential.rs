//! Microsoft Entra ID for the project lookup: the default credential chain, and the HTTP
//! transport every credential built here uses (trace-genai's reqwest client, which trusts
//! the certificates of `with_root_certificate`).

use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::{Error, ErrorKind};
use azure_core::http::headers::Headers;
use azure_core::http::{AsyncRawResponse, Body, ClientOptions, HttpClient, Request, RetryOptions};

use crate::config::AzureProjectConfig;
use crate::config::azure_project::AzureProjectFailure;
use crate::config::error::ExportFailure;

/// `azure_core`'s HTTP client trait over trace-genai's reqwest client.
#[derive(Debug)]
struct ReqwestTransport(reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for ReqwestTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes())
            .map_err(|error| Error::with_error(ErrorKind::Other, error, "an unknown method"))?;
        let mut builder = self.0.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        // Token requests carry a form; nothing here streams a body.
        let Body::Bytes(bytes) = request.body() else {
            return Err(Error::with_message(
                ErrorKind::Other,
                "a streamed request body is not supported",
            ));
        };
        let response = builder.body(bytes.clone()).send().await.map_err(|error| {
            let kind = if error.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            Error::with_error(kind, error, "the request to Microsoft Entra ID failed")
        })?;
        let status = response.status().as_u16();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                headers.insert(name.as_str().to_owned(), value.to_owned());
            }
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| Error::with_error(ErrorKind::Io, error, "the answer was cut"))?;
        Ok(AsyncRawResponse::from_bytes(status.into(), headers, body))
    }
}

/// The options of every credential built here: trace-genai's transport, no retries (the
/// lookup has one time limit for everything), and the authority host (the public cloud's unless one is set).
fn client_options(config: &AzureProjectConfig, client: &reqwest::Client) -> ClientOptions {
    // Always a cloud: without one, azure_identity reads `AZURE_AUTHORITY_HOST` itself, and
    // fails on a blank value (which trace-genai reads as unset, like every variable).
    let cloud = Some(Arc::new(config.authority_host.as_ref().map_or(
        azure_core::cloud::CloudConfiguration::AzurePublic,
        |host| {
            let mut custom = azure_core::cloud::CustomConfiguration::default();
            custom.authority_host.clone_from(host);
            azure_core::cloud::CloudConfiguration::Custom(custom)
        },
    )));
    ClientOptions {
        transport: Some(azure_core::http::Transport::new(Arc::new(
            ReqwestTransport(client.clone()),
        ))),
        retry: RetryOptions::none(),
        cloud,
        ..ClientOptions::default()
    }
}

/// One credential of the chain, and whether a failure ends the chain (a credential set up
/// by the environment) or only moves on (one that is tried in case it is available).
#[derive(Debug)]
struct Source {
    name: &'static str,
    credential: Arc<dyn TokenCredential>,
    configured: bool,
}

/// The default credential chain: see [`default_credential`](super::default_credential).
#[derive(Debug)]
struct Chain {
    sources: Vec<Source>,
    /// Why the credentials that could not be set up here could not (e.g. a managed
    /// identity platform `azure_identity` does not support), for the final error.
    unusable: Vec<String>,
}

#[async_trait::async_trait]
impl TokenCredential for Chain {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let mut unavailable = self.unusable.clone();
        for source in &self.sources {
            match source.credential.get_token(scopes, options.clone()).await {
                Ok(token) => return Ok(token),
                Err(error) if source.configured => return Err(error),
                Err(error) => unavailable.push(format!("{}: {}", source.name, one_line(&error))),
            }
        }
        let reason = if unavailable.is_empty() {
            "no credential could be set up here".to_owned()
        } else {
            unavailable.join("; ")
        };
        Err(Error::with_message(ErrorKind::Credential, reason))
    }
}

/// The default chain, from the environment's settings (`config`):
/// 1. `ClientSecretCredential`, when `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
///    `AZURE_CLIENT_SECRET` are set;
/// 2. `WorkloadIdentityCredential`, when `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_TENANT_ID` and
///    `AZURE_CLIENT_ID` are set (Kubernetes workload identity);
/// 3. `DeveloperToolsCredential`: the Azure CLI (`az login`), then the Azure Developer CLI
///    (`azd auth login`);
/// 4. `ManagedIdentityCredential` (App Service, Functions, Container Apps, virtual machines),
///    user-assigned with `AZURE_CLIENT_ID` when that is set.
///
/// A failure of 1 or 2 ends the chain (they are set up on purpose); 3 and 4 are tried in
/// turn.
pub(super) fn default_chain(
    config: &AzureProjectConfig,
    client: &reqwest::Client,
) -> Result<Arc<dyn TokenCredential>, AzureProjectFailure> {
    let mut sources = Vec::new();
    let unusable = |error: Error| AzureProjectFailure::NoCredential(one_line(&error));
    if let (Some(tenant), Some(client_id), Some(secret)) =
        (&config.tenant_id, &config.client_id, &config.client_secret)
    {
        sources.push(Source {
            name: "ClientSecretCredential",
            credential: azure_identity::ClientSecretCredential::new(
                tenant,
                client_id.clone(),
                secret.expose().to_owned().into(),
                Some(azure_identity::ClientSecretCredentialOptions {
                    client_options: client_options(config, client),
                }),
            )
            .map_err(unusable)?,
            configured: true,
        });
    }
    if let (Some(file), Some(tenant), Some(client_id)) = (
        &config.federated_token_file,
        &config.tenant_id,
        &config.client_id,
    ) {
        sources.push(Source {
            name: "WorkloadIdentityCredential",
            credential: azure_identity::WorkloadIdentityCredential::new(Some(
                azure_identity::WorkloadIdentityCredentialOptions {
                    credential_options: azure_identity::ClientAssertionCredentialOptions {
                        client_options: client_options(config, client),
                    },
                    client_id: Some(client_id.clone()),
                    tenant_id: Some(tenant.clone()),
                    token_file_path: Some(file.into()),
                },
            ))
            .map_err(unusable)?,
            configured: true,
        });
    }
    let mut unusable = Vec::new();
    let mut probe = |name, built: azure_core::Result<Arc<dyn TokenCredential>>| match built {
        Ok(credential) => sources.push(Source {
            name,
            credential,
            configured: false,
        }),
        Err(error) => unusable.push(format!("{name}: {}", one_line(&error))),
    };
    probe(
        "DeveloperToolsCredential",
        azure_identity::DeveloperToolsCredential::new(None)
            .map(|credential| credential as Arc<dyn TokenCredential>),
    );
    probe(
        "ManagedIdentityCredential",
        azure_identity::ManagedIdentityCredential::new(Some(
            azure_identity::ManagedIdentityCredentialOptions {
                user_assigned_id: config
                    .client_id
                    .clone()
                    .map(azure_identity::UserAssignedId::ClientId),
                client_options: client_options(config, client),
            },
        ))
        .map(|credential| credential as Arc<dyn TokenCredential>),
    );
    Ok(Arc::new(Chain { sources, unusable }))
}

/// Why a credential gave no token: Microsoft Entra ID answered no (refused), it could not
/// be reached, or no credential is set up here.
pub(super) fn token_failure(error: &Error) -> AzureProjectFailure {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(azure) = cause.downcast_ref::<Error>() {
            match azure.kind() {
                ErrorKind::HttpResponse { .. } => {
                    return AzureProjectFailure::TokenRefused(one_line(error));
                }
                ErrorKind::Connection | ErrorKind::Io => {
                    return AzureProjectFailure::Unreachable(format!(
                        "Microsoft Entra ID could not be reached: {}",
                        ExportFailure::from_transport(azure)
                    ));
                }
                _ => {}
            }
        }
        current = cause.source();
    }
    AzureProjectFailure::NoCredential(one_line(error))
}

/// An error's text on one line, without the troubleshooting links `azure_identity` appends.
fn one_line(error: &Error) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("To troubleshoot, visit"))
        .collect::<Vec<_>>()
        .join(" ")
}
