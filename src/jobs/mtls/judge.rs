//! The one judgement of "the stage's client certificate against the listener's trust store",
//! shared by `mtls status` and doctor's mtls hop: present, readable, not expired or expiring,
//! clientAuth, admitted by the ALB (rustls-webpki, the ALB's limits) with the connection log's
//! code on refusal, and the live bundle linted.

use rustls_pki_types::CertificateDer;
use serde::Serialize;

use crate::albtrust::{self, AlbRefusal, BundleFinding};
use crate::aws::{Aws, AwsError, CertStatus};
use crate::findings::Severity;
use crate::x509::CertInfo;

pub(crate) use crate::findings::MtlsCode;

impl MtlsCode {
    const fn severity(self) -> Severity {
        match self {
            MtlsCode::NeverRenewed | MtlsCode::GeneratedExpires => Severity::Info,
            MtlsCode::TrustStoreNotActive
            | MtlsCode::ListenerOff
            | MtlsCode::ListenerPassthrough => Severity::Warn,
            _ => Severity::Deny,
        }
    }

    const fn hint(self) -> &'static str {
        match self {
            MtlsCode::StageMissing => "check --rest-api-id and --stage (`aws apigateway get-stages --rest-api-id ID`)",
            MtlsCode::NoClientCertificate | MtlsCode::ClientCertMissing => "`certctl mtls apply --client-set DIR …` sets an imported client certificate on the stage",
            MtlsCode::ClientCertUnreadable => "set a certificate certctl issued (`certctl issue client`) on the stage",
            MtlsCode::AcmNotIssued => "`certctl acm status ARN` says why; re-import the client certificate",
            MtlsCode::ClientCertExpired | MtlsCode::ClientCertExpiresSoon => "issue a new client certificate (`certctl issue client --force`) and re-import it to the same ARN (`certctl acm import --arn ARN`, or `certctl rotate`)",
            MtlsCode::NeverRenewed => "rotate it yourself before it expires: re-import to the same ARN (`certctl rotate` with a client set, or `certctl acm import --arn ARN`)",
            MtlsCode::GeneratedExpires => "generate a new one before expiry, or move to an imported ACM certificate (`certctl mtls apply --client-set DIR`)",
            MtlsCode::NoClientAuth => "issue it with `certctl issue client` (extendedKeyUsage clientAuth)",
            MtlsCode::ChainTooDeep => "issue the client certificate from a CA nearer the root (at most 4 certificates, leaf and root included)",
            MtlsCode::AlbRefuses => "put the CA that issued the client certificate in the trust store: `certctl mtls apply --ca CA …`",
            MtlsCode::BundleInvalid => "`certctl truststore lint --for alb` names each problem; `certctl mtls apply` uploads a clean bundle",
            MtlsCode::TrustStoreMissing => "`certctl mtls apply` creates the trust store and points the listener at it",
            MtlsCode::TrustStoreNotActive => "wait until the trust store is ACTIVE, then look again",
            MtlsCode::ListenerOff => "`certctl mtls apply` turns on verify mode once the stage presents a certificate the trust store admits",
            MtlsCode::ListenerPassthrough => "passthrough only forwards the certificate in headers (X-Amzn-Mtls-Clientcert) and nothing verifies it: `certctl mtls apply` switches to verify mode safely",
        }
    }
}

/// One finding: data with a typed code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct MtlsFinding {
    pub(crate) code: MtlsCode,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) hint: &'static str,
}

impl MtlsFinding {
    pub(crate) fn new(code: MtlsCode, message: String) -> MtlsFinding {
        MtlsFinding {
            code,
            severity: code.severity(),
            message,
            hint: code.hint(),
        }
    }

    /// As doctor's finding.
    pub(crate) fn finding(&self) -> crate::findings::Finding {
        crate::findings::Finding {
            code: self.code.into(),
            severity: self.severity,
            message: self.message.clone(),
            hint: Some(self.hint.to_string()),
            certificate: None,
        }
    }
}

/// What a stage's clientCertificateId names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum StageCertKind {
    /// An ACM certificate ARN.
    Acm,
    /// A certificate API Gateway generated (self-signed, 365 days).
    Generated,
}

