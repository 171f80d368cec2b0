//! `certctl acm audit`: every ACM certificate of the account in one or more regions (queried
//! concurrently, bounded), with what will break before it breaks: expiry, renewal eligibility
//! and status, use, and whether each DNS validation CNAME is still in its Route 53 zone; and
//! the client certificates API Gateway presents to backends, which nothing renews: imported
//! ACM client certificates and API Gateway's generated ones (365 days).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::aws::{AuditCalls, AuditCert, AwsError, DnsRecord, GeneratedClientCert, HostedZone};
use crate::exit::ExitStatus;
use crate::findings::{AcmCode, Finding, Severity};
use crate::fsx::FsError;
use crate::jobs::acm::{list_query, zone_for, AcmError};
use crate::metrics::{Job, Textfile};

/// The regions every AWS account has enabled by default (opt-in regions are named with
/// `--region`).
pub(crate) const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
];

#[derive(Debug, thiserror::Error)]
pub(crate) enum AuditError {
    #[error("bad region \"{0}\": expected a region name such as eu-west-1")]
    BadRegion(String),
    #[error("no region: pass --region R (repeatable), --all-regions, or set AWS_REGION")]
    NoRegion,
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("--metrics: {0}")]
    Metrics(#[from] FsError),
    #[error(transparent)]
    Dns(#[from] crate::dns::DnsError),
}

impl crate::jobs::JobError for AuditError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            AuditError::BadRegion(_) | AuditError::NoRegion => ExitStatus::BadInput,
            AuditError::Dns(crate::dns::DnsError::BadResolver(_)) => ExitStatus::BadInput,
            AuditError::Metrics(e) => e.exit_code(),
            AuditError::Aws(_) | AuditError::Dns(_) => ExitStatus::Operational,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            AuditError::Aws(e) => e.hint(),
            AuditError::Metrics(e) => e.hint(),
            _ => None,
        }
    }
    fn step(&self) -> Option<String> {
        match self {
            AuditError::Aws(e) => e.deadline_step().map(str::to_string),
            _ => None,
        }
    }
    fn detail(&self) -> Option<String> {
        match self {
            AuditError::Aws(e) => e.detail().map(str::to_string),
            _ => None,
        }
    }
}

/// What to audit.
#[derive(Debug, Clone)]
pub(crate) struct AuditRequest {
    pub(crate) regions: Vec<String>,
    /// Certificates expiring within this many days are reported (`expires-soon`).
    pub(crate) min_days: u32,
    /// A certificate PENDING_VALIDATION longer than this (seconds) is stuck.
    pub(crate) stuck_after: i64,
    /// At most this many regions are queried at once.
    pub(crate) concurrency: usize,
    pub(crate) metrics: Option<PathBuf>,
    pub(crate) at: i64,
    /// When the run happens, by the real clock (the metrics file's last-run time).
    pub(crate) wall: i64,
    /// DNS checks of the validation path (None: `--no-dns`).
    pub(crate) dns: Option<crate::dns::DnsConfig>,
}

/// The regions to audit: `--region` (repeatable, comma lists allowed), `--all-regions`, or the
/// configured region.
pub(crate) fn regions(
    explicit: &[String],
    all: bool,
    configured: Option<&str>,
) -> Result<Vec<String>, AuditError> {
    let mut out: Vec<String> = Vec::new();
    let wanted: Vec<String> = if all {
        DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect()
    } else {
        Vec::new()
    };
    for r in wanted.into_iter().chain(
        explicit
            .iter()
            .flat_map(|r| r.split(','))
            .map(str::to_string),
    ) {
        let r = r.trim().to_ascii_lowercase();
        let ok = !r.is_empty()
            && r.len() <= 32
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !r.starts_with('-')
            && !r.ends_with('-');
        if !ok {
            return Err(AuditError::BadRegion(r));
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    if out.is_empty() {
        match configured {
            Some(r) => out.push(r.to_string()),
            None => return Err(AuditError::NoRegion),
        }
    }
    Ok(out)
}

/// One validation name of a certificate and where its CNAME lives.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditValidation {
    pub(crate) domain: String,
    /// `DNS`, `EMAIL` or `HTTP`, when ACM says.
    pub(crate) method: Option<String>,
    /// ACM's validation status for this name.
    pub(crate) status: Option<String>,
    pub(crate) record: Option<DnsRecord>,
    /// The hosted zone that holds (or should hold) the record: the public zone with the
    /// longest matching suffix, else a private one.
    pub(crate) zone_id: Option<String>,
    pub(crate) zone_name: Option<String>,
    pub(crate) zone_public: Option<bool>,
    /// Whether the zone holds the CNAME with ACM's value (None: not looked up).
    pub(crate) record_in_zone: Option<bool>,
    /// What public DNS says: the CNAME, the zone's delegation, CAA (empty: not checked).
    pub(crate) dns: Vec<crate::dns::DnsCheck>,
}

/// One certificate and what the audit found about it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditCertificate {
    pub(crate) region: String,
    pub(crate) arn: String,
    pub(crate) domain: String,
    pub(crate) names: Vec<String>,
    /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) status: String,
    pub(crate) key_algorithm: Option<String>,
    pub(crate) not_after: Option<String>,
    pub(crate) days_left: Option<i64>,
    pub(crate) created_at: Option<String>,
    pub(crate) imported_at: Option<String>,
    pub(crate) in_use_by: Vec<String>,
    pub(crate) renewal_eligibility: Option<String>,
    pub(crate) renewal_status: Option<String>,
    pub(crate) renewal_failure_reason: Option<String>,
    pub(crate) failure_reason: Option<String>,
    pub(crate) validations: Vec<AuditValidation>,
    /// An imported certificate for TLS clients only (extendedKeyUsage clientAuth without
    /// serverAuth): what API Gateway presents to a backend; `certctl rotate` re-imports it.
    pub(crate) client_certificate: bool,
    pub(crate) findings: Vec<Finding>,
    #[serde(skip)]
    pub(crate) not_after_unix: Option<i64>,
}

