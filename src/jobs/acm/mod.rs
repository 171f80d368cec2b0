//! `certctl acm request|records|status|list|attach`: the ALB's ACM certificate for the NLB
//! hostname, found or requested idempotently, DNS-validated through Route 53, attached.

use std::time::Duration;

use serde::Serialize;

use crate::aws::{
    arn_region, Acm, AwsError, CertDetail, Dns, DnsRecord, Elb, HostedZone, ListQuery, RequestSpec,
    ALL_KEY_TYPES,
};
use crate::exit::ExitStatus;
use crate::findings::{AcmCode, Finding, Severity};
use crate::names::{self, NameError};
use crate::progress::Progress;

mod attach;
pub(crate) mod audit;
mod import;
mod request;
mod route53;
mod status;
mod validate;
mod verdict;

pub(crate) use attach::{attach, AttachOptions, AttachReport};
pub(crate) use import::{import, ImportReport, ImportRequest};
pub(crate) use request::request;
pub(crate) use route53::zone_for;
pub(crate) use status::{
    list, records_report, resolve, status, ListReport, RecordsFormat, RecordsReport, StatusReport,
};
pub(crate) use verdict::status_finding;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AcmError {
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
    fn exit_code(&self) -> ExitStatus {
        match self {
            AcmError::Aws(AwsError::NotFound { .. }) => ExitStatus::BadInput,
            AcmError::Aws(e) => e.exit_code(),
            AcmError::Partial { source, .. } => source.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    fn changes(&self) -> Vec<crate::jobs::Change> {
        match self {
            AcmError::Partial { changes, .. } => changes.clone(),
            _ => Vec::new(),
        }
    }

    fn step(&self) -> Option<String> {
        match self {
            AcmError::Aws(e) => e.deadline_step().map(str::to_string),
            AcmError::Partial { source, .. } => source.step(),
            _ => None,
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            AcmError::Aws(e) => e.detail().map(str::to_string),
            AcmError::Partial { source, .. } => source.detail(),
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            AcmError::Partial { source, .. } => {
                const RERUN: &str = "running the same command again completes it (it is idempotent)";
                Some(match source.hint() {
                    Some(h) if h.contains("idempotent") => h,
                    Some(h) => format!("{h}; {RERUN}"),
                    None => RERUN.into(),
                })
            }
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
pub(crate) trait Waiter {
    /// Seconds since an arbitrary start.
    fn elapsed(&self) -> f64;
    fn sleep(&self, d: Duration);
}

/// The real clock.
pub(crate) struct RealWaiter(pub(crate) std::time::Instant);

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
pub(crate) struct Polling {
    pub(crate) first: Duration,
    pub(crate) max: Duration,
    /// How long to wait for the validation records to appear after a request.
    pub(crate) records_timeout: Duration,
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
pub(crate) struct AcmRequest {
    pub(crate) host: String,
    pub(crate) sans: Vec<String>,
    pub(crate) key_algorithm: AcmKeyAlgorithm,
    pub(crate) route53_zone: Option<String>,
    pub(crate) wait: bool,
    pub(crate) timeout: Duration,
    pub(crate) tags: Vec<String>,
    pub(crate) dry_run: bool,
    pub(crate) max_names: usize,
}

/// The ACM certificate as reports show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CertReport {
    pub(crate) arn: String,
    /// ACM's own value: `ISSUED`, `PENDING_VALIDATION`, `FAILED`, …
    pub(crate) status: String,
    pub(crate) names: Vec<String>,
    pub(crate) key_algorithm: Option<String>,
    pub(crate) not_after: Option<String>,
    pub(crate) days_left: Option<i64>,
    pub(crate) in_use_by: Vec<String>,
    pub(crate) renewal_eligibility: Option<String>,
    pub(crate) renewal_status: Option<String>,
    pub(crate) failure_reason: Option<String>,
    pub(crate) records: Vec<DnsRecord>,
    pub(crate) validations: Vec<crate::aws::Validation>,
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
        status: d.status.to_string(),
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
pub(crate) struct ZoneChange {
    pub(crate) zone_id: String,
    pub(crate) zone_name: String,
    pub(crate) records: Vec<DnsRecord>,
    pub(crate) change_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RequestReport {
    pub(crate) schema_version: u32,
    pub(crate) region: String,
    /// `reused` (same name set already in ACM), `requested`, or `would-request` (dry run).
    pub(crate) action: &'static str,
    pub(crate) dry_run: bool,
    /// The certificate's `arn`, `status`, `names`, `records`, `not_after`, … at the top level.
    #[serde(flatten)]
    pub(crate) certificate: Option<CertReport>,
    /// The validated names asked for, host first.
    pub(crate) requested_names: Vec<String>,
    pub(crate) route53: Vec<ZoneChange>,
    pub(crate) calls: Vec<String>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) waited_secs: Option<u64>,
}

impl RequestReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.findings.iter().any(|f| f.severity == Severity::Deny))
    }
}

/// A key algorithm `acm request` can ask ACM for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum AcmKeyAlgorithm {
    #[default]
    Rsa2048,
    EcP256,
    EcP384,
}

impl AcmKeyAlgorithm {
    /// Every algorithm, in the order help lists them.
    pub(crate) const ALL: [AcmKeyAlgorithm; 3] = [
        AcmKeyAlgorithm::Rsa2048,
        AcmKeyAlgorithm::EcP256,
        AcmKeyAlgorithm::EcP384,
    ];

    /// The name the flag takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AcmKeyAlgorithm::Rsa2048 => "rsa-2048",
            AcmKeyAlgorithm::EcP256 => "ec-p256",
            AcmKeyAlgorithm::EcP384 => "ec-p384",
        }
    }

    /// ACM's name (`KeyAlgorithm` of RequestCertificate).
    pub(crate) fn acm_name(self) -> &'static str {
        match self {
            AcmKeyAlgorithm::Rsa2048 => "RSA_2048",
            AcmKeyAlgorithm::EcP256 => "EC_prime256v1",
            AcmKeyAlgorithm::EcP384 => "EC_secp384r1",
        }
    }
}

