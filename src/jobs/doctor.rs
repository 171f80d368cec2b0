//! `certctl doctor`: walk the API Gateway → NLB → ALB → on-prem path hop by hop, read-only, and
//! say which hop is wrong and how to fix it.

use serde::Serialize;

use crate::aws::{Acm, AwsError, Dns, Elb, LoadBalancer, Topology};
use crate::findings::{Finding, Severity};
use crate::jobs::check::{self, CheckRequest};
use crate::jobs::input;
use crate::progress::Progress;

#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error("no load balancer named {0}")]
    NoSuchLoadBalancer(String),
}

impl crate::jobs::JobError for DoctorError {
    fn exit_code(&self) -> u8 {
        match self {
            DoctorError::Aws(_) => 3,
            DoctorError::Input(e) => crate::jobs::JobError::exit_code(e),
            DoctorError::NoSuchLoadBalancer(_) => 2,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            DoctorError::Aws(e) => e.hint(),
            DoctorError::NoSuchLoadBalancer(_) => {
                Some("pass the name or ARN from `aws elbv2 describe-load-balancers`".into())
            }
            DoctorError::Input(e) => crate::jobs::JobError::hint(e),
        }
    }
}

/// What to look at; what is not given is discovered.
#[derive(Debug, Clone)]
pub struct DoctorRequest {
    pub hostname: String,
    pub rest_api_id: Option<String>,
    /// Resolves `${stageVariables.NAME}` in integrations.
    pub stage: Option<String>,
    pub nlb: Option<String>,
    pub alb: Option<String>,
    pub onprem_url: Option<String>,
    pub onprem_connect_to: Option<String>,
    pub min_days: u32,
    pub trust_store: String,
    /// Dial here for the live TLS hop (default: the hostname on 443).
    pub connect_to: Option<String>,
    pub live: bool,
    pub timeout: f64,
    pub at: i64,
}

/// One hop's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub hop: &'static str,
    /// `ok`, `warn`, `fail` or `skip`.
    pub status: &'static str,
    pub summary: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub schema_version: u32,
    pub hostname: String,
    pub at: String,
    pub hops: Vec<Hop>,
}

