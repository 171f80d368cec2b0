//! The onprem hop: the ALB's HTTPS target groups and their health, and with --onprem-url the
//! on-prem certificate's expiry (self-signed is fine here: the ALB does not verify targets).

use super::*;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let (req, progress, topo, https_listener) = (w.req, w.progress, w.aws.topo, &w.https_listener);
    // 5. ALB → on-prem: the HTTPS target groups, their health, the on-prem certificate.
    let mut h = HopBuilder::new("onprem", progress);
    match &https_listener {
        None => {
            h.skipped = true;
            h.summary = "no ALB HTTPS listener to follow".into();
        }
        Some(l) => {
            let mut parts = Vec::new();
            if l.target_groups.is_empty() {
                h.fail(
                    DoctorCode::OnpremNoTargetGroup,
                    "the ALB's HTTPS listener forwards to no target group".into(),
                    "forward the listener to an HTTPS target group of the on-prem IP targets",
                );
            }
            for tg_arn in &l.target_groups {
                let tg = topo.target_group(tg_arn)?;
                if tg.protocol != crate::aws::Protocol::Https {
                    h.warn(
                        DoctorCode::OnpremNotHttps,
                        format!(
                            "target group {} is {}: traffic to on-prem is not encrypted",
                            tg.name, tg.protocol
                        ),
                        "use an HTTPS target group",
                    );
                }
                let health = topo.target_health(&tg.arn)?;
                if health.is_empty() {
                    h.fail(
                        DoctorCode::OnpremNoTargets,
                        format!(
                            "target group {} has no registered target: the ALB answers 503",
                            tg.name
                        ),
                        "register the on-prem load balancer's IPs (target type ip, Availability Zone `all` for addresses outside the VPC)",
                    );
                }
                for t in health
                    .iter()
                    .filter(|t| t.state != crate::aws::HealthState::Healthy)
                {
                    h.fail(
                        DoctorCode::OnpremTargetUnhealthy,
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

    Ok(h.done())
}

/// The on-prem certificate: expiry and sanity; self-signed is fine on this hop.
fn onprem_cert(h: &mut HopBuilder, url: &str, req: &DoctorRequest) -> Result<(), DoctorError> {
    let crate::target::Target::Url { host, port } = crate::target::parse_target(url)? else {
        return Err(DoctorError::Input(crate::target::InputError::BadUrl {
            url: url.into(),
            message: "expected https://host[:port]".into(),
        }));
    };
    let step = format!("tls: fetch of {url}");
    match crate::target::fetch(
        &host,
        port,
        None,
        req.onprem_connect_to.as_deref(),
        req.fetch_timeout(&step)?,
    ) {
        Err(_) if req.cut(&step).is_some() => return Err(DoctorError::Deadline { step }),
        Err(e) => h.fail(
            DoctorCode::OnpremUnreachable,
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
                    DoctorCode::Expired,
                    format!("the on-prem certificate expired {} days ago", -days),
                    "`certctl rotate --force` on the on-prem host",
                );
            } else if days < i64::from(req.min_days) {
                h.fail(
                    DoctorCode::ExpiresSoon,
                    format!("the on-prem certificate expires in {days} days"),
                    "`certctl rotate` (check its cron job)",
                );
            }
            if leaf.is_self_issued() {
                h.add(
                    DoctorCode::SelfSigned,
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
