//! Content outside the trace: the upload hook's store, and reading content back.
//!
//! With `OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK=upload` and
//! `OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH` (or
//! [`with_upload`](crate::TelemetryBuilder::with_upload)), the content of every GenAI span
//! the content boundary governs, trace-genai's own and other instrumentation's, goes to a
//! store instead of the span, and the span carries a reference to it:
//!
//! | on the span | in the store |
//! |---|---|
//! | `gen_ai.input.messages_ref` | `{base}/{trace_id}/{span_id}/gen_ai.input.messages.json` |
//! | `gen_ai.output.messages_ref` | `{base}/{trace_id}/{span_id}/gen_ai.output.messages.json` |
//! | `gen_ai.system_instructions_ref` | `{base}/{trace_id}/{span_id}/gen_ai.system_instructions.json` |
//! | `gen_ai.tool.definitions_ref`, `gen_ai.tool.call.arguments_ref`, … | the same, by key |
//!
//! Each object holds one call's content in the conventions' JSON schema, redacted and
//! whole (no content budget), as one JSON line (`json`, the default) or one line per
//! message with its `"index"` (`OTEL_INSTRUMENTATION_GENAI_UPLOAD_FORMAT=jsonl`).
//!
//! - **Off the hot path.** The call queues the object; the store is written on the export
//!   runtime. The queue has a byte budget (`TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES`, 32 MiB):
//!   content that does not fit is dropped and reported. Flush and shutdown wait for the
//!   uploads within the same deadline as the exports; what a store refused, what timed
//!   out and what was dropped is in the shutdown report, as destination `content store
//!   {base}`, signal [`Signal::Content`](crate::Signal::Content).
//! - **Sampled calls only.** A span the sampler drops is never recorded, so its content is
//!   neither captured nor uploaded: the store holds content that some trace points to.
//! - **Captured whatever the capture variable says**, as the conventions define the hook;
//!   `content = false` on a function still records nothing. `EVENT_ONLY`/`SPAN_AND_EVENT`
//!   put the same references on the `gen_ai.client.inference.operation.details` event.
//!   Error text and other free text are treated as with content off.
//!
//! Stores, each behind a cargo feature: a local directory (`file:///dir`, feature
//! `upload`), Azure Blob Storage (`az://container/prefix` with
//! `AZURE_STORAGE_CONNECTION_STRING`, or a SAS in it; feature `upload-azure`), S3
//! (`s3://bucket/prefix`, credentials from the `AWS_*` variables; `upload-aws`) and
//! Google Cloud Storage (`gs://bucket/prefix`, from `GOOGLE_*`; `upload-gcp`).
//!
//! [`fetch`] reads one reference back:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("trace-genai-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(dir.join("t/s"))?;
//! # std::fs::write(dir.join("t/s/gen_ai.input.messages.json"), "[{\"role\":\"user\",\"parts\":[]}]\n")?;
//! # let reference = format!("file://{}/t/s/gen_ai.input.messages.json", dir.display());
//! // `reference`: a span's `gen_ai.input.messages_ref`.
//! let messages = trace_genai::upload::fetch(&reference)?;
//! assert_eq!(messages[0]["role"], "user");
//! # std::fs::remove_dir_all(dir)?;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

use super::batch::{self, BatchProcessor};
use super::delivery::Delivery;
use super::on_runtime::ExportRuntime;
use crate::config::destination::Signal;
use crate::config::error::InitError;
use crate::config::{BatchProcessorConfig, StoreKind, UploadConfig};
use crate::global::UploadContent;

pub use crate::config::UploadFormat;

/// The longest one object's upload may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Objects written at the same time by one batch.
const BATCH: usize = 32;

/// One object waiting for the store: its name below the base path and its content, made
/// a store path and bytes by the worker, not on the calling thread.
#[derive(Debug)]
pub(crate) struct Object {
    name: String,
    content: UploadContent,
    /// The content's estimated bytes.
    weight: usize,
}

impl batch::Item for Object {
    fn weight(&self) -> usize {
        self.weight + self.name.len() + 64
    }

    fn fit(&mut self, _limit: usize) -> bool {
        // Content is uploaded whole or not at all.
        false
    }
}

