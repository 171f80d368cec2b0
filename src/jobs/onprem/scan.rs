//! `certctl scan`: every certificate under files and directories, in parallel, with expiry and
//! findings; optional Prometheus textfile for node_exporter.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::findings::{Finding, ScanCode, ScanProblemCode, Severity};
use crate::fsx::{self, FsError};
use crate::x509::{CertInfo, DerShape};

#[derive(Debug, thiserror::Error)]
pub(crate) enum ScanError {
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    #[error("--metrics: {0}")]
    Metrics(#[from] FsError),
}

impl crate::jobs::JobError for ScanError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            ScanError::NotFound(_) => ExitStatus::BadInput,
            ScanError::Metrics(e) => e.exit_code(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ScanError::Metrics(e) => e.hint(),
            ScanError::NotFound(_) => None,
        }
    }
}

/// One certificate found, kept compact (dates, fingerprint and findings are rendered when
/// printed) so that a scan of 100,000 files stays small.
#[derive(Debug, Clone)]
pub(crate) struct ScanItem {
    pub(crate) path: String,
    /// Position in the file (0 = first certificate).
    pub(crate) index: usize,
    pub(crate) subject: String,
    pub(crate) serial: String,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    pub(crate) days_left: i64,
    pub(crate) sha256: [u8; 32],
    /// What `findings()` reports, as bits.
    flags: u8,
    weak_key: Option<Box<str>>,
    signature: Option<Box<str>>,
}

const EXPIRED: u8 = 1;
const NOT_YET_VALID: u8 = 2;
const EXPIRES_SOON: u8 = 4;
const SELF_SIGNED: u8 = 8;
const TRAILING_DATA: u8 = 16;

impl ScanItem {
    /// The findings, rendered now.
    pub(crate) fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut add = |code: ScanCode, severity, message: String| {
            out.push(Finding {
                code: code.into(),
                severity,
                message,
                hint: None,
                certificate: None,
            })
        };
        if self.flags & EXPIRED != 0 {
            add(
                ScanCode::Expired,
                Severity::Deny,
                format!("expired {} days ago", -self.days_left),
            );
        }
        if self.flags & NOT_YET_VALID != 0 {
            add(
                ScanCode::NotYetValid,
                Severity::Deny,
                format!("not valid before {}", crate::x509::rfc3339(self.not_before)),
            );
        }
        if self.flags & EXPIRES_SOON != 0 {
            add(
                ScanCode::ExpiresSoon,
                Severity::Deny,
                format!("expires in {} days", self.days_left),
            );
        }
        if let Some(alg) = &self.signature {
            add(
                ScanCode::Sha1Signature,
                Severity::Warn,
                format!("signed with {alg}"),
            );
        }
        if let Some(k) = &self.weak_key {
            add(ScanCode::WeakKey, Severity::Warn, k.to_string());
        }
        if self.flags & TRAILING_DATA != 0 {
            add(
                ScanCode::TrailingData,
                Severity::Warn,
                "bytes follow the certificate's DER in its file or PEM block; a strict reader refuses it"
                    .into(),
            );
        }
        if self.flags & SELF_SIGNED != 0 {
            add(
                ScanCode::SelfSigned,
                Severity::Info,
                "self-signed (fine behind an ALB; API Gateway would refuse it)".into(),
            );
        }
        out
    }

    /// The finding codes alone, for tables.
    pub(crate) fn codes(&self) -> Vec<&'static str> {
        self.findings().iter().map(|f| f.code.as_str()).collect()
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

