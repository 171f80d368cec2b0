//! Human renderings of the on-prem reports: ca init, issue, rotate, scan.

use super::human::{table, Human, Style};
use super::inert::{cell, inert_join, inert_lines, Inert};
use crate::exit::ExitStatus;
use crate::jobs::onprem::ca::CaInitReport;
use crate::jobs::onprem::issue::IssueReport;
use crate::jobs::onprem::rotate::RotateReport;
use crate::jobs::onprem::scan::{ScanItem, ScanReport};
use crate::jobs::onprem::CertSummary;

fn summary(c: &CertSummary) -> String {
    let names: Vec<String> = c.dns.iter().cloned().chain(c.ip.iter().cloned()).collect();
    // A CA has no names: no empty line for them.
    let names = if names.is_empty() {
        String::new()
    } else {
        format!("  names      {}\n", inert_join(&names, ", "))
    };
    format!(
        "  subject    {}\n{names}  key        {}\n  valid      {} → {} ({} days left)\n  sha256     {}\n",
        Inert(&c.subject),
        Inert(&c.key),
        c.not_before,
        c.not_after,
        c.days_left,
        c.sha256
    )
}

impl Human for CaInitReport {
    fn human(&self, _style: &Style) -> String {
        format!(
            "{} CA in {}\n{}  cert       {}\n  key        {} (0600)\n",
            if self.replaced {
                "replaced the"
            } else {
                "created a"
            },
            Inert(&self.dir),
            summary(&self.certificate),
            Inert(&self.cert),
            Inert(&self.key)
        )
    }
}

impl Human for IssueReport {
    fn human(&self, _style: &Style) -> String {
        let mut out = format!(
            "issued ({}) in {}\n{}",
            Inert(&self.issuer),
            Inert(&self.out_dir),
            summary(&self.certificate)
        );
        for f in &self.files {
            out.push_str(&format!("  wrote      {}\n", Inert(f)));
        }
        if let Some(r) = &self.replaced {
            out.push_str(&format!(
                "  previous   kept as .sets/{} (rollback target)\n",
                Inert(r)
            ));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {}\n", Inert(w)));
        }
        out
    }
}

impl Human for RotateReport {
    fn human(&self, style: &Style) -> String {
        let mut rows = vec![vec![
            "SET".to_string(),
            "ACTION".into(),
            "REASON".into(),
            "OLD NOT AFTER".into(),
            "NEW NOT AFTER".into(),
        ]];
        for s in &self.sets {
            let action = match s.action {
                "failed" => style.paint("1;31", "failed"),
                "renewed" => style.paint("32", "renewed"),
                other => other.to_string(),
            };
            rows.push(vec![
                cell(&s.name, 64),
                action,
                if s.reasons.is_empty() {
                    "-".into()
                } else {
                    inert_join(&s.reasons, ",")
                },
                cell(s.old.as_ref().map_or("-", |o| o.not_after.as_str()), 64),
                cell(s.new.as_ref().map_or("-", |n| n.not_after.as_str()), 64),
            ]);
        }
        let mut out = table(&rows);
        for s in &self.sets {
            let name = Inert(&s.name);
            for p in &s.plan {
                out.push_str(&format!("{name}: would {}\n", Inert(p)));
            }
            if let Some(h) = &s.hook {
                out.push_str(&format!(
                    "{name}: hook `{}` exit {} in {} ms{}\n",
                    Inert(&h.command),
                    h.exit_code
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "none".into()),
                    h.duration_ms,
                    if h.timed_out { " (timed out)" } else { "" }
                ));
            }
            if let Some(v) = s.verified {
                out.push_str(&format!(
                    "{name}: served certificate verified: {}\n",
                    if v { "yes" } else { "no" }
                ));
            }
            if let (Some(r), true) = (&s.renew_at, s.action == "unchanged") {
                out.push_str(&format!("{name}: next renewal due {}\n", Inert(r)));
            }
            for w in &s.warnings {
                out.push_str(&format!("{name}: warning: {}\n", Inert(w)));
            }
            if let Some(h) = s.hook.as_ref().filter(|h| !h.ok()) {
                // The hook's last lines (already redacted), to see why it failed: line by
                // line, each inert, so the hook can neither forge a line nor drive the terminal.
                let lines: Vec<_> = inert_lines(&h.output).collect();
                for l in &lines[lines.len().saturating_sub(10)..] {
                    out.push_str(&format!("{name}: hook| {l}\n"));
                }
            }
            if let Some(e) = &s.error {
                out.push_str(&format!("{name}: error: {}\n", Inert(e)));
            }
        }
        out
    }

    /// One line per failed set and, when its deploy hook failed, the hook's last lines
    /// (already redacted; the printer renders each line inert), so that a cron mail says why.
    fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in self.sets.iter().filter(|s| s.exit_code() != ExitStatus::Ok) {
            out.push(match (&s.error, &s.old) {
                (Some(e), _) => format!("certctl rotate: set {}: failed: {e}", s.name),
                (None, Some(old)) => format!(
                    "certctl rotate: set {}: the certificate in place expired on {}",
                    s.name, old.not_after
                ),
                (None, None) => format!("certctl rotate: set {}: {}", s.name, s.action),
            });
            if let Some(h) = s.hook.as_ref().filter(|h| !h.ok()) {
                let lines: Vec<&str> = h.output.trim_end().lines().collect();
                for l in &lines[lines.len().saturating_sub(QUIET_HOOK_LINES)..] {
                    out.push(format!(
                        "certctl rotate: set {}: hook| {}",
                        s.name,
                        super::inert::bounded(l, QUIET_HOOK_LINE_WIDTH)
                    ));
                }
            }
        }
        out
    }
}

