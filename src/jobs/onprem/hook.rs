//! Runs a deploy hook: its own process group, a minimal environment (like sudo's env_reset and
//! cron) in the config's folder, output through a pipe (the last 64 KiB, private keys and
//! secrets redacted line by line), TERM then KILL to the whole group on timeout or when certctl
//! itself gets SIGTERM, SIGINT or SIGHUP.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// The most output kept from one hook run (the last bytes it printed).
pub(crate) const OUTPUT_WINDOW: usize = 64 * 1024;

/// How long output is still read after the hook's shell exited (a child it left in the
/// background may hold the pipe open for ever).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// What replaces a private-key block in the captured output.
pub(crate) const KEY_REDACTED: &str = "[private key redacted]";
/// What replaces a secret value in the captured output.
pub(crate) const SECRET_REDACTED: &str = "[secret redacted]";

/// The `PATH` every hook gets (sudo's `secure_path`, cron's default plus the sbin folders),
/// whatever certctl's own `PATH` is; `hook-env = ["PATH"]` passes certctl's instead.
pub(crate) const SAFE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Variables of certctl's environment every hook gets when they are set: nothing else is passed
/// on but what the config's `hook-env` lists (and the `CERTCTL_*` variables certctl sets).
pub(crate) const PASSED_VARS: &[&str] = &["HOME", "LANG", "LC_ALL", "TZ"];

/// The shortest value of a secret-looking variable that is redacted (shorter values, such as
/// `TOKEN_TTL=3600`, would redact ordinary words).
pub(crate) const MIN_SECRET_LEN: usize = 8;

/// Runs of at least this many bytes of a private key (its PEM text without line breaks, or its
/// DER) are redacted wherever they appear in a hook's output.
pub(crate) const KEY_RUN: usize = 16;

/// One hook run to make.
pub(crate) struct HookSpec<'a> {
    /// The shell command (`sh -c`).
    pub(crate) command: &'a str,
    /// Variables set for the hook (`CERTCTL_CERT`, ...), on top of [`base_env`].
    pub(crate) env: &'a [(String, OsString)],
    /// Names of certctl's own variables passed on too (the config's `hook-env`).
    pub(crate) pass: &'a [String],
    /// The hook's working directory (the config's folder).
    pub(crate) cwd: &'a Path,
    /// After this, the hook's process group gets SIGTERM.
    pub(crate) timeout: Duration,
    /// After SIGTERM, this long until SIGKILL.
    pub(crate) grace: Duration,
    /// What the output must not show.
    pub(crate) secrets: &'a Secrets,
}

/// What a hook's output must never show.
#[derive(Debug, Default, Clone)]
pub(crate) struct Secrets {
    /// Values redacted wherever they appear (passwords, secret variables' values).
    values: Vec<Vec<u8>>,
    /// Every [`KEY_RUN`]-byte window of private-key material (PEM body without line breaks,
    /// and DER) that is not also in a certificate of the set.
    key_runs: HashSet<[u8; KEY_RUN]>,
    /// PEM body lines of keys shorter than [`KEY_RUN`]: redacted when a line is exactly one.
    short_lines: HashSet<Vec<u8>>,
    /// The same windows of public material (certificates): never taken for key material (an
    /// EC or RSA private key holds its public key, which the certificate shows too).
    public_runs: HashSet<[u8; KEY_RUN]>,
}

impl Secrets {
    /// A value redacted wherever it appears.
    pub(crate) fn add_value(&mut self, v: &[u8]) {
        if !v.is_empty() && !self.values.iter().any(|x| x == v) {
            self.values.push(v.to_vec());
            // Longest first: a secret holding another is replaced whole.
            self.values.sort_by_key(|x| std::cmp::Reverse(x.len()));
        }
    }

