//! `certctl ca init`: a private root CA for on-prem leaves (key 0600 from creation).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::fsx::{self, FsError};
use crate::jobs::onprem::CertSummary;
use crate::keys::KeyAlg;
use crate::mint::{self, MintError};

#[derive(Debug, thiserror::Error)]
pub enum CaInitError {
    #[error("{0} already holds a CA; pass --force to replace it (leaves it signed stop chaining to the new one)")]
    Exists(PathBuf),
    #[error("cannot create {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to use {0}: it is a symbolic link")]
    Symlink(PathBuf),
    #[error(transparent)]
    Mint(#[from] MintError),
    #[error(transparent)]
    Write(#[from] FsError),
}

impl crate::jobs::JobError for CaInitError {
    fn exit_code(&self) -> u8 {
        match self {
            CaInitError::Dir { .. } | CaInitError::Write(FsError::Write { .. }) => 3,
            _ => 2,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaInitReport {
    pub schema_version: u32,
    pub dir: String,
    pub cert: String,
    pub key: String,
    pub certificate: CertSummary,
    pub replaced: bool,
}

pub fn init(
    dir: &Path,
    name: &str,
    key: KeyAlg,
    days: u32,
    force: bool,
    at: i64,
) -> Result<CaInitReport, CaInitError> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(CaInitError::Symlink(dir.to_path_buf()));
    }
    let cert_path = dir.join("ca.pem");
    let key_path = dir.join("ca.key");
    let exists = cert_path.exists() || key_path.exists();
    if exists && !force {
        return Err(CaInitError::Exists(dir.to_path_buf()));
    }
    let minted = mint::ca(name, key, days, at)?;
    if !dir.exists() {
        fsx::create_dir_durable(dir, 0o700).map_err(|source| CaInitError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // The key first: a CA certificate without its key is useless, the reverse is harmless.
    fsx::write_atomic(
        &key_path,
        crate::keys::to_pem(&minted.key).as_bytes(),
        0o600,
    )?;
    fsx::write_atomic(
        &cert_path,
        crate::pem::encode_certificate(&minted.cert.der).as_bytes(),
        0o644,
    )?;
    Ok(CaInitReport {
        schema_version: 1,
        dir: dir.display().to_string(),
        cert: cert_path.display().to_string(),
        key: key_path.display().to_string(),
        certificate: CertSummary::of(&minted.cert, at),
        replaced: exists,
    })
}
