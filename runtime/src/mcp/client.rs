//! The client side: a transport that turns every request into a client span, and a
//! client whose calls put the caller's trace context in `params._meta`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use opentelemetry::global::BoxedSpan;
use opentelemetry::trace::{
    Span as _, SpanId, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientJsonRpcMessage, ClientNotification, ClientRequest,
    ErrorData, GetMeta as _, GetPromptRequestParams, GetPromptResult, JsonRpcMessage,
    ReadResourceRequestParams, ReadResourceResult, RequestMetaObject, ServerJsonRpcMessage,
    ServerResult,
};
use rmcp::service::{RoleClient, RunningService, Service, ServiceError};
use rmcp::transport::{IntoTransport, Transport};

use super::{
    ERROR_TYPE_TOOL_ERROR, Instruments, JSONRPC_REQUEST_ID, MCP_CLIENT_OPERATION_DURATION,
    MCP_CLIENT_SESSION_DURATION, MCP_PROTOCOL_VERSION, MCP_RESOURCE_URI, NETWORK_TRANSPORT,
    RPC_RESPONSE_STATUS_CODE, Session,
};
use crate::semconv::{ERROR_TYPE, GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_TOOL_CALL_RESULT};

/// Starts an rmcp client (`service` is its handler, `()` for none) over `transport` with
/// its requests traced: the one line of the client side.
///
/// `transport` is anything rmcp serves over: `TokioChildProcess` (stdio, `network.transport
/// = pipe`), `StreamableHttpClientTransport` (`tcp`), a `tokio::net::TcpStream`, an
/// in-process `tokio::io::duplex` half. The `initialize` request is a client span of the
/// span current here.
///
/// # Errors
///
/// rmcp's [`ClientInitializeError`](rmcp::service::ClientInitializeError) when the
/// handshake fails.
pub async fn connect<S, T, E, A>(
    service: S,
    transport: T,
) -> Result<McpClient<S>, rmcp::service::ClientInitializeError>
where
    S: Service<RoleClient>,
    T: IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let network_transport = network_transport(std::any::type_name::<T>());
    let transport =
        TracedTransport::new(transport.into_transport()).network_transport(network_transport);
    let shared = Arc::clone(&transport.shared);
    let running = rmcp::serve_client(service, transport).await?;
    Ok(McpClient { running, shared })
}

/// The `network.transport` of a transport type: `pipe` for a child process or stdio, `tcp`
/// for HTTP and TCP streams, `unix` for Unix sockets; none for what it cannot tell (an
/// in-process stream).
fn network_transport(type_name: &str) -> Option<&'static str> {
    let name = type_name.to_ascii_lowercase();
    if name.contains("child_process") || name.contains("stdio") || name.contains("stdin") {
        Some("pipe")
    } else if name.contains("unix") {
        Some("unix")
    } else if name.contains("http") || name.contains("tcp") || name.contains("::ws") {
        Some("tcp")
    } else {
        None
    }
}

/// A running rmcp client ([`connect`]) whose calls carry the caller's trace context:
/// [`call_tool`](Self::call_tool), [`read_resource`](Self::read_resource),
/// [`get_prompt`](Self::get_prompt) and [`send_request`](Self::send_request) put it in
/// `params._meta`; the transport makes their client spans its children. Everything else
/// of rmcp's `RunningService` and `Peer` is reached through `Deref` (`list_all_tools`,
/// `peer()` for rig-rmcp, …).
#[derive(Debug)]
pub struct McpClient<S: Service<RoleClient>> {
    running: RunningService<RoleClient, S>,
    shared: Arc<Shared>,
}

impl<S: Service<RoleClient>> Deref for McpClient<S> {
    type Target = RunningService<RoleClient, S>;

    fn deref(&self) -> &Self::Target {
        &self.running
    }
}

impl<S: Service<RoleClient>> McpClient<S> {
    /// `tools/call`, in the current trace.
    ///
    /// # Errors
    ///
    /// rmcp's [`ServiceError`]: the transport closed, the server answered with an error.
    pub async fn call_tool(
        &self,
        mut params: CallToolRequestParams,
    ) -> Result<CallToolResult, ServiceError> {
        let _local = self.shared.local_parent();
        in_trace(&mut params.meta);
        self.running.call_tool(params).await
    }

    /// `resources/read`, in the current trace.
    ///
    /// # Errors
    ///
    /// rmcp's [`ServiceError`].
    pub async fn read_resource(
        &self,
        mut params: ReadResourceRequestParams,
    ) -> Result<ReadResourceResult, ServiceError> {
        let _local = self.shared.local_parent();
        in_trace(&mut params.meta);
        self.running.read_resource(params).await
    }

