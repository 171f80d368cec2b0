//! `certctl doctor`: walk the API Gateway → NLB → ALB → on-prem path hop by hop, read-only, and
//! say which hop is wrong and how to fix it. One module per hop, each a `check(&mut Walk)`.

mod alb;
mod apigateway;
mod live_tls;
pub(crate) mod metrics;
mod mtls;
mod nlb;
mod onprem;
mod route53;

use serde::Serialize;

use crate::aws::{Aws, AwsError, LoadBalancer, Topology};
use crate::exit::ExitStatus;
use crate::findings::{AcmCode, CheckCode, Code, DoctorCode, Finding, Severity};
use crate::jobs::check::{self, CheckRequest};

use crate::progress::Progress;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DoctorError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Input(#[from] crate::target::InputError),
    #[error("no load balancer named {0}")]
    NoSuchLoadBalancer(String),
    /// The command's --timeout passed during a live fetch.
    #[error("{step}: the command's deadline passed")]
    Deadline { step: String },
}

impl crate::jobs::JobError for DoctorError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            DoctorError::Aws(e) => e.exit_code(),
            DoctorError::Input(e) => crate::jobs::JobError::exit_code(e),
            DoctorError::NoSuchLoadBalancer(_) => ExitStatus::BadInput,
            DoctorError::Deadline { .. } => ExitStatus::Operational,
        }
    }
    fn step(&self) -> Option<String> {
        match self {
            DoctorError::Aws(e) => e.deadline_step().map(str::to_string),
            DoctorError::Deadline { step } => Some(step.clone()),
            _ => None,
        }
    }
    fn detail(&self) -> Option<String> {
        match self {
            DoctorError::Aws(e) => e.detail().map(str::to_string),
            _ => None,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            DoctorError::Aws(e) => e.hint(),
            DoctorError::NoSuchLoadBalancer(_) => {
                Some("pass the name or ARN from `aws elbv2 describe-load-balancers`".into())
            }
            DoctorError::Input(e) => crate::jobs::JobError::hint(e),
            DoctorError::Deadline { .. } => {
                Some("raise --timeout, or run again: doctor only reads".into())
            }
        }
    }
}

/// What to look at; what is not given is discovered.
#[derive(Debug, Clone)]
pub(crate) struct DoctorRequest {
    pub(crate) hostname: String,
    pub(crate) rest_api_id: Option<String>,
    /// Resolves `${stageVariables.NAME}` in integrations.
    pub(crate) stage: Option<String>,
    pub(crate) nlb: Option<String>,
    pub(crate) alb: Option<String>,
    pub(crate) onprem_url: Option<String>,
    pub(crate) onprem_connect_to: Option<String>,
    pub(crate) min_days: u32,
    pub(crate) trust_store: String,
    /// Dial here for the live TLS hop (default: the hostname on 443).
    pub(crate) connect_to: Option<String>,
    pub(crate) live: bool,
    /// Connect and handshake timeout of each live hop, seconds (cut to what is left of
    /// `deadline`).
    pub(crate) timeout: f64,
    /// The command's deadline: every AWS call (through the client) and live fetch ends by then.
    pub(crate) deadline: crate::deadline::Deadline,
    pub(crate) at: i64,
}

impl DoctorRequest {
    /// The bound of one live fetch started now: the connect timeout or what is left of the
    /// deadline; an error naming `step` once the deadline has passed.
    pub(crate) fn fetch_timeout(&self, step: &str) -> Result<f64, DoctorError> {
        let left = self
            .deadline
            .min_with(std::time::Duration::from_secs_f64(self.timeout));
        if left.is_zero() {
            return Err(DoctorError::Deadline {
                step: step.to_string(),
            });
        }
        Ok(left.as_secs_f64())
    }

    /// A live fetch that failed once the deadline had passed was cut by it.
    pub(crate) fn cut(&self, step: &str) -> Option<DoctorError> {
        self.deadline.expired().then(|| DoctorError::Deadline {
            step: step.to_string(),
        })
    }
}

/// A hop's outcome, from its worst finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HopStatus {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl HopStatus {
    /// As printed and in JSON: `ok`, `warn`, `fail`, `skip`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HopStatus::Ok => "ok",
            HopStatus::Warn => "warn",
            HopStatus::Fail => "fail",
            HopStatus::Skip => "skip",
        }
    }
}

/// One hop's verdict.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Hop {
    pub(crate) hop: &'static str,
    pub(crate) status: HopStatus,
    pub(crate) summary: String,
    pub(crate) findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct DoctorReport {
    pub(crate) schema_version: u32,
    pub(crate) hostname: String,
    pub(crate) at: String,
    pub(crate) hops: Vec<Hop>,
}

