//! The alb hop: the HTTPS listener, the ACM certificate for the hostname and its chain, judged
//! against API Gateway's list, or by its insecureSkipVerification rules when an integration
//! sets them.

use super::*;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let (req, progress, acm, elb, topo) = (w.req, w.progress, w.aws.acm, w.aws.elb, w.aws.topo);
    let (host, nlb, alb, alb_port) = (w.host.as_str(), &w.nlb, &w.alb, w.alb_port);
    let skip_verification = w.skip_verification;
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
            let https: Vec<crate::aws::ListenerInfo> = listeners
                .iter()
                .filter(|l| l.protocol == crate::aws::Protocol::Https)
                .cloned()
                .collect();
            match listeners.iter().find(|l| {
                l.protocol == crate::aws::Protocol::Https
                    && (alb_port.is_none() || l.port == alb_port)
            }) {
                // VPC link v2 straight to the ALB: API Gateway dials the integration URI's port.
                None if w.alb_port_is_uri && !https.is_empty() => {
                    let want = alb_port.unwrap_or(443);
                    h.fail(
                        DoctorCode::UriPortMismatch,
                        format!(
                            "the integration URI's port is {want}, but {} has HTTPS listeners on {} only",
                            a.name,
                            super::nlb::ports(&https)
                        ),
                        &format!(
                            "API Gateway dials port {want} (the integration URI's) on the ALB: add an HTTPS :{want} listener with the ACM certificate, or use the listener's port in the integration URI ({})",
                            super::nlb::uri_hint(&https)
                        ),
                    )
                }
                None => h.fail(
                    DoctorCode::AlbNoHttpsListener,
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
                    let certs = crate::aws::listener_certificate_arns(
                        &l.default_certificates,
                        &elb.listener_certificates(&l.arn)?,
                    );
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
                            DoctorCode::AlbCertNameMismatch,
                            format!("no certificate on the HTTPS listener covers {host} ({} certificate(s) checked)", certs.len()),
                            "`certctl acm request HOST --route53-zone auto --wait`, then `certctl acm attach`",
                        ),
                        Some(d) if d.status != crate::aws::CertStatus::Issued => match crate::jobs::acm::status_finding(&d) {
                            // FAILED (with ACM's reason), VALIDATION_TIMED_OUT, REVOKED, EXPIRED
                            Some(f) => {
                                h.summary = format!("{} HTTPS :{} with {} ({})", a.name, l.port.unwrap_or(0), d.arn, d.status);
                                h.findings.push(f);
                            }
                            None => h.fail(
                                if d.status == crate::aws::CertStatus::PendingValidation { AcmCode::AcmValidationPending } else { AcmCode::AcmNotIssued },
                                format!("the certificate for {host} is {}", d.status),
                                "`certctl acm records` shows the CNAMEs ACM waits for",
                            ),
                        },
                        Some(d) => {
                            let days = d.not_after.map(|t| crate::x509::days_until(t, req.at));
                            // ACM never renews an imported certificate: its fix is a re-import.
                            let imported = d.kind.as_deref() == Some("IMPORTED");
                            let reimport = format!("re-import the renewed certificate to the same ARN before it expires (`aws acm import-certificate --certificate-arn {} --certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain fileb://chain.pem`); the listener keeps the ARN", d.arn);
                            if let Some(days) = days.filter(|d| *d < i64::from(req.min_days)) {
                                if imported {
                                    h.fail(DoctorCode::ExpiresSoon, format!("the imported certificate expires in {days} days; ACM never renews an imported certificate"), &reimport);
                                } else {
                                    h.fail(DoctorCode::ExpiresSoon, format!("the ACM certificate expires in {days} days"), "check ACM renewal (the validation CNAMEs must stay in DNS)");
                                }
                            }
                            if imported {
                                h.warn(AcmCode::AcmRenewalIneligible, "imported: ACM never renews an imported certificate".into(), &reimport);
                            } else if d.renewal_eligibility.as_deref().is_some_and(|r| r != "ELIGIBLE") {
                                h.warn(AcmCode::AcmRenewalIneligible, "ACM will not renew this certificate automatically".into(), "an in-use, DNS-validated certificate is renewed; keep it attached");
                            }
                            let (cert, chain) = acm.get_certificate(&d.arn)?;
                            let pem = format!("{cert}\n{}", chain.unwrap_or_default());
                            if skip_verification {
                                // API Gateway skips only the CA-list check: judge by its rules.
                                match judge_skip(&pem, &d.arn, host, req) {
                                    Ok(v) => {
                                        for f in v.findings.into_iter().filter(|f| f.severity == Severity::Deny) {
                                            h.findings.push(Finding { message: format!("chain (insecureSkipVerification): {}", f.message), ..f });
                                        }
                                    }
                                    Err(e) => h.fail(DoctorCode::AlbCertUnreadable, format!("cannot judge the ACM chain: {e}"), ""),
                                }
                            } else {
                                match judge_pem(&pem, &d.arn, host, req) {
                                    Ok(r) if r.verdict == "trusted" => {}
                                    Ok(r) => {
                                        for f in r.findings.into_iter().filter(|f| f.severity == Severity::Deny) {
                                            let hint = if f.code == CheckCode::MissingIntermediate {
                                                Some(missing_intermediate_hint(&d))
                                            } else {
                                                f.hint
                                            };
                                            h.findings.push(Finding { message: format!("chain: {}", f.message), hint, ..f });
                                        }
                                    }
                                    Err(e) => h.fail(DoctorCode::AlbCertUnreadable, format!("cannot judge the ACM chain: {e}"), ""),
                                }
                            }
                            h.summary = format!("{} HTTPS :{} with {} ({}, {} days left)", a.name, l.port.unwrap_or(0), d.arn, d.status, days.unwrap_or(0));
                        }
                    }
                }
            }
            if let Some(n) = nlb.as_ref().filter(|n| n.vpc_id != a.vpc_id) {
                h.fail(
                    DoctorCode::VpcMismatch,
                    format!(
                        "the NLB {} is in {}, the ALB in {}",
                        n.name, n.vpc_id, a.vpc_id
                    ),
                    "an alb target group needs the ALB in the NLB's VPC",
                );
            }
        }
    }

    w.https_listener = https_listener;
    Ok(h.done())
}

