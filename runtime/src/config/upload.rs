//! The upload hook's settings: `OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK=upload`, the
//! store's base path and the objects' format (the names OpenTelemetry's Python
//! `opentelemetry-util-genai` reads).

use super::error::InitError;
use super::vars::{
    AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_CONNECTION_STRING,
    OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK, OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH,
    OTEL_INSTRUMENTATION_GENAI_UPLOAD_FORMAT, TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES,
};

/// How an uploaded object holds its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UploadFormat {
    /// One line: the attribute's JSON value (`[{"role":"user","parts":[…]}, …]`), as the
    /// span would have carried it (the default).
    #[default]
    Json,
    /// One line per message, each with its position as `"index"`, for streaming readers.
    Jsonl,
}

impl UploadFormat {
    /// The objects' extension: `json` or `jsonl`.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            UploadFormat::Json => "json",
            UploadFormat::Jsonl => "jsonl",
        }
    }
}

/// Where and how message content is uploaded (see [`upload`](crate::upload)).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadConfig {
    /// `OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH`: `file:///dir` (or an absolute path),
    /// `az://container/prefix`, `abfs://container@account.dfs.core.windows.net/prefix`,
    /// `https://account.blob.core.windows.net/container/prefix`, `s3://bucket/prefix`,
    /// `gs://bucket/prefix`.
    pub base_path: String,
    /// `OTEL_INSTRUMENTATION_GENAI_UPLOAD_FORMAT`.
    pub format: UploadFormat,
    /// `TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES`: the bytes waiting uploads may hold
    /// (default [`DEFAULT_UPLOAD_MAX_QUEUE_BYTES`]); content that does not fit is not
    /// uploaded, and reported.
    pub max_queue_bytes: usize,
    /// `AZURE_STORAGE_CONNECTION_STRING`, for an Azure Blob Storage base path.
    pub azure_connection_string: Option<String>,
    /// `AZURE_STORAGE_ACCOUNT_NAME`, for an `az://` base path without a connection string.
    pub azure_account: Option<String>,
}

/// The default byte budget of the upload queue: 32 MiB.
pub const DEFAULT_UPLOAD_MAX_QUEUE_BYTES: usize = 32 << 20;

impl UploadConfig {
    /// Uploads to `base_path`, as JSON, with the default budget.
    #[must_use]
    pub fn new(base_path: impl Into<String>) -> Self {
        UploadConfig {
            base_path: base_path.into(),
            format: UploadFormat::Json,
            max_queue_bytes: DEFAULT_UPLOAD_MAX_QUEUE_BYTES,
            azure_connection_string: None,
            azure_account: None,
        }
    }

    /// The same, with objects in `format`.
    #[must_use]
    pub fn with_format(mut self, format: UploadFormat) -> Self {
        self.format = format;
        self
    }

    /// The same, with a byte budget of `bytes` for waiting uploads.
    #[must_use]
    pub fn with_max_queue_bytes(mut self, bytes: usize) -> Self {
        self.max_queue_bytes = bytes;
        self
    }

    /// The same, with the connection string of the Azure Storage account
    /// (`DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;BlobEndpoint=…`, or
    /// `UseDevelopmentStorage=true` for Azurite).
    #[must_use]
    pub fn with_azure_connection_string(mut self, connection_string: impl Into<String>) -> Self {
        self.azure_connection_string = Some(connection_string.into());
        self
    }

    /// The store the base path names.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidConfig`] when the base path is not one of the forms above.
    pub fn store(&self) -> Result<StoreKind, InitError> {
        store_kind(&self.base_path).ok_or_else(|| {
            InitError::InvalidConfig(format!(
                "the upload base path {:?} is not {EXPECTED_BASE_PATH}",
                self.base_path.chars().take(200).collect::<String>()
            ))
        })
    }
}

impl std::fmt::Debug for UploadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadConfig")
            .field("base_path", &self.base_path)
            .field("format", &self.format)
            .field("max_queue_bytes", &self.max_queue_bytes)
            .field(
                "azure_connection_string",
                &self.azure_connection_string.as_ref().map(|_| "<secret>"),
            )
            .field("azure_account", &self.azure_account)
            .finish()
    }
}

/// The kinds of store a base path can name, each with its cargo feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreKind {
    /// A local directory (`file://`, an absolute path): feature `upload`.
    Local,
    /// Azure Blob Storage (`az://`, `abfs://`, `abfss://`, `azure://`, a
    /// `*.blob.core.windows.net` or `*.dfs.core.windows.net` URL, or an `http://` Azurite
    /// URL with a connection string): feature `upload-azure`.
    Azure,
    /// Amazon S3 (`s3://`, `s3a://`): feature `upload-aws`.
    S3,
    /// Google Cloud Storage (`gs://`): feature `upload-gcp`.
    Gcs,
}

impl StoreKind {
    /// The cargo feature that brings this store.
    #[must_use]
    pub const fn feature(self) -> &'static str {
        match self {
            StoreKind::Local => "upload",
            StoreKind::Azure => "upload-azure",
            StoreKind::S3 => "upload-aws",
            StoreKind::Gcs => "upload-gcp",
        }
    }
}

