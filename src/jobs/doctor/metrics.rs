//! `certctl doctor --metrics FILE`: the doctor report as a Prometheus textfile: a gauge per hop,
//! the API Gateway verdict, and the expiry of every certificate on the path (the ALB's ACM
//! certificate, the chain served live for the hostname, the on-prem certificate). The report
//! names the ACM certificate; the served chains are read again with the same bounded fetch.

use std::path::Path;

use crate::aws::{Acm, AwsError};
use crate::exit::ExitStatus;
use crate::fsx::FsError;
use crate::jobs::doctor::{DoctorReport, DoctorRequest};

use super::HopStatus;
use crate::metrics::{Job, Textfile};

#[derive(Debug, thiserror::Error)]
pub(crate) enum DoctorMetricsError {
    #[error("--metrics: {0}")]
    Write(#[from] FsError),
}

impl crate::jobs::JobError for DoctorMetricsError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            DoctorMetricsError::Write(e) => e.exit_code(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            DoctorMetricsError::Write(e) => e.hint(),
        }
    }
}

/// A certificate on the path and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathCertificate {
    /// `alb-acm`, `live` or `onprem`.
    pub(crate) source: &'static str,
    /// Position in what was served (0 = leaf); 0 for the ACM certificate.
    pub(crate) index: usize,
    pub(crate) subject: String,
    pub(crate) not_after: i64,
    /// The ACM ARN, for the ALB's certificate.
    pub(crate) arn: Option<String>,
}

/// The ACM certificate ARNs a hop's summary names.
fn acm_arns(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|t| t.starts_with("arn:") && t.contains(":acm:"))
        .map(str::to_string)
        .collect()
}

/// The served chain of `url`, bounded by the doctor's timeout; empty when unreachable.
fn served(
    host: &str,
    port: u16,
    sni: Option<&str>,
    connect_to: Option<&str>,
    timeout: f64,
    source: &'static str,
) -> Vec<PathCertificate> {
    match crate::target::fetch(host, port, sni, connect_to, timeout) {
        Ok(r) => r
            .certs
            .iter()
            .enumerate()
            .map(|(index, c)| PathCertificate {
                source,
                index,
                subject: c.display_name().to_string(),
                not_after: c.not_after,
                arn: None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Every certificate on the path the report looked at.
pub(crate) fn path_certificates(
    acm: &dyn Acm,
    req: &DoctorRequest,
    report: &DoctorReport,
) -> Vec<PathCertificate> {
    let mut out = Vec::new();
    let hop = |name: &str| report.hops.iter().find(|h| h.hop == name);
    if let Some(h) = hop("alb") {
        for arn in acm_arns(&h.summary) {
            match acm.describe_certificate(&arn) {
                Ok(d) => {
                    if let Some(t) = d.not_after {
                        out.push(PathCertificate {
                            source: "alb-acm",
                            index: 0,
                            subject: d.domain.clone(),
                            not_after: t,
                            arn: Some(arn),
                        });
                    }
                }
                Err(AwsError::NotFound { .. }) => {}
                Err(_) => {}
            }
        }
    }
    if hop("live-tls").is_some_and(|h| h.status != HopStatus::Skip) {
        out.extend(served(
            &req.hostname,
            443,
            Some(&req.hostname),
            req.connect_to.as_deref(),
            req.deadline
                .min_with(std::time::Duration::from_secs_f64(req.timeout))
                .as_secs_f64(),
            "live",
        ));
    }
    if let Some(url) = &req.onprem_url {
        if let Ok(crate::target::Target::Url { host, port }) = crate::target::parse_target(url) {
            out.extend(served(
                &host,
                port,
                None,
                req.onprem_connect_to.as_deref(),
                req.deadline
                    .min_with(std::time::Duration::from_secs_f64(req.timeout))
                    .as_secs_f64(),
                "onprem",
            ));
        }
    }
    out
}

/// The textfile of one doctor run.
pub(crate) fn metrics_text(
    req: &DoctorRequest,
    report: &DoctorReport,
    certs: &[PathCertificate],
) -> Textfile {
    let host = req.hostname.as_str();
    let mut t = Textfile::new();
    t.gauge(
        "certctl_doctor_hop_ok",
        "1 when the hop passed (ok or warn), 0 when it failed; skipped hops are absent.",
    );
    for h in report.hops.iter().filter(|h| h.status != HopStatus::Skip) {
        t.sample(
            &[("hostname", host), ("hop", h.hop)],
            f64::from(u8::from(h.status != HopStatus::Fail)),
        );
    }
    t.gauge(
        "certctl_doctor_hop_status",
        "1 for the status of each hop (ok, warn, fail, skip).",
    );
    for h in &report.hops {
        t.sample(
            &[
                ("hostname", host),
                ("hop", h.hop),
                ("status", h.status.as_str()),
            ],
            1.0,
        );
    }
    t.gauge(
        "certctl_doctor_apigateway_ok",
        "1 when no hop gives API Gateway a reason to refuse the backend (doctor exit 0), else 0.",
    );
    t.sample(
        &[("hostname", host)],
        f64::from(u8::from(report.exit_code() == ExitStatus::Ok)),
    );
    t.gauge(
        "certctl_doctor_certificate_expiry_timestamp_seconds",
        "Not-after of each certificate on the path, as a Unix timestamp.",
    );
    for c in certs {
        let index = c.index.to_string();
        t.sample(
            &[
                ("hostname", host),
                ("source", c.source),
                ("index", &index),
                ("subject", &c.subject),
                ("arn", c.arn.as_deref().unwrap_or("")),
            ],
            c.not_after as f64,
        );
    }
    t.gauge(
        "certctl_doctor_timestamp_seconds",
        "When the last doctor run evaluated the path (its --at).",
    );
    t.sample(&[("hostname", host)], req.at as f64);
    t
}

/// Collects the path's certificates and writes the textfile atomically, with the run's
/// outcome (`wall`: when it ran, by the real clock).
pub(crate) fn write(
    acm: &dyn Acm,
    req: &DoctorRequest,
    report: &DoctorReport,
    path: &Path,
    wall: i64,
) -> Result<(), DoctorMetricsError> {
    let certs = path_certificates(acm, req, report);
    metrics_text(req, report, &certs)
        .outcome(Job::Doctor, wall, true)
        .write(path)?;
    Ok(())
}

/// A run that could not look (exit 2 or 3): the file says so, and holds no hop or certificate
/// gauge of an earlier run that would still read as healthy.
pub(crate) fn write_failure(path: &Path, wall: i64) -> Result<(), DoctorMetricsError> {
    Textfile::new()
        .outcome(Job::Doctor, wall, false)
        .write(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_in_a_summary() {
        assert_eq!(
            acm_arns("alb HTTPS :443 with arn:aws:acm:eu-west-1:1:certificate/abc (ISSUED, 90 days left)"),
            vec!["arn:aws:acm:eu-west-1:1:certificate/abc"]
        );
        assert!(acm_arns("no listener").is_empty());
        assert!(acm_arns("arn:aws:elasticloadbalancing:eu-west-1:1:listener/x").is_empty());
    }
}