/// A file the scan could not look at, or one that looked like a certificate but could not be
/// parsed. Every problem makes the exit 1: monitoring is never silent about what it skipped.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScanProblem {
    pub(crate) path: String,
    /// `unreadable` (cannot be opened or read, a dangling link, not a regular file, replaced
    /// since the walk), `too-large` (over `--max-file-size`) or `malformed` (a certificate
    /// block, PKCS#7 bundle or DER certificate file that does not parse).
    pub(crate) code: ScanProblemCode,
    pub(crate) error: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScanReport {
    pub(crate) schema_version: u32,
    pub(crate) at: String,
    pub(crate) min_days: u32,
    pub(crate) files_scanned: usize,
    pub(crate) certificates: usize,
    pub(crate) expired: usize,
    pub(crate) expiring: usize,
    pub(crate) items: Vec<ScanItem>,
    pub(crate) problems: Vec<ScanProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metrics: Option<String>,
}

impl ScanReport {
    /// 1 when a certificate is expired or expires within min-days, or a file could not be
    /// looked at.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.expired + self.expiring > 0 || !self.problems.is_empty())
    }
}

/// Options of a scan.
pub(crate) struct ScanRequest {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) min_days: u32,
    pub(crate) metrics: Option<PathBuf>,
    pub(crate) hidden: bool,
    pub(crate) threads: usize,
    pub(crate) at: i64,
    /// When the scan runs, by the real clock (the metrics file's last-run time).
    pub(crate) wall: i64,
    /// Files larger than this are not read; each is a `too-large` problem.
    pub(crate) max_file_size: u64,
}

pub(crate) fn run(req: &ScanRequest) -> Result<ScanReport, ScanError> {
    for p in &req.paths {
        if std::fs::symlink_metadata(p).is_err() {
            if let Some(m) = &req.metrics {
                // The file says this run could not look; the missing path is what is reported.
                let mut t = crate::metrics::Textfile::new();
                let _ = t
                    .outcome(crate::metrics::Job::Scan, req.wall, false)
                    .write(m);
            }
            return Err(ScanError::NotFound(p.clone()));
        }
    }
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Found)>();
    let rx = Mutex::new(rx);
    let found: Mutex<Vec<(usize, ScanItem)>> = Mutex::new(Vec::new());
    let bad: Mutex<Vec<(usize, ScanProblem)>> = Mutex::new(Vec::new());
    let threads = req.threads.clamp(1, 64);
    // The workers read and parse each file as soon as the walk finds it; the walk goes on in
    // this thread. Results carry the walk's order, and are sorted by it.
    let (files_scanned, walk_problems) = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| scan_worker(&rx, &found, &bad, req));
        }
        let mut walk = Walk {
            hidden: req.hidden,
            max: req.max_file_size,
            files: tx,
            count: 0,
            problems: Vec::new(),
            seen: HashSet::new(),
        };
        for p in &req.paths {
            // Opened later by this link-free path (links resolved once, here), never by `p`.
            match std::fs::canonicalize(p) {
                Ok(real) => walk.visit(p, &real, true, None),
                Err(e) => walk.problem(p, UNREADABLE, e.to_string()),
            }
        }
        let Walk {
            count,
            problems,
            files,
            ..
        } = walk;
        // Closing the channel ends the workers once every file is taken.
        drop(files);
        (count, problems)
    });
    let mut found = found.into_inner().unwrap_or_default();
    found.sort_unstable_by_key(|(i, it)| (*i, it.index));
    let items: Vec<ScanItem> = found.into_iter().map(|(_, it)| it).collect();
    let mut bad = bad.into_inner().unwrap_or_default();
    bad.sort_by_key(|(i, _)| *i);
    let mut problems: Vec<ScanProblem> = walk_problems;
    problems.extend(bad.into_iter().map(|(_, p)| p));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    let expired = items.iter().filter(|i| i.days_left < 0).count();
    let expiring = items
        .iter()
        .filter(|i| i.days_left >= 0 && i.days_left < i64::from(req.min_days))
        .count();
    let mut report = ScanReport {
        schema_version: 1,
        at: crate::x509::rfc3339(req.at),
        min_days: req.min_days,
        files_scanned,
        certificates: items.len(),
        expired,
        expiring,
        items,
        problems,
        metrics: None,
    };
    if let Some(m) = &req.metrics {
        let mut text = metrics_text(&report, req.at);
        let mut outcome = crate::metrics::Textfile::new();
        outcome.outcome(crate::metrics::Job::Scan, req.wall, true);
        text.push_str(outcome.as_str());
        fsx::write_atomic(m, text.as_bytes(), 0o644)?;
        report.metrics = Some(m.display().to_string());
    }
    Ok(report)
}

