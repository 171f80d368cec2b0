//! `certctl rotate`: renew on-prem sets when due, swap atomically, deploy, verify, roll back.

use std::cell::Cell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::certset::{self, CertSet};
use crate::exit::ExitStatus;
use crate::jobs::onprem::{self, hook, CertSummary};
use crate::keys::{self, KeyAlg};
use crate::mint::{self, ClientSpec, LeafSpec};
use crate::progress::Progress;
use crate::rotation::{RotateConfig, RotateConfigError, SetConfig, SetKind};

use super::reimport::{self, AcmLink, Reimport, SetAcm};
use crate::x509::CertInfo;

#[derive(Debug, thiserror::Error)]
pub(crate) enum RotateError {
    #[error(transparent)]
    Config(#[from] RotateConfigError),
    #[error("--only {name}: the config has no set of that name (sets: {known})")]
    UnknownSet { name: String, known: String },
    #[error("set \"{name}\": a certificate valid {days} days from {at} would end after 9999-12-31, which X.509 cannot encode")]
    TimeRange { name: String, days: u32, at: String },
    #[error("--at {at} is after the real clock ({now}): a certificate made then would not be valid yet, and rotate writes and deploys what it makes")]
    FutureAt { at: String, now: String },
}

impl crate::jobs::JobError for RotateError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            // Not UTF-8 (InvalidData) is bad input like bad TOML; other read errors are I/O.
            RotateError::Config(RotateConfigError::Read { source, .. })
                if !matches!(
                    source.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData
                ) =>
            {
                ExitStatus::Operational
            }
            RotateError::Config(RotateConfigError::Input(e)) => e.exit_code(),
            RotateError::Config(_)
            | RotateError::UnknownSet { .. }
            | RotateError::TimeRange { .. }
            | RotateError::FutureAt { .. } => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            RotateError::TimeRange { .. } => Some("use an earlier --at or fewer days".into()),
            RotateError::Config(RotateConfigError::Input(e)) if e.hint().is_some() => e.hint(),
            RotateError::FutureAt { .. } => Some(
                "add --dry-run to evaluate the sets at a future instant without writing anything"
                    .into(),
            ),
            _ => Some(
                "`certctl rotate --example-config` prints a config that documents every key".into(),
            ),
        }
    }

    fn problems(&self) -> Vec<String> {
        match self {
            RotateError::Config(RotateConfigError::Invalid { issues, .. }) => {
                crate::policy::issue_lines(issues)
            }
            _ => Vec::new(),
        }
    }
}

/// Options of one run.
#[derive(Debug, Clone)]
pub(crate) struct RotateRequest {
    pub(crate) config: PathBuf,
    pub(crate) force: bool,
    pub(crate) dry_run: bool,
    pub(crate) only: Vec<String>,
    /// The instant the sets are evaluated (and new certificates made) at: `--at`, else `now`.
    pub(crate) at: i64,
    /// The real clock, read once by `main`: what a certificate written and deployed must
    /// already be valid at.
    pub(crate) now: i64,
}

/// What happened to one set.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SetReport {
    pub(crate) name: String,
    pub(crate) out_dir: String,
    /// `renewed`, `redeployed` (an interrupted deploy of the pair in place was finished: hook
    /// and verification ran again, nothing re-issued), `unchanged`, `would-renew` (dry run),
    /// `failed`, `interrupted` (certctl got SIGTERM, SIGINT or SIGHUP while the hook ran: the
    /// hook's group was stopped, the pair stays marked for the next run to deploy) or
    /// `skipped` (not attempted after an interruption).
    pub(crate) action: &'static str,
    /// Why it was (or would be) renewed: `missing`, `expired`, `not-yet-valid` (the
    /// certificate in place starts after the instant evaluated), `renew-window`, `names-changed`,
    /// `key-type-changed`, `key-mismatch`, `issuer-changed`, `formats-changed` (a wanted file
    /// such as haproxy.pem or cert.p12 is not in place), `interrupted-deploy` (a previous run
    /// died between the switch and a successful deploy hook and verification), `acm-differs`
    /// (ACM holds another certificate at the set's `acm-arn`: the pair in place is re-imported,
    /// nothing re-issued), `forced`.
    pub(crate) reasons: Vec<&'static str>,
    pub(crate) old: Option<CertSummary>,
    pub(crate) new: Option<CertSummary>,
    /// Client sets with `acm-arn`: what ACM held and what was done there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) acm: Option<SetAcm>,
    /// When a renewal is next due (unchanged sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) renew_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hook: Option<HookReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) verified: Option<bool>,
    pub(crate) rolled_back: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    pub(crate) warnings: Vec<String>,
    /// A dry run's plan, step by step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) plan: Vec<String>,
    /// The exit code this set asks for: 0 fine, 1 a failed hook or verification (or expired),
    /// 2 bad input (CA, names, times), 3 I/O.
    #[serde(skip)]
    pub(crate) exit: ExitStatus,
}

