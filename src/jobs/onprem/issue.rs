//! `certctl issue onprem` (a leaf for the on-prem load balancer, self-signed or from a private
//! CA) and `certctl issue client` (a client certificate for mutual TLS from a certctl CA).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certset::{self, CertSet, SetError};
use crate::exit::ExitStatus;
use crate::jobs::onprem::{self, CertSummary, OnpremError};
use crate::keys::KeyAlg;
use crate::mint::{self, Ca, ClientSpec, LeafSpec, MintError, Minted};
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
            IssueError::Mint(MintError::CommonName(_)) => Some(
                "--cn names the client in the server's logs, e.g. --cn apigw-prod-backend".into(),
            ),
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
    let dns = dns_names(&req.dns)?;
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
    let spec = LeafSpec {
        dns,
        ips,
        key: req.key,
        days: req.days,
        at: req.at,
    };
    let target = SetTarget {
        out_dir: &req.out_dir,
        force: req.force,
        formats: &req.formats,
        p12_password: password.as_deref(),
        include_root: req.include_root,
        at: req.at,
    };
    write_set(&target, ca.as_ref(), |ca| mint::leaf(&spec, ca))
}

/// Each DNS name checked and normalized (lower case, IDNs in punycode).
fn dns_names(names: &[String]) -> Result<Vec<String>, NameError> {
    names.iter().map(|d| names::dns_name(d)).collect()
}

/// What `issue client` issues: a client certificate from a certctl CA.
#[derive(Debug, Clone)]
pub(crate) struct ClientRequest {
    pub(crate) cn: String,
    pub(crate) dns: Vec<String>,
    pub(crate) ca_dir: PathBuf,
    pub(crate) key: KeyAlg,
    pub(crate) days: u32,
    pub(crate) out_dir: PathBuf,
    pub(crate) force: bool,
    pub(crate) at: i64,
}

/// `issue client`: a client certificate (clientAuth only) signed by the CA in `ca_dir`,
/// written as a set like `issue onprem` writes one: `cert.pem`, `key.pem` (0600), `chain.pem`
/// (the issuing CA chain, leaf excluded), `fullchain.pem`; atomically, the previous set kept.
pub(crate) fn run_client(req: &ClientRequest) -> Result<IssueReport, IssueError> {
    names::check_count(req.dns.len())?;
    let dns = dns_names(&req.dns)?;
    let ca = onprem::load_ca(&req.ca_dir)?;
    let spec = ClientSpec {
        cn: req.cn.clone(),
        dns,
        key: req.key,
        days: req.days,
        at: req.at,
    };
    let target = SetTarget {
        out_dir: &req.out_dir,
        force: req.force,
        formats: &[Format::Pem],
        p12_password: None,
        include_root: false,
        at: req.at,
    };
    write_set(&target, Some(&ca), |ca| match ca {
        Some(ca) => mint::client_leaf(&spec, ca),
        None => Err(MintError::Build("a client certificate needs a CA".into())),
    })
}

/// Where and how a freshly minted set is written.
struct SetTarget<'a> {
    out_dir: &'a Path,
    force: bool,
    formats: &'a [Format],
    p12_password: Option<&'a str>,
    include_root: bool,
    at: i64,
}

/// Opens and locks the set, refuses to replace a pair without `force`, mints (only then: no key
/// is made for a set that cannot be written), installs the files atomically and keeps the
/// previous version for rollback.
fn write_set(
    t: &SetTarget<'_>,
    ca: Option<&Ca>,
    mint: impl FnOnce(Option<&Ca>) -> Result<Minted, MintError>,
) -> Result<IssueReport, IssueError> {
    // Validate everything before the first byte is written.
    let set = CertSet::open(t.out_dir, true)?;
    let _lock = set.lock(std::time::Duration::from_secs(30))?;
    if set.has_pair() && !t.force {
        return Err(SetError::Exists {
            path: t.out_dir.to_path_buf(),
        }
        .into());
    }
    let minted = mint(ca)?;
    let files = onprem::set_files_with(&minted, t.formats, t.p12_password, t.include_root)?;
    let names: Vec<String> = files
        .iter()
        .map(|f| set.path(f.name).display().to_string())
        .collect();
    let replaced = set.install(&certset::version_id(t.at, &minted.cert), &files)?;
    set.prune(3)?;
    Ok(IssueReport {
        schema_version: 1,
        out_dir: display(t.out_dir),
        files: names,
        issuer: if ca.is_some() {
            minted.cert.issuer.clone()
        } else {
            "self-signed".into()
        },
        certificate: CertSummary::of(&minted.cert, t.at),
        replaced,
        warnings: minted.warnings,
    })
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
