//! Azure AI Foundry projects: the Application Insights connection string of the resource
//! connected to a project, looked up at install with a Microsoft Entra ID token, then spans
//! in Application Insights. Everything runs against loopback HTTPS stand-ins
//! (`trace_genai_tests::foundry` for the token endpoint and the project, `azure` for
//! ingestion); nothing leaves the machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use trace_genai::{
    AzureProjectFailure, AzureProjectStep, InitError, TelemetryBuilder, trace_genai,
};
use trace_genai_tests::azure::{self, AzureStandIn};
use trace_genai_tests::foundry::{self, FoundryStandIn, Project, Received};
use trace_genai_tests::harness::{builder, serial};

#[trace_genai(chat, provider = "azure.ai.inference", model = "gpt-4o")]
fn chat(question: &str) -> Result<String, std::fmt::Error> {
    Ok(format!("answer to {question}"))
}

/// `extra`, then the stand-in's variables (the first of a name counts: `extra` overrides).
fn vars<'a>(
    stand_in: &'a [(&'static str, String)],
    extra: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    extra
        .iter()
        .copied()
        .chain(stand_in.iter().map(|(name, value)| (*name, value.as_str())))
        .collect()
}

/// A builder with the stand-in's client-secret variables (`extra` first: they win),
/// trusting the project's CA and, when given, Application Insights'.
fn against(
    project: &FoundryStandIn,
    insights: Option<&AzureStandIn>,
    extra: &[(&'static str, &str)],
) -> TelemetryBuilder {
    let stand_in_vars = project.vars();
    let mut builder =
        builder(&vars(&stand_in_vars, extra)).with_root_certificate(project.ca_certificate_pem());
    if let Some(insights) = insights {
        builder = builder.with_root_certificate(insights.ca_certificate_pem());
    }
    builder
}

/// Spans reached the Application Insights stand-in.
fn assert_delivered(insights: &AzureStandIn) {
    assert!(
        !insights
            .wait_for_envelopes(1, Duration::from_secs(10))
            .is_empty(),
        "no envelope reached Application Insights"
    );
}

fn data_plane(requests: &[Received]) -> Vec<&Received> {
    requests
        .iter()
        .filter(|r| r.path.starts_with("/api/projects/"))
        .collect()
}

/// The failure of an install that should not succeed, checked for secrets.
#[track_caller]
fn lookup_failure(
    result: Result<trace_genai::Telemetry, InitError>,
) -> (AzureProjectStep, AzureProjectFailure, String) {
    let Err(error) = result else {
        panic!("the install should fail")
    };
    let text = format!("{error} {error:?}");
    for secret in [
        foundry::TOKEN,
        foundry::CLIENT_SECRET,
        azure::INSTRUMENTATION_KEY,
    ] {
        assert!(!text.contains(secret), "a secret is shown: {text}");
    }
    match error {
        InitError::AzureAiProject { step, failure, .. } => (step, failure, text),
        other => panic!("expected an AzureAiProject error, got {other}"),
    }
}

#[test]
fn the_client_secret_flow_finds_the_connection_string_and_spans_arrive_under_it() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    // No destination in code and none in the environment but the project: what `init()` does.
    let telemetry = against(&project, Some(&insights), &[])
        .with_service_name("foundry-app")
        .install()
        .unwrap();

    let requests = project.requests();
    assert_eq!(
        requests.len(),
        3,
        "one token, two calls, once per install: {requests:#?}"
    );
    let token = &requests[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.path, FoundryStandIn::token_path());
    assert_eq!(token.form["grant_type"], "client_credentials");
    assert_eq!(token.form["client_id"], foundry::CLIENT_ID);
    assert_eq!(token.form["scope"], "https://ai.azure.com/.default");

    let bearer = format!("Bearer {}", foundry::TOKEN);
    let list = &requests[1];
    assert_eq!(list.method, "GET");
    assert_eq!(
        list.path,
        format!("/api/projects/{}/connections", foundry::PROJECT)
    );
    assert_eq!(list.query["connectionType"], "AppInsights");
    assert_eq!(list.query["api-version"], "v1");
    assert_eq!(list.authorization.as_deref(), Some(bearer.as_str()));
    let credentials = &requests[2];
    assert_eq!(credentials.method, "POST");
    assert_eq!(
        credentials.path,
        format!(
            "/api/projects/{}/connections/{}/getConnectionWithCredentials",
            foundry::PROJECT,
            foundry::CONNECTION
        )
    );
    assert_eq!(credentials.query["api-version"], "v1");
    assert_eq!(credentials.authorization.as_deref(), Some(bearer.as_str()));

    chat("hello").unwrap();
    telemetry.shutdown().unwrap();
    let envelopes = insights.wait_for_envelopes(1, Duration::from_secs(10));
    let span = envelopes
        .iter()
        .find(|e| e["data"]["baseData"]["name"] == "chat gpt-4o")
        .unwrap_or_else(|| panic!("no chat span: {envelopes:#?}"));
    assert_eq!(span["iKey"], azure::INSTRUMENTATION_KEY);
    assert_eq!(span["tags"]["ai.cloud.role"], "foundry-app");
}

#[test]
fn with_azure_ai_project_in_code_looks_up_the_same_way() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    // The project given in code wins over the one in the environment.
    let elsewhere = [(
        "AZURE_AI_PROJECT_ENDPOINT",
        "https://127.0.0.1:9/api/projects/not-this-one",
    )];
    let telemetry = against(&project, Some(&insights), &elsewhere)
        .with_azure_ai_project(project.project_endpoint())
        .install()
        .unwrap();
    assert_eq!(data_plane(&project.requests()).len(), 2);
    chat("hello").unwrap();
    telemetry.shutdown().unwrap();
    assert_delivered(&insights);
}

