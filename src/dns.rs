//! Public DNS as ACM sees it, for "why is validation stuck": the validation CNAME over DNS, the
//! zone's delegation as the parent zone's servers hand it out, and CAA at the name or a parent.
//! Look-ups go through hickory-resolver (the system's resolver, or `--resolver`); the parent's
//! servers are asked directly over UDP. Every wait is bounded; without a reachable resolver
//! every check is SKIPPED with the reason.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Mutex;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::{Message, Query};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use serde::Serialize;

use crate::findings::{AcmCode, Finding, Severity};

/// The CA domains ACM issues under; a CAA `issue` set must name one of them.
pub(crate) const AMAZON_CAA: &[&str] = &[
    "amazon.com",
    "amazontrust.com",
    "awstrust.com",
    "amazonaws.com",
];

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("bad --resolver \"{0}\": expected IP or IP:PORT")]
    BadResolver(String),
    #[error("cannot start the DNS resolver: {0}")]
    Start(String),
}

/// Where and how long to look.
#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// The resolver to ask; None: the system's (/etc/resolv.conf).
    pub resolver: Option<SocketAddr>,
    /// The port authoritative servers are asked on directly (53 everywhere but a lab).
    pub nameserver_port: u16,
    /// The bound of one look-up.
    pub timeout: Duration,
    /// The command's deadline: no look-up runs past it.
    pub deadline: Option<crate::deadline::Deadline>,
}

impl Default for DnsConfig {
    fn default() -> DnsConfig {
        DnsConfig {
            resolver: None,
            nameserver_port: 53,
            timeout: Duration::from_secs(3),
            deadline: None,
        }
    }
}

/// `IP` or `IP:PORT` (IPv6 as `[::1]:53`).
pub(crate) fn parse_resolver(s: &str) -> Result<SocketAddr, DnsError> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| DnsError::BadResolver(s.to_string()))
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Fail,
    Skip,
    /// The resolver answered SERVFAIL or REFUSED for the name: a cause of its own (a validating
    /// resolver's answer for broken DNSSEC), not "no resolver".
    Error,
}

/// One DNS check and what it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsCheck {
    /// `cname`, `delegation` or `caa`.
    pub(crate) check: &'static str,
    pub(crate) name: String,
    pub status: Status,
    pub detail: String,
    /// A finding code and fix other than the check's usual one, for a failure of another kind.
    #[serde(skip)]
    pub(crate) cause: Option<(AcmCode, &'static str)>,
    /// Which resolver answered (`the system resolver`, `127.0.0.1:53`), named in findings.
    #[serde(skip)]
    pub(crate) resolver: String,
}

/// CAA property tags ACM's CA understands (RFC 8659 4.2–4.4).
const KNOWN_CAA_TAGS: &[&str] = &["issue", "issuewild", "iodef"];

/// A critical CAA property no CA understands.
const CAA_CRITICAL: (AcmCode, &str) = (
    AcmCode::CaaCriticalUnknownProperty,
    "remove the property, or clear its critical flag (128), in the CAA set that applies",
);

enum Answer {
    Records(Vec<RData>),
    NoRecords,
    Unreachable(String),
    /// SERVFAIL or REFUSED for this name (the resolver itself answered).
    Refused(String),
}

/// Why a look-up has no records to give.
enum NoAnswer {
    Unreachable(String),
    Refused(String),
}

impl NoAnswer {
    /// The check's status and detail for it.
    fn outcome(self) -> (Status, String) {
        match self {
            NoAnswer::Unreachable(why) => (Status::Skip, why),
            NoAnswer::Refused(why) => (Status::Error, why),
        }
    }
}

/// A resolver with its own small runtime; look-ups block the calling thread, bounded.
pub struct Resolver {
    rt: tokio::runtime::Runtime,
    inner: TokioResolver,
    config: DnsConfig,
    /// Set once a look-up found no resolver: every later check skips at once.
    offline: Mutex<Option<String>>,
    /// The parent's answer per zone, asked once per run.
    delegations: Mutex<Vec<Delegation>>,
}

type Delegation = (String, Result<Vec<String>, String>);

fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolver {
    pub fn new(config: DnsConfig) -> Result<Resolver, DnsError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| DnsError::Start(e.to_string()))?;
        let provider = TokioRuntimeProvider::default();
        let mut builder = match config.resolver {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], vec![ns]),
                    provider,
                )
            }
            None => TokioResolver::builder(provider).map_err(|e| DnsError::Start(e.to_string()))?,
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = config.timeout;
        opts.attempts = 1;
        opts.ndots = 0;
        opts.cache_size = 256;
        let inner = builder
            .build()
            .map_err(|e| DnsError::Start(e.to_string()))?;
        Ok(Resolver {
            rt,
            inner,
            config,
            offline: Mutex::new(None),
            delegations: Mutex::new(Vec::new()),
        })
    }

    /// The resolver the checks ask, in words.
    fn who(&self) -> String {
        self.config
            .resolver
            .map(|a| a.to_string())
            .unwrap_or_else(|| "the system resolver".into())
    }

    /// Why checks skip, once a look-up found no resolver.
    pub(crate) fn offline(&self) -> Option<String> {
        self.offline.lock().ok().and_then(|o| o.clone())
    }

    fn lookup(&self, name: &str, kind: RecordType) -> Answer {
        if let Some(why) = self.offline() {
            return Answer::Unreachable(why);
        }
        let Ok(n) = Name::from_ascii(format!("{}.", norm(name))) else {
            return Answer::NoRecords;
        };
        // The resolver's own timeout bounds each attempt; this bounds the whole look-up, never
        // past the command's deadline.
        let bound = self.bound(self.config.timeout + Duration::from_millis(500));
        if bound.is_zero() {
            return self.cut(&format!("{kind} look-up of {}", norm(name)));
        }
        let got = self
            .rt
            .block_on(async { tokio::time::timeout(bound, self.inner.lookup(n, kind)).await });
        if got.is_err() && self.config.deadline.is_some_and(|d| d.expired()) {
            return self.cut(&format!("{kind} look-up of {}", norm(name)));
        }
        match got {
            Ok(Ok(l)) => {
                let out: Vec<RData> = l
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == kind)
                    .map(|r| r.data.clone())
                    .collect();
                if out.is_empty() {
                    Answer::NoRecords
                } else {
                    Answer::Records(out)
                }
            }
            Ok(Err(e)) if e.is_no_records_found() => Answer::NoRecords,
            Ok(Err(e))
                if matches!(
                    e.as_metrics_label(),
                    "dns_response_code_servfail" | "dns_response_code_refused"
                ) =>
            {
                let code = if e.as_metrics_label().ends_with("servfail") {
                    "SERVFAIL"
                } else {
                    "REFUSED"
                };
                Answer::Refused(format!(
                    "the resolver answered {code} for {} ({kind})",
                    norm(name)
                ))
            }
            Ok(Err(e)) => self.unreachable(format!("{e}")),
            Err(_) => self.unreachable(format!("no answer within {} ms", bound.as_millis())),
        }
    }

    /// `d`, or what is left of the command's deadline when that is less.
    fn bound(&self, d: Duration) -> Duration {
        match &self.config.deadline {
            Some(deadline) => deadline.min_with(d),
            None => d,
        }
    }

    /// The command's deadline passed during `step`: every later check skips, saying so.
    fn cut(&self, step: &str) -> Answer {
        let why = format!("the command's deadline passed during dns: {step}");
        if let Ok(mut o) = self.offline.lock() {
            *o = Some(why.clone());
        }
        Answer::Unreachable(why)
    }

    fn unreachable(&self, why: String) -> Answer {
        let why = format!(
            "no DNS resolver reachable ({}): {why}",
            self.config
                .resolver
                .map(|a| a.to_string())
                .unwrap_or_else(|| "system resolver".into())
        );
        if let Ok(mut o) = self.offline.lock() {
            *o = Some(why.clone());
        }
        Answer::Unreachable(why)
    }

    fn names(&self, name: &str, kind: RecordType) -> Result<Vec<String>, NoAnswer> {
        match self.lookup(name, kind) {
            Answer::Records(r) => Ok(r
                .iter()
                .filter_map(|d| match d {
                    RData::CNAME(c) => Some(norm(&c.0.to_ascii())),
                    RData::NS(n) => Some(norm(&n.0.to_ascii())),
                    _ => None,
                })
                .collect()),
            Answer::NoRecords => Ok(Vec::new()),
            Answer::Unreachable(why) => Err(NoAnswer::Unreachable(why)),
            Answer::Refused(why) => Err(NoAnswer::Refused(why)),
        }
    }

    fn ipv4(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        match self.lookup(name, RecordType::A) {
            Answer::Records(r) => Ok(r
                .iter()
                .filter_map(|d| match d {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    _ => None,
                })
                .collect()),
            Answer::NoRecords => Ok(Vec::new()),
            Answer::Unreachable(why) | Answer::Refused(why) => Err(why),
        }
    }

    /// The validation CNAME as public DNS answers it.
    pub fn check_cname(&self, name: &str, want: &str) -> DnsCheck {
        let (status, detail) = match self.names(name, RecordType::CNAME) {
            Err(no) => no.outcome(),
            Ok(v) if v.contains(&norm(want)) => (Status::Ok, format!("CNAME {}", norm(want))),
            Ok(v) if v.is_empty() => (Status::Fail, "no CNAME in public DNS".into()),
            Ok(v) => (
                Status::Fail,
                format!("CNAME {} instead of {}", v.join(", "), norm(want)),
            ),
        };
        DnsCheck {
            check: "cname",
            name: norm(name),
            status,
            detail,
            cause: None,
            resolver: self.who(),
        }
    }

    /// The NS set the parent zone's servers hand out for `zone`, asked directly (no
    /// recursion): a referral's authority section, or an answer when the parent's servers
    /// also serve the child.
    pub fn parent_delegation(&self, zone: &str) -> Result<Vec<String>, String> {
        let zone = norm(zone);
        if let Some(hit) = self
            .delegations
            .lock()
            .ok()
            .and_then(|c| c.iter().find(|(z, _)| *z == zone).map(|(_, r)| r.clone()))
        {
            return hit;
        }
        let got = self.ask_parent(&zone);
        if let Ok(mut c) = self.delegations.lock() {
            c.push((zone, got.clone()));
        }
        got
    }

    fn ask_parent(&self, zone: &str) -> Result<Vec<String>, String> {
        let zone = zone.to_string();
        let Some((_, parent)) = zone.split_once('.') else {
            return Err(format!("{zone} has no parent zone to ask"));
        };
        let servers = self
            .names(parent, RecordType::NS)
            .map_err(|no| no.outcome().1)?;
        if servers.is_empty() {
            return Err(format!("no NS records for the parent zone {parent}"));
        }
        let mut last = format!("no address for the name servers of {parent}");
        for ns in servers.iter().take(3) {
            for ip in self.ipv4(ns)?.into_iter().take(2) {
                match self.ask_direct(SocketAddr::new(ip, self.config.nameserver_port), &zone) {
                    Ok(set) if !set.is_empty() => return Ok(set),
                    Ok(_) => last = format!("{ns} ({ip}) has no delegation for {zone}"),
                    Err(e) => last = format!("{ns} ({ip}): {e}"),
                }
            }
        }
        Err(last)
    }

    fn ask_direct(&self, server: SocketAddr, zone: &str) -> Result<Vec<String>, String> {
        let name = Name::from_ascii(format!("{zone}.")).map_err(|e| e.to_string())?;
        let mut q = Message::query();
        q.metadata.recursion_desired = false;
        q.add_query(Query::query(name, RecordType::NS));
        let bytes = q.to_vec().map_err(|e| e.to_string())?;
        let bind = if server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let sock = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(self.config.timeout))
            .map_err(|e| e.to_string())?;
        sock.connect(server).map_err(|e| e.to_string())?;
        sock.send(&bytes).map_err(|e| e.to_string())?;
        let mut buf = [0u8; 4096];
        // One deadline for the whole exchange: stray or garbage datagrams do not extend it.
        let deadline = std::time::Instant::now() + self.bound(self.config.timeout);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "no answer within {} ms",
                    self.config.timeout.as_millis()
                ));
            }
            sock.set_read_timeout(Some(left))
                .map_err(|e| e.to_string())?;
            let n = sock.recv(&mut buf).map_err(|e| match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    format!("no answer within {} ms", self.config.timeout.as_millis())
                }
                _ => e.to_string(),
            })?;
            let Ok(m) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if m.metadata.id != q.metadata.id {
                continue;
            }
            let mut set: Vec<String> = m
                .answers
                .iter()
                .chain(m.authorities.iter())
                .filter(|r| norm(&r.name.to_ascii()) == zone)
                .filter_map(|r| match &r.data {
                    RData::NS(n) => Some(norm(&n.0.to_ascii())),
                    _ => None,
                })
                .collect();
            set.sort();
            set.dedup();
            return Ok(set);
        }
    }

    /// The parent's delegation against the hosted zone's own NS set.
    pub fn check_delegation(&self, zone: &str, zone_ns: &[String]) -> DnsCheck {
        let mut own: Vec<String> = zone_ns.iter().map(|n| norm(n)).collect();
        own.sort();
        own.dedup();
        let (status, detail) = match self.parent_delegation(zone) {
            Err(why) => (Status::Skip, why),
            Ok(parent) if parent == own => (Status::Ok, format!("delegated to {}", own.join(", "))),
            // Fewer of the zone's own servers is a valid delegation: every server the parent
            // names answers for the zone (RFC 1034 4.2.2; Route 53 hands out 4, 2 suffice).
            Ok(parent) if !parent.is_empty() && parent.iter().all(|p| own.contains(p)) => (
                Status::Ok,
                format!(
                    "delegated to {} of the Route 53 zone's {} name servers ({})",
                    parent.len(),
                    own.len(),
                    parent.join(", ")
                ),
            ),
            Ok(parent) => (
                Status::Fail,
                format!(
                    "the parent delegates {} to {}; the Route 53 zone's NS set is {}",
                    norm(zone),
                    parent.join(", "),
                    if own.is_empty() {
                        "empty".to_string()
                    } else {
                        own.join(", ")
                    }
                ),
            ),
        };
        DnsCheck {
            check: "delegation",
            name: norm(zone),
            status,
            detail,
            cause: None,
            resolver: self.who(),
        }
    }

    /// CAA for `domain` (RFC 8659: the first name, climbing to the parents, with a CAA set
    /// decides; `issuewild` decides for a wildcard when present).
    pub fn check_caa(&self, domain: &str) -> DnsCheck {
        let wildcard = domain.starts_with("*.");
        let mut name = norm(domain.trim_start_matches("*."));
        let mut cause = None;
        let (status, detail) = loop {
            match self.lookup(&name, RecordType::CAA) {
                Answer::Unreachable(why) => break (Status::Skip, why),
                Answer::Refused(why) => break (Status::Error, why),
                Answer::Records(r) => {
                    // RFC 8659 4.1: a critical property a CA does not understand forbids
                    // issuance by every CA.
                    let unknown_critical: Vec<String> = r
                        .iter()
                        .filter_map(|d| match d {
                            RData::CAA(c)
                                if c.issuer_critical
                                    && !KNOWN_CAA_TAGS
                                        .contains(&c.tag.to_ascii_lowercase().as_str()) =>
                            {
                                Some(c.tag.clone())
                            }
                            _ => None,
                        })
                        .collect();
                    if !unknown_critical.is_empty() {
                        cause = Some(CAA_CRITICAL);
                        break (
                            Status::Fail,
                            format!(
                                "CAA at {name} has a critical property ({}, flag 128) that CAs do not understand: RFC 8659 forbids any CA to issue",
                                unknown_critical.join(", ")
                            ),
                        );
                    }
                    let props: Vec<(String, String)> = r
                        .iter()
                        .filter_map(|d| match d {
                            RData::CAA(c) => Some((
                                c.tag.to_ascii_lowercase(),
                                String::from_utf8_lossy(&c.value)
                                    .split(';')
                                    .next()
                                    .unwrap_or_default()
                                    .trim()
                                    .to_ascii_lowercase(),
                            )),
                            _ => None,
                        })
                        .collect();
                    let tag = if wildcard && props.iter().any(|(t, _)| t == "issuewild") {
                        "issuewild"
                    } else {
                        "issue"
                    };
                    let issuers: Vec<&str> = props
                        .iter()
                        .filter(|(t, _)| t == tag)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    if issuers.is_empty() {
                        break (
                            Status::Ok,
                            format!("CAA at {name} restricts no issuer ({tag})"),
                        );
                    }
                    if issuers.iter().any(|i| AMAZON_CAA.contains(i)) {
                        break (Status::Ok, format!("CAA at {name} allows Amazon ({tag})"));
                    }
                    break (
                        Status::Fail,
                        format!(
                            "CAA at {name} allows only {} ({tag}), not amazon.com, amazontrust.com, awstrust.com or amazonaws.com",
                            issuers
                                .iter()
                                .map(|i| if i.is_empty() { "no CA (\";\")" } else { i })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                Answer::NoRecords => match name.split_once('.') {
                    Some((_, parent)) if parent.contains('.') => name = parent.to_string(),
                    _ => break (Status::Ok, "no CAA records: any CA may issue".into()),
                },
            }
        };
        DnsCheck {
            check: "caa",
            name: norm(domain),
            status,
            detail,
            cause,
            resolver: self.who(),
        }
    }
}

/// What to look at for one validation name.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub domain: &'a str,
    /// The validation CNAME (name, value).
    pub record: Option<(&'a str, &'a str)>,
    /// The Route 53 zone and its NS set, when the zone is known.
    pub zone: Option<(&'a str, &'a [String])>,
}

/// Every check for one validation name.
pub fn diagnose(r: &Resolver, t: &Target<'_>) -> Vec<DnsCheck> {
    let mut out = Vec::new();
    if let Some((name, value)) = t.record {
        out.push(r.check_cname(name, value));
    }
    if let Some((zone, ns)) = t.zone {
        out.push(r.check_delegation(zone, ns));
    }
    out.push(r.check_caa(t.domain));
    out
}

/// Said with every DNS finding: names that only an emulator or a private zone holds are not in
/// public DNS, and that is no cause.
const NOT_PUBLIC: &str = "names that exist only in an emulator or a private zone are never in public DNS: `--no-dns` turns these checks off";

/// The findings the checks make: a cause per failed check, one info finding for skipped ones.
pub fn findings(checks: &[DnsCheck]) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in checks.iter().filter(|c| c.status == Status::Error) {
        out.push(Finding {
            code: AcmCode::DnsServerFailure.into(),
            severity: Severity::Warn,
            message: format!("{}: {} (answered by {})", c.name, c.detail, c.resolver),
            hint: Some(
                "a validating resolver answers SERVFAIL when DNSSEC is broken at the name or a parent (a DS record whose key is gone, expired signatures); ACM's validation and CAA checks fail the same way: check the chain with `delv` or DNSViz, or ask the zone's operator".into(),
            ),
            certificate: None,
        });
    }
    for c in checks.iter().filter(|c| c.status == Status::Fail) {
        let (code, hint) = c.cause.unwrap_or(match c.check {
            "cname" => (
                AcmCode::ValidationCnameNotInDns,
                "public DNS must answer the CNAME ACM asked for: put it in the zone the parent delegates to (`certctl acm records ARN --format zone`)",
            ),
            "delegation" => (
                AcmCode::ZoneDelegationMismatch,
                "make the parent zone (registrar) delegate to the Route 53 zone's NS set, or move the records to the zone that is delegated",
            ),
            _ => (
                AcmCode::CaaForbidsAmazon,
                "add `0 issue \"amazon.com\"` to the CAA set that applies (ACM also accepts amazontrust.com, awstrust.com, amazonaws.com)",
            ),
        });
        out.push(Finding {
            code: code.into(),
            severity: Severity::Deny,
            message: format!("{}: {} (answered by {})", c.name, c.detail, c.resolver),
            hint: Some(format!("{hint}; {NOT_PUBLIC}")),
            certificate: None,
        });
    }
    if let Some(skip) = checks.iter().find(|c| c.status == Status::Skip) {
        out.push(Finding {
            code: AcmCode::DnsCheckSkipped.into(),
            severity: Severity::Info,
            message: format!("DNS checks skipped: {}", skip.detail),
            hint: Some("pass --resolver IP[:PORT] to use another resolver".into()),
            certificate: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_addresses() {
        assert_eq!(
            parse_resolver("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[::1]:53").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        for bad in ["", "dns.google", "1.2.3.4:99999", "1.2.3.4:"] {
            assert!(parse_resolver(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_skipped_check_is_one_info_finding() {
        let skip = |check| DnsCheck {
            check,
            name: "x".into(),
            status: Status::Skip,
            detail: "offline".into(),
            cause: None,
            resolver: "127.0.0.1:53".into(),
        };
        let f = findings(&[skip("cname"), skip("caa")]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, AcmCode::DnsCheckSkipped);
        assert_eq!(f[0].severity, Severity::Info);
    }
}
