//! Human renderings of `mtls plan|apply` (the steps and their calls, the gate, a partial-change
//! report after a failure) and `mtls status` (the live verdict).

use super::human::{Human, Style};
use super::inert::Inert;
use crate::findings::Severity;
use crate::jobs::mtls::{GateReport, MtlsFinding, MtlsReport, StatusReport, StepStatus};

fn gate_lines(g: &GateReport) -> String {
    let mut out = format!(
        "gate ({}): {}{}\n",
        g.checked,
        g.tls_verify_status,
        g.depth
            .map(|d| format!(", path of {d} certificates"))
            .unwrap_or_default()
    );
    if let Some(m) = &g.message {
        out.push_str(&format!("  {}\n", Inert(m)));
    }
    if let Some(h) = &g.hint {
        out.push_str(&format!("  fix: {}\n", Inert(h)));
    }
    out
}

fn finding_lines(style: &Style, findings: &[MtlsFinding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "  {} {}: {}\n    fix: {}\n",
            style.severity(f.severity),
            f.code.as_str(),
            Inert(&f.message),
            Inert(f.hint)
        ));
    }
    out
}

impl Human for MtlsReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!(
            "mtls {}: stage {} of REST API {} -> listener {}\n",
            self.command,
            Inert(&self.stage),
            Inert(&self.rest_api_id),
            Inert(&self.listener)
        );
        out.push_str(&format!(
            "client certificate: {} ({}{}), until {}\n",
            Inert(&self.client.subject),
            self.client.source,
            self.client
                .arn
                .as_deref()
                .map(|a| format!(", {}", Inert(a)))
                .unwrap_or_default(),
            self.client.not_after
        ));
        out.push_str(&format!(
            "bundle: {}{} ({} CA certificate(s)); trust store {}\n",
            Inert(&self.bundle),
            self.bundle_version
                .as_deref()
                .map(|v| format!(" version {}", Inert(v)))
                .unwrap_or_default(),
            self.ca_certificates.len(),
            Inert(&self.trust_store_name)
        ));
        if let Some(g) = &self.gate {
            out.push_str(&gate_lines(g));
        }
        out.push('\n');
        for s in &self.steps {
            out.push_str(&format!("{:<12} {}", s.step.as_str(), s.status.as_str()));
            if let Some(d) = &s.detail {
                out.push_str(&format!(": {}", Inert(d)));
            }
            out.push('\n');
            for c in &s.calls {
                out.push_str(&format!("  call: {}\n", Inert(c)));
            }
        }
        if self.nothing_to_do {
            out.push_str("nothing to do\n");
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {}\n", Inert(w)));
        }
        if let Some(e) = &self.failure {
            out.push_str(&format!(
                "\nerror: step {} failed: {}\n",
                e.step.as_str(),
                Inert(&e.message)
            ));
            for c in &e.causes {
                out.push_str(&format!("caused by: {}\n", Inert(c)));
            }
            let done: Vec<&str> = self
                .steps
                .iter()
                .filter(|s| s.status == StepStatus::Done)
                .map(|s| s.step.as_str())
                .collect();
            out.push_str(&format!(
                "done before it: {}\n",
                if done.is_empty() {
                    "nothing".into()
                } else {
                    done.join(", ")
                }
            ));
            if let Some(h) = &e.hint {
                out.push_str(&format!("hint: {}\n", Inert(h)));
            }
        }
        out
    }

    fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .steps
            .iter()
            .filter(|s| matches!(s.status, StepStatus::Failed | StepStatus::Refused))
            .map(|s| {
                format!(
                    "mtls {}: {} {}{}",
                    self.command,
                    s.step.as_str(),
                    s.status.as_str(),
                    s.detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if let Some(e) = &self.failure {
            out.push(format!("error: {}", e.message));
        }
        if let Some(g) = self.gate.as_ref().filter(|g| !g.accepted) {
            out.push(format!(
                "gate: {} {}",
                g.tls_verify_status,
                g.message.as_deref().unwrap_or_default()
            ));
        }
        out
    }
}

impl Human for StatusReport {
    fn human(&self, style: &Style) -> String {
        let j = &self.judgement;
        let mut out = format!(
            "mtls status at {}: listener {}\n  mode:        {}\n",
            self.at,
            Inert(&self.listener),
            Inert(&self.mode)
        );
        if let Some(t) = &self.trust_store {
            out.push_str(&format!(
                "  trust store: {} ({}, {} CA certificate(s))\n",
                Inert(&t.name),
                t.status,
                t.ca_certificates.unwrap_or(0)
            ));
        }
        out.push_str(&format!(
            "  stage:       {} of REST API {}: {}\n",
            Inert(&self.stage),
            Inert(&self.rest_api_id),
            j.client_certificate_id
                .as_deref()
                .map(|c| Inert(c).to_string())
                .unwrap_or_else(|| "no client certificate".into())
        ));
        if let (Some(s), Some(n)) = (&j.subject, &j.not_after) {
            out.push_str(&format!(
                "  certificate: {} until {n} ({} days)\n",
                Inert(s),
                j.days_left.unwrap_or(0)
            ));
        }
        if let Some(v) = j.tls_verify_status {
            out.push_str(&format!(
                "  ALB verdict: {v}{}\n",
                j.depth
                    .map(|d| format!(" (path of {d})"))
                    .unwrap_or_default()
            ));
        }
        for f in &j.bundle_findings {
            out.push_str(&format!(
                "  bundle {} {}: {}\n",
                style.severity(f.severity),
                f.code.as_str(),
                Inert(&f.message)
            ));
        }
        out.push_str(&finding_lines(style, &j.findings));
        if self.worst().is_none_or(|w| w != Severity::Deny) {
            out.push_str("OK\n");
        }
        out
    }

    fn failures(&self) -> Vec<String> {
        self.judgement
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Deny)
            .map(|f| format!("mtls status: {}: {}", f.code.as_str(), f.message))
            .collect()
    }
}