const EXPECTED_BASE_PATH: &str = "a store URI: `file:///dir` (or an absolute path), `az://container/prefix`, `abfs://container@account.dfs.core.windows.net/prefix`, `https://account.blob.core.windows.net/container/prefix`, `s3://bucket/prefix` or `gs://bucket/prefix`";

/// The store `base` names, if it names one.
fn store_kind(base: &str) -> Option<StoreKind> {
    if base.starts_with('/') {
        return Some(StoreKind::Local);
    }
    let (scheme, rest) = base.split_once("://")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() && scheme != "file" {
        return None;
    }
    Some(match scheme.to_ascii_lowercase().as_str() {
        "file" if rest.starts_with('/') => StoreKind::Local,
        "az" | "adl" | "azure" | "abfs" | "abfss" => StoreKind::Azure,
        "s3" | "s3a" => StoreKind::S3,
        "gs" => StoreKind::Gcs,
        "https" | "http"
            if host.ends_with(".blob.core.windows.net")
                || host.ends_with(".dfs.core.windows.net")
                || rest.split('/').nth(2).is_some() =>
        {
            // An account's own endpoint, or an emulator's (`http://127.0.0.1:10000/account/container`).
            StoreKind::Azure
        }
        _ => return None,
    })
}

/// Settings to read from `base` with the credentials of the environment (for
/// [`upload::fetch`](crate::upload::fetch)).
#[cfg_attr(
    not(feature = "upload"),
    allow(dead_code, reason = "only reading content back uses it")
)]
pub(crate) fn with_credentials_from_env(base: String) -> UploadConfig {
    let mut config = UploadConfig::new(base);
    credentials(
        &|name| super::present(std::env::var(name).ok()),
        &mut config,
    );
    config
}

/// The Azure Storage credentials `get` gives.
fn credentials(get: &impl Fn(&str) -> Option<String>, config: &mut UploadConfig) {
    config.azure_connection_string = get(AZURE_STORAGE_CONNECTION_STRING);
    config.azure_account = get(AZURE_STORAGE_ACCOUNT_NAME);
}

/// Reads the upload settings; `None` unless the completion hook is `upload`.
pub(super) fn read(
    get: &impl Fn(&str) -> Option<String>,
    count: impl Fn(&'static str, &str) -> Result<usize, InitError>,
) -> Result<Option<UploadConfig>, InitError> {
    let Some(hook) = get(OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK) else {
        return Ok(None);
    };
    if !hook.eq_ignore_ascii_case("upload") {
        return Err(InitError::InvalidEnv {
            var: OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK,
            value: hook,
            expected: "`upload` (the only completion hook built in), or unset",
        });
    }
    let Some(base_path) = get(OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH) else {
        return Err(InitError::InvalidConfig(format!(
            "{OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK}=upload needs {OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH}: set it to where content goes, e.g. `file:///var/lib/app/genai-content` or `az://container/prefix`"
        )));
    };
    if store_kind(&base_path).is_none() {
        return Err(InitError::InvalidEnv {
            var: OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH,
            value: base_path,
            expected: EXPECTED_BASE_PATH,
        });
    }
    let mut upload = UploadConfig::new(base_path);
    if let Some(value) = get(OTEL_INSTRUMENTATION_GENAI_UPLOAD_FORMAT) {
        upload.format = match value.to_ascii_lowercase().as_str() {
            "json" => UploadFormat::Json,
            "jsonl" => UploadFormat::Jsonl,
            _ => {
                return Err(InitError::InvalidEnv {
                    var: OTEL_INSTRUMENTATION_GENAI_UPLOAD_FORMAT,
                    value,
                    expected: "`json` or `jsonl`",
                });
            }
        };
    }
    if let Some(value) = get(TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES) {
        upload.max_queue_bytes = count(TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES, &value)?;
    }
    credentials(get, &mut upload);
    Ok(Some(upload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_name_their_store() {
        for (base, kind) in [
            ("/var/lib/app", Some(StoreKind::Local)),
            ("file:///tmp/x", Some(StoreKind::Local)),
            ("file://relative", None),
            ("az://container/prefix", Some(StoreKind::Azure)),
            (
                "abfs://c@account.dfs.core.windows.net/p",
                Some(StoreKind::Azure),
            ),
            (
                "https://account.blob.core.windows.net/c/p",
                Some(StoreKind::Azure),
            ),
            (
                "http://127.0.0.1:10000/devstoreaccount1/c",
                Some(StoreKind::Azure),
            ),
            ("s3://bucket/p", Some(StoreKind::S3)),
            ("gs://bucket", Some(StoreKind::Gcs)),
            ("ftp://x/y", None),
            ("https://example.com", None),
            ("relative/dir", None),
            ("az://", None),
        ] {
            assert_eq!(store_kind(base), kind, "{base}");
        }
    }
}