#[test]
fn an_explicit_connection_string_or_destination_wins_over_the_project() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Status(500));
    let connection_string = insights.connection_string();
    let telemetry = against(
        &project,
        Some(&insights),
        &[("APPLICATIONINSIGHTS_CONNECTION_STRING", &connection_string)],
    )
    .install()
    .unwrap();
    chat("hello").unwrap();
    telemetry.shutdown().unwrap();
    assert_delivered(&insights);

    // A destination given in code: the console; the project is not asked either.
    let telemetry = against(&project, None, &[])
        .with_no_exporter()
        .install()
        .unwrap();
    telemetry.shutdown().unwrap();
    assert!(project.requests().is_empty(), "{:#?}", project.requests());
}

#[test]
fn a_project_without_application_insights_says_where_to_connect_one() {
    let _serial = serial();
    let project = FoundryStandIn::start(Project::NoConnection);
    let (step, failure, text) = lookup_failure(against(&project, None, &[]).install());
    assert_eq!(step, AzureProjectStep::ListConnections);
    assert_eq!(failure, AzureProjectFailure::NoApplicationInsights);
    assert!(text.contains("Tracing page"), "{text}");
    assert!(text.contains(&project.project_endpoint()), "{text}");
}

#[test]
fn empty_credentials_have_their_own_message() {
    let _serial = serial();
    let project = FoundryStandIn::start(Project::EmptyCredentials);
    let (step, failure, text) = lookup_failure(against(&project, None, &[]).install());
    assert_eq!(step, AzureProjectStep::ConnectionCredentials);
    assert_eq!(
        failure,
        AzureProjectFailure::EmptyCredentials {
            connection: foundry::CONNECTION.to_owned()
        }
    );
    assert!(text.contains("empty credentials"), "{text}");
}

