//! HTTPS end to end, with the SDK's default TLS (rustls, the operating system's certificate store):
//! a certificate authority made at test time signs the server's certificate for `localhost`; the
//! SDK's example, as a user runs it, trusts it once the authority is added the documented way
//! (`SSL_CERT_FILE`, read by the platform verifier on Linux) and refuses the server without it.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use scf_tests::TempDir;
use scf_tests::server::{SECRET_ID, SECRET_KEY, TestServer};
use tokio::net::TcpListener;

/// A TLS listener on 127.0.0.1 in front of `backend` (plain HTTP): it ends TLS with `certificate`
/// and `key`, and copies the bytes through.
async fn tls_front(backend: SocketAddr, certificate: rcgen::Certificate, key: &KeyPair) -> SocketAddr {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to serve.
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    address
}

/// The example, as a user runs it, against `endpoint`, trusting the bundle `roots` if given.
async fn run_example(endpoint: &str, roots: Option<&std::path::Path>, home: &std::path::Path) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_invoke-function-example"));
    command
        .args(["--function-name", "hello"])
        .env_clear()
        .env("HOME", home)
        .env("TENCENTCLOUD_ENDPOINT_URL_SCF", endpoint)
        .env("TENCENTCLOUD_REGION", "ap-guangzhou")
        .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        .kill_on_drop(true);
    match roots {
        Some(bundle) => command.env("SSL_CERT_FILE", bundle),
        // Roots that do not include the test's authority.
        None => command.env("SSL_CERT_FILE", home.join("other-authority.pem")),
    };
    tokio::time::timeout(Duration::from_secs(60), command.output()).await.expect("the example finished").unwrap()
}

#[tokio::test]
async fn https_works_with_an_added_root_and_an_untrusted_certificate_is_refused() {
    let dir = TempDir::new("tls");
    // The authority, then the server's certificate for `localhost`, signed by it.
    let mut authority = CertificateParams::new(Vec::<String>::new()).unwrap();
    authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let authority = CertifiedIssuer::self_signed(authority, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_certificate =
        CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&server_key, &authority).unwrap();
    let bundle = dir.join("test-authority.pem");
    std::fs::write(&bundle, authority.pem()).unwrap();
    // Another authority, that signed nothing here.
    let mut stranger = CertificateParams::new(Vec::<String>::new()).unwrap();
    stranger.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let stranger = CertifiedIssuer::self_signed(stranger, KeyPair::generate().unwrap()).unwrap();
    std::fs::write(dir.join("other-authority.pem"), stranger.pem()).unwrap();

    let server = TestServer::start().await;
    let backend: SocketAddr = server.url().trim_start_matches("http://").parse().unwrap();
    let front = tls_front(backend, server_certificate, &server_key).await;
    let endpoint = format!("https://localhost:{}", front.port());

    let trusted = run_example(&endpoint, Some(&bundle), &dir).await;
    let stderr = String::from_utf8_lossy(&trusted.stderr);
    assert!(trusted.status.success(), "{stderr}");
    let printed: serde_json::Value = serde_json::from_slice(&trusted.stdout).unwrap();
    assert!(printed["RequestId"].is_string(), "{printed}");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].verdict, Ok(()), "signed for the https endpoint's host");

    let untrusted = run_example(&endpoint, None, &dir).await;
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(!untrusted.status.success(), "an unknown authority must be refused");
    assert!(stderr.contains("invalid peer certificate"), "the error says why: {stderr}");
    assert_eq!(server.requests().len(), 1, "nothing reached the server");
}