impl DoctorReport {
    pub fn exit_code(&self) -> u8 {
        u8::from(self.hops.iter().any(|h| h.status == "fail"))
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
    fn add(&mut self, code: &'static str, severity: Severity, message: String, hint: &str) {
        self.findings.push(Finding {
            code,
            severity,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_string()),
            certificate: None,
        });
    }
    fn fail(&mut self, code: &'static str, message: String, hint: &str) {
        self.add(code, Severity::Deny, message, hint);
    }
    fn warn(&mut self, code: &'static str, message: String, hint: &str) {
        self.add(code, Severity::Warn, message, hint);
    }
    fn done(self) -> Hop {
        let worst = self.findings.iter().map(|f| f.severity).max();
        Hop {
            hop: self.hop,
            status: match (self.skipped, worst) {
                (_, Some(Severity::Deny)) => "fail",
                (_, Some(Severity::Warn)) => "warn",
                (true, _) => "skip",
                _ => "ok",
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
    let (name, host) = (name.to_ascii_lowercase(), host.to_ascii_lowercase());
    match name.strip_prefix("*.") {
        Some(base) => host.split_once('.').is_some_and(|(_, rest)| rest == base),
        None => name == host,
    }
}

/// Walks every hop. AWS errors stop the walk (exit 3); everything else is a finding. The hop
/// being checked is reported to `progress` (live TLS to a dead endpoint waits for a timeout).
pub fn run(
    acm: &dyn Acm,
    dns: &dyn Dns,
    elb: &dyn Elb,
    topo: &dyn Topology,
    req: &DoctorRequest,
    progress: &dyn Progress,
) -> Result<DoctorReport, DoctorError> {
    let _wait = crate::progress::Span::begin(progress, &format!("doctor {}", req.hostname));
    let host = crate::names::dns_name(&req.hostname).map_err(|_| {
        DoctorError::Input(input::InputError::BadHostname {
            name: req.hostname.clone(),
        })
    })?;
    let lbs = topo.load_balancers()?;
    let mut hops = Vec::new();

    // 1. Route 53 alias → NLB.
    let mut h = HopBuilder::new("route53", progress);
    let mut nlb: Option<LoadBalancer> = match &req.nlb {
        Some(n) => Some(
            find_lb(&lbs, n)
                .cloned()
                .ok_or_else(|| DoctorError::NoSuchLoadBalancer(n.clone()))?,
        ),
        None => None,
    };
    let zones = dns.list_hosted_zones()?;
    match crate::jobs::acm::zone_for(&zones, &host) {
        Err(e) => h.fail(
            "dns-no-public-zone",
            e.to_string(),
            "create the public hosted zone that API Gateway resolves the hostname in",
        ),
        Ok(zone) => {
            let sets = topo.record_sets(&zone.id)?;
            let alias = sets.iter().find(|s| {
                s.name == host && (s.kind == "A" || s.kind == "AAAA") && s.alias_dns_name.is_some()
            });
            match alias {
                None if sets.iter().any(|s| s.name == host) => h.fail(
                    "dns-not-alias",
                    format!(
                        "{host} exists in zone {} but is not an alias A/AAAA record",
                        zone.name
                    ),
                    "make it an alias A record to the NLB",
                ),
                None => h.fail(
                    "dns-no-record",
                    format!("no record for {host} in zone {} ({})", zone.name, zone.id),
                    "add an alias A record to the NLB",
                ),
                Some(a) => {
                    let target = strip_dualstack(a.alias_dns_name.as_deref().unwrap_or_default())
                        .to_string();
                    let by_dns = lbs
                        .iter()
                        .find(|l| strip_dualstack(&l.dns_name) == target)
                        .cloned();
                    match (&nlb, by_dns) {
                        (Some(n), found) if found.as_ref().map(|f| &f.arn) != Some(&n.arn) => h.fail(
                            "dns-alias-wrong-target",
                            format!("{host} is an alias to {target}, not to the NLB {} ({})", n.name, n.dns_name),
                            "point the alias at the NLB's DNS name",
                        ),
                        (None, None) => h.fail(
                            "dns-alias-unknown-target",
                            format!("{host} is an alias to {target}, which is no load balancer in this region"),
                            "point the alias at the NLB, or pass --region",
                        ),
                        (None, Some(f)) => nlb = Some(f),
                        _ => {}
                    }
                    if let Some(n) = &nlb {
                        if a.alias_zone_id.as_deref() != Some(n.zone_id.as_str())
                            && h.findings.is_empty()
                        {
                            h.fail(
                                "dns-alias-wrong-zone",
                                format!("the alias names hosted zone {}, the NLB's canonical zone is {}", a.alias_zone_id.as_deref().unwrap_or("-"), n.zone_id),
                                "recreate the alias from the load balancer (its canonical hosted zone id)",
                            );
                        }
                    }
                    h.summary = format!("{host} → alias {target} (zone {})", zone.name);
                }
            }
        }
    }
    hops.push(h.done());

    // 2. NLB: TCP listener → `alb` target group → the ALB, healthy.
    let mut h = HopBuilder::new("nlb", progress);
    let mut alb: Option<LoadBalancer> = match &req.alb {
        Some(a) => Some(
            find_lb(&lbs, a)
                .cloned()
                .ok_or_else(|| DoctorError::NoSuchLoadBalancer(a.clone()))?,
        ),
        None => None,
    };
    let mut alb_port = Some(443);
    match &nlb {
        None => {
            h.skipped = true;
            h.summary = "no NLB found (see the route53 hop, or pass --nlb)".into();
        }
        Some(n) if n.kind != "network" => h.fail(
            "nlb-not-network",
            format!(
                "{} is of type {}, not network; a REST API VPC link (v1) targets an NLB",
                n.name, n.kind
            ),
            "put an NLB with a TCP listener in front of the ALB, or use a VPC link v2 to the ALB",
        ),
        Some(n) => {
            let listeners = topo.listeners(&n.arn)?;
            match listeners.iter().find(|l| l.port == Some(443)) {
                None => h.fail("nlb-no-listener", format!("{} has no listener on 443", n.name), "add a TCP :443 listener forwarding to an `alb` target group"),
                Some(l) if l.protocol != "TCP" => h.fail(
                    "nlb-listener-not-tcp",
                    format!("the NLB's :443 listener is {}, not TCP", l.protocol),
                    "use a TCP listener: an `alb` target group takes TCP only, and TLS must reach the ALB untouched",
                ),
                Some(l) => {
                    let Some(tg_arn) = l.target_groups.first() else {
                        h.fail("nlb-no-target-group", "the :443 listener forwards to no target group".into(), "forward to an `alb` target group");
                        hops.push(h.done());
                        return finish(acm, elb, topo, req, &host, hops, (nlb.clone(), alb), None, &lbs, progress);
                    };
                    let tg = topo.target_group(tg_arn)?;
                    if tg.target_type != "alb" {
                        h.fail(
                            "nlb-target-group-not-alb",
                            format!("target group {} is of type {}, not alb", tg.name, tg.target_type),
                            "create a target group of type alb (TCP, the ALB listener's port) and register the ALB",
                        );
                    }
                    alb_port = tg.port;
                    let health = topo.target_health(&tg.arn)?;
                    if health.is_empty() {
                        h.fail("nlb-no-alb-registered", format!("target group {} has no registered target", tg.name), "register the internal ALB in the alb target group");
                    }
                    for t in &health {
                        if t.state != "healthy" {
                            h.fail(
                                "nlb-target-unhealthy",
                                format!("target {} is {}{}", t.id, t.state, t.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()),
                                "check the ALB listener on the target group's port and the security groups",
                            );
                        }
                    }
                    let registered = health.iter().find_map(|t| lbs.iter().find(|l| l.arn == t.id)).cloned();
                    match (&alb, registered) {
                        (Some(a), Some(r)) if a.arn != r.arn => h.fail(
                            "nlb-wrong-alb",
                            format!("the NLB forwards to {}, not to {}", r.name, a.name),
                            "register the right ALB in the alb target group",
                        ),
                        (None, Some(r)) => alb = Some(r),
                        _ => {}
                    }
                    h.summary = format!("{} TCP :443 → target group {} ({}) → {}", n.name, tg.name, tg.target_type, alb.as_ref().map(|a| a.name.as_str()).unwrap_or("?"));
                }
            }
        }
    }
    hops.push(h.done());
    finish(
        acm,
        elb,
        topo,
        req,
        &host,
        hops,
        (nlb, alb),
        alb_port,
        &lbs,
        progress,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    acm: &dyn Acm,
    elb: &dyn Elb,
    topo: &dyn Topology,
    req: &DoctorRequest,
    host: &str,
    mut hops: Vec<Hop>,
    (nlb, alb): (Option<LoadBalancer>, Option<LoadBalancer>),
    alb_port: Option<i32>,
    lbs: &[LoadBalancer],
    progress: &dyn Progress,
) -> Result<DoctorReport, DoctorError> {
    // 3. ALB: HTTPS listener, ACM certificate for the host, chain against the store.
    let mut h = HopBuilder::new("alb", progress);
    let mut https_listener = None;
    match &alb {
        None => {
            h.skipped = true;
            h.summary = "no ALB found (see the nlb hop, or pass --alb)".into();
        }
        Some(a) => {
            let listeners = topo.listeners(&a.arn)?;
            match listeners
                .iter()
                .find(|l| l.protocol == "HTTPS" && (alb_port.is_none() || l.port == alb_port))
            {
                None => h.fail(
                    "alb-no-https-listener",
                    format!(
                        "{} has no HTTPS listener on port {}",
                        a.name,
                        alb_port
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "?".into())
                    ),
                    "add an HTTPS listener on the alb target group's port with the ACM certificate",
                ),
                Some(l) => {
                    https_listener = Some(l.clone());
                    let mut certs: Vec<String> = l.default_certificates.clone();
                    for (c, _) in elb.listener_certificates(&l.arn)? {
                        if !certs.contains(&c) {
                            certs.push(c);
                        }
                    }
                    let mut covering = None;
                    for arn in &certs {
                        if !arn.contains(":acm:") {
                            continue;
                        }
                        let d = acm.describe_certificate(arn)?;
                        let mut names = d.names.clone();
                        names.push(d.domain.clone());
                        if names.iter().any(|n| covers(n, host)) {
                            covering = Some(d);
                            break;
                        }
                    }
                    match covering {
                        None => h.fail(
                            "alb-cert-name-mismatch",
                            format!("no certificate on the HTTPS listener covers {host} ({} certificate(s) checked)", certs.len()),
                            "`certctl acm request HOST --route53-zone auto --wait`, then `certctl acm attach`",
                        ),
                        Some(d) if d.status != "ISSUED" => h.fail(
                            if d.status == "PENDING_VALIDATION" { "acm-validation-pending" } else { "acm-not-issued" },
                            format!("the certificate for {host} is {}", d.status),
                            "`certctl acm records` shows the CNAMEs ACM waits for",
                        ),
                        Some(d) => {
                            let days = d.not_after.map(|t| crate::x509::days_until(t, req.at));
                            if let Some(days) = days.filter(|d| *d < i64::from(req.min_days)) {
                                h.fail("expires-soon", format!("the ACM certificate expires in {days} days"), "check ACM renewal (the validation CNAMEs must stay in DNS)");
                            }
                            if d.renewal_eligibility.as_deref().is_some_and(|r| r != "ELIGIBLE") {
                                h.warn("acm-renewal-ineligible", "ACM will not renew this certificate automatically".into(), "an in-use, DNS-validated certificate is renewed; keep it attached");
                            }
                            let (cert, chain) = acm.get_certificate(&d.arn)?;
                            let pem = format!("{cert}\n{}", chain.unwrap_or_default());
                            match judge_pem(&pem, &d.arn, host, req) {
                                Ok(r) if r.verdict == "trusted" => {}
                                Ok(r) => {
                                    for f in r.findings.into_iter().filter(|f| f.severity == Severity::Deny) {
                                        h.findings.push(Finding { message: format!("chain: {}", f.message), ..f });
                                    }
                                }
                                Err(e) => h.fail("alb-cert-unreadable", format!("cannot judge the ACM chain: {e}"), ""),
                            }
                            h.summary = format!("{} HTTPS :{} with {} ({}, {} days left)", a.name, l.port.unwrap_or(0), d.arn, d.status, days.unwrap_or(0));
                        }
                    }
                }
            }
            if let Some(n) = nlb.as_ref().filter(|n| n.vpc_id != a.vpc_id) {
                h.fail(
                    "vpc-mismatch",
                    format!(
                        "the NLB {} is in {}, the ALB in {}",
                        n.name, n.vpc_id, a.vpc_id
                    ),
                    "an alb target group needs the ALB in the NLB's VPC",
                );
            }
        }
    }
    hops.push(h.done());

    // 4. Live TLS: what is actually served for SNI = hostname.
    let mut h = HopBuilder::new("live-tls", progress);
    if !req.live {
        h.skipped = true;
        h.summary = "not checked (--no-live)".into();
    } else {
        let target = format!("https://{host}");
        let creq = CheckRequest {
            target: target.clone(),
            chain: Vec::new(),
            trust_store: req.trust_store.clone(),
            hostname: Some(host.to_string()),
            connect_to: req.connect_to.clone(),
            timeout: req.timeout,
            min_days: Some(req.min_days),
            policy: None,
            fix_chain: None,
            at: req.at,
            fetched_pem: None,
        };
        match check::run(&creq) {
            Ok(r) => {
                h.summary = format!(
                    "{} serves {} certificate(s): {}",
                    r.address.as_deref().unwrap_or(&target),
                    r.presented,
                    r.verdict
                );
                for f in r
                    .findings
                    .into_iter()
                    .filter(|f| f.severity >= Severity::Warn)
                {
                    h.findings.push(f);
                }
            }
            Err(e) if crate::jobs::JobError::exit_code(&e) == 3 => {
                h.skipped = true;
                h.summary = format!("not reachable from here ({e})");
            }
            Err(e) => h.fail("live-tls-error", e.to_string(), ""),
        }
    }
    hops.push(h.done());

    // 5. ALB → on-prem: the HTTPS target groups, their health, the on-prem certificate.
    let mut h = HopBuilder::new("onprem", progress);
    match &https_listener {
        None => {
            h.skipped = true;
            h.summary = "no ALB HTTPS listener to follow".into();
        }
        Some(l) => {
            let mut parts = Vec::new();
            for tg_arn in &l.target_groups {
                let tg = topo.target_group(tg_arn)?;
                if tg.protocol != "HTTPS" {
                    h.warn(
                        "onprem-not-https",
                        format!(
                            "target group {} is {}: traffic to on-prem is not encrypted",
                            tg.name, tg.protocol
                        ),
                        "use an HTTPS target group",
                    );
                }
                let health = topo.target_health(&tg.arn)?;
                for t in health.iter().filter(|t| t.state != "healthy") {
                    h.fail(
                        "onprem-target-unhealthy",
                        format!("on-prem target {}:{} is {}{}", t.id, t.port.unwrap_or(0), t.state, t.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()),
                        "check Direct Connect routing, security groups and the on-prem health check path",
                    );
                }
                parts.push(format!(
                    "{} {} ({} target{})",
                    tg.name,
                    tg.protocol,
                    health.len(),
                    if health.len() == 1 { "" } else { "s" }
                ));
            }
            h.summary = parts.join(", ");
        }
    }
    if let Some(url) = &req.onprem_url {
        onprem_cert(&mut h, url, req)?;
    }
    hops.push(h.done());

    // 6. API Gateway: VPC link and integration.
    let mut h = HopBuilder::new("apigateway", progress);
    match &req.rest_api_id {
        None => {
            h.skipped = true;
            h.summary = "not checked (pass --rest-api-id)".into();
        }
        Some(id) => {
            let integrations = topo.integrations(id)?;
            let links = topo.vpc_links()?;
            let vars = match &req.stage {
                None => None,
                Some(stage) => match topo.stage_variables(id, stage) {
                    Ok(v) => Some(v),
                    Err(AwsError::NotFound { .. }) => {
                        h.fail(
                            "apigw-no-stage",
                            format!("REST API {id} has no stage {stage}"),
                            "pass a stage that exists (`aws apigateway get-stages --rest-api-id ID`)",
                        );
                        Some(Default::default())
                    }
                    Err(e) => return Err(e.into()),
                },
            };
            // `${stageVariables.NAME}` resolved, or reported: a warning without --stage (the
            // value depends on the stage), a failure when the stage does not define it.
            let resolve = |h: &mut HopBuilder, i: &crate::aws::Integration, what: &str, s: &str| {
                match (stage_vars(s, vars.as_ref()), &req.stage) {
                    (Ok(v), _) => Some(v),
                    (Err(name), None) => {
                        h.warn(
                            "apigw-stage-variables",
                            format!(
                                "{} {} takes its {what} from stage variable {name} ({s})",
                                i.method, i.path
                            ),
                            "pass --stage to check what one stage resolves it to",
                        );
                        None
                    }
                    (Err(name), Some(stage)) => {
                        h.fail(
                            "apigw-stage-variable-missing",
                            format!("{} {} takes its {what} from stage variable {name}, which stage {stage} does not define", i.method, i.path),
                            "define the stage variable on the stage, or fix the integration",
                        );
                        None
                    }
                }
            };
            let via_link: Vec<_> = integrations
                .iter()
                .filter(|i| i.connection_type.as_deref() == Some("VPC_LINK"))
                .collect();
            if via_link.is_empty() {
                h.fail(
                    "apigw-no-vpc-link-integration",
                    format!("REST API {id} has no VPC_LINK integration"),
                    "integrate with connectionType VPC_LINK and the VPC link id",
                );
            }
            for i in &via_link {
                let uri = i.uri.clone().unwrap_or_default();
                let resolved_uri = resolve(&mut h, i, "URI", &uri);
                let resolved_link = match &i.connection_id {
                    // None: reported; the link cannot be checked
                    Some(c) => resolve(&mut h, i, "VPC link id", c).map(Some),
                    None => Some(None),
                };
                match resolved_uri.as_deref().map(input::parse_target) {
                    None => {}
                    Some(Ok(input::Target::Url { host: uhost, .. })) if uhost.eq_ignore_ascii_case(host) => {}
                    Some(Ok(input::Target::Url { host: uhost, .. })) => h.fail(
                        "apigw-uri-host-mismatch",
                        format!("{} {} integrates with {uri}: host {uhost} is not {host}", i.method, i.path),
                        "use https://HOSTNAME in the integration URI: API Gateway checks the certificate against that host",
                    ),
                    _ => h.fail("apigw-uri-not-https", format!("{} {} integrates with {uri}", i.method, i.path), "use an https:// integration URI"),
                }
                if i.insecure_skip_verification {
                    h.warn(
                        "apigw-skip-verification",
                        format!(
                            "{} {} sets tlsConfig.insecureSkipVerification",
                            i.method, i.path
                        ),
                        "turn it off once the certificate chains to a CA API Gateway trusts",
                    );
                }
                // The integration names its VPC link; without the id (an emulator leaves it
                // out), any link that targets this path's NLB or ALB stands for it.
                let on_path = |t: &String| {
                    lbs.iter().any(|lb| {
                        &lb.arn == t
                            && (nlb.as_ref().is_some_and(|n| n.arn == lb.arn)
                                || alb.as_ref().is_some_and(|a| a.arn == lb.arn))
                    })
                };
                let Some(connection_id) = resolved_link else {
                    continue;
                };
                let link = match &connection_id {
                    Some(cid) => links.iter().find(|l| &l.id == cid),
                    None => links.iter().find(|l| l.target_arns.iter().any(on_path)),
                };
                match link {
                    None => h.fail(
                        "vpc-link-missing",
                        format!("VPC link {} not found", connection_id.as_deref().unwrap_or("(unnamed)")),
                        "create a VPC link to the NLB and use its id as the integration's connectionId",
                    ),
                    Some(l) => {
                        if l.status != "AVAILABLE" {
                            h.fail("vpc-link-not-available", format!("VPC link {} is {}", l.name, l.status), "wait for AVAILABLE or recreate it");
                        }
                        if !l.target_arns.iter().any(on_path) {
                            h.fail("vpc-link-wrong-target", format!("VPC link {} targets {}, not the path's NLB or ALB", l.name, l.target_arns.join(", ")), "point the VPC link at the NLB (v1) or the ALB (v2)");
                        }
                    }
                }
            }
            h.summary = format!(
                "REST API {id}{}: {} VPC_LINK integration(s)",
                req.stage
                    .as_deref()
                    .map(|s| format!(" stage {s}"))
                    .unwrap_or_default(),
                via_link.len()
            );
        }
    }
    hops.push(h.done());

    Ok(DoctorReport {
        schema_version: 1,
        hostname: host.to_string(),
        at: crate::x509::rfc3339(req.at),
        hops,
    })
}

/// The ACM chain judged against the chosen store (default API Gateway's).
fn judge_pem(
    pem: &str,
    label: &str,
    host: &str,
    req: &DoctorRequest,
) -> Result<check::CheckReport, check::CheckError> {
    let creq = CheckRequest {
        target: label.to_string(),
        chain: Vec::new(),
        trust_store: req.trust_store.clone(),
        hostname: Some(host.to_string()),
        connect_to: None,
        timeout: req.timeout,
        min_days: Some(req.min_days),
        policy: None,
        fix_chain: None,
        at: req.at,
        fetched_pem: Some(pem.as_bytes().to_vec()),
    };
    check::run(&creq)
}

/// The on-prem certificate: expiry and sanity; self-signed is fine on this hop.
fn onprem_cert(h: &mut HopBuilder, url: &str, req: &DoctorRequest) -> Result<(), DoctorError> {
    let input::Target::Url { host, port } = input::parse_target(url)? else {
        return Err(DoctorError::Input(input::InputError::BadUrl {
            url: url.into(),
            message: "expected https://host[:port]".into(),
        }));
    };
    match input::fetch(
        &host,
        port,
        None,
        req.onprem_connect_to.as_deref(),
        req.timeout,
    ) {
        Err(e) => h.fail(
            "onprem-unreachable",
            format!("cannot fetch {url}: {e}"),
            "doctor must run where it can reach on-prem, or drop --onprem-url",
        ),
        Ok(remote) => {
            let Some(leaf) = remote.certs.first() else {
                return Ok(());
            };
            let days = leaf.days_left(req.at);
            if leaf.not_after < req.at {
                h.fail(
                    "expired",
                    format!("the on-prem certificate expired {} days ago", -days),
                    "`certctl rotate --force` on the on-prem host",
                );
            } else if days < i64::from(req.min_days) {
                h.fail(
                    "expires-soon",
                    format!("the on-prem certificate expires in {days} days"),
                    "`certctl rotate` (check its cron job)",
                );
            }
            if leaf.is_self_issued() {
                h.add(
                    "self-signed",
                    Severity::Info,
                    "the on-prem certificate is self-signed: fine on this hop, the ALB does not verify its targets".into(),
                    "",
                );
            }
            h.summary = format!(
                "{} ; {url} serves {} ({} days left)",
                h.summary,
                leaf.display_name(),
                days
            );
        }
    }
    Ok(())
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
            }],
            integrations: vec![Integration {
                path: "/".into(),
                method: "ANY".into(),
                kind: "HTTP_PROXY".into(),
                uri: Some("https://api.example.com/{proxy}".into()),
                connection_type: Some("VPC_LINK".into()),
                connection_id: Some("vl1".into()),
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
            at: 1_900_000_000,
        };
        (aws, req)
    }

    fn codes_of(r: &DoctorReport, hop: &str) -> Vec<&'static str> {
        r.hops
            .iter()
            .find(|h| h.hop == hop)
            .map(|h| h.findings.iter().map(|f| f.code).collect())
            .unwrap_or_default()
    }

