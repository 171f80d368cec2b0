//! `certctl truststore bundle --for alb` (write a CA bundle an ALB trust store accepts) and
//! `certctl truststore lint --for alb` (judge a bundle, and whether it admits given clients).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::albtrust::{self, AlbRefusal, BuildError, BundleFinding, BundleInput, BundleTarget};
use crate::exit::ExitStatus;
use crate::findings::Severity;
use crate::fsx::{self, FsError};
use crate::input_file::{self, ReadError, CERTIFICATES};

/// Why a bundle command could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AlbTrustError {
    #[error(transparent)]
    Input(#[from] ReadError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("--client {path}: {source}")]
    Client {
        path: PathBuf,
        source: crate::pem::PemError,
    },
    #[error(transparent)]
    Write(#[from] FsError),
}

impl crate::jobs::JobError for AlbTrustError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            AlbTrustError::Input(e) => e.exit_code(),
            AlbTrustError::Write(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            AlbTrustError::Input(e) => e.hint(),
            AlbTrustError::Write(e) => e.hint(),
            AlbTrustError::Build(e) => Some(e.hint().into()),
            AlbTrustError::Client { .. } => Some(
                "give the client's certificate file, leaf first (a client set's cert.pem or fullchain.pem)"
                    .into(),
            ),
        }
    }
}

/// One certificate as the reports show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BundleCertReport {
    /// The line of its BEGIN line in the bundle (0 for a bundle certctl built).
    pub(crate) line: usize,
    pub(crate) subject: String,
    pub(crate) sha256: String,
    pub(crate) not_after: String,
    pub(crate) ca: bool,
    pub(crate) root: bool,
    pub(crate) bytes: usize,
}

impl BundleCertReport {
    fn of(line: usize, c: &crate::x509::CertInfo) -> BundleCertReport {
        BundleCertReport {
            line,
            subject: c.subject.clone(),
            sha256: c.sha256.colon_hex(),
            not_after: crate::x509::rfc3339(c.not_after),
            ca: c.is_ca(),
            root: c.is_self_issued(),
            bytes: c.der.len(),
        }
    }
}

/// What `truststore bundle` wrote.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BundleReport {
    pub(crate) schema_version: u32,
    #[serde(rename = "for")]
    pub(crate) target: BundleTarget,
    /// The file written; null for stdout.
    pub(crate) out: Option<String>,
    pub(crate) certificates: Vec<BundleCertReport>,
    pub(crate) duplicates_dropped: usize,
    pub(crate) warnings: Vec<String>,
    #[serde(skip)]
    pub(crate) bundle: String,
}

/// Reads every CA file and writes the bundle to `out` (atomically), or returns it for stdout
/// when `out` is `-`.
pub(crate) fn bundle(
    target: BundleTarget,
    cas: &[PathBuf],
    out: &Path,
    at: i64,
) -> Result<BundleReport, AlbTrustError> {
    let inputs = cas
        .iter()
        .map(|p| {
            Ok(BundleInput {
                name: p.display().to_string(),
                bytes: input_file::read(p, CERTIFICATES)?,
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    let built = match target {
        BundleTarget::Alb => albtrust::build_bundle(&inputs, at)?,
    };
    let stdout = input_file::is_stdin(out);
    if !stdout {
        fsx::write_atomic(out, built.pem.as_bytes(), 0o644)?;
    }
    Ok(BundleReport {
        schema_version: 1,
        target,
        out: (!stdout).then(|| out.display().to_string()),
        certificates: built
            .certificates
            .iter()
            .map(|c| BundleCertReport::of(0, c))
            .collect(),
        duplicates_dropped: built.duplicates,
        warnings: built.warnings,
        bundle: built.pem,
    })
}

/// One `--client` chain, judged.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClientReport {
    pub(crate) file: String,
    pub(crate) subject: Option<String>,
    pub(crate) accepted: bool,
    /// The ALB connection log's `tls_verify_status`: `Success` or `Failed:<code>`.
    pub(crate) tls_verify_status: &'static str,
    /// Certificates in the verified path, leaf and anchor included (when accepted).
    pub(crate) depth: Option<usize>,
    pub(crate) path: Vec<albtrust::PathCert>,
    /// Why it is refused (a stable code), with the message and fix.
    pub(crate) refusal: Option<&'static str>,
    pub(crate) message: Option<String>,
    pub(crate) hint: Option<&'static str>,
}

/// What `truststore lint` found.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LintReport {
    pub(crate) schema_version: u32,
    #[serde(rename = "for")]
    pub(crate) target: BundleTarget,
    pub(crate) bundle: String,
    pub(crate) at: String,
    pub(crate) certificates: Vec<BundleCertReport>,
    pub(crate) findings: Vec<BundleFinding>,
    pub(crate) clients: Vec<ClientReport>,
    /// Findings of deny level plus refused clients.
    pub(crate) deny: usize,
    pub(crate) warn: usize,
}

impl LintReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.deny > 0)
    }
}

/// Judges the bundle at `path` for `target`, and each `--client` chain against it.
pub(crate) fn lint(
    target: BundleTarget,
    path: &Path,
    clients: &[PathBuf],
    at: i64,
) -> Result<LintReport, AlbTrustError> {
    let bytes = input_file::read(path, CERTIFICATES)?;
    let chains = clients
        .iter()
        .map(|c| {
            let b = input_file::read(c, CERTIFICATES)?;
            let ders =
                crate::pem::decode_certificates(&b).map_err(|source| AlbTrustError::Client {
                    path: c.clone(),
                    source,
                })?;
            Ok((c, ders))
        })
        .collect::<Result<Vec<_>, AlbTrustError>>()?;
    let (bundle, findings) = match target {
        BundleTarget::Alb => albtrust::lint(&bytes, at),
    };
    let clients: Vec<ClientReport> = chains
        .iter()
        .map(|(file, ders)| judge_client(file, ders, &bundle, at))
        .collect();
    let deny = findings
        .iter()
        .filter(|f| f.severity == Severity::Deny)
        .count()
        + clients.iter().filter(|c| !c.accepted).count();
    let warn = findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .count();
    Ok(LintReport {
        schema_version: 1,
        target,
        bundle: path.display().to_string(),
        at: crate::x509::rfc3339(at),
        certificates: bundle
            .certificates
            .iter()
            .map(|c| BundleCertReport::of(c.line, &c.info))
            .collect(),
        findings,
        clients,
        deny,
        warn,
    })
}

fn judge_client(
    file: &Path,
    ders: &[rustls_pki_types::CertificateDer<'static>],
    bundle: &albtrust::AlbBundle,
    at: i64,
) -> ClientReport {
    let subject = ders
        .first()
        .and_then(|d| crate::x509::CertInfo::parse(d).ok())
        .map(|c| c.subject);
    let verdict = albtrust::verify_client(ders, bundle, crate::trust::verify::unix(at));
    let mut r = ClientReport {
        file: file.display().to_string(),
        subject,
        accepted: verdict.is_ok(),
        tls_verify_status: "Success",
        depth: None,
        path: Vec::new(),
        refusal: None,
        message: None,
        hint: None,
    };
    match verdict {
        Ok(p) => {
            r.depth = Some(p.depth);
            r.path = p.certificates;
        }
        Err(e) => refused(&mut r, &e),
    }
    r
}

fn refused(r: &mut ClientReport, e: &AlbRefusal) {
    r.tls_verify_status = e.log_code();
    r.refusal = Some(e.code());
    r.message = Some(e.to_string());
    r.hint = Some(e.hint());
}
