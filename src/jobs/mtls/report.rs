//! The report of `mtls plan` and `mtls apply`: every step in order with the calls it makes (or
//! would make), the gate's verdict, and, after a failure mid-way, what was done and what not.

use serde::Serialize;

use crate::albtrust::PathCert;
use crate::exit::ExitStatus;

/// The steps, in the order `apply` runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum StepName {
    /// The client set into ACM (`--client-set` only).
    Import,
    /// The CA bundle to S3.
    Upload,
    /// The trust store created, or modified to the new bundle.
    TrustStore,
    /// The trust store ACTIVE.
    WaitActive,
    /// The stage's clientCertificateId.
    Stage,
    /// The listener's mutual authentication, after the gate.
    Listener,
}

impl StepName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepName::Import => "import",
            StepName::Upload => "upload",
            StepName::TrustStore => "trust-store",
            StepName::WaitActive => "wait-active",
            StepName::Stage => "stage",
            StepName::Listener => "listener",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum StepStatus {
    /// Already as wanted: no call.
    Unchanged,
    /// `plan`: the calls would be made.
    Planned,
    /// `apply`: the calls were made.
    Done,
    /// A call failed (the report's `error`).
    Failed,
    /// Not made, on purpose (the gate refused, another trust store in place).
    Refused,
    /// Not reached: an earlier step failed or refused.
    NotReached,
}

impl StepStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepStatus::Unchanged => "unchanged",
            StepStatus::Planned => "planned",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::Refused => "refused",
            StepStatus::NotReached => "not-reached",
        }
    }
}

/// One step.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Step {
    pub(crate) step: StepName,
    pub(crate) status: StepStatus,
    /// The AWS calls, with their parameters (made, or that would be made).
    pub(crate) calls: Vec<String>,
    /// What it found or why it stopped, in words.
    pub(crate) detail: Option<String>,
}

/// The client certificate the stage is to present.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClientSummary {
    /// `acm` (--client-cert-arn) or `client-set`.
    pub(crate) source: &'static str,
    /// Its ACM ARN; null while a plan's import has not made it.
    pub(crate) arn: Option<String>,
    pub(crate) subject: String,
    pub(crate) sha256: String,
    pub(crate) not_after: String,
}

/// Would the ALB admit the client certificate (checked before any write, and again on what is
/// live before the listener changes)?
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GateReport {
    pub(crate) accepted: bool,
    /// `Success` or the ALB connection log's `Failed:<code>`.
    pub(crate) tls_verify_status: &'static str,
    /// `before-writes` (the files) or `live` (the stage's certificate and the trust store's bundle).
    pub(crate) checked: &'static str,
    pub(crate) depth: Option<usize>,
    pub(crate) path: Vec<PathCert>,
    pub(crate) message: Option<String>,
    pub(crate) hint: Option<String>,
}

/// The call that failed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepError {
    pub(crate) step: StepName,
    pub(crate) message: String,
    pub(crate) causes: Vec<String>,
    pub(crate) hint: Option<String>,
    #[serde(skip)]
    pub(crate) exit: ExitStatus,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MtlsReport {
    pub(crate) schema_version: u32,
    /// `plan` or `apply`.
    pub(crate) command: &'static str,
    pub(crate) rest_api_id: String,
    pub(crate) stage: String,
    pub(crate) listener: String,
    /// `s3://BUCKET/KEY`.
    pub(crate) bundle: String,
    /// The bundle's S3 version in use (null in a bucket that is not versioned, or until made).
    pub(crate) bundle_version: Option<String>,
    pub(crate) trust_store_name: String,
    pub(crate) trust_store_arn: Option<String>,
    pub(crate) client: ClientSummary,
    /// The CA certificates the bundle holds.
    pub(crate) ca_certificates: Vec<PathCert>,
    pub(crate) gate: Option<GateReport>,
    pub(crate) steps: Vec<Step>,
    /// No step has anything to do.
    pub(crate) nothing_to_do: bool,
    pub(crate) warnings: Vec<String>,
    pub(crate) failure: Option<StepError>,
}

impl MtlsReport {
    /// 3 (or the error's code) after a failed call, 1 when something was refused, else 0.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        if let Some(e) = &self.failure {
            return e.exit;
        }
        let refused = self.steps.iter().any(|s| s.status == StepStatus::Refused)
            || self.gate.as_ref().is_some_and(|g| !g.accepted);
        ExitStatus::check_failed_if(refused)
    }
}
