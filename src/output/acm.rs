//! Human renderings of the AWS reports: acm request, records, status, list, attach; doctor.

use super::human::{table, Human, Style, MAX_CELL};
use super::inert::{cell, inert_join, Inert};
use crate::aws::DnsRecord;
use crate::findings::Severity;
use crate::jobs::acm::{
    AttachReport, CertReport, ImportReport, ListReport, RecordsFormat, RecordsReport,
    RequestReport, StatusReport,
};
use crate::jobs::doctor::{DoctorReport, HopStatus};

fn records_table(records: &[DnsRecord]) -> String {
    if records.is_empty() {
        return "  (no validation records yet)\n".into();
    }
    let mut rows = vec![vec!["NAME".to_string(), "TYPE".into(), "VALUE".into()]];
    for r in records {
        rows.push(vec![
            cell(&r.name, MAX_CELL),
            cell(&r.kind, MAX_CELL),
            cell(&r.value, MAX_CELL),
        ]);
    }
    table(&rows)
}

fn cert_block(c: &CertReport) -> String {
    let mut out = format!(
        "arn:       {}\nstatus:    {}\nnames:     {}\n",
        Inert(&c.arn),
        Inert(&c.status),
        inert_join(&c.names, ", ")
    );
    if let Some(k) = &c.key_algorithm {
        out.push_str(&format!("key:       {}\n", Inert(k)));
    }
    if let (Some(n), Some(d)) = (&c.not_after, c.days_left) {
        out.push_str(&format!("not after: {} ({d} days left)\n", Inert(n)));
    }
    if !c.in_use_by.is_empty() {
        out.push_str(&format!("in use by: {}\n", inert_join(&c.in_use_by, ", ")));
    }
    if let Some(r) = &c.renewal_eligibility {
        out.push_str(&format!(
            "renewal:   {}{}\n",
            Inert(r),
            c.renewal_status
                .as_deref()
                .map(|s| format!(" ({})", Inert(s)))
                .unwrap_or_default()
        ));
    }
    if let Some(f) = &c.failure_reason {
        out.push_str(&format!("failure:   {}\n", Inert(f)));
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
                Inert(&z.zone_id),
                Inert(&z.zone_name),
                z.change_id
                    .as_deref()
                    .map(|c| format!(", change {}", Inert(c)))
                    .unwrap_or_default()
            ));
        }
        if self.dry_run || style.verbose > 0 {
            for c in &self.calls {
                out.push_str(&format!("call: {}\n", Inert(c)));
            }
        }
        out.push_str(&findings_lines(&self.findings));
        out
    }
}

/// One line per finding (`deny CODE: message`), its fix under it.
fn findings_lines(findings: &[crate::findings::Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{} {}: {}\n",
            f.severity.as_str(),
            f.code,
            Inert(&f.message)
        ));
        if let Some(h) = &f.hint {
            out.push_str(&format!("  fix: {}\n", Inert(h)));
        }
    }
    out
}

impl Human for RecordsReport {
    fn human(&self, _style: &Style) -> String {
        if self.format == RecordsFormat::Zone {
            return self
                .records
                .iter()
                .map(|r| {
                    format!(
                        "{} 300 IN {} {}\n",
                        Inert(&r.name),
                        Inert(&r.kind),
                        Inert(&r.value)
                    )
                })
                .collect();
        }
        format!(
            "{} ({})\n{}",
            Inert(&self.arn),
            Inert(&self.status),
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
            None if self.certificate.status == "PENDING_VALIDATION" => {
                out.push_str("\nchain: not issued yet\n")
            }
            None => out.push_str("\nchain: none (ACM serves no certificate in this state)\n"),
        }
        if !self.findings.is_empty() {
            out.push('\n');
            out.push_str(&findings_lines(&self.findings));
        }
        match self.why_pending.as_deref() {
            None => {}
            Some([]) => out.push_str("\nwhy pending: no cause found in Route 53 or DNS; ACM may simply not have looked again yet\n"),
            Some(causes) => {
                out.push_str("\nwhy pending:\n");
                for f in causes {
                    out.push_str(&format!("  {:<28} {}\n", f.code, Inert(&f.message)));
                    if let Some(h) = &f.hint {
                        out.push_str(&format!("  {:<28} fix: {}\n", "", Inert(h)));
                    }
                }
            }
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
                cell(&c.names.join(","), 64),
                cell(&c.status, 32),
                cell(c.key_algorithm.as_deref().unwrap_or_default(), 32),
                c.not_after
                    .as_deref()
                    .map(|n| cell(n, 10))
                    .unwrap_or_else(|| "-".into()),
                c.days_left
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                if c.in_use { "yes".into() } else { "no".into() },
                cell(&c.arn, MAX_CELL),
            ]);
        }
        let mut out = table(&rows);
        out.push_str(&format!(
            "\n{} certificates in {}\n",
            self.certificates.len(),
            Inert(&self.region)
        ));
        out
    }
}