    /// Every private key in `pem` (a key file, haproxy.pem, a CA key): each of its body lines
    /// and every run of [`KEY_RUN`] bytes of its base64 text or DER. Certificates in the same
    /// text count as public.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) {
        let mut block: Option<(bool, Vec<u8>)> = None;
        for raw in pem.split(|&b| b == b'\n') {
            let line = raw.trim_ascii();
            if line.starts_with(b"-----BEGIN ") {
                let label = String::from_utf8_lossy(line).to_ascii_uppercase();
                block = Some((label.contains("PRIVATE KEY"), Vec::new()));
                continue;
            }
            if line.starts_with(b"-----END ") {
                if let Some((is_key, body)) = block.take() {
                    if is_key {
                        add_runs(&mut self.key_runs, &body);
                    } else {
                        add_runs(&mut self.public_runs, &body);
                    }
                }
                continue;
            }
            if let Some((is_key, body)) = &mut block {
                if line.is_empty() || line.contains(&b':') {
                    continue; // a header line (Proc-Type: ...)
                }
                body.extend_from_slice(line);
                if *is_key && line.len() < KEY_RUN {
                    self.short_lines.insert(line.to_vec());
                }
            }
        }
        if let Ok(sections) = crate::pem::decode_sections(pem) {
            use rustls_pki_types::pem::SectionKind;
            for (kind, der) in sections {
                match kind {
                    SectionKind::PrivateKey
                    | SectionKind::RsaPrivateKey
                    | SectionKind::EcPrivateKey => add_runs(&mut self.key_runs, &der),
                    _ => add_runs(&mut self.public_runs, &der),
                }
            }
        }
    }

    fn longest_value(&self) -> usize {
        self.values.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// `b` with every secret value replaced by [`SECRET_REDACTED`] and every run of key
    /// material by [`KEY_REDACTED`].
    fn redact(&self, b: &[u8]) -> Vec<u8> {
        let mut b = b.to_vec();
        for s in &self.values {
            b = replace_all(&b, s, SECRET_REDACTED.as_bytes());
        }
        if self.key_runs.is_empty() || b.len() < KEY_RUN {
            return self.redact_short_line(b);
        }
        let mut hit = vec![false; b.len()];
        let mut any = false;
        for i in 0..=b.len() - KEY_RUN {
            let mut w = [0u8; KEY_RUN];
            w.copy_from_slice(&b[i..i + KEY_RUN]);
            if self.key_runs.contains(&w) && !self.public_runs.contains(&w) {
                hit[i..i + KEY_RUN].iter_mut().for_each(|h| *h = true);
                any = true;
            }
        }
        if !any {
            return self.redact_short_line(b);
        }
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if hit[i] {
                out.extend_from_slice(KEY_REDACTED.as_bytes());
                while i < b.len() && hit[i] {
                    i += 1;
                }
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        self.redact_short_line(out)
    }

    /// A line that is exactly one of a key's short body lines (the last line of a PEM body
    /// may be only a few characters long) is replaced.
    fn redact_short_line(&self, b: Vec<u8>) -> Vec<u8> {
        if self.short_lines.is_empty() || b.len() > KEY_RUN + 2 {
            return b;
        }
        let body = b.trim_ascii();
        if body.is_empty() || !self.short_lines.contains(body) {
            return b;
        }
        let mut out = KEY_REDACTED.as_bytes().to_vec();
        if b.ends_with(b"\n") {
            out.push(b'\n');
        }
        out
    }
}

/// Adds every [`KEY_RUN`]-byte window of `b`.
fn add_runs(set: &mut HashSet<[u8; KEY_RUN]>, b: &[u8]) {
    for w in b.windows(KEY_RUN) {
        let mut k = [0u8; KEY_RUN];
        k.copy_from_slice(w);
        set.insert(k);
    }
}

/// How a hook run went.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HookReport {
    pub(crate) command: String,
    /// The shell's exit status; `None` when a signal ended it or it never started.
    pub(crate) exit_code: Option<i32>,
    pub(crate) duration_ms: u64,
    pub(crate) timed_out: bool,
    /// The signal that ended the hook's shell (`SIGTERM`, `SIGKILL`, ...), if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) signal: Option<String>,
    /// Signals certctl sent to the hook's process group after the timeout (or after certctl
    /// itself was interrupted), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) signals_sent: Vec<String>,
    /// The signal certctl itself received while the hook ran (`SIGTERM`, `SIGINT`, `SIGHUP`):
    /// the hook's group was stopped and the run ends after this set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) interrupted: Option<String>,
    /// The last 64 KiB the hook printed (stdout and stderr interleaved), private-key blocks
    /// and secret values redacted, invalid UTF-8 replaced.
    pub(crate) output: String,
}

impl HookReport {
    pub(crate) fn ok(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && self.interrupted.is_none()
    }

    /// `exit 3`, `timed out after 1000 ms (SIGTERM, SIGKILL sent)`, `killed by SIGKILL`.
    pub(crate) fn status(&self) -> String {
        if let Some(sig) = &self.interrupted {
            let sent = if self.signals_sent.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} sent to its process group",
                    self.signals_sent.join(" then ")
                )
            };
            return format!(
                "interrupted: certctl got {sig} after {} ms{sent}",
                self.duration_ms
            );
        }
        match (self.timed_out, self.exit_code, &self.signal) {
            (true, _, _) => format!(
                "timed out after {} ms; {} sent to its process group",
                self.duration_ms,
                self.signals_sent.join(" then ")
            ),
            (false, Some(c), _) => format!("exit {c}"),
            (false, None, Some(s)) => format!("killed by {s}"),
            (false, None, None) => "did not run".into(),
        }
    }
}

