//! `certctl rotate`: renew on-prem sets when due, swap atomically, deploy, verify, roll back.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::certset::{self, CertSet};
use crate::jobs::onprem::{self, CertSummary};
use crate::keys::{self, KeyAlg};
use crate::mint::{self, LeafSpec};
use crate::policy::rotate::{RotateConfig, RotateConfigError, SetConfig};
use crate::progress::Progress;
use crate::x509::CertInfo;

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Config(#[from] RotateConfigError),
}

impl crate::jobs::JobError for RotateError {
    fn exit_code(&self) -> u8 {
        match self {
            RotateError::Config(RotateConfigError::Read { source, .. })
                if source.kind() != std::io::ErrorKind::NotFound =>
            {
                3
            }
            RotateError::Config(_) => 2,
        }
    }

    fn hint(&self) -> Option<String> {
        Some("policies/onprem.toml documents every key".into())
    }
}

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RotateRequest {
    pub config: PathBuf,
    pub force: bool,
    pub dry_run: bool,
    pub only: Vec<String>,
    pub at: i64,
}

/// What happened to one set.
#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub name: String,
    pub out_dir: String,
    /// `renewed`, `unchanged`, `would-renew` (dry run) or `failed`.
    pub action: &'static str,
    /// Why it was (or would be) renewed: `missing`, `expired`, `renew-window`, `names-changed`,
    /// `key-type-changed`, `key-mismatch`, `issuer-changed`, `interrupted-deploy` (a previous
    /// run died between the switch and a successful deploy hook), `forced`.
    pub reasons: Vec<&'static str>,
    pub old: Option<CertSummary>,
    pub new: Option<CertSummary>,
    /// When a renewal is next due (unchanged sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<HookReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    pub rolled_back: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// A dry run's plan, step by step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HookReport {
    pub command: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub timed_out: bool,
    /// The last lines the hook printed (stdout and stderr).
    pub output: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RotateReport {
    pub schema_version: u32,
    pub config: String,
    pub at: String,
    pub dry_run: bool,
    pub sets: Vec<SetReport>,
}

impl RotateReport {
    /// 0 when every set is renewed or unchanged (and not expired), else 1.
    pub fn exit_code(&self) -> u8 {
        let bad = self.sets.iter().any(|s| {
            s.action == "failed"
                || (s.action != "renewed" && s.old.as_ref().is_some_and(|o| o.days_left < 0))
        });
        u8::from(bad)
    }
}

/// Rotates every set (or the `only` ones) in turn; waits (lock, hook, verify) report to
/// `progress`.
pub fn run(req: &RotateRequest, progress: &dyn Progress) -> Result<RotateReport, RotateError> {
    let config = RotateConfig::load(&req.config)?;
    let sets = config
        .sets
        .iter()
        .filter(|s| req.only.is_empty() || req.only.contains(&s.name))
        .map(|s| rotate_set(s, &config, req, progress))
        .collect();
    Ok(RotateReport {
        schema_version: 1,
        config: req.config.display().to_string(),
        at: crate::x509::rfc3339(req.at),
        dry_run: req.dry_run,
        sets,
    })
}

fn blank(cfg: &SetConfig) -> SetReport {
    SetReport {
        name: cfg.name.clone(),
        out_dir: cfg.out_dir.display().to_string(),
        action: "unchanged",
        reasons: Vec::new(),
        old: None,
        new: None,
        renew_at: None,
        hook: None,
        verified: None,
        rolled_back: false,
        error: None,
        warnings: Vec::new(),
        plan: Vec::new(),
    }
}

/// The certificate on disk and whether its key fits.
struct OnDisk {
    cert: CertInfo,
    key_fits: bool,
}

fn read_current(set: &CertSet) -> Result<Option<OnDisk>, String> {
    let (Some(cert_bytes), key_bytes) = (
        set.read("cert.pem").map_err(|e| e.to_string())?,
        set.read("key.pem").map_err(|e| e.to_string())?,
    ) else {
        return Ok(None);
    };
    let cert = crate::pem::decode_certificates(&cert_bytes)
        .ok()
        .and_then(|d| d.first().and_then(|c| CertInfo::parse(c).ok()));
    let Some(cert) = cert else {
        return Ok(None);
    };
    let key_fits = key_bytes
        .and_then(|k| keys::load_pem(&k).ok())
        .is_some_and(|k| keys::matches(&k, &cert));
    Ok(Some(OnDisk { cert, key_fits }))
}