    /// `prompts/get`, in the current trace.
    ///
    /// # Errors
    ///
    /// rmcp's [`ServiceError`].
    pub async fn get_prompt(
        &self,
        mut params: GetPromptRequestParams,
    ) -> Result<GetPromptResult, ServiceError> {
        let _local = self.shared.local_parent();
        in_trace(&mut params.meta);
        self.running.get_prompt(params).await
    }

    /// Any request, in the current trace.
    ///
    /// # Errors
    ///
    /// rmcp's [`ServiceError`].
    pub async fn send_request(
        &self,
        mut request: ClientRequest,
    ) -> Result<ServerResult, ServiceError> {
        let _local = self.shared.local_parent();
        inject(request.get_meta_mut());
        self.running.send_request(request).await
    }

    /// Ends the session (rmcp's `RunningService::cancel`); its duration is recorded when
    /// the transport closes.
    ///
    /// # Errors
    ///
    /// The service task's join error.
    pub async fn cancel(self) -> Result<rmcp::service::QuitReason, tokio::task::JoinError> {
        self.running.cancel().await
    }

    /// The running rmcp service, without the calls that carry the trace context.
    #[must_use]
    pub fn into_inner(self) -> RunningService<RoleClient, S> {
        self.running
    }
}

/// Puts the current trace context in a request's `params._meta`.
fn in_trace(meta: &mut Option<RequestMetaObject>) {
    inject(meta.get_or_insert_with(RequestMetaObject::default));
}

/// Puts the current trace context in `meta`.
fn inject(meta: &mut RequestMetaObject) {
    crate::propagation::inject_meta(&mut meta.0.0);
}

/// An rmcp client transport whose requests become client spans ([`connect`] installs it):
/// the span's parent is the trace context in the request's `_meta` (put there by
/// [`McpClient`], rig-rmcp's `McpMeta` or [`meta`](super::meta)), else the context
/// current where the request is sent (the `initialize` handshake runs in the caller's
/// task), else the span that was current when the session started (rmcp sends later
/// requests from a task of its own), else none. The span's own context replaces it in `_meta`, so the server's span
/// is the client span's child. The span ends with the response, an error, a
/// cancellation, or the transport's end.
#[derive(Debug)]
pub struct TracedTransport<T> {
    inner: T,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    tracer: opentelemetry::global::BoxedTracer,
    /// The span current when the session started (its context only, so that span still
    /// ends when its code is done): the parent of requests sent without one.
    session_parent: Context,
    instruments: Instruments,
    pending: Mutex<HashMap<String, Pending>>,
    session: Mutex<Session>,
    /// The spans [`McpClient`]'s calls are made in, by span id, with the number of calls
    /// in flight: the transport, which reads the parent's id from `_meta`, makes the
    /// client span their local child.
    local: Mutex<HashMap<SpanId, (Context, usize)>>,
}

/// A span registered as the local parent of a call in flight ([`Shared::local_parent`]).
struct LocalParent<'a> {
    shared: &'a Shared,
    span_id: Option<SpanId>,
}

impl Drop for LocalParent<'_> {
    fn drop(&mut self) {
        let Some(span_id) = self.span_id else {
            return;
        };
        let mut local = self.shared.local();
        if let Some((_, calls)) = local.get_mut(&span_id) {
            *calls -= 1;
            if *calls == 0 {
                local.remove(&span_id);
            }
        }
    }
}

#[derive(Debug)]
struct Pending {
    span: BoxedSpan,
    started: Instant,
    /// The duration point's attributes.
    attributes: Vec<KeyValue>,
}

