//! `certctl ca init`: a private root CA for on-prem leaves (key 0600 from creation), kept as a
//! certificate set (`ca.pem`, `ca.key` switched together, the previous pair kept).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certset::{self, CertSet, NewFile, SetError};
use crate::exit::ExitStatus;
use crate::jobs::onprem::CertSummary;
use crate::keys::KeyAlg;
use crate::mint::{self, MintError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum CaInitError {
    #[error("{0} already holds a CA; pass --force to replace it (certificates signed by the old CA then stop chaining to the new one)")]
    Exists(PathBuf),
    #[error(transparent)]
    Mint(#[from] MintError),
    #[error(transparent)]
    Set(#[from] SetError),
}

impl crate::jobs::JobError for CaInitError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            CaInitError::Set(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            CaInitError::Set(e) => e.hint(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CaInitReport {
    pub(crate) schema_version: u32,
    pub(crate) dir: String,
    pub(crate) cert: String,
    pub(crate) key: String,
    pub(crate) certificate: CertSummary,
    pub(crate) replaced: bool,
}

/// How many CA versions stay on disk: the one in place and the previous pair.
const KEEP: usize = 2;

pub(crate) fn init(
    dir: &Path,
    name: &str,
    key: KeyAlg,
    days: u32,
    force: bool,
    at: i64,
) -> Result<CaInitReport, CaInitError> {
    // Check everything first (the directory and every name in it) before anything is written.
    let existing = match CertSet::open_ca(dir, false) {
        Ok(set) => Some(set),
        Err(SetError::Path(crate::safepath::PathError::NotFound { .. })) => None,
        Err(e) => return Err(e.into()),
    };
    let exists = existing.as_ref().is_some_and(|s| s.has_pair());
    if exists && !force {
        return Err(CaInitError::Exists(dir.to_path_buf()));
    }
    let minted = mint::ca(name, key, days, at)?;
    let set = match existing {
        Some(set) => set,
        None => CertSet::open_ca(dir, true)?,
    };
    let _lock = set.lock(std::time::Duration::from_secs(30))?;
    if !force && set.has_pair() {
        return Err(CaInitError::Exists(dir.to_path_buf()));
    }
    // Key and certificate become visible together (one rename of `.current`); until then the
    // previous pair is in place, and afterwards it stays as `.previous`.
    let files = [
        NewFile {
            name: "ca.key",
            bytes: crate::keys::to_pem(&minted.key).into_bytes(),
            mode: 0o600,
        },
        NewFile {
            name: "ca.pem",
            bytes: crate::pem::encode_certificate(&minted.cert.der).into_bytes(),
            mode: 0o644,
        },
    ];
    set.install(&certset::version_id(at, &minted.cert), &files)?;
    set.prune(KEEP)?;
    Ok(CaInitReport {
        schema_version: 1,
        dir: dir.display().to_string(),
        cert: set.path("ca.pem").display().to_string(),
        key: set.path("ca.key").display().to_string(),
        certificate: CertSummary::of(&minted.cert, at),
        replaced: exists,
    })
}