impl DoctorReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.hops.iter().any(|h| h.status == HopStatus::Fail))
    }
}

struct HopBuilder {
    hop: &'static str,
    summary: String,
    findings: Vec<Finding>,
    skipped: bool,
}

impl HopBuilder {
    fn new(hop: &'static str, progress: &dyn Progress) -> Self {
        progress.update(&format!("the {hop} hop"));
        HopBuilder {
            hop,
            summary: String::new(),
            findings: Vec::new(),
            skipped: false,
        }
    }
    fn add(&mut self, code: impl Into<Code>, severity: Severity, message: String, hint: &str) {
        self.findings.push(Finding {
            code: code.into(),
            severity,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_string()),
            certificate: None,
        });
    }
    fn fail(&mut self, code: impl Into<Code>, message: String, hint: &str) {
        self.add(code, Severity::Deny, message, hint);
    }
    fn warn(&mut self, code: impl Into<Code>, message: String, hint: &str) {
        self.add(code, Severity::Warn, message, hint);
    }
    fn done(self) -> Hop {
        let worst = self.findings.iter().map(|f| f.severity).max();
        Hop {
            hop: self.hop,
            status: match (self.skipped, worst) {
                (_, Some(Severity::Deny)) => HopStatus::Fail,
                (_, Some(Severity::Warn)) => HopStatus::Warn,
                (true, _) => HopStatus::Skip,
                _ => HopStatus::Ok,
            },
            // A hop that stopped at a finding names it (its first, worst one), never nothing.
            summary: match (self.summary.is_empty(), worst) {
                (true, Some(w)) => self
                    .findings
                    .iter()
                    .find(|f| f.severity == w)
                    .map(|f| f.message.clone())
                    .unwrap_or_default(),
                (true, None) => "nothing to report".into(),
                (false, _) => self.summary,
            },
            findings: self.findings,
        }
    }
}

fn find_lb<'a>(lbs: &'a [LoadBalancer], name_or_arn: &str) -> Option<&'a LoadBalancer> {
    lbs.iter()
        .find(|l| l.arn == name_or_arn || l.name == name_or_arn)
}

fn strip_dualstack(s: &str) -> &str {
    s.strip_prefix("dualstack.").unwrap_or(s)
}