/// Why a set needs renewing now (empty: it does not).
fn reasons(
    cfg: &SetConfig,
    cur: Option<&OnDisk>,
    ca: Option<&CertInfo>,
    force: bool,
    at: i64,
) -> (Vec<&'static str>, Option<i64>) {
    let mut why = Vec::new();
    let Some(cur) = cur else {
        return (vec!["missing"], None);
    };
    let c = &cur.cert;
    let lifetime = c.not_after - c.not_before;
    let renew_at = c.not_after - cfg.renew_before.seconds(lifetime);
    if c.not_after <= at {
        why.push("expired");
    } else if at >= renew_at {
        why.push("renew-window");
    }
    let mut want: Vec<String> = cfg.dns.clone();
    want.sort();
    let mut have: Vec<String> = c.dns_names.iter().map(|d| d.to_ascii_lowercase()).collect();
    have.sort();
    let mut want_ip = cfg.ip.clone();
    want_ip.sort();
    let mut have_ip = c.ip_addresses.clone();
    have_ip.sort();
    if want != have || want_ip != have_ip {
        why.push("names-changed");
    }
    if KeyAlg::of_cert(c) != Some(cfg.key) {
        why.push("key-type-changed");
    }
    if !cur.key_fits {
        why.push("key-mismatch");
    }
    let issuer_ok = match ca {
        Some(ca) => c.issued_by(ca) && !c.is_self_issued(),
        None => c.is_self_issued(),
    };
    if !issuer_ok {
        why.push("issuer-changed");
    }
    if force {
        why.push("forced");
    }
    (why, Some(renew_at))
}

fn rotate_set(
    cfg: &SetConfig,
    config: &RotateConfig,
    req: &RotateRequest,
    progress: &dyn Progress,
) -> SetReport {
    let mut rep = blank(cfg);
    match rotate_inner(cfg, config, req, &mut rep, progress) {
        Ok(()) => {}
        Err(e) => {
            rep.action = "failed";
            rep.error = Some(e);
        }
    }
    rep
}

