//! The example binaries that `cargo test --workspace --all-features` builds next to the
//! test binaries.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/<name>`, which must exist.
pub fn example_binary(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test --workspace --all-features`, which builds the examples",
        binary.display()
    );
    binary
}

/// `program` with none of the developer's telemetry variables (`OTEL_*`, `TRACE_GENAI_*`,
/// `AZURE_TRACING_*`, `APPLICATIONINSIGHTS_*`, `SSL_CERT_*`, and the Azure AI Foundry
/// project's and Microsoft Entra ID's: `AZURE_AI_PROJECT_*`, `PROJECT_ENDPOINT`,
/// `AZURE_TENANT_ID`, `AZURE_CLIENT_*`, `AZURE_AUTHORITY_HOST`, `AZURE_FEDERATED_*`,
/// `AZURE_STORAGE_*`): a test
/// sets its own.
pub fn without_telemetry_env(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "OTEL_",
            "TRACE_GENAI_",
            "AZURE_TRACING_",
            "APPLICATIONINSIGHTS_",
            "SSL_CERT_",
            "AZURE_AI_PROJECT_",
            "PROJECT_ENDPOINT",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_",
            "AZURE_AUTHORITY_HOST",
            "AZURE_FEDERATED_",
            "AZURE_STORAGE_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name.as_ref());
        }
    }
    command
}
