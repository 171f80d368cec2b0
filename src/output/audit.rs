//! Human rendering of `acm audit`: one table of certificates over every region, then the
//! findings with their fixes, then the regions that could not be read.

use super::human::{table, Human, Style};
use super::inert::{cell, Inert};
use crate::findings::Severity;
use crate::jobs::acm::audit::AuditReport;

impl Human for AuditReport {
    fn human(&self, style: &Style) -> String {
        let mut out = String::new();
        let mut rows = vec![vec![
            "REGION".to_string(),
            "DOMAIN".into(),
            "TYPE".into(),
            "STATUS".into(),
            "DAYS".into(),
            "IN USE".into(),
            "RENEWAL".into(),
            "CNAMES".into(),
        ]];
        for c in &self.certificates {
            let with_record: Vec<_> = c
                .validations
                .iter()
                .filter(|v| v.record_in_zone.is_some())
                .collect();
            let present = with_record
                .iter()
                .filter(|v| v.record_in_zone == Some(true))
                .count();
            rows.push(vec![
                cell(&c.region, 32),
                cell(&c.domain, 64),
                if c.client_certificate {
                    format!("{} (client)", cell(c.kind.as_deref().unwrap_or("?"), 32))
                } else {
                    cell(c.kind.as_deref().unwrap_or("?"), 32)
                },
                cell(&c.status, 32),
                c.days_left
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                if c.in_use_by.is_empty() { "no" } else { "yes" }.into(),
                match (&c.renewal_eligibility, &c.renewal_status) {
                    (Some(e), Some(s)) => cell(&format!("{e} ({s})"), 48),
                    (Some(e), None) => cell(e, 48),
                    _ => "-".into(),
                },
                if with_record.is_empty() {
                    "-".into()
                } else {
                    format!("{present}/{} in zone", with_record.len())
                },
            ]);
        }
        if self.certificates.is_empty() {
            out.push_str("no certificates\n");
        } else {
            out.push_str(&table(&rows));
        }
        if !self.apigateway_client_certificates.is_empty() {
            let mut rows = vec![vec![
                "REGION".to_string(),
                "API GATEWAY CLIENT CERTIFICATE".into(),
                "DAYS".into(),
                "DESCRIPTION".into(),
            ]];
            for c in &self.apigateway_client_certificates {
                rows.push(vec![
                    cell(&c.region, 32),
                    cell(&c.id, 64),
                    c.days_left
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    cell(c.description.as_deref().unwrap_or("-"), 64),
                ]);
            }
            out.push('\n');
            out.push_str(&table(&rows));
        }
        let generated = self
            .apigateway_client_certificates
            .iter()
            .flat_map(|c| c.findings.iter().map(move |f| (&c.id, f)));
        let findings: Vec<_> = self
            .certificates
            .iter()
            .flat_map(|c| c.findings.iter().map(move |f| (&c.arn, f)))
            .chain(generated)
            .filter(|(_, f)| f.severity != Severity::Info || style.verbose > 0)
            .collect();
        if !findings.is_empty() {
            out.push_str("\nfindings:\n");
            for (c, f) in findings {
                let sev = format!("{:<4}", f.severity.as_str());
                let sev = match f.severity {
                    Severity::Deny => style.paint("1;31", &sev),
                    Severity::Warn => style.paint("33", &sev),
                    Severity::Info => style.paint("2", &sev),
                };
                out.push_str(&format!("  {sev} {:<26} {}\n", f.code, Inert(&f.message)));
                if style.verbose > 0 {
                    out.push_str(&format!("       {}\n", Inert(c)));
                }
                if let Some(h) = &f.hint {
                    out.push_str(&format!("       fix: {}\n", Inert(h)));
                }
            }
        }
        for r in self.regions.iter().filter(|r| r.error.is_some()) {
            out.push_str(&format!(
                "\nregion {} could not be audited: {}\n",
                Inert(&r.region),
                Inert(r.error.as_deref().unwrap_or_default())
            ));
        }
        let read = self.regions.iter().filter(|r| r.error.is_none()).count();
        let unread = if read < self.regions.len() {
            format!(" ({} could not be read)", self.regions.len() - read)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "\n{} certificate(s) in {read} of {} region(s){unread}: {} deny, {} warn\n",
            self.certificates.len(),
            self.regions.len(),
            self.deny,
            self.warn
        ));
        if let Some(m) = &self.metrics {
            out.push_str(&format!("metrics written to {}\n", Inert(m)));
        }
        out
    }
}
