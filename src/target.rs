//! Targets shared by `check` and `inspect`: certificate files and https:// URLs, loaded and parsed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::ServerName;

use crate::exit::ExitStatus;
use crate::input_file::{self, ReadError};
use crate::pem::PemError;
use crate::tls::{self, FetchError};
use crate::x509::{CertInfo, X509Error};

/// Why a target could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: no such file")]
    NotFound { path: PathBuf },
    #[error("{path}: is a directory, not a certificate file")]
    IsDir { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    File(ReadError),
    #[error("{path}: {source}")]
    Pem { path: PathBuf, source: PemError },
    #[error("{path}: certificate #{index}: {source}")]
    X509 {
        path: PathBuf,
        index: usize,
        source: X509Error,
    },
    #[error("bad URL \"{url}\": {message}")]
    BadUrl { url: String, message: String },
    #[error("bad hostname \"{name}\": not a DNS name or IP address")]
    BadHostname { name: String },
    #[error("bad --connect-to \"{value}\": expected HOST:PORT")]
    BadConnectTo { value: String },
    #[error("bad --timeout {value}: expected a positive number of seconds")]
    BadTimeout { value: f64 },
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{peer}: certificate #{index} sent by the server: {err}")]
    X509Remote {
        peer: String,
        index: usize,
        err: X509Error,
    },
}

impl crate::jobs::JobError for InputError {
    /// 3 for network failures, 2 for everything the user can fix in the input.
    fn exit_code(&self) -> ExitStatus {
        match self {
            InputError::Fetch(_) => ExitStatus::Operational,
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            InputError::Pem {
                source: PemError::WrongKind { .. },
                ..
            } => Some(
                "pass the certificate file (cert.pem / fullchain.pem), not the key or CSR".into(),
            ),
            InputError::Pem { .. } | InputError::X509 { .. } => {
                Some("`openssl x509 -in FILE -noout -text` shows what the file holds".into())
            }
            InputError::Fetch(FetchError::Connect { .. }) => Some(
                "check the host, port and security groups; --connect-to dials another address"
                    .into(),
            ),
            InputError::Fetch(FetchError::TimedOut { .. }) => Some(
                "--timeout N bounds resolving, connecting, the handshake and reading the chain together"
                    .into(),
            ),
            InputError::Fetch(FetchError::Handshake { .. }) => {
                Some("is the port serving TLS? try `openssl s_client -connect HOST:PORT`".into())
            }
            InputError::NotFound { path } => {
                let p = path.to_string_lossy();
                looks_like_host(&p).then(|| format!("for a server, give its URL: https://{p}"))
            }
            _ => None,
        }
    }
}

/// What a command looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    File(PathBuf),
    Url { host: String, port: u16 },
}

/// A missing "file" that reads as a host (`api.example.com`, `10.0.0.5:8443`): letters,
/// digits, dots, dashes and one port, with a dot, no slash, and no certificate file extension.
pub(crate) fn looks_like_host(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (s, None),
    };
    let lower = host.to_ascii_lowercase();
    let cert_ext = [
        ".pem", ".crt", ".cer", ".der", ".p7b", ".p12", ".pfx", ".key",
    ]
    .iter()
    .any(|e| lower.ends_with(e));
    host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !cert_ext
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

/// `https://host[:port][/...]` or a file path.
pub(crate) fn parse_target(s: &str) -> Result<Target, InputError> {
    let bad = |message: &str| InputError::BadUrl {
        url: s.to_string(),
        message: message.to_string(),
    };
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://").map(|_| &s[8..]) {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(bad("user info is not supported"));
        }
        let (host, port) =
            split_host_port(authority, 443).ok_or_else(|| bad("expected https://host[:port]"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        return Ok(Target::Url { host, port });
    }
    if lower.starts_with("http://") {
        return Err(bad(
            "API Gateway backends are https://; plain http has no certificate",
        ));
    }
    if lower.contains("://") {
        return Err(bad("only https:// URLs and files are supported"));
    }
    Ok(Target::File(PathBuf::from(s)))
}