impl Human for AttachReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!(
            "{}: {} on {}\n",
            self.action,
            Inert(&self.arn),
            Inert(&self.listener)
        );
        for c in &self.calls {
            out.push_str(&format!("call: {}\n", Inert(c)));
        }
        for c in &self.listener_certificates {
            out.push_str(&format!("  listener certificate: {}\n", Inert(c)));
        }
        out
    }
}

impl Human for ImportReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = match &self.arn {
            Some(arn) => format!("{}: {}\n", self.action, Inert(arn)),
            None => format!("{}\n", self.action),
        };
        if let Some(c) = &self.certificate {
            out.push_str(&format!(
                "  certificate: {}\n  serial:      {}\n  sha256:      {}\n  not after:   {}\n  key:         {}\n",
                Inert(&c.subject),
                Inert(&c.serial),
                c.sha256,
                c.not_after,
                c.key_algorithm
            ));
            if c.apigateway_rules {
                out.push_str("  checked as an API Gateway client certificate\n");
            }
        }
        if let Some(s) = &self.status {
            out.push_str(&format!("  status:      {}\n", Inert(s)));
        }
        for c in &self.calls {
            out.push_str(&format!("call: {}\n", Inert(c)));
        }
        for f in &self.findings {
            out.push_str(&format!(
                "  {}: {}\n    fix: {}\n",
                f.code.as_str(),
                Inert(&f.message),
                Inert(&f.fix)
            ));
        }
        out
    }
}

impl Human for DoctorReport {
    fn human(&self, style: &Style) -> String {
        let mut out = format!("doctor: {} at {}\n\n", Inert(&self.hostname), self.at);
        for h in &self.hops {
            let status = match h.status {
                HopStatus::Ok => style.paint("32", "OK  "),
                HopStatus::Warn => style.paint("33", "WARN"),
                HopStatus::Fail => style.paint("1;31", "FAIL"),
                HopStatus::Skip => style.paint("2", "SKIP"),
            };
            out.push_str(&format!("{status}  {:<11} {}\n", h.hop, Inert(&h.summary)));
            for f in &h.findings {
                out.push_str(&format!(
                    "      {} {}: {}\n",
                    f.severity.as_str(),
                    f.code,
                    Inert(&f.message)
                ));
                if let Some(hint) = &f.hint {
                    out.push_str(&format!("        fix: {}\n", Inert(hint)));
                }
            }
        }
        let fails = self
            .hops
            .iter()
            .filter(|h| h.status == HopStatus::Fail)
            .count();
        out.push_str(&if fails == 0 {
            "\nthe path is sound\n".to_string()
        } else {
            format!("\n{fails} hop(s) failed\n")
        });
        out
    }

    /// One line per deny finding of each failed hop, naming its code (a failed hop without
    /// one: its summary), so that `-q` in cron says what failed, not only where.
    fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for h in self.hops.iter().filter(|h| h.status == HopStatus::Fail) {
            let before = out.len();
            for f in h.findings.iter().filter(|f| f.severity == Severity::Deny) {
                out.push(format!(
                    "certctl doctor: {}: hop {} failed: {}: {}",
                    self.hostname, h.hop, f.code, f.message
                ));
            }
            if out.len() == before {
                out.push(format!(
                    "certctl doctor: {}: hop {} failed: {}",
                    self.hostname, h.hop, h.summary
                ));
            }
        }
        out
    }
}