/// Whether a variable's name says it holds a secret: certctl's own password variable, the AWS
/// secret key and session token, and any name holding SECRET, TOKEN, PASSWORD, PASSWD,
/// PRIVATE_KEY or CREDENTIAL (any case).
pub(crate) fn secret_looking(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n == super::P12_PASSWORD_ENV
        || [
            "SECRET",
            "TOKEN",
            "PASSWORD",
            "PASSWD",
            "PRIVATE_KEY",
            "CREDENTIAL",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// The values of secret-looking variables of certctl's own environment (see
/// [`secret_looking`]): redacted from every hook's output, though no hook is given them unless
/// the config lists them. Values shorter than [`MIN_SECRET_LEN`] are left alone, except
/// certctl's own password.
pub(crate) fn secret_env_values() -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    std::env::vars_os()
        .filter_map(|(k, v)| {
            let k = k.to_str()?;
            let v = v.as_bytes();
            let own = k == super::P12_PASSWORD_ENV;
            (secret_looking(k) && (v.len() >= MIN_SECRET_LEN || own) && !v.is_empty())
                .then(|| v.to_vec())
        })
        .collect()
}

/// The environment a hook starts from: `PATH` = [`SAFE_PATH`], [`PASSED_VARS`] that are set,
/// then the `pass`ed names that are set (a listed `PATH` replaces the safe one). Nothing else
/// of certctl's environment: no AWS credentials, no `LD_*`, no `CERTCTL_*`.
pub(crate) fn base_env(pass: &[String]) -> Vec<(String, OsString)> {
    let mut env: Vec<(String, OsString)> = vec![("PATH".into(), SAFE_PATH.into())];
    for name in PASSED_VARS
        .iter()
        .map(|n| n.to_string())
        .chain(pass.iter().cloned())
    {
        if name.starts_with("CERTCTL_") {
            continue;
        }
        if let Some(v) = std::env::var_os(&name) {
            env.retain(|(k, _)| *k != name);
            env.push((name, v));
        }
    }
    env
}

/// The signal certctl received while a hook ran (0: none). Set by [`on_signal`] only.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The signals certctl forwards to a running hook's process group.
const FORWARDED: [i32; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

extern "C" fn on_signal(sig: libc::c_int) {
    // Async-signal-safe: one atomic store; the hook's wait loop does the rest.
    RECEIVED.store(sig, Ordering::SeqCst);
}

/// The signal that interrupted a hook of this run, if one did.
pub(crate) fn interrupted() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// certctl's handlers for [`FORWARDED`] while a hook runs; the previous ones come back on drop
/// unless a signal came (then certctl finishes its report and exits, and a second signal must
/// not cut that report short).
struct Handlers {
    old: Vec<(i32, libc::sigaction)>,
}

impl Handlers {
    fn install() -> Handlers {
        let mut old = Vec::new();
        for sig in FORWARDED {
            // SAFETY: sigaction with a zeroed struct we own; the handler only stores to an
            // atomic, which is async-signal-safe.
            unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                act.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut act.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &act, &mut prev) == 0 {
                    old.push((sig, prev));
                }
            }
        }
        Handlers { old }
    }
}

impl Drop for Handlers {
    fn drop(&mut self) {
        if interrupted().is_some() {
            return;
        }
        for (sig, prev) in &self.old {
            // SAFETY: restores the action sigaction gave us.
            unsafe {
                libc::sigaction(*sig, prev, std::ptr::null_mut());
            }
        }
    }
}

/// Makes certctl the subreaper of its descendants: a hook's background children whose shell
/// died become certctl's children, so that a killed group can be reaped and seen gone (an init
/// that reaps late would otherwise keep its zombies in the group).
fn become_subreaper() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Reaps every exited member of group `pgid` that is certctl's child.
fn reap_group(pgid: i32) {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only the status integer we own.
        let r = unsafe { libc::waitpid(-pgid, &mut status, libc::WNOHANG) };
        if r <= 0 {
            return;
        }
    }
}

/// Whether any process of group `pgid` is left (zombies count until reaped).
fn group_alive(pgid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        n => format!("signal {n}"),
    }
}

/// Sends `sig` to every process of group `pgid`.
fn kill_group(pgid: i32, sig: i32) {
    // SAFETY: kill(2) with a negative pid only sends a signal; no memory is touched.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// Whether process `pid` (our child) has exited, without reaping it: while it is a zombie its
/// pid, which is also its process group's id, cannot be reused, so signalling the group stays
/// safe.
fn exited(pid: i32) -> bool {
    // SAFETY: waitid writes only into the zeroed siginfo we own.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        r == 0 && info.si_pid() != 0
    }
}

