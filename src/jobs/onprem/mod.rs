//! On-prem certificates: `ca init`, `issue onprem`, `rotate`, `scan`, and what they share.

pub(crate) mod ca;
pub(crate) mod hook;
pub(crate) mod issue;
pub(crate) mod reimport;
pub(crate) mod rotate;
pub(crate) mod scan;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certset::{CertSet, NewFile, SetError};
use crate::mint::{Ca, Minted};
use crate::rotation::Format;
use crate::x509::CertInfo;

/// The documented rotation config, printed by `certctl rotate --example-config`.
pub(crate) const EXAMPLE_CONFIG: &str = include_str!("../../../policies/onprem.toml");

/// Environment variable holding a PKCS#12 password (a file is preferred).
pub(crate) const P12_PASSWORD_ENV: &str = "CERTCTL_P12_PASSWORD";

/// Why on-prem material could not be read or built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OnpremError {
    #[error("CA directory {dir}: {message}")]
    Ca { dir: PathBuf, message: String },
    #[error(transparent)]
    CaDir(#[from] SetError),
    #[error("refusing to use the CA key {path}: it is readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    CaKeyMode { path: PathBuf, mode: u32 },
    #[error("PKCS#12 password: {0}")]
    Password(String),
    #[error("cannot build the PKCS#12 file: {0}")]
    P12(String),
}

/// Reads a CA directory written by `ca init` (`ca.pem`, `ca.key` at 0600) through a handle of
/// the directory (never following a link certctl did not make), both files from one version.
pub(crate) fn load_ca(dir: &Path) -> Result<Ca, OnpremError> {
    let err = |message: String| OnpremError::Ca {
        dir: dir.to_path_buf(),
        message,
    };
    let set = CertSet::open_ca(dir, false)?;
    let files = set.reader()?;
    let cert_bytes = files
        .read("ca.pem")?
        .ok_or_else(|| err("cannot read ca.pem: it is missing".into()))?;
    let key_path = set.path("ca.key");
    let key_file = files
        .open("ca.key")?
        .ok_or_else(|| err("cannot read ca.key: it is missing".into()))?;
    let mode = rustix::fs::fstat(&key_file)
        .map_err(|e| err(format!("cannot read ca.key: {e}")))?
        .st_mode
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(OnpremError::CaKeyMode {
            path: key_path,
            mode,
        });
    }
    let mut key_bytes = Vec::new();
    key_file
        .take(1 << 20)
        .read_to_end(&mut key_bytes)
        .map_err(|e| err(format!("cannot read ca.key: {e}")))?;
    let ders =
        crate::pem::decode_certificates(&cert_bytes).map_err(|e| err(format!("ca.pem: {e}")))?;
    let cert = CertInfo::parse(&ders[0]).map_err(|e| err(format!("ca.pem: {e}")))?;
    if !cert.is_ca() {
        return Err(err(
            "ca.pem is not a CA certificate (basicConstraints CA:FALSE)".into(),
        ));
    }
    let key = crate::keys::load_pem(&key_bytes).map_err(|e| err(format!("ca.key: {e}")))?;
    if !crate::keys::matches(&key, &cert) {
        return Err(err("ca.key does not belong to ca.pem".into()));
    }
    Ok(Ca { cert, key })
}

/// Reads the PKCS#12 password from a file (first line) or `CERTCTL_P12_PASSWORD`.
pub(crate) fn p12_password(file: Option<&Path>) -> Result<String, OnpremError> {
    if let Some(f) = file {
        let text = crate::input_file::read_trusted_text(f, crate::input_file::PASSWORD)
            .map_err(|e| OnpremError::Password(e.to_string()))?;
        let pw = text.lines().next().unwrap_or("").to_string();
        if pw.is_empty() {
            return Err(OnpremError::Password(format!("{} is empty", f.display())));
        }
        return Ok(pw);
    }
    match std::env::var(P12_PASSWORD_ENV) {
        Ok(pw) if !pw.is_empty() => Ok(pw),
        _ => Err(OnpremError::Password(format!(
            "give --p12-password-file FILE or set {P12_PASSWORD_ENV} (never a flag value)"
        ))),
    }
}

