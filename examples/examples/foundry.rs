//! An Azure AI Foundry project as the destination: spans, GenAI events and metrics go to
//! the Application Insights resource connected to the project, found as the Azure SDKs
//! for Python and JavaScript find it.
//!
//! ```text
//! az login
//! AZURE_AI_PROJECT_ENDPOINT=https://<account>.services.ai.azure.com/api/projects/<project> \
//!     cargo run -p trace-genai-examples --features azure-ai-project --example foundry
//! ```
//!
//! `trace_genai::init()` sees that the project endpoint is the only destination set, gets a
//! Microsoft Entra ID token (here from the Azure CLI; see the README for the whole chain),
//! asks the project for its Application Insights connection string, and sends to Azure
//! Monitor. The traces then show on the project's Tracing page. Without
//! `AZURE_AI_PROJECT_ENDPOINT` (or the older `PROJECT_ENDPOINT`), the example says what to
//! set and exits.

use trace_genai::trace_genai;

#[trace_genai(execute_tool, tool = "get_weather")]
async fn get_weather(city: &str) -> Result<String, std::io::Error> {
    Ok(format!("sunny and 24 °C in {city}"))
}

#[trace_genai(chat, provider = "azure.ai.inference", model = "gpt-4o")]
async fn chat(prompt: &str) -> String {
    format!("Good news: {prompt}.") // the model call would be here
}

#[trace_genai(invoke_agent, agent = "travel-planner")]
async fn plan(city: &str) -> Result<String, std::io::Error> {
    let weather = get_weather(city).await?;
    Ok(chat(&weather).await)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = trace_genai::config::Config::from_env()?;
    let Some(endpoint) = config.azure_ai_project.endpoint else {
        println!(
            "AZURE_AI_PROJECT_ENDPOINT is not set: set it to the endpoint on your Foundry project's Overview page\n\
             (https://<account>.services.ai.azure.com/api/projects/<project>), sign in with `az login`\n\
             (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET), and run again."
        );
        return Ok(());
    };
    println!("looking up the Application Insights connection string of {endpoint}");
    // The project endpoint is the only destination set: init() looks its connection string
    // up (once, within TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT) and sends to Azure Monitor.
    // When the lookup fails, the step that failed and a hint (e.g. where to connect
    // Application Insights) are a warning: the app's own work runs all the same.
    let telemetry = trace_genai::init()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();

    println!("{}", plan("Paris").await?);

    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?; // flushes every span
        println!(
            "sent to the project's Application Insights resource: see the project's Tracing page"
        );
    }
    Ok(())
}