/// Writes batches of objects to the store, at the same time, on the export runtime.
struct Uploads {
    store: Arc<dyn ObjectStore>,
    /// The path objects go under.
    prefix: Path,
    /// One line per message (`jsonl`).
    lines: bool,
    runtime: Arc<ExportRuntime>,
    delivery: Arc<Delivery>,
    timeout: Duration,
}

impl batch::Export for Uploads {
    type Item = Object;

    fn export(&self, objects: Vec<Object>) -> OTelSdkResult {
        let timeout = self.timeout;
        let results = self.runtime.block_on(async {
            let mut writes = tokio::task::JoinSet::new();
            for Object { name, content, .. } in objects {
                let body = crate::genai::upload::encode(content, self.lines);
                let path: Path = self
                    .prefix
                    .parts()
                    .chain(Path::from(name.as_str()).parts())
                    .collect();
                let store = Arc::clone(&self.store);
                writes.spawn(async move {
                    match tokio::time::timeout(timeout, store.put(&path, body.into())).await {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(error)) => Err(OTelSdkError::InternalFailure(error.to_string())),
                        Err(_) => Err(OTelSdkError::Timeout(timeout)),
                    }
                });
            }
            let mut results = Vec::new();
            while let Some(joined) = writes.join_next().await {
                results.push(joined.unwrap_or_else(|error| {
                    Err(OTelSdkError::InternalFailure(format!(
                        "the upload task failed: {error}"
                    )))
                }));
            }
            results
        });
        let mut outcome = Ok(());
        for result in results {
            self.delivery.settle(1, &result);
            if result.is_err() {
                outcome = result;
            }
        }
        outcome
    }

    fn shutdown(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn set_resource(&mut self, _resource: &Resource) {}
}

/// The queue in front of the store: what the content boundary submits to.
#[derive(Debug)]
struct Queue {
    processor: Arc<BatchProcessor<Object>>,
    delivery: Arc<Delivery>,
}

impl crate::global::UploadSink for Queue {
    fn submit(&self, name: String, content: UploadContent) {
        self.delivery.produced(1);
        let weight = crate::genai::upload::weight(&content);
        self.processor.enqueue(Object {
            name,
            content,
            weight,
        });
    }
}

/// A store opened from a base path: the store, the path objects go under, and the base as
/// references name it.
struct Opened {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    base: String,
}

/// Builds the upload hook of `config`: its store, its queue (registered with `runtimes`
/// for flush, shutdown and the delivery report).
pub(crate) fn build(
    config: &UploadConfig,
    runtimes: &mut super::Runtimes,
    spans: &BatchProcessorConfig,
) -> Result<Arc<crate::global::Upload>, InitError> {
    let Opened {
        store,
        prefix,
        base,
    } = open(config, &config.base_path, true)?;
    let runtime = runtimes.runtime()?;
    let timeout = UPLOAD_TIMEOUT.min(crate::config::time_limit(spans.export_timeout));
    let delivery = runtimes.delivery(
        format!("content store {base}"),
        Signal::Content,
        Arc::default(),
        timeout,
    );
    let settings = BatchProcessorConfig {
        schedule_delay: Duration::from_millis(200),
        max_queue_size: BatchProcessorConfig::MAX_QUEUE_SIZE,
        max_export_batch_size: BATCH,
        export_timeout: timeout,
        max_queue_bytes: config
            .max_queue_bytes
            .clamp(crate::config::MIN_BYTES, crate::config::MAX_BYTES),
    };
    let format = config.format;
    let processor = Arc::new(BatchProcessor::start(
        Uploads {
            store,
            prefix,
            lines: format == UploadFormat::Jsonl,
            runtime,
            delivery: Arc::clone(&delivery),
            timeout,
        },
        settings,
        None,
        "trace-genai-upload",
    )?);
    delivery.watch(processor.backlog());
    runtimes.uploads = Some(Arc::clone(&processor));
    Ok(Arc::new(crate::global::Upload {
        base,
        extension: format.extension(),
        sink: Arc::new(Queue {
            processor,
            delivery,
        }),
    }))
}

