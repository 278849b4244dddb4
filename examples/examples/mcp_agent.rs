//! An agent whose tool runs on an MCP server in another process, over stdio and over
//! streamable HTTP, with both sides traced: one trace across the processes.
//!
//! ```text
//! cargo run -p trace-genai-examples --features mcp --example mcp_agent
//! OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY \
//!     cargo run -p trace-genai-examples --features mcp --example mcp_agent
//! ```
//!
//! The agent (`invoke_agent weather-agent`) starts this same program as an MCP tool
//! server in a child process twice: once on stdin and stdout (`serve-stdio`, rmcp's
//! child-process transport) and once on a loopback HTTP port (`serve-http`, rmcp's
//! streamable HTTP transport). On each it lists the tools and calls `get_weather`.
//!
//! - The client side is one line, [`trace_genai::mcp::connect`]: every request is a client
//!   span (`tools/call get_weather`, kind client) under the agent's span, and its trace
//!   context travels in the request's `params._meta`.
//! - The server side is one line too, [`trace_genai::mcp::serve_stdio`] or
//!   [`trace_genai::mcp::Traced`]: each request is a server span (kind server) whose
//!   parent is the client's span. The stdio server's stdout carries only MCP messages.
//!
//! Every process installs telemetry from the environment. With the console (nothing
//! configured), the agent prints one tree for the three processes: it starts the servers
//! with [`trace_genai::console::child_env`], so their spans come back to its console and
//! nest under the client spans that called them (their metrics are not printed). With
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, `child_env` is empty, the children inherit the
//! endpoint, and the backend shows the same tree. Tool arguments and results are message content: they are recorded only with
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY`.

use std::error::Error;
use std::sync::Arc;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{
    ConfigureCommandExt as _, StreamableHttpClientTransport, StreamableHttpServerConfig,
    StreamableHttpService, TokioChildProcess,
};
use rmcp::{schemars, tool, tool_router};
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use trace_genai::trace_genai;

type BoxError = Box<dyn Error + Send + Sync>;

// ---- the MCP tool server ------------------------------------------------------------

/// The weather tool server, written as rmcp's documentation writes one.
#[derive(Debug, Clone, Default)]
struct Weather;

#[derive(Deserialize, schemars::JsonSchema)]
struct WeatherArgs {
    /// The city.
    city: String,
}

#[tool_router(server_handler)]
impl Weather {
    /// The current weather in a city; an unknown city is a tool error (`isError`).
    #[tool(name = "get_weather", description = "The current weather in a city")]
    async fn get_weather(
        &self,
        Parameters(WeatherArgs { city }): Parameters<WeatherArgs>,
    ) -> Result<String, String> {
        forecast(&city)
    }
}

/// The lookup behind the tool: a span of the server's own, below the MCP server span.
#[trace_genai(execute_tool, tool = "forecast_lookup")]
fn forecast(city: &str) -> Result<String, String> {
    match city {
        "Paris" => Ok("sunny, 24 °C".to_owned()),
        "London" => Ok("rainy, 14 °C".to_owned()),
        _ => Err(format!("no weather for {city}")),
    }
}

/// `mcp_agent serve-stdio`: the tool server on stdin and stdout.
async fn serve_stdio() -> Result<(), BoxError> {
    let telemetry = telemetry();
    // One line: stdout is the MCP channel from here on, whatever the configuration.
    let server = trace_genai::mcp::serve_stdio(Weather).await?;
    server.waiting().await?;
    shutdown(telemetry);
    Ok(())
}

/// `mcp_agent serve-http`: the tool server on a loopback port, printed on stdout; it
/// stops when its stdin closes (the agent's end).
async fn serve_http() -> Result<(), BoxError> {
    let telemetry = telemetry();
    // One line: a traced service for each session.
    let service = StreamableHttpService::new(
        || Ok(trace_genai::mcp::Traced::new(Weather)),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    let accept = async {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                // A connection that fails ends alone.
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(io, service)
                .await;
            });
        }
    };
    let stdin_closed = async {
        let mut sink = Vec::new();
        // Whatever arrives, the server runs until stdin ends.
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    };
    tokio::select! {
        () = accept => {}
        () = stdin_closed => {}
    }
    shutdown(telemetry);
    Ok(())
}

// ---- the agent ----------------------------------------------------------------------

/// The agent: the same question to the stdio server and to the HTTP one.
#[trace_genai(invoke_agent, agent = "weather-agent")]
async fn ask(city: &str) -> Result<Vec<String>, BoxError> {
    let program = std::env::current_exe()?;
    let mut answers = Vec::new();

    // Over stdio: the server is a child process speaking on its stdin and stdout.
    let child =
        TokioChildProcess::new(tokio::process::Command::new(&program).configure(|command| {
            // With the console tree here, the server's spans join it.
            command
                .arg("serve-stdio")
                .envs(trace_genai::console::child_env());
        }))?;
    let client = trace_genai::mcp::connect((), child).await?;
    answers.push(get_weather(&client, city).await?);
    client.cancel().await?;

    // Over streamable HTTP: the server is a child process on a loopback port.
    let mut server = tokio::process::Command::new(&program)
        .arg("serve-http")
        .envs(trace_genai::console::child_env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = server
        .stdout
        .take()
        .ok_or("the HTTP server has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let address = lines
        .next_line()
        .await?
        .ok_or("the HTTP server ended before it listened")?;
    // The rest of its stdout (its console telemetry) goes to ours.
    let forward = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            println!("{line}");
        }
    });
    let transport = StreamableHttpClientTransport::from_uri(format!("http://{address}/mcp"));
    let client = trace_genai::mcp::connect((), transport).await?;
    answers.push(get_weather(&client, city).await?);
    client.cancel().await?;
    // Closing its stdin stops the server, which flushes its telemetry.
    drop(server.stdin.take());
    server.wait().await?;
    // Its output ends with it.
    let _ = forward.await;
    Ok(answers)
}

/// Lists the server's tools, then calls `get_weather`: both are client spans of the
/// current trace.
async fn get_weather(
    client: &trace_genai::mcp::McpClient<()>,
    city: &str,
) -> Result<String, BoxError> {
    let tools = client.list_all_tools().await?;
    if !tools.iter().any(|tool| tool.name == "get_weather") {
        return Err("the server has no get_weather tool".into());
    }
    let arguments = serde_json::json!({ "city": city });
    let result = client
        .call_tool(
            CallToolRequestParams::new("get_weather")
                .with_arguments(arguments.as_object().cloned().unwrap_or_default()),
        )
        .await?;
    let text = result
        .content
        .iter()
        .filter_map(|content| content.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(text)
}

// ---- telemetry ------------------------------------------------------------------------

/// Telemetry from the environment; one that cannot start is a warning (on stderr: stdout
/// may be the MCP channel).
fn telemetry() -> Option<trace_genai::Telemetry> {
    trace_genai::init()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok()
}

/// Flushes every span (the console prints the tree here).
fn shutdown(telemetry: Option<trace_genai::Telemetry>) {
    if let Some(telemetry) = telemetry
        && let Err(error) = telemetry.shutdown()
    {
        eprintln!("warning: {error}");
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    match std::env::args().nth(1).as_deref() {
        Some("serve-stdio") => serve_stdio().await,
        Some("serve-http") => serve_http().await,
        _ => {
            let telemetry = telemetry();
            let answers = ask("Paris").await?;
            println!("answers: {}\n", answers.join(" | "));
            shutdown(telemetry);
            Ok(())
        }
    }
}
