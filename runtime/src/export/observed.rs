//! An HTTP client that records what its last failed request met: the status and the
//! start of the body of an error answer, or the cause chain of a connection error.
//! opentelemetry-otlp and opentelemetry-application-insights keep neither in their
//! errors.

use std::sync::PoisonError;

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

use super::delivery::Seen;
use crate::config::error::ExportFailure;

#[derive(Debug)]
pub(crate) struct Observed<C> {
    inner: C,
    seen: Seen,
}

impl<C> Observed<C> {
    pub(crate) fn new(inner: C, seen: Seen) -> Self {
        Observed { inner, seen }
    }

    fn record(&self, failure: ExportFailure) {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(failure);
    }
}

#[async_trait::async_trait]
impl<C: HttpClient> HttpClient for Observed<C> {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let result = self.inner.send_bytes(request).await;
        match &result {
            Ok(response) if !response.status().is_success() => self.record(
                ExportFailure::from_http_answer(response.status().as_u16(), response.body()),
            ),
            Ok(_) => {}
            Err(error) => self.record(ExportFailure::from_transport(error.as_ref())),
        }
        result
    }
}