/// The flag's names, ACM's own spellings, and the `ecdsa-` names `issue onprem` uses; any case.
impl std::str::FromStr for AcmKeyAlgorithm {
    type Err = AcmError;
    fn from_str(flag: &str) -> Result<Self, AcmError> {
        Ok(match flag.to_ascii_lowercase().as_str() {
            "rsa-2048" | "rsa_2048" => AcmKeyAlgorithm::Rsa2048,
            "ec-p256" | "ecdsa-p256" | "ec_prime256v1" => AcmKeyAlgorithm::EcP256,
            "ec-p384" | "ecdsa-p384" | "ec_secp384r1" => AcmKeyAlgorithm::EcP384,
            _ => return Err(AcmError::KeyAlgorithm(flag.to_string())),
        })
    }
}

/// Validated, deduplicated names: the host first.
pub(crate) fn name_set(host: &str, sans: &[String], max: usize) -> Result<Vec<String>, AcmError> {
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
pub(crate) const MAX_FIRST_NAME: usize = 64;

fn sorted(v: &[String]) -> Vec<String> {
    let mut s: Vec<String> = v.iter().map(|n| n.to_ascii_lowercase()).collect();
    s.sort();
    s.dedup();
    s
}

/// The ListCertificates query: every key type (ACM lists only RSA without it).
pub(crate) fn list_query(statuses: &[&'static str]) -> ListQuery {
    ListQuery {
        key_types: ALL_KEY_TYPES.to_vec(),
        statuses: statuses.to_vec(),
    }
}

/// What ACM holds for exactly this name set.
#[derive(Debug, Default)]
pub(crate) struct Existing {
    /// An ISSUED or PENDING_VALIDATION certificate to reuse: one with the wanted key algorithm
    /// when there is one.
    pub(crate) live: Option<CertDetail>,
    /// FAILED and VALIDATION_TIMED_OUT certificates for the names: never reused, and they
    /// change the idempotency token, so the next request is a new certificate.
    pub(crate) failed: Vec<String>,
}

/// Statuses ACM never leaves: a request that ended there is never reused.
const DEAD: [&str; 2] = ["FAILED", "VALIDATION_TIMED_OUT"];

/// The certificates ACM holds for exactly this name set (any key type): the one to reuse
/// (preferring `key_algorithm`), and the failed ones.
pub(crate) fn find_existing(
    acm: &dyn Acm,
    names: &[String],
    key_algorithm: &str,
) -> Result<Existing, AcmError> {
    let want = sorted(names);
    let list = acm.list_certificates(&list_query(&[
        "ISSUED",
        "PENDING_VALIDATION",
        DEAD[0],
        DEAD[1],
    ]))?;
    let mut out = Existing::default();
    for c in list
        .iter()
        .filter(|c| c.domain.eq_ignore_ascii_case(&names[0]))
    {
        if DEAD.contains(&c.status.as_str()) {
            // The list's SAN summary, when it has one, tells the name set without a Describe.
            let mut have = c.names.clone();
            have.push(c.domain.clone());
            if c.names.is_empty() || sorted(&have) == want {
                out.failed.push(c.arn.clone());
            }
            continue;
        }
        let d = acm.describe_certificate(&c.arn)?;
        let mut have = d.names.clone();
        have.push(d.domain.clone());
        if sorted(&have) != want {
            continue;
        }
        match d.status.as_str() {
            "ISSUED" | "PENDING_VALIDATION" => {
                let matches_key = d.key_algorithm.as_deref() == Some(key_algorithm);
                let better = match &out.live {
                    None => true,
                    Some(l) => matches_key && l.key_algorithm.as_deref() != Some(key_algorithm),
                };
                if better {
                    out.live = Some(d);
                }
                if matches_key {
                    return Ok(out);
                }
            }
            // Listed as live, described as failed (it just failed): never reused.
            s if DEAD.contains(&s) => out.failed.push(d.arn.clone()),
            _ => {}
        }
    }
    Ok(out)
}

/// A token that makes the same request idempotent (ACM keeps it for an hour). The FAILED
/// certificates of the names are part of it: after a failure the token is new, so a fixed
/// cause is retried at once instead of getting the failed certificate back for an hour.
pub(crate) fn idempotency_token(
    names: &[String],
    key_algorithm: &str,
    failed: &[String],
) -> String {
    let mut text = format!("{}|{key_algorithm}", sorted(names).join(","));
    if !failed.is_empty() {
        let mut f = failed.to_vec();
        f.sort();
        f.dedup();
        text.push_str(&format!("|after-failed={}", f.join(",")));
    }
    crate::x509::Fingerprint::sha256(text.as_bytes()).0[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
            key_algorithm: AcmKeyAlgorithm::EcP256,
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
    fn the_idempotency_token_depends_on_the_name_set_the_key_and_failed_certificates() {
        let a = idempotency_token(
            &["a.example.com".into(), "b.example.com".into()],
            "RSA_2048",
            &[],
        );
        let b = idempotency_token(
            &["b.example.com".into(), "a.example.com".into()],
            "RSA_2048",
            &[],
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            idempotency_token(&["a.example.com".into()], "RSA_2048", &[])
        );
        assert!(a.len() <= 32 && a.chars().all(|c| c.is_ascii_alphanumeric()));
        // After a failure the token is new, and stays the same until the next failure.
        let names = ["a.example.com".to_string(), "b.example.com".to_string()];
        let f1 = idempotency_token(&names, "RSA_2048", &["arn:1".into()]);
        assert_ne!(a, f1);
        assert_eq!(
            f1,
            idempotency_token(&names, "RSA_2048", &["arn:1".into(), "arn:1".into()])
        );
        assert_ne!(
            f1,
            idempotency_token(&names, "RSA_2048", &["arn:2".into(), "arn:1".into()])
        );
    }

    #[test]
    fn failed_at_the_first_describe_is_exit_1_and_the_rerun_gets_a_new_certificate() {
        for wait in [false, true] {
            let aws = FakeAws {
                zones: zones(),
                issue_after: Some(0),
                fail_with: Some("DOMAIN_NOT_ALLOWED".into()),
                ..FakeAws::default()
            };
            let mut r = req("api.example.com");
            r.wait = wait;
            r.route53_zone = Some("auto".into());
            let w = FakeWaiter(Cell::new(0.0));
            let rep = run(&aws, &r, &w).unwrap();
            assert_eq!(rep.exit_code(), ExitStatus::CheckFailed, "wait={wait}");
            let f = rep
                .findings
                .iter()
                .find(|f| f.code == AcmCode::AcmValidationFailed)
                .unwrap_or_else(|| panic!("{:?}", rep.findings));
            assert!(f.message.contains("DOMAIN_NOT_ALLOWED"), "{}", f.message);
            assert!(f.hint.as_deref().unwrap().contains("new one"));
            assert!(
                aws.upserts.borrow().is_empty(),
                "no records for a failed one"
            );
            assert!(w.0.get() < 5.0, "no wait on a failed certificate");
            let first = rep.certificate.unwrap().arn;
            // The cause is fixed: the rerun asks again, with a new token, for a new certificate.
            let aws = FakeAws {
                fail_with: None,
                ..aws
            };
            let rep = run(&aws, &r, &w).unwrap();
            assert_eq!(rep.action, "requested");
            let second = rep.certificate.as_ref().unwrap().arn.clone();
            assert_ne!(first, second);
            let reqs = aws.requests.borrow();
            assert_eq!(reqs.len(), 2);
            assert_ne!(reqs[0].idempotency_token, reqs[1].idempotency_token);
            assert!(rep
                .findings
                .iter()
                .any(|f| f.code == AcmCode::AcmFailedBefore));
            drop(reqs);
            // A third run reuses the second: the token is stable between failures.
            let rep = run(&aws, &r, &w).unwrap();
            assert_eq!(rep.action, "reused");
            assert_eq!(rep.certificate.unwrap().arn, second);
        }
    }

    #[test]
    fn status_says_why_acm_failed_and_exits_1() {
        let aws = FakeAws::default();
        for (state, reason, code) in [
            ("FAILED", Some("CAA_ERROR"), "acm-validation-failed"),
            ("VALIDATION_TIMED_OUT", None, "acm-validation-timed-out"),
            ("REVOKED", None, "acm-revoked"),
            ("EXPIRED", None, "acm-expired"),
        ] {
            let arn = format!("arn:aws:acm:eu-west-1:1:certificate/{state}");
            aws.certs.borrow_mut().push(CertDetail {
                arn: arn.clone(),
                domain: "api.example.com".into(),
                status: state.into(),
                failure_reason: reason.map(str::to_string),
                ..CertDetail::default()
            });
            let r = status(&aws, &arn, None, 0).unwrap();
            assert_eq!(r.exit_code(), ExitStatus::CheckFailed, "{state}");
            assert_eq!(r.findings[0].code.as_str(), code);
            assert!(r.findings[0].hint.is_some());
        }
    }

    #[test]
    fn a_reused_certificate_with_another_key_is_named_and_a_matching_one_preferred() {
        let aws = FakeAws::default();
        let mut r = req("api.example.com");
        r.key_algorithm = AcmKeyAlgorithm::Rsa2048;
        let w = FakeWaiter(Cell::new(0.0));
        let rsa = run(&aws, &r, &w).unwrap().certificate.unwrap().arn;
        // ec-p256 asked, only an RSA certificate for the names: reused, and said so.
        r.key_algorithm = AcmKeyAlgorithm::EcP256;
        let rep = run(&aws, &r, &w).unwrap();
        assert_eq!(rep.action, "reused");
        assert_eq!(rep.exit_code(), ExitStatus::Ok);
        let f = rep
            .findings
            .iter()
            .find(|f| f.code == AcmCode::AcmKeyAlgorithmDiffers)
            .unwrap();
        assert_eq!(f.severity, Severity::Warn);
        assert!(f.message.contains("RSA_2048") && f.message.contains("ec-p256"));
        assert!(f
            .hint
            .as_deref()
            .unwrap()
            .contains("--key-algorithm EC_prime256v1"));
        // With an EC one made for the same names, that one is picked, without a warning.
        let ec = aws
            .request_certificate(&RequestSpec {
                domain: "api.example.com".into(),
                sans: vec!["api.example.com".into()],
                key_algorithm: "EC_prime256v1".into(),
                idempotency_token: "cli".into(),
                tags: vec![],
            })
            .unwrap();
        let rep = run(&aws, &r, &w).unwrap();
        assert_eq!(rep.certificate.unwrap().arn, ec);
        assert!(rep.findings.is_empty(), "{:?}", rep.findings);
        r.key_algorithm = AcmKeyAlgorithm::Rsa2048;
        assert_eq!(run(&aws, &r, &w).unwrap().certificate.unwrap().arn, rsa);
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
        assert_eq!(rep.exit_code(), ExitStatus::Ok);
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
        assert_eq!(rep.exit_code(), ExitStatus::CheckFailed);
        assert_eq!(rep.findings[0].code, AcmCode::AcmValidationPending);
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
        assert_eq!(rep.exit_code(), ExitStatus::CheckFailed);
        assert_eq!(rep.findings[0].code, AcmCode::AcmValidationFailed);
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
        assert_eq!(rep.findings[0].code, AcmCode::AcmNamesReordered);
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
        assert_eq!(e.exit_code(), ExitStatus::BadInput);
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
        assert_eq!(e.exit_code(), ExitStatus::Operational);
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
        let (arn, listener) = certificate_and_listener(&aws, vec![]);
        let e = attach(&aws, &aws, &arn, listener, AttachOptions::default()).unwrap_err();
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
        assert_eq!(rep.exit_code(), ExitStatus::CheckFailed);
        assert_eq!(rep.findings[0].code, AcmCode::AcmValidationPending);
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
        assert_eq!(e.exit_code(), ExitStatus::BadInput);
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
        assert_eq!(e.exit_code(), ExitStatus::Operational);
        assert!(e.hint().unwrap().contains("acm:ListCertificates"));
    }

    /// A certificate for api.example.com requested from `aws`, and an HTTPS listener holding
    /// `defaults` as its default certificates.
    fn certificate_and_listener(aws: &FakeAws, defaults: Vec<String>) -> (String, &'static str) {
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
                default_certificates: defaults,
            },
            vec![],
        ));
        (arn, listener)
    }

    #[test]
    fn attach_is_idempotent_and_refuses_what_aws_would() {
        let aws = FakeAws {
            issue_after: Some(0),
            ..FakeAws::default()
        };
        let (arn, listener) =
            certificate_and_listener(&aws, vec!["arn:aws:acm:eu-west-1:1:certificate/old".into()]);
        let r = attach(&aws, &aws, &arn, listener, AttachOptions::default()).unwrap();
        assert_eq!(r.action, "attached");
        assert!(r.listener_certificates.contains(&arn));
        assert_eq!(
            attach(&aws, &aws, &arn, listener, AttachOptions::default())
                .unwrap()
                .action,
            "already-attached"
        );
        let other_region =
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/2";
        assert!(matches!(
            attach(&aws, &aws, &arn, other_region, AttachOptions::default()),
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
            attach(&aws, &aws, &arn, tcp, AttachOptions::default()),
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
            attach(&pending, &aws, &parn, listener, AttachOptions::default()),
            Err(AcmError::NotIssued { .. })
        ));
    }
}
