//! The server side: a handler whose requests become server spans, children of the
//! caller's span.

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::Histogram;
use opentelemetry::trace::{
    FutureExt as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
#[expect(
    deprecated,
    reason = "forwarded to the wrapped handler as long as rmcp has it"
)]
use rmcp::model::SetLevelRequestParams;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CancelledNotificationParam,
    CompleteRequestParams, CompleteResult, CustomNotification, CustomRequest, CustomResult,
    DiscoverResult, GetPromptRequestParams, GetPromptResponse, GetSkillRequestParams,
    GetSkillResult, GetTaskParams, GetTaskResult, InitializeRequestParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListSkillsResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion,
    ReadResourceDirectoryRequestParams, ReadResourceDirectoryResult, ReadResourceRequestParams,
    ReadResourceResponse, ServerConfig, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{
    MaybeSendFuture, NotificationContext, RequestContext, RoleServer, RunningService,
    ServiceExt as _, SubscriptionContext,
};
use rmcp::{ErrorData, ServerHandler};

use super::{
    ERROR_TYPE_TOOL_ERROR, Instruments, JSONRPC_REQUEST_ID, MCP_PROTOCOL_VERSION, MCP_RESOURCE_URI,
    MCP_SERVER_OPERATION_DURATION, MCP_SERVER_SESSION_DURATION, MCP_SESSION_ID, NETWORK_TRANSPORT,
    RPC_RESPONSE_STATUS_CODE, Session,
};
use crate::semconv::{
    ERROR_TYPE, GEN_AI_PROMPT_NAME, GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_NAME,
};

/// An rmcp server handler (any `ServerHandler`) whose requests become server spans:
/// `Traced::new(handler).serve(transport)` instead of `handler.serve(transport)`, and
/// `StreamableHttpService::new(|| Ok(Traced::new(handler)), …)` for streamable HTTP.
///
/// Each request's span is named `{mcp.method.name} {target}` (`tools/call get_weather`),
/// kind server; its parent is the trace context in the request's `params._meta`, and
/// the handler runs inside it. The session's duration is recorded when the handler is
/// dropped, at the session's end (one handler per session with streamable HTTP).
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
            tracer: opentelemetry::global::tracer_provider()
                .tracer_with_scope(crate::semconv::scope()),
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

    /// The wrapped handler.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the span of a request, child of the context in its `_meta`.
    fn start(
        &self,
        method: &str,
        target: Option<(&'static str, String)>,
        context: &RequestContext<RoleServer>,
        extra: impl IntoIterator<Item = KeyValue>,
    ) -> Call {
        let (name, mut attributes) = super::base_attributes(method, target);
        let protocol_version = context
            .protocol_version()
            .map(|version| version.as_str().to_owned())
            .or_else(|| self.session().protocol_version.clone());
        if let Some(version) = protocol_version {
            attributes.push(KeyValue::new(MCP_PROTOCOL_VERSION, version));
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
        span_attributes.extend(extra);
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
        Call {
            cx: parent.with_span(span),
            attributes,
            started: Instant::now(),
            duration: self.instruments.operation.clone(),
        }
    }
}

impl<S> Drop for Traced<S> {
    fn drop(&mut self) {
        let instrument = self.instruments.session.clone();
        self.session().end(&instrument, None);
    }
}

/// One request being served.
struct Call {
    cx: Context,
    attributes: Vec<KeyValue>,
    started: Instant,
    duration: Histogram<f64>,
}

impl Call {
    /// Runs the handler's future inside the span, then ends it with the outcome:
    /// `inspect` tells a tool error (`error.type`) and records a result.
    async fn run<T>(
        mut self,
        handler: impl Future<Output = Result<T, ErrorData>>,
        inspect: impl FnOnce(&T, &opentelemetry::trace::SpanRef<'_>) -> Option<&'static str>,
    ) -> Result<T, ErrorData> {
        let result = handler.with_context(self.cx.clone()).await;
        let span = self.cx.span();
        let error = match &result {
            Ok(value) => inspect(value, &span).map(Cow::Borrowed),
            Err(error) => {
                let code = error.code.0.to_string();
                span.set_attribute(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.clone()));
                self.attributes
                    .push(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.clone()));
                span.set_status(Status::error(error.message.to_string()));
                Some(Cow::Owned(code))
            }
        };
        if let Some(error) = error {
            span.set_attribute(KeyValue::new(ERROR_TYPE, error.clone()));
            if result.is_ok() {
                // A tool error: the JSON-RPC call succeeded, the status says it failed.
                span.set_status(Status::error(""));
            }
            self.attributes.push(KeyValue::new(ERROR_TYPE, error));
        }
        span.end();
        self.duration
            .record(self.started.elapsed().as_secs_f64(), &self.attributes);
        result
    }
}