/// One client certificate API Gateway generated (self-signed, valid 365 days, never renewed).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditClientCert {
    pub(crate) region: String,
    pub(crate) id: String,
    pub(crate) description: Option<String>,
    pub(crate) created_at: Option<String>,
    pub(crate) not_after: Option<String>,
    pub(crate) days_left: Option<i64>,
    pub(crate) findings: Vec<Finding>,
    #[serde(skip)]
    pub(crate) not_after_unix: Option<i64>,
}

/// How one region went.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RegionResult {
    pub(crate) region: String,
    /// Certificates found; absent when the region could not be read (not "none").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificates: Option<usize>,
    /// Why the region could not be audited (its certificates are then missing).
    pub(crate) error: Option<String>,
    /// Why API Gateway's generated client certificates could not be listed (no
    /// `apigateway:GET` on `/clientcertificates`): the rest of the region is audited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_certificates_error: Option<String>,
    pub(crate) duration_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditReport {
    pub(crate) schema_version: u32,
    pub(crate) at: String,
    pub(crate) min_days: u32,
    pub(crate) stuck_after_hours: f64,
    pub(crate) regions: Vec<RegionResult>,
    pub(crate) certificates: Vec<AuditCertificate>,
    /// API Gateway's generated client certificates, every region.
    pub(crate) apigateway_client_certificates: Vec<AuditClientCert>,
    /// Findings by severity over every certificate.
    pub(crate) deny: usize,
    pub(crate) warn: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metrics: Option<String>,
    #[serde(skip)]
    pub(crate) at_unix: i64,
}

impl AuditReport {
    /// 1 when a deny-level finding was made (even if a region could not be read), 3 when no
    /// deny-level finding was made but a region could not be read, else 0.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        if self.deny > 0 {
            ExitStatus::CheckFailed
        } else if self.regions.iter().any(|r| r.error.is_some()) {
            ExitStatus::Operational
        } else {
            ExitStatus::Ok
        }
    }
}