/// Waits until `fd` is readable or `wait` passes.
fn poll_readable(fd: i32, wait: Duration) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = wait.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one pollfd we own, count 1.
    unsafe {
        libc::poll(&mut p, 1, ms);
    }
}

fn set_nonblocking(fd: i32) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    let r = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK)
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A line longer than this is redacted in pieces (a hook may print without newlines).
const MAX_LINE: usize = 8 * 1024;

/// A hook's output, redacted as it streams in (so that what the window keeps never held a
/// secret, and a key block whose BEGIN scrolled out of the window is still known to be one),
/// keeping the last [`OUTPUT_WINDOW`] bytes of the redacted text.
pub(crate) struct Capture<'a> {
    secrets: &'a Secrets,
    /// Bytes held back from an over-long line, so that a secret or a PEM boundary split
    /// between two pieces is seen whole.
    carry: usize,
    /// The current line, not yet redacted.
    line: Vec<u8>,
    /// Inside a private-key block: everything is dropped until its END.
    in_key: bool,
    kept: Vec<u8>,
    cut: usize,
}

impl<'a> Capture<'a> {
    pub(crate) fn new(secrets: &'a Secrets) -> Capture<'a> {
        let longest = secrets.longest_value();
        Capture {
            secrets,
            carry: (longest + 1).max(128).max(KEY_RUN),
            line: Vec::new(),
            in_key: false,
            kept: Vec::new(),
            cut: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..=nl]);
            rest = &rest[nl + 1..];
            let line = std::mem::take(&mut self.line);
            self.emit_redacted(&line, false);
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > MAX_LINE + self.carry {
            // Secrets first over the whole piece: one that straddles its end starts inside
            // the carry, which stays for the next piece.
            let mut line = self.secrets.redact(&std::mem::take(&mut self.line));
            let mut split = line.len().saturating_sub(self.carry);
            // Never split inside a PEM boundary: back up to the dashes that may start one
            // (a boundary is under 100 bytes long).
            if let Some(d) = line[split.saturating_sub(100)..split]
                .iter()
                .position(|&b| b == b'-')
            {
                split = split.saturating_sub(100) + d;
            }
            self.line = line.split_off(split);
            self.emit_keys(&line, false);
        }
    }

    fn emit_redacted(&mut self, piece: &[u8], at_end: bool) {
        let b = self.secrets.redact(piece);
        self.emit_keys(&b, at_end);
    }

    /// Passes `piece` on with every private-key block replaced by [`KEY_REDACTED`]. A block
    /// goes on across pieces until its END; an END with no BEGIN seen redacts the piece up to
    /// it; at the very end, a BEGIN header cut short counts as one.
    fn emit_keys(&mut self, piece: &[u8], at_end: bool) {
        let mut i = 0;
        loop {
            if self.in_key {
                match next_key_boundary(piece, b"END", i, at_end) {
                    Some((_, e)) => {
                        self.in_key = false;
                        i = e;
                    }
                    None => return,
                }
                continue;
            }
            let begin = next_key_boundary(piece, b"BEGIN", i, at_end);
            let end = next_key_boundary(piece, b"END", i, at_end);
            match (begin, end) {
                (_, Some((es, ee))) if begin.is_none_or(|(bs, _)| es < bs) => {
                    self.out(KEY_REDACTED.as_bytes());
                    i = ee;
                }
                (Some((bs, be)), _) => {
                    self.out(&piece[i..bs]);
                    self.out(KEY_REDACTED.as_bytes());
                    self.in_key = true;
                    i = be;
                }
                (None, _) => {
                    self.out(&piece[i..]);
                    return;
                }
            }
        }
    }

    fn out(&mut self, b: &[u8]) {
        self.kept.extend_from_slice(b);
        if self.kept.len() > 2 * OUTPUT_WINDOW {
            self.trim();
        }
    }

    fn trim(&mut self) {
        if self.kept.len() > OUTPUT_WINDOW {
            let drop = self.kept.len() - OUTPUT_WINDOW;
            self.kept.drain(..drop);
            self.cut += drop;
        }
    }

    /// The last [`OUTPUT_WINDOW`] bytes of the redacted output as text (invalid UTF-8
    /// replaced), after a first line saying how much was cut when more came before. (The cut
    /// cannot split a secret or a key: both were replaced before the window kept anything.)
    pub(crate) fn finish(mut self) -> String {
        let line = std::mem::take(&mut self.line);
        self.emit_redacted(&line, true);
        self.trim();
        let prefix = if self.cut > 0 {
            format!("[... {} bytes cut ...]\n", self.cut)
        } else {
            String::new()
        };
        prefix + &String::from_utf8_lossy(&self.kept)
    }
}

