//! `acm request`: find-or-request, validation records, Route 53 UPSERT, wait.

use super::*;
use super::{
    route53::plan_zones,
    validate::{poll_records, wait_issued},
};

/// Find-or-request, records, Route 53 UPSERT, wait. `req.timeout` is the deadline of the
/// whole request, measured on `waiter` from its start: every call and every wait ends by then.
#[allow(clippy::too_many_arguments)]
pub(crate) fn request(
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
    let key = req.key_algorithm.acm_name();
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
        let (d, pending) = wait_issued(acm, detail, &names, polling, waiter, progress, deadline)?;
        detail = d;
        report.findings.extend(pending);
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
