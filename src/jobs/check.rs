//! `certctl check`: would API Gateway accept this backend certificate chain?

use std::path::PathBuf;

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::findings::{CheckCode, Finding};
use crate::fsx::{self, FsError};
use crate::policy::{Policy, PolicyError};
use crate::target::{self as input, InputError, Target};
use crate::trust::store::{StoreError, TrustStore};
use crate::trust::verify::{
    self, AnchorReport, ApigwReport, ChainInput, CheckParams, Hostname, PathCert,
};

/// Why `check` could not run (findings are not errors).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("--fix-chain: {0}")]
    Write(#[from] FsError),
    #[error(
        "--fix-chain: the chain cannot be completed from the certificates given; nothing written"
    )]
    CannotFix {
        /// What is missing, from the check's findings.
        hint: String,
    },
}

impl crate::jobs::JobError for CheckError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            CheckError::Input(e) => e.exit_code(),
            CheckError::Store(StoreError::Input(e)) => e.exit_code(),
            // A --trust-store that is not there is the user's input, like a missing target.
            CheckError::Store(StoreError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                ExitStatus::BadInput
            }
            CheckError::Store(StoreError::Read { .. }) => ExitStatus::Operational,
            CheckError::Write(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            CheckError::Input(e) => e.hint(),
            CheckError::CannotFix { hint } => Some(hint.clone()),
            CheckError::Policy(PolicyError::Invalid { .. }) => {
                Some("`certctl policy check FILE` lists every problem".into())
            }
            CheckError::Policy(PolicyError::Read(e)) => e.hint(),
            CheckError::Write(e) => e.hint(),
            _ => None,
        }
    }

    fn problems(&self) -> Vec<String> {
        match self {
            CheckError::Policy(e) => e.problems(),
            _ => Vec::new(),
        }
    }
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub target: String,
    pub chain: Vec<PathBuf>,
    pub trust_store: String,
    pub hostname: Option<String>,
    pub connect_to: Option<String>,
    pub timeout: f64,
    pub min_days: Option<u32>,
    pub policy: Option<PathBuf>,
    pub fix_chain: Option<PathBuf>,
    pub at: i64,
    /// The chain already fetched for the target (an ACM ARN's GetCertificate), leaf first.
    pub fetched_pem: Option<Vec<u8>>,
}

/// The report `check` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub(crate) schema_version: u32,
    pub(crate) target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hostname: Option<String>,
    pub(crate) at: String,
    pub(crate) trust_store: String,
    /// `trusted` or `untrusted`: untrusted when either judgement denies.
    pub(crate) verdict: &'static str,
    /// Which judgements deny: `apigateway`, `policy` (empty when trusted).
    pub(crate) denied_by: Vec<&'static str>,
    /// API Gateway's own verdict, with the line it would log and the fix.
    pub(crate) apigateway: ApigwReport,
    /// certctl's policy on top: the profile and the codes it alone denies.
    pub(crate) policy: PolicyVerdict,
    pub(crate) presented: usize,
    pub(crate) path: Vec<PathCert>,
    pub(crate) anchor: Option<AnchorReport>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fixed_chain_written: Option<String>,
}

/// The policy judgement of a check.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyVerdict {
    /// `gateway` (built in), `strict` (built in) or the policy file.
    pub(crate) profile: String,
    /// `pass` or `deny`.
    pub(crate) verdict: &'static str,
    /// The deny codes that are policy, not API Gateway's reasons.
    pub(crate) codes: Vec<crate::findings::Code>,
}

impl CheckReport {
    /// 0 trusted, 1 not.
    pub fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.verdict != "trusted")
    }
}

/// Loads a trust store by name: `apigateway` or a path.
pub(crate) fn load_store(spec: &str) -> Result<TrustStore, StoreError> {
    if spec.eq_ignore_ascii_case("apigateway") {
        TrustStore::apigateway()
    } else {
        TrustStore::load_custom(std::path::Path::new(spec))
    }
}

