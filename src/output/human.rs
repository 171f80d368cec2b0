//! Human renderings of every report: plain text tables, colour only when asked for.

use crate::findings::Severity;
use crate::jobs::check::CheckReport;
use crate::jobs::inspect::InspectReport;
use crate::jobs::policy::{PolicyReport, PolicyText};
use crate::jobs::truststore::{ExportReport, ListReport, ShowReport, UpdateReport, VerifyReport};
use crate::x509::CertInfo;

use super::inert::{bounded, cell, inert, inert_join, Inert};

/// The widest any table cell is printed, in characters (longer text ends with `…`); a
/// 300 KB subject is one bounded cell, never a width the formatter cannot pad to.
pub(crate) const MAX_CELL: usize = 200;

/// Rendering options.
pub(crate) struct Style {
    pub(crate) color: bool,
    pub(crate) verbose: u8,
}

impl Style {
    pub(crate) fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub(crate) fn severity(&self, s: Severity) -> String {
        let label = format!("{:<4}", s.as_str());
        match s {
            Severity::Deny => self.paint("1;31", &label),
            Severity::Warn => self.paint("33", &label),
            Severity::Info => self.paint("2", &label),
        }
    }
}

/// A report's human form.
pub(crate) trait Human {
    fn human(&self, style: &Style) -> String;

