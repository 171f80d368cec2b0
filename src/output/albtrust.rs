//! Human renderings of `truststore bundle` and `truststore lint` (ALB trust store bundles).

use super::human::{table, Human, Style};
use super::inert::{cell, Inert};
use crate::findings::Severity;
use crate::jobs::albtrust::{BundleCertReport, BundleReport, ClientReport, LintReport};

fn certificates(certs: &[BundleCertReport], with_line: bool) -> String {
    let mut rows = vec![vec![
        if with_line { "line" } else { "#" }.to_string(),
        "subject".into(),
        "kind".into(),
        "not after".into(),
        "sha256".into(),
    ]];
    for (i, c) in certs.iter().enumerate() {
        let kind = match (c.ca, c.root) {
            (true, true) => "root CA",
            (true, false) => "intermediate CA",
            (false, _) => "not a CA",
        };
        rows.push(vec![
            if with_line { c.line } else { i + 1 }.to_string(),
            cell(&c.subject, 60),
            kind.into(),
            c.not_after.clone(),
            c.sha256.chars().take(23).collect(),
        ]);
    }
    table(&rows)
}

impl Human for BundleReport {
    fn human(&self, _style: &Style) -> String {
        let Some(out) = &self.out else {
            return self.bundle.clone();
        };
        let mut s = format!(
            "wrote {} CA certificate(s) to {} (for an {} trust store; {} duplicate(s) dropped)\n",
            self.certificates.len(),
            Inert(out),
            self.target.name().to_uppercase(),
            self.duplicates_dropped
        );
        s.push_str(&certificates(&self.certificates, false));
        for w in &self.warnings {
            s.push_str(&format!("warning: {}\n", Inert(w)));
        }
        s
    }
}

fn client_lines(c: &ClientReport, style: &Style) -> String {
    let who = c.subject.as_deref().unwrap_or("(unreadable)");
    if c.accepted {
        let path: Vec<String> = c
            .path
            .iter()
            .map(|p| Inert(&p.subject).to_string())
            .collect();
        return format!(
            "  {}  {} {}: {} (depth {})\n      {}\n",
            style.paint("32", "ok  "),
            Inert(&c.file),
            Inert(who),
            c.tls_verify_status,
            c.depth.unwrap_or(0),
            path.join(" → ")
        );
    }
    format!(
        "  {}  {} {}: {}\n      {}\n      fix: {}\n",
        style.severity(Severity::Deny),
        Inert(&c.file),
        Inert(who),
        c.tls_verify_status,
        Inert(c.message.as_deref().unwrap_or("")),
        c.hint.unwrap_or("")
    )
}

impl Human for LintReport {
    fn human(&self, style: &Style) -> String {
        let refused = self.findings.iter().any(|f| f.severity == Severity::Deny);
        let verdict = if refused {
            style.paint("1;31", "the ALB refuses this bundle")
        } else {
            style.paint("32", "the ALB accepts this bundle")
        };
        let mut s = format!(
            "{} ({} trust store rules, at {}): {} certificate(s); {verdict}\n",
            Inert(&self.bundle),
            self.target.name(),
            self.at,
            self.certificates.len()
        );
        if !self.certificates.is_empty() {
            s.push_str(&certificates(&self.certificates, true));
        }
        for f in &self.findings {
            let line = f.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            s.push_str(&format!(
                "  {}  {}{line}: {}\n      fix: {}\n",
                style.severity(f.severity),
                f.code.as_str(),
                Inert(&f.message),
                Inert(f.hint)
            ));
        }
        if !self.clients.is_empty() {
            s.push_str("clients:\n");
            for c in &self.clients {
                s.push_str(&client_lines(c, style));
            }
        }
        s
    }

    fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Deny)
            .map(|f| format!("{}: {}: {}", self.bundle, f.code.as_str(), f.message))
            .collect();
        out.extend(self.clients.iter().filter(|c| !c.accepted).map(|c| {
            format!(
                "{}: {} ({})",
                c.file,
                c.tls_verify_status,
                c.message.as_deref().unwrap_or("")
            )
        }));
        out
    }
}