/// Runs the check.
pub fn run(req: &CheckRequest) -> Result<CheckReport, CheckError> {
    let policy = match &req.policy {
        Some(p) => Policy::by_name_or_file(p)?,
        None => Policy::builtin(),
    };
    let explicit_name = req.hostname.as_deref().map(input::hostname).transpose()?;
    let target = input::parse_target(&req.target)?;
    let extra = req
        .chain
        .iter()
        .map(|p| input::load_file(p))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let (presented, leaf_is_first, address, name) = match (&target, &req.fetched_pem) {
        (_, Some(pem)) => (
            input::parse_bytes(pem, std::path::Path::new(&req.target))?,
            true,
            None,
            explicit_name,
        ),
        (Target::File(path), None) => (input::load_file(path)?, false, None, explicit_name),
        (Target::Url { host, port }, None) => {
            let remote = input::fetch(
                host,
                *port,
                req.hostname.as_deref(),
                req.connect_to.as_deref(),
                req.timeout,
            )?;
            // HttpClient matches the host as written: `--hostname`, else the URL's host.
            let given = req.hostname.as_deref().unwrap_or(host);
            let name = Hostname::new(given, remote.sni);
            (remote.certs, true, Some(remote.address), Some(name))
        }
    };
    let store = load_store(&req.trust_store)?;
    let params = CheckParams {
        store: &store,
        policy: &policy,
        at: req.at,
        hostname: name.as_ref(),
        min_days: req.min_days.unwrap_or(policy.min_days),
    };
    let chain = ChainInput {
        presented,
        extra,
        leaf_is_first,
    };
    let v = verify::verify(&chain, &params);
    let mut written = None;
    if let Some(out) = &req.fix_chain {
        let Some(fixed) = &v.fixed_chain else {
            return Err(CheckError::CannotFix {
                hint: cannot_fix_hint(&v.findings, &params),
            });
        };
        let pem: String = fixed
            .iter()
            .map(|d| crate::pem::encode_certificate(d))
            .collect();
        fsx::write_atomic(out, pem.as_bytes(), 0o644)?;
        written = Some(out.display().to_string());
    }
    let root_beside = match (&target, &req.fetched_pem) {
        (Target::File(path), None) => {
            leaf_of(&chain, &v).and_then(|leaf| crate::jobs::hints::find_root_beside(path, leaf))
        }
        _ => None,
    };
    let case = crate::jobs::hints::Case {
        custom_store: !req.trust_store.eq_ignore_ascii_case("apigateway"),
        acm: req.fetched_pem.is_some(),
        root_beside,
    };
    let mut report = report(&req.target, address, &chain, &params, v);
    crate::jobs::hints::fit(&mut report, &case);
    if let Some(p) = &req.policy {
        report.policy.profile = p.display().to_string();
    }
    report.fixed_chain_written = written;
    Ok(report)
}

/// The presented certificate the path starts at.
fn leaf_of<'c>(
    chain: &'c ChainInput,
    v: &verify::Verification,
) -> Option<&'c crate::x509::CertInfo> {
    let fp = &v.path.first()?.sha256;
    chain.presented.iter().find(|c| &c.sha256.colon_hex() == fp)
}

/// Why `--fix-chain` has nothing to write, from what the check found: the chain may be
/// complete up to a root that is not trusted (nothing to add: the root is what is missing from
/// the store), or an intermediate may really be missing.
fn cannot_fix_hint(findings: &[Finding], params: &CheckParams<'_>) -> String {
    let store = match &params.store.kind {
        crate::trust::store::StoreKind::ApiGateway => "API Gateway's list".to_string(),
        crate::trust::store::StoreKind::Custom(p) => format!("the trust store {}", p.display()),
    };
    let has = |code: CheckCode| findings.iter().any(|f| f.code == code);
    if has(CheckCode::UntrustedRoot) || has(CheckCode::AnchorExpired) {
        let private = match &params.store.kind {
            crate::trust::store::StoreKind::ApiGateway => "; for a private root, --trust-store ROOT.pem writes it (that changes certctl's verdict, not API Gateway's)",
            crate::trust::store::StoreKind::Custom(_) => "",
        };
        format!(
            "no intermediate is missing: what is missing is a trusted root (the chain ends at a root that is not in {store}), and --fix-chain writes a chain only when it reaches one{private}"
        )
    } else if has(CheckCode::SelfSigned) {
        "a self-signed leaf has no chain to complete: issue one from a CA (`certctl issue onprem --ca DIR`, or ACM)".into()
    } else if has(CheckCode::MissingIntermediate) {
        "pass the missing intermediate with --chain FILE (the leaf's issuer; `certctl inspect` names it)".into()
    } else {
        "the findings above say what stops the path; --fix-chain writes a chain only when it reaches a trusted root".into()
    }
}