/// One worker: takes the files the walk sends until it is done, and hands over what each
/// yields in batches (the shared lists grow once per batch, not per file).
fn scan_worker(
    rx: &Mutex<std::sync::mpsc::Receiver<(usize, Found)>>,
    found: &Mutex<Vec<(usize, ScanItem)>>,
    bad: &Mutex<Vec<(usize, ScanProblem)>>,
    req: &ScanRequest,
) {
    let mut local: Vec<(usize, ScanItem)> = Vec::new();
    loop {
        let next = rx.lock().ok().and_then(|r| r.recv().ok());
        let Some((i, file)) = next else {
            break;
        };
        let (items, problem) = scan_file(&file, req.max_file_size, req.at, req.min_days);
        local.extend(items.into_iter().map(|it| (i, it)));
        if let Some(p) = problem {
            if let Ok(mut b) = bad.lock() {
                b.push((i, p));
            }
        }
        if local.len() >= 256 {
            if let Ok(mut f) = found.lock() {
                f.append(&mut local);
            }
        }
    }
    if let Ok(mut f) = found.lock() {
        f.append(&mut local);
    }
}

/// A regular file the walk found: the path it is reported under, the same without symbolic
/// links (what is opened), and what it was (device, inode).
struct Found {
    path: PathBuf,
    real: PathBuf,
    id: (u64, u64),
}

/// What the walk found: the files to read and what it could not look at.
struct Walk {
    hidden: bool,
    max: u64,
    /// Where each file found goes, numbered in walk order.
    files: std::sync::mpsc::Sender<(usize, Found)>,
    count: usize,
    problems: Vec<ScanProblem>,
    seen: HashSet<(u64, u64)>,
}

