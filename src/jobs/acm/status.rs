//! `acm status|records|list` and finding a certificate by ARN or host name.

use super::*;

/// A certificate by ARN, or the newest for a host name.
pub(crate) fn resolve(acm: &dyn Acm, arn_or_host: &str) -> Result<CertDetail, AcmError> {
    if arn_or_host.starts_with("arn:") {
        let Some(region) = arn_region(arn_or_host).filter(|_| arn_or_host.contains(":acm:")) else {
            return Err(AcmError::BadArn(arn_or_host.to_string()));
        };
        if region != acm.region() {
            return Err(AcmError::OtherRegion {
                arn: region.to_string(),
                client: acm.region(),
            });
        }
        return Ok(acm.describe_certificate(arn_or_host)?);
    }
    let host = names::dns_name(arn_or_host)?;
    let list = acm.list_certificates(&list_query(&[]))?;
    let rank = |s: &str| match s {
        "ISSUED" => 0,
        "PENDING_VALIDATION" => 1,
        _ => 2,
    };
    let best = list
        .iter()
        .filter(|c| {
            c.domain.eq_ignore_ascii_case(&host)
                || c.names.iter().any(|n| n.eq_ignore_ascii_case(&host))
        })
        .min_by_key(|c| (rank(c.status.as_str()), -c.not_after.unwrap_or(0)))
        .ok_or(AcmError::NoCertificate(host))?;
    Ok(acm.describe_certificate(&best.arn)?)
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusReport {
    pub(crate) schema_version: u32,
    #[serde(flatten)]
    pub(crate) certificate: CertReport,
    /// The chain check of the issued certificate against the API Gateway store.
    pub(crate) chain: Option<crate::jobs::check::CheckReport>,
    /// The verdict on ACM's status: FAILED (with ACM's reason in words), VALIDATION_TIMED_OUT,
    /// REVOKED and EXPIRED are deny findings with a fix.
    pub(crate) findings: Vec<Finding>,
    /// For a PENDING_VALIDATION certificate, why it is still pending (Route 53 and DNS
    /// causes; empty: none found); absent for any other status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) why_pending: Option<Vec<Finding>>,
}

impl StatusReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        if self.findings.iter().any(|f| f.severity == Severity::Deny) {
            return ExitStatus::CheckFailed;
        }
        match (&self.chain, self.certificate.status.as_str()) {
            (Some(c), _) => c.exit_code(),
            (None, "ISSUED" | "PENDING_VALIDATION") => ExitStatus::Ok,
            _ => ExitStatus::CheckFailed,
        }
    }
}

/// Status plus, when issued, the `check` verdict of the chain ACM serves, and, when still
/// pending, why (looked up in Route 53 and, with `dns`, in public DNS). A cause is
/// explanation, not a new failure: the exit code stays the status'.
pub(crate) fn status<C: crate::aws::AuditCalls>(
    acm: &C,
    arn_or_host: &str,
    dns: Option<&crate::dns::DnsConfig>,
    at: i64,
) -> Result<StatusReport, AcmError> {
    let d = resolve(acm, arn_or_host)?;
    let why_pending = (d.status == crate::aws::CertStatus::PendingValidation)
        .then(|| super::audit::why_pending(acm, dns, &d, at));
    let chain = if d.status == crate::aws::CertStatus::Issued {
        let (cert, chain) = acm.get_certificate(&d.arn)?;
        let pem = format!("{cert}\n{}", chain.unwrap_or_default());
        crate::jobs::check::check_pem(pem.as_bytes(), &d.arn, Some(&d.domain), at).ok()
    } else {
        None
    };
    Ok(StatusReport {
        schema_version: 1,
        certificate: cert_report(&d, at),
        chain,
        findings: status_finding(&d).into_iter().collect(),
        why_pending,
    })
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListItem {
    pub(crate) arn: String,
    pub(crate) status: String,
    pub(crate) names: Vec<String>,
    pub(crate) key_algorithm: Option<String>,
    pub(crate) not_after: Option<String>,
    pub(crate) days_left: Option<i64>,
    pub(crate) in_use: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListReport {
    pub(crate) schema_version: u32,
    pub(crate) region: String,
    pub(crate) certificates: Vec<ListItem>,
}

pub(crate) fn list(acm: &dyn Acm, at: i64) -> Result<ListReport, AcmError> {
    let mut certificates: Vec<ListItem> = acm
        .list_certificates(&list_query(&[]))?
        .into_iter()
        .map(|c| ListItem {
            names: domain_first(&c.domain, &c.names),
            arn: c.arn,
            status: c.status.to_string(),
            key_algorithm: c.key_algorithm,
            not_after: c.not_after.map(crate::x509::rfc3339),
            days_left: c.not_after.map(|t| crate::x509::days_until(t, at)),
            in_use: c.in_use,
        })
        .collect();
    certificates.sort_by(|a, b| a.names[0].cmp(&b.names[0]));
    Ok(ListReport {
        schema_version: 1,
        region: acm.region(),
        certificates,
    })
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RecordsReport {
    pub(crate) schema_version: u32,
    pub(crate) arn: String,
    pub(crate) status: String,
    pub(crate) names: Vec<String>,
    pub(crate) records: Vec<DnsRecord>,
    #[serde(skip)]
    pub(crate) format: RecordsFormat,
}

/// How `acm records` prints the records (JSON is the same for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum RecordsFormat {
    /// A table under the certificate's ARN and status.
    #[default]
    Table,
    /// Zone-file lines (`NAME 300 IN CNAME VALUE`).
    Zone,
}

impl RecordsFormat {
    /// Every format, in the order help lists them.
    pub(crate) const ALL: [RecordsFormat; 2] = [RecordsFormat::Table, RecordsFormat::Zone];

    /// The name the flag takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            RecordsFormat::Table => "table",
            RecordsFormat::Zone => "zone",
        }
    }
}

pub(crate) fn records_report(d: &CertDetail, format: RecordsFormat, at: i64) -> RecordsReport {
    let c = cert_report(d, at);
    RecordsReport {
        schema_version: 1,
        arn: c.arn,
        status: c.status,
        names: c.names,
        records: c.records,
        format,
    }
}
