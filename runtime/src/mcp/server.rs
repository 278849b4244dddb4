//! The server side: a service whose requests become server spans, children of the
//! caller's span.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use opentelemetry::trace::{
    FutureExt as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use rmcp::ErrorData;
use rmcp::model::{ClientNotification, ClientRequest, ServerConfig, ServerResult};
use rmcp::service::{
    NotificationContext, RequestContext, RoleServer, RunningService, Service, ServiceExt as _,
};

use super::{
    ERROR_TYPE_TOOL_ERROR, Instruments, JSONRPC_REQUEST_ID, MCP_PROTOCOL_VERSION, MCP_RESOURCE_URI,
    MCP_SERVER_OPERATION_DURATION, MCP_SERVER_SESSION_DURATION, MCP_SESSION_ID, NETWORK_TRANSPORT,
    RPC_RESPONSE_STATUS_CODE, Session,
};
use crate::semconv::{ERROR_TYPE, GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_TOOL_CALL_RESULT};

/// An rmcp server service (any `ServerHandler`) whose requests become server spans:
/// `Traced::new(handler).serve(transport)` instead of `handler.serve(transport)`.
///
/// Each request's span is named `{mcp.method.name} {target}` (`tools/call get_weather`),
/// kind server; its parent is the trace context in the request's `params._meta`, and
/// the handler runs inside it. The session's duration is recorded when the service is
/// dropped, at the session's end (one service per session with streamable HTTP).
#[derive(Debug)]
pub struct Traced<S> {
    inner: S,
    tracer: opentelemetry::global::BoxedTracer,
    instruments: Instruments,
    session: Mutex<Session>,
}

impl<S> Traced<S> {
    /// Traces `inner`'s requests.
    pub fn new(inner: S) -> Self {
        Traced {
            inner,
            tracer: opentelemetry::global::tracer_provider().tracer_with_scope(super::scope()),
            instruments: Instruments::new(
                MCP_SERVER_OPERATION_DURATION,
                MCP_SERVER_SESSION_DURATION,
            ),
            session: Mutex::new(Session::new(None)),
        }
    }

    /// Sets `network.transport` (`pipe` for stdio, which [`serve_stdio`] sets); without it,
    /// a request that came over HTTP gets `tcp`.
    #[must_use]
    pub fn network_transport(self, transport: &'static str) -> Self {
        self.session().network_transport = Some(transport);
        self
    }

    /// The wrapped service.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S> Drop for Traced<S> {
    fn drop(&mut self) {
        let instrument = self.instruments.session.clone();
        self.session().end(&instrument, None);
    }
}

/// Serves `handler` over this process's stdin and stdout, traced: the one line of a
/// stdio MCP server. Stdout carries only MCP messages from here on: the console
/// telemetry goes to stderr whatever `TRACE_GENAI_CONSOLE_OUTPUT` says
/// ([`console::reserve_stdout`](crate::console::reserve_stdout), one warning).
///
/// # Errors
///
/// rmcp's [`ServerInitializeError`](rmcp::service::ServerInitializeError) when the
/// handshake fails.
pub async fn serve_stdio<S>(
    handler: S,
) -> Result<RunningService<RoleServer, Traced<S>>, rmcp::service::ServerInitializeError>
where
    S: Service<RoleServer>,
{
    #[cfg(feature = "console")]
    crate::console::reserve_stdout("the MCP messages of this stdio server");
    Traced::new(handler)
        .network_transport("pipe")
        .serve(rmcp::transport::stdio())
        .await
}

impl<S> Service<RoleServer> for Traced<S>
where
    S: Service<RoleServer>,
{
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let (name, mut attributes, resource) = super::request_attributes(&request);
        let protocol_version = context
            .protocol_version()
            .map(|version| version.as_str().to_owned())
            .or_else(|| self.session().protocol_version.clone());
        if let ClientRequest::InitializeRequest(initialize) = &request {
            self.session().protocol_version =
                Some(initialize.params.protocol_version.as_str().to_owned());
        }
        if let Some(version) = &protocol_version {
            attributes.push(KeyValue::new(MCP_PROTOCOL_VERSION, version.clone()));
        }
        let parts = context.extensions.get::<http::request::Parts>();
        let network_transport = self
            .session()
            .network_transport
            .or_else(|| parts.map(|_| "tcp"));
        if let Some(transport) = network_transport {
            attributes.push(KeyValue::new(NETWORK_TRANSPORT, transport));
        }
        let mut span_attributes = attributes.clone();
        span_attributes.push(KeyValue::new(JSONRPC_REQUEST_ID, context.id.to_string()));
        if let Some(session) = parts
            .and_then(|parts| parts.headers.get("mcp-session-id"))
            .and_then(|id| id.to_str().ok())
        {
            span_attributes.push(KeyValue::new(MCP_SESSION_ID, session.to_owned()));
        }
        if let Some(uri) = resource {
            span_attributes.push(KeyValue::new(MCP_RESOURCE_URI, uri));
        }
        if let Some(arguments) = super::arguments(&request) {
            span_attributes.push(KeyValue::new(GEN_AI_TOOL_CALL_ARGUMENTS, arguments));
        }
        let extracted = crate::propagation::extract_meta(&context.meta.0.0);
        let parent = if extracted.span().span_context().is_valid() {
            extracted
        } else {
            Context::current()
        };
        let span = self
            .tracer
            .span_builder(Cow::Owned(name))
            .with_kind(SpanKind::Server)
            .with_attributes(span_attributes)
            .start_with_context(&self.tracer, &parent);
        let cx = parent.with_span(span);
        let started = Instant::now();
        let result = self
            .inner
            .handle_request(request, context)
            .with_context(cx.clone())
            .await;
        let span = cx.span();
        match &result {
            Ok(ServerResult::CallToolResult(call)) if call.is_error == Some(true) => {
                span.set_attribute(KeyValue::new(ERROR_TYPE, ERROR_TYPE_TOOL_ERROR));
                span.set_status(Status::error(""));
                attributes.push(KeyValue::new(ERROR_TYPE, ERROR_TYPE_TOOL_ERROR));
            }
            Ok(ServerResult::CallToolResult(call)) => {
                if let Some(result) = super::result(call) {
                    span.set_attribute(KeyValue::new(GEN_AI_TOOL_CALL_RESULT, result));
                }
            }
            Ok(_) => {}
            Err(error) => {
                let code = error.code.0.to_string();
                span.set_attribute(KeyValue::new(ERROR_TYPE, code.clone()));
                span.set_attribute(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.clone()));
                span.set_status(Status::error(error.message.to_string()));
                attributes.push(KeyValue::new(ERROR_TYPE, code.clone()));
                attributes.push(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code));
            }
        }
        span.end();
        self.instruments
            .operation
            .record(started.elapsed().as_secs_f64(), &attributes);
        result
    }

    async fn handle_notification(
        &self,
        notification: ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let extracted = crate::propagation::extract_meta(&context.meta.0.0);
        self.inner
            .handle_notification(notification, context)
            .with_context(extracted)
            .await
    }

    fn get_info(&self) -> ServerConfig {
        self.inner.get_info()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [rmcp::model::ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }
}