/// Replaces every `${stageVariables.NAME}` in `s` with the stage's value; the first name that
/// cannot be replaced (no stage given, or not defined) is the error.
fn stage_vars(
    s: &str,
    vars: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<String, String> {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find('}') else {
            break; // not a reference: kept as written
        };
        let name = &after[..end];
        match vars.and_then(|v| v.get(name)) {
            Some(value) => {
                out.push_str(&rest[..start]);
                out.push_str(value);
            }
            None => return Err(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a certificate name covers `host` (exact, or a wildcard for one label).
fn covers(name: &str, host: &str) -> bool {
    crate::names::name_covers(name, host)
}

/// The state of a walk: what the hops found so far, for the hops after them.
pub(super) struct Walk<'a> {
    pub(crate) aws: Aws<'a>,
    pub(crate) req: &'a DoctorRequest,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) host: String,
    pub(crate) lbs: Vec<LoadBalancer>,
    /// The load balancer API Gateway's VPC link reaches (with --rest-api-id).
    pub(crate) derived: Option<LoadBalancer>,
    /// An integration sets tlsConfig.insecureSkipVerification.
    pub(crate) skip_verification: bool,
    pub(crate) nlb: Option<LoadBalancer>,
    pub(crate) alb: Option<LoadBalancer>,
    /// The port the NLB's `alb` target group forwards to (the ALB listener's).
    pub(crate) alb_port: Option<i32>,
    /// The integration URI's port (443 when it names none), with --rest-api-id: the port API
    /// Gateway dials on the load balancer its VPC link reaches.
    pub(crate) uri_port: Option<u16>,
    /// The VPC link version of the path (1: to an NLB; 2: integrationTarget), when known.
    pub(crate) link_version: Option<u8>,
    /// `alb_port` is the integration URI's (a VPC link v2 straight to the ALB).
    pub(crate) alb_port_is_uri: bool,
    pub(crate) https_listener: Option<crate::aws::ListenerInfo>,
}

/// Walks every hop. AWS errors stop the walk (exit 3); everything else is a finding. The hop
/// being checked is reported to `progress` (live TLS to a dead endpoint waits for a timeout).
pub(crate) fn run(
    aws: Aws<'_>,
    req: &DoctorRequest,
    progress: &dyn Progress,
) -> Result<DoctorReport, DoctorError> {
    let _wait = crate::progress::Span::begin(progress, &format!("doctor {}", req.hostname));
    let host = crate::names::dns_name(&req.hostname).map_err(|_| {
        DoctorError::Input(crate::target::InputError::BadHostname {
            name: req.hostname.clone(),
        })
    })?;
    let lbs = aws.topo.load_balancers()?;
    let mut w = Walk {
        aws,
        req,
        progress,
        host,
        lbs,
        derived: None,
        skip_verification: false,
        nlb: None,
        alb: None,
        alb_port: Some(443),
        uri_port: None,
        link_version: None,
        alb_port_is_uri: false,
        https_listener: None,
    };
    // API Gateway first: with --rest-api-id its VPC link defines the path; reported last.
    let apigw = apigateway::check(&mut w)?;
    let mut hops = vec![
        route53::check(&mut w)?,
        nlb::check(&mut w)?,
        alb::check(&mut w)?,
        mtls::check(&mut w)?,
        live_tls::check(&mut w)?,
        onprem::check(&mut w)?,
    ];
    hops.push(apigw);
    Ok(DoctorReport {
        schema_version: 1,
        hostname: w.host,
        at: crate::x509::rfc3339(req.at),
        hops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::FakeAws;
    use crate::aws::{
        CertDetail, HostedZone, Integration, ListenerInfo, RecordSet, TargetGroup, TargetHealth,
        VpcLink,
    };

    const NLB: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/nlb/1";
    const ALB: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/alb/2";
    const CERT: &str = "arn:aws:acm:eu-west-1:1:certificate/c";

    fn lb(arn: &str, name: &str, kind: &str) -> LoadBalancer {
        LoadBalancer {
            arn: arn.into(),
            name: name.into(),
            dns_name: format!("{name}.elb.example"),
            zone_id: "ZLB".into(),
            kind: kind.into(),
            vpc_id: "vpc-1".into(),
        }
    }

    /// A sound path, as the emulator cannot make it (unhealthy targets, link states, ids).
    fn healthy(dir: &std::path::Path) -> (FakeAws, DoctorRequest) {
        let m = crate::mint::leaf(
            &crate::mint::LeafSpec {
                dns: vec!["api.example.com".into()],
                ips: vec![],
                key: crate::keys::KeyAlg::EcdsaP256,
                days: 200,
                at: 1_900_000_000,
            },
            None,
        )
        .unwrap();
        let pem = crate::pem::encode_certificate(&m.cert.der);
        std::fs::write(dir.join("store.pem"), &pem).unwrap();
        let aws = FakeAws {
            pem: Some((pem, None)),
            zones: vec![HostedZone {
                id: "Z1".into(),
                name: "example.com".into(),
                private: false,
            }],
            lbs: vec![lb(NLB, "nlb", "network"), lb(ALB, "alb", "application")],
            lb_listeners: vec![
                (
                    NLB.into(),
                    ListenerInfo {
                        arn: "l-nlb".into(),
                        protocol: "TCP".into(),
                        port: Some(443),
                        target_groups: vec!["tg-alb".into()],
                        default_certificates: vec![],
                    },
                ),
                (
                    ALB.into(),
                    ListenerInfo {
                        arn: "l-alb".into(),
                        protocol: "HTTPS".into(),
                        port: Some(443),
                        target_groups: vec!["tg-onprem".into()],
                        default_certificates: vec![CERT.into()],
                    },
                ),
            ],
            tgs: vec![
                TargetGroup {
                    arn: "tg-alb".into(),
                    name: "to-alb".into(),
                    target_type: "alb".into(),
                    protocol: "TCP".into(),
                    port: Some(443),
                    vpc_id: "vpc-1".into(),
                },
                TargetGroup {
                    arn: "tg-onprem".into(),
                    name: "onprem".into(),
                    target_type: "ip".into(),
                    protocol: "HTTPS".into(),
                    port: Some(443),
                    vpc_id: "vpc-1".into(),
                },
            ],
            health: vec![
                (
                    "tg-alb".into(),
                    TargetHealth {
                        id: ALB.into(),
                        port: Some(443),
                        state: "healthy".into(),
                        reason: None,
                    },
                ),
                (
                    "tg-onprem".into(),
                    TargetHealth {
                        id: "10.0.1.10".into(),
                        port: Some(443),
                        state: "healthy".into(),
                        reason: None,
                    },
                ),
            ],
            record_sets: vec![(
                "Z1".into(),
                RecordSet {
                    name: "api.example.com".into(),
                    kind: "A".into(),
                    values: vec![],
                    alias_dns_name: Some("dualstack.nlb.elb.example".into()),
                    alias_zone_id: Some("ZLB".into()),
                },
            )],
            links: vec![VpcLink {
                id: "vl1".into(),
                name: "link".into(),
                status: "AVAILABLE".into(),
                target_arns: vec![NLB.into()],
                version: 1,
            }],
            integrations: vec![Integration {
                path: "/".into(),
                method: "ANY".into(),
                kind: "HTTP_PROXY".into(),
                uri: Some("https://api.example.com/{proxy}".into()),
                connection_type: Some("VPC_LINK".into()),
                connection_id: Some("vl1".into()),
                integration_target: None,
                insecure_skip_verification: false,
            }],
            ..FakeAws::default()
        };
        aws.certs.borrow_mut().push(CertDetail {
            arn: CERT.into(),
            domain: "api.example.com".into(),
            names: vec!["api.example.com".into()],
            status: "ISSUED".into(),
            not_after: Some(1_900_000_000 + 200 * 86_400),
            renewal_eligibility: Some("ELIGIBLE".into()),
            ..CertDetail::default()
        });
        let req = DoctorRequest {
            hostname: "api.example.com".into(),
            rest_api_id: Some("api1".into()),
            stage: None,
            nlb: None,
            alb: None,
            onprem_url: None,
            onprem_connect_to: None,
            min_days: 30,
            trust_store: dir.join("store.pem").display().to_string(),
            connect_to: None,
            live: false,
            timeout: 1.0,
            deadline: crate::deadline::Deadline::after(
                std::time::Instant::now(),
                std::time::Duration::from_secs(60),
            ),
            at: 1_900_000_000,
        };
        (aws, req)
    }

    fn codes_of(r: &DoctorReport, hop: &str) -> Vec<&'static str> {
        r.hops
            .iter()
            .find(|h| h.hop == hop)
            .map(|h| h.findings.iter().map(|f| f.code.as_str()).collect())
            .unwrap_or_default()
    }

    fn doctor(aws: &FakeAws, req: &DoctorRequest) -> DoctorReport {
        run(Aws::of(aws), req, &crate::progress::Silent).unwrap()
    }

    #[test]
    fn a_sound_path_is_all_ok() {
        let d = tempfile::tempdir().unwrap();
        let (aws, req) = healthy(d.path());
        let r = doctor(&aws, &req);
        let status: Vec<(&str, &str)> = r.hops.iter().map(|h| (h.hop, h.status.as_str())).collect();
        assert_eq!(
            status,
            vec![
                ("route53", "ok"),
                ("nlb", "ok"),
                ("alb", "ok"),
                ("mtls", "skip"),
                ("live-tls", "skip"),
                ("onprem", "ok"),
                ("apigateway", "ok")
            ],
            "{r:#?}"
        );
        assert_eq!(r.exit_code(), ExitStatus::Ok);
    }

    #[test]
    fn every_hop_has_a_summary_in_plain_words() {
        let d = tempfile::tempdir().unwrap();
        let (mut aws, req) = healthy(d.path());
        let r = doctor(&aws, &req);
        let onprem = r.hops.iter().find(|h| h.hop == "onprem").unwrap();
        assert_eq!(onprem.summary, "onprem HTTPS (1 target)");
        // A hop that stops at its first failure says why instead of nothing (found through
        // the alias: with a REST API the VPC link decides which load balancer is in the path).
        aws.lbs[0].kind = crate::aws::LbKind::Application;
        let req = DoctorRequest {
            rest_api_id: None,
            ..req
        };
        let r = doctor(&aws, &req);
        for h in &r.hops {
            assert!(!h.summary.is_empty(), "{h:#?}");
        }
        let nlb = r.hops.iter().find(|h| h.hop == "nlb").unwrap();
        assert_eq!(nlb.status, HopStatus::Fail);
        assert!(nlb.summary.contains("not network"), "{}", nlb.summary);
    }

    /// One change that breaks a sound path.
    type Break = Box<dyn Fn(&mut FakeAws)>;

    #[test]
    fn what_the_emulator_cannot_break() {
        let d = tempfile::tempdir().unwrap();
        let cases: Vec<(&str, &str, Break)> = vec![
            (
                "nlb",
                "nlb-target-unhealthy",
                Box::new(|a: &mut FakeAws| a.health[0].1.state = "unhealthy".into()),
            ),
            (
                "onprem",
                "onprem-target-unhealthy",
                Box::new(|a: &mut FakeAws| {
                    a.health[1].1.state = "unhealthy".into();
                    a.health[1].1.reason = Some("Target.Timeout".into());
                }),
            ),
            (
                "onprem",
                "onprem-no-targets",
                Box::new(|a: &mut FakeAws| a.health.retain(|(tg, _)| tg != "tg-onprem")),
            ),
            (
                "onprem",
                "onprem-no-target-group",
                Box::new(|a: &mut FakeAws| a.lb_listeners[1].1.target_groups.clear()),
            ),
            (
                "apigateway",
                "vpc-link-not-available",
                Box::new(|a: &mut FakeAws| a.links[0].status = "PENDING".into()),
            ),
            (
                "apigateway",
                "vpc-link-wrong-target",
                Box::new(|a: &mut FakeAws| a.links[0].target_arns = vec!["arn:other".into()]),
            ),
            (
                "apigateway",
                "vpc-link-missing",
                Box::new(|a: &mut FakeAws| a.integrations[0].connection_id = Some("nope".into())),
            ),
            (
                "apigateway",
                "apigw-uri-host-mismatch",
                Box::new(|a: &mut FakeAws| {
                    a.integrations[0].uri = Some("https://nlb.elb.example/".into())
                }),
            ),
            (
                "route53",
                "dns-alias-wrong-zone",
                Box::new(|a: &mut FakeAws| {
                    a.record_sets[0].1.alias_zone_id = Some("ZOTHER".into())
                }),
            ),
            (
                "alb",
                "vpc-mismatch",
                Box::new(|a: &mut FakeAws| a.lbs[1].vpc_id = "vpc-2".into()),
            ),
            (
                "alb",
                "expires-soon",
                Box::new(|a: &mut FakeAws| {
                    a.certs.borrow_mut()[0].not_after = Some(1_900_000_000 + 5 * 86_400)
                }),
            ),
        ];
        for (hop, code, breakit) in cases {
            let (mut aws, req) = healthy(d.path());
            breakit(&mut aws);
            let r = doctor(&aws, &req);
            assert!(
                codes_of(&r, hop).contains(&code),
                "{code}: {:?}",
                codes_of(&r, hop)
            );
            assert_eq!(
                r.hops.iter().find(|h| h.hop == hop).unwrap().status,
                HopStatus::Fail,
                "{code}"
            );
            assert_eq!(r.exit_code(), ExitStatus::CheckFailed, "{code}");
        }
    }

    fn status_of(r: &DoctorReport, hop: &str) -> &'static str {
        r.hops
            .iter()
            .find(|h| h.hop == hop)
            .unwrap()
            .status
            .as_str()
    }

    /// REST API → VPC link v2 → ALB, no NLB. The emulator cannot carry this: its
    /// GetIntegration returns neither connectionId nor integrationTarget, so the fake does.
    fn v2_to_alb(a: &mut FakeAws) {
        a.links.push(VpcLink {
            id: "v2link".into(),
            name: "link-v2".into(),
            status: "AVAILABLE".into(),
            target_arns: vec![],
            version: 2,
        });
        a.integrations[0].connection_id = Some("v2link".into());
        a.integrations[0].integration_target = Some(ALB.into());
        a.record_sets[0].1.alias_dns_name = Some("dualstack.alb.elb.example".into());
    }

    #[test]
    fn a_v2_link_to_the_alb_is_a_path_without_nlb() {
        let d = tempfile::tempdir().unwrap();
        let (mut aws, req) = healthy(d.path());
        v2_to_alb(&mut aws);
        let r = doctor(&aws, &req);
        let nlb = r.hops.iter().find(|h| h.hop == "nlb").unwrap();
        assert_eq!(nlb.status, HopStatus::Skip, "{r:#?}");
        assert!(nlb.summary.contains("not in this path"), "{}", nlb.summary);
        for hop in ["route53", "alb", "onprem", "apigateway"] {
            assert_eq!(status_of(&r, hop), "ok", "{hop}: {r:#?}");
        }
        assert_eq!(r.exit_code(), ExitStatus::Ok);

        // The v2 link's own state and the integration's target are what count.
        let cases: Vec<(&str, Break)> = vec![
            (
                "vpc-link-not-available",
                Box::new(|a: &mut FakeAws| a.links[1].status = "FAILED".into()),
            ),
            (
                "vpc-link-no-target",
                Box::new(|a: &mut FakeAws| a.integrations[0].integration_target = None),
            ),
            (
                "vpc-link-wrong-target",
                Box::new(|a: &mut FakeAws| {
                    a.integrations[0].integration_target = Some(
                        "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/gone/9".into(),
                    )
                }),
            ),
            (
                "vpc-link-missing",
                Box::new(|a: &mut FakeAws| a.integrations[0].connection_id = Some("nope".into())),
            ),
        ];
        for (code, breakit) in cases {
            let (mut aws, req) = healthy(d.path());
            v2_to_alb(&mut aws);
            breakit(&mut aws);
            let r = doctor(&aws, &req);
            assert!(codes_of(&r, "apigateway").contains(&code), "{code}: {r:#?}");
            assert_eq!(r.exit_code(), ExitStatus::CheckFailed, "{code}");
        }
    }

    #[test]
    fn a_v2_link_with_a_bad_integration_target_skips_the_nlb_hop() {
        let d = tempfile::tempdir().unwrap();
        for target in [
            Some("arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/gone/9"),
            None,
        ] {
            let (mut aws, req) = healthy(d.path());
            v2_to_alb(&mut aws);
            aws.integrations[0].integration_target = target.map(str::to_string);
            let r = doctor(&aws, &req);
            let nlb = r.hops.iter().find(|h| h.hop == "nlb").unwrap();
            assert_eq!(nlb.status, HopStatus::Skip, "{target:?}: {r:#?}");
            assert!(nlb.findings.is_empty(), "no v1 message: {:?}", nlb.findings);
            assert!(nlb.summary.contains("integrationTarget"), "{}", nlb.summary);
            assert_eq!(status_of(&r, "apigateway"), "fail");
            assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
        }
    }

    #[test]
    fn the_integration_uris_port_must_be_a_listener_of_the_hop_that_owns_it() {
        let d = tempfile::tempdir().unwrap();
        let on_8443 = |a: &mut FakeAws| {
            a.integrations[0].uri = Some("https://api.example.com:8443/{proxy}".into())
        };
        // v1: the NLB owns the listener API Gateway dials.
        let (mut aws, req) = healthy(d.path());
        on_8443(&mut aws);
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "nlb"), vec!["uri-port-mismatch"], "{r:#?}");
        let f = &r.hops.iter().find(|h| h.hop == "nlb").unwrap().findings[0];
        assert!(
            f.message.contains("8443") && f.message.contains("443 (TCP)"),
            "{}",
            f.message
        );
        let hint = f.hint.as_deref().unwrap();
        assert!(hint.contains(":8443") && hint.contains("443"), "{hint}");
        assert_eq!(status_of(&r, "nlb"), "fail");
        assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
        // v2 to the ALB: the ALB owns it; the NLB is not in the path.
        let (mut aws, req) = healthy(d.path());
        v2_to_alb(&mut aws);
        on_8443(&mut aws);
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "alb"), vec!["uri-port-mismatch"], "{r:#?}");
        assert_eq!(status_of(&r, "nlb"), "skip");
        assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
        // A matching listener on 8443 is sound (v1: NLB TCP :8443; v2: ALB HTTPS :8443).
        let (mut aws, req) = healthy(d.path());
        on_8443(&mut aws);
        aws.lb_listeners[0].1.port = Some(8443);
        assert_eq!(doctor(&aws, &req).exit_code(), ExitStatus::Ok);
        let (mut aws, req) = healthy(d.path());
        v2_to_alb(&mut aws);
        on_8443(&mut aws);
        aws.lb_listeners[1].1.port = Some(8443);
        let r = doctor(&aws, &req);
        assert_eq!(r.exit_code(), ExitStatus::Ok, "{r:#?}");
        // Without a port the URI means 443: the sound path stays sound.
        let (aws, req) = healthy(d.path());
        assert_eq!(doctor(&aws, &req).exit_code(), ExitStatus::Ok);
    }

    #[test]
    fn the_alb_hop_says_why_acm_failed_and_an_imported_certificate_is_re_imported() {
        let d = tempfile::tempdir().unwrap();
        let (aws, req) = healthy(d.path());
        {
            let mut c = aws.certs.borrow_mut();
            c[0].status = "FAILED".into();
            c[0].failure_reason = Some("CAA_ERROR".into());
        }
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "alb"), vec!["acm-validation-failed"]);
        let f = &r.hops.iter().find(|h| h.hop == "alb").unwrap().findings[0];
        assert!(f.message.contains("CAA_ERROR") && f.message.contains("CAA record"));
        assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
        for (state, code) in [
            ("REVOKED", "acm-revoked"),
            ("EXPIRED", "acm-expired"),
            ("VALIDATION_TIMED_OUT", "acm-validation-timed-out"),
        ] {
            let (aws, req) = healthy(d.path());
            aws.certs.borrow_mut()[0].status = state.into();
            let r = doctor(&aws, &req);
            assert_eq!(codes_of(&r, "alb"), vec![code], "{state}");
            assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
        }
        // Imported: never renewed by ACM, so the hint is a re-import, never managed renewal.
        let (aws, req) = healthy(d.path());
        {
            let mut c = aws.certs.borrow_mut();
            c[0].kind = Some("IMPORTED".into());
            c[0].renewal_eligibility = Some("INELIGIBLE".into());
            c[0].not_after = Some(1_900_000_000 + 5 * 86_400);
        }
        let r = doctor(&aws, &req);
        let alb = r.hops.iter().find(|h| h.hop == "alb").unwrap();
        for f in &alb.findings {
            let hint = f.hint.as_deref().unwrap_or_default();
            assert!(
                !hint.contains("keep it attached") && !hint.contains("validation CNAMEs"),
                "{f:?}"
            );
        }
        let soon = alb
            .findings
            .iter()
            .find(|f| f.code == DoctorCode::ExpiresSoon)
            .unwrap();
        assert!(
            soon.hint.as_deref().unwrap().contains("re-import"),
            "{soon:?}"
        );
        let renewal = alb
            .findings
            .iter()
            .find(|f| f.code == AcmCode::AcmRenewalIneligible)
            .unwrap();
        assert_eq!(renewal.severity, Severity::Warn);
        assert!(renewal.message.contains("imported"), "{}", renewal.message);
        assert!(renewal
            .hint
            .as_deref()
            .unwrap()
            .contains("import-certificate"));
    }

    #[test]
    fn with_a_rest_api_the_alias_is_only_a_cross_check() {
        let d = tempfile::tempdir().unwrap();
        // No alias at all: a warning (API Gateway does not resolve the name).
        let (mut aws, req) = healthy(d.path());
        aws.record_sets.clear();
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "route53"), vec!["dns-alias-missing"]);
        assert_eq!(status_of(&r, "route53"), "warn");
        assert_eq!(
            status_of(&r, "nlb"),
            "ok",
            "the NLB comes from the VPC link"
        );
        assert_eq!(r.exit_code(), ExitStatus::Ok, "{r:#?}");
        // Only a private zone holds the name: also a warning.
        let (mut aws, req) = healthy(d.path());
        aws.zones[0].private = true;
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "route53"), vec!["dns-alias-missing"]);
        assert_eq!(r.exit_code(), ExitStatus::Ok);
        // An alias to another load balancer than the link reaches: the paths disagree.
        let (mut aws, req) = healthy(d.path());
        aws.record_sets[0].1.alias_dns_name = Some("alb.elb.example".into());
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "route53"), vec!["dns-alias-wrong-target"]);
        assert_eq!(status_of(&r, "route53"), "fail");
        assert_eq!(status_of(&r, "nlb"), "ok");
        // Without --rest-api-id the alias is how the NLB is found: missing is a failure.
        let (mut aws, mut req) = healthy(d.path());
        aws.record_sets.clear();
        req.rest_api_id = None;
        let r = doctor(&aws, &req);
        assert_eq!(codes_of(&r, "route53"), vec!["dns-no-record"]);
        assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
    }

    /// A private root and a leaf for api.example.com it issued, as PEM.
    fn private_chain() -> (String, String) {
        let root = crate::mint::ca(
            "Private Root",
            crate::keys::KeyAlg::EcdsaP256,
            3650,
            1_900_000_000,
        )
        .unwrap();
        let root_pem = crate::pem::encode_certificate(&root.cert.der);
        let ca = crate::mint::Ca {
            cert: root.cert,
            key: root.key,
        };
        let leaf = crate::mint::leaf(
            &crate::mint::LeafSpec {
                dns: vec!["api.example.com".into()],
                ips: vec![],
                key: crate::keys::KeyAlg::EcdsaP256,
                days: 200,
                at: 1_900_000_000,
            },
            Some(&ca),
        )
        .unwrap();
        (crate::pem::encode_certificate(&leaf.cert.der), root_pem)
    }

    /// The emulator ignores tlsConfig on REST integrations' reads only partly; the fake
    /// carries the flag and the chain exactly.
    #[test]
    fn skip_verification_judges_the_alb_chain_by_api_gateways_rules() {
        let d = tempfile::tempdir().unwrap();
        // The healthy fake serves a self-signed CA:FALSE leaf: trusted by the test store, but
        // API Gateway refuses it even with insecureSkipVerification.
        let (mut aws, req) = healthy(d.path());
        aws.integrations[0].insecure_skip_verification = true;
        let r = doctor(&aws, &req);
        assert!(
            codes_of(&r, "alb").contains(&"skip-verify-self-signed-leaf"),
            "{r:#?}"
        );
        assert_eq!(status_of(&r, "alb"), "fail");
        assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
        // A complete private-CA chain passes (untrusted by the store: the list is skipped).
        let (mut aws, req) = healthy(d.path());
        aws.integrations[0].insecure_skip_verification = true;
        let (leaf, root) = private_chain();
        aws.pem = Some((leaf.clone(), Some(root)));
        let r = doctor(&aws, &req);
        assert_eq!(status_of(&r, "alb"), "ok", "{r:#?}");
        assert_eq!(codes_of(&r, "apigateway"), vec!["apigw-skip-verification"]);
        assert_eq!(r.exit_code(), ExitStatus::Ok);
        // The same chain without the root: no root, no pass.
        let (mut aws, req) = healthy(d.path());
        aws.integrations[0].insecure_skip_verification = true;
        aws.pem = Some((leaf, None));
        let r = doctor(&aws, &req);
        assert!(
            codes_of(&r, "alb").contains(&"skip-verify-no-root"),
            "{r:#?}"
        );
    }

    #[test]
    fn the_missing_intermediate_hint_is_one_acm_can_follow() {
        let d = tempfile::tempdir().unwrap();
        let (leaf, _) = private_chain();
        let hint_for = |kind: &str| {
            let (mut aws, req) = healthy(d.path());
            aws.pem = Some((leaf.clone(), None));
            aws.certs.borrow_mut()[0].kind = Some(kind.into());
            let r = doctor(&aws, &req);
            let h = r.hops.iter().find(|h| h.hop == "alb").unwrap();
            let f = h
                .findings
                .iter()
                .find(|f| f.code == CheckCode::MissingIntermediate)
                .unwrap_or_else(|| panic!("{r:#?}"));
            f.hint.clone().unwrap()
        };
        let imported = hint_for("IMPORTED");
        assert!(
            imported.contains("import-certificate") && imported.contains("--certificate-chain"),
            "{imported}"
        );
        assert!(!imported.contains("--chain FILE"));
        let amazon = hint_for("AMAZON_ISSUED");
        assert!(amazon.contains("ACM serves its own"), "{amazon}");
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("api.example.com", "API.example.com"));
        assert!(covers("*.example.com", "api.example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("*.example.com", "example.com"));
    }

    #[test]
    fn stage_variables_are_resolved_with_a_stage_and_reported_without() {
        let d = tempfile::tempdir().unwrap();
        let vars = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let templated = |a: &mut FakeAws| {
            a.integrations[0].uri = Some("https://${stageVariables.host}/{proxy}".into());
            a.integrations[0].connection_id = Some("${stageVariables.vpcLinkId}".into());
            a.stages = vec![
                (
                    "prod".into(),
                    vars(&[("host", "api.example.com"), ("vpcLinkId", "vl1")]),
                ),
                (
                    "test".into(),
                    vars(&[("host", "test.example.com"), ("vpcLinkId", "vl1")]),
                ),
                ("half".into(), vars(&[("host", "api.example.com")])),
            ];
        };
        let apigw = |stage: Option<&str>| {
            let (mut aws, mut req) = healthy(d.path());
            templated(&mut aws);
            req.stage = stage.map(str::to_string);
            let r = doctor(&aws, &req);
            let h = r
                .hops
                .iter()
                .find(|h| h.hop == "apigateway")
                .unwrap()
                .clone();
            (
                h.status.as_str(),
                h.findings
                    .iter()
                    .map(|f| f.code.as_str())
                    .collect::<Vec<_>>(),
            )
        };
        // Without --stage: reported as a warning, not guessed and not failed.
        assert_eq!(
            apigw(None),
            (
                "warn",
                vec!["apigw-stage-variables", "apigw-stage-variables"]
            )
        );
        assert_eq!(apigw(Some("prod")), ("ok", vec![]));
        assert_eq!(
            apigw(Some("test")),
            ("fail", vec!["apigw-uri-host-mismatch"])
        );
        assert_eq!(
            apigw(Some("half")),
            ("fail", vec!["apigw-stage-variable-missing"])
        );
        let (status, codes) = apigw(Some("nope"));
        assert_eq!(status, "fail");
        assert!(codes.contains(&"apigw-no-stage"), "{codes:?}");
    }

    #[test]
    fn stage_variable_substitution() {
        let v: std::collections::BTreeMap<String, String> =
            [("a".to_string(), "x".to_string()), ("b".into(), "".into())].into();
        assert_eq!(
            stage_vars("https://${stageVariables.a}/p", Some(&v)).unwrap(),
            "https://x/p"
        );
        assert_eq!(
            stage_vars("${stageVariables.a}${stageVariables.b}-", Some(&v)).unwrap(),
            "x-"
        );
        assert_eq!(stage_vars("plain", None).unwrap(), "plain");
        assert_eq!(
            stage_vars("${stageVariables.c}", Some(&v)).unwrap_err(),
            "c"
        );
        assert_eq!(stage_vars("${stageVariables.a}", None).unwrap_err(), "a");
        // An unterminated reference is text, not a panic.
        assert_eq!(
            stage_vars("x${stageVariables.a", Some(&v)).unwrap(),
            "x${stageVariables.a"
        );
    }
}
