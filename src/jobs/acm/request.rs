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
            code: AcmCode::AcmNamesReordered.into(),
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
    let existing = find_existing(acm, &names, key)?;
    let token = idempotency_token(&names, key, &existing.failed);
    if !existing.failed.is_empty() {
        report.findings.push(Finding {
            code: AcmCode::AcmFailedBefore.into(),
            severity: Severity::Info,
            message: format!(
                "ACM failed {} for these names before; {}",
                existing.failed.join(", "),
                if existing.live.is_some() {
                    "not reused"
                } else {
                    "a new certificate is requested (with a new idempotency token)"
                }
            ),
            hint: None,
            certificate: None,
        });
    }
    let detail = match existing.live {
        Some(d) => {
            report.action = "reused";
            if let Some(have) = d.key_algorithm.as_deref().filter(|k| *k != key) {
                report.findings.push(Finding {
                    code: AcmCode::AcmKeyAlgorithmDiffers.into(),
                    severity: Severity::Warn,
                    message: format!(
                        "reusing {}: its key is {have}, not {key} (--key-algorithm {}); certctl reuses the certificate of a name set whatever its key when none has the key asked for",
                        d.arn,
                        req.key_algorithm.name()
                    ),
                    hint: Some(format!(
                        "to get a {key} certificate, request one for these names yourself (`aws acm request-certificate --domain-name {} --subject-alternative-names {} --key-algorithm {key} --validation-method DNS`); certctl then prefers it; or delete {} once nothing uses it and run again",
                        names[0],
                        names.join(" "),
                        d.arn
                    )),
                    certificate: None,
                });
            }
            d
        }
        None if req.dry_run => {
            report.action = "would-request";
            report.calls.push(format!(
                "acm:RequestCertificate domain={} sans=[{}] key={key} validation=DNS token={}",
                names[0],
                names[1..].join(","),
                token
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
                idempotency_token: token.clone(),
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
    // A certificate ACM already failed gets no records and no wait: it never validates.
    let dead = status_finding(&detail).is_some();
    if let Some(plan) = plan.as_ref().filter(|_| !dead) {
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
    if req.wait && !req.dry_run && detail.status == crate::aws::CertStatus::PendingValidation {
        let start = waiter.elapsed();
        let (d, pending) = wait_issued(acm, detail, &names, polling, waiter, progress, deadline)?;
        detail = d;
        report.findings.extend(pending);
        report.waited_secs = Some((waiter.elapsed() - start) as u64);
    }
    // FAILED, VALIDATION_TIMED_OUT, REVOKED, EXPIRED: judged whether or not a wait ran.
    report.findings.extend(status_finding(&detail));
    report.certificate = Some(cert_report(&detail, at));
    Ok(report)
}
