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
        None => derived.clone().filter(|d| d.kind != "network"),
    };
    let mut alb_port = Some(443);
    match &nlb {
        None if derived.as_ref().is_some_and(|d| d.kind != "network") => {
            h.skipped = true;
            h.summary = format!(
                "not in this path: REST API → VPC link v2 → ALB {}",
                alb.as_ref().map(|a| a.name.as_str()).unwrap_or("?")
            );
        }
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
                        w.alb = alb;
                        w.alb_port = None;
                        return Ok(h.done());
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

    w.alb = alb;
    w.alb_port = alb_port;
    Ok(h.done())
}
