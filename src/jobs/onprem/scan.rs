//! `certctl scan`: every certificate under files and directories, in parallel, with expiry and
//! findings; optional Prometheus textfile for node_exporter.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::findings::{Finding, Severity};
use crate::fsx::{self, FsError};
use crate::x509::CertInfo;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    #[error("--metrics: {0}")]
    Metrics(#[from] FsError),
}

impl crate::jobs::JobError for ScanError {
    fn exit_code(&self) -> u8 {
        match self {
            ScanError::NotFound(_) => 2,
            ScanError::Metrics(_) => 3,
        }
    }
}

/// One certificate found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanItem {
    pub path: String,
    /// Position in the file (0 = first certificate).
    pub index: usize,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_after: String,
    pub days_left: i64,
    pub sha256: String,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub not_after_unix: i64,
}

/// A file that looked like a certificate but could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ScanProblem {
    pub path: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub at: String,
    pub min_days: u32,
    pub files_scanned: usize,
    pub certificates: usize,
    pub expired: usize,
    pub expiring: usize,
    pub items: Vec<ScanItem>,
    pub problems: Vec<ScanProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<String>,
}

impl ScanReport {
    /// 1 when a certificate is expired or expires within min-days.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.expired + self.expiring > 0)
    }
}

/// Options of a scan.
pub struct ScanRequest {
    pub paths: Vec<PathBuf>,
    pub min_days: u32,
    pub metrics: Option<PathBuf>,
    pub hidden: bool,
    pub threads: usize,
    pub at: i64,
}

/// One file's certificates (or problem), with its position in the walk order.
type FileResult = (usize, Vec<ScanItem>, Option<ScanProblem>);

/// Largest file considered (certificate bundles are small).
const MAX_FILE: u64 = 1024 * 1024;

pub fn run(req: &ScanRequest) -> Result<ScanReport, ScanError> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for p in &req.paths {
        if std::fs::metadata(p).is_err() {
            return Err(ScanError::NotFound(p.clone()));
        }
        walk(p, req.hidden, true, &mut files, &mut seen);
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<FileResult>> = Mutex::new(Vec::new());
    let threads = req.threads.clamp(1, 64).min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let (items, problem) = scan_file(path, req.at, req.min_days);
                    if !items.is_empty() || problem.is_some() {
                        local.push((i, items, problem));
                    }
                }
                if let Ok(mut r) = results.lock() {
                    r.extend(local);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|r| r.0);
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (_, i, p) in results {
        items.extend(i);
        problems.extend(p);
    }
    let expired = items.iter().filter(|i| i.days_left < 0).count();
    let expiring = items
        .iter()
        .filter(|i| i.days_left >= 0 && i.days_left < i64::from(req.min_days))
        .count();
    let mut report = ScanReport {
        schema_version: 1,
        at: crate::x509::rfc3339(req.at),
        min_days: req.min_days,
        files_scanned: files.len(),
        certificates: items.len(),
        expired,
        expiring,
        items,
        problems,
        metrics: None,
    };
    if let Some(m) = &req.metrics {
        fsx::write_atomic(m, metrics_text(&report, req.at).as_bytes(), 0o644)?;
        report.metrics = Some(m.display().to_string());
    }
    Ok(report)
}

/// Collects regular files; symlinked files are followed (once per target), symlinked
/// directories are not; hidden entries are skipped unless asked for.
fn walk(p: &Path, hidden: bool, top: bool, out: &mut Vec<PathBuf>, seen: &mut HashSet<PathBuf>) {
    let Ok(lmeta) = std::fs::symlink_metadata(p) else {
        return;
    };
    let is_link = lmeta.file_type().is_symlink();
    let Ok(meta) = std::fs::metadata(p) else {
        return;
    };
    if meta.is_dir() {
        if is_link && !top {
            return;
        }
        let Ok(rd) = std::fs::read_dir(p) else { return };
        let mut entries: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .filter(|e| hidden || !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            walk(&e, hidden, false, out, seen);
        }
    } else if meta.is_file() && meta.len() <= MAX_FILE && meta.len() > 0 {
        let key = if is_link {
            std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
        } else {
            p.to_path_buf()
        };
        if seen.insert(key) {
            out.push(p.to_path_buf());
        }
    }
}

