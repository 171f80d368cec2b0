//! `certctl acm request|records|status|list|attach`: the ALB's ACM certificate for the NLB
//! hostname, found or requested idempotently, DNS-validated through Route 53, attached.

use std::time::Duration;

use serde::Serialize;

use crate::aws::{
    arn_region, Acm, AwsError, CertDetail, Dns, DnsRecord, Elb, HostedZone, ListQuery, RequestSpec,
    ALL_KEY_TYPES,
};
use crate::findings::{Finding, Severity};
use crate::names::{self, NameError};
use crate::progress::Progress;

#[derive(Debug, thiserror::Error)]
pub enum AcmError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{0} names requested; ACM allows {1} per certificate by default")]
    TooManyNames(usize, usize),
    #[error("unknown key algorithm \"{0}\" (expected rsa-2048, ec-p256 or ec-p384)")]
    KeyAlgorithm(String),
    #[error("no certificate for {0} in this region")]
    NoCertificate(String),
    #[error("no public hosted zone holds {0}")]
    NoZone(String),
    #[error(
        "hosted zone {id} ({name}) is private; ACM validates (and renews) only through public DNS"
    )]
    PrivateZone { id: String, name: String },
    #[error("hosted zone {0} not found")]
    ZoneNotFound(String),
    #[error("certificate {arn} is {status}, not ISSUED; it cannot be attached yet")]
    NotIssued { arn: String, status: String },
    #[error(
        "listener {arn} is {protocol}, not HTTPS; certificates go on the ALB's HTTPS listener"
    )]
    NotHttps { arn: String, protocol: String },
    #[error("the certificate is in {cert}, the listener in {listener}; a certificate must be in the load balancer's region")]
    RegionMismatch { cert: String, listener: String },
    #[error("the certificate is in {arn}, but certctl is talking to {client}")]
    OtherRegion { arn: String, client: String },
    #[error("\"{0}\" is not an ACM certificate ARN")]
    BadArn(String),
    #[error("bad --tag \"{0}\": expected KEY=VALUE")]
    BadTag(String),
    #[error("{name} is {len} octets; ACM's first name (DomainName) is at most 64, and no other name is short enough to go first")]
    FirstNameTooLong { name: String, len: usize },
    #[error("{name} is not in hosted zone {zone_id} ({zone_name})")]
    NameOutsideZone {
        name: String,
        zone_id: String,
        zone_name: String,
    },
    /// A failure after something was already changed; `changes` says what.
    #[error("{source}")]
    Partial {
        changes: Vec<crate::jobs::Change>,
        source: Box<AcmError>,
    },
}

impl AcmError {
    /// This error, recording what was changed before it (nothing: unchanged).
    fn after(self, changes: &[crate::jobs::Change]) -> AcmError {
        match self {
            _ if changes.is_empty() => self,
            AcmError::Partial { source, .. } => AcmError::Partial {
                changes: changes.to_vec(),
                source,
            },
            e => AcmError::Partial {
                changes: changes.to_vec(),
                source: Box::new(e),
            },
        }
    }
}

impl crate::jobs::JobError for AcmError {
    fn exit_code(&self) -> u8 {
        match self {
            AcmError::Aws(AwsError::NotFound { .. }) => 2,
            AcmError::Aws(e) => e.exit_code(),
            AcmError::Partial { source, .. } => source.exit_code(),
            _ => 2,
        }
    }

    fn changes(&self) -> Vec<crate::jobs::Change> {
        match self {
            AcmError::Partial { changes, .. } => changes.clone(),
            _ => Vec::new(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            AcmError::Partial { source, .. } => source
                .hint()
                .map(|h| format!("{h}; running the same command again completes it (it is idempotent)"))
                .or_else(|| Some("running the same command again completes it (it is idempotent)".into())),
            AcmError::FirstNameTooLong { .. } => Some("add a name of at most 64 octets (e.g. the parent domain or a wildcard) with --san: certctl puts it first and keeps the long one as a SAN (up to 253)".into()),
            AcmError::NameOutsideZone { .. } => Some("pass the zone that holds every name, or --route53-zone auto".into()),
            AcmError::ZoneNotFound(_) => Some("`aws route53 list-hosted-zones` lists the zone ids; or --route53-zone auto".into()),
            AcmError::Aws(e) => e.hint(),
            AcmError::NoZone(_) | AcmError::PrivateZone { .. } => {
                Some("create the public zone, or drop --route53-zone and add the printed records yourself".into())
            }
            AcmError::NotIssued { .. } => Some("`certctl acm request HOST --wait` waits until it is issued".into()),
            AcmError::RegionMismatch { .. } => Some("request the certificate with --region set to the ALB's region".into()),
            AcmError::OtherRegion { arn, .. } => Some(format!("pass --region {arn}")),
            AcmError::Name(_) => Some("names: letters, digits, hyphens; a wildcard only as the whole leftmost label; IDNs in punycode (xn--…)".into()),
            _ => None,
        }
    }
}

/// A clock and a sleep, injected so the wait loops are testable.
pub trait Waiter {
    /// Seconds since an arbitrary start.
    fn elapsed(&self) -> f64;
    fn sleep(&self, d: Duration);
}

/// The real clock.
pub struct RealWaiter(pub std::time::Instant);

impl Waiter for RealWaiter {
    fn elapsed(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// How to poll.
#[derive(Debug, Clone)]
pub struct Polling {
    pub first: Duration,
    pub max: Duration,
    /// How long to wait for the validation records to appear after a request.
    pub records_timeout: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            first: Duration::from_secs(2),
            max: Duration::from_secs(30),
            records_timeout: Duration::from_secs(120),
        }
    }
}

/// What `acm request` should do.
#[derive(Debug, Clone)]
pub struct AcmRequest {
    pub host: String,
    pub sans: Vec<String>,
    pub key_algorithm: String,
    pub route53_zone: Option<String>,
    pub wait: bool,
    pub timeout: Duration,
    pub tags: Vec<String>,
    pub dry_run: bool,
    pub max_names: usize,
}

/// The ACM certificate as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct CertReport {
    pub arn: String,
    /// ACM's own value: `ISSUED`, `PENDING_VALIDATION`, `FAILED`, …
    pub status: String,
    pub names: Vec<String>,
    pub key_algorithm: Option<String>,
    pub not_after: Option<String>,
    pub days_left: Option<i64>,
    pub in_use_by: Vec<String>,
    pub renewal_eligibility: Option<String>,
    pub renewal_status: Option<String>,
    pub failure_reason: Option<String>,
    pub records: Vec<DnsRecord>,
    pub validations: Vec<crate::aws::Validation>,
}