fn report(
    target: &str,
    address: Option<String>,
    chain: &ChainInput,
    params: &CheckParams<'_>,
    v: verify::Verification,
) -> CheckReport {
    let apigw_refused = v.apigateway_refused();
    CheckReport {
        schema_version: 1,
        target: target.to_string(),
        address,
        hostname: params
            .hostname
            .map(|n| n.server_name().to_str().into_owned()),
        at: crate::x509::rfc3339(params.at),
        trust_store: params.store.label(),
        verdict: if v.trusted { "trusted" } else { "untrusted" },
        denied_by: {
            let mut d = Vec::new();
            if !v.apigateway.verdict.accepts() {
                d.push("apigateway");
            }
            if !v.policy_denies.is_empty() || (!v.trusted && d.is_empty()) {
                d.push("policy");
            }
            d
        },
        apigateway: v.apigateway,
        policy: PolicyVerdict {
            profile: "gateway".into(),
            verdict: if v.policy_denies.is_empty() && (v.trusted || apigw_refused) {
                "pass"
            } else {
                "deny"
            },
            codes: v.policy_denies,
        },
        presented: chain.presented.len(),
        path: v.path,
        anchor: v.anchor,
        findings: v.findings,
        fixed_chain_written: None,
    }
}

/// The report for an ACM certificate that has no chain to serve (FAILED, VALIDATION_TIMED_OUT,
/// REVOKED, EXPIRED): untrusted, nothing presented, and the finding that says why.
pub(crate) fn not_served(
    target: &str,
    hostname: Option<String>,
    trust_store: &str,
    at: i64,
    finding: Finding,
) -> CheckReport {
    let trust_store = if trust_store.eq_ignore_ascii_case("apigateway") {
        "apigateway".to_string()
    } else {
        trust_store.to_string()
    };
    CheckReport {
        schema_version: 1,
        target: target.to_string(),
        address: None,
        hostname,
        at: crate::x509::rfc3339(at),
        trust_store,
        verdict: "untrusted",
        denied_by: vec!["apigateway"],
        apigateway: ApigwReport {
            verdict: crate::trust::verify::ApigwVerdict::Refuse,
            refused_by: None,
            log_line: None,
            cause: Some(finding.message.clone()),
            fix: finding.hint.clone(),
            note: None,
            codes: vec![finding.code],
            unverified_signatures: Vec::new(),
        },
        policy: PolicyVerdict {
            profile: "gateway".into(),
            verdict: "pass",
            codes: Vec::new(),
        },
        presented: 0,
        path: Vec::new(),
        anchor: None,
        findings: vec![finding],
        fixed_chain_written: None,
    }
}

/// Judges PEM bytes (e.g. what ACM's GetCertificate returns) against the API Gateway store
/// with the built-in policy.
pub(crate) fn check_pem(
    pem: &[u8],
    label: &str,
    hostname: Option<&str>,
    at: i64,
) -> Result<CheckReport, CheckError> {
    let presented = input::parse_bytes(pem, std::path::Path::new(label))?;
    let name = hostname.map(input::hostname).transpose()?;
    let store = TrustStore::apigateway()?;
    let policy = Policy::builtin();
    let params = CheckParams {
        store: &store,
        policy: &policy,
        at,
        hostname: name.as_ref(),
        min_days: policy.min_days,
    };
    let chain = ChainInput {
        presented,
        extra: Vec::new(),
        leaf_is_first: true,
    };
    let v = verify::verify(&chain, &params);
    let mut report = report(label, None, &chain, &params, v);
    let case = crate::jobs::hints::Case {
        acm: true,
        ..Default::default()
    };
    crate::jobs::hints::fit(&mut report, &case);
    Ok(report)
}
