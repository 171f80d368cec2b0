//! Live fetch: connect with rustls, send SNI, record the chain the server presents without trusting it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    #[error("{addr}: timed out after {secs} s (during {phase})")]
    TimedOut {
        addr: String,
        secs: f64,
        /// `name resolution`, `connect` or `handshake`.
        phase: &'static str,
    },
}

/// A TCP stream whose every read and write may only use the time left before one deadline:
/// the socket timeout is set to what remains before each call, so a peer that sends one byte
/// at a time cannot stretch the whole exchange past it.
struct Deadlined<'a> {
    tcp: &'a TcpStream,
    deadline: Instant,
}

impl Deadlined<'_> {
    fn left(&self) -> std::io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        Ok(left)
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_read_timeout(Some(left))?;
        (&mut &*self.tcp).read(buf)
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_write_timeout(Some(left))?;
        (&mut &*self.tcp).write(buf)
    }

    /// rustls hands its whole pending output over as one vectored write; the default method
    /// would send only the first buffer per call, splitting a flight into small segments.
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_write_timeout(Some(left))?;
        (&mut &*self.tcp).write_vectored(bufs)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&mut &*self.tcp).flush()
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Resolves `dial` within the time left; an IP literal needs no lookup (and no thread).
fn resolve(dial: &str, host: &str, deadline: Instant) -> Result<Vec<SocketAddr>, FetchError> {
    if let Ok(a) = dial.parse::<SocketAddr>() {
        return Ok(vec![a]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = dial.to_string();
    // The system resolver cannot be interrupted: it runs on its own thread, and a lookup
    // that outlives the deadline is abandoned (the thread ends with the lookup).
    std::thread::spawn(move || {
        let _ = tx.send(owned.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    let left = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(left) {
        Ok(r) => r.map_err(|source| FetchError::Resolve {
            host: host.to_string(),
            source,
        }),
        Err(_) => Err(FetchError::TimedOut {
            addr: dial.to_string(),
            secs: 0.0,
            phase: "name resolution",
        }),
    }
}

/// What the server sent.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) address: SocketAddr,
    pub(crate) protocol: String,
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

/// Reads what the server has already sent (session tickets, its close_notify) without waiting,
/// so the close is a FIN rather than a reset for unread data.
fn drain(tcp: &TcpStream) {
    if tcp.set_nonblocking(true).is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    // Bounded: a server that keeps sending is not read forever.
    for _ in 0..16 {
        match (&mut &*tcp).read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}

/// Connects to `dial` (host:port), sends SNI `sni`, and returns the presented chain. One
/// deadline, `timeout` from now, covers name resolution, connecting (to every resolved
/// address in turn), the handshake and the close.
pub(crate) fn fetch_chain(
    dial: &str,
    sni: &ServerName<'static>,
    timeout: Duration,
) -> Result<Fetched, FetchError> {
    let deadline = Instant::now() + timeout;
    // Tenths: a timeout cut to what is left of a deadline reads as the deadline's value.
    let secs = (timeout.as_secs_f64() * 10.0).round() / 10.0;
    let timed_out = |addr: String, phase: &'static str| FetchError::TimedOut { addr, secs, phase };
    let host = dial
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(dial)
        .to_string();
    let addrs = resolve(dial, &host, deadline).map_err(|e| match e {
        FetchError::TimedOut { addr, phase, .. } => timed_out(addr, phase),
        e => e,
    })?;
    if addrs.is_empty() {
        return Err(FetchError::NoAddress { host });
    }
    let mut last_err = None;
    let mut stream = None;
    for addr in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out(addr.to_string(), "connect"));
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => {
                stream = Some((s, *addr));
                break;
            }
            Err(e) if is_timeout(&e) && Instant::now() >= deadline => {
                return Err(timed_out(addr.to_string(), "connect"));
            }
            Err(e) => last_err = Some((addr, e)),
        }
    }
    let (tcp, address) = match (stream, last_err) {
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
    // A handshake is a few small flights, each waited for: never hold one back for an ACK.
    let _ = tcp.set_nodelay(true);
    let mut io = Deadlined {
        tcp: &tcp,
        deadline,
    };

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
        match conn.complete_io(&mut io) {
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err(timed_out(addr_s, "handshake")),
            Err(e) => {
                let msg = match e.kind() {
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
    let _ = conn.complete_io(&mut io);
    let _ = io.flush();
    drain(&tcp);
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