impl Walk {
    /// Collects regular files; symlinked files are followed (once per target), symlinked
    /// directories are not; hidden entries are skipped unless asked for. Whatever cannot be
    /// looked at (a dangling link, a directory that cannot be listed, a FIFO, a device, a file
    /// over the size cap) becomes a problem.
    ///
    /// `known`: what the directory listing said of the entry, from the directory's handle
    /// (`fstatat` without following links: the same as `symlink_metadata(p)`, without walking
    /// the whole path again).
    fn visit(&mut self, p: &Path, real: &Path, top: bool, known: Option<std::fs::Metadata>) {
        let lmeta = match known.map_or_else(|| std::fs::symlink_metadata(p), Ok) {
            Ok(m) => m,
            // Gone between listing and looking: nothing was there to miss.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => return self.problem(p, UNREADABLE, e.to_string()),
        };
        let is_link = lmeta.file_type().is_symlink();
        let meta = if is_link {
            match std::fs::metadata(p) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let target = std::fs::read_link(p)
                        .map(|t| t.display().to_string())
                        .unwrap_or_default();
                    return self.problem(
                        p,
                        UNREADABLE,
                        format!("dangling symbolic link (its target {target} does not exist)"),
                    );
                }
                Err(e) => return self.problem(p, UNREADABLE, e.to_string()),
            }
        } else {
            lmeta
        };
        if meta.is_dir() {
            if is_link && !top {
                return;
            }
            let rd = match std::fs::read_dir(p) {
                Ok(rd) => rd,
                Err(e) => {
                    return self.problem(p, UNREADABLE, format!("cannot list the directory: {e}"))
                }
            };
            let mut entries: Vec<(std::ffi::OsString, Option<std::fs::Metadata>)> = Vec::new();
            for e in rd {
                match e {
                    Ok(e) => {
                        if self.hidden || !e.file_name().to_string_lossy().starts_with('.') {
                            entries.push((e.file_name(), e.metadata().ok()));
                        }
                    }
                    Err(e) => {
                        self.problem(p, UNREADABLE, format!("cannot list the directory: {e}"))
                    }
                }
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (e, meta) in entries {
                self.visit(&p.join(&e), &real.join(&e), false, meta);
            }
        } else if !meta.is_file() {
            self.problem(
                p,
                UNREADABLE,
                format!(
                    "{}, not a regular file",
                    crate::input_file::kind_name(meta.file_type())
                ),
            );
        } else if meta.len() > 0 {
            // A file reached twice (through a symlink) is looked at once: (device, inode) names it.
            use std::os::unix::fs::MetadataExt;
            if !self.seen.insert((meta.dev(), meta.ino())) {
                return;
            }
            if meta.len() > self.max {
                let (size, max) = (meta.len(), self.max);
                self.problem(p, TOO_LARGE, too_large(size, max));
                return;
            }
            // A linked file is opened at its target, resolved now, once.
            let real = if is_link {
                match std::fs::canonicalize(p) {
                    Ok(r) => r,
                    Err(e) => return self.problem(p, UNREADABLE, e.to_string()),
                }
            } else {
                real.to_path_buf()
            };
            let n = self.count;
            self.count += 1;
            // The workers are gone only if one panicked; the scan then ends with that panic.
            let found = Found {
                path: p.to_path_buf(),
                real,
                id: (meta.dev(), meta.ino()),
            };
            let _ = self.files.send((n, found));
        }
    }

    fn problem(&mut self, p: &Path, code: ScanProblemCode, error: String) {
        self.problems.push(ScanProblem {
            path: p.display().to_string(),
            code,
            error,
        });
    }
}

const UNREADABLE: ScanProblemCode = ScanProblemCode::Unreadable;
const TOO_LARGE: ScanProblemCode = ScanProblemCode::TooLarge;
const MALFORMED: ScanProblemCode = ScanProblemCode::Malformed;

fn too_large(size: u64, max: u64) -> String {
    format!(
        "{size} bytes, more than --max-file-size {}: not read",
        crate::input_file::Size(max)
    )
}

/// Reads one file the walk found regular, through the handle `input_file::open_found` checked
/// (no link anywhere in its path, the same regular file the walk saw, opened non-blocking),
/// read through the size cap (a device or a growing file cannot stall it).
fn read_capped(f: &Found, max: u64) -> Result<Vec<u8>, ScanProblem> {
    use std::io::Read;
    let (file, meta) = crate::input_file::open_found(&f.real, f.id).map_err(|e| {
        // The message names the path opened; the problem names the path found.
        let why = e.to_string();
        let real = f.real.display().to_string();
        let why = why.strip_prefix(&format!("{real}: ")).unwrap_or(&why);
        problem(&f.path, UNREADABLE, why.to_string())
    })?;
    let unreadable = |e: std::io::Error| problem(&f.path, UNREADABLE, e.to_string());
    // One read of the size fstat gave, plus a byte: a shorter answer is the whole file. Only
    // a file that grew (or a file system that answers in parts) is read on, through the cap.
    let len = meta.len().min(max);
    let mut bytes = vec![0u8; len as usize + 1];
    let mut file = file;
    let n = loop {
        match file.read(&mut bytes) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(unreadable(e)),
        }
    };
    bytes.truncate(n);
    if n as u64 != meta.len() || n as u64 > len {
        file.take(max.saturating_add(1) - n as u64)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
    }
    if bytes.len() as u64 > max {
        return Err(problem(
            &f.path,
            TOO_LARGE,
            too_large(bytes.len() as u64, max),
        ));
    }
    Ok(bytes)
}