#[test]
fn refusals_of_the_project_and_of_entra_id_are_told_apart() {
    let _serial = serial();
    for (status, expected) in [
        (401, AzureProjectFailure::AccessDenied { status: 401 }),
        (403, AzureProjectFailure::AccessDenied { status: 403 }),
        (404, AzureProjectFailure::ProjectNotFound),
    ] {
        let project = FoundryStandIn::start(Project::Status(status));
        let (step, failure, _) = lookup_failure(against(&project, None, &[]).install());
        assert_eq!(
            (step, failure),
            (AzureProjectStep::ListConnections, expected)
        );
    }

    let project = FoundryStandIn::start(Project::NoConnection);
    let env = &[("AZURE_CLIENT_SECRET", "a-wrong-secret")];
    let (step, failure, text) = lookup_failure(against(&project, None, env).install());
    assert_eq!(step, AzureProjectStep::Token);
    assert!(
        matches!(&failure, AzureProjectFailure::TokenRefused(reason) if reason.contains("AADSTS7000215")),
        "{failure:?}"
    );
    assert!(!text.contains("a-wrong-secret"), "{text}");
    assert!(data_plane(&project.requests()).is_empty());
}

#[test]
fn a_slow_project_is_given_up_on_at_the_time_limit() {
    let _serial = serial();
    let project = FoundryStandIn::start(Project::Slow(
        "InstrumentationKey=x".to_owned(),
        Duration::from_secs(5),
    ));
    let env = &[("TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT", "400")];
    let started = Instant::now();
    let (step, failure, _) = lookup_failure(against(&project, None, env).install());
    let waited = started.elapsed();
    assert_eq!(step, AzureProjectStep::ListConnections);
    assert_eq!(
        failure,
        AzureProjectFailure::TimedOut(Duration::from_millis(400))
    );
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");

    // The builder's limit wins over the variable's.
    let started = Instant::now();
    let (_, failure, _) = lookup_failure(
        against(&project, None, env)
            .with_azure_ai_project_timeout(Duration::from_millis(200))
            .install(),
    );
    assert_eq!(
        failure,
        AzureProjectFailure::TimedOut(Duration::from_millis(200))
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn an_unreachable_project_says_so() {
    let _serial = serial();
    let project = FoundryStandIn::start(Project::NoConnection);
    let dead = trace_genai_tests::harness::dead_endpoint().replace("http://", "https://");
    let endpoint = format!("{dead}/api/projects/gone");
    let env = &[("AZURE_AI_PROJECT_ENDPOINT", endpoint.as_str())];
    let (step, failure, _) = lookup_failure(against(&project, None, env).install());
    assert_eq!(step, AzureProjectStep::ListConnections);
    assert!(
        matches!(&failure, AzureProjectFailure::Unreachable(reason) if reason.contains("connection refused")),
        "{failure:?}"
    );

    // The token endpoint unreachable: the token step says so.
    let env = &[("AZURE_AUTHORITY_HOST", dead.as_str())];
    let (step, failure, _) = lookup_failure(against(&project, None, env).install());
    assert_eq!(step, AzureProjectStep::Token);
    assert!(
        matches!(failure, AzureProjectFailure::Unreachable(_)),
        "{failure:?}"
    );
}

#[test]
fn a_workload_identity_gets_the_token_with_its_federated_token_file() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    let dir = trace_genai_tests::tls::temp_dir("foundry-workload");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("azure-identity-token");
    std::fs::write(&file, foundry::FEDERATED_TOKEN).unwrap();
    // No client secret: the workload identity of AKS sets these three variables.
    let telemetry = against(
        &project,
        Some(&insights),
        &[
            ("AZURE_CLIENT_SECRET", ""),
            ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
        ],
    )
    .install()
    .unwrap();
    telemetry.shutdown().unwrap();
    let requests = project.requests();
    let token = &requests[0];
    assert_eq!(token.path, FoundryStandIn::token_path());
    assert_eq!(token.form["client_assertion"], foundry::FEDERATED_TOKEN);
    assert!(!token.form.contains_key("client_secret"), "{token:#?}");
    assert_eq!(data_plane(&requests).len(), 2);
}

/// A credential of the application's own: a fixed token, or no token at all.
#[derive(Debug)]
struct Fixed(Option<&'static str>);

#[async_trait::async_trait]
impl trace_genai::azure::TokenCredential for Fixed {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        assert_eq!(scopes, [trace_genai::azure::SCOPE]);
        match self.0 {
            Some(token) => Ok(azure_core::credentials::AccessToken::new(
                token,
                azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
            )),
            None => Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "no developer tool is signed in",
            )),
        }
    }
}