/// Records a tool's result, or tells its error.
fn tool_outcome(
    response: &CallToolResponse,
    span: &opentelemetry::trace::SpanRef<'_>,
) -> Option<&'static str> {
    let CallToolResponse::Complete(result) = response else {
        return None;
    };
    if result.is_error == Some(true) {
        return Some(ERROR_TYPE_TOOL_ERROR);
    }
    if let Some(result) = super::result(result) {
        span.set_attribute(KeyValue::new(GEN_AI_TOOL_CALL_RESULT, result));
    }
    None
}

/// No outcome to record beyond success.
fn nothing<T>(_: &T, _: &opentelemetry::trace::SpanRef<'_>) -> Option<&'static str> {
    None
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
    S: ServerHandler,
{
    #[cfg(feature = "console")]
    crate::console::reserve_stdout("the MCP messages of this stdio server");
    Traced::new(handler)
        .network_transport("pipe")
        .serve(rmcp::transport::stdio())
        .await
}

/// A traced request method: starts the span, runs the handler's method inside it.
macro_rules! traced {
    ($self:ident, $context:ident, $method:literal, $call:expr) => {
        traced!($self, $context, $method, None, [], $call, nothing)
    };
    ($self:ident, $context:ident, $method:literal, $target:expr, $extra:expr, $call:expr, $inspect:expr) => {{
        let call = $self.start($method, $target, &$context, $extra);
        call.run($call, $inspect)
    }};
}

impl<S: ServerHandler> ServerHandler for Traced<S> {
    fn ping(
        &self,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        traced!(self, context, "ping", self.inner.ping(context))
    }

    fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<InitializeResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "initialize",
            None,
            [],
            self.inner.initialize(request, context),
            |initialized: &InitializeResult, span: &opentelemetry::trace::SpanRef<'_>| {
                let version = initialized.protocol_version.as_str().to_owned();
                span.set_attribute(KeyValue::new(MCP_PROTOCOL_VERSION, version.clone()));
                self.session().protocol_version = Some(version);
                None
            }
        )
    }

    fn negotiate_initialize(
        &self,
        request: &InitializeRequestParams,
    ) -> Result<InitializeResult, ErrorData> {
        let negotiated = self.inner.negotiate_initialize(request);
        if let Ok(result) = &negotiated {
            self.session().protocol_version = Some(result.protocol_version.as_str().to_owned());
        }
        negotiated
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }

    fn discover(
        &self,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<DiscoverResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "server/discover",
            self.inner.discover(context)
        )
    }

    fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<CompleteResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "completion/complete",
            self.inner.complete(request, context)
        )
    }

    #[expect(
        deprecated,
        reason = "forwarded to the wrapped handler as long as rmcp has it"
    )]
    fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "logging/setLevel",
            self.inner.set_level(request, context)
        )
    }

    fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<GetPromptResponse, ErrorData>> + MaybeSendFuture + '_ {
        let target = Some((GEN_AI_PROMPT_NAME, request.name.clone()));
        traced!(
            self,
            context,
            "prompts/get",
            target,
            [],
            self.inner.get_prompt(request, context),
            nothing
        )
    }

    fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListPromptsResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "prompts/list",
            self.inner.list_prompts(request, context)
        )
    }

    fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListResourcesResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "resources/list",
            self.inner.list_resources(request, context)
        )
    }

    fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListResourceTemplatesResult, ErrorData>> + MaybeSendFuture + '_
    {
        traced!(
            self,
            context,
            "resources/templates/list",
            self.inner.list_resource_templates(request, context)
        )
    }

    fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ReadResourceResponse, ErrorData>> + MaybeSendFuture + '_ {
        let uri = KeyValue::new(MCP_RESOURCE_URI, request.uri.clone());
        traced!(
            self,
            context,
            "resources/read",
            None,
            [uri],
            self.inner.read_resource(request, context),
            nothing
        )
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        self.inner.accepted_subscription_filter(requested)
    }

    fn listen(
        &self,
        context: SubscriptionContext,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        self.inner.listen(context)
    }

    #[expect(
        deprecated,
        reason = "forwarded to the wrapped handler as long as rmcp has it"
    )]
    fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        let uri = KeyValue::new(MCP_RESOURCE_URI, request.uri.clone());
        traced!(
            self,
            context,
            "resources/subscribe",
            None,
            [uri],
            self.inner.subscribe(request, context),
            nothing
        )
    }

    #[expect(
        deprecated,
        reason = "forwarded to the wrapped handler as long as rmcp has it"
    )]
    fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        let uri = KeyValue::new(MCP_RESOURCE_URI, request.uri.clone());
        traced!(
            self,
            context,
            "resources/unsubscribe",
            None,
            [uri],
            self.inner.unsubscribe(request, context),
            nothing
        )
    }

    fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<CallToolResponse, ErrorData>> + MaybeSendFuture + '_ {
        let target = Some((GEN_AI_TOOL_NAME, request.name.to_string()));
        let arguments = super::tool_arguments(&request)
            .map(|arguments| KeyValue::new(GEN_AI_TOOL_CALL_ARGUMENTS, arguments));
        traced!(
            self,
            context,
            "tools/call",
            target,
            arguments,
            self.inner.call_tool(request, context),
            tool_outcome
        )
    }

    fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListToolsResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "tools/list",
            self.inner.list_tools(request, context)
        )
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.get_tool(name)
    }

    fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<CustomResult, ErrorData>> + MaybeSendFuture + '_ {
        let call = self.start(&request.method.clone(), None, &context, []);
        call.run(self.inner.on_custom_request(request, context), nothing)
    }

    fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        context: NotificationContext<RoleServer>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        let cx = crate::propagation::extract_meta(&context.meta.0.0);
        self.inner
            .on_cancelled(notification, context)
            .with_context(cx)
    }

    fn on_progress(
        &self,
        notification: ProgressNotificationParam,
        context: NotificationContext<RoleServer>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        let cx = crate::propagation::extract_meta(&context.meta.0.0);
        self.inner
            .on_progress(notification, context)
            .with_context(cx)
    }

    fn on_initialized(
        &self,
        context: NotificationContext<RoleServer>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        self.inner.on_initialized(context)
    }

    fn on_roots_list_changed(
        &self,
        context: NotificationContext<RoleServer>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        self.inner.on_roots_list_changed(context)
    }

    fn on_custom_notification(
        &self,
        notification: CustomNotification,
        context: NotificationContext<RoleServer>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        let cx = crate::propagation::extract_meta(&context.meta.0.0);
        self.inner
            .on_custom_notification(notification, context)
            .with_context(cx)
    }

    fn get_info(&self) -> ServerConfig {
        self.inner.get_info()
    }

    fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<GetTaskResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "tasks/get",
            self.inner.get_task(request, context)
        )
    }

    fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "tasks/update",
            self.inner.update_task(request, context)
        )
    }

    fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "tasks/cancel",
            self.inner.cancel_task(request, context)
        )
    }

    fn list_skills(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListSkillsResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "skills/list",
            self.inner.list_skills(request, context)
        )
    }

    fn get_skill(
        &self,
        request: GetSkillRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<GetSkillResult, ErrorData>> + MaybeSendFuture + '_ {
        traced!(
            self,
            context,
            "skills/get",
            self.inner.get_skill(request, context)
        )
    }

    fn read_resource_directory(
        &self,
        request: ReadResourceDirectoryRequestParams,
        context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ReadResourceDirectoryResult, ErrorData>> + MaybeSendFuture + '_
    {
        traced!(
            self,
            context,
            "resources/directory/read",
            self.inner.read_resource_directory(request, context)
        )
    }
}