/// The names of a certificate, its domain first.
fn domain_first(domain: &str, names: &[String]) -> Vec<String> {
    std::iter::once(domain.to_string())
        .chain(names.iter().filter(|n| *n != domain).cloned())
        .collect()
}

fn cert_report(d: &CertDetail, at: i64) -> CertReport {
    CertReport {
        arn: d.arn.clone(),
        status: d.status.clone(),
        names: domain_first(&d.domain, &d.names),
        key_algorithm: d.key_algorithm.clone(),
        not_after: d.not_after.map(crate::x509::rfc3339),
        days_left: d.not_after.map(|t| crate::x509::days_until(t, at)),
        in_use_by: d.in_use_by.clone(),
        renewal_eligibility: d.renewal_eligibility.clone(),
        renewal_status: d.renewal_status.clone(),
        failure_reason: d.failure_reason.clone(),
        records: records_of(d),
        validations: d.validations.clone(),
    }
}

/// Validation records, once each (a wildcard and its apex share one).
fn records_of(d: &CertDetail) -> Vec<DnsRecord> {
    let mut out: Vec<DnsRecord> = Vec::new();
    for r in d.validations.iter().filter_map(|v| v.record.clone()) {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneChange {
    pub zone_id: String,
    pub zone_name: String,
    pub records: Vec<DnsRecord>,
    pub change_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestReport {
    pub schema_version: u32,
    pub region: String,
    /// `reused` (same name set already in ACM), `requested`, or `would-request` (dry run).
    pub action: &'static str,
    pub dry_run: bool,
    /// The certificate's `arn`, `status`, `names`, `records`, `not_after`, … at the top level.
    #[serde(flatten)]
    pub certificate: Option<CertReport>,
    /// The validated names asked for, host first.
    pub requested_names: Vec<String>,
    pub route53: Vec<ZoneChange>,
    pub calls: Vec<String>,
    pub findings: Vec<Finding>,
    pub waited_secs: Option<u64>,
}

impl RequestReport {
    pub fn exit_code(&self) -> u8 {
        u8::from(self.findings.iter().any(|f| f.severity == Severity::Deny))
    }
}

/// ACM's name for a key algorithm flag.
pub fn acm_key_algorithm(flag: &str) -> Result<&'static str, AcmError> {
    Ok(match flag.to_ascii_lowercase().as_str() {
        "rsa-2048" | "rsa_2048" => "RSA_2048",
        "ec-p256" | "ecdsa-p256" | "ec_prime256v1" => "EC_prime256v1",
        "ec-p384" | "ecdsa-p384" | "ec_secp384r1" => "EC_secp384r1",
        _ => return Err(AcmError::KeyAlgorithm(flag.to_string())),
    })
}

/// Validated, deduplicated names: the host first.
pub fn name_set(host: &str, sans: &[String], max: usize) -> Result<Vec<String>, AcmError> {
    let mut names = Vec::new();
    for n in std::iter::once(host).chain(sans.iter().map(String::as_str)) {
        let n = names::dns_name(n)?;
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.len() > max {
        return Err(AcmError::TooManyNames(names.len(), max));
    }
    // ACM's DomainName (the first name, the subject CN) is at most 64 octets; the others up
    // to 253. A longer first name goes behind the first one that fits.
    if names[0].len() > MAX_FIRST_NAME {
        match names.iter().position(|n| n.len() <= MAX_FIRST_NAME) {
            Some(i) => {
                let short = names.remove(i);
                names.insert(0, short);
            }
            None => {
                return Err(AcmError::FirstNameTooLong {
                    len: names[0].len(),
                    name: names[0].clone(),
                })
            }
        }
    }
    Ok(names)
}

/// ACM's limit on the first name of a request (the subject CN), in octets.
pub const MAX_FIRST_NAME: usize = 64;

fn sorted(v: &[String]) -> Vec<String> {
    let mut s: Vec<String> = v.iter().map(|n| n.to_ascii_lowercase()).collect();
    s.sort();
    s.dedup();
    s
}

/// The ListCertificates query: every key type (ACM lists only RSA without it).
pub fn list_query(statuses: &[&'static str]) -> ListQuery {
    ListQuery {
        key_types: ALL_KEY_TYPES.to_vec(),
        statuses: statuses.to_vec(),
    }
}

/// An existing certificate (ISSUED or PENDING_VALIDATION) for exactly this name set.
pub fn find_existing(acm: &dyn Acm, names: &[String]) -> Result<Option<CertDetail>, AcmError> {
    let want = sorted(names);
    let list = acm.list_certificates(&list_query(&["ISSUED", "PENDING_VALIDATION"]))?;
    for c in list
        .iter()
        .filter(|c| c.domain.eq_ignore_ascii_case(&names[0]))
    {
        let d = acm.describe_certificate(&c.arn)?;
        let mut have = d.names.clone();
        have.push(d.domain.clone());
        if sorted(&have) == want && matches!(d.status.as_str(), "ISSUED" | "PENDING_VALIDATION") {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// A token that makes the same request idempotent (ACM keeps it for an hour).
pub fn idempotency_token(names: &[String], key_algorithm: &str) -> String {
    let text = format!("{}|{key_algorithm}", sorted(names).join(","));
    crate::x509::Fingerprint::sha256(text.as_bytes()).0[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The public zone with the longest suffix match for `name`.
pub fn zone_for<'z>(zones: &'z [HostedZone], name: &str) -> Result<&'z HostedZone, AcmError> {
    let name = name
        .trim_start_matches("*.")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let matches = |z: &&HostedZone| name == z.name || name.ends_with(&format!(".{}", z.name));
    let best_public = zones
        .iter()
        .filter(|z| !z.private)
        .filter(matches)
        .max_by_key(|z| z.name.len());
    match best_public {
        Some(z) => Ok(z),
        None => match zones.iter().filter(matches).max_by_key(|z| z.name.len()) {
            Some(z) => Err(AcmError::PrivateZone {
                id: z.id.clone(),
                name: z.name.clone(),
            }),
            None => Err(AcmError::NoZone(name)),
        },
    }
}

/// The next pause of a wait: the backoff delay, never past the deadline (`left` seconds).
fn pause(delay: Duration, left: f64) -> Duration {
    delay.min(Duration::from_secs_f64(left.max(0.0)))
}

/// Polls DescribeCertificate until every validation record is published, the certificate
/// leaves PENDING_VALIDATION, `records_timeout` passes or the deadline does. Throttling, 5xx,
/// timeouts and dropped connections are polled again with backoff; the last good answer wins.
fn poll_records(
    acm: &dyn Acm,
    arn: &str,
    p: &Polling,
    w: &dyn Waiter,
    deadline: f64,
) -> Result<CertDetail, AcmError> {
    let start = w.elapsed();
    let until = (start + p.records_timeout.as_secs_f64()).min(deadline);
    let mut delay = Duration::from_millis(500).min(p.first);
    let mut last: Option<CertDetail> = None;
    // Bounded: every round sleeps at least 50 ms of the waiter's time (or ends).
    loop {
        match acm.describe_certificate(arn) {
            Ok(d) => {
                let complete =
                    !d.validations.is_empty() && d.validations.iter().all(|v| v.record.is_some());
                if complete || d.status != "PENDING_VALIDATION" {
                    return Ok(d);
                }
                last = Some(d);
            }
            Err(e) if e.is_transient() || matches!(e, AwsError::Deadline { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let left = until - w.elapsed();
        if left <= 0.0 {
            return match last {
                Some(d) => Ok(d),
                None => acm.describe_certificate(arn).map_err(AcmError::from),
            };
        }
        w.sleep(pause(delay, left).max(Duration::from_millis(50)));
        delay = (delay * 2).min(p.max);
    }
}

/// Where each name's validation record goes: every zone is looked up (and refused when
/// unknown, private or not holding the name) before anything is written.
fn plan_zones(
    dns: &dyn Dns,
    zone_arg: &str,
    names: &[String],
) -> Result<Vec<(String, HostedZone)>, AcmError> {
    let zones = dns.list_hosted_zones()?;
    let explicit = if zone_arg == "auto" {
        None
    } else {
        let id = zone_arg.trim_start_matches("/hostedzone/");
        let z = zones
            .iter()
            .find(|z| z.id == id)
            .ok_or_else(|| AcmError::ZoneNotFound(zone_arg.to_string()))?;
        if z.private {
            return Err(AcmError::PrivateZone {
                id: z.id.clone(),
                name: z.name.clone(),
            });
        }
        Some(z.clone())
    };
    names
        .iter()
        .map(|n| {
            let zone = match &explicit {
                None => zone_for(&zones, n)?.clone(),
                Some(z) => {
                    let bare = n.trim_start_matches("*.").to_ascii_lowercase();
                    if bare != z.name && !bare.ends_with(&format!(".{}", z.name)) {
                        return Err(AcmError::NameOutsideZone {
                            name: n.clone(),
                            zone_id: z.id.clone(),
                            zone_name: z.name.clone(),
                        });
                    }
                    z.clone()
                }
            };
            Ok((n.to_ascii_lowercase(), zone))
        })
        .collect()
}

/// Find-or-request, records, Route 53 UPSERT, wait. `req.timeout` is the deadline of the
/// whole request, measured on `waiter` from its start: every call and every wait ends by then.
#[allow(clippy::too_many_arguments)]
pub fn request(
    acm: &dyn Acm,
    dns: &dyn Dns,
    req: &AcmRequest,
    polling: &Polling,
    waiter: &dyn Waiter,
    progress: &dyn Progress,
    at: i64,
) -> Result<RequestReport, AcmError> {
    let mut changes: Vec<crate::jobs::Change> = Vec::new();
    request_inner(acm, dns, req, polling, waiter, progress, at, &mut changes)
        .map_err(|e| e.after(&changes))
}

#[allow(clippy::too_many_arguments)]
fn request_inner(
    acm: &dyn Acm,
    dns: &dyn Dns,
    req: &AcmRequest,
    polling: &Polling,
    waiter: &dyn Waiter,
    progress: &dyn Progress,
    at: i64,
    changes: &mut Vec<crate::jobs::Change>,
) -> Result<RequestReport, AcmError> {
    let deadline = req.timeout.as_secs_f64();
    let names = name_set(&req.host, &req.sans, req.max_names)?;
    let key = acm_key_algorithm(&req.key_algorithm)?;
    let tags = req
        .tags
        .iter()
        .map(|t| {
            t.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| AcmError::BadTag(t.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut report = RequestReport {
        schema_version: 1,
        region: acm.region(),
        action: "requested",
        dry_run: req.dry_run,
        certificate: None,
        requested_names: names.clone(),
        route53: Vec::new(),
        calls: vec![format!(
            "acm:ListCertificates (all key types) in {}",
            acm.region()
        )],
        findings: Vec::new(),
        waited_secs: None,
    };
    let first_asked = crate::names::dns_name(&req.host).unwrap_or_default();
    if names[0] != first_asked {
        report.findings.push(Finding {
            code: "acm-names-reordered",
            severity: Severity::Info,
            message: format!(
                "{first_asked} is {} octets, more than ACM's 64 for the first name: {} goes first, {first_asked} stays a SAN",
                first_asked.len(),
                names[0]
            ),
            hint: None,
            certificate: None,
        });
    }
    // Every zone is checked before anything is written (also in a dry run).
    let plan = match &req.route53_zone {
        Some(z) => Some(plan_zones(dns, z, &names)?),
        None => None,
    };
    let detail = match find_existing(acm, &names)? {
        Some(d) => {
            report.action = "reused";
            d
        }
        None if req.dry_run => {
            report.action = "would-request";
            report.calls.push(format!(
                "acm:RequestCertificate domain={} sans=[{}] key={key} validation=DNS token={}",
                names[0],
                names[1..].join(","),
                idempotency_token(&names, key)
            ));
            for (_, z) in plan.iter().flatten() {
                let call = format!(
                    "route53:ChangeResourceRecordSets zone={} ({}) UPSERT the validation CNAMEs (known once requested)",
                    z.id, z.name
                );
                if !report.calls.contains(&call) {
                    report.calls.push(call);
                }
            }
            return Ok(report);
        }
        None => {
            let spec = RequestSpec {
                domain: names[0].clone(),
                sans: names.clone(),
                key_algorithm: key.to_string(),
                idempotency_token: idempotency_token(&names, key),
                tags,
            };
            report.calls.push("acm:RequestCertificate".into());
            let arn = acm.request_certificate(&spec)?;
            changes.push(crate::jobs::Change {
                kind: "acm-certificate",
                id: arn.clone(),
            });
            progress.begin(&format!(
                "waiting for ACM to publish the validation records of {arn}"
            ));
            let d = poll_records(acm, &arn, polling, waiter, deadline);
            progress.end(match &d {
                Ok(d) if d.validations.iter().all(|v| v.record.is_some()) => "published",
                Ok(_) => "not all published yet",
                Err(_) => "failed",
            });
            d?
        }
    };
    if let Some(plan) = &plan {
        let mut zone_changes: Vec<ZoneChange> = Vec::new();
        for v in detail.validations.iter() {
            let Some(rec) = &v.record else { continue };
            let domain = v.domain.to_ascii_lowercase();
            let Some((_, zone)) = plan.iter().find(|(n, _)| *n == domain) else {
                continue;
            };
            match zone_changes.iter_mut().find(|c| c.zone_id == zone.id) {
                Some(c) if !c.records.contains(rec) => c.records.push(rec.clone()),
                Some(_) => {}
                None => zone_changes.push(ZoneChange {
                    zone_id: zone.id.clone(),
                    zone_name: zone.name.clone(),
                    records: vec![rec.clone()],
                    change_id: None,
                }),
            }
        }
        for c in zone_changes.iter_mut() {
            report.calls.push(format!(
                "route53:ChangeResourceRecordSets zone={} UPSERT {} CNAME",
                c.zone_id,
                c.records.len()
            ));
            if !req.dry_run {
                c.change_id = Some(dns.upsert(&c.zone_id, &c.records)?);
                changes.push(crate::jobs::Change {
                    kind: "route53-records",
                    id: c.zone_id.clone(),
                });
            }
        }
        report.route53 = zone_changes;
    }
    let mut detail = detail;
    if req.wait && !req.dry_run && detail.status == "PENDING_VALIDATION" {
        let start = waiter.elapsed();
        let mut delay = polling.first;
        let mut last_error: Option<AwsError> = None;
        progress.begin(&format!("waiting for ACM to validate {}", names.join(", ")));
        // Bounded by the deadline: every round sleeps at least 50 ms of the waiter's time.
        loop {
            let names: Vec<String> = detail
                .validations
                .iter()
                .map(|v| format!("{}={}", v.domain, v.status.as_deref().unwrap_or("?")))
                .collect();
            progress.update(&format!("{} {}", detail.status, names.join(" ")));
            if detail.status != "PENDING_VALIDATION" {
                break;
            }
            let left = deadline - waiter.elapsed();
            if left <= 0.0 {
                report.findings.push(Finding {
                    code: "acm-validation-pending",
                    severity: Severity::Deny,
                    message: format!(
                        "still PENDING_VALIDATION after {} s{}",
                        (waiter.elapsed() - start) as u64,
                        last_error
                            .as_ref()
                            .map(|e| format!(" (last poll: {e})"))
                            .unwrap_or_default()
                    ),
                    hint: Some("check that the CNAMEs are in the public zone (`certctl acm records`); validation can take up to 30 minutes; run again with --wait to go on waiting".into()),
                    certificate: None,
                });
                break;
            }
            waiter.sleep(pause(delay, left).max(Duration::from_millis(50)));
            delay = (delay.mul_f64(1.5)).min(polling.max);
            match acm.describe_certificate(&detail.arn) {
                Ok(d) => {
                    detail = d;
                    last_error = None;
                }
                // Throttling, 5xx, timeouts, dropped connections: poll again until the deadline.
                Err(e) if e.is_transient() || matches!(e, AwsError::Deadline { .. }) => {
                    progress.update(&format!("poll failed, trying again: {e}"));
                    last_error = Some(e);
                }
                Err(e) => {
                    progress.end("failed");
                    return Err(e.into());
                }
            }
        }
        progress.end(&detail.status);
        report.waited_secs = Some((waiter.elapsed() - start) as u64);
        if matches!(detail.status.as_str(), "FAILED" | "VALIDATION_TIMED_OUT") {
            report.findings.push(Finding {
                code: "acm-validation-failed",
                severity: Severity::Deny,
                message: format!(
                    "ACM says {}{}",
                    detail.status,
                    detail
                        .failure_reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
                hint: Some(
                    "fix the cause and request again; a failed certificate is not retried".into(),
                ),
                certificate: None,
            });
        }
    }
    report.certificate = Some(cert_report(&detail, at));
    Ok(report)
}

/// A certificate by ARN, or the newest for a host name.
pub fn resolve(acm: &dyn Acm, arn_or_host: &str) -> Result<CertDetail, AcmError> {
    if arn_or_host.starts_with("arn:") {
        let Some(region) = arn_region(arn_or_host).filter(|_| arn_or_host.contains(":acm:")) else {
            return Err(AcmError::BadArn(arn_or_host.to_string()));
        };
        if region != acm.region() {
            return Err(AcmError::OtherRegion {
                arn: region.to_string(),
                client: acm.region(),
            });
        }
        return Ok(acm.describe_certificate(arn_or_host)?);
    }
    let host = names::dns_name(arn_or_host)?;
    let list = acm.list_certificates(&list_query(&[]))?;
    let rank = |s: &str| match s {
        "ISSUED" => 0,
        "PENDING_VALIDATION" => 1,
        _ => 2,
    };
    let best = list
        .iter()
        .filter(|c| {
            c.domain.eq_ignore_ascii_case(&host)
                || c.names.iter().any(|n| n.eq_ignore_ascii_case(&host))
        })
        .min_by_key(|c| (rank(&c.status), -c.not_after.unwrap_or(0)))
        .ok_or(AcmError::NoCertificate(host))?;
    Ok(acm.describe_certificate(&best.arn)?)
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub schema_version: u32,
    #[serde(flatten)]
    pub certificate: CertReport,
    /// The chain check of the issued certificate against the API Gateway store.
    pub chain: Option<crate::jobs::check::CheckReport>,
}

impl StatusReport {
    pub fn exit_code(&self) -> u8 {
        match (&self.chain, self.certificate.status.as_str()) {
            (Some(c), _) => c.exit_code(),
            (None, "ISSUED" | "PENDING_VALIDATION") => 0,
            _ => 1,
        }
    }
}

/// Status plus, when issued, the `check` verdict of the chain ACM serves.
pub fn status(acm: &dyn Acm, arn_or_host: &str, at: i64) -> Result<StatusReport, AcmError> {
    let d = resolve(acm, arn_or_host)?;
    let chain = if d.status == "ISSUED" {
        let (cert, chain) = acm.get_certificate(&d.arn)?;
        let pem = format!("{cert}\n{}", chain.unwrap_or_default());
        crate::jobs::check::check_pem(pem.as_bytes(), &d.arn, Some(&d.domain), at).ok()
    } else {
        None
    };
    Ok(StatusReport {
        schema_version: 1,
        certificate: cert_report(&d, at),
        chain,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    pub arn: String,
    pub status: String,
    pub names: Vec<String>,
    pub key_algorithm: Option<String>,
    pub not_after: Option<String>,
    pub days_left: Option<i64>,
    pub in_use: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub schema_version: u32,
    pub region: String,
    pub certificates: Vec<ListItem>,
}

pub fn list(acm: &dyn Acm, at: i64) -> Result<ListReport, AcmError> {
    let mut certificates: Vec<ListItem> = acm
        .list_certificates(&list_query(&[]))?
        .into_iter()
        .map(|c| ListItem {
            names: domain_first(&c.domain, &c.names),
            arn: c.arn,
            status: c.status,
            key_algorithm: c.key_algorithm,
            not_after: c.not_after.map(crate::x509::rfc3339),
            days_left: c.not_after.map(|t| crate::x509::days_until(t, at)),
            in_use: c.in_use,
        })
        .collect();
    certificates.sort_by(|a, b| a.names[0].cmp(&b.names[0]));
    Ok(ListReport {
        schema_version: 1,
        region: acm.region(),
        certificates,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachReport {
    pub schema_version: u32,
    pub arn: String,
    pub listener: String,
    /// `attached`, `already-attached`, `set-default`, `already-default`, or `would-attach`.
    pub action: &'static str,
    pub default: bool,
    pub dry_run: bool,
    pub calls: Vec<String>,
    pub listener_certificates: Vec<String>,
}

/// Adds an ISSUED certificate to an HTTPS listener (SNI list, or as default). Idempotent.
pub fn attach(
    acm: &dyn Acm,
    elb: &dyn Elb,
    arn: &str,
    listener: &str,
    default: bool,
    dry_run: bool,
) -> Result<AttachReport, AcmError> {
    if !arn.starts_with("arn:") || !arn.contains(":acm:") {
        return Err(AcmError::BadArn(arn.to_string()));
    }
    let (cr, lr) = (
        arn_region(arn).unwrap_or_default(),
        arn_region(listener).unwrap_or_default(),
    );
    if cr != lr {
        return Err(AcmError::RegionMismatch {
            cert: cr.to_string(),
            listener: lr.to_string(),
        });
    }
    if cr != acm.region() {
        return Err(AcmError::OtherRegion {
            arn: cr.to_string(),
            client: acm.region(),
        });
    }
    let d = acm.describe_certificate(arn)?;
    if d.status != "ISSUED" {
        return Err(AcmError::NotIssued {
            arn: arn.to_string(),
            status: d.status,
        });
    }
    let l = elb.describe_listener(listener)?;
    if l.protocol != "HTTPS" {
        return Err(AcmError::NotHttps {
            arn: listener.to_string(),
            protocol: l.protocol,
        });
    }
    let mut certs = elb.listener_certificates(listener)?;
    let is_default = l.default_certificates.iter().any(|c| c == arn)
        || certs.iter().any(|(c, d)| c == arn && *d);
    let present = is_default || certs.iter().any(|(c, _)| c == arn);
    let mut calls = Vec::new();
    let action = match (default, is_default, present) {
        (true, true, _) => "already-default",
        (false, _, true) => "already-attached",
        (true, false, _) => {
            calls.push(format!(
                "elasticloadbalancing:ModifyListener {listener} default certificate {arn}"
            ));
            if dry_run {
                "would-attach"
            } else {
                elb.set_default_certificate(listener, arn)?;
                "set-default"
            }
        }
        (false, _, false) => {
            calls.push(format!(
                "elasticloadbalancing:AddListenerCertificates {listener} {arn}"
            ));
            if dry_run {
                "would-attach"
            } else {
                elb.add_listener_certificate(listener, arn)?;
                "attached"
            }
        }
    };
    if !dry_run && !calls.is_empty() {
        // The write went through: a failing verification read must say so.
        let done = [crate::jobs::Change {
            kind: "listener-certificate",
            id: format!("{listener} {arn}"),
        }];
        certs = elb
            .listener_certificates(listener)
            .map_err(|e| AcmError::from(e).after(&done))?;
    }
    let mut listener_certificates =
        crate::aws::listener_certificate_arns(&l.default_certificates, &certs);
    if action == "set-default" && !listener_certificates.contains(&arn.to_string()) {
        listener_certificates.push(arn.to_string());
    }
    Ok(AttachReport {
        schema_version: 1,
        arn: arn.to_string(),
        listener: listener.to_string(),
        action,
        default,
        dry_run,
        calls,
        listener_certificates,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordsReport {
    pub schema_version: u32,
    pub arn: String,
    pub status: String,
    pub names: Vec<String>,
    pub records: Vec<DnsRecord>,
    /// `table` or `zone`.
    #[serde(skip)]
    pub format: String,
}

pub fn records_report(d: &CertDetail, format: &str, at: i64) -> Result<RecordsReport, AcmError> {
    if format != "table" && format != "zone" {
        return Err(AcmError::BadTag(format!(
            "--format {format} (expected table or zone)"
        )));
    }
    let c = cert_report(d, at);
    Ok(RecordsReport {
        schema_version: 1,
        arn: c.arn,
        status: c.status,
        names: c.names,
        records: c.records,
        format: format.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::FakeAws;
    use crate::aws::Listener;
    use std::cell::Cell;

    /// Virtual time: sleeping advances it.
    struct FakeWaiter(Cell<f64>);
    impl Waiter for FakeWaiter {
        fn elapsed(&self) -> f64 {
            self.0.get()
        }
        fn sleep(&self, d: Duration) {
            self.0.set(self.0.get() + d.as_secs_f64());
        }
    }

    fn req(host: &str) -> AcmRequest {
        AcmRequest {
            host: host.into(),
            sans: vec![],
            key_algorithm: "ec-p256".into(),
            route53_zone: None,
            wait: false,
            timeout: Duration::from_secs(600),
            tags: vec![],
            dry_run: false,
            max_names: 10,
        }
    }

    fn zones() -> Vec<HostedZone> {
        vec![
            HostedZone {
                id: "ZPUB".into(),
                name: "example.com".into(),
                private: false,
            },
            HostedZone {
                id: "ZSUB".into(),
                name: "api.example.com".into(),
                private: false,
            },
            HostedZone {
                id: "ZPRIV".into(),
                name: "internal.example.com".into(),
                private: true,
            },
        ]
    }

    fn run(aws: &FakeAws, r: &AcmRequest, w: &FakeWaiter) -> Result<RequestReport, AcmError> {
        request(
            aws,
            aws,
            r,
            &Polling::default(),
            w,
            &crate::progress::Silent,
            1_900_000_000,
        )
    }

    #[test]
    fn request_polls_for_records_then_reuses_on_the_second_run() {
        let aws = FakeAws {
            records_after: 3,
            ..FakeAws::default()
        };
        let w = FakeWaiter(Cell::new(0.0));
        let r = run(&aws, &req("api.example.com"), &w).unwrap();
        assert_eq!(r.action, "requested");
        let c = r.certificate.unwrap();
        assert_eq!(c.records.len(), 1, "records appear after polling");
        assert!(w.0.get() > 0.0, "it waited for the records");
        assert_eq!(aws.requests.borrow()[0].key_algorithm, "EC_prime256v1");
        // The same name set again: the EC certificate is found (all key types listed), not re-requested.
        let r2 = run(&aws, &req("API.example.com."), &w).unwrap();
        assert_eq!(r2.action, "reused");
        assert_eq!(aws.requests.borrow().len(), 1);
        assert_eq!(r2.certificate.unwrap().arn, c.arn);
    }

    #[test]
    fn list_queries_name_every_key_type() {
        let aws = FakeAws::default();
        list(&aws, 0).unwrap();
        let q = &aws.list_queries.borrow()[0];
        for k in ["RSA_2048", "EC_prime256v1", "EC_secp384r1"] {
            assert!(q.key_types.contains(&k), "{k}");
        }
    }

    #[test]
    fn the_idempotency_token_depends_only_on_the_name_set_and_key() {
        let a = idempotency_token(
            &["a.example.com".into(), "b.example.com".into()],
            "RSA_2048",
        );
        let b = idempotency_token(
            &["b.example.com".into(), "a.example.com".into()],
            "RSA_2048",
        );
        assert_eq!(a, b);
        assert_ne!(a, idempotency_token(&["a.example.com".into()], "RSA_2048"));
        assert!(a.len() <= 32 && a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn route53_auto_picks_the_longest_public_zone_and_refuses_private_ones() {
        let z = zones();
        assert_eq!(zone_for(&z, "x.api.example.com").unwrap().id, "ZSUB");
        assert_eq!(zone_for(&z, "*.example.com").unwrap().id, "ZPUB");
        assert!(matches!(zone_for(&z, "lb.internal.example.com"), Ok(zz) if zz.id == "ZPUB"));
        let only_private = vec![z[2].clone()];
        assert!(matches!(
            zone_for(&only_private, "lb.internal.example.com"),
            Err(AcmError::PrivateZone { .. })
        ));
        assert!(matches!(
            zone_for(&z, "other.org"),
            Err(AcmError::NoZone(_))
        ));

        let aws = FakeAws {
            zones: z,
            ..FakeAws::default()
        };
        let mut r = req("api.example.com");
        r.sans = vec!["*.api.example.com".into()];
        r.route53_zone = Some("auto".into());
        let rep = run(&aws, &r, &FakeWaiter(Cell::new(0.0))).unwrap();
        let ups = aws.upserts.borrow();
        assert_eq!(ups.len(), 1, "one change batch");
        assert_eq!(ups[0].0, "ZSUB");
        assert_eq!(
            ups[0].1.len(),
            1,
            "the wildcard and the apex share one record"
        );
        assert_eq!(rep.route53[0].change_id.as_deref(), Some("C1"));
    }

    #[test]
    fn wait_backs_off_until_issued_or_times_out_or_fails() {
        let aws = FakeAws {
            issue_after: Some(6),
            ..FakeAws::default()
        };
        let w = FakeWaiter(Cell::new(0.0));
        let mut r = req("api.example.com");
        r.wait = true;
        let seen = crate::progress::Recorder::default();
        let rep = request(
            &aws,
            &aws,
            &r,
            &Polling::default(),
            &w,
            &seen,
            1_900_000_000,
        )
        .unwrap();
        assert_eq!(rep.certificate.as_ref().unwrap().status, "ISSUED");
        assert_eq!(rep.exit_code(), 0);
        // Each wait is bracketed, and the validation wait reports every status it polled.
        let calls = seen.calls();
        assert_eq!(
            calls.iter().filter(|c| c.starts_with("begin:")).count(),
            2,
            "{calls:?}"
        );
        assert_eq!(
            calls.iter().filter(|c| c.starts_with("end:")).count(),
            2,
            "{calls:?}"
        );
        assert!(
            calls
                .iter()
                .any(|c| c == "update: PENDING_VALIDATION api.example.com=PENDING_VALIDATION"),
            "{calls:?}"
        );
        assert_eq!(
            calls.last().map(String::as_str),
            Some("end: ISSUED"),
            "{calls:?}"
        );

        let aws = FakeAws {
            issue_after: None,
            ..FakeAws::default()
        };
        let w = FakeWaiter(Cell::new(0.0));
        r.timeout = Duration::from_secs(120);
        let rep = run(&aws, &r, &w).unwrap();
        assert_eq!(rep.exit_code(), 1);
        assert_eq!(rep.findings[0].code, "acm-validation-pending");
        assert!(
            w.0.get() >= 120.0 && w.0.get() < 200.0,
            "waited {}",
            w.0.get()
        );

        let aws = FakeAws {
            issue_after: Some(3),
            fail_with: Some("CAA_ERROR".into()),
            ..FakeAws::default()
        };
        let rep = run(&aws, &r, &FakeWaiter(Cell::new(0.0))).unwrap();
        assert_eq!(rep.exit_code(), 1);
        assert_eq!(rep.findings[0].code, "acm-validation-failed");
        assert!(rep.findings[0].message.contains("CAA_ERROR"));
    }

    #[test]
    fn dry_run_requests_nothing_and_bad_names_are_refused() {
        let aws = FakeAws {
            zones: zones(),
            ..FakeAws::default()
        };
        let mut r = req("api.example.com");
        r.dry_run = true;
        r.route53_zone = Some("auto".into());
        let rep = run(&aws, &r, &FakeWaiter(Cell::new(0.0))).unwrap();
        assert_eq!(rep.action, "would-request");
        assert!(aws.requests.borrow().is_empty());
        assert!(rep
            .calls
            .iter()
            .any(|c| c.starts_with("acm:RequestCertificate")));
        for bad in ["*.*.example.com", "bad_host!", ""] {
            assert!(
                run(&aws, &req(bad), &FakeWaiter(Cell::new(0.0))).is_err(),
                "{bad}"
            );
        }
        let mut many = req("a.example.com");
        many.sans = (0..10).map(|i| format!("n{i}.example.com")).collect();
        assert!(matches!(
            run(&aws, &many, &FakeWaiter(Cell::new(0.0))),
            Err(AcmError::TooManyNames(11, 10))
        ));
    }

    #[test]
    fn a_first_name_over_64_octets_goes_behind_one_that_fits_or_is_refused() {
        let long = format!("{}.example.com", "a".repeat(60)); // 72 octets
        assert!(long.len() > 64 && long.len() <= 253);
        let aws = FakeAws::default();
        let mut r = req(&long);
        r.sans = vec!["api.example.com".into()];
        let rep = run(&aws, &r, &FakeWaiter(Cell::new(0.0))).unwrap();
        assert_eq!(
            rep.requested_names,
            vec!["api.example.com".to_string(), long.clone()]
        );
        assert_eq!(aws.requests.borrow()[0].domain, "api.example.com");
        assert_eq!(rep.findings[0].code, "acm-names-reordered");
        // Nothing short enough: refused before any call, with a hint, also in a dry run.
        let aws = FakeAws::default();
        let mut r = req(&long);
        r.dry_run = true;
        let e = run(&aws, &r, &FakeWaiter(Cell::new(0.0))).unwrap_err();
        assert!(
            matches!(e, AcmError::FirstNameTooLong { len: 72, .. }),
            "{e}"
        );
        use crate::jobs::JobError;
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint().unwrap().contains("--san"));
        assert!(aws.list_queries.borrow().is_empty(), "refused before AWS");
        // 64 octets exactly is fine as the first name.
        let edge = format!("{}.example.com", "b".repeat(52));
        assert_eq!(edge.len(), 64);
        assert_eq!(name_set(&edge, &[], 10).unwrap()[0], edge);
    }

    #[test]
    fn every_zone_is_checked_before_any_write() {
        let w = FakeWaiter(Cell::new(0.0));
        for (zone, dry_run, want) in [
            ("ZNOPE", false, "not found"),
            ("ZNOPE", true, "not found"),
            ("ZPRIV", false, "private"),
            ("ZSUB", false, "not in hosted zone"), // other.example.com is not under api.example.com
        ] {
            let aws = FakeAws {
                zones: zones(),
                ..FakeAws::default()
            };
            let mut r = req("api.example.com");
            r.sans = vec!["other.example.com".into()];
            r.route53_zone = Some(zone.into());
            r.dry_run = dry_run;
            let e = run(&aws, &r, &w).unwrap_err();
            assert!(e.to_string().contains(want), "{zone}: {e}");
            assert!(
                aws.requests.borrow().is_empty(),
                "{zone}: no certificate requested"
            );
            assert!(aws.upserts.borrow().is_empty(), "{zone}: nothing written");
        }
        // auto with one name outside every public zone: refused before the request too.
        let aws = FakeAws {
            zones: zones(),
            ..FakeAws::default()
        };
        let mut r = req("api.example.com");
        r.sans = vec!["api.example.org".into()];
        r.route53_zone = Some("auto".into());
        assert!(matches!(run(&aws, &r, &w), Err(AcmError::NoZone(_))));
        assert!(aws.requests.borrow().is_empty());
    }

    #[test]
    fn a_failure_after_a_write_lists_what_was_changed_and_a_rerun_completes() {
        use crate::jobs::JobError;
        let w = FakeWaiter(Cell::new(0.0));
        // Names in two zones; the second zone's UPSERT fails.
        let mut aws = FakeAws {
            zones: zones(),
            upsert_fails_in: Some("ZSUB".into()),
            ..FakeAws::default()
        };
        let mut r = req("www.example.com");
        r.sans = vec!["x.api.example.com".into()];
        r.route53_zone = Some("auto".into());
        let e = run(&aws, &r, &w).unwrap_err();
        let changes = e.changes();
        assert_eq!(changes[0].kind, "acm-certificate");
        assert!(changes[0].id.starts_with("arn:aws:acm:"));
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(
            (changes[1].kind, changes[1].id.as_str()),
            ("route53-records", "ZPUB")
        );
        assert_eq!(e.exit_code(), 3);
        assert!(e.hint().unwrap().contains("again"));
        // The rerun reuses the certificate and writes both zones.
        aws.upsert_fails_in = None;
        let rep = run(&aws, &r, &w).unwrap();
        assert_eq!(rep.action, "reused");
        assert_eq!(aws.requests.borrow().len(), 1, "no second certificate");
        assert_eq!(rep.route53.len(), 2);

        // attach: the write succeeds, the verifying read fails.
        let aws = FakeAws {
            issue_after: Some(0),
            verify_read_fails: true,
            ..FakeAws::default()
        };
        let arn = aws
            .request_certificate(&RequestSpec {
                domain: "api.example.com".into(),
                sans: vec!["api.example.com".into()],
                key_algorithm: "RSA_2048".into(),
                idempotency_token: "t".into(),
                tags: vec![],
            })
            .unwrap();
        let listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/1/2";
        aws.listeners.borrow_mut().push((
            Listener {
                arn: listener.into(),
                protocol: "HTTPS".into(),
                port: Some(443),
                load_balancer_arn: "lb".into(),
                default_certificates: vec![],
            },
            vec![],
        ));
        let e = attach(&aws, &aws, &arn, listener, false, false).unwrap_err();
        assert_eq!(e.changes()[0].kind, "listener-certificate");
        assert!(e.changes()[0].id.contains(&arn));
        assert!(
            e.to_string().contains("DescribeListenerCertificates"),
            "{e}"
        );
    }

    #[test]
    fn the_wait_polls_through_throttling_and_5xx_until_the_deadline() {
        let throttled = || AwsError::Throttled {
            action: "acm:DescribeCertificate".into(),
            code: "ThrottlingException".into(),
            message: "Rate exceeded".into(),
        };
        let aws = FakeAws {
            issue_after: Some(8),
            ..FakeAws::default()
        };
        let mut r = req("api.example.com");
        r.wait = true;
        let w = FakeWaiter(Cell::new(0.0));
        // The request's record polling succeeds; then three throttles and a 503 in a row.
        run(&aws, &req("api.example.com"), &w).unwrap();
        // The rerun's find-or-request describes once; the wait's polls then fail.
        *aws.errors_after.borrow_mut() = *aws.describes.borrow() + 1;
        aws.describe_errors.borrow_mut().extend([
            throttled(),
            throttled(),
            throttled(),
            AwsError::ServerError {
                action: "acm:DescribeCertificate".into(),
                status: 503,
                code: "ServiceUnavailable".into(),
                message: String::new(),
            },
        ]);
        let rep = run(&aws, &r, &w).unwrap();
        assert_eq!(rep.certificate.unwrap().status, "ISSUED");
        // Only transient errors are retried: access denied ends the wait at once.
        let aws = FakeAws::default();
        run(&aws, &req("api.example.com"), &w).unwrap();
        *aws.errors_after.borrow_mut() = *aws.describes.borrow() + 1;
        aws.describe_errors
            .borrow_mut()
            .push(AwsError::AccessDenied {
                action: "acm:DescribeCertificate".into(),
                message: "no".into(),
            });
        assert!(matches!(
            run(&aws, &r, &w),
            Err(AcmError::Aws(AwsError::AccessDenied { .. }))
        ));
        // Throttled until the deadline: exit 1 acm-validation-pending, within the deadline.
        let aws = FakeAws::default();
        let w = FakeWaiter(Cell::new(0.0));
        run(&aws, &req("api.example.com"), &w).unwrap();
        *aws.errors_after.borrow_mut() = *aws.describes.borrow() + 1;
        aws.describe_errors
            .borrow_mut()
            .extend((0..10_000).map(|_| throttled()));
        r.timeout = Duration::from_secs(60);
        let rep = run(&aws, &r, &w).unwrap();
        assert_eq!(rep.exit_code(), 1);
        assert_eq!(rep.findings[0].code, "acm-validation-pending");
        assert!(
            rep.findings[0].message.contains("throttled"),
            "{}",
            rep.findings[0].message
        );
        assert!(
            w.0.get() <= 60.0 + 1e-6,
            "the deadline holds: {}",
            w.0.get()
        );
    }

    #[test]
    fn an_arn_of_another_region_is_named() {
        use crate::jobs::JobError;
        let aws = FakeAws::default();
        let e = resolve(&aws, "arn:aws:acm:us-east-1:123456789012:certificate/x").unwrap_err();
        assert!(
            matches!(&e, AcmError::OtherRegion { arn, client } if arn == "us-east-1" && client == "eu-west-1")
        );
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint().unwrap().contains("--region us-east-1"));
        assert!(matches!(
            resolve(&aws, "arn:aws:s3:::bucket"),
            Err(AcmError::BadArn(_))
        ));
    }

    #[test]
    fn errors_map_to_exit_codes_and_hints() {
        use crate::jobs::JobError;
        let aws = FakeAws {
            deny: Some("acm:ListCertificates"),
            ..FakeAws::default()
        };
        let e = run(&aws, &req("api.example.com"), &FakeWaiter(Cell::new(0.0))).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.hint().unwrap().contains("acm:ListCertificates"));
    }

    #[test]
    fn attach_is_idempotent_and_refuses_what_aws_would() {
        let aws = FakeAws {
            issue_after: Some(0),
            ..FakeAws::default()
        };
        let arn = aws
            .request_certificate(&RequestSpec {
                domain: "api.example.com".into(),
                sans: vec!["api.example.com".into()],
                key_algorithm: "RSA_2048".into(),
                idempotency_token: "t".into(),
                tags: vec![],
            })
            .unwrap();
        let listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/1/2";
        aws.listeners.borrow_mut().push((
            Listener {
                arn: listener.into(),
                protocol: "HTTPS".into(),
                port: Some(443),
                load_balancer_arn: "lb".into(),
                default_certificates: vec!["arn:aws:acm:eu-west-1:1:certificate/old".into()],
            },
            vec![],
        ));
        let r = attach(&aws, &aws, &arn, listener, false, false).unwrap();
        assert_eq!(r.action, "attached");
        assert!(r.listener_certificates.contains(&arn));
        assert_eq!(
            attach(&aws, &aws, &arn, listener, false, false)
                .unwrap()
                .action,
            "already-attached"
        );
        let other_region =
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/2";
        assert!(matches!(
            attach(&aws, &aws, &arn, other_region, false, false),
            Err(AcmError::RegionMismatch { .. })
        ));
        let tcp = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/nlb/1/2";
        aws.listeners.borrow_mut().push((
            Listener {
                arn: tcp.into(),
                protocol: "TCP".into(),
                port: Some(443),
                load_balancer_arn: "nlb".into(),
                default_certificates: vec![],
            },
            vec![],
        ));
        assert!(matches!(
            attach(&aws, &aws, &arn, tcp, false, false),
            Err(AcmError::NotHttps { .. })
        ));
        let pending = FakeAws::default();
        let parn = pending
            .request_certificate(&RequestSpec {
                domain: "x.example.com".into(),
                sans: vec!["x.example.com".into()],
                key_algorithm: "RSA_2048".into(),
                idempotency_token: "t".into(),
                tags: vec![],
            })
            .unwrap();
        assert!(matches!(
            attach(&pending, &aws, &parn, listener, false, false),
            Err(AcmError::NotIssued { .. })
        ));
    }
}