/// How many of a failed hook's last lines `rotate -q` prints, and at most how many characters
/// of each (the JSON report has the whole output).
const QUIET_HOOK_LINES: usize = 10;
const QUIET_HOOK_LINE_WIDTH: usize = 300;

impl Human for ScanReport {
    fn human(&self, style: &Style) -> String {
        let mut rows = vec![vec![
            "DAYS".to_string(),
            "NOT AFTER".into(),
            "SUBJECT".into(),
            "PATHS".into(),
            "FINDINGS".into(),
        ]];
        // One row per certificate (by SHA-256), however many files hold it (cert.pem,
        // chain.pem, fullchain.pem …): its further paths on the lines below.
        let groups = scan_groups(self);
        for g in &groups {
            let i = g[0];
            let codes = i.codes();
            let days = i.days_left.to_string();
            let days = if i.days_left < 0 {
                style.paint("1;31", &days)
            } else if i.days_left < i64::from(self.min_days) {
                style.paint("33", &days)
            } else {
                days
            };
            rows.push(vec![
                days,
                crate::x509::date(i.not_after),
                cell(&i.subject, SUBJECT_WIDTH),
                cell(&scan_path(i), MAX_PATH),
                codes.join(","),
            ]);
            for more in &g[1..] {
                rows.push(vec![
                    String::new(),
                    String::new(),
                    String::new(),
                    cell(&scan_path(more), MAX_PATH),
                ]);
            }
        }
        let mut out = table(&rows);
        for p in &self.problems {
            out.push_str(&format!(
                "{}: {}: {}\n",
                p.code,
                Inert(&p.path),
                Inert(&p.error)
            ));
        }
        out.push_str(&format!(
            "\n{} certificates ({} distinct) in {} files: {} expired, {} expiring within {} days\n",
            self.certificates,
            groups.len(),
            self.files_scanned,
            self.expired,
            self.expiring,
            self.min_days
        ));
        match self.problems.len() {
            0 => out.push('\n'),
            n => out.push_str(&format!(
                "; {n} file{} not looked at or not parsed (listed above)\n",
                if n == 1 { "" } else { "s" }
            )),
        }
        if let Some(m) = &self.metrics {
            out.push_str(&format!("wrote metrics to {}\n", Inert(m)));
        }
        out
    }

    fn failures(&self) -> Vec<String> {
        // One line per certificate, naming every file that holds it.
        let mut out: Vec<String> = scan_groups(self)
            .into_iter()
            .filter(|g| g[0].days_left < i64::from(self.min_days))
            .map(|g| {
                let i = g[0];
                let what = if i.days_left < 0 {
                    "expired"
                } else {
                    "expires"
                };
                let paths: Vec<String> = g.iter().map(|i| scan_path(i)).collect();
                format!(
                    "certctl scan: {}: {} {what} {} ({} days left)",
                    paths.join(", "),
                    super::inert::bounded(&i.subject, SUBJECT_WIDTH),
                    crate::x509::date(i.not_after),
                    i.days_left
                )
            })
            .collect();
        out.extend(
            self.problems
                .iter()
                .map(|p| format!("certctl scan: {}: {}", p.path, p.error)),
        );
        out
    }
}

/// The scan table's subject column, in characters; the JSON keeps the whole subject.
const SUBJECT_WIDTH: usize = 64;
/// The scan table's path column, in characters; the JSON keeps the whole path.
const MAX_PATH: usize = super::human::MAX_CELL;

/// A scanned certificate's place: its file, and `#N` when it is not the file's first.
fn scan_path(i: &ScanItem) -> String {
    if i.index > 0 {
        format!("{}#{}", i.path, i.index)
    } else {
        i.path.clone()
    }
}

/// The scan's items grouped by certificate (SHA-256), paths in order; soonest expiry first.
fn scan_groups(r: &ScanReport) -> Vec<Vec<&ScanItem>> {
    let mut by_cert: std::collections::HashMap<[u8; 32], Vec<&ScanItem>> =
        std::collections::HashMap::new();
    for i in &r.items {
        by_cert.entry(i.sha256).or_default().push(i);
    }
    let mut groups: Vec<Vec<&ScanItem>> = by_cert.into_values().collect();
    for g in &mut groups {
        g.sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
    }
    groups.sort_by(|a, b| {
        (a[0].days_left, &a[0].path, a[0].index).cmp(&(b[0].days_left, &b[0].path, b[0].index))
    });
    groups
}