/// Opens the store `base` names, with the credentials of `config` (`create`: a local
/// directory is created if missing).
fn open(config: &UploadConfig, base: &str, create: bool) -> Result<Opened, InitError> {
    let kind = config.store()?;
    let invalid = |reason: String| {
        InitError::InvalidConfig(format!(
            "the upload base path {base:?} cannot be used: {reason} (set {} to a usable store)",
            crate::config::OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH
        ))
    };
    let base = base.trim_end_matches('/');
    match kind {
        StoreKind::Local => {
            let dir = base.strip_prefix("file://").unwrap_or(base);
            if create {
                std::fs::create_dir_all(dir).map_err(|error| {
                    invalid(format!("the directory cannot be created: {error}"))
                })?;
            }
            let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .map_err(|error| invalid(error.to_string()))?;
            Ok(Opened {
                store: Arc::new(store),
                prefix: Path::default(),
                base: format!("file://{dir}"),
            })
        }
        #[cfg(feature = "upload-azure")]
        StoreKind::Azure => {
            let (store, prefix) = azure(config, base).map_err(invalid)?;
            Ok(Opened {
                store,
                prefix,
                base: base.to_owned(),
            })
        }
        #[cfg(feature = "upload-aws")]
        StoreKind::S3 => bucket(
            base,
            object_store::aws::AmazonS3Builder::from_env()
                .with_url(base)
                .build(),
        )
        .map_err(invalid),
        #[cfg(feature = "upload-gcp")]
        StoreKind::Gcs => bucket(
            base,
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(base)
                .build(),
        )
        .map_err(invalid),
        #[allow(
            unreachable_patterns,
            reason = "every store whose feature is on is matched above"
        )]
        other => Err(InitError::FeatureNotEnabled {
            exporter: match other {
                StoreKind::Azure => "Azure Blob Storage upload",
                StoreKind::S3 => "S3 upload",
                _ => "Google Cloud Storage upload",
            },
            feature: other.feature(),
        }),
    }
}

/// The bucket store `built` from `base` (`s3://bucket/prefix`, `gs://…`), objects under
/// the prefix.
#[cfg(any(feature = "upload-aws", feature = "upload-gcp"))]
fn bucket<S: ObjectStore>(base: &str, built: object_store::Result<S>) -> Result<Opened, String> {
    let store = built.map_err(|error| error.to_string())?;
    let rest = base.split_once("://").map_or("", |(_, rest)| rest);
    Ok(Opened {
        store: Arc::new(store),
        prefix: Path::from(rest.split_once('/').map_or("", |(_, prefix)| prefix)),
        base: base.to_owned(),
    })
}

/// An Azure Blob Storage container from `base` (`az://container/prefix`,
/// `abfs://container@account.dfs.core.windows.net/prefix`,
/// `https://account.blob.core.windows.net/container/prefix`, or an emulator's
/// `http://host:port/account/container/prefix`), with the connection string's account.
#[cfg(feature = "upload-azure")]
fn azure(config: &UploadConfig, base: &str) -> Result<(Arc<dyn ObjectStore>, Path), String> {
    use object_store::azure::MicrosoftAzureBuilder;

    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut builder = MicrosoftAzureBuilder::new();
    // The endpoint an emulator URL names wins over the connection string's.
    let mut endpoint = None;
    let prefix = match scheme {
        "http" | "https" if !host.contains(".blob.") && !host.contains(".dfs.") => {
            // An emulator's path-style URL: account, container, prefix.
            let [account, container, rest @ ..] = &segments[..] else {
                return Err("an emulator URL names the account and the container".to_owned());
            };
            builder = builder
                .with_account(*account)
                .with_container_name(*container);
            endpoint = Some(format!("{scheme}://{host}/{account}"));
            rest.join("/")
        }
        "https" => {
            let [_container, rest @ ..] = &segments[..] else {
                return Err("the URL names no container".to_owned());
            };
            builder = builder.with_url(base);
            rest.join("/")
        }
        _ => {
            builder = builder.with_url(base);
            segments.join("/")
        }
    };
    if let Some(connection_string) = &config.azure_connection_string {
        let (with_account, blob_endpoint) = connection(builder, connection_string)?;
        builder = with_account;
        endpoint = endpoint.or(Some(blob_endpoint));
    } else if let Some(account) = &config.azure_account {
        builder = builder.with_account(account);
    }
    // Without a connection string: a Microsoft Entra ID token, from the credential chain
    // the Azure AI Foundry lookup uses.
    #[cfg(feature = "azure-ai-project")]
    if config.azure_connection_string.is_none() {
        let credential = crate::azure::default_credential().map_err(|e| e.to_string())?;
        builder = builder.with_credentials(Arc::new(EntraCredential(credential)));
    }
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    let store = builder.build().map_err(|error| {
        format!(
            "{error} (set {} to the storage account's connection string, or name the account in the URL)",
            crate::config::AZURE_STORAGE_CONNECTION_STRING
        )
    })?;
    Ok((Arc::new(store), Path::from(prefix)))
}