/// The certificates of one file and, when some part of it could not be read as one, the
/// problem saying so. Read: PEM `CERTIFICATE`, `X509 CERTIFICATE`, `TRUSTED CERTIFICATE` and
/// `PKCS7` blocks; DER certificates (trailing bytes: the certificate with a `trailing-data`
/// finding); DER PKCS#7 bundles (`.p7b`). A file that is none of these (a key, a config) is
/// not a certificate and not a problem.
fn scan_file(f: &Found, max: u64, at: i64, min_days: u32) -> (Vec<ScanItem>, Option<ScanProblem>) {
    let bytes = match read_capped(f, max) {
        Ok(b) => b,
        Err(p) => return (Vec::new(), Some(p)),
    };
    let mut certs = Certs {
        path: &f.path,
        at,
        min_days,
        items: Vec::new(),
        problem: None,
    };
    if crate::pem::looks_like_pem(&bytes) {
        let blocks = match crate::pem::decode_certificate_blocks(&bytes) {
            Ok(b) => b,
            Err(e) => return (Vec::new(), Some(problem(&f.path, MALFORMED, e.to_string()))),
        };
        for (n, (kind, der)) in blocks.iter().enumerate() {
            let what = format!("{} block #{}", kind.label(), n + 1);
            match kind {
                crate::pem::CertBlock::Pkcs7 => certs.pkcs7(der, &what),
                // OpenSSL's trust settings follow the certificate: expected, not a finding.
                crate::pem::CertBlock::Trusted => certs.der(der, &what, false),
                _ => certs.der(der, &what, true),
            }
        }
        return (certs.items, certs.problem);
    }
    if bytes.first() != Some(&0x30) {
        return (Vec::new(), None);
    }
    // A DER file is read as what its first bytes say it is; a DER key is neither.
    match crate::x509::der_shape(&bytes) {
        DerShape::Pkcs7 => certs.pkcs7(&bytes, "PKCS#7 bundle"),
        DerShape::Certificate => certs.der(&bytes, "DER certificate", true),
        DerShape::Other => {}
    }
    (certs.items, certs.problem)
}

/// What one file yields: its certificates in order, and the first part that did not parse.
struct Certs<'a> {
    path: &'a Path,
    at: i64,
    min_days: u32,
    items: Vec<ScanItem>,
    problem: Option<ScanProblem>,
}

impl Certs<'_> {
    fn fail(&mut self, what: &str, why: String) {
        if self.problem.is_none() {
            self.problem = Some(problem(self.path, MALFORMED, format!("{what}: {why}")));
        }
    }

    /// One DER certificate, possibly followed by other bytes (`trailing_is_finding`: those
    /// are reported on the certificate).
    fn der(&mut self, der: &[u8], what: &str, trailing_is_finding: bool) {
        let Some((first, rest)) = crate::x509::split_first_element(der) else {
            return self.fail(what, "not a DER certificate (truncated or not DER)".into());
        };
        match CertInfo::parse(&first.to_vec().into()) {
            Ok(c) => {
                let mut it = item(self.path, self.items.len(), &c, self.at, self.min_days);
                if trailing_is_finding && !rest.is_empty() {
                    it.flags |= TRAILING_DATA;
                }
                self.items.push(it);
            }
            Err(e) => self.fail(what, e.to_string()),
        }
    }

    /// Every certificate of a PKCS#7 bundle.
    fn pkcs7(&mut self, der: &[u8], what: &str) {
        match crate::x509::pkcs7_certificates(der) {
            Ok((found, other)) => {
                if found.is_empty() && other == 0 {
                    self.fail(what, "a PKCS#7 bundle with no certificates".into());
                }
                for (n, c) in found.iter().enumerate() {
                    self.der(c, &format!("{what}, certificate #{}", n + 1), true);
                }
                if other > 0 {
                    self.fail(
                        what,
                        format!("{other} entries that are not X.509 certificates (not read)"),
                    );
                }
            }
            Err(e) => self.fail(what, e.to_string()),
        }
    }
}