/// `host:port`, `[v6]:port` or `host` (then `default`).
pub(crate) fn split_host_port(s: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        Some(_) => None,
        None => Some((s.to_string(), default)),
    }
}

/// A DNS name or IP literal as a TLS server name.
pub(crate) fn server_name(name: &str) -> Result<ServerName<'static>, InputError> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let trimmed = trimmed.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(trimmed.to_string()).map_err(|_| InputError::BadHostname {
        name: name.to_string(),
    })
}

/// A `--hostname` (or URL host) validated once: as written, for API Gateway's HttpClient, and
/// as the TLS name.
pub(crate) fn hostname(name: &str) -> Result<crate::trust::verify::Hostname, InputError> {
    Ok(crate::trust::verify::Hostname::new(
        name,
        server_name(name)?,
    ))
}

/// Reads a certificate file (PEM bundle or DER; `-` is stdin), refusing directories, devices,
/// FIFOs and anything past the certificate-file cap.
pub(crate) fn load_file(path: &Path) -> Result<Vec<CertInfo>, InputError> {
    let bytes = input_file::read(path, input_file::CERTIFICATES).map_err(|e| match e {
        ReadError::NotFound { path } => InputError::NotFound { path },
        ReadError::NotRegular {
            path,
            kind: "a directory",
        } => InputError::IsDir { path },
        ReadError::Io { path, source } => InputError::Unreadable { path, source },
        e => InputError::File(e),
    })?;
    parse_bytes(&bytes, path)
}

/// Decodes and parses every certificate of a file's bytes.
pub(crate) fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Vec<CertInfo>, InputError> {
    let ders = crate::pem::decode_certificates(bytes).map_err(|source| InputError::Pem {
        path: path.to_path_buf(),
        source,
    })?;
    ders.iter()
        .enumerate()
        .map(|(i, d)| {
            CertInfo::parse(d).map_err(|source| InputError::X509 {
                path: path.to_path_buf(),
                index: i + 1,
                source,
            })
        })
        .collect()
}

/// A chain fetched from a server.
pub(crate) struct Remote {
    pub(crate) certs: Vec<CertInfo>,
    pub(crate) address: String,
    pub(crate) protocol: String,
    pub(crate) sni: ServerName<'static>,
}

/// Connects (to `connect_to` when given) with SNI `hostname` (default: the URL host).
pub(crate) fn fetch(
    host: &str,
    port: u16,
    hostname: Option<&str>,
    connect_to: Option<&str>,
    timeout: f64,
) -> Result<Remote, InputError> {
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(InputError::BadTimeout { value: timeout });
    }
    let sni = server_name(hostname.unwrap_or(host))?;
    let dial = match connect_to {
        Some(c) => {
            let (h, p) = split_host_port(c, port)
                .filter(|(h, _)| !h.is_empty())
                .ok_or_else(|| InputError::BadConnectTo {
                    value: c.to_string(),
                })?;
            join_host_port(&h, p)
        }
        None => {
            server_name(host)?;
            join_host_port(host, port)
        }
    };
    let fetched = tls::fetch_chain(&dial, &sni, Duration::from_secs_f64(timeout))?;
    let certs = fetched
        .chain
        .iter()
        .enumerate()
        .map(|(i, d)| {
            CertInfo::parse(d).map_err(|err| InputError::X509Remote {
                peer: dial.clone(),
                index: i + 1,
                err,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Remote {
        certs,
        address: fetched.address.to_string(),
        protocol: fetched.protocol,
        sni,
    })
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("https://api.example.com").unwrap(),
            Target::Url {
                host: "api.example.com".into(),
                port: 443
            }
        );
        assert_eq!(
            parse_target("https://[::1]:8443/x").unwrap(),
            Target::Url {
                host: "::1".into(),
                port: 8443
            }
        );
        assert!(parse_target("http://x").is_err());
        assert!(parse_target("https://x:notaport").is_err());
        assert_eq!(parse_target("a.pem").unwrap(), Target::File("a.pem".into()));
        assert!(server_name("bad name!").is_err());
        assert!(server_name("10.0.0.5").is_ok());
        assert!(server_name("api.example.com.").is_ok());
    }
}
