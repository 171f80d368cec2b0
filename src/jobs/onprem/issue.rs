//! `certctl issue onprem`: a leaf for the on-prem load balancer, self-signed or from a private CA.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certset::{self, CertSet, SetError};
use crate::exit::ExitStatus;
use crate::jobs::onprem::{self, CertSummary, OnpremError};
use crate::keys::KeyAlg;
use crate::mint::{self, LeafSpec, MintError};
use crate::names::{self, NameError};
use crate::rotation::Format;

#[derive(Debug, thiserror::Error)]
pub(crate) enum IssueError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Mint(#[from] MintError),
    #[error(transparent)]
    Onprem(#[from] OnpremError),
    #[error(transparent)]
    Set(#[from] SetError),
}

impl crate::jobs::JobError for IssueError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            IssueError::Set(e) | IssueError::Onprem(OnpremError::CaDir(e)) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            IssueError::Name(NameError::Ip(_)) => Some(
                "IP addresses: IPv4 dotted quads (10.0.0.5) or IPv6 (fd00::5), no port or prefix length"
                    .into(),
            ),
            IssueError::Name(NameError::TooMany { .. }) => Some(
                "split the names over several certificates (one `issue onprem` or [[cert]] set each)".into(),
            ),
            IssueError::Name(_) => Some("DNS names: letters, digits, hyphens; a wildcard only as the whole leftmost label (*.example.com)".into()),
            IssueError::Set(SetError::Exists { .. }) => Some("`certctl rotate` renews a pair in place; --force replaces it now".into()),
            IssueError::Onprem(OnpremError::Ca { .. }) => Some("`certctl ca init --dir DIR` creates a CA".into()),
            IssueError::Set(e) | IssueError::Onprem(OnpremError::CaDir(e)) => e.hint(),
            _ => None,
        }
    }
}

/// What to issue.
#[derive(Debug, Clone)]
pub(crate) struct IssueRequest {
    pub(crate) dns: Vec<String>,
    pub(crate) ip: Vec<String>,
    pub(crate) ca_dir: Option<PathBuf>,
    pub(crate) key: KeyAlg,
    pub(crate) days: u32,
    pub(crate) out_dir: PathBuf,
    pub(crate) formats: Vec<Format>,
    pub(crate) p12_password_file: Option<PathBuf>,
    pub(crate) force: bool,
    /// Put the root CA into fullchain.pem too.
    pub(crate) include_root: bool,
    pub(crate) at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct IssueReport {
    pub(crate) schema_version: u32,
    pub(crate) out_dir: String,
    pub(crate) files: Vec<String>,
    pub(crate) certificate: CertSummary,
    pub(crate) issuer: String,
    pub(crate) replaced: Option<String>,
    pub(crate) warnings: Vec<String>,
}

pub(crate) fn run(req: &IssueRequest) -> Result<IssueReport, IssueError> {
    names::check_count(req.dns.len() + req.ip.len())?;
    let dns = req
        .dns
        .iter()
        .map(|d| names::dns_name(d))
        .collect::<Result<Vec<_>, _>>()?;
    let ips = req
        .ip
        .iter()
        .map(|i| names::ip_addr(i))
        .collect::<Result<Vec<_>, _>>()?;
    let ca = req.ca_dir.as_deref().map(onprem::load_ca).transpose()?;
    let password = if req.formats.contains(&Format::Pkcs12) {
        Some(onprem::p12_password(req.p12_password_file.as_deref())?)
    } else {
        None
    };
    // Validate everything before the first byte is written.
    let set = CertSet::open(&req.out_dir, true)?;
    let _lock = set.lock(std::time::Duration::from_secs(30))?;
    if set.has_pair() && !req.force {
        return Err(SetError::Exists {
            path: req.out_dir.clone(),
        }
        .into());
    }
    let spec = LeafSpec {
        dns,
        ips,
        key: req.key,
        days: req.days,
        at: req.at,
    };
    let minted = mint::leaf(&spec, ca.as_ref())?;
    let files =
        onprem::set_files_with(&minted, &req.formats, password.as_deref(), req.include_root)?;
    let names: Vec<String> = files
        .iter()
        .map(|f| set.path(f.name).display().to_string())
        .collect();
    let replaced = set.install(&certset::version_id(req.at, &minted.cert), &files)?;
    set.prune(3)?;
    Ok(IssueReport {
        schema_version: 1,
        out_dir: display(&req.out_dir),
        files: names,
        issuer: if ca.is_some() {
            minted.cert.issuer.clone()
        } else {
            "self-signed".into()
        },
        certificate: CertSummary::of(&minted.cert, req.at),
        replaced,
        warnings: minted.warnings,
    })
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