    fn doctor(aws: &FakeAws, req: &DoctorRequest) -> DoctorReport {
        run(aws, aws, aws, aws, req, &crate::progress::Silent).unwrap()
    }

    #[test]
    fn a_sound_path_is_all_ok() {
        let d = tempfile::tempdir().unwrap();
        let (aws, req) = healthy(d.path());
        let r = doctor(&aws, &req);
        let status: Vec<(&str, &str)> = r.hops.iter().map(|h| (h.hop, h.status)).collect();
        assert_eq!(
            status,
            vec![
                ("route53", "ok"),
                ("nlb", "ok"),
                ("alb", "ok"),
                ("live-tls", "skip"),
                ("onprem", "ok"),
                ("apigateway", "ok")
            ],
            "{r:#?}"
        );
        assert_eq!(r.exit_code(), 0);
    }

    #[test]
    fn every_hop_has_a_summary_in_plain_words() {
        let d = tempfile::tempdir().unwrap();
        let (mut aws, req) = healthy(d.path());
        let r = doctor(&aws, &req);
        let onprem = r.hops.iter().find(|h| h.hop == "onprem").unwrap();
        assert_eq!(onprem.summary, "onprem HTTPS (1 target)");
        // A hop that stops at its first failure says why instead of nothing.
        aws.lbs[0].kind = "application".into();
        let r = doctor(&aws, &req);
        for h in &r.hops {
            assert!(!h.summary.is_empty(), "{h:#?}");
        }
        let nlb = r.hops.iter().find(|h| h.hop == "nlb").unwrap();
        assert_eq!(nlb.status, "fail");
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
                "route53",
                "dns-no-record",
                Box::new(|a: &mut FakeAws| a.record_sets.clear()),
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
                "fail",
                "{code}"
            );
            assert_eq!(r.exit_code(), 1, "{code}");
        }
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
                h.status,
                h.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
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