/// The whole of `text`, redacted (as a hook's output would be).
#[cfg(test)]
fn redact(text: &[u8], secrets: &[Vec<u8>]) -> String {
    let mut s = Secrets::default();
    for v in secrets {
        s.add_value(v);
    }
    redact_with(text, &s)
}

#[cfg(test)]
fn redact_with(text: &[u8], secrets: &Secrets) -> String {
    let mut c = Capture::new(secrets);
    c.push(text);
    c.finish()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while let Some(p) = find(hay, needle, i) {
        out.extend_from_slice(&hay[i..p]);
        out.extend_from_slice(with);
        i = p + needle.len();
    }
    out.extend_from_slice(&hay[i..]);
    out
}

/// The next PEM boundary `-----{kind} <label>-----` whose label ends in "PRIVATE KEY" (any
/// case: `PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, ...), at
/// or after `from`: (start, end of the boundary's closing dashes). With `at_end`, a header cut
/// short by the end of the text counts too: nothing after it can be shown to be safe.
fn next_key_boundary(hay: &[u8], kind: &[u8], from: usize, at_end: bool) -> Option<(usize, usize)> {
    let mut i = from;
    let mut marker = b"-----".to_vec();
    marker.extend_from_slice(kind);
    marker.push(b' ');
    while let Some(p) = find(hay, &marker, i) {
        let label_start = p + marker.len();
        let rest = &hay[label_start..hay.len().min(label_start + 80)];
        let label_len = rest
            .iter()
            .position(|&c| c == b'-' || c == b'\n' || c == b'\r')
            .unwrap_or(rest.len());
        let label = String::from_utf8_lossy(&rest[..label_len]).to_ascii_uppercase();
        let is_key = label.trim_end().ends_with("PRIVATE KEY")
            || (at_end && label_start + label_len == hay.len());
        if is_key {
            let mut end = label_start + label_len;
            while end < hay.len() && hay[end] == b'-' {
                end += 1;
            }
            return Some((p, end));
        }
        i = p + 1;
    }
    None
}