#[test]
fn a_credential_given_in_code_is_used_and_its_absence_is_typed() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    let endpoint = project.project_endpoint();
    let telemetry = builder(&[("AZURE_AI_PROJECT_ENDPOINT", &endpoint)])
        .with_azure_credential(Arc::new(Fixed(Some(foundry::TOKEN))))
        .with_root_certificate(project.ca_certificate_pem())
        .with_root_certificate(insights.ca_certificate_pem())
        .install()
        .unwrap();
    telemetry.shutdown().unwrap();
    let requests = project.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.path != FoundryStandIn::token_path()),
        "the given credential replaces the client secret flow: {requests:#?}"
    );
    assert_eq!(data_plane(&requests).len(), 2);

    let (step, failure, _) = lookup_failure(
        builder(&[("AZURE_AI_PROJECT_ENDPOINT", &endpoint)])
            .with_azure_credential(Arc::new(Fixed(None)))
            .with_root_certificate(project.ca_certificate_pem())
            .install(),
    );
    assert_eq!(step, AzureProjectStep::Token);
    assert!(
        matches!(&failure, AzureProjectFailure::NoCredential(reason) if reason.contains("no developer tool")),
        "{failure:?}"
    );
}

#[test]
fn install_inside_tokio_main_looks_up_without_panicking() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let telemetry = against(&project, Some(&insights), &[]).install().unwrap();
        chat("inside").unwrap();
        telemetry.shutdown().unwrap();
    });
    assert_delivered(&insights);
}

#[test]
fn the_plain_function_returns_the_connection_string_on_any_executor() {
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    let lookup = trace_genai::azure::FoundryProject::new(project.project_endpoint())
        .with_credential(Arc::new(Fixed(Some(foundry::TOKEN))))
        .with_root_certificate(project.ca_certificate_pem());
    // Not a tokio executor: the lookup runs on trace-genai's own runtime thread.
    let found = futures::executor::block_on(lookup.clone().connection_string()).unwrap();
    assert_eq!(found.expose(), insights.connection_string());
    assert!(!format!("{found:?}").contains(azure::INSTRUMENTATION_KEY));
    // And inside a tokio runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let found = runtime.block_on(lookup.connection_string()).unwrap();
    assert_eq!(found.expose(), insights.connection_string());
}

/// The `foundry` example binary with exactly `vars` as its telemetry environment.
fn run_example(vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = trace_genai_tests::examples::without_telemetry_env(
        trace_genai_tests::examples::example_binary("foundry"),
    );
    command.envs(vars.iter().copied()).output().unwrap()
}