/// The stage's certificate as read.
#[derive(Debug, Clone)]
pub(crate) struct StageCert {
    pub(crate) id: String,
    pub(crate) kind: StageCertKind,
    /// Leaf first; empty when it could not be read (`problem` says why).
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// ACM's `Type` (IMPORTED, PRIVATE, AMAZON_ISSUED) and status.
    pub(crate) acm_type: Option<String>,
    pub(crate) acm_status: Option<CertStatus>,
    pub(crate) problem: Option<(MtlsCode, String)>,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Judgement {
    pub(crate) client_certificate_id: Option<String>,
    pub(crate) kind: Option<StageCertKind>,
    pub(crate) acm_type: Option<String>,
    pub(crate) subject: Option<String>,
    /// The leaf's SHA-256 (colon hex): what to compare with ACM or a set on disk.
    pub(crate) sha256: Option<String>,
    pub(crate) not_after: Option<String>,
    pub(crate) days_left: Option<i64>,
    /// `Success` or `Failed:<code>`; null without a trust store to verify against.
    pub(crate) tls_verify_status: Option<&'static str>,
    /// Certificates in the verified path, leaf and root included.
    pub(crate) depth: Option<usize>,
    pub(crate) bundle_findings: Vec<BundleFinding>,
    pub(crate) findings: Vec<MtlsFinding>,
}

/// Whether a clientCertificateId is an ACM ARN (else a generated certificate's id).
pub(crate) fn kind_of(id: &str) -> StageCertKind {
    if id.starts_with("arn:") {
        StageCertKind::Acm
    } else {
        StageCertKind::Generated
    }
}

/// Reads the certificate a stage's clientCertificateId names (GetCertificate for an ARN,
/// GetClientCertificate for a generated id); a missing or unreadable one is a finding.
pub(crate) fn read_stage_cert(aws: Aws<'_>, id: &str) -> Result<StageCert, AwsError> {
    let kind = kind_of(id);
    let mut c = StageCert {
        id: id.to_string(),
        kind,
        chain: Vec::new(),
        acm_type: None,
        acm_status: None,
        problem: None,
    };
    let pem = match kind {
        StageCertKind::Acm => {
            match aws.acm.describe_certificate(id) {
                Err(AwsError::NotFound { .. }) => None,
                Err(e) => return Err(e),
                Ok(d) => {
                    c.acm_type = d.kind.clone();
                    c.acm_status = Some(d.status.clone());
                    if d.status != CertStatus::Issued {
                        c.problem = Some((MtlsCode::AcmNotIssued, format!("ACM certificate {id} is {}; API Gateway presents only an ISSUED one", d.status)));
                        return Ok(c);
                    }
                    let (cert, chain) = aws.acm.get_certificate(id)?;
                    Some(format!("{cert}\n{}", chain.unwrap_or_default()))
                }
            }
        }
        StageCertKind::Generated => match aws.stages.client_certificate(id) {
            Err(AwsError::NotFound { .. }) => None,
            Err(e) => return Err(e),
            Ok(g) => Some(g.pem),
        },
    };
    match pem {
        None => {
            c.problem = Some((
                MtlsCode::ClientCertMissing,
                format!("the stage's client certificate {id} does not exist"),
            ))
        }
        Some(p) => match crate::pem::decode_certificates(p.as_bytes()) {
            Ok(ders) if !ders.is_empty() => c.chain = ders,
            Ok(_) => {
                c.problem = Some((
                    MtlsCode::ClientCertUnreadable,
                    format!("{id}: no certificate"),
                ))
            }
            Err(e) => c.problem = Some((MtlsCode::ClientCertUnreadable, format!("{id}: {e}"))),
        },
    }
    Ok(c)
}

/// Reads the stage's certificate and the trust store's live bundle, and judges them.
pub(crate) fn look(
    aws: Aws<'_>,
    rest_api_id: &str,
    stage: &str,
    trust_store_arn: Option<&str>,
    at: i64,
    min_days: u32,
) -> Result<Judgement, AwsError> {
    let info = match aws.stages.stage(rest_api_id, stage) {
        Err(AwsError::NotFound { .. }) => {
            let mut j = judge(None, None, at, min_days);
            j.findings = vec![MtlsFinding::new(
                MtlsCode::StageMissing,
                format!("REST API {rest_api_id} has no stage {stage}"),
            )];
            return Ok(j);
        }
        other => other?,
    };
    let cert = match &info.client_certificate_id {
        Some(id) => Some(read_stage_cert(aws, id)?),
        None => None,
    };
    let bundle = match trust_store_arn {
        Some(arn) => Some(aws.trust.trust_store_bundle(arn, super::MAX_BUNDLE)?),
        None => None,
    };
    Ok(judge(cert.as_ref(), bundle.as_deref(), at, min_days))
}

/// The verdict on `cert` against `bundle` (None: nothing to verify against) at `at`.
pub(crate) fn judge(
    cert: Option<&StageCert>,
    bundle: Option<&[u8]>,
    at: i64,
    min_days: u32,
) -> Judgement {
    let mut j = Judgement {
        client_certificate_id: cert.map(|c| c.id.clone()),
        kind: cert.map(|c| c.kind),
        acm_type: cert.and_then(|c| c.acm_type.clone()),
        subject: None,
        sha256: None,
        not_after: None,
        days_left: None,
        tls_verify_status: None,
        depth: None,
        bundle_findings: Vec::new(),
        findings: Vec::new(),
    };
    let parsed = bundle.map(|b| albtrust::lint(b, at));
    if let Some((_, f)) = &parsed {
        j.bundle_findings = f.clone();
        if let Some(first) = f.iter().find(|f| f.severity == Severity::Deny) {
            j.findings.push(MtlsFinding::new(
                MtlsCode::BundleInvalid,
                format!("the trust store's bundle: {}", first.message),
            ));
        }
    }
    let Some(cert) = cert else {
        j.findings.push(MtlsFinding::new(
            MtlsCode::NoClientCertificate,
            "the stage presents no client certificate; a listener in verify mode refuses API Gateway".into(),
        ));
        return j;
    };
    if let Some((code, message)) = &cert.problem {
        j.findings.push(MtlsFinding::new(*code, message.clone()));
        return j;
    }
    let leaf = match cert.chain.first().map(CertInfo::parse) {
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            j.findings.push(MtlsFinding::new(
                MtlsCode::ClientCertUnreadable,
                format!("{}: {e}", cert.id),
            ));
            return j;
        }
        None => return j,
    };
    judge_leaf(&mut j, cert, &leaf, at, min_days);
    if let Some((b, _)) = &parsed {
        match albtrust::verify_client(&cert.chain, b, crate::trust::verify::unix(at)) {
            Ok(path) => {
                j.tls_verify_status = Some("Success");
                j.depth = Some(path.depth);
            }
            Err(r) => {
                j.tls_verify_status = Some(r.log_code());
                refusal_finding(&mut j, &r);
            }
        }
    }
    j
}