    /// One line per reason the command exits non-zero; with `-q` these alone are printed (on
    /// stderr), so a cron job stays silent only when everything is fine.
    fn failures(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Left-aligned columns, two spaces apart. Cells are rendered text (inert where they came
/// from elsewhere: see [`cell`]); each is bounded to [`MAX_CELL`] characters and padded by
/// hand, so no cell is ever a formatter width.
pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<std::borrow::Cow<'_, str>>> = rows
        .iter()
        .map(|r| r.iter().map(|c| bounded(c, MAX_CELL)).collect())
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = String::from(" ");
        for (c, text) in r.iter().enumerate() {
            line.push(' ');
            line.push_str(text);
            if c + 1 < r.len() {
                let pad = widths[c].saturating_sub(text.chars().count()) + 1;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Findings of a check, each marked with the judgement it belongs to.
fn check_findings_block(r: &CheckReport, style: &Style) -> String {
    if r.findings.is_empty() {
        return "findings: none\n".to_string();
    }
    let mut out = String::from("findings:\n");
    for f in &r.findings {
        if f.severity == Severity::Info && style.verbose == 0 && r.findings.len() > 6 {
            continue;
        }
        let by = if r.apigateway.codes.contains(&f.code) {
            "apigw "
        } else {
            "policy"
        };
        out.push_str(&format!(
            "  {}  {by}  {:<24} {}\n",
            style.severity(f.severity),
            f.code,
            Inert(&f.message)
        ));
        if let Some(h) = &f.hint {
            out.push_str(&format!("                {:<24} fix: {}\n", "", Inert(h)));
        }
    }
    out
}

/// API Gateway's verdict (with the line it would log) and the policy's.
fn judgements_block(r: &CheckReport, style: &Style) -> String {
    let mut out = String::from("\n");
    let gw = &r.apigateway;
    if gw.verdict.accepts() {
        out.push_str(&format!(
            "API Gateway: {} (its Java client would accept this chain{})\n",
            style.paint("32", "ACCEPTS"),
            if r.hostname.is_some() {
                " and host"
            } else {
                "; no --hostname given, host not checked"
            }
        ));
        if let Some(n) = &gw.note {
            out.push_str(&format!("  note: {}\n", Inert(n)));
        }
    } else {
        out.push_str(&format!(
            "API Gateway: {}\n",
            style.paint("1;31", "REFUSES")
        ));
        if let Some(l) = &gw.log_line {
            out.push_str(&format!("  it would log: {}\n", Inert(l)));
        }
        if let Some(f) = &gw.fix {
            out.push_str(&format!("  fix: {}\n", Inert(f)));
        }
        if let Some(n) = &gw.note {
            out.push_str(&format!("  note: {}\n", Inert(n)));
        }
    }
    if !gw.unverified_signatures.is_empty() {
        out.push_str(&format!(
            "  (signatures not verified by certctl, taken as valid: {})\n",
            inert_join(&gw.unverified_signatures, ", ")
        ));
    }
    let p = &r.policy;
    if p.verdict == "pass" {
        out.push_str(&format!("policy ({}): pass\n", Inert(&p.profile)));
    } else {
        out.push_str(&format!(
            "policy ({}): {} {}\n",
            Inert(&p.profile),
            style.paint("1;31", "DENIES"),
            p.codes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

impl Human for CheckReport {
    fn human(&self, style: &Style) -> String {
        let mut out = format!("target:   {}", Inert(&self.target));
        if let Some(a) = &self.address {
            out.push_str(&format!(" ({})", Inert(a)));
        }
        out.push('\n');
        if let Some(h) = &self.hostname {
            out.push_str(&format!("hostname: {}\n", Inert(h)));
        }
        out.push_str(&format!(
            "store:    {}   at: {}\n\n",
            Inert(&self.trust_store),
            self.at
        ));
        let mut rows = vec![vec![
            "#".into(),
            "ROLE".into(),
            "SUBJECT".into(),
            "NOT AFTER".into(),
            "DAYS".into(),
            "SHA-256".into(),
        ]];
        for (i, p) in self.path.iter().enumerate() {
            rows.push(vec![
                i.to_string(),
                p.role.to_string(),
                cell(&p.subject, 56),
                p.not_after.chars().take(10).collect(),
                p.days_left.to_string(),
                p.sha256
                    .replace(':', "")
                    .to_ascii_lowercase()
                    .chars()
                    .take(16)
                    .collect(),
            ]);
        }
        out.push_str("path:\n");
        out.push_str(&table(&rows));
        match &self.anchor {
            Some(a) => out.push_str(&format!(
                "anchor:   {} ({}{})\n",
                Inert(&a.subject),
                a.kind,
                if a.aliases.is_empty() {
                    String::new()
                } else {
                    format!("; alias {}", inert_join(&a.aliases, ", "))
                }
            )),
            None => out.push_str("anchor:   none (no trusted path)\n"),
        }
        out.push('\n');
        out.push_str(&check_findings_block(self, style));
        out.push_str(&judgements_block(self, style));
        if let Some(w) = &self.fixed_chain_written {
            out.push_str(&format!("\nwrote the ordered chain to {}\n", Inert(w)));
        }
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        let verdict = if self.verdict == "trusted" {
            style.paint("1;32", "TRUSTED")
        } else {
            style.paint("1;31", "NOT TRUSTED")
        };
        let by = if self.denied_by.is_empty() {
            String::new()
        } else {
            format!("; denied by {}", inert_join(&self.denied_by, " and "))
        };
        out.push_str(&format!(
            "\nverdict:  {verdict} ({} deny, {} warn{by})\n",
            count(Severity::Deny),
            count(Severity::Warn)
        ));
        out
    }

    fn failures(&self) -> Vec<String> {
        if self.verdict == "trusted" {
            return Vec::new();
        }
        let deny: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Deny)
            .map(|f| format!("certctl check: {}: {}: {}", self.target, f.code, f.message))
            .collect();
        if deny.is_empty() {
            vec![format!("certctl check: {}: not trusted", self.target)]
        } else {
            deny
        }
    }
}

impl Human for ListReport {
    fn human(&self, _style: &Style) -> String {
        let mut rows = vec![vec![
            "ALIAS".into(),
            "STATUS".into(),
            "NOT AFTER".into(),
            "SHA-256".into(),
            "SUBJECT".into(),
        ]];
        for e in &self.entries {
            rows.push(vec![
                cell(&e.alias, MAX_CELL),
                e.status.to_string(),
                cell(e.not_after.as_deref().unwrap_or("-"), MAX_CELL),
                e.sha256
                    .replace(':', "")
                    .to_ascii_lowercase()
                    .chars()
                    .take(16)
                    .collect(),
                cell(&e.subject, 60),
            ]);
        }
        let mut out = table(&rows);
        out.push_str(&format!(
            "\n{} aliases, {} distinct certificates, {} shipped roots; {} expired at {}, {} fingerprint-only\n",
            self.aliases, self.distinct_certificates, self.shipped_roots, self.expired, self.at, self.fingerprint_only
        ));
        out
    }
}

impl Human for ShowReport {
    fn human(&self, style: &Style) -> String {
        let e = &self.entry;
        let mut out = format!(
            "alias:     {}\nsubject:   {}\nstatus:    {}\nnot after: {}\nsha1:      {}\nsha256:    {}\n",
            Inert(&e.alias),
            Inert(&e.subject),
            e.status,
            Inert(e.not_after.as_deref().unwrap_or("-")),
            e.sha1,
            e.sha256
        );
        if !self.same_certificate.is_empty() {
            out.push_str(&format!(
                "also:      {}\n",
                inert_join(&self.same_certificate, ", ")
            ));
        }
        match &self.certificate {
            Some(c) => {
                out.push('\n');
                out.push_str(&cert_block(c, style));
                if let Some(p) = &self.pem {
                    out.push('\n');
                    out.push_str(p);
                }
            }
            None => out.push_str("\nno certificate shipped: accepted only when a server presents a certificate with this SHA-256\n"),
        }
        out
    }
}

impl Human for ExportReport {
    fn human(&self, _style: &Style) -> String {
        match &self.out {
            Some(o) => format!(
                "wrote {} roots to {} ({} expired roots skipped; --include-expired adds them)\n",
                self.exported,
                Inert(o),
                self.skipped_expired
            ),
            None => self.bundle.clone(),
        }
    }
}

impl Human for UpdateReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!("{} aliases in {}\n", self.aliases, Inert(&self.from));
        let list = |name: &str, v: &[String]| {
            if v.is_empty() {
                format!("{name}: none\n")
            } else {
                format!("{name} ({}): {}\n", v.len(), inert_join(v, ", "))
            }
        };
        out.push_str(&list("added", &self.added));
        out.push_str(&list("removed", &self.removed));
        out.push_str(&list("fingerprint changed", &self.changed));
        if !self.without_pem.is_empty() {
            out.push_str(&list("new, no PEM shipped yet", &self.without_pem));
        }
        out.push_str(&if self.written {
            format!("wrote {}; rebuild certctl to embed it\n", Inert(&self.out))
        } else if self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty() {
            format!("{} is up to date\n", Inert(&self.out))
        } else {
            format!("dry run: {} not written\n", Inert(&self.out))
        });
        out
    }
}

impl Human for VerifyReport {
    fn human(&self, style: &Style) -> String {
        let mut out = String::new();
        for i in self
            .items
            .iter()
            .filter(|i| i.status != "ok" || style.verbose > 0)
        {
            out.push_str(&format!(
                "{:<14} {} {}\n",
                i.status,
                i.sha256,
                inert_join(&i.aliases, ", ")
            ));
        }
        for a in &self.missing_pem {
            out.push_str(&format!("missing-pem    {}\n", Inert(a)));
        }
        out.push_str(&format!(
            "{} shipped roots checked: {} mismatches, {} listed as shipped without a PEM\n",
            self.roots,
            self.mismatches,
            self.missing_pem.len()
        ));
        out
    }
}

impl Human for PolicyText {
    /// The TOML itself, so that `> my-policy.toml` is a policy file.
    fn human(&self, _style: &Style) -> String {
        self.toml.to_string()
    }
}

impl Human for PolicyReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!(
            "{}: valid\nmin-days = {}, min-rsa-bits = {}, min-ec-bits = {}\nallowed-signature-algorithms = {}\n\n",
            Inert(&self.file),
            self.min_days,
            self.min_rsa_bits,
            self.min_ec_bits,
            if self.allowed_signature_algorithms.is_empty() {
                "any".to_string()
            } else {
                inert_join(&self.allowed_signature_algorithms, ", ")
            }
        );
        let mut rows = vec![vec!["CODE".into(), "LEVEL".into(), "MEANING".into()]];
        for l in &self.levels {
            rows.push(vec![
                l.code.to_string(),
                l.level.to_string(),
                l.meaning.to_string(),
            ]);
        }
        out.push_str(&table(&rows));
        out
    }
}

fn cert_block(c: &CertInfo, _style: &Style) -> String {
    let opt = |v: &Option<Vec<String>>| match v {
        Some(v) if v.is_empty() => "(empty)".to_string(),
        Some(v) => v.join(", "),
        None => "(absent)".to_string(),
    };
    let sans: Vec<String> = c
        .dns_names
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(c.ip_addresses.iter().map(|i| format!("IP:{i}")))
        .collect();
    let mut out = String::new();
    // Every value here is the certificate's: one inert line each.
    let mut line = |k: &str, v: &str| out.push_str(&format!("  {k:<20} {}\n", Inert(v)));
    line("subject", &c.subject);
    line("issuer", &c.issuer);
    line("serial", &c.serial);
    line("not before", &crate::x509::rfc3339(c.not_before));
    line("not after", &crate::x509::rfc3339(c.not_after));
    line(
        "SANs",
        &if sans.is_empty() {
            "(none)".into()
        } else {
            sans.join(", ")
        },
    );
    line("key", &c.key.label());
    line("signature", &c.signature_algorithm);
    line("sha1", &c.sha1().colon_hex());
    line("sha256", &c.sha256.colon_hex());
    line(
        "subject key id",
        c.subject_key_id.as_deref().unwrap_or("(absent)"),
    );
    line(
        "authority key id",
        c.authority_key_id.as_deref().unwrap_or("(absent)"),
    );
    line(
        "basic constraints",
        &match (c.basic_constraints_ca, c.path_len) {
            (None, _) => "(absent)".to_string(),
            (Some(true), Some(n)) => format!("CA:TRUE, pathlen:{n}"),
            (Some(true), None) => "CA:TRUE".to_string(),
            (Some(false), _) => "CA:FALSE".to_string(),
        },
    );
    line("key usage", &opt(&c.key_usage));
    line("extended key usage", &opt(&c.extended_key_usage));
    if !c.ca_issuers.is_empty() {
        line("CA issuers", &c.ca_issuers.join(", "));
    }
    out
}

impl Human for InspectReport {
    fn human(&self, style: &Style) -> String {
        let mut out = inert(&self.target).into_owned();
        if let Some(a) = &self.address {
            out.push_str(&format!(
                " ({}{})",
                Inert(a),
                self.protocol
                    .as_deref()
                    .map(|p| format!(", {}", Inert(p)))
                    .unwrap_or_default()
            ));
        }
        out.push_str(&format!(": {} certificate(s)\n", self.certificates.len()));
        for (i, c) in self.certificates.iter().enumerate() {
            let days = c.days_left(self.at_unix);
            let state = if days < 0 {
                format!("expired {} days ago", -days)
            } else {
                format!("{days} days left")
            };
            out.push_str(&format!("\n[{i}] {} ({state})\n", Inert(c.display_name())));
            out.push_str(&cert_block(c, style));
        }
        out
    }
}

impl Human for crate::jobs::man::ManReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!(
            "wrote {} manual pages to {}\n",
            self.pages.len(),
            Inert(&self.dir)
        );
        for p in &self.pages {
            out.push_str(&format!("  {}\n", Inert(p)));
        }
        out
    }
}
