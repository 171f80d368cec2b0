//! `certctl mtls plan|apply|status`: backend mutual TLS on one path. API Gateway's stage
//! presents a client certificate, the ALB's HTTPS listener verifies it against a trust store
//! built from a CA bundle in S3. `plan` says which calls `apply` would make, `apply` makes them
//! in the order that never locks API Gateway out, `status` judges what is live.

mod apply;
mod inputs;
pub(crate) mod judge;
mod report;
mod status;

use std::path::PathBuf;

use crate::aws::AwsError;
use crate::exit::ExitStatus;

pub(crate) use apply::run;
pub(crate) use inputs::{default_trust_store_name, S3Url};
pub(crate) use judge::MtlsFinding;
pub(crate) use report::{
    ClientSummary, GateReport, MtlsReport, Step, StepError, StepName, StepStatus,
};
pub(crate) use status::{judge_listener, status, StatusReport, StatusRequest};

/// Where the client certificate comes from.
#[derive(Debug, Clone)]
pub(crate) enum ClientSource {
    /// An ACM certificate already there (ISSUED; imported or private).
    Arn(String),
    /// A set written by `certctl issue client`, imported (idempotently) first.
    Set(PathBuf),
}

/// What `mtls plan` and `mtls apply` are asked to do.
#[derive(Debug, Clone)]
pub(crate) struct MtlsRequest {
    pub(crate) rest_api_id: String,
    pub(crate) stage: String,
    pub(crate) listener: String,
    pub(crate) bundle: S3Url,
    pub(crate) client: ClientSource,
    /// CA certificate files or certctl CA directories; empty: the client set's root.
    pub(crate) cas: Vec<PathBuf>,
    pub(crate) trust_store_name: Option<String>,
    pub(crate) replace_trust_store: bool,
    /// Make the calls (`apply`) or only say them (`plan`).
    pub(crate) apply: bool,
    pub(crate) deadline: crate::deadline::Deadline,
    pub(crate) at: i64,
}

/// Why `mtls` could not run (a refusal or a failed call mid-way is a report, not this).
#[derive(Debug, thiserror::Error)]
pub(crate) enum MtlsError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Read(#[from] crate::input_file::ReadError),
    #[error(transparent)]
    Set(#[from] crate::certset::SetError),
    #[error(transparent)]
    Build(#[from] crate::albtrust::BuildError),
    #[error("bad --bucket \"{0}\": expected s3://BUCKET/KEY")]
    BadBucket(String),
    #[error("bad --trust-store-name \"{0}\": 1 to 32 letters, digits and hyphens, no hyphen first or last")]
    BadTrustStoreName(String),
    #[error(
        "--client-cert-arn needs --ca: the CAs the ALB is to trust cannot be read from ACM's chain"
    )]
    NeedCa,
    #[error("{path}: {problem}")]
    ClientSet { path: PathBuf, problem: String },
    #[error("{0}: no certificate to trust in it")]
    NoCa(String),
    #[error("listener {arn} is {protocol}; mutual TLS needs the ALB's HTTPS listener")]
    NotHttps { arn: String, protocol: String },
    #[error("ACM certificate {arn} is {status}; a stage presents only an ISSUED certificate")]
    NotIssued { arn: String, status: String },
    #[error("the client certificate cannot be imported: {}", .findings.join("; "))]
    ImportRefused { findings: Vec<String> },
    #[error("the stage's client certificate cannot be read: {0}")]
    BadCertificate(String),
    #[error(transparent)]
    Import(#[from] crate::jobs::acm::AcmError),
}

impl crate::jobs::JobError for MtlsError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            MtlsError::Aws(e) => e.exit_code(),
            MtlsError::Read(e) => e.exit_code(),
            MtlsError::Set(e) => e.exit_code(),
            MtlsError::Import(e) => crate::jobs::JobError::exit_code(e),
            MtlsError::BadCertificate(_) => ExitStatus::CheckFailed,
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            MtlsError::Aws(e) => return e.hint(),
            MtlsError::Read(e) => return e.hint(),
            MtlsError::Set(e) => return e.hint(),
            MtlsError::Import(e) => return crate::jobs::JobError::hint(e),
            MtlsError::Build(e) => e.hint().into(),
            MtlsError::BadBucket(_) => "e.g. --bucket s3://my-bundles/alb/clients.pem".into(),
            MtlsError::BadTrustStoreName(_) => "e.g. --trust-store-name backend-clients".into(),
            MtlsError::NeedCa => "pass the CA that issued the client certificate: --ca ca.pem or --ca /etc/certctl/client-ca".into(),
            MtlsError::ClientSet { .. } => "give a directory written by `certctl issue client` (cert.pem, key.pem, chain.pem)".into(),
            MtlsError::NoCa(_) => "give CA certificate files (PEM) or a directory written by `certctl ca init`".into(),
            MtlsError::NotHttps { .. } => "pass the ARN of the ALB's HTTPS listener (`aws elbv2 describe-listeners`)".into(),
            MtlsError::NotIssued { .. } => "`certctl acm status ARN` says why; import a client certificate with `certctl acm import`".into(),
            MtlsError::ImportRefused { .. } => "`certctl acm import --cert … --dry-run` names each requirement with its fix".into(),
            MtlsError::BadCertificate(_) => "set a valid client certificate on the stage (`certctl mtls apply`)".into(),
        })
    }

    fn step(&self) -> Option<String> {
        match self {
            MtlsError::Aws(e) => e.deadline_step().map(str::to_string),
            _ => None,
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            MtlsError::Aws(e) => e.detail().map(str::to_string),
            _ => None,
        }
    }
}

/// The largest CA bundle read back from S3 or a trust store (25 certificates of 16 KB, PEM).
pub(crate) const MAX_BUNDLE: usize = 1 << 20;

#[cfg(test)]
mod tests;