pub(crate) use super::hook::HookReport;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RotateReport {
    pub(crate) schema_version: u32,
    pub(crate) config: String,
    pub(crate) at: String,
    pub(crate) dry_run: bool,
    pub(crate) sets: Vec<SetReport>,
}

impl RotateReport {
    /// 0 when every set is renewed, redeployed or unchanged (and not expired); else the worst
    /// of its sets: 3 when one failed on I/O, 2 on bad input, 1 for a failed hook or
    /// verification or an expired certificate left in place.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        self.sets
            .iter()
            .map(SetReport::exit_code)
            .max()
            .unwrap_or(ExitStatus::Ok)
    }
}

impl SetReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        if self.action == "failed" {
            return self.exit.max(ExitStatus::CheckFailed);
        }
        if self.action == "interrupted" || self.action == "skipped" {
            return ExitStatus::Operational;
        }
        let expired = self.action != "renewed"
            && self.action != "redeployed"
            && self.old.as_ref().is_some_and(|o| o.days_left < 0);
        ExitStatus::check_failed_if(expired)
    }
}

/// Why a set failed, and the exit code that asks for.
struct SetFail {
    message: String,
    code: ExitStatus,
}

impl From<certset::SetError> for SetFail {
    fn from(e: certset::SetError) -> SetFail {
        let message = match e.hint() {
            Some(hint) => format!("{e}; {hint}"),
            None => e.to_string(),
        };
        SetFail {
            code: e.exit_code(),
            message,
        }
    }
}

impl From<onprem::OnpremError> for SetFail {
    fn from(e: onprem::OnpremError) -> SetFail {
        match e {
            onprem::OnpremError::CaDir(set) => set.into(),
            e => SetFail {
                code: ExitStatus::BadInput,
                message: e.to_string(),
            },
        }
    }
}

impl From<reimport::Failed> for SetFail {
    fn from(e: reimport::Failed) -> SetFail {
        SetFail {
            message: e.message,
            code: e.code,
        }
    }
}

impl From<mint::MintError> for SetFail {
    fn from(e: mint::MintError) -> SetFail {
        SetFail {
            code: ExitStatus::BadInput,
            message: e.to_string(),
        }
    }
}

