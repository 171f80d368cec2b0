//! The route53 hop: the alias for the hostname. Without --rest-api-id it is how the NLB is
//! found; with it, a cross-check of the path API Gateway's VPC link defines.

use super::*;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let (req, progress, dns, topo) = (w.req, w.progress, w.aws.dns, w.aws.topo);
    let (host, lbs, derived) = (w.host.clone(), &w.lbs, &w.derived);
    // 1. Route 53 alias: the way to find the NLB without --rest-api-id; with it, a
    // cross-check (API Gateway never resolves the name: the alias serves clients in the VPC).
    let mut h = HopBuilder::new("route53", progress);
    let mut nlb: Option<LoadBalancer> = match &req.nlb {
        Some(n) => Some(
            find_lb(lbs, n)
                .cloned()
                .ok_or_else(|| DoctorError::NoSuchLoadBalancer(n.to_string()))?,
        ),
        None => derived
            .clone()
            .filter(|d| d.kind == crate::aws::LbKind::Network),
    };
    let expect = derived.clone().or_else(|| nlb.clone());
    let cross = derived.is_some();
    const NOT_NEEDED: &str = "clients in the VPC and doctor's live hop cannot reach the name; API Gateway does not need it (the VPC link picks the load balancer)";
    let zones = dns.list_hosted_zones()?;
    match crate::jobs::acm::zone_for(&zones, &host) {
        Err(e) if cross => h.warn(
            DoctorCode::DnsAliasMissing,
            format!("{e}: {NOT_NEEDED}"),
            "add an alias A record in the public zone to the load balancer the VPC link reaches, if clients in the VPC use the name",
        ),
        Err(e) => h.fail(
            DoctorCode::DnsNoPublicZone,
            e.to_string(),
            "create the public hosted zone that holds the hostname, or pass --rest-api-id (or --nlb)",
        ),
        Ok(zone) => {
            let sets = topo.record_sets(&zone.id)?;
            let alias = sets.iter().find(|s| {
                s.name == host && (s.kind == "A" || s.kind == "AAAA") && s.alias_dns_name.is_some()
            });
            match alias {
                None if sets.iter().any(|s| s.name == host) => h.add(
                    DoctorCode::DnsNotAlias,
                    if cross { Severity::Warn } else { Severity::Deny },
                    format!(
                        "{host} exists in zone {} but is not an alias A/AAAA record",
                        zone.name
                    ),
                    "make it an alias A record to the load balancer",
                ),
                None if cross => h.warn(
                    DoctorCode::DnsAliasMissing,
                    format!("no alias for {host} in zone {} ({}): {NOT_NEEDED}", zone.name, zone.id),
                    "add an alias A record to the load balancer the VPC link reaches, if clients in the VPC use the name",
                ),
                None => h.fail(
                    DoctorCode::DnsNoRecord,
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
                    match (&expect, by_dns) {
                        (Some(n), found) if found.as_ref().map(|f| &f.arn) != Some(&n.arn) => h.fail(
                            DoctorCode::DnsAliasWrongTarget,
                            if cross {
                                format!("{host} is an alias to {target}, but API Gateway's VPC link reaches {} ({}): the two paths disagree", n.name, n.dns_name)
                            } else {
                                format!("{host} is an alias to {target}, not to the NLB {} ({})", n.name, n.dns_name)
                            },
                            "point the alias at the load balancer the VPC link reaches (its DNS name)",
                        ),
                        (None, None) => h.fail(
                            DoctorCode::DnsAliasUnknownTarget,
                            format!("{host} is an alias to {target}, which is no load balancer in this region"),
                            "point the alias at the NLB, or pass --region",
                        ),
                        (None, Some(f)) => nlb = Some(f),
                        _ => {}
                    }
                    if let Some(n) = expect.as_ref().or(nlb.as_ref()) {
                        if a.alias_zone_id.as_deref() != Some(n.zone_id.as_str())
                            && h.findings.is_empty()
                        {
                            h.fail(
                                DoctorCode::DnsAliasWrongZone,
                                format!("the alias names hosted zone {}, the load balancer's canonical zone is {}", a.alias_zone_id.as_deref().unwrap_or("-"), n.zone_id),
                                "recreate the alias from the load balancer (its canonical hosted zone id)",
                            );
                        }
                    }
                    h.summary = format!("{host} → alias {target} (zone {})", zone.name);
                }
            }
        }
    }
    if cross && h.summary.is_empty() {
        h.summary = "no alias (a cross-check only: the VPC link defines the path)".into();
    }

    w.nlb = nlb;
    Ok(h.done())
}
