//! TLS for the test receivers: a test CA made by rcgen (with a server certificate for
//! `127.0.0.1` and `localhost`, and a client certificate), and [`TlsFront`], which
//! terminates TLS on loopback before a plaintext receiver port (an `OtlpReceiver`'s gRPC
//! or HTTP listener), as a hosted backend's HTTPS front does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A test CA, a server certificate for 127.0.0.1 and a client certificate, all PEM.
pub struct Pki {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: Vec<u8>,
    /// The client certificate, PEM.
    pub client_pem: String,
    /// The client certificate's private key, PEM.
    pub client_key_pem: String,
}

#[allow(
    clippy::new_without_default,
    reason = "`Pki::new` generates keys and certificates: a costly call, kept explicit"
)]
impl Pki {
    /// Generates the CA and the certificates.
    pub fn new() -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "trace-genai TLS test CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();

        let mut server_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

        let mut client_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "trace-genai test client");
        client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = rcgen::KeyPair::generate().unwrap();
        let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

        Pki {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            server_chain: vec![server_cert.der().clone(), ca.der().clone()],
            server_key: server_key.serialize_der(),
            client_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }

    /// A server configuration with the server certificate; with `client_auth`, a client
    /// certificate signed by the CA is required.
    pub fn server_config(&self, client_auth: bool) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let mut config = builder
            .with_single_cert(self.server_chain.clone(), key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }

    /// Writes the PEM files for the variables; returns (CA, client certificate, client key).
    pub fn files(&self, dir: &Path) -> (String, String, String) {
        std::fs::create_dir_all(dir).unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_owned()
        };
        (
            write("ca.pem", &self.ca_pem),
            write("client.pem", &self.client_pem),
            write("client-key.pem", &self.client_key_pem),
        )
    }
}

/// Terminates TLS on loopback and forwards the bytes to a plaintext receiver port.
pub struct TlsFront {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl TlsFront {
    /// Serves TLS with `config` on `127.0.0.1:0`, forwarding to `target`
    /// (`http://127.0.0.1:PORT`).
    pub fn start(config: rustls::ServerConfig, target: &str) -> Self {
        let target: SocketAddr = target.trim_start_matches("http://").parse().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                });
            }
        });
        TlsFront {
            runtime: Some(runtime),
            addr,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The answer of an HTTPS stand-in's handler.
pub type HttpResponse = hyper::Response<http_body_util::Full<bytes::Bytes>>;

/// Serves HTTP/1.1 over TLS with `config` on `127.0.0.1`, on a port the OS picks, on a
/// runtime of its own (thread `name`), calling `handle` for each request. Returns the
/// runtime (dropping it stops the server) and the address.
///
/// # Panics
///
/// If the runtime cannot be built or the port cannot be bound.
pub fn serve_https<F, Fut>(
    mut config: rustls::ServerConfig,
    name: &str,
    handle: F,
) -> (tokio::runtime::Runtime, SocketAddr)
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<HttpResponse, std::convert::Infallible>>
        + Send
        + 'static,
{
    // The stand-ins speak HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    serve(
        Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        name,
        handle,
    )
}

/// A runtime of its own (thread `name`) and a listener on `127.0.0.1`, on a port the OS
/// picks, ready for tokio.
fn bind_on_runtime(name: &str) -> (tokio::runtime::Runtime, std::net::TcpListener, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("build the stand-in's tokio runtime");
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener for tokio");
    let addr = listener.local_addr().expect("listener address");
    (runtime, listener, addr)
}

/// [`serve_https`] without TLS: plain HTTP/1.1.
///
/// # Panics
///
/// If the runtime cannot be built or the port cannot be bound.
pub fn serve_http<F, Fut>(name: &str, handle: F) -> (tokio::runtime::Runtime, SocketAddr)
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<HttpResponse, std::convert::Infallible>>
        + Send
        + 'static,
{
    serve(None, name, handle)
}

/// Serves HTTP/1.1 on `127.0.0.1`, over TLS when an acceptor is given, calling `handle`
/// for each request.
fn serve<F, Fut>(
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    name: &str,
    handle: F,
) -> (tokio::runtime::Runtime, SocketAddr)
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<HttpResponse, std::convert::Infallible>>
        + Send
        + 'static,
{
    async fn connection<IO, F, Fut>(io: IO, handle: F)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
        F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<HttpResponse, std::convert::Infallible>>
            + Send
            + 'static,
    {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(
                hyper_util::rt::TokioIo::new(io),
                hyper::service::service_fn(handle),
            )
            .await;
    }
    let (runtime, listener, addr) = bind_on_runtime(name);
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let handle = handle.clone();
            tokio::spawn(async move {
                match acceptor {
                    // A client that does not trust the CA hangs up during the handshake.
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(stream).await {
                            connection(tls, handle).await;
                        }
                    }
                    None => connection(stream, handle).await,
                }
            });
        }
    });
    (runtime, addr)
}

/// A directory of its own under the system's temporary directory, for PEM files.
pub fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("trace-genai-tls-{}-{name}", std::process::id()))
}
