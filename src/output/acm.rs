//! Human renderings of the AWS reports: acm request, records, status, list, attach; doctor.

use super::human::{table, Human, Style};
use crate::aws::DnsRecord;
use crate::jobs::acm::{
    AttachReport, CertReport, ListReport, RecordsFormat, RecordsReport, RequestReport, StatusReport,
};
use crate::jobs::doctor::DoctorReport;

fn records_table(records: &[DnsRecord]) -> String {
    if records.is_empty() {
        return "  (no validation records yet)\n".into();
    }
    let mut rows = vec![vec!["NAME".to_string(), "TYPE".into(), "VALUE".into()]];
    for r in records {
        rows.push(vec![r.name.clone(), r.kind.clone(), r.value.clone()]);
    }
    table(&rows)
}

fn cert_block(c: &CertReport) -> String {
    let mut out = format!(
        "arn:       {}\nstatus:    {}\nnames:     {}\n",
        c.arn,
        c.status,
        c.names.join(", ")
    );
    if let Some(k) = &c.key_algorithm {
        out.push_str(&format!("key:       {k}\n"));
    }
    if let (Some(n), Some(d)) = (&c.not_after, c.days_left) {
        out.push_str(&format!("not after: {n} ({d} days left)\n"));
    }
    if !c.in_use_by.is_empty() {
        out.push_str(&format!("in use by: {}\n", c.in_use_by.join(", ")));
    }
    if let Some(r) = &c.renewal_eligibility {
        out.push_str(&format!(
            "renewal:   {r}{}\n",
            c.renewal_status
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ));
    }
    if let Some(f) = &c.failure_reason {
        out.push_str(&format!("failure:   {f}\n"));
    }
    out
}

impl Human for RequestReport {
    fn human(&self, style: &Style) -> String {
        let mut out = match self.action {
            "reused" => "reusing the existing certificate for this name set\n".to_string(),
            "requested" => "requested a new certificate\n".to_string(),
            _ => "dry run: would request a certificate\n".to_string(),
        };
        if let Some(c) = &self.certificate {
            out.push_str(&cert_block(c));
            out.push_str("\nvalidation records (CNAME):\n");
            out.push_str(&records_table(&c.records));
        }
        for z in &self.route53 {
            out.push_str(&format!(
                "route 53: {} {} record(s) in zone {} ({}){}\n",
                if self.dry_run {
                    "would UPSERT"
                } else {
                    "UPSERTed"
                },
                z.records.len(),
                z.zone_id,
                z.zone_name,
                z.change_id
                    .as_deref()
                    .map(|c| format!(", change {c}"))
                    .unwrap_or_default()
            ));
        }
        if self.dry_run || style.verbose > 0 {
            for c in &self.calls {
                out.push_str(&format!("call: {c}\n"));
            }
        }
        for f in &self.findings {
            out.push_str(&format!(
                "{} {}: {}\n",
                f.severity.as_str(),
                f.code,
                f.message
            ));
            if let Some(h) = &f.hint {
                out.push_str(&format!("  fix: {h}\n"));
            }
        }
        out
    }
}

impl Human for RecordsReport {
    fn human(&self, _style: &Style) -> String {
        if self.format == RecordsFormat::Zone {
            return self
                .records
                .iter()
                .map(|r| format!("{} 300 IN {} {}\n", r.name, r.kind, r.value))
                .collect();
        }
        format!(
            "{} ({})\n{}",
            self.arn,
            self.status,
            records_table(&self.records)
        )
    }
}

impl Human for StatusReport {
    fn human(&self, style: &Style) -> String {
        let mut out = cert_block(&self.certificate);
        match &self.chain {
            Some(c) => {
                out.push_str("\nchain against API Gateway's CA list:\n");
                out.push_str(&c.human(style));
            }
            None => out.push_str("\nchain: not issued yet\n"),
        }
        out
    }
}

impl Human for ListReport {
    fn human(&self, _style: &Style) -> String {
        let mut rows = vec![vec![
            "NAMES".to_string(),
            "STATUS".into(),
            "KEY".into(),
            "NOT AFTER".into(),
            "DAYS".into(),
            "IN USE".into(),
            "ARN".into(),
        ]];
        for c in &self.certificates {
            rows.push(vec![
                c.names.join(","),
                c.status.clone(),
                c.key_algorithm.clone().unwrap_or_default(),
                c.not_after
                    .clone()
                    .map(|n| n.chars().take(10).collect())
                    .unwrap_or_else(|| "-".into()),
                c.days_left
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                if c.in_use { "yes".into() } else { "no".into() },
                c.arn.clone(),
            ]);
        }
        let mut out = table(&rows);
        out.push_str(&format!(
            "\n{} certificates in {}\n",
            self.certificates.len(),
            self.region
        ));
        out
    }
}

impl Human for AttachReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!("{}: {} on {}\n", self.action, self.arn, self.listener);
        for c in &self.calls {
            out.push_str(&format!("call: {c}\n"));
        }
        for c in &self.listener_certificates {
            out.push_str(&format!("  listener certificate: {c}\n"));
        }
        out
    }
}

impl Human for DoctorReport {
    fn human(&self, style: &Style) -> String {
        let mut out = format!("doctor: {} at {}\n\n", self.hostname, self.at);
        for h in &self.hops {
            let status = match h.status {
                "ok" => style.paint("32", "OK  "),
                "warn" => style.paint("33", "WARN"),
                "fail" => style.paint("1;31", "FAIL"),
                _ => style.paint("2", "SKIP"),
            };
            out.push_str(&format!("{status}  {:<11} {}\n", h.hop, h.summary));
            for f in &h.findings {
                out.push_str(&format!(
                    "      {} {}: {}\n",
                    f.severity.as_str(),
                    f.code,
                    f.message
                ));
                if let Some(hint) = &f.hint {
                    out.push_str(&format!("        fix: {hint}\n"));
                }
            }
        }
        let fails = self.hops.iter().filter(|h| h.status == "fail").count();
        out.push_str(&if fails == 0 {
            "\nthe path is sound\n".to_string()
        } else {
            format!("\n{fails} hop(s) failed\n")
        });
        out
    }

    fn failures(&self) -> Vec<String> {
        self.hops
            .iter()
            .filter(|h| h.status == "fail")
            .map(|h| {
                format!(
                    "certctl doctor: {}: hop {} failed: {}",
                    self.hostname, h.hop, h.summary
                )
            })
            .collect()
    }
}