/// Runs `sh -c COMMAND` in its own process group and the given folder, with only the
/// variables of [`base_env`] and the given ones, stdin from /dev/null and stdout+stderr into one
/// pipe. SIGTERM, SIGINT or SIGHUP to certctl meanwhile stop the hook's group the way a timeout
/// does (SIGTERM, SIGKILL after the grace period) and are reported as `interrupted`.
pub(crate) fn run(spec: &HookSpec<'_>) -> HookReport {
    let start = Instant::now();
    let mut report = HookReport {
        command: spec.command.to_string(),
        exit_code: None,
        duration_ms: 0,
        timed_out: false,
        signal: None,
        signals_sent: Vec::new(),
        interrupted: None,
        output: String::new(),
    };
    if let Some(sig) = interrupted() {
        // certctl was told to stop during an earlier hook: start no other.
        report.interrupted = Some(signal_name(sig));
        return report;
    }
    let (mut reader, writer) = match std::io::pipe() {
        Ok(p) => p,
        Err(e) => {
            report.output = format!("cannot make a pipe for the hook's output: {e}");
            return report;
        }
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => {
            report.output = format!("cannot make a pipe for the hook's output: {e}");
            return report;
        }
    };
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(spec.command)
        .current_dir(spec.cwd)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0)
        .env_clear();
    for (k, v) in base_env(spec.pass).iter().chain(spec.env) {
        cmd.env(k, v);
    }
    // From before the spawn: a signal that comes while the hook starts is still forwarded.
    let handlers = Handlers::install();
    become_subreaper();
    let spawned = cmd.spawn();
    // The parent's copies of the write end go with `cmd`: EOF comes when the hook's side closes.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            report.output = format!("cannot start /bin/sh in {}: {e}", spec.cwd.display());
            report.duration_ms = start.elapsed().as_millis() as u64;
            drop(handlers);
            report.interrupted = interrupted().map(signal_name);
            return report;
        }
    };
    let pid = child.id() as i32;
    let fd = reader.as_raw_fd();
    let nonblocking = set_nonblocking(fd).is_ok();
    let mut window = Capture::new(spec.secrets);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut eof = !nonblocking;
    let mut exited_at: Option<Instant> = None;
    let mut term_at: Option<Instant> = None;
    let mut killed = false;
    loop {
        if exited_at.is_none() && exited(pid) {
            exited_at = Some(Instant::now());
        }
        let now = Instant::now();
        // certctl was told to stop: stop the hook's whole group first, as on a timeout.
        if term_at.is_none() && report.interrupted.is_none() {
            if let Some(sig) = interrupted() {
                report.interrupted = Some(signal_name(sig));
                kill_group(pid, libc::SIGTERM);
                report.signals_sent.push("SIGTERM".into());
                term_at = Some(now);
            }
        }
        // Timeout: TERM the whole group, then KILL it after the grace period.
        if exited_at.is_none() && term_at.is_none() && now.duration_since(start) >= spec.timeout {
            kill_group(pid, libc::SIGTERM);
            report.signals_sent.push("SIGTERM".into());
            report.timed_out = true;
            term_at = Some(now);
        }
        if let Some(t) = term_at {
            // Done early when the shell is gone and nothing holds the pipe any more.
            if !killed && (now.duration_since(t) >= spec.grace || (exited_at.is_some() && eof)) {
                if !(exited_at.is_some() && eof) {
                    report.signals_sent.push("SIGKILL".into());
                }
                // Always: a group member that ignores TERM and closed its output survives
                // otherwise. The shell is not reaped yet, so the group id is still ours.
                kill_group(pid, libc::SIGKILL);
                killed = true;
            }
        }
        let draining_done = match exited_at {
            Some(t) => eof || now.duration_since(t) >= DRAIN_AFTER_EXIT,
            None => false,
        };
        if draining_done && (term_at.is_none() || killed) {
            break;
        }
        if eof {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        poll_readable(fd, Duration::from_millis(20));
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => window.push(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break, // WouldBlock: nothing more now
            }
        }
    }
    if exited_at.is_some() && !eof {
        window.push(b"\n[certctl: stopped reading: a process the hook left running holds its output open]\n");
    }
    match child.wait() {
        Ok(status) => {
            report.exit_code = status.code();
            report.signal = status.signal().map(signal_name);
        }
        Err(e) => window.push(format!("\n[certctl: cannot wait for the hook: {e}]\n").as_bytes()),
    }
    if killed {
        // The group was killed: wait until its last member is gone, so that nothing of this
        // hook still runs when certctl reports, exits or starts the next hook. Members orphaned
        // by the shell's death are certctl's children now (it is their subreaper) and are
        // reaped here; bounded, in case one is stuck in the kernel.
        let until = Instant::now() + Duration::from_secs(2);
        loop {
            reap_group(pid);
            if !group_alive(pid) || Instant::now() >= until {
                break;
            }
            kill_group(pid, libc::SIGKILL);
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    drop(handlers);
    if report.interrupted.is_none() {
        // A signal in the last instant, after the hook was done: still an interruption.
        report.interrupted = interrupted().map(signal_name);
    }
    report.duration_ms = start.elapsed().as_millis() as u64;
    report.output = window.finish();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

    fn run_hook(cmd: &str, timeout_ms: u64, secrets: &[Vec<u8>]) -> HookReport {
        let mut s = Secrets::default();
        for v in secrets {
            s.add_value(v);
        }
        run(&HookSpec {
            command: cmd,
            env: &[("CERTCTL_NAME".into(), "unit".into())],
            pass: &[],
            cwd: Path::new("/"),
            timeout: Duration::from_millis(timeout_ms),
            grace: Duration::from_millis(500),
            secrets: &s,
        })
    }

    #[test]
    fn every_private_key_variant_is_redacted() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "rsa private key",
        ] {
            let text = format!(
                "before\n-----BEGIN {label}-----\nSECRETBASE64\n-----END {label}-----\nafter\n"
            );
            let r = redact(text.as_bytes(), &[]);
            assert!(!r.contains("SECRETBASE64"), "{label}: {r}");
            assert!(r.contains("before") && r.contains("after"), "{label}: {r}");
            assert!(r.contains(KEY_REDACTED), "{r}");
        }
        // A certificate is not a key: kept.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(redact(cert.as_bytes(), &[]), cert);
        // Two keys, text between them kept; a key inside a line too.
        let two = format!(
            "a\n{KEY}b\n{KEY}c\nkey: -----BEGIN PRIVATE KEY-----MIGH-----END PRIVATE KEY----- ok\n"
        );
        let r = redact(two.as_bytes(), &[]);
        assert_eq!(r.matches(KEY_REDACTED).count(), 3, "{r}");
        assert!(r.contains("\nb\n") && !r.contains("MIGH"), "{r}");
        assert!(r.ends_with("key: [private key redacted] ok\n"), "{r}");
    }

    #[test]
    fn a_key_with_no_end_is_redacted_to_the_end() {
        let r = redact(
            b"x\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIAAA\nMore",
            &[],
        );
        assert_eq!(r, format!("x\n{KEY_REDACTED}"));
        // The header itself cut short.
        let r = redact(b"x\n-----BEGIN RSA PRIV", &[]);
        assert!(!r.contains("BEGIN RSA"), "{r}");
        // An END with no BEGIN: the line up to it goes.
        let r = redact(
            b"ok\nMHcCAQEEIAAA-----END PRIVATE KEY-----\nreloaded\n",
            &[],
        );
        assert_eq!(r, format!("ok\n{KEY_REDACTED}\nreloaded\n"));
    }

    #[test]
    fn secrets_are_redacted_wherever_they_appear() {
        let r = redact(b"pw=hunter2! and hunter2!\n", &[b"hunter2!".to_vec()]);
        assert_eq!(r, format!("pw={SECRET_REDACTED} and {SECRET_REDACTED}\n"));
        // In a line far longer than a piece, split at any point, pushed in small chunks.
        let secret = b"Zq9-very-long-password-value".to_vec();
        for at in [0usize, 1, 5000, MAX_LINE - 3, MAX_LINE + 100] {
            let mut text = vec![b'a'; at];
            text.extend_from_slice(&secret);
            text.extend(vec![b'b'; 3 * MAX_LINE]);
            let mut s = Secrets::default();
            s.add_value(&secret);
            let mut c = Capture::new(&s);
            for chunk in text.chunks(997) {
                c.push(chunk);
            }
            let out = c.finish();
            assert!(!out.contains("very-long-password"), "at {at}");
            assert!(out.contains(SECRET_REDACTED), "at {at}");
        }
    }

    #[test]
    fn the_window_keeps_the_last_64_kib_and_knows_a_key_it_cannot_see_the_start_of() {
        let none = Secrets::default();
        // A key whose BEGIN scrolls out of the window and whose END never comes.
        let mut c = Capture::new(&none);
        c.push(b"starting\n-----BEGIN PRIVATE KEY-----\n");
        for _ in 0..3000 {
            c.push(b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJz\n");
        }
        let out = c.finish();
        assert!(!out.contains("QUJD"), "key material kept");
        assert!(out.starts_with("starting\n"), "{out}");
        // Over 64 KiB: the last 64 KiB are kept and the cut is said.
        let mut c = Capture::new(&none);
        c.push(b"-----BEGIN PRIVATE KEY-----\n");
        c.push("QUJD\n".repeat(1000).as_bytes());
        c.push(b"-----END PRIVATE KEY-----\n");
        for i in 0..OUTPUT_WINDOW / 10 {
            c.push(format!("line {i:04}\n").as_bytes());
        }
        c.push(b"last line\n");
        let out = c.finish();
        assert!(out.len() <= OUTPUT_WINDOW + 100, "{}", out.len());
        assert!(out.starts_with("[... "), "{}", &out[..80]);
        assert!(!out.contains("QUJD"));
        assert!(out.ends_with("last line\n"));
        // A key split across pushes at every byte boundary of its header.
        let text = format!("a\n{KEY}b\n");
        for split in 0..text.len() {
            let mut c = Capture::new(&none);
            c.push(&text.as_bytes()[..split]);
            c.push(&text.as_bytes()[split..]);
            let out = c.finish();
            assert_eq!(out, format!("a\n{KEY_REDACTED}\nb\n"), "split at {split}");
        }
        // An over-long line holding a key (no newlines at all).
        let mut long = "x".repeat(MAX_LINE * 2);
        long.push_str(&KEY.replace('\n', " "));
        long.push_str(&"y".repeat(MAX_LINE * 2));
        let out = redact(long.as_bytes(), &[]);
        assert!(!out.contains("MIGH") && out.contains(KEY_REDACTED));
        assert!(out.ends_with("yyyy"));
    }

    /// A leaf and its key as rotate writes them (haproxy.pem: fullchain then key).
    fn minted(alg: crate::keys::KeyAlg) -> (String, String) {
        let m = crate::mint::leaf(
            &crate::mint::LeafSpec {
                dns: vec!["lb.example.internal".into()],
                ips: vec![],
                key: alg,
                days: 30,
                at: 1_906_502_400,
            },
            None,
        )
        .unwrap();
        (
            crate::pem::encode_certificate(&m.cert.der),
            crate::keys::to_pem(&m.key),
        )
    }

    #[test]
    fn every_line_and_every_long_run_of_a_key_is_redacted_but_its_certificate_is_not() {
        for alg in [crate::keys::KeyAlg::EcdsaP256, crate::keys::KeyAlg::Rsa2048] {
            let (cert, key) = minted(alg);
            let mut s = Secrets::default();
            s.add_pem(format!("{cert}{key}").as_bytes());
            let body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
            let joined: String = body.concat();
            let der = crate::pem::decode_private_key(key.as_bytes()).unwrap();
            let mut shown: Vec<(String, Vec<u8>)> = vec![
                // `tail -n +2 key.pem`: no BEGIN line to see.
                (
                    "tail".into(),
                    key.lines()
                        .skip(1)
                        .map(|l| format!("{l}\n"))
                        .collect::<String>()
                        .into_bytes(),
                ),
                // The body on one line (`tr -d '\n'`), and wrapped at 76 (`base64 -d | base64`).
                ("joined".into(), format!("k={joined}\n").into_bytes()),
                (
                    "rewrapped".into(),
                    joined
                        .as_bytes()
                        .chunks(76)
                        .flat_map(|c| [c, b"\n"].concat())
                        .collect(),
                ),
                // The DER itself, as `base64 -d` prints it.
                ("der".into(), der.clone()),
                // A slice from the middle (`cut -c 10-40`).
                (
                    "slice".into(),
                    format!("{}\n", &body[0][9..40]).into_bytes(),
                ),
            ];
            for (i, line) in body.iter().enumerate() {
                shown.push((format!("line {i}"), format!("{line}\n").into_bytes()));
            }
            for (what, text) in &shown {
                let out = redact_with(text, &s);
                for line in &body {
                    assert!(!out.contains(line), "{alg:?} {what}: {line} in {out}");
                }
                assert!(out.contains(KEY_REDACTED), "{alg:?} {what}: {out}");
                // No run of the DER within a line (a newline byte in binary output ends one).
                let bytes = redact_with(text, &s).into_bytes();
                for line in bytes.split(|&b| b == b'\n') {
                    assert!(
                        !der.windows(KEY_RUN)
                            .any(|w| line.windows(KEY_RUN).any(|o| o == w)),
                        "{alg:?} {what}: DER run shown"
                    );
                }
            }
            // The certificate (which holds the key's public half) is shown whole.
            assert_eq!(redact_with(cert.as_bytes(), &s), cert, "{alg:?}");
            // Ordinary text is untouched.
            let text = "reloading nginx: ok\nAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
            assert_eq!(redact_with(text.as_bytes(), &s), text);
        }
    }

    #[test]
    fn secret_looking_names() {
        for n in [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "DB_PASSWORD",
            "smtp_passwd",
            "GITHUB_TOKEN",
            "TLS_PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "CERTCTL_P12_PASSWORD",
        ] {
            assert!(secret_looking(n), "{n}");
        }
        for n in [
            "AWS_ACCESS_KEY_ID",
            "AWS_REGION",
            "HOME",
            "PATH",
            "KEYCHAIN",
        ] {
            assert!(!secret_looking(n), "{n}");
        }
    }

    #[test]
    fn output_is_captured_redacted_and_invalid_utf8_kept() {
        let h = run_hook(
            "printf 'ok \\377 done\\n'; printf -- '-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n' >&2; echo pw=s3cr3t; exit 3",
            5000,
            &[b"s3cr3t".to_vec()],
        );
        assert_eq!(h.exit_code, Some(3));
        assert!(h.output.contains("ok \u{fffd} done"), "{}", h.output);
        assert!(!h.output.contains("AAAA") && h.output.contains(KEY_REDACTED));
        assert!(h.output.contains("pw=[secret redacted]"), "{}", h.output);
    }

    #[test]
    fn the_hook_gets_no_secret_variables() {
        // Set in this process: a hook must not see it.
        std::env::set_var(super::super::P12_PASSWORD_ENV, "from-env-pw");
        let h = run_hook("echo \"[$CERTCTL_P12_PASSWORD][$CERTCTL_NAME]\"", 5000, &[]);
        std::env::remove_var(super::super::P12_PASSWORD_ENV);
        assert_eq!(h.output.trim(), "[][unit]");
    }

    #[test]
    fn a_timeout_terms_then_kills_the_whole_group() {
        let d = tempfile::tempdir().unwrap();
        let pids = d.path().join("pids");
        // Two background sleeps and one that ignores TERM.
        let cmd = format!(
            "sleep 1000 & echo $! >> {p}; (trap '' TERM; exec sleep 1000) & echo $! >> {p}; sleep 1000",
            p = pids.display()
        );
        let t0 = Instant::now();
        let h = run_hook(&cmd, 300, &[]);
        assert!(h.timed_out);
        assert_eq!(h.signals_sent, vec!["SIGTERM", "SIGKILL"], "{h:?}");
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        std::thread::sleep(Duration::from_millis(200));
        for pid in std::fs::read_to_string(&pids).unwrap().lines() {
            let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
                && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .unwrap_or_default()
                    .contains(") Z ");
            assert!(!alive, "pid {pid} survived the timeout");
        }
    }

    #[test]
    fn a_background_child_holding_the_pipe_does_not_hang_the_run() {
        let t0 = Instant::now();
        let h = run_hook("sleep 30 & echo started; exit 0", 20_000, &[]);
        assert_eq!(h.exit_code, Some(0));
        assert!(!h.timed_out);
        assert!(h.output.contains("started"), "{}", h.output);
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    }
}