/// A Microsoft Entra ID token for Azure Storage (scope `https://storage.azure.com/.default`)
/// from an `azure_identity` credential; the credential caches it until it expires.
#[cfg(all(feature = "upload-azure", feature = "azure-ai-project"))]
#[derive(Debug)]
struct EntraCredential(Arc<dyn crate::azure::TokenCredential>);

#[cfg(all(feature = "upload-azure", feature = "azure-ai-project"))]
#[async_trait::async_trait]
impl object_store::CredentialProvider for EntraCredential {
    type Credential = object_store::azure::AzureCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<Self::Credential>> {
        let token = self
            .0
            .get_token(&["https://storage.azure.com/.default"], None)
            .await
            .map_err(|error| object_store::Error::Generic {
                store: "MicrosoftAzure",
                source: Box::new(error),
            })?;
        Ok(Arc::new(object_store::azure::AzureCredential::BearerToken(
            token.token.secret().to_owned(),
        )))
    }
}

/// The account and key or SAS of an Azure Storage connection string, and its blob
/// endpoint.
#[cfg(feature = "upload-azure")]
fn connection(
    mut builder: object_store::azure::MicrosoftAzureBuilder,
    connection_string: &str,
) -> Result<(object_store::azure::MicrosoftAzureBuilder, String), String> {
    /// Azurite's well-known account and key (public, documented by Microsoft).
    const DEVSTORE_ACCOUNT: &str = "devstoreaccount1";
    const DEVSTORE_KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    let mut protocol = "https";
    let mut suffix = "core.windows.net";
    let mut account = None;
    let mut endpoint = None;
    for part in connection_string.split(';').map(str::trim) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "UseDevelopmentStorage" if value.eq_ignore_ascii_case("true") => {
                account = Some(DEVSTORE_ACCOUNT.to_owned());
                builder = builder.with_access_key(DEVSTORE_KEY);
                endpoint
                    .get_or_insert_with(|| format!("http://127.0.0.1:10000/{DEVSTORE_ACCOUNT}"));
            }
            "DefaultEndpointsProtocol" => protocol = if value == "http" { "http" } else { "https" },
            "EndpointSuffix" => suffix = value,
            "AccountName" => account = Some(value.to_owned()),
            "AccountKey" => builder = builder.with_access_key(value),
            "SharedAccessSignature" => {
                let pairs = value
                    .trim_start_matches('?')
                    .split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect::<Vec<_>>();
                builder = builder.with_sas_authorization(pairs);
            }
            "BlobEndpoint" => endpoint = Some(value.trim_end_matches('/').to_owned()),
            _ => {}
        }
    }
    let Some(account) = account else {
        return Err("the connection string names no AccountName".to_owned());
    };
    let endpoint = endpoint.unwrap_or_else(|| format!("{protocol}://{account}.blob.{suffix}"));
    Ok((builder.with_account(account), endpoint))
}

/// The reference the installed upload hook gives the content of `key`
/// (`"gen_ai.input.messages"`, …) on the span `span`, as its `{key}_ref` attribute says:
/// for an application that keeps the span context of a call (to link to its content from
/// its own pages, say). `None` without an upload hook, or for an invalid span context.
#[must_use]
pub fn reference(span: &opentelemetry::trace::SpanContext, key: &str) -> Option<String> {
    crate::genai::upload::reference(span, key)
}

/// Why [`fetch`] could not read a reference.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The reference names no store trace-genai can open (or its feature is off).
    #[error("cannot open the store of {reference:?}: {reason}")]
    Store {
        /// The reference.
        reference: String,
        /// Why.
        reason: String,
    },
    /// The store did not give the object.
    #[error("cannot read {reference:?}: {reason}")]
    Read {
        /// The reference.
        reference: String,
        /// The store's error.
        reason: String,
    },
    /// The object is not the JSON trace-genai writes.
    #[error("{reference:?} does not hold JSON content: {reason}")]
    NotJson {
        /// The reference.
        reference: String,
        /// The parser's error.
        reason: String,
    },
}