#[test]
fn the_example_sends_to_the_projects_application_insights_or_says_what_to_set() {
    let output = run_example(&[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("AZURE_AI_PROJECT_ENDPOINT is not set") && stdout.contains("az login"),
        "{stdout}"
    );

    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Connected(insights.connection_string()));
    // Both stand-ins' CAs, as a user's PEM bundle (`SSL_CERT_FILE`, the README's way on Linux).
    let dir = trace_genai_tests::tls::temp_dir("foundry-example");
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("cas.pem");
    std::fs::write(
        &bundle,
        format!(
            "{}\n{}",
            project.ca_certificate_pem(),
            insights.ca_certificate_pem()
        ),
    )
    .unwrap();
    let stand_in_vars = project.vars();
    let bundle = bundle.to_str().unwrap();
    let output = run_example(&vars(&stand_in_vars, &[("SSL_CERT_FILE", bundle)]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Good news: sunny and 24 °C in Paris."),
        "{stdout}"
    );
    assert_eq!(data_plane(&project.requests()).len(), 2);
    let envelopes = insights.wait_for_envelopes(3, Duration::from_secs(10));
    let unconnected = FoundryStandIn::start(Project::NoConnection);
    let unconnected_vars = unconnected.vars();
    let bundle_with_it = dir.join("cas-2.pem");
    std::fs::write(&bundle_with_it, unconnected.ca_certificate_pem()).unwrap();
    let output = run_example(&vars(
        &unconnected_vars,
        &[("SSL_CERT_FILE", bundle_with_it.to_str().unwrap())],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // A lookup that fails is a warning: the app's work runs all the same.
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("warning: telemetry is off: ")
            && stderr.contains("no Application Insights resource is connected")
            && stderr.contains("Tracing page"),
        "{stderr}"
    );
    assert!(
        stdout.contains("Good news: sunny and 24 °C in Paris.")
            && !stdout.contains("sent to the project's Application Insights resource"),
        "{stdout}"
    );
    for name in [
        "invoke_agent travel-planner",
        "execute_tool get_weather",
        "chat gpt-4o",
    ] {
        assert!(
            envelopes
                .iter()
                .any(|e| e["data"]["baseData"]["name"] == name),
            "no {name}: {envelopes:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// As the SDKs do it: the default connection, every page, retries, request ids.

#[test]
fn spans_reach_the_default_connections_resource_when_a_project_has_two() {
    let _serial = serial();
    let default = AzureStandIn::start();
    let other = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Several {
        default: default.connection_string(),
        other: other.connection_string(),
    });
    let telemetry = against(&project, Some(&default), &[])
        .with_root_certificate(other.ca_certificate_pem())
        .install()
        .unwrap();
    let requests = project.requests();
    let credentials = data_plane(&requests)
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap_or_else(|| panic!("{requests:#?}"));
    assert!(
        credentials.path.contains(foundry::CONNECTION),
        "the default connection's credentials: {credentials:#?}"
    );
    chat("hello").unwrap();
    telemetry.shutdown().unwrap();
    assert_delivered(&default);
    assert!(
        other.envelopes().is_empty(),
        "nothing to the other resource"
    );
}

#[test]
fn a_connection_on_the_second_page_is_found() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Paged(insights.connection_string()));
    let telemetry = against(&project, Some(&insights), &[]).install().unwrap();
    let requests = project.requests();
    let lists: Vec<_> = data_plane(&requests)
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(lists.len(), 2, "both pages: {requests:#?}");
    assert_eq!(lists[1].query.get("page").map(String::as_str), Some("2"));
    chat("hello").unwrap();
    telemetry.shutdown().unwrap();
    assert_delivered(&insights);
}

#[test]
fn a_transient_fault_is_retried_and_every_request_carries_an_id() {
    let _serial = serial();
    let insights = AzureStandIn::start();
    let project = FoundryStandIn::start(Project::Flaky(insights.connection_string(), 1));
    let telemetry = against(&project, Some(&insights), &[]).install().unwrap();
    let requests = project.requests();
    let calls = data_plane(&requests);
    assert_eq!(
        calls.len(),
        3,
        "the list twice (a 500, then the answer), the credentials: {requests:#?}"
    );
    let ids: std::collections::HashSet<&str> = calls
        .iter()
        .map(|r| {
            let id = r
                .client_request_id
                .as_deref()
                .unwrap_or_else(|| panic!("{r:#?}"));
            assert_eq!(id.len(), 36, "a UUID: {id}");
            id
        })
        .collect();
    assert_eq!(ids.len(), 3, "one id per attempt");
    chat("hello").unwrap();
    telemetry.shutdown().unwrap();
    assert_delivered(&insights);
}

#[test]
fn a_fault_that_lasts_is_told_as_it_is_within_the_time_limit() {
    let _serial = serial();
    let project = FoundryStandIn::start(Project::Status(503));
    let started = Instant::now();
    let (step, failure, text) = lookup_failure(
        against(
            &project,
            None,
            &[("TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT", "3000")],
        )
        .install(),
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(step, AzureProjectStep::ListConnections);
    assert!(text.contains("503"), "{failure:?} {text}");
    assert!(data_plane(&project.requests()).len() >= 2, "retried");
}