fn rotate_inner(
    cfg: &SetConfig,
    config: &RotateConfig,
    req: &RotateRequest,
    rep: &mut SetReport,
    progress: &dyn Progress,
) -> Result<(), String> {
    let at = req.at;
    let ca = cfg
        .ca_dir
        .as_deref()
        .map(onprem::load_ca)
        .transpose()
        .map_err(|e| e.to_string())?;
    let set = CertSet::open(&cfg.out_dir, !req.dry_run).map_err(|e| e.to_string())?;
    let _lock = if req.dry_run {
        None
    } else {
        progress.begin(&format!(
            "{}: waiting for the lock on {}",
            cfg.name,
            cfg.out_dir.display()
        ));
        let lock = set.lock(config.lock_timeout);
        progress.end(if lock.is_ok() { "locked" } else { "gave up" });
        Some(lock.map_err(|e| e.to_string())?)
    };
    // Read under the lock: a rotation that waited sees what the other one wrote.
    let cur = read_current(&set)?;
    rep.old = cur.as_ref().map(|c| CertSummary::of(&c.cert, at));
    let (why, renew_at) = reasons(
        cfg,
        cur.as_ref(),
        ca.as_ref().map(|c| &c.cert),
        req.force,
        at,
    );
    rep.renew_at = renew_at.map(crate::x509::rfc3339);
    rep.reasons = why.clone();
    if why.is_empty() {
        return Ok(());
    }
    if req.dry_run {
        rep.action = "would-renew";
        rep.plan = plan(cfg);
        return Ok(());
    }
    let password = if cfg.formats.contains(&crate::policy::rotate::Format::Pkcs12) {
        Some(onprem::p12_password(cfg.p12_password_file.as_deref()).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let spec = LeafSpec {
        dns: cfg.dns.clone(),
        ips: cfg.ip.clone(),
        key: cfg.key,
        days: cfg.days,
        at,
    };
    let minted = mint::leaf(&spec, ca.as_ref()).map_err(|e| e.to_string())?;
    rep.warnings.extend(minted.warnings.iter().cloned());
    let files =
        onprem::set_files(&minted, &cfg.formats, password.as_deref()).map_err(|e| e.to_string())?;
    let file_names: Vec<&'static str> = files.iter().map(|f| f.name).collect();
    set.install(&certset::version_id(at, &minted.cert), &files)
        .map_err(|e| e.to_string())?;
    rep.new = Some(CertSummary::of(&minted.cert, at));
    rep.action = "renewed";

    let env = hook_env(cfg, &set, &file_names, &minted.cert, "deploy");
    if let Some(hook) = &cfg.deploy_hook {
        let h = run_hook(hook, &env, cfg.hook_timeout, &cfg.name, "deploy", progress);
        let ok = h.exit_code == Some(0);
        rep.hook = Some(h);
        if !ok {
            roll_back(cfg, &set, &file_names, cur.as_ref(), rep, progress);
            rep.error = Some(format!(
                "deploy hook failed ({}); the previous pair is back in place",
                rep.hook.as_ref().map(hook_status).unwrap_or_default()
            ));
            rep.action = "failed";
            return Ok(());
        }
    }
    if let Some(url) = &cfg.verify_url {
        progress.begin(&format!(
            "{}: waiting for {url} to serve the new certificate",
            cfg.name
        ));
        let served = verify_served(cfg, url, &minted.cert, progress);
        progress.end(if served.is_ok() {
            "served"
        } else {
            "not served"
        });
        match served {
            Ok(()) => rep.verified = Some(true),
            Err(e) => {
                rep.verified = Some(false);
                roll_back(cfg, &set, &file_names, cur.as_ref(), rep, progress);
                rep.error = Some(format!("{e}; the previous pair is back in place"));
                rep.action = "failed";
                return Ok(());
            }
        }
    }
    set.clear_pending().map_err(|e| e.to_string())?;
    if let Err(e) = set.prune(cfg.keep) {
        rep.warnings
            .push(format!("could not prune old versions: {e}"));
    }
    Ok(())
}

fn plan(cfg: &SetConfig) -> Vec<String> {
    let mut p = vec![
        format!(
            "issue a {} certificate for {} valid {} days",
            cfg.key,
            names_of(cfg),
            cfg.days
        ),
        format!(
            "write it to {}/.sets/<new> and switch {}/.current to it",
            cfg.out_dir.display(),
            cfg.out_dir.display()
        ),
    ];
    if let Some(h) = &cfg.deploy_hook {
        p.push(format!("run the deploy hook: {h}"));
    }
    if let Some(u) = &cfg.verify_url {
        p.push(format!("verify {u} serves the new certificate"));
    }
    p
}

fn names_of(cfg: &SetConfig) -> String {
    cfg.dns
        .iter()
        .cloned()
        .chain(cfg.ip.iter().map(|i| i.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn roll_back(
    cfg: &SetConfig,
    set: &CertSet,
    files: &[&'static str],
    previous: Option<&OnDisk>,
    rep: &mut SetReport,
    progress: &dyn Progress,
) {
    if previous.is_none() {
        // Nothing to go back to: the new pair stays (it is better than none) and the set fails.
        return;
    }
    match set.rollback() {
        Ok(_) => {
            rep.rolled_back = true;
            if let Err(e) = set.clear_pending() {
                rep.warnings
                    .push(format!("could not clear the deployment mark: {e}"));
            }
            if let (Some(hook), Some(prev)) = (&cfg.deploy_hook, previous) {
                let env = hook_env(cfg, set, files, &prev.cert, "rollback");
                let h = run_hook(
                    hook,
                    &env,
                    cfg.hook_timeout,
                    &cfg.name,
                    "rollback",
                    progress,
                );
                if h.exit_code != Some(0) {
                    rep.warnings.push(format!(
                        "the deploy hook failed again after the rollback ({})",
                        hook_status(&h)
                    ));
                }
            }
        }
        Err(e) => rep.warnings.push(format!("rollback failed: {e}")),
    }
}

fn hook_status(h: &HookReport) -> String {
    match (h.timed_out, h.exit_code) {
        (true, _) => format!("timed out after {} ms", h.duration_ms),
        (false, Some(c)) => format!("exit {c}"),
        (false, None) => "killed by a signal".into(),
    }
}

fn hook_env(
    cfg: &SetConfig,
    set: &CertSet,
    files: &[&'static str],
    cert: &CertInfo,
    action: &str,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("CERTCTL_NAME".to_string(), cfg.name.clone()),
        ("CERTCTL_ACTION".to_string(), action.to_string()),
        ("CERTCTL_OUT_DIR".to_string(), set.dir.display().to_string()),
        ("CERTCTL_FINGERPRINT".to_string(), cert.sha256.colon_hex()),
        (
            "CERTCTL_NOT_AFTER".to_string(),
            crate::x509::rfc3339(cert.not_after),
        ),
        ("CERTCTL_DOMAINS".to_string(), names_of(cfg)),
    ];
    for f in files {
        let var = match *f {
            "cert.pem" => "CERTCTL_CERT",
            "key.pem" => "CERTCTL_KEY",
            "chain.pem" => "CERTCTL_CHAIN",
            "fullchain.pem" => "CERTCTL_FULLCHAIN",
            "haproxy.pem" => "CERTCTL_HAPROXY",
            "cert.p12" => "CERTCTL_P12",
            _ => continue,
        };
        env.push((var.to_string(), set.path(f).display().to_string()));
    }
    env
}

/// Runs `sh -c HOOK` with the set's paths in the environment, killing it after `timeout`.
fn run_hook(
    hook: &str,
    env: &[(String, String)],
    timeout: Duration,
    set: &str,
    action: &str,
    progress: &dyn Progress,
) -> HookReport {
    progress.begin(&format!("{set}: running the deploy hook ({action})"));
    let report = run_hook_inner(hook, env, timeout);
    progress.end(&hook_status(&report));
    report
}

fn run_hook_inner(hook: &str, env: &[(String, String)], timeout: Duration) -> HookReport {
    let start = Instant::now();
    let out_file = tempfile_for_output();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(hook).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    match &out_file {
        Some((f, _)) => {
            let (a, b) = (f.try_clone(), f.try_clone());
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    cmd.stdout(a).stderr(b);
                }
                _ => {
                    cmd.stdout(Stdio::null()).stderr(Stdio::null());
                }
            }
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let mut report = HookReport {
        command: hook.to_string(),
        exit_code: None,
        duration_ms: 0,
        timed_out: false,
        output: String::new(),
    };
    match cmd.spawn() {
        Err(e) => report.output = format!("cannot start sh: {e}"),
        Ok(mut child) => loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    report.exit_code = status.code();
                    break;
                }
                Ok(None) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    report.timed_out = true;
                    break;
                }
                Err(e) => {
                    report.output = format!("cannot wait for the hook: {e}");
                    break;
                }
            }
        },
    }
    report.duration_ms = start.elapsed().as_millis() as u64;
    if let Some((_, path)) = out_file {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(20)..];
            report.output = tail.join("\n");
        }
        let _ = std::fs::remove_file(path);
    }
    report
}