/// Reads the content a `*_ref` attribute points to: the attribute's JSON value (for a
/// `jsonl` object, the list of its lines). Credentials for Azure Blob Storage come from
/// `AZURE_STORAGE_CONNECTION_STRING`, as for uploads. Blocks until the store answers (at
/// most 30 s).
///
/// # Errors
///
/// [`FetchError`] when the store cannot be opened, the object cannot be read, or it does
/// not hold JSON.
pub fn fetch(reference: &str) -> Result<serde_json::Value, FetchError> {
    let base = reference
        .rsplit_once('/')
        .map_or(reference, |(base, _)| base);
    fetch_with(
        reference,
        &crate::config::upload::with_credentials_from_env(base.to_owned()),
    )
}

/// [`fetch`] with the credentials of `config` (its base path is not used: the reference
/// names its store).
///
/// # Errors
///
/// As for [`fetch`].
pub fn fetch_with(reference: &str, config: &UploadConfig) -> Result<serde_json::Value, FetchError> {
    let store_error = |reason: String| FetchError::Store {
        reference: reference.to_owned(),
        reason,
    };
    let (base, name) = reference
        .rsplit_once('/')
        .ok_or_else(|| store_error("not a reference".to_owned()))?;
    let mut config = config.clone();
    base.clone_into(&mut config.base_path);
    let Opened { store, prefix, .. } =
        open(&config, base, false).map_err(|e| store_error(e.to_string()))?;
    let path: Path = prefix.parts().chain(Path::from(name).parts()).collect();
    // The runtime exports run on, which also blocks safely inside an async context.
    let runtime = ExportRuntime::new().map_err(|error| store_error(error.to_string()))?;
    let read = |reason: String| FetchError::Read {
        reference: reference.to_owned(),
        reason,
    };
    let bytes = runtime
        .block_on(async {
            // Made inside the runtime: a timer needs one.
            tokio::time::timeout(Duration::from_secs(30), async {
                store.get(&path).await?.bytes().await
            })
            .await
        })
        .map_err(|_| read("timed out after 30 s".to_owned()))?
        .map_err(|error| read(error.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    let not_json = |error: serde_json::Error| FetchError::NotJson {
        reference: reference.to_owned(),
        reason: error.to_string(),
    };
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    if std::path::Path::new(name)
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("jsonl"))
    {
        lines
            .iter()
            .map(|line| serde_json::from_str(line))
            .collect::<Result<Vec<_>, _>>()
            .map(serde_json::Value::Array)
            .map_err(not_json)
    } else {
        serde_json::from_str(text.trim()).map_err(not_json)
    }
}

#[cfg(all(test, feature = "upload-azure"))]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_give_the_account_and_the_blob_endpoint() {
        use object_store::azure::MicrosoftAzureBuilder;
        let endpoint = |text: &str| connection(MicrosoftAzureBuilder::new(), text).map(|(_, e)| e);
        assert_eq!(
            endpoint("UseDevelopmentStorage=true").unwrap(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
        assert_eq!(
            endpoint("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn").unwrap(),
            "https://acct.blob.core.chinacloudapi.cn"
        );
        assert_eq!(
            endpoint("AccountName=acct;SharedAccessSignature=sv=2022&sig=abc;BlobEndpoint=http://127.0.0.1:1/acct/").unwrap(),
            "http://127.0.0.1:1/acct"
        );
        assert!(
            endpoint("AccountKey=a2V5")
                .unwrap_err()
                .contains("AccountName")
        );
    }

    #[test]
    fn azure_base_paths_open_their_container_and_prefix() {
        let config = UploadConfig::new("az://genai/runs/2026")
            .with_azure_connection_string("UseDevelopmentStorage=true");
        let opened = open(&config, &config.base_path, false).unwrap();
        assert_eq!(opened.prefix.as_ref(), "runs/2026");
        assert_eq!(opened.base, "az://genai/runs/2026");
        let emulator = UploadConfig::new("http://127.0.0.1:10000/devstoreaccount1/genai/runs")
            .with_azure_connection_string("UseDevelopmentStorage=true");
        let opened = open(&emulator, &emulator.base_path, false).unwrap();
        assert_eq!(opened.prefix.as_ref(), "runs");
        let no_container = UploadConfig::new("http://127.0.0.1:10000/devstoreaccount1");
        let error = open(&no_container, &no_container.base_path, false)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("is not a store URI"), "{error}");
    }
}