/// Rotates every set (or the `only` ones) in turn; waits (lock, hook, verify) report to
/// `progress`; `acm` is asked for its client only by a set with `acm-arn`.
pub(crate) fn run(
    req: &RotateRequest,
    progress: &dyn Progress,
    acm: &AcmLink<'_>,
) -> Result<RotateReport, RotateError> {
    let config = RotateConfig::load(&req.config)?;
    for name in &req.only {
        if !config.sets.iter().any(|s| &s.name == name) {
            return Err(RotateError::UnknownSet {
                name: name.clone(),
                known: config
                    .sets
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    // Every set's new certificate must be encodable, checked before anything is touched.
    for s in &config.sets {
        if !mint::validity_encodable(req.at, s.days) {
            return Err(RotateError::TimeRange {
                name: s.name.clone(),
                days: s.days,
                at: crate::x509::rfc3339(req.at),
            });
        }
    }
    // A future --at evaluates; it never writes a certificate that is not valid yet (a later
    // plain run would find it "unchanged" and the server would serve it too early).
    if !req.dry_run && mint::not_before(req.at) > req.now {
        return Err(RotateError::FutureAt {
            at: crate::x509::rfc3339(req.at),
            now: crate::x509::rfc3339(req.now),
        });
    }
    let mut sets = Vec::new();
    for s in config
        .sets
        .iter()
        .filter(|s| req.only.is_empty() || req.only.contains(&s.name))
    {
        if hook::interrupted().is_some() {
            // certctl was told to stop during a hook: the other sets wait for the next run.
            let mut rep = blank(s);
            rep.action = "skipped";
            rep.error = Some(
                "not attempted: certctl was interrupted during an earlier set's deploy hook".into(),
            );
            rep.exit = ExitStatus::Operational;
            sets.push(rep);
            continue;
        }
        sets.push(rotate_set(s, &config, req, progress, acm));
    }
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
        acm: None,
        renew_at: None,
        hook: None,
        verified: None,
        rolled_back: false,
        error: None,
        warnings: Vec::new(),
        plan: Vec::new(),
        exit: ExitStatus::Ok,
    }
}

/// The certificate on disk and whether its key fits.
struct OnDisk {
    cert: CertInfo,
    key_fits: bool,
}

fn read_current(set: &CertSet) -> Result<Option<OnDisk>, SetFail> {
    let (Some(cert_bytes), key_bytes) = (set.read("cert.pem")?, set.read("key.pem")?) else {
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
    } else if c.not_before > at {
        // Made for a later instant (an `issue onprem --at` in the future, a clock that was
        // wrong): not valid now, so not kept.
        why.push("not-yet-valid");
    } else if at >= renew_at {
        why.push("renew-window");
    }
    let cn_changed = cfg.kind == SetKind::Client && c.common_name.as_deref() != cfg.cn.as_deref();
    let mut want: Vec<String> = cfg.dns.clone();
    want.sort();
    let mut have: Vec<String> = c.dns_names.iter().map(|d| d.to_ascii_lowercase()).collect();
    have.sort();
    let mut want_ip = cfg.ip.clone();
    want_ip.sort();
    let mut have_ip = c.ip_addresses.clone();
    have_ip.sort();
    if want != have || want_ip != have_ip || cn_changed {
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
    acm: &AcmLink<'_>,
) -> SetReport {
    let mut rep = blank(cfg);
    if let Err(e) = rotate_inner(cfg, config, req, &mut rep, progress, acm) {
        rep.action = "failed";
        rep.error = Some(e.message);
        rep.exit = e.code;
    }
    rep
}

/// A dry run of a set whose directory does not exist yet: everything is still to do.
fn plan_missing(cfg: &SetConfig, rep: &mut SetReport) {
    rep.action = "would-renew";
    rep.reasons = vec!["missing"];
    rep.plan = plan(cfg);
}

fn rotate_inner(
    cfg: &SetConfig,
    config: &RotateConfig,
    req: &RotateRequest,
    rep: &mut SetReport,
    progress: &dyn Progress,
    link: &AcmLink<'_>,
) -> Result<(), SetFail> {
    let at = req.at;
    let ca = cfg.ca_dir.as_deref().map(onprem::load_ca).transpose()?;
    // What ACM holds is read (and the key type checked) before anything is minted or written.
    if let Some(arn) = &cfg.acm_arn {
        rep.acm = Some(reimport::held(link, cfg, arn)?);
    }
    if req.dry_run
        && std::fs::symlink_metadata(&cfg.out_dir)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        plan_missing(cfg, rep);
        return Ok(());
    }
    let set = CertSet::open(&cfg.out_dir, !req.dry_run)?;
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
        Some(lock?)
    };
    // Read under the lock: a rotation that waited sees what the other one wrote, including
    // the mark of a deploy it interrupted.
    let cur = read_current(&set)?;
    let interrupted = set.pending();
    rep.old = cur.as_ref().map(|c| CertSummary::of(&c.cert, at));
    let (mut why, renew_at) = reasons(
        cfg,
        cur.as_ref(),
        ca.as_ref().map(|c| &c.cert),
        req.force,
        at,
    );
    if cur.is_some() && missing_format_files(cfg, &set)? {
        why.push("formats-changed");
    }
    if interrupted {
        why.push("interrupted-deploy");
    }
    if let (true, Some(cur), Some(held)) = (why.is_empty(), &cur, &rep.acm) {
        if held.held_sha256.as_deref() != Some(cur.cert.sha256.colon_hex().as_str()) {
            why.push("acm-differs");
        }
    }
    rep.renew_at = renew_at.map(crate::x509::rfc3339);
    rep.reasons = why.clone();
    if why.is_empty() {
        return Ok(());
    }
    let redeploy_only = cur.is_some() && (why == ["interrupted-deploy"] || why == ["acm-differs"]);
    if req.dry_run {
        rep.action = "would-renew";
        rep.plan = plan(cfg);
        if let Some(a) = rep.acm.as_mut() {
            a.action = Some("would-reimport");
        }
        if redeploy_only {
            // Nothing to issue: only the deploy of the pair in place is to be finished.
            rep.plan.drain(..2);
            if why == ["acm-differs"] {
                rep.plan.truncate(1);
            } else {
                rep.plan.push(
                    "mark the pair in place as deployed (finish the interrupted deploy)".into(),
                );
            }
        }
        return Ok(());
    }
    let mut secrets = secrets_of(cfg, ca.as_ref());
    // The key in place (and the certificates beside it) as the hook may print them.
    for f in ["key.pem", "fullchain.pem", "chain.pem"] {
        if let Some(b) = set.read(f)? {
            secrets.add_pem(&b);
        }
    }
    let hk = HookCtx {
        cwd: &config.dir,
        secrets,
        acm: match &cfg.acm_arn {
            Some(arn) => Some(Reimport {
                client: link.client()?,
                arn,
                at,
                changed: Cell::new(false),
            }),
            None => None,
        },
        hook_ran: Cell::new(false),
    };
    if let (true, Some(cur)) = (redeploy_only, &cur) {
        if why == ["acm-differs"] {
            // The pair in place is fine and deployed: only ACM is behind. Nothing is rolled
            // back on failure (nothing was switched); the next run tries again.
            rep.new = rep.old.clone();
            rep.action = "redeployed";
            return Ok(reimport_step(&hk, &set, rep)?);
        }
        // Only the deploy was interrupted and the pair in place is fine: deploy it again.
        let files: Vec<&'static str> = certset::FILES
            .iter()
            .copied()
            .filter(|f| matches!(set.read(f), Ok(Some(_))))
            .collect();
        rep.new = rep.old.clone();
        rep.action = "redeployed";
        // On failure, go back to the version before (as the interrupted run would have).
        return deploy(cfg, &set, &files, &cur.cert, Some(cur), &hk, rep, progress);
    }
    renew(cfg, &set, ca.as_ref(), cur.as_ref(), hk, at, rep, progress)
}

/// Mints the set's new pair, installs it (marked pending) and deploys it.
#[allow(clippy::too_many_arguments)]
fn renew(
    cfg: &SetConfig,
    set: &CertSet,
    ca: Option<&mint::Ca>,
    cur: Option<&OnDisk>,
    mut hk: HookCtx<'_>,
    at: i64,
    rep: &mut SetReport,
    progress: &dyn Progress,
) -> Result<(), SetFail> {
    let password = if cfg.formats.contains(&crate::rotation::Format::Pkcs12) {
        Some(onprem::p12_password(cfg.p12_password_file.as_deref())?)
    } else {
        None
    };
    let minted = match (cfg.kind, ca) {
        (SetKind::Client, Some(ca)) => mint::client_leaf(
            &ClientSpec {
                cn: cfg.cn.clone().unwrap_or_default(),
                dns: cfg.dns.clone(),
                key: cfg.key,
                days: cfg.days,
                at,
            },
            ca,
        )?,
        (SetKind::Client, None) => {
            return Err(mint::MintError::Build("a client certificate needs a CA".into()).into())
        }
        (SetKind::Server, ca) => mint::leaf(
            &LeafSpec {
                dns: cfg.dns.clone(),
                ips: cfg.ip.clone(),
                key: cfg.key,
                days: cfg.days,
                at,
            },
            ca,
        )?,
    };
    rep.warnings.extend(minted.warnings.iter().cloned());
    let files =
        onprem::set_files_with(&minted, &cfg.formats, password.as_deref(), cfg.include_root)?;
    for f in files.iter().filter(|f| f.name.ends_with(".pem")) {
        hk.secrets.add_pem(&f.bytes);
    }
    let file_names: Vec<&'static str> = files.iter().map(|f| f.name).collect();
    let id = certset::version_id(at, &minted.cert);
    // The mark is durable before the switch and goes only once hook and verification have
    // succeeded: a run killed in between leaves it, and the next run deploys again.
    set.mark_pending(&id)?;
    set.install(&id, &files)?;
    rep.new = Some(CertSummary::of(&minted.cert, at));
    rep.action = "renewed";
    deploy(cfg, set, &file_names, &minted.cert, cur, &hk, rep, progress)
}

/// Re-imports the pair in place to the set's ARN (when it has one), recording what was done.
fn reimport_step(
    hk: &HookCtx<'_>,
    set: &CertSet,
    rep: &mut SetReport,
) -> Result<(), reimport::Failed> {
    let Some(r) = &hk.acm else { return Ok(()) };
    let done = reimport::reimport(r, set);
    if let Some(a) = rep.acm.as_mut() {
        a.action = Some(match &done {
            Ok(action) => action,
            Err(_) => "failed",
        });
    }
    done.map(|_| ())
}

/// What every deploy step of one set shares: where its hook runs, what the hook's output must
/// not show, where the pair is re-imported, and whether the hook ran for the new pair.
struct HookCtx<'a> {
    /// The config's folder.
    cwd: &'a Path,
    secrets: hook::Secrets,
    acm: Option<Reimport<'a>>,
    hook_ran: Cell<bool>,
}

/// Whether a file the config's formats want (haproxy.pem, cert.p12) is not in place.
fn missing_format_files(cfg: &SetConfig, set: &CertSet) -> Result<bool, SetFail> {
    use crate::rotation::Format;
    for (format, file) in [
        (Format::Haproxy, "haproxy.pem"),
        (Format::Pkcs12, "cert.p12"),
    ] {
        if cfg.formats.contains(&format) && set.read(file)?.is_none() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What must never appear in a hook's captured output: the values of certctl's secret-looking
/// variables, the set's PKCS#12 password and the CA's key (the keys of the set are added by
/// the caller).
fn secrets_of(cfg: &SetConfig, ca: Option<&mint::Ca>) -> hook::Secrets {
    let mut s = hook::Secrets::default();
    for v in hook::secret_env_values() {
        s.add_value(&v);
    }
    if let Some(f) = &cfg.p12_password_file {
        if let Ok(pw) = onprem::p12_password(Some(f)) {
            s.add_value(pw.as_bytes());
        }
    }
    if let Some(ca) = ca {
        s.add_pem(keys::to_pem(&ca.key).as_bytes());
        s.add_pem(crate::pem::encode_certificate(&ca.cert.der).as_bytes());
    }
    s
}

/// Runs the deploy hook and the verification for the pair in place (`cert`); clears the
/// pending mark when both succeed, else rolls back (when there is something to go back to)
/// and says exactly what is in place.
#[allow(clippy::too_many_arguments)]
fn deploy(
    cfg: &SetConfig,
    set: &CertSet,
    files: &[&'static str],
    cert: &CertInfo,
    previous: Option<&OnDisk>,
    hk: &HookCtx<'_>,
    rep: &mut SetReport,
    progress: &dyn Progress,
) -> Result<(), SetFail> {
    // The re-import to ACM comes first: API Gateway picks it up without a redeploy, and a
    // refused or failed one rolls the set back before any hook deployed the new pair.
    if let Err(e) = reimport_step(hk, set, rep) {
        fail_and_roll_back(
            cfg, set, files, cert, previous, hk, e.message, rep, progress,
        );
        rep.exit = rep.exit.max(e.code);
        return Ok(());
    }
    if let Some(hook) = &cfg.deploy_hook {
        let env = hook_env(cfg, set, files, cert, "deploy")?;
        hk.hook_ran.set(true);
        let h = run_hook(cfg, hook, &env, hk, "deploy", progress);
        let ok = h.ok();
        let status = h.status();
        let interrupted = h.interrupted.is_some();
        rep.hook = Some(h);
        if interrupted {
            interrupted_deploy(cert, status, rep);
            return Ok(());
        }
        if !ok {
            let what = format!("deploy hook failed ({status})");
            fail_and_roll_back(cfg, set, files, cert, previous, hk, what, rep, progress);
            return Ok(());
        }
    }
    if let Some(url) = &cfg.verify_url {
        progress.begin(&format!(
            "{}: waiting for {url} to serve the new certificate",
            cfg.name
        ));
        let served = verify_served(cfg, url, cert, progress);
        progress.end(if served.is_ok() {
            "served"
        } else {
            "not served"
        });
        match served {
            Ok(()) => rep.verified = Some(true),
            Err(e) => {
                rep.verified = Some(false);
                fail_and_roll_back(cfg, set, files, cert, previous, hk, e, rep, progress);
                return Ok(());
            }
        }
    }
    set.clear_pending()?;
    if let Err(e) = set.prune(cfg.keep) {
        rep.warnings
            .push(format!("could not prune old versions: {e}"));
    }
    Ok(())
}

/// certctl was told to stop while the hook deployed `cert`: the hook's group is gone, nothing
/// is rolled back (that would run the hook again), and the pending mark stays, so the next run
/// deploys the pair in place again (`interrupted-deploy`).
fn interrupted_deploy(cert: &CertInfo, status: String, rep: &mut SetReport) {
    rep.action = "interrupted";
    rep.exit = ExitStatus::Operational;
    rep.error = Some(format!(
        "deploy hook {status}; certificate {} stays in place, marked as not deployed (the next run deploys it again)",
        cert.sha256.short()
    ));
}

/// The set failed its deploy (`what`): switch back to the previous version when there is one,
/// deploy that, and put in the report what is in place now.
#[allow(clippy::too_many_arguments)]
fn fail_and_roll_back(
    cfg: &SetConfig,
    set: &CertSet,
    files: &[&'static str],
    tried: &CertInfo,
    previous: Option<&OnDisk>,
    hk: &HookCtx<'_>,
    what: String,
    rep: &mut SetReport,
    progress: &dyn Progress,
) {
    rep.action = "failed";
    rep.exit = ExitStatus::CheckFailed;
    let tried_fp = tried.sha256.colon_hex();
    let stays = format!(
        "certificate {} stays in place but was not deployed (the next run deploys it again)",
        tried.sha256.short()
    );
    if previous.is_none() {
        // Nothing to go back to: the new pair stays (better than none); the mark stays too,
        // so the next run deploys it again.
        rep.error = Some(format!(
            "{what}; there is no previous pair to go back to: the new {stays}"
        ));
        return;
    }
    match set.rollback() {
        Ok(_) => {}
        Err(certset::SetError::NoPrevious { .. }) => {
            rep.error = Some(format!(
                "{what}; there is no previous version to go back to: {stays}"
            ));
            return;
        }
        Err(e) => {
            rep.warnings.push(format!("rollback failed: {e}"));
            rep.error = Some(format!("{what}; could not roll back: {stays}"));
            return;
        }
    }
    // Name what is in place from the disk itself, not from what was meant to be there.
    let now = match read_current(set) {
        Ok(Some(now)) => now,
        _ => {
            rep.error = Some(format!(
                "{what}; rolled back, but the pair in place cannot be read back"
            ));
            rep.rolled_back = true;
            return;
        }
    };
    if now.cert.sha256.colon_hex() == tried_fp {
        rep.error = Some(format!(
            "{what}; there is no other version to go back to: {stays}"
        ));
        return;
    }
    rep.rolled_back = true;
    let in_place = format!(
        "certificate {} (expires {})",
        now.cert.sha256.colon_hex(),
        crate::x509::rfc3339(now.cert.not_after)
    );
    let mut redeployed = true;
    if let Some(r) = hk.acm.as_ref().filter(|r| r.changed.get()) {
        // ACM took the pair that failed: give it the one in place again, so they agree.
        match reimport::reimport(r, set) {
            Ok(_) => {
                if let Some(a) = rep.acm.as_mut() {
                    a.action = Some("restored");
                }
            }
            Err(e) => {
                redeployed = false;
                rep.warnings.push(format!(
                    "ACM still holds the certificate that was rolled back: {} (the next run re-imports the pair in place)",
                    e.message
                ));
            }
        }
    }
    if let (Some(hook), true) = (&cfg.deploy_hook, hk.hook_ran.get()) {
        let env = match hook_env(cfg, set, files, &now.cert, "rollback") {
            Ok(env) => env,
            Err(e) => {
                rep.warnings.push(format!(
                    "the deploy hook was not run after the rollback: {}",
                    e.message
                ));
                rep.error = Some(format!(
                    "{what}; rolled back: {in_place} is in place again, but it was not deployed (the next run deploys it again)"
                ));
                return;
            }
        };
        let h = run_hook(cfg, hook, &env, hk, "rollback", progress);
        if let Some(sig) = &h.interrupted {
            rep.action = "interrupted";
            rep.exit = ExitStatus::Operational;
            rep.error = Some(format!(
                "{what}; rolled back: {in_place} is in place again, but certctl got {sig} while its deploy hook ran (the next run deploys it again)"
            ));
            return;
        }
        if !h.ok() {
            redeployed = false;
            rep.warnings.push(format!(
                "the deploy hook failed again after the rollback ({})",
                h.status()
            ));
        }
    }
    if redeployed {
        if let Err(e) = set.clear_pending() {
            rep.warnings
                .push(format!("could not clear the deployment mark: {e}"));
        }
        rep.error = Some(format!("{what}; rolled back: {in_place} is in place again"));
    } else {
        rep.error = Some(format!(
            "{what}; rolled back: {in_place} is in place again, but its deploy (hook or re-import) failed too (the next run deploys it again)"
        ));
    }
}

fn plan(cfg: &SetConfig) -> Vec<String> {
    let what = match cfg.kind {
        SetKind::Server => format!("a certificate for {}", names_of(cfg)),
        SetKind::Client => format!(
            "a client certificate for CN={}",
            cfg.cn.as_deref().unwrap_or_default()
        ),
    };
    let mut p = vec![
        format!("issue {what} ({} key, valid {} days)", cfg.key, cfg.days),
        format!(
            "write it to {}/.sets/<new> and switch {}/.current to it",
            cfg.out_dir.display(),
            cfg.out_dir.display()
        ),
    ];
    if let Some(arn) = &cfg.acm_arn {
        p.push(format!(
            "re-import it to {arn} (acm:ImportCertificate --certificate-arn)"
        ));
    }
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

/// `CERTCTL_DOMAINS` is set only up to this size: a single variable may not exceed 128 KiB
/// (Linux's MAX_ARG_STRLEN, where the hook cannot start at all), and the whole environment
/// shares the argument space. `CERTCTL_DOMAINS_FILE` always holds the whole list.
pub(crate) const DOMAINS_VAR_MAX: usize = 32 * 1024;

/// The names of `cert` (DNS names, then IP addresses), in the certificate's order.
fn cert_names(cert: &CertInfo) -> Vec<String> {
    cert.dns_names
        .iter()
        .cloned()
        .chain(cert.ip_addresses.iter().map(|i| i.to_string()))
        .collect()
}

/// The `CERTCTL_*` variables of one hook run; writes `.domains` (the names of `cert`, one a
/// line) through the set's directory handle first.
fn hook_env(
    cfg: &SetConfig,
    set: &CertSet,
    files: &[&'static str],
    cert: &CertInfo,
    action: &str,
) -> Result<Vec<(String, OsString)>, SetFail> {
    let names = cert_names(cert);
    let domains_file = set.write_domains(&names)?;
    let joined = names.join(", ");
    let mut env: Vec<(String, OsString)> = vec![
        ("CERTCTL_NAME".into(), cfg.name.clone().into()),
        ("CERTCTL_ACTION".into(), action.into()),
        ("CERTCTL_OUT_DIR".into(), set.dir.clone().into_os_string()),
        ("CERTCTL_FINGERPRINT".into(), cert.sha256.colon_hex().into()),
        (
            "CERTCTL_NOT_AFTER".into(),
            crate::x509::rfc3339(cert.not_after).into(),
        ),
        ("CERTCTL_DOMAINS_FILE".into(), domains_file.into_os_string()),
    ];
    if joined.len() <= DOMAINS_VAR_MAX {
        env.push(("CERTCTL_DOMAINS".into(), joined.into()));
    }
    if let Some(arn) = &cfg.acm_arn {
        env.push(("CERTCTL_ACM_ARN".into(), arn.into()));
    }
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
        env.push((var.to_string(), set.path(f).into_os_string()));
    }
    Ok(env)
}

/// Runs the set's hook (see [`hook::run`]), showing the wait.
fn run_hook(
    cfg: &SetConfig,
    hook: &str,
    env: &[(String, OsString)],
    hk: &HookCtx<'_>,
    action: &str,
    progress: &dyn Progress,
) -> HookReport {
    progress.begin(&format!("{}: running the deploy hook ({action})", cfg.name));
    let report = hook::run(&hook::HookSpec {
        command: hook,
        env,
        pass: &cfg.hook_env,
        cwd: hk.cwd,
        timeout: cfg.hook_timeout,
        grace: cfg.hook_grace,
        secrets: &hk.secrets,
    });
    progress.end(&report.status());
    report
}

/// Fetches the served chain (the same code as `check https://…`) until it shows `cert` on
/// three connections in a row (a graceful reload lets old workers answer for a moment).
fn verify_served(
    cfg: &SetConfig,
    url: &str,
    cert: &CertInfo,
    progress: &dyn Progress,
) -> Result<(), String> {
    let crate::target::Target::Url { host, port } =
        crate::target::parse_target(url).map_err(|e| e.to_string())?
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
        let last = match crate::target::fetch(
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
