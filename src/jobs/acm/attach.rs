//! `acm attach`: an ISSUED certificate onto an ALB HTTPS listener, idempotently.

use super::*;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AttachReport {
    pub(crate) schema_version: u32,
    pub(crate) arn: String,
    pub(crate) listener: String,
    /// `attached`, `already-attached`, `set-default`, `already-default`, or `would-attach`.
    pub(crate) action: &'static str,
    pub(crate) default: bool,
    pub(crate) dry_run: bool,
    pub(crate) calls: Vec<String>,
    pub(crate) listener_certificates: Vec<String>,
}

/// How `attach` adds the certificate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AttachOptions {
    /// As the listener's default certificate instead of onto its SNI list.
    pub(crate) default: bool,
    /// Report the calls it would make; change nothing.
    pub(crate) dry_run: bool,
}

/// Adds an ISSUED certificate to an HTTPS listener (SNI list, or as default). Idempotent.
pub(crate) fn attach(
    acm: &dyn Acm,
    elb: &dyn Elb,
    arn: &str,
    listener: &str,
    options: AttachOptions,
) -> Result<AttachReport, AcmError> {
    let AttachOptions { default, dry_run } = options;
    if !arn.starts_with("arn:") || !arn.contains(":acm:") {
        return Err(AcmError::BadArn(arn.to_string()));
    }
    let (cr, lr) = (
        arn_region(arn).unwrap_or_default(),
        arn_region(listener).unwrap_or_default(),
    );
    if cr != lr {
        return Err(AcmError::RegionMismatch {
            cert: cr.to_string(),
            listener: lr.to_string(),
        });
    }
    if cr != acm.region() {
        return Err(AcmError::OtherRegion {
            arn: cr.to_string(),
            client: acm.region(),
        });
    }
    let d = acm.describe_certificate(arn)?;
    if d.status != crate::aws::CertStatus::Issued {
        return Err(AcmError::NotIssued {
            arn: arn.to_string(),
            status: d.status.to_string(),
        });
    }
    let l = elb.describe_listener(listener)?;
    if l.protocol != crate::aws::Protocol::Https {
        return Err(AcmError::NotHttps {
            arn: listener.to_string(),
            protocol: l.protocol.to_string(),
        });
    }
    let mut certs = elb.listener_certificates(listener)?;
    let is_default = l.default_certificates.iter().any(|c| c == arn)
        || certs.iter().any(|(c, d)| c == arn && *d);
    let present = is_default || certs.iter().any(|(c, _)| c == arn);
    let mut calls = Vec::new();
    let action = match (default, is_default, present) {
        (true, true, _) => "already-default",
        (false, _, true) => "already-attached",
        (true, false, _) => {
            calls.push(format!(
                "elasticloadbalancing:ModifyListener {listener} default certificate {arn}"
            ));
            if dry_run {
                "would-attach"
            } else {
                elb.set_default_certificate(listener, arn)?;
                "set-default"
            }
        }
        (false, _, false) => {
            calls.push(format!(
                "elasticloadbalancing:AddListenerCertificates {listener} {arn}"
            ));
            if dry_run {
                "would-attach"
            } else {
                elb.add_listener_certificate(listener, arn)?;
                "attached"
            }
        }
    };
    if !dry_run && !calls.is_empty() {
        // The write went through: a failing verification read must say so.
        let done = [crate::jobs::Change {
            kind: "listener-certificate",
            id: format!("{listener} {arn}"),
        }];
        certs = elb
            .listener_certificates(listener)
            .map_err(|e| AcmError::from(e).after(&done))?;
    }
    let mut listener_certificates =
        crate::aws::listener_certificate_arns(&l.default_certificates, &certs);
    if action == "set-default" && !listener_certificates.contains(&arn.to_string()) {
        listener_certificates.push(arn.to_string());
    }
    Ok(AttachReport {
        schema_version: 1,
        arn: arn.to_string(),
        listener: listener.to_string(),
        action,
        default,
        dry_run,
        calls,
        listener_certificates,
    })
}