/// The files of a set: cert/chain/fullchain/key PEMs, plus the requested formats; the root CA
/// stays out of fullchain.pem (a server that sends its root gains nothing and `check` flags it)
/// unless `include_root` (`issue onprem --include-root`, a rotate set's `include-root`): for a
/// load balancer that insists on the whole chain.
pub(crate) fn set_files_with(
    m: &Minted,
    formats: &[Format],
    p12_password: Option<&str>,
    include_root: bool,
) -> Result<Vec<NewFile>, OnpremError> {
    let cert_pem = crate::pem::encode_certificate(&m.cert.der);
    // Self-signed: the certificate is its own issuer, so chain.pem holds it too.
    let chain_pem: String = if m.chain.is_empty() {
        cert_pem.clone()
    } else {
        m.chain
            .iter()
            .map(|c| crate::pem::encode_certificate(c))
            .collect()
    };
    // chain.pem keeps the whole issuer chain (a client's trust file); fullchain.pem is what a
    // server sends: the leaf and its intermediates, the root only on request.
    let sent: String = m
        .chain
        .iter()
        .filter(|der| {
            include_root
                || !CertInfo::parse(&rustls_pki_types::CertificateDer::from(der.as_slice()))
                    .map(|c| c.is_self_issued())
                    .unwrap_or(false)
        })
        .map(|c| crate::pem::encode_certificate(c))
        .collect();
    let fullchain = format!("{cert_pem}{sent}");
    let key_pem = crate::keys::to_pem(&m.key);
    let mut files = vec![
        NewFile {
            name: "cert.pem",
            bytes: cert_pem.into_bytes(),
            mode: 0o644,
        },
        NewFile {
            name: "chain.pem",
            bytes: chain_pem.into_bytes(),
            mode: 0o644,
        },
        NewFile {
            name: "fullchain.pem",
            bytes: fullchain.clone().into_bytes(),
            mode: 0o644,
        },
        NewFile {
            name: "key.pem",
            bytes: key_pem.clone().into_bytes(),
            mode: 0o600,
        },
    ];
    if formats.contains(&Format::Haproxy) {
        files.push(NewFile {
            name: "haproxy.pem",
            bytes: format!("{fullchain}{key_pem}").into_bytes(),
            mode: 0o600,
        });
    }
    if formats.contains(&Format::Pkcs12) {
        let pw = p12_password.ok_or_else(|| OnpremError::Password("no password".into()))?;
        files.push(NewFile {
            name: "cert.p12",
            bytes: pkcs12(m, pw)?,
            mode: 0o600,
        });
    }
    Ok(files)
}

/// A PKCS#12 file (AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256) holding key, leaf and chain.
fn pkcs12(m: &Minted, password: &str) -> Result<Vec<u8>, OnpremError> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let p12 = |e: p12_keystore::error::Error| OnpremError::P12(e.to_string());
    let key = PrivateKey::from_der(&m.key.serialize_der()).map_err(p12)?;
    let mut certs = vec![Certificate::from_der(&m.cert.der).map_err(p12)?];
    for c in &m.chain {
        certs.push(Certificate::from_der(c).map_err(p12)?);
    }
    let chain = PrivateKeyChain::new(m.cert.sha256.0.clone(), key, certs);
    let mut ks = KeyStore::new();
    ks.add_entry(m.cert.display_name(), KeyStoreEntry::PrivateKeyChain(chain));
    ks.writer(password).write().map_err(p12)
}

/// A certificate as reports show it (never the key).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CertSummary {
    pub(crate) subject: String,
    pub(crate) dns: Vec<String>,
    pub(crate) ip: Vec<String>,
    pub(crate) key: String,
    pub(crate) not_before: String,
    pub(crate) not_after: String,
    pub(crate) days_left: i64,
    pub(crate) sha256: String,
    pub(crate) serial: String,
    pub(crate) self_signed: bool,
}

impl CertSummary {
    pub(crate) fn of(c: &CertInfo, at: i64) -> CertSummary {
        CertSummary {
            subject: c.subject.clone(),
            dns: c.dns_names.clone(),
            ip: c.ip_addresses.iter().map(|i| i.to_string()).collect(),
            key: c.key.label(),
            not_before: crate::x509::rfc3339(c.not_before),
            not_after: crate::x509::rfc3339(c.not_after),
            days_left: c.days_left(at),
            sha256: c.sha256.colon_hex(),
            serial: c.serial.clone(),
            self_signed: c.is_self_issued(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_config_is_a_valid_config() {
        let cfg = crate::rotation::RotateConfig::parse(
            super::EXAMPLE_CONFIG,
            std::path::Path::new("/etc/certctl"),
        )
        .unwrap_or_else(|issues| panic!("{}", crate::policy::render_issues(&issues)));
        assert!(!cfg.sets.is_empty());
        // The documented client set, with its acm-arn line taken in.
        let with_arn = super::EXAMPLE_CONFIG.replace("# acm-arn = ", "acm-arn = ");
        let cfg = crate::rotation::RotateConfig::parse(&with_arn, std::path::Path::new("/etc"))
            .unwrap_or_else(|issues| panic!("{}", crate::policy::render_issues(&issues)));
        let client = cfg.sets.iter().find(|s| s.name == "apigw-client").unwrap();
        assert_eq!(client.kind, crate::rotation::SetKind::Client);
        assert_eq!(client.cn.as_deref(), Some("apigw-backend-client"));
        assert!(client
            .acm_arn
            .as_deref()
            .unwrap()
            .starts_with("arn:aws:acm:"));
    }
}
