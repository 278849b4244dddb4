//! The TLS material of one signal's exports, checked.

use rustls_pki_types::pem::PemObject as _;

use crate::config::destination::{OtlpConfig, Pem, Signal};
use crate::config::error::InitError;

/// Where a certificate given to `with_root_certificate` came from.
const WITH_ROOT_CERTIFICATE: &str = "a certificate given to `with_root_certificate`";

/// Extra trusted roots and the client identity, their PEM checked.
pub(super) struct Material<'a> {
    pub(super) roots: Vec<std::borrow::Cow<'a, Pem>>,
    pub(super) identity: Option<(&'a Pem, &'a Pem)>,
}

impl<'a> Material<'a> {
    pub(super) fn of(
        config: &'a OtlpConfig,
        signal: Signal,
        settings: &'a super::super::ExportSettings,
    ) -> Result<Self, InitError> {
        let tls = config.tls_for(signal);
        let mut all: Vec<std::borrow::Cow<'a, Pem>> = settings
            .root_certificates
            .iter()
            .map(|pem| std::borrow::Cow::Owned(Pem::new(WITH_ROOT_CERTIFICATE, pem.clone())))
            .collect();
        all.extend(tls.certificate.as_ref().map(std::borrow::Cow::Borrowed));
        for root in &all {
            certificates(root)?;
        }
        let (certificate, key) = match (&tls.client_certificate, &tls.client_key) {
            (None, None) => (
                settings.client_identity.as_ref().map(|(c, _)| c),
                settings.client_identity.as_ref().map(|(_, k)| k),
            ),
            (certificate, key) => (certificate.as_ref(), key.as_ref()),
        };
        let identity = match (certificate, key) {
            (Some(certificate), Some(key)) => {
                certificates(certificate)?;
                rustls_pki_types::PrivateKeyDer::from_pem_slice(key.text.expose().as_bytes())
                    .map_err(|error| unusable_key(key, &error))?;
                Some((certificate, key))
            }
            (Some(alone), None) | (None, Some(alone)) => {
                return Err(InitError::InvalidConfig(format!(
                    "{} is given without its pair: mutual TLS needs both the client certificate and its private key (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY)",
                    alone.origin
                )));
            }
            (None, None) => None,
        };
        Ok(Material {
            roots: all,
            identity,
        })
    }
}

/// Checks that `pem` holds certificates, and only usable ones.
fn certificates(pem: &Pem) -> Result<(), InitError> {
    let mut count = 0_usize;
    for certificate in
        rustls_pki_types::CertificateDer::pem_slice_iter(pem.text.expose().as_bytes())
    {
        certificate.map_err(|error| unusable(pem, &error))?;
        count += 1;
    }
    if count == 0 {
        return Err(InitError::InvalidConfig(format!(
            "{} holds no PEM certificate: give PEM text (`-----BEGIN CERTIFICATE-----` …)",
            pem.origin
        )));
    }
    Ok(())
}

/// PEM that TLS cannot use, named by where it came from.
pub(super) fn unusable(pem: &Pem, error: &dyn std::error::Error) -> InitError {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    InitError::InvalidConfig(format!(
        "{} cannot be used ({reason}): give PEM text (`-----BEGIN CERTIFICATE-----` …)",
        pem.origin
    ))
}

/// A private key that cannot be read (its text is never shown).
fn unusable_key(pem: &Pem, error: &rustls_pki_types::pem::Error) -> InitError {
    InitError::InvalidConfig(format!(
        "{} holds no usable PEM private key ({error}): give PEM text (`-----BEGIN PRIVATE KEY-----` …)",
        pem.origin
    ))
}