/// Expiry, renewal and purpose of the leaf.
fn judge_leaf(j: &mut Judgement, cert: &StageCert, leaf: &CertInfo, at: i64, min_days: u32) {
    let days = crate::x509::days_until(leaf.not_after, at);
    j.subject = Some(leaf.subject.clone());
    j.sha256 = Some(leaf.sha256.colon_hex());
    j.not_after = Some(crate::x509::rfc3339(leaf.not_after));
    j.days_left = Some(days);
    let when = crate::x509::rfc3339(leaf.not_after);
    if leaf.not_after < at {
        j.findings.push(MtlsFinding::new(
            MtlsCode::ClientCertExpired,
            format!(
                "the stage's client certificate \"{}\" expired on {when}",
                leaf.subject
            ),
        ));
    } else if days < i64::from(min_days) {
        j.findings.push(MtlsFinding::new(
            MtlsCode::ClientCertExpiresSoon,
            format!(
                "the stage's client certificate \"{}\" expires in {days} days ({when})",
                leaf.subject
            ),
        ));
    }
    match (cert.kind, cert.acm_type.as_deref()) {
        (StageCertKind::Acm, Some("IMPORTED")) => j.findings.push(MtlsFinding::new(
            MtlsCode::NeverRenewed,
            format!("imported into ACM: ACM never renews it; it expires on {when}"),
        )),
        (StageCertKind::Generated, _) => j.findings.push(MtlsFinding::new(
            MtlsCode::GeneratedExpires,
            format!("generated by API Gateway: valid 365 days, until {when}"),
        )),
        _ => {}
    }
    if let Some(eku) = &leaf.extended_key_usage {
        if !eku.iter().any(|u| u == "clientAuth") {
            j.findings.push(MtlsFinding::new(
                MtlsCode::NoClientAuth,
                format!(
                    "\"{}\" has an extended key usage without clientAuth",
                    leaf.subject
                ),
            ));
        }
    }
}

/// The ALB's refusal as a finding (one per cause: an expiry or purpose already named is not
/// repeated), the connection log's code in its message.
fn refusal_finding(j: &mut Judgement, r: &AlbRefusal) {
    let has = |c: MtlsCode| j.findings.iter().any(|f| f.code == c);
    let code = match r {
        AlbRefusal::Expired { .. } if has(MtlsCode::ClientCertExpired) => return,
        AlbRefusal::PurposeInvalid { .. } if has(MtlsCode::NoClientAuth) => return,
        AlbRefusal::Expired { .. } => MtlsCode::ClientCertExpired,
        AlbRefusal::PurposeInvalid { .. } => MtlsCode::NoClientAuth,
        AlbRefusal::MaxChainDepthExceeded { .. } => MtlsCode::ChainTooDeep,
        _ => MtlsCode::AlbRefuses,
    };
    j.findings.push(MtlsFinding::new(
        code,
        format!(
            "the ALB refuses the stage's certificate ({}): {r}",
            r.log_code()
        ),
    ));
}