/// How a request ended.
enum Outcome<'a> {
    Result(&'a ServerResult),
    Error(&'a ErrorData),
    /// Never answered: cancelled, or the transport failed or closed.
    Lost(&'static str),
}

impl<T> TracedTransport<T>
where
    T: Transport<RoleClient>,
{
    /// Traces `inner`'s requests. The span current here is the parent of requests sent
    /// without a trace context of their own.
    pub fn new(inner: T) -> Self {
        let session_parent = Context::map_current(|cx| {
            let span = cx.span();
            let span_context = span.span_context();
            if span_context.is_valid() {
                Context::new().with_remote_span_context(span_context.clone())
            } else {
                Context::new()
            }
        });
        TracedTransport {
            inner,
            shared: Arc::new(Shared {
                session_parent,
                tracer: opentelemetry::global::tracer_provider()
                    .tracer_with_scope(crate::semconv::scope()),
                instruments: Instruments::new(
                    MCP_CLIENT_OPERATION_DURATION,
                    MCP_CLIENT_SESSION_DURATION,
                ),
                pending: Mutex::new(HashMap::new()),
                session: Mutex::new(Session::new(None)),
                local: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Sets `network.transport` (`pipe`, `tcp`, `unix`, …); [`connect`] sets it from
    /// the transport's type.
    #[must_use]
    pub fn network_transport(self, transport: Option<&'static str>) -> Self {
        self.shared.session().network_transport = transport;
        self
    }
}

impl Shared {
    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn local(&self) -> std::sync::MutexGuard<'_, HashMap<SpanId, (Context, usize)>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers the current span as the local parent of a call until the guard drops.
    fn local_parent(&self) -> LocalParent<'_> {
        let current = Context::current();
        let span_id = current.span().span_context().span_id();
        if span_id == SpanId::INVALID {
            return LocalParent {
                shared: self,
                span_id: None,
            };
        }
        self.local()
            .entry(span_id)
            .or_insert_with(|| (current, 0))
            .1 += 1;
        LocalParent {
            shared: self,
            span_id: Some(span_id),
        }
    }

    /// Starts the span of an outgoing request and puts its context in `_meta`; ends the
    /// span of a request the client cancels. Returns the request's id.
    fn outgoing(&self, message: &mut ClientJsonRpcMessage) -> Option<String> {
        match message {
            JsonRpcMessage::Request(request) => {
                let id = request.id.to_string();
                let (name, mut attributes, resource) = super::request_attributes(&request.request);
                let (protocol_version, network_transport) = {
                    let session = self.session();
                    (session.protocol_version.clone(), session.network_transport)
                };
                if let Some(version) = protocol_version {
                    attributes.push(KeyValue::new(MCP_PROTOCOL_VERSION, version));
                }
                if let Some(transport) = network_transport {
                    attributes.push(KeyValue::new(NETWORK_TRANSPORT, transport));
                }
                let mut span_attributes = attributes.clone();
                span_attributes.push(KeyValue::new(JSONRPC_REQUEST_ID, id.clone()));
                if let Some(uri) = resource {
                    span_attributes.push(KeyValue::new(MCP_RESOURCE_URI, uri));
                }
                if let Some(arguments) = super::arguments(&request.request) {
                    span_attributes.push(KeyValue::new(GEN_AI_TOOL_CALL_ARGUMENTS, arguments));
                }
                let parent = self.parent(&request.request);
                let span = self
                    .tracer
                    .span_builder(Cow::Owned(name))
                    .with_kind(SpanKind::Client)
                    .with_attributes(span_attributes)
                    .start_with_context(&self.tracer, &parent);
                crate::propagation::inject_meta_context(
                    &parent.with_remote_span_context(span.span_context().clone()),
                    &mut request.request.get_meta_mut().0.0,
                );
                self.pending().insert(
                    id.clone(),
                    Pending {
                        span,
                        started: Instant::now(),
                        attributes,
                    },
                );
                Some(id)
            }
            JsonRpcMessage::Notification(notification) => {
                if let ClientNotification::CancelledNotification(cancelled) =
                    &notification.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.finish(
                        &id.to_string(),
                        &Outcome::Lost(crate::semconv::ERROR_TYPE_CANCELLED),
                    );
                }
                None
            }
            _ => None,
        }
    }

    /// Ends the span of the request a response or error answers.
    fn incoming(&self, message: &ServerJsonRpcMessage) {
        match message {
            JsonRpcMessage::Response(response) => {
                if let ServerResult::InitializeResult(initialized) = &response.result {
                    self.session().protocol_version =
                        Some(initialized.protocol_version.as_str().to_owned());
                }
                self.finish(&response.id.to_string(), &Outcome::Result(&response.result));
            }
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    self.finish(&id.to_string(), &Outcome::Error(&error.error));
                }
            }
            _ => {}
        }
    }

    fn finish(&self, id: &str, outcome: &Outcome<'_>) {
        let Some(Pending {
            mut span,
            started,
            mut attributes,
        }) = self.pending().remove(id)
        else {
            return;
        };
        match outcome {
            Outcome::Result(ServerResult::InitializeResult(initialized)) => {
                let version = initialized.protocol_version.as_str().to_owned();
                span.set_attribute(KeyValue::new(MCP_PROTOCOL_VERSION, version.clone()));
                attributes.push(KeyValue::new(MCP_PROTOCOL_VERSION, version));
            }
            Outcome::Result(ServerResult::CallToolResult(result)) => {
                if result.is_error == Some(true) {
                    span.set_attribute(KeyValue::new(ERROR_TYPE, ERROR_TYPE_TOOL_ERROR));
                    span.set_status(Status::error(""));
                    attributes.push(KeyValue::new(ERROR_TYPE, ERROR_TYPE_TOOL_ERROR));
                } else if let Some(result) = super::result(result) {
                    span.set_attribute(KeyValue::new(GEN_AI_TOOL_CALL_RESULT, result));
                }
            }
            Outcome::Result(_) => {}
            Outcome::Error(error) => {
                let code = error.code.0.to_string();
                span.set_attribute(KeyValue::new(ERROR_TYPE, code.clone()));
                span.set_attribute(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.clone()));
                span.set_status(Status::error(error.message.to_string()));
                attributes.push(KeyValue::new(ERROR_TYPE, code.clone()));
                attributes.push(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code));
            }
            Outcome::Lost(cause) => {
                span.set_attribute(KeyValue::new(ERROR_TYPE, *cause));
                span.set_status(Status::error(""));
                attributes.push(KeyValue::new(ERROR_TYPE, *cause));
            }
        }
        span.end();
        self.instruments
            .operation
            .record(started.elapsed().as_secs_f64(), &attributes);
    }

    /// Ends every open span and the session.
    fn close(&self, cause: &'static str) {
        let ids: Vec<String> = self.pending().keys().cloned().collect();
        for id in ids {
            self.finish(&id, &Outcome::Lost(cause));
        }
        self.session().end(&self.instruments.session, None);
    }
}

