//! The apigateway hop, checked first: the REST API's VPC_LINK integrations, their VPC link (v1
//! or v2) and the load balancer it reaches, which defines the path the other hops follow.

use super::*;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let d = apigateway(w.aws.topo, w.req, &w.host, &w.lbs, w.progress)?;
    w.derived = d.target;
    w.skip_verification = d.skip_verification;
    w.uri_port = d.uri_port;
    w.link_version = d.link_version;
    Ok(d.hop.done())
}

/// What API Gateway says the path is: the load balancer its VPC link reaches, and whether an
/// integration skips certificate verification.
struct Derived {
    hop: HopBuilder,
    /// The load balancer the integrations' VPC link reaches (v1: the NLB; v2: the ALB or NLB).
    target: Option<LoadBalancer>,
    skip_verification: bool,
    /// The integration URI's port (443 when it names none).
    uri_port: Option<u16>,
    /// The VPC link version the integrations use.
    link_version: Option<u8>,
}

/// The apigateway hop, checked first: with `--rest-api-id` the path comes from API Gateway
/// (integration → VPC link → load balancer), and DNS is only a cross-check.
fn apigateway(
    topo: &dyn Topology,
    req: &DoctorRequest,
    host: &str,
    lbs: &[LoadBalancer],
    progress: &dyn Progress,
) -> Result<Derived, DoctorError> {
    let mut h = HopBuilder::new("apigateway", progress);
    let mut out_target: Option<LoadBalancer> = None;
    let mut skip = false;
    let mut uri_port: Option<u16> = None;
    let mut link_version: Option<u8> = None;
    let Some(id) = &req.rest_api_id else {
        h.skipped = true;
        h.summary = "not checked (pass --rest-api-id)".into();
        return Ok(Derived {
            hop: h,
            target: None,
            skip_verification: false,
            uri_port: None,
            link_version: None,
        });
    };
    let integrations = topo.integrations(id)?;
    let links = topo.vpc_links()?;
    let vars = match &req.stage {
        None => None,
        Some(stage) => match topo.stage_variables(id, stage) {
            Ok(v) => Some(v),
            Err(AwsError::NotFound { .. }) => {
                h.fail(
                    DoctorCode::ApigwNoStage,
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
    let resolve = |h: &mut HopBuilder, i: &crate::aws::Integration, what: &str, s: &str| match (
        stage_vars(s, vars.as_ref()),
        &req.stage,
    ) {
        (Ok(v), _) => Some(v),
        (Err(name), None) => {
            h.warn(
                DoctorCode::ApigwStageVariables,
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
                DoctorCode::ApigwStageVariableMissing,
                format!("{} {} takes its {what} from stage variable {name}, which stage {stage} does not define", i.method, i.path),
                "define the stage variable on the stage, or fix the integration",
            );
            None
        }
    };
    let via_link: Vec<_> = integrations
        .iter()
        .filter(|i| i.connection_type.as_deref() == Some("VPC_LINK"))
        .collect();
    if via_link.is_empty() {
        h.fail(
            DoctorCode::ApigwNoVpcLinkIntegration,
            format!("REST API {id} has no VPC_LINK integration"),
            "integrate with connectionType VPC_LINK and the VPC link id",
        );
    }
    let mut kinds = Vec::new();
    for i in &via_link {
        let uri = i.uri.clone().unwrap_or_default();
        let resolved_uri = resolve(&mut h, i, "URI", &uri);
        let resolved_link = match &i.connection_id {
            // None: the link is found by its target below (the emulator leaves the id out)
            Some(c) => resolve(&mut h, i, "VPC link id", c).map(Some),
            None => Some(None),
        };
        match resolved_uri.as_deref().map(crate::target::parse_target) {
            None => {}
            Some(Ok(crate::target::Target::Url { host: uhost, port })) if uhost.eq_ignore_ascii_case(host) => {
                uri_port.get_or_insert(port);
            }
            Some(Ok(crate::target::Target::Url { host: uhost, .. })) => h.fail(
                DoctorCode::ApigwUriHostMismatch,
                format!("{} {} integrates with {uri}: host {uhost} is not {host}", i.method, i.path),
                "use https://HOSTNAME in the integration URI: API Gateway checks the certificate against that host",
            ),
            _ => h.fail(DoctorCode::ApigwUriNotHttps, format!("{} {} integrates with {uri}", i.method, i.path), "use an https:// integration URI"),
        }
        if i.insecure_skip_verification {
            skip = true;
            h.warn(
                DoctorCode::ApigwSkipVerification,
                format!(
                    "{} {} sets tlsConfig.insecureSkipVerification: API Gateway skips only the CA-list check (expiry, hostname and a CA root still count; the alb hop judges the chain that way)",
                    i.method, i.path
                ),
                "turn it off once the certificate chains to a CA API Gateway trusts",
            );
        }
        let Some(connection_id) = resolved_link else {
            continue;
        };
        let link = match &connection_id {
            Some(cid) => match links.iter().find(|l| &l.id == cid) {
                Some(l) => Some(l.clone()),
                None => topo.vpc_link_v2(cid)?,
            },
            // Without the id, a v1 link that reaches a load balancer of this region stands for it.
            None => links
                .iter()
                .find(|l| {
                    l.target_arns
                        .iter()
                        .any(|t| lbs.iter().any(|lb| &lb.arn == t))
                })
                .cloned(),
        };
        let Some(l) = link else {
            h.fail(
                DoctorCode::VpcLinkMissing,
                format!(
                    "VPC link {} not found (neither v1 nor v2)",
                    connection_id.as_deref().unwrap_or("(unnamed)")
                ),
                "create a VPC link (v2 to the ALB, or v1 to an NLB) and use its id as the integration's connectionId",
            );
            continue;
        };
        kinds.push(format!("v{} {}", l.version, l.id));
        link_version.get_or_insert(l.version);
        if l.status != crate::aws::LinkStatus::Available {
            h.fail(
                DoctorCode::VpcLinkNotAvailable,
                format!("VPC link {} (v{}) is {}", l.name, l.version, l.status),
                "wait for AVAILABLE, or recreate it if FAILED/INACTIVE",
            );
        }
        let target_arn = match l.version {
            2 => i.integration_target.clone(),
            _ => l.target_arns.first().cloned(),
        };
        let Some(target_arn) = target_arn else {
            h.fail(
                DoctorCode::VpcLinkNoTarget,
                format!(
                    "{} {} uses VPC link v2 {} without an integrationTarget",
                    i.method, i.path, l.id
                ),
                "set the integration's integrationTarget to the ALB (or NLB) ARN",
            );
            continue;
        };
        let Some(target) = lbs.iter().find(|lb| lb.arn == target_arn) else {
            h.fail(
                DoctorCode::VpcLinkWrongTarget,
                format!(
                    "VPC link {} (v{}) reaches {target_arn}, which is no load balancer in this region",
                    l.name, l.version
                ),
                "point the VPC link at the NLB (v1), or the integrationTarget at the ALB (v2)",
            );
            continue;
        };
        if l.version == 1 && target.kind != crate::aws::LbKind::Network {
            h.fail(
                DoctorCode::VpcLinkWrongTarget,
                format!(
                    "VPC link {} (v1) targets {}, of type {}; a v1 link takes an NLB",
                    l.name, target.name, target.kind
                ),
                "use a VPC link v2 with integrationTarget = the ALB, or put an NLB in front",
            );
        }
        let given = match target.kind.as_str() {
            "network" => req.nlb.as_deref(),
            _ => req.alb.as_deref(),
        };
        if let Some(g) = given.filter(|g| *g != target.arn && *g != target.name) {
            h.fail(
                DoctorCode::VpcLinkWrongTarget,
                format!("VPC link {} reaches {}, not {g}", l.name, target.name),
                "point the VPC link (v1) or the integrationTarget (v2) at the load balancer of this path",
            );
        }
        match &out_target {
            None => out_target = Some(target.clone()),
            Some(t) if t.arn != target.arn => h.fail(
                DoctorCode::ApigwPathsDisagree,
                format!(
                    "{} {} reaches {}, another integration reaches {}",
                    i.method, i.path, target.name, t.name
                ),
                "check one path at a time (--nlb/--alb), or make the integrations agree",
            ),
            Some(_) => {}
        }
    }
    h.summary = format!(
        "REST API {id}{}: {} VPC_LINK integration(s){}{}",
        req.stage
            .as_deref()
            .map(|s| format!(" stage {s}"))
            .unwrap_or_default(),
        via_link.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" via VPC link {}", kinds.join(", "))
        },
        out_target
            .as_ref()
            .map(|t| format!(" → {} ({})", t.name, t.kind))
            .unwrap_or_default()
    );
    Ok(Derived {
        hop: h,
        target: out_target,
        skip_verification: skip,
        uri_port,
        link_version,
    })
}