fn problem(path: &Path, code: ScanProblemCode, error: String) -> ScanProblem {
    ScanProblem {
        path: path.display().to_string(),
        code,
        error,
    }
}

/// A self-signed certificate made to be served, not a root: self-issued, and a leaf
/// (CA:FALSE), or named for a host (a DNS or IP SAN, or a CN that is a dotted host name or an IP
/// address). `openssl req -x509 -subj /CN=lb.example.com` makes CA:TRUE without a SAN; `check`
/// judges such a file as the self-signed leaf it is, and so does scan. A root CA named like
/// `My Root CA` is not flagged.
fn serves_itself(c: &CertInfo) -> bool {
    if !c.is_self_issued() {
        return false;
    }
    let cn_is_host = c.common_name.as_deref().is_some_and(|cn| {
        cn.parse::<std::net::IpAddr>().is_ok()
            || (cn.contains('.')
                && crate::target::server_name(cn).is_ok()
                && !cn.contains(char::is_whitespace))
    });
    !c.is_ca() || !c.dns_names.is_empty() || !c.ip_addresses.is_empty() || cn_is_host
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
    if serves_itself(c) {
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

/// The Prometheus textfile (text exposition format 0.0.4): expiry timestamps, days left,
/// counts. Each metric has one HELP and one TYPE line and each series appears once: a bundle
/// holding the same certificate twice (same path, subject and serial) gives one series, with
/// the earliest expiry of the duplicates.
pub(crate) fn metrics_text(r: &ScanReport, at: i64) -> String {
    use std::fmt::Write;
    // Series in first-seen order, keyed by their label set.
    let mut index: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(r.items.len());
    let mut series: Vec<(String, i64, i64)> = Vec::with_capacity(r.items.len());
    for i in &r.items {
        let labels = format!(
            "path=\"{}\",subject=\"{}\",serial=\"{}\"",
            label(&i.path),
            label(&i.subject),
            label(&i.serial)
        );
        match index.get(&labels) {
            Some(&k) => {
                let s = &mut series[k];
                if i.not_after < s.1 {
                    (s.1, s.2) = (i.not_after, i.days_left);
                }
            }
            None => {
                index.insert(labels.clone(), series.len());
                series.push((labels, i.not_after, i.days_left));
            }
        }
    }
    let mut out = String::with_capacity(64 + series.len() * 256);
    out.push_str("# HELP certctl_certificate_expiry_timestamp_seconds Certificate not-after as a Unix timestamp.\n");
    out.push_str("# TYPE certctl_certificate_expiry_timestamp_seconds gauge\n");
    for (labels, not_after, _) in &series {
        let _ = writeln!(
            out,
            "certctl_certificate_expiry_timestamp_seconds{{{labels}}} {not_after}"
        );
    }
    out.push_str("# HELP certctl_certificate_days_left Whole days until the certificate expires (negative: expired).\n");
    out.push_str("# TYPE certctl_certificate_days_left gauge\n");
    for (labels, _, days_left) in &series {
        let _ = writeln!(out, "certctl_certificate_days_left{{{labels}}} {days_left}");
    }
    out.push_str("# HELP certctl_scan_certificates Certificates found by the last scan.\n# TYPE certctl_scan_certificates gauge\n");
    let _ = writeln!(out, "certctl_scan_certificates {}", r.certificates);
    out.push_str("# HELP certctl_scan_problems Files the last scan could not look at (unreadable, too large) or could not parse.\n# TYPE certctl_scan_problems gauge\n");
    let _ = writeln!(out, "certctl_scan_problems {}", r.problems.len());
    out.push_str("# HELP certctl_scan_timestamp_seconds When the last scan evaluated expiry.\n# TYPE certctl_scan_timestamp_seconds gauge\n");
    let _ = writeln!(out, "certctl_scan_timestamp_seconds {at}");
    out
}
