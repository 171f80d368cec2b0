//! Live fetch: connect with rustls, send SNI, record the chain the server presents without trusting it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Why the chain could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        source: std::io::Error,
    },
    #[error("{host} resolves to no address")]
    NoAddress { host: String },
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("TLS handshake with {addr} failed: {message}")]
    Handshake { addr: String, message: String },
    #[error("{addr} completed the handshake without sending a certificate")]
    NoCertificate { addr: String },
}

/// What the server sent.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub chain: Vec<CertificateDer<'static>>,
    pub address: SocketAddr,
    pub protocol: String,
}

/// Records the presented chain and accepts it: judging happens afterwards, offline.
#[derive(Debug)]
struct Recorder {
    seen: Mutex<Vec<CertificateDer<'static>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
            seen.push(end_entity.clone().into_owned());
            seen.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Connects to `dial` (host:port), sends SNI `sni`, and returns the presented chain.
pub fn fetch_chain(
    dial: &str,
    sni: &ServerName<'static>,
    timeout: Duration,
) -> Result<Fetched, FetchError> {
    let host = dial
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(dial)
        .to_string();
    let addrs: Vec<SocketAddr> = dial
        .to_socket_addrs()
        .map_err(|source| FetchError::Resolve {
            host: host.clone(),
            source,
        })?
        .collect();
    if addrs.is_empty() {
        return Err(FetchError::NoAddress { host });
    }
    let mut last_err = None;
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                stream = Some((s, *addr));
                break;
            }
            Err(e) => last_err = Some((addr, e)),
        }
    }
    let (mut tcp, address) = match (stream, last_err) {
        (Some(s), _) => s,
        (None, Some((addr, source))) => {
            return Err(FetchError::Connect {
                addr: addr.to_string(),
                source,
            })
        }
        (None, None) => return Err(FetchError::NoAddress { host }),
    };
    let addr_s = address.to_string();
    let io_err = |source: std::io::Error| FetchError::Connect {
        addr: addr_s.clone(),
        source,
    };
    tcp.set_read_timeout(Some(timeout)).map_err(io_err)?;
    tcp.set_write_timeout(Some(timeout)).map_err(io_err)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        seen: Mutex::new(Vec::new()),
        provider: provider.clone(),
    });
    let handshake_err = |message: String| FetchError::Handshake {
        addr: addr_s.clone(),
        message,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| handshake_err(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), sni.clone())
        .map_err(|e| handshake_err(e.to_string()))?;
    while conn.is_handshaking() {
        match conn.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e) => {
                let msg = match e.kind() {
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                        format!("timed out after {} s", timeout.as_secs_f64())
                    }
                    std::io::ErrorKind::UnexpectedEof => {
                        "the server closed the connection (is it speaking TLS on this port?)"
                            .to_string()
                    }
                    _ => e.to_string(),
                };
                return Err(handshake_err(msg));
            }
        }
    }
    let protocol = conn
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    // Close politely; errors here do not matter.
    conn.send_close_notify();
    let _ = conn.complete_io(&mut tcp);
    let _ = tcp.flush();
    let mut sink = [0u8; 1];
    let _ = tcp.set_read_timeout(Some(Duration::from_millis(1)));
    let _ = tcp.read(&mut sink);
    let chain = recorder.seen.lock().map(|s| s.clone()).unwrap_or_default();
    if chain.is_empty() {
        return Err(FetchError::NoCertificate { addr: addr_s });
    }
    Ok(Fetched {
        chain,
        address,
        protocol,
    })
}