impl Shared {
    /// The parent of a request's client span: the context in its `_meta` (either level;
    /// the local span itself when it is an [`McpClient`] call's), else the current one,
    /// else the session's.
    fn parent(&self, request: &ClientRequest) -> Context {
        let session = &self.session_parent;
        let from = |meta: &RequestMetaObject| {
            let cx = crate::propagation::extract_meta(&meta.0.0);
            let span_id = cx.span().span_context().span_id();
            if span_id == SpanId::INVALID {
                return None;
            }
            Some(
                self.local()
                    .get(&span_id)
                    .map_or(cx, |(local, _)| local.clone()),
            )
        };
        let typed = match request {
            ClientRequest::CallToolRequest(call) => call.params.meta.as_ref(),
            ClientRequest::ReadResourceRequest(read) => read.params.meta.as_ref(),
            ClientRequest::GetPromptRequest(get) => get.params.meta.as_ref(),
            _ => None,
        };
        from(request.get_meta())
            .or_else(|| typed.and_then(from))
            .unwrap_or_else(|| {
                let current = Context::current();
                if current.span().span_context().is_valid() {
                    current
                } else {
                    session.clone()
                }
            })
    }
}

impl<T> Transport<RoleClient> for TracedTransport<T>
where
    T: Transport<RoleClient>,
{
    type Error = T::Error;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn send(
        &mut self,
        mut item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let id = self.shared.outgoing(&mut item);
        let sending = self.inner.send(item);
        let shared = Arc::clone(&self.shared);
        async move {
            let sent = sending.await;
            if sent.is_err()
                && let Some(id) = id
            {
                shared.finish(&id, &Outcome::Lost("transport_error"));
            }
            sent
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        let message = self.inner.receive().await;
        match &message {
            Some(message) => self.shared.incoming(message),
            None => self.shared.close("transport_closed"),
        }
        message
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        let closed = self.inner.close().await;
        self.shared.close("transport_closed");
        closed
    }
}

impl<T> Drop for TracedTransport<T> {
    fn drop(&mut self) {
        self.shared.close("transport_closed");
    }
}

#[cfg(test)]
mod tests {
    use super::network_transport;

    #[test]
    fn network_transport_follows_the_transport_type() {
        assert_eq!(
            network_transport("rmcp::transport::child_process::TokioChildProcess"),
            Some("pipe")
        );
        assert_eq!(
            network_transport(
                "rmcp::transport::streamable_http_client::StreamableHttpClientTransport<reqwest::Client>"
            ),
            Some("tcp")
        );
        assert_eq!(
            network_transport("tokio::net::tcp::stream::TcpStream"),
            Some("tcp")
        );
        assert_eq!(
            network_transport("tokio::io::util::mem::DuplexStream"),
            None
        );
    }
}
