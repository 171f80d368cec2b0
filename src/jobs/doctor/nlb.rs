//! The nlb hop: a network load balancer, its TCP :443 listener, the `alb` target group and the
//! ALB registered in it, healthy. Not in the path of a VPC link v2 to the ALB.

use super::*;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let (req, progress, topo) = (w.req, w.progress, w.aws.topo);
    let (lbs, derived, nlb) = (&w.lbs, &w.derived, &w.nlb);
    // 2. NLB: TCP listener → `alb` target group → the ALB, healthy.
    let mut h = HopBuilder::new("nlb", progress);
    let mut alb: Option<LoadBalancer> = match &req.alb {
        Some(a) => Some(
            find_lb(lbs, a)
                .cloned()
                .ok_or_else(|| DoctorError::NoSuchLoadBalancer(a.to_string()))?,
        ),
        None => derived
            .clone()
            .filter(|d| d.kind != crate::aws::LbKind::Network),
    };
    let mut alb_port = Some(443);
    // The port API Gateway dials (the integration URI's, 443 without one).
    let want_port = w.uri_port.unwrap_or(443);
    let mut alb_port_is_uri = false;
    // A VPC link v2 whose integrationTarget names no load balancer: the apigateway hop says
    // so; whether an NLB is in the path cannot be told, so this hop is not judged on v1 rules.
    let v2_unresolved = w.link_version == Some(2) && derived.is_none() && req.nlb.is_none();
    match &nlb {
        None if derived
            .as_ref()
            .is_some_and(|d| d.kind != crate::aws::LbKind::Network) =>
        {
            h.skipped = true;
            h.summary = format!(
                "not in this path: REST API → VPC link v2 → ALB {}",
                alb.as_ref().map(|a| a.name.as_str()).unwrap_or("?")
            );
            alb_port = Some(i32::from(want_port));
            alb_port_is_uri = w.uri_port.is_some();
        }
        _ if v2_unresolved => {
            h.skipped = true;
            h.summary = "not judged: the VPC link v2's integrationTarget names no load balancer of this region (see the apigateway hop)".into();
            w.alb = alb;
            w.alb_port = Some(i32::from(want_port));
            w.alb_port_is_uri = w.uri_port.is_some();
            return Ok(h.done());
        }
        None => {
            h.skipped = true;
            h.summary = "no NLB found (see the route53 hop, or pass --nlb)".into();
        }
        Some(n) if n.kind != crate::aws::LbKind::Network => h.fail(
            DoctorCode::NlbNotNetwork,
            format!(
                "{} is of type {}, not network; a REST API VPC link (v1) targets an NLB",
                n.name, n.kind
            ),
            "put an NLB with a TCP listener in front of the ALB, or use a VPC link v2 to the ALB",
        ),
        Some(n) => {
            let listeners = topo.listeners(&n.arn)?;
            match listeners.iter().find(|l| l.port == Some(i32::from(want_port))) {
                // The integration URI names a port the NLB does not listen on.
                None if w.uri_port.is_some() && !listeners.is_empty() => h.fail(
                    DoctorCode::UriPortMismatch,
                    format!(
                        "the integration URI's port is {want_port}, but {} listens on {} only",
                        n.name,
                        ports(&listeners)
                    ),
                    &format!(
                        "API Gateway dials port {want_port} (the integration URI's) on the NLB: add a TCP :{want_port} listener forwarding to the alb target group, or use the listener's port in the integration URI ({})",
                        uri_hint(&listeners)
                    ),
                ),
                None => h.fail(DoctorCode::NlbNoListener, format!("{} has no listener on {want_port}", n.name), &format!("add a TCP :{want_port} listener forwarding to an `alb` target group")),
                Some(l) if l.protocol != crate::aws::Protocol::Tcp => h.fail(
                    DoctorCode::NlbListenerNotTcp,
                    format!("the NLB's :{want_port} listener is {}, not TCP", l.protocol),
                    "use a TCP listener: an `alb` target group takes TCP only, and TLS must reach the ALB untouched",
                ),
                Some(l) => {
                    let Some(tg_arn) = l.target_groups.first() else {
                        h.fail(DoctorCode::NlbNoTargetGroup, format!("the :{want_port} listener forwards to no target group"), "forward to an `alb` target group");
                        w.alb = alb;
                        w.alb_port = None;
                        return Ok(h.done());
                    };
                    let tg = topo.target_group(tg_arn)?;
                    if tg.target_type != "alb" {
                        h.fail(
                            DoctorCode::NlbTargetGroupNotAlb,
                            format!("target group {} is of type {}, not alb", tg.name, tg.target_type),
                            "create a target group of type alb (TCP, the ALB listener's port) and register the ALB",
                        );
                    }
                    alb_port = tg.port;
                    let health = topo.target_health(&tg.arn)?;
                    if health.is_empty() {
                        h.fail(DoctorCode::NlbNoAlbRegistered, format!("target group {} has no registered target", tg.name), "register the internal ALB in the alb target group");
                    }
                    for t in &health {
                        if t.state != crate::aws::HealthState::Healthy {
                            h.fail(
                                DoctorCode::NlbTargetUnhealthy,
                                format!("target {} is {}{}", t.id, t.state, t.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()),
                                "check the ALB listener on the target group's port and the security groups",
                            );
                        }
                    }
                    let registered = health.iter().find_map(|t| lbs.iter().find(|l| l.arn == t.id)).cloned();
                    match (&alb, registered) {
                        (Some(a), Some(r)) if a.arn != r.arn => h.fail(
                            DoctorCode::NlbWrongAlb,
                            format!("the NLB forwards to {}, not to {}", r.name, a.name),
                            "register the right ALB in the alb target group",
                        ),
                        (None, Some(r)) => alb = Some(r),
                        _ => {}
                    }
                    h.summary = format!("{} TCP :{want_port} → target group {} ({}) → {}", n.name, tg.name, tg.target_type, alb.as_ref().map(|a| a.name.as_str()).unwrap_or("?"));
                }
            }
        }
    }

    w.alb = alb;
    w.alb_port = alb_port;
    w.alb_port_is_uri = alb_port_is_uri;
    Ok(h.done())
}

/// The ports of listeners, as "443 (TCP), 80 (HTTP)".
pub(super) fn ports(listeners: &[crate::aws::ListenerInfo]) -> String {
    listeners
        .iter()
        .map(|l| {
            format!(
                "{} ({})",
                l.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
                l.protocol
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How the integration URI names a listener's port: `https://HOST/` for 443, else `https://HOST:PORT/`.
pub(super) fn uri_hint(listeners: &[crate::aws::ListenerInfo]) -> String {
    match listeners.iter().filter_map(|l| l.port).next() {
        Some(443) | None => "https://HOST/ for 443".into(),
        Some(p) => format!("https://HOST:{p}/"),
    }
}