fn scan_file(path: &Path, at: i64, min_days: u32) -> (Vec<ScanItem>, Option<ScanProblem>) {
    let Ok(bytes) = std::fs::read(path) else {
        return (Vec::new(), None);
    };
    let pem = crate::pem::looks_like_pem(&bytes);
    // Only PEM with certificates, or DER that parses, counts; keys and configs are skipped.
    if pem
        && !bytes
            .windows(27)
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return (Vec::new(), None);
    }
    if !pem && bytes.first() != Some(&0x30) {
        return (Vec::new(), None);
    }
    let ders = match crate::pem::decode_certificates(&bytes) {
        Ok(d) => d,
        Err(e) if pem => return (Vec::new(), Some(problem(path, e.to_string()))),
        Err(_) => return (Vec::new(), None),
    };
    let mut items = Vec::new();
    for (index, der) in ders.iter().enumerate() {
        match CertInfo::parse(der) {
            Ok(c) => items.push(item(path, index, &c, at, min_days)),
            Err(e) if pem => {
                return (
                    items,
                    Some(problem(path, format!("certificate #{}: {e}", index + 1))),
                )
            }
            Err(_) => return (Vec::new(), None),
        }
    }
    (items, None)
}

fn problem(path: &Path, error: String) -> ScanProblem {
    ScanProblem {
        path: path.display().to_string(),
        error,
    }
}

fn item(path: &Path, index: usize, c: &CertInfo, at: i64, min_days: u32) -> ScanItem {
    let days = c.days_left(at);
    let mut findings = Vec::new();
    let mut add = |code: &'static str, severity, message: String| {
        findings.push(Finding {
            code,
            severity,
            message,
            hint: None,
            certificate: None,
        })
    };
    if c.not_after < at {
        add(
            "expired",
            Severity::Deny,
            format!("expired {} days ago", -days),
        );
    } else if c.not_before > at {
        add(
            "not-yet-valid",
            Severity::Deny,
            format!("not valid before {}", crate::x509::rfc3339(c.not_before)),
        );
    } else if days < i64::from(min_days) {
        add(
            "expires-soon",
            Severity::Deny,
            format!("expires in {days} days"),
        );
    }
    if c.has_weak_signature_hash() {
        add(
            "sha1-signature",
            Severity::Warn,
            format!("signed with {}", c.signature_algorithm),
        );
    }
    match &c.key {
        crate::x509::KeyInfo::Rsa { bits } if *bits < 2048 => {
            add("weak-key", Severity::Warn, format!("RSA {bits}"))
        }
        crate::x509::KeyInfo::Ec { bits, curve } if *bits < 256 => {
            add("weak-key", Severity::Warn, format!("EC {curve}"))
        }
        _ => {}
    }
    if c.is_self_issued() && !c.is_ca() {
        add(
            "self-signed",
            Severity::Info,
            "self-signed (fine behind an ALB; API Gateway would refuse it)".into(),
        );
    }
    ScanItem {
        path: path.display().to_string(),
        index,
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        serial: c.serial.clone(),
        not_after: crate::x509::rfc3339(c.not_after),
        days_left: days,
        sha256: c.sha256.colon_hex(),
        findings,
        not_after_unix: c.not_after,
    }
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus textfile: expiry timestamps, days left, counts.
pub fn metrics_text(r: &ScanReport, at: i64) -> String {
    let mut out = String::new();
    out.push_str("# HELP certctl_certificate_expiry_timestamp_seconds Certificate not-after as a Unix timestamp.\n");
    out.push_str("# TYPE certctl_certificate_expiry_timestamp_seconds gauge\n");
    let labels = |i: &ScanItem| {
        format!(
            "path=\"{}\",subject=\"{}\",serial=\"{}\"",
            label(&i.path),
            label(&i.subject),
            label(&i.serial)
        )
    };
    for i in &r.items {
        out.push_str(&format!(
            "certctl_certificate_expiry_timestamp_seconds{{{}}} {}\n",
            labels(i),
            i.not_after_unix
        ));
    }
    out.push_str("# HELP certctl_certificate_days_left Whole days until the certificate expires (negative: expired).\n");
    out.push_str("# TYPE certctl_certificate_days_left gauge\n");
    for i in &r.items {
        out.push_str(&format!(
            "certctl_certificate_days_left{{{}}} {}\n",
            labels(i),
            i.days_left
        ));
    }
    out.push_str("# HELP certctl_scan_certificates Certificates found by the last scan.\n# TYPE certctl_scan_certificates gauge\n");
    out.push_str(&format!("certctl_scan_certificates {}\n", r.certificates));
    out.push_str("# HELP certctl_scan_problems Files that looked like certificates but could not be read.\n# TYPE certctl_scan_problems gauge\n");
    out.push_str(&format!("certctl_scan_problems {}\n", r.problems.len()));
    out.push_str("# HELP certctl_scan_timestamp_seconds When the last scan evaluated expiry.\n# TYPE certctl_scan_timestamp_seconds gauge\n");
    out.push_str(&format!("certctl_scan_timestamp_seconds {at}\n"));
    out
}
