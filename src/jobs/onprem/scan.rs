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
            ScanError::Metrics(e) => e.exit_code(),
        }
    }
}

/// One certificate found, kept compact (dates, fingerprint and findings are rendered when
/// printed) so that a scan of 100,000 files stays small.
#[derive(Debug, Clone)]
pub struct ScanItem {
    pub path: String,
    /// Position in the file (0 = first certificate).
    pub index: usize,
    pub subject: String,
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub days_left: i64,
    pub sha256: [u8; 32],
    /// What `findings()` reports, as bits.
    flags: u8,
    weak_key: Option<Box<str>>,
    signature: Option<Box<str>>,
}

const EXPIRED: u8 = 1;
const NOT_YET_VALID: u8 = 2;
const EXPIRES_SOON: u8 = 4;
const SELF_SIGNED: u8 = 8;

impl ScanItem {
    /// The findings, rendered now.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut add = |code: &'static str, severity, message: String| {
            out.push(Finding {
                code,
                severity,
                message,
                hint: None,
                certificate: None,
            })
        };
        if self.flags & EXPIRED != 0 {
            add(
                "expired",
                Severity::Deny,
                format!("expired {} days ago", -self.days_left),
            );
        }
        if self.flags & NOT_YET_VALID != 0 {
            add(
                "not-yet-valid",
                Severity::Deny,
                format!("not valid before {}", crate::x509::rfc3339(self.not_before)),
            );
        }
        if self.flags & EXPIRES_SOON != 0 {
            add(
                "expires-soon",
                Severity::Deny,
                format!("expires in {} days", self.days_left),
            );
        }
        if let Some(alg) = &self.signature {
            add(
                "sha1-signature",
                Severity::Warn,
                format!("signed with {alg}"),
            );
        }
        if let Some(k) = &self.weak_key {
            add("weak-key", Severity::Warn, k.to_string());
        }
        if self.flags & SELF_SIGNED != 0 {
            add(
                "self-signed",
                Severity::Info,
                "self-signed (fine behind an ALB; API Gateway would refuse it)".into(),
            );
        }
        out
    }

    /// The finding codes alone, for tables.
    pub fn codes(&self) -> Vec<&'static str> {
        self.findings().iter().map(|f| f.code).collect()
    }
}

impl Serialize for ScanItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ScanItem", 8)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("index", &self.index)?;
        st.serialize_field("subject", &self.subject)?;
        st.serialize_field("serial", &self.serial)?;
        st.serialize_field("not_after", &crate::x509::rfc3339(self.not_after))?;
        st.serialize_field("days_left", &self.days_left)?;
        st.serialize_field("sha256", &crate::x509::hex_join(&self.sha256, ":", true))?;
        st.serialize_field("findings", &self.findings())?;
        st.end()
    }
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

/// Largest file considered (certificate bundles are small).
const MAX_FILE: u64 = 1024 * 1024;

pub fn run(req: &ScanRequest) -> Result<ScanReport, ScanError> {
    let mut files = Vec::new();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    for p in &req.paths {
        if std::fs::metadata(p).is_err() {
            return Err(ScanError::NotFound(p.clone()));
        }
        walk(p, req.hidden, true, &mut files, &mut seen);
    }
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, ScanItem)>> = Mutex::new(Vec::new());
    let bad: Mutex<Vec<(usize, ScanProblem)>> = Mutex::new(Vec::new());
    let threads = req.threads.clamp(1, 64).min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut local: Vec<(usize, ScanItem)> = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let (items, problem) = scan_file(path, req.at, req.min_days);
                    local.extend(items.into_iter().map(|it| (i, it)));
                    if let Some(p) = problem {
                        if let Ok(mut b) = bad.lock() {
                            b.push((i, p));
                        }
                    }
                    // Hand over in batches: the shared list grows once, not per thread.
                    if local.len() >= 256 {
                        if let Ok(mut f) = found.lock() {
                            f.append(&mut local);
                        }
                    }
                }
                if let Ok(mut f) = found.lock() {
                    f.append(&mut local);
                }
            });
        }
    });
    let mut found = found.into_inner().unwrap_or_default();
    found.sort_unstable_by_key(|(i, it)| (*i, it.index));
    let items: Vec<ScanItem> = found.into_iter().map(|(_, it)| it).collect();
    let mut bad = bad.into_inner().unwrap_or_default();
    bad.sort_by_key(|(i, _)| *i);
    let problems: Vec<ScanProblem> = bad.into_iter().map(|(_, p)| p).collect();
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
fn walk(p: &Path, hidden: bool, top: bool, out: &mut Vec<PathBuf>, seen: &mut HashSet<(u64, u64)>) {
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
        // A file reached twice (through a symlink) is scanned once: (device, inode) names it.
        use std::os::unix::fs::MetadataExt;
        if seen.insert((meta.dev(), meta.ino())) {
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
    let mut flags = 0;
    if c.not_after < at {
        flags |= EXPIRED;
    } else if c.not_before > at {
        flags |= NOT_YET_VALID;
    } else if days < i64::from(min_days) {
        flags |= EXPIRES_SOON;
    }
    if c.is_self_issued() && !c.is_ca() {
        flags |= SELF_SIGNED;
    }
    let weak_key = match &c.key {
        crate::x509::KeyInfo::Rsa { bits } if *bits < 2048 => Some(format!("RSA {bits}").into()),
        crate::x509::KeyInfo::Ec { bits, curve } if *bits < 256 => {
            Some(format!("EC {curve}").into())
        }
        _ => None,
    };
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(&c.sha256.0[..32]);
    ScanItem {
        path: path.display().to_string(),
        index,
        subject: c.subject.clone(),
        serial: c.serial.clone(),
        not_before: c.not_before,
        not_after: c.not_after,
        days_left: days,
        sha256,
        flags,
        weak_key,
        signature: c
            .has_weak_signature_hash()
            .then(|| c.signature_algorithm.clone().into()),
    }
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    crate::metrics::label(v)
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
            i.not_after
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