/// The fix for a missing intermediate that works in ACM, which serves only the chain it holds.
fn missing_intermediate_hint(d: &crate::aws::CertDetail) -> String {
    match d.kind.as_deref() {
        Some("IMPORTED") => format!(
            "re-import it with its chain: `aws acm import-certificate --certificate-arn {} --certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain fileb://chain.pem` (same ARN, the listener keeps it)",
            d.arn
        ),
        Some("AMAZON_ISSUED") => "ACM serves its own complete chain for an Amazon-issued certificate: a missing intermediate means this is not what ACM holds; check that the ARN on the listener is this one and that nothing in front (a proxy, another listener) serves another certificate".into(),
        _ => "ACM serves only the chain it holds: for an imported certificate re-import it with --certificate-chain; for a private one, check the private CA's chain".into(),
    }
}

/// The ACM chain judged under API Gateway's insecureSkipVerification rules.
fn judge_skip(
    pem: &str,
    label: &str,
    host: &str,
    req: &DoctorRequest,
) -> Result<crate::jobs::skipverify::SkipVerdict, crate::target::InputError> {
    let certs = crate::target::parse_bytes(pem.as_bytes(), std::path::Path::new(label))?;
    let name = crate::target::server_name(host)?;
    let store = crate::trust::store::TrustStore::apigateway().ok();
    let store_root = |c: &crate::x509::CertInfo| {
        store.as_ref()?.roots_named(&c.issuer_raw).find_map(|r| {
            crate::x509::CertInfo::parse(&r.der)
                .ok()
                .filter(|i| c.issued_by(i))
        })
    };
    Ok(crate::jobs::skipverify::judge(
        &certs,
        &[],
        true,
        Some(&name),
        req.at,
        &store_root,
    ))
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