fn finding(code: AcmCode, severity: Severity, message: String, hint: &str) -> Finding {
    Finding {
        code: code.into(),
        severity,
        message,
        hint: Some(hint.to_string()),
        certificate: None,
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The facts and findings of one certificate; `zones` is every hosted zone of the account.
fn audit_one<C: AuditCalls>(
    client: &C,
    region: &str,
    c: AuditCert,
    zones: &[HostedZone],
    req: &AuditRequest,
) -> Result<AuditCertificate, AwsError> {
    let d = &c.detail;
    let kind = c.kind.clone();
    let amazon = kind.as_deref() != Some("IMPORTED");
    let mut validations = Vec::new();
    for (i, v) in d.validations.iter().enumerate() {
        let method = c.validation_methods.get(i).cloned().flatten();
        let mut a = AuditValidation {
            domain: v.domain.clone(),
            method: method.clone(),
            status: v.status.clone(),
            record: v.record.clone(),
            zone_id: None,
            zone_name: None,
            zone_public: None,
            record_in_zone: None,
            dns: Vec::new(),
        };
        let dns = method.as_deref().is_none_or(|m| m == "DNS");
        if let (true, Some(r)) = (dns, &v.record) {
            // A wildcard and its apex share one record: look it up once.
            let seen = validations
                .iter()
                .find(|p: &&AuditValidation| p.record.as_ref() == Some(r))
                .cloned();
            if let Some(p) = seen {
                a.zone_id = p.zone_id;
                a.zone_name = p.zone_name;
                a.zone_public = p.zone_public;
                a.record_in_zone = p.record_in_zone;
            } else {
                let zone = match zone_for(zones, &v.domain) {
                    Ok(z) => Some(z.clone()),
                    Err(AcmError::PrivateZone { id, name }) => Some(HostedZone {
                        id,
                        name,
                        private: true,
                    }),
                    Err(_) => None,
                };
                if let Some(z) = zone {
                    let values = client.record_values(&z.id, &r.name, "CNAME")?;
                    a.record_in_zone = Some(values.iter().any(|x| same_name(x, &r.value)));
                    a.zone_id = Some(z.id);
                    a.zone_name = Some(z.name);
                    a.zone_public = Some(!z.private);
                }
            }
        }
        validations.push(a);
    }

    let days_left = d.not_after.map(|t| crate::x509::days_until(t, req.at));
    let client_certificate = !amazon && is_client_certificate(client, &d.arn)?;
    let mut findings = Vec::new();
    let label = d.domain.clone();
    match d.status.as_str() {
        "FAILED" | "VALIDATION_TIMED_OUT" | "REVOKED" => findings.push(finding(
            AcmCode::Failed,
            Severity::Deny,
            format!(
                "{label}: ACM says {}{}",
                d.status,
                d.failure_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            "a failed certificate is never retried: fix the cause (`certctl acm status`) and request a new one",
        )),
        "EXPIRED" => findings.push(finding(
            AcmCode::Expired,
            Severity::Deny,
            format!("{label}: expired"),
            "request (or import) a new certificate and move its users onto it",
        )),
        "PENDING_VALIDATION" => {
            if let Some(created) = c.created_at {
                let age = req.at - created;
                if age > req.stuck_after {
                    findings.push(finding(
                        AcmCode::PendingValidationStuck,
                        Severity::Deny,
                        format!(
                            "{label}: PENDING_VALIDATION for {} h (since {})",
                            age / 3600,
                            crate::x509::rfc3339(created)
                        ),
                        "ACM gives up after 72 h: put the validation CNAMEs in the public zone (`certctl acm records`)",
                    ));
                }
            }
        }
        _ => {}
    }
    if d.status == crate::aws::CertStatus::Issued {
        if let Some(days) = days_left {
            if days < 0 {
                findings.push(finding(
                    AcmCode::Expired,
                    Severity::Deny,
                    format!("{label}: expired {} day(s) ago", -days),
                    "request (or import) a new certificate and move its users onto it",
                ));
            } else if days < i64::from(req.min_days) {
                let (msg, hint) = if amazon {
                    (
                        format!("{label}: expires in {days} day(s) and ACM has not renewed it"),
                        "ACM renews from 60 days before expiry only while the certificate is in use and its validation CNAMEs resolve; see the other findings",
                    )
                } else if client_certificate {
                    (
                        format!("{label}: imported client certificate, expires in {days} day(s); ACM never renews an imported certificate"),
                        "certctl rotate re-imports it: a [[cert]] set with kind = \"client\" and acm-arn = this ARN renews it before expiry",
                    )
                } else {
                    (
                        format!("{label}: imported, expires in {days} day(s); ACM never renews an imported certificate"),
                        "import the renewed certificate with the same ARN (`aws acm import-certificate --certificate-arn …`)",
                    )
                };
                findings.push(finding(AcmCode::ExpiresSoon, Severity::Deny, msg, hint));
            }
        }
        if d.in_use_by.is_empty() {
            findings.push(finding(
                AcmCode::NotInUse,
                if amazon { Severity::Warn } else { Severity::Info },
                format!("{label}: nothing uses it"),
                if amazon {
                    "ACM renews only certificates in use: attach it (`certctl acm attach`) or delete it"
                } else {
                    "delete it when it is no longer needed"
                },
            ));
        }
        if amazon && d.renewal_eligibility.as_deref() == Some("INELIGIBLE") {
            findings.push(finding(
                AcmCode::RenewalIneligible,
                Severity::Warn,
                format!("{label}: ACM says it is not eligible for managed renewal"),
                "ACM renews a certificate only while it is in use by an AWS service; check `in_use_by`",
            ));
        }
    }
    if matches!(d.renewal_status.as_deref(), Some("FAILED")) {
        findings.push(finding(
            AcmCode::RenewalFailed,
            Severity::Deny,
            format!(
                "{label}: the last managed renewal failed{}",
                c.renewal_failure_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            "make every validation CNAME resolve publicly; ACM retries until the certificate expires",
        ));
    }
    if amazon && matches!(d.status.as_str(), "ISSUED" | "PENDING_VALIDATION") {
        let mut reported: Vec<&str> = Vec::new();
        for v in &validations {
            let Some(r) = &v.record else { continue };
            if reported.contains(&r.name.as_str()) {
                continue;
            }
            let missing = match (v.zone_public, v.record_in_zone) {
                (Some(_), Some(false)) => Some(format!(
                    "{}: the validation CNAME {} is not in zone {} ({})",
                    v.domain,
                    r.name,
                    v.zone_name.as_deref().unwrap_or("?"),
                    v.zone_id.as_deref().unwrap_or("?")
                )),
                (None, _) => Some(format!(
                    "{}: no Route 53 zone in this account holds {} (the CNAME may live in DNS elsewhere)",
                    v.domain, r.name
                )),
                _ => None,
            };
            if let Some(message) = missing {
                reported.push(&r.name);
                let elsewhere = v.zone_public.is_none();
                findings.push(finding(
                    AcmCode::ValidationRecordMissing,
                    if elsewhere { Severity::Warn } else { Severity::Deny },
                    message,
                    "put it back (`certctl acm request NAME --route53-zone auto` UPSERTs it; `certctl acm records ARN --format zone` prints it); renewal needs it",
                ));
            } else if v.zone_public == Some(false) {
                reported.push(&r.name);
                findings.push(finding(
                    AcmCode::ValidationZonePrivate,
                    Severity::Deny,
                    format!(
                        "{}: the validation CNAME is only in private zone {} ({}); ACM validates through public DNS",
                        v.domain,
                        v.zone_name.as_deref().unwrap_or("?"),
                        v.zone_id.as_deref().unwrap_or("?")
                    ),
                    "put the CNAME in the public zone of the domain",
                ));
            }
        }
    }

    Ok(AuditCertificate {
        region: region.to_string(),
        arn: d.arn.clone(),
        domain: d.domain.clone(),
        names: std::iter::once(d.domain.clone())
            .chain(d.names.iter().filter(|n| **n != d.domain).cloned())
            .collect(),
        kind,
        status: d.status.to_string(),
        key_algorithm: d.key_algorithm.clone(),
        not_after: d.not_after.map(crate::x509::rfc3339),
        days_left,
        created_at: c.created_at.map(crate::x509::rfc3339),
        imported_at: c.imported_at.map(crate::x509::rfc3339),
        in_use_by: d.in_use_by.clone(),
        renewal_eligibility: d.renewal_eligibility.clone(),
        renewal_status: d.renewal_status.clone(),
        renewal_failure_reason: c.renewal_failure_reason.clone(),
        failure_reason: d.failure_reason.clone(),
        validations,
        client_certificate,
        findings,
        not_after_unix: d.not_after,
    })
}

/// Whether the imported certificate at `arn` is a TLS client's (GetCertificate, parsed here:
/// extendedKeyUsage clientAuth without serverAuth).
fn is_client_certificate<C: AuditCalls>(client: &C, arn: &str) -> Result<bool, AwsError> {
    // Without acm:GetCertificate (an audit policy from before) it is not taken for a client's.
    let (pem, _) = match client.get_certificate(arn) {
        Ok(got) => got,
        Err(e) if e.deadline_step().is_some() => return Err(e),
        Err(_) => return Ok(false),
    };
    let info = crate::pem::decode_certificates(pem.as_bytes())
        .ok()
        .and_then(|d| d.first().and_then(|c| crate::x509::CertInfo::parse(c).ok()));
    Ok(info.is_some_and(|i| {
        i.extended_key_usage.as_ref().is_some_and(|eku| {
            eku.iter().any(|e| e == "clientAuth") && !eku.iter().any(|e| e == "serverAuth")
        })
    }))
}

/// The findings of one generated client certificate: expired, or expiring within `--min-days`.
fn audit_generated(region: &str, c: GeneratedClientCert, req: &AuditRequest) -> AuditClientCert {
    let days_left = c.expires.map(|t| crate::x509::days_until(t, req.at));
    let label = format!("API Gateway client certificate {}", c.id);
    let hint = "API Gateway never renews a generated client certificate: generate a new one and point the stages at it, or present an ACM client certificate that `certctl rotate` re-imports";
    let mut findings = Vec::new();
    match days_left {
        Some(days) if days < 0 => findings.push(finding(
            AcmCode::Expired,
            Severity::Deny,
            format!("{label}: expired {} day(s) ago", -days),
            hint,
        )),
        Some(days) if days < i64::from(req.min_days) => findings.push(finding(
            AcmCode::ExpiresSoon,
            Severity::Deny,
            format!("{label}: expires in {days} day(s)"),
            hint,
        )),
        _ => {}
    }
    AuditClientCert {
        region: region.to_string(),
        id: c.id,
        description: c.description,
        created_at: c.created.map(crate::x509::rfc3339),
        not_after: c.expires.map(crate::x509::rfc3339),
        days_left,
        findings,
        not_after_unix: c.expires,
    }
}

/// Whether the DNS path of a certificate's validation is worth checking: an Amazon-issued
/// certificate that is pending, or issued (its next renewal validates the same way).
fn wants_dns(c: &AuditCertificate) -> bool {
    c.kind.as_deref() != Some("IMPORTED")
        && matches!(c.status.as_str(), "ISSUED" | "PENDING_VALIDATION")
        && c.validations.iter().any(|v| v.record.is_some())
}

/// The DNS checks of one certificate's validation names; their causes join its findings.
/// Route 53 NS sets are read once per zone per call.
pub(crate) fn check_dns<C: AuditCalls>(
    resolver: &crate::dns::Resolver,
    client: &C,
    c: &mut AuditCertificate,
) -> Result<(), AwsError> {
    if !wants_dns(c) {
        return Ok(());
    }
    let mut all = Vec::new();
    let mut done: Vec<(String, Vec<crate::dns::DnsCheck>)> = Vec::new();
    for v in c.validations.iter_mut() {
        let Some(r) = &v.record else { continue };
        if let Some((_, checks)) = done.iter().find(|(n, _)| *n == r.name) {
            v.dns = checks.clone();
            continue;
        }
        let ns = match (&v.zone_id, &v.zone_name, v.zone_public) {
            (Some(id), Some(name), Some(true)) => {
                Some((name.clone(), client.record_values(id, name, "NS")?))
            }
            _ => None,
        };
        let target = crate::dns::Target {
            domain: &v.domain,
            record: Some((&r.name, &r.value)),
            zone: ns.as_ref().map(|(z, n)| (z.as_str(), n.as_slice())),
        };
        let checks = crate::dns::diagnose(resolver, &target);
        all.extend(checks.iter().cloned());
        done.push((r.name.clone(), checks.clone()));
        v.dns = checks;
    }
    // The same zone or parent CAA seen through several names is one cause.
    let mut seen: Vec<String> = Vec::new();
    for f in crate::dns::findings(&all) {
        let key = format!("{}|{}", f.code, f.message);
        if !seen.contains(&key) {
            seen.push(key);
            c.findings.push(f);
        }
    }
    Ok(())
}

/// One region's ACM certificates, and its generated client certificates (or why they could
/// not be listed).
type RegionFound = (Vec<AuditCertificate>, Result<Vec<AuditClientCert>, String>);

/// Every certificate of one region.
fn audit_region<C: AuditCalls>(
    client: &C,
    region: &str,
    zones: &[HostedZone],
    req: &AuditRequest,
) -> Result<RegionFound, AwsError> {
    let list = client.list_certificates(&list_query(&[]))?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let c = match client.audit_certificate(&item.arn) {
            Ok(c) => c,
            // Deleted between the list and the describe.
            Err(AwsError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        out.push(audit_one(client, region, c, zones, req)?);
    }
    let generated = match client.client_certificates() {
        Ok(g) => Ok(g
            .into_iter()
            .map(|c| audit_generated(region, c, req))
            .collect()),
        Err(e) if e.deadline_step().is_some() => return Err(e),
        Err(e) => Err(e.to_string()),
    };
    Ok((out, generated))
}

/// Audits every region in `req.regions`; `connect` makes a client for a region (called once
/// per region, on the thread that queries it). Route 53 is global: its zones are listed once.
/// Audits every region; with `--metrics`, writes the file whether the audit could run or not
/// (a run that read no region says `success 0` and `region_up 0` for each region asked).
pub(crate) fn run<C, F>(req: &AuditRequest, connect: &F) -> Result<AuditReport, AuditError>
where
    C: AuditCalls,
    F: Fn(&str) -> Result<C, AwsError> + Sync,
{
    let result = run_regions(req, connect);
    let Some(path) = &req.metrics else {
        return result;
    };
    match result {
        Ok(mut report) => {
            metrics_text(&report)
                .outcome(Job::AcmAudit, req.wall, true)
                .write(path)?;
            report.metrics = Some(path.display().to_string());
            Ok(report)
        }
        Err(e) => {
            let mut t = Textfile::new();
            t.gauge("certctl_acm_audit_region_up", REGION_UP_HELP);
            for region in &req.regions {
                t.sample(&[("region", region)], 0.0);
            }
            // The audit's own error is the one reported; a failed metrics write only adds to it.
            let _ = t.outcome(Job::AcmAudit, req.wall, false).write(path);
            Err(e)
        }
    }
}

const REGION_UP_HELP: &str = "1 when the region could be audited, 0 when it could not.";

fn run_regions<C, F>(req: &AuditRequest, connect: &F) -> Result<AuditReport, AuditError>
where
    C: AuditCalls,
    F: Fn(&str) -> Result<C, AwsError> + Sync,
{
    let first = req.regions.first().ok_or(AuditError::NoRegion)?;
    let global = connect(first)?;
    let zones = global.list_hosted_zones()?;
    let next = AtomicUsize::new(0);
    type Done = (usize, RegionResult, RegionFound, Option<AwsError>);
    let results: Mutex<Vec<Done>> = Mutex::new(Vec::new());
    let workers = req.concurrency.clamp(1, 64).min(req.regions.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(region) = req.regions.get(i) else {
                    return;
                };
                let started = Instant::now();
                let got = connect(region).and_then(|c| audit_region(&c, region, &zones, req));
                let duration_ms = started.elapsed().as_millis() as u64;
                let (result, certs, error) = match got {
                    Ok(certs) => (
                        RegionResult {
                            region: region.clone(),
                            certificates: Some(certs.0.len()),
                            error: None,
                            client_certificates_error: certs.1.as_ref().err().cloned(),
                            duration_ms,
                        },
                        certs,
                        None,
                    ),
                    Err(e) => (
                        RegionResult {
                            region: region.clone(),
                            certificates: None,
                            error: Some(e.to_string()),
                            client_certificates_error: None,
                            duration_ms,
                        },
                        (Vec::new(), Ok(Vec::new())),
                        Some(e),
                    ),
                };
                if let Ok(mut r) = results.lock() {
                    r.push((i, result, certs, error));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, ..)| *i);
    // Nothing could be read at all: an error (with its hint), not a report.
    if results.iter().all(|(.., e)| e.is_some()) {
        if let Some((.., Some(e))) = results.into_iter().next() {
            return Err(e.into());
        }
        return Err(AuditError::NoRegion);
    }
    let mut regions = Vec::new();
    let mut certificates = Vec::new();
    let mut generated = Vec::new();
    for (_, r, (c, g), _) in results {
        regions.push(r);
        certificates.extend(c);
        generated.extend(g.unwrap_or_default());
    }
    if let Some(cfg) = &req.dns {
        let resolver = crate::dns::Resolver::new(cfg.clone())?;
        for c in certificates.iter_mut() {
            check_dns(&resolver, &global, c)?;
        }
    }
    certificates
        .sort_by(|a, b| (&a.region, &a.domain, &a.arn).cmp(&(&b.region, &b.domain, &b.arn)));
    let count = |s| {
        certificates
            .iter()
            .flat_map(|c| &c.findings)
            .chain(generated.iter().flat_map(|c| &c.findings))
            .filter(|f| f.severity == s)
            .count()
    };
    let report = AuditReport {
        schema_version: 1,
        at: crate::x509::rfc3339(req.at),
        min_days: req.min_days,
        stuck_after_hours: req.stuck_after as f64 / 3600.0,
        deny: count(Severity::Deny),
        warn: count(Severity::Warn),
        regions,
        certificates,
        apigateway_client_certificates: generated,
        metrics: None,
        at_unix: req.at,
    };
    Ok(report)
}

/// The expiry of the client certificates API Gateway presents (nothing renews them): imported
/// ACM client certificates by ARN, generated ones by id.
fn client_metrics(r: &AuditReport, t: &mut Textfile) {
    t.gauge(
        "certctl_client_certificate_expiry_timestamp_seconds",
        "Not-after of a client certificate API Gateway can present, as a Unix timestamp (kind: imported ACM certificate or apigateway-generated); nothing renews these.",
    );
    let imported = r
        .certificates
        .iter()
        .filter(|c| c.client_certificate)
        .filter_map(|c| Some((&c.region, &c.arn, "imported", c.not_after_unix?)));
    let generated = r
        .apigateway_client_certificates
        .iter()
        .filter_map(|c| Some((&c.region, &c.id, "apigateway", c.not_after_unix?)));
    for (region, id, kind, na) in imported.chain(generated) {
        t.sample(&[("region", region), ("id", id), ("kind", kind)], na as f64);
    }
}

/// The Prometheus textfile of an audit.
pub(crate) fn metrics_text(r: &AuditReport) -> Textfile {
    let mut t = Textfile::new();
    fn base(c: &AuditCertificate) -> Vec<(&'static str, String)> {
        vec![
            ("arn", c.arn.clone()),
            ("region", c.region.clone()),
            ("domain", c.domain.clone()),
            ("type", c.kind.clone().unwrap_or_default()),
        ]
    }
    fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        v.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
    t.gauge(
        "certctl_acm_certificate_expiry_timestamp_seconds",
        "ACM certificate not-after as a Unix timestamp.",
    );
    for c in &r.certificates {
        if let Some(na) = c.not_after_unix {
            t.sample(&refs(&base(c)), na as f64);
        }
    }
    t.gauge(
        "certctl_acm_certificate_days_left",
        "Whole days until the ACM certificate expires (negative: expired).",
    );
    for c in &r.certificates {
        if let Some(d) = c.days_left {
            t.sample(&refs(&base(c)), d as f64);
        }
    }
    t.gauge(
        "certctl_acm_certificate_status",
        "1 for the ACM status the certificate is in (ISSUED, PENDING_VALIDATION, FAILED, ...).",
    );
    for c in &r.certificates {
        let mut l = base(c);
        l.push(("status", c.status.clone()));
        t.sample(&refs(&l), 1.0);
    }
    t.gauge(
        "certctl_acm_certificate_renewal_eligible",
        "1 when ACM says the certificate is eligible for managed renewal, else 0.",
    );
    for c in &r.certificates {
        let ok = c.renewal_eligibility.as_deref() == Some("ELIGIBLE");
        t.sample(&refs(&base(c)), f64::from(u8::from(ok)));
    }
    t.gauge(
        "certctl_acm_certificate_in_use",
        "1 when an AWS resource uses the certificate, else 0.",
    );
    for c in &r.certificates {
        t.sample(
            &refs(&base(c)),
            f64::from(u8::from(!c.in_use_by.is_empty())),
        );
    }
    t.gauge(
        "certctl_acm_validation_record_present",
        "1 when the DNS validation CNAME is in its Route 53 zone, 0 when it is not.",
    );
    for c in &r.certificates {
        let mut done: Vec<&str> = Vec::new();
        for v in &c.validations {
            let (Some(rec), Some(present)) = (&v.record, v.record_in_zone) else {
                continue;
            };
            if done.contains(&rec.name.as_str()) {
                continue;
            }
            done.push(&rec.name);
            let mut l = base(c);
            l.push(("record", rec.name.clone()));
            l.push(("zone_public", v.zone_public.unwrap_or(false).to_string()));
            t.sample(&refs(&l), f64::from(u8::from(present)));
        }
    }
    t.gauge(
        "certctl_acm_finding",
        "1 per finding of the last audit (code and severity as labels).",
    );
    for c in &r.certificates {
        let mut done: Vec<(crate::findings::Code, Severity)> = Vec::new();
        for f in &c.findings {
            if done.contains(&(f.code, f.severity)) {
                continue;
            }
            done.push((f.code, f.severity));
            let mut l = base(c);
            l.push(("code", f.code.to_string()));
            l.push(("severity", f.severity.as_str().to_string()));
            t.sample(&refs(&l), 1.0);
        }
    }
    client_metrics(r, &mut t);
    t.gauge("certctl_acm_audit_region_up", REGION_UP_HELP);
    for g in &r.regions {
        t.sample(
            &[("region", &g.region)],
            f64::from(u8::from(g.error.is_none())),
        );
    }
    t.gauge(
        "certctl_acm_audit_certificates",
        "Certificates found per region by the last audit; absent for a region that could not be read.",
    );
    for g in &r.regions {
        if let Some(n) = g.certificates {
            t.sample(&[("region", &g.region)], n as f64);
        }
    }
    t.gauge(
        "certctl_acm_audit_timestamp_seconds",
        "When the last audit evaluated expiry (its --at).",
    );
    t.sample(&[], r.at_unix as f64);
    t
}

/// Why a certificate is still PENDING_VALIDATION: the Route 53 causes (record missing, zone
/// private) and, with a resolver, the DNS ones (CNAME not in public DNS, delegation, CAA).
/// Causes that could not be looked up become one info finding; this never fails the command.
pub(crate) fn why_pending<C: AuditCalls>(
    client: &C,
    dns: Option<&crate::dns::DnsConfig>,
    d: &crate::aws::CertDetail,
    at: i64,
) -> Vec<Finding> {
    let run = || -> Result<Vec<Finding>, String> {
        let zones = client.list_hosted_zones().map_err(|e| e.to_string())?;
        let req = AuditRequest {
            regions: Vec::new(),
            min_days: 0,
            stuck_after: i64::MAX,
            concurrency: 1,
            metrics: None,
            at,
            wall: at,
            dns: None,
        };
        let c = AuditCert {
            detail: d.clone(),
            kind: Some("AMAZON_ISSUED".into()),
            ..AuditCert::default()
        };
        let mut a =
            audit_one(client, &client.region(), c, &zones, &req).map_err(|e| e.to_string())?;
        if let Some(cfg) = dns {
            let resolver = crate::dns::Resolver::new(cfg.clone()).map_err(|e| e.to_string())?;
            check_dns(&resolver, client, &mut a).map_err(|e| e.to_string())?;
        }
        Ok(a.findings
            .into_iter()
            .filter(|f| CAUSES.iter().any(|c| f.code == *c))
            .collect())
    };
    run().unwrap_or_else(|why| {
        vec![Finding {
            code: AcmCode::WhyPendingUnknown.into(),
            severity: Severity::Info,
            message: format!("could not look for the cause: {why}"),
            hint: None,
            certificate: None,
        }]
    })
}

/// The finding codes that explain a validation that does not complete.
pub(crate) const CAUSES: &[AcmCode] = &[
    AcmCode::ValidationRecordMissing,
    AcmCode::ValidationZonePrivate,
    AcmCode::ValidationCnameNotInDns,
    AcmCode::ZoneDelegationMismatch,
    AcmCode::CaaForbidsAmazon,
    AcmCode::DnsCheckSkipped,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{Acm, CertDetail, CertListItem, Dns, ListQuery, RequestSpec, Validation};

    /// One region's certificates and one zone's records, in memory.
    struct Region {
        certs: Vec<AuditCert>,
        records: Vec<DnsRecord>,
        generated: Vec<GeneratedClientCert>,
        fail: bool,
    }

    impl Acm for Region {
        fn list_certificates(&self, _: &ListQuery) -> Result<Vec<CertListItem>, AwsError> {
            if self.fail {
                return Err(AwsError::Transport {
                    action: "acm:ListCertificates".into(),
                    cause: "connection refused".into(),
                    detail: String::new(),
                });
            }
            Ok(self
                .certs
                .iter()
                .map(|c| CertListItem {
                    arn: c.detail.arn.clone(),
                    domain: c.detail.domain.clone(),
                    names: c.detail.names.clone(),
                    status: c.detail.status.clone(),
                    key_algorithm: None,
                    not_after: c.detail.not_after,
                    in_use: !c.detail.in_use_by.is_empty(),
                })
                .collect())
        }
        fn describe_certificate(&self, arn: &str) -> Result<CertDetail, AwsError> {
            Ok(self.audit_certificate(arn)?.detail)
        }
        fn request_certificate(&self, _: &RequestSpec) -> Result<String, AwsError> {
            unreachable!("the audit never requests")
        }
        fn get_certificate(&self, arn: &str) -> Result<(String, Option<String>), AwsError> {
            // No PEM here: an imported certificate is then not taken for a client's.
            Err(AwsError::NotFound {
                what: "certificate".into(),
                message: arn.into(),
            })
        }
        fn import_certificate(&self, _: &crate::aws::ImportSpec) -> Result<String, AwsError> {
            unreachable!("the audit never imports")
        }
        fn region(&self) -> String {
            "eu-west-1".into()
        }
    }

    impl Dns for Region {
        fn list_hosted_zones(&self) -> Result<Vec<HostedZone>, AwsError> {
            Ok(vec![HostedZone {
                id: "Z1".into(),
                name: "example.com".into(),
                private: false,
            }])
        }
        fn upsert(&self, _: &str, _: &[DnsRecord]) -> Result<String, AwsError> {
            unreachable!("the audit never writes")
        }
        fn list_records(&self, _: &str) -> Result<Vec<DnsRecord>, AwsError> {
            Ok(self.records.clone())
        }
    }

    impl crate::aws::Stages for Region {
        fn stage(&self, _: &str, _: &str) -> Result<crate::aws::StageInfo, AwsError> {
            unreachable!("the audit reads no stage")
        }
        fn set_stage_client_certificate(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
        ) -> Result<crate::aws::StageInfo, AwsError> {
            unreachable!("the audit never writes")
        }
        fn client_certificate(&self, _: &str) -> Result<GeneratedClientCert, AwsError> {
            unreachable!("the audit lists them")
        }
        fn client_certificates(&self) -> Result<Vec<GeneratedClientCert>, AwsError> {
            Ok(self.generated.clone())
        }
    }

    impl AuditCalls for Region {
        fn audit_certificate(&self, arn: &str) -> Result<AuditCert, AwsError> {
            self.certs
                .iter()
                .find(|c| c.detail.arn == arn)
                .cloned()
                .ok_or(AwsError::NotFound {
                    what: "certificate".into(),
                    message: arn.into(),
                })
        }
    }

    const AT: i64 = 1_800_000_000;

    fn record(name: &str) -> DnsRecord {
        DnsRecord {
            name: format!("_x.{name}."),
            kind: "CNAME".into(),
            value: "_y.acm-validations.aws.".into(),
        }
    }

    fn amazon(name: &str, status: &str) -> AuditCert {
        AuditCert {
            detail: CertDetail {
                arn: format!("arn:aws:acm:eu-west-1:1:certificate/{name}"),
                domain: name.into(),
                names: vec![name.into()],
                status: status.into(),
                not_after: Some(AT + 200 * 86_400),
                in_use_by: vec!["arn:aws:elasticloadbalancing:lb".into()],
                renewal_eligibility: Some("ELIGIBLE".into()),
                validations: vec![Validation {
                    domain: name.into(),
                    status: Some("SUCCESS".into()),
                    record: Some(record(name)),
                }],
                ..CertDetail::default()
            },
            kind: Some("AMAZON_ISSUED".into()),
            created_at: Some(AT - 3600),
            validation_methods: vec![Some("DNS".into())],
            ..AuditCert::default()
        }
    }

    fn req() -> AuditRequest {
        AuditRequest {
            regions: vec!["eu-west-1".into()],
            min_days: 30,
            stuck_after: 6 * 3600,
            concurrency: 4,
            metrics: None,
            at: AT,
            wall: AT,
            dns: None,
        }
    }

    fn codes(c: &AuditCertificate) -> Vec<(&'static str, Severity)> {
        c.findings
            .iter()
            .map(|f| (f.code.as_str(), f.severity))
            .collect()
    }

    fn audit(certs: Vec<AuditCert>, records: Vec<DnsRecord>) -> AuditReport {
        let connect = |_: &str| {
            Ok(Region {
                certs: certs.clone(),
                records: records.clone(),
                generated: Vec::new(),
                fail: false,
            })
        };
        run(&req(), &connect).unwrap()
    }

    #[test]
    fn generated_client_certificates_show_their_expiry_in_findings_and_metrics() {
        let generated = |id: &str, days: i64| GeneratedClientCert {
            id: id.into(),
            description: Some("backend".into()),
            pem: String::new(),
            created: Some(AT - 300 * 86_400),
            expires: Some(AT + days * 86_400 + 10),
        };
        let connect = |_: &str| {
            Ok(Region {
                certs: Vec::new(),
                records: Vec::new(),
                generated: vec![
                    generated("near", 10),
                    generated("far", 200),
                    generated("old", -2),
                ],
                fail: false,
            })
        };
        let r = run(&req(), &connect).unwrap();
        let g = &r.apigateway_client_certificates;
        assert_eq!(g.len(), 3);
        let codes: Vec<Vec<&str>> = g
            .iter()
            .map(|c| c.findings.iter().map(|f| f.code.as_str()).collect())
            .collect();
        assert_eq!(codes, [vec!["expires-soon"], vec![], vec!["expired"]]);
        assert_eq!(g[0].days_left, Some(10));
        assert!(g[0].findings[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("never renews"));
        assert_eq!((r.deny, r.exit_code()), (2, ExitStatus::CheckFailed));
        let t = metrics_text(&r);
        let text = t.as_str();
        assert!(
            text.contains(&format!(
                "certctl_client_certificate_expiry_timestamp_seconds{{region=\"eu-west-1\",id=\"near\",kind=\"apigateway\"}} {}",
                AT + 10 * 86_400 + 10
            )),
            "{text}"
        );
    }

    #[test]
    fn a_healthy_certificate_has_no_findings() {
        let r = audit(
            vec![amazon("api.example.com", "ISSUED")],
            vec![record("api.example.com")],
        );
        assert_eq!(r.certificates[0].findings, vec![]);
        assert_eq!(r.certificates[0].validations[0].record_in_zone, Some(true));
        assert_eq!(r.exit_code(), ExitStatus::Ok);
    }

    #[test]
    fn each_finding_code() {
        let mut failed = amazon("failed.example.com", "FAILED");
        failed.detail.failure_reason = Some("CAA_ERROR".into());
        let mut renewal = amazon("renew.example.com", "ISSUED");
        renewal.detail.renewal_status = Some("FAILED".into());
        renewal.renewal_failure_reason = Some("DOMAIN_VALIDATION_DENIED".into());
        let mut unused = amazon("unused.example.com", "ISSUED");
        unused.detail.in_use_by.clear();
        unused.detail.renewal_eligibility = Some("INELIGIBLE".into());
        let mut stuck = amazon("stuck.example.com", "PENDING_VALIDATION");
        stuck.created_at = Some(AT - 7 * 3600);
        let mut fresh = amazon("fresh.example.com", "PENDING_VALIDATION");
        fresh.created_at = Some(AT - 5 * 3600);
        let mut soon = amazon("soon.example.com", "ISSUED");
        soon.detail.not_after = Some(AT + 29 * 86_400 + 10);
        let mut imported = amazon("legacy.example.com", "ISSUED");
        imported.kind = Some("IMPORTED".into());
        imported.detail.validations.clear();
        imported.detail.in_use_by.clear();
        imported.detail.renewal_eligibility = Some("INELIGIBLE".into());
        imported.detail.not_after = Some(AT + 5 * 86_400);
        let records = [
            "failed.example.com",
            "renew.example.com",
            "unused.example.com",
            "stuck.example.com",
            "fresh.example.com",
            "soon.example.com",
        ]
        .map(record)
        .to_vec();
        let r = audit(
            vec![failed, renewal, unused, stuck, fresh, soon, imported],
            records,
        );
        let by = |d: &str| {
            codes(
                r.certificates
                    .iter()
                    .find(|c| c.domain == d)
                    .unwrap_or_else(|| panic!("{d}")),
            )
        };
        use Severity::*;
        assert_eq!(by("failed.example.com"), vec![("failed", Deny)]);
        assert_eq!(by("renew.example.com"), vec![("renewal-failed", Deny)]);
        assert_eq!(
            by("unused.example.com"),
            vec![("not-in-use", Warn), ("renewal-ineligible", Warn)]
        );
        assert_eq!(
            by("stuck.example.com"),
            vec![("pending-validation-stuck", Deny)]
        );
        assert_eq!(by("fresh.example.com"), vec![]);
        assert_eq!(by("soon.example.com"), vec![("expires-soon", Deny)]);
        assert_eq!(
            by("legacy.example.com"),
            vec![("expires-soon", Deny), ("not-in-use", Info)]
        );
        assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
    }

    #[test]
    fn a_missing_or_changed_cname_is_reported() {
        let mut changed = record("other.example.com");
        changed.value = "_z.acm-validations.aws.".into();
        let r = audit(
            vec![
                amazon("api.example.com", "ISSUED"),
                amazon("other.example.com", "ISSUED"),
            ],
            vec![changed],
        );
        for c in &r.certificates {
            assert_eq!(
                codes(c),
                vec![("validation-record-missing", Severity::Deny)],
                "{}",
                c.domain
            );
            assert_eq!(c.validations[0].record_in_zone, Some(false));
        }
    }

    #[test]
    fn one_unreachable_region_is_reported_and_all_unreachable_is_an_error() {
        let mut q = req();
        q.regions = vec!["eu-west-1".into(), "us-east-1".into()];
        let connect = |r: &str| {
            Ok(Region {
                certs: vec![amazon("api.example.com", "ISSUED")],
                records: vec![record("api.example.com")],
                generated: Vec::new(),
                fail: r == "us-east-1",
            })
        };
        let r = run(&q, &connect).unwrap();
        assert_eq!(r.regions[1].region, "us-east-1");
        assert!(r.regions[1].error.is_some());
        assert_eq!(r.certificates.len(), 1);
        assert_eq!(r.exit_code(), ExitStatus::Operational);
        let text = metrics_text(&r);
        assert!(text
            .text()
            .contains("certctl_acm_audit_region_up{region=\"us-east-1\"} 0\n"));
        // An unread region has no count (not 0, which would read as "no certificates").
        assert!(text
            .text()
            .contains("certctl_acm_audit_certificates{region=\"eu-west-1\"} 1\n"));
        assert!(!text
            .text()
            .contains("certctl_acm_audit_certificates{region=\"us-east-1\"}"));
        let json = serde_json::to_value(&r.regions[1]).unwrap();
        assert!(json.get("certificates").is_none(), "{json}");
        let human = crate::output::human::Human::human(
            &r,
            &crate::output::human::Style {
                color: false,
                verbose: 0,
            },
        );
        assert!(
            human.contains("1 certificate(s) in 1 of 2 region(s) (1 could not be read)"),
            "{human}"
        );

        // Nothing readable: an error, and the metrics file still says so.
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("audit.prom");
        std::fs::write(&file, "certctl_acm_audit_success 1\n").unwrap();
        q.metrics = Some(file.clone());
        q.wall = 1_900_000_000;
        let down = |_: &str| {
            Ok(Region {
                certs: vec![],
                records: vec![],
                generated: Vec::new(),
                fail: true,
            })
        };
        assert!(matches!(run(&q, &down), Err(AuditError::Aws(_))));
        let text = std::fs::read_to_string(&file).unwrap();
        for line in [
            "certctl_acm_audit_region_up{region=\"eu-west-1\"} 0\n",
            "certctl_acm_audit_region_up{region=\"us-east-1\"} 0\n",
            "certctl_acm_audit_success 0\n",
            "certctl_acm_audit_last_run_timestamp_seconds 1900000000\n",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
        assert!(!text.contains("certctl_acm_audit_certificates"), "{text}");
    }

    #[test]
    fn region_lists() {
        assert_eq!(regions(&[], true, None).unwrap().len(), 17);
        assert_eq!(
            regions(
                &["eu-west-1,us-east-1".into(), "eu-west-1".into()],
                false,
                None
            )
            .unwrap(),
            vec!["eu-west-1", "us-east-1"]
        );
        assert_eq!(
            regions(&[], false, Some("eu-west-2")).unwrap(),
            vec!["eu-west-2"]
        );
        assert!(matches!(
            regions(&[], false, None),
            Err(AuditError::NoRegion)
        ));
        for bad in ["eu west", "-eu", "../x", "", "a".repeat(40).as_str()] {
            assert!(
                matches!(
                    regions(&[bad.into()], false, None),
                    Err(AuditError::BadRegion(_))
                ),
                "{bad}"
            );
        }
    }
}