fn tempfile_for_output() -> Option<(std::fs::File, PathBuf)> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("certctl-hook-{}-{n}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .ok()
        .map(|f| (f, path))
}

/// Fetches the served chain (the same code as `check https://…`) until it shows `cert` on
/// three connections in a row (a graceful reload lets old workers answer for a moment).
fn verify_served(
    cfg: &SetConfig,
    url: &str,
    cert: &CertInfo,
    progress: &dyn Progress,
) -> Result<(), String> {
    let crate::jobs::input::Target::Url { host, port } =
        crate::jobs::input::parse_target(url).map_err(|e| e.to_string())?
    else {
        return Err(format!("verify-url {url} is not https://"));
    };
    let hostname = cfg
        .verify_hostname
        .clone()
        .or_else(|| cfg.dns.first().cloned());
    let deadline = Instant::now() + cfg.verify_timeout;
    let mut streak = 0;
    loop {
        let last = match crate::jobs::input::fetch(
            &host,
            port,
            hostname.as_deref(),
            cfg.verify_connect_to.as_deref(),
            // At most 5 s per attempt, and never past verify-timeout (the lock is held).
            deadline
                .saturating_duration_since(Instant::now())
                .as_secs_f64()
                .clamp(0.05, 5.0),
        ) {
            Ok(remote) => match remote.certs.first() {
                Some(c) if c.sha256 == cert.sha256 => {
                    streak += 1;
                    if streak == 3 {
                        return Ok(());
                    }
                    continue;
                }
                Some(c) => format!(
                    "{url} still serves {} (expected {})",
                    c.sha256.short(),
                    cert.sha256.short()
                ),
                None => format!("{url} sent no certificate"),
            },
            Err(e) => format!("cannot verify {url}: {e}"),
        };
        streak = 0;
        progress.update(&last);
        if Instant::now() >= deadline {
            return Err(last);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
