//! The rotation config (`policies/onprem.toml`): TOML → validated certificate sets, all errors at once.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::keys::KeyAlg;
use crate::policy::raw::{self, ConfigIssue, Reader, Table};

/// Why a rotation config could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RotateConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read config: {0}")]
    Input(crate::input_file::ReadError),
    #[error("invalid config {path}: {}", crate::policy::render_issues(.issues))]
    Invalid {
        path: PathBuf,
        issues: Vec<ConfigIssue>,
    },
}

/// When to renew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenewBefore {
    /// This long before not-after.
    Duration(i64),
    /// When less than this share (percent) of the lifetime is left.
    Percent(u8),
}

impl RenewBefore {
    /// Seconds before not-after at which a certificate of this lifetime is renewed.
    pub(crate) fn seconds(self, lifetime: i64) -> i64 {
        match self {
            RenewBefore::Duration(s) => s,
            RenewBefore::Percent(p) => lifetime * i64::from(p) / 100,
        }
    }
}

/// Output formats beyond the PEM files every set has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Pem,
    Haproxy,
    Pkcs12,
}

/// What a set's certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetKind {
    /// A TLS server's (the on-prem load balancer's): named by `dns`/`ip`.
    Server,
    /// A TLS client's (API Gateway presenting itself to a backend that verifies clients):
    /// named by `cn`, signed by `ca-dir`, clientAuth only.
    Client,
}

/// One validated `[[cert]]`.
#[derive(Debug, Clone)]
pub(crate) struct SetConfig {
    pub(crate) name: String,
    pub(crate) line: usize,
    pub(crate) kind: SetKind,
    /// The client certificate's common name (client sets only).
    pub(crate) cn: Option<String>,
    /// Client sets: after a new pair is installed, re-import it to this ACM certificate.
    pub(crate) acm_arn: Option<String>,
    pub(crate) dns: Vec<String>,
    pub(crate) ip: Vec<IpAddr>,
    pub(crate) out_dir: PathBuf,
    pub(crate) days: u32,
    pub(crate) renew_before: RenewBefore,
    pub(crate) key: KeyAlg,
    pub(crate) ca_dir: Option<PathBuf>,
    pub(crate) formats: Vec<Format>,
    /// Put the root CA into fullchain.pem (and haproxy.pem) too, as `issue onprem
    /// --include-root` does.
    pub(crate) include_root: bool,
    pub(crate) p12_password_file: Option<PathBuf>,
    pub(crate) deploy_hook: Option<String>,
    pub(crate) hook_timeout: Duration,
    /// After the timeout's SIGTERM, how long until SIGKILL.
    pub(crate) hook_grace: Duration,
    /// Names of certctl's own environment variables passed on to the hook (the top-level list
    /// and the set's own), beyond the minimal environment every hook gets.
    pub(crate) hook_env: Vec<String>,
    pub(crate) verify_url: Option<String>,
    pub(crate) verify_connect_to: Option<String>,
    pub(crate) verify_hostname: Option<String>,
    pub(crate) verify_timeout: Duration,
    pub(crate) keep: usize,
}

/// The whole config.
#[derive(Debug, Clone)]
pub struct RotateConfig {
    pub(crate) lock_timeout: Duration,
    pub(crate) sets: Vec<SetConfig>,
    /// The config file's directory: relative paths are taken from it, and hooks run in it.
    pub(crate) dir: PathBuf,
}

const SET_KEYS: &[&str] = &[
    "name",
    "kind",
    "cn",
    "acm-arn",
    "dns",
    "ip",
    "out-dir",
    "days",
    "renew-before",
    "key",
    "ca-dir",
    "formats",
    "include-root",
    "p12-password-file",
    "deploy-hook",
    "hook-timeout",
    "hook-grace",
    "hook-env",
    "verify-url",
    "verify-connect-to",
    "verify-hostname",
    "verify-timeout",
    "keep",
];

impl RotateConfig {
    pub(crate) fn load(path: &Path) -> Result<RotateConfig, RotateConfigError> {
        use crate::input_file::{self, ReadError};
        let text =
            input_file::read_trusted_text(path, input_file::CONFIG).map_err(|e| match e {
                ReadError::Io { path, source } => RotateConfigError::Read { path, source },
                // `cannot read config: PATH: no such file`, as for every other input.
                e => RotateConfigError::Input(e),
            })?;
        // Relative paths in the config are relative to the config's own directory, made
        // absolute so hooks and reports see full paths.
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = std::fs::canonicalize(&parent).unwrap_or(parent);
        let config =
            RotateConfig::parse(&text, &base).map_err(|issues| RotateConfigError::Invalid {
                path: path.to_path_buf(),
                issues,
            })?;
        // Two spellings of one directory ("lb", "lb/../lb", a path through a symlink) would
        // make two sets fight over one pair: compare what the paths lead to.
        let ids: Vec<DirIdentity> = config
            .sets
            .iter()
            .map(|s| dir_identity(&s.out_dir))
            .collect();
        let mut issues = Vec::new();
        for (i, set) in config.sets.iter().enumerate() {
            if let Some(j) = (0..i).find(|&j| ids[j] == ids[i]) {
                let prev = &config.sets[j];
                issues.push(ConfigIssue {
                    line: set.line,
                    message: format!(
                        "out-dir {} of \"{}\" is the same directory as out-dir {} of \"{}\" (line {})",
                        set.out_dir.display(),
                        set.name,
                        prev.out_dir.display(),
                        prev.name,
                        prev.line
                    ),
                });
            }
        }
        // A hook named by path runs as whoever runs certctl, and a password file guards the
        // key: both must be as safe as the config, checked before any set is touched.
        for set in &config.sets {
            let hook = set
                .deploy_hook
                .as_deref()
                .and_then(|h| hook_program(h, &base));
            let trusted = [
                ("deploy-hook", hook.as_deref()),
                ("p12-password-file", set.p12_password_file.as_deref()),
            ];
            for (key, file) in trusted {
                let Some(file) = file else { continue };
                if let Err(e) = crate::safepath::open_file(file) {
                    let hint = e.hint().map(|h| format!("; {h}")).unwrap_or_default();
                    issues.push(ConfigIssue {
                        line: set.line,
                        message: format!("{key} of \"{}\": {e}{hint}", set.name),
                    });
                }
            }
        }
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(RotateConfigError::Invalid {
                path: path.to_path_buf(),
                issues,
            })
        }
    }

    /// Validates config text; relative paths are taken from `base` (the config's directory).
    pub fn parse(text: &str, base: &Path) -> Result<RotateConfig, Vec<ConfigIssue>> {
        let doc = raw::parse(text)?;
        let top = doc.get_ref();
        let mut r = Reader::new(text);
        r.deny_unknown(top, &["cert", "lock-timeout", "hook-env"], "");
        let mut lock_timeout = Duration::from_secs(300);
        if let Some((s, line)) = r.string(top, "lock-timeout") {
            match crate::duration::parse(&s) {
                Ok(d) => lock_timeout = d,
                Err(e) => r.issues.push(duration_issue(line, "lock-timeout", e)),
            }
        }
        let top_hook_env = hook_env(&mut r, top);
        let mut sets: Vec<SetConfig> = Vec::new();
        let tables = r.tables(top, "cert");
        if tables.is_empty() && top.get("cert").is_none() {
            r.issues.push(ConfigIssue {
                line: 1,
                message: "no [[cert]] sets; see policies/onprem.toml for the format".into(),
            });
        }
        for (t, line) in tables {
            if let Some(set) = set_config(&mut r, t, line, base, &top_hook_env) {
                if let Some(prev) = sets.iter().find(|s| s.name == set.name) {
                    r.issues.push(ConfigIssue {
                        line,
                        message: format!(
                            "duplicate name \"{}\" (first at line {})",
                            set.name, prev.line
                        ),
                    });
                } else if let Some(prev) = sets.iter().find(|s| s.out_dir == set.out_dir) {
                    r.issues.push(ConfigIssue {
                        line,
                        message: format!(
                            "out-dir {} of \"{}\" is also used by \"{}\"",
                            set.out_dir.display(),
                            set.name,
                            prev.name
                        ),
                    });
                } else {
                    sets.push(set);
                }
            }
        }
        if r.issues.is_empty() {
            Ok(RotateConfig {
                lock_timeout,
                sets,
                dir: base.to_path_buf(),
            })
        } else {
            r.issues.sort_by_key(|i| i.line);
            Err(r.issues)
        }
    }
}

/// The program a deploy hook starts, when the hook names it by path (`/usr/local/bin/reload`,
/// `./reload.sh`, `"/opt/my tools/reload" --fast`): the first word of the shell command, quotes
/// removed, relative to the config's directory. A bare name (`systemctl ...`) is found on the
/// hook's PATH of system directories, so there is nothing to check here.
pub(crate) fn hook_program(hook: &str, base: &Path) -> Option<PathBuf> {
    let hook = hook.trim_start();
    let word: String = match hook.chars().next()? {
        q @ ('"' | '\'') => hook[1..].chars().take_while(|&c| c != q).collect(),
        _ => hook
            .chars()
            .take_while(|c| {
                !c.is_whitespace() && !matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')')
            })
            .collect(),
    };
    if !word.contains('/') {
        return None;
    }
    Some(base.join(word))
}

/// What an output directory path leads to: its device and inode when it exists, else the
/// real path of its longest existing ancestor joined with the rest, `.` and `..` resolved.
#[derive(Debug, PartialEq, Eq)]
enum DirIdentity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn dir_identity(dir: &Path) -> DirIdentity {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata(dir) {
        return DirIdentity::Inode(m.dev(), m.ino());
    }
    for anc in dir.ancestors().skip(1) {
        if let Ok(real) = std::fs::canonicalize(anc) {
            let rest = dir.strip_prefix(anc).unwrap_or(dir);
            return DirIdentity::Path(normalize(&real.join(rest)));
        }
    }
    DirIdentity::Path(normalize(dir))
}

/// `a/./b/../c` → `a/c`, lexically (for paths that do not exist, so hold no symlinks).
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn duration_issue(line: usize, key: &str, e: crate::duration::DurationError) -> ConfigIssue {
    ConfigIssue {
        line,
        message: format!("`{key}`: {e}"),
    }
}

/// Whether `name` can be an environment variable's name: a letter or `_`, then letters, digits
/// and `_` (POSIX's portable names, what `sh` can expand).
fn env_name_ok(name: &str) -> bool {
    let mut b = name.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `hook-env = ["NAME", ...]` of one table: names of certctl's own environment variables a
/// hook may see. `CERTCTL_*` names are refused: certctl sets those itself, and its own secret
/// (`CERTCTL_P12_PASSWORD`) never reaches a hook.
fn hook_env(r: &mut Reader<'_>, t: &Table<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, l) in r.strings(t, "hook-env").unwrap_or_default() {
        if !env_name_ok(&name) {
            r.issues.push(ConfigIssue {
                line: l,
                message: format!(
                    "`hook-env`: \"{name}\" is not a variable name (letters, digits and _, not starting with a digit)"
                ),
            });
        } else if name.to_ascii_uppercase().starts_with("CERTCTL_") {
            r.issues.push(ConfigIssue {
                line: l,
                message: format!(
                    "`hook-env`: \"{name}\" is certctl's own; the hook gets the CERTCTL_ variables certctl sets and never its password"
                ),
            });
        } else if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn set_config(
    r: &mut Reader<'_>,
    t: &Table<'_>,
    line: usize,
    base: &Path,
    top_hook_env: &[String],
) -> Option<SetConfig> {
    let before = r.issues.len();
    r.deny_unknown(t, SET_KEYS, "[[cert]]");
    let missing = |r: &mut Reader<'_>, key: &str| {
        r.issues.push(ConfigIssue {
            line,
            message: format!("[[cert]] is missing `{key}`"),
        })
    };
    let name = match r.string(t, "name") {
        Some((n, l)) if n.is_empty() || n.contains('/') => {
            r.issues.push(ConfigIssue {
                line: l,
                message: "`name` must be non-empty and hold no '/'".into(),
            });
            String::new()
        }
        Some((n, _)) => n,
        None => {
            missing(r, "name");
            String::new()
        }
    };
    let mut dns = Vec::new();
    let raw_dns = r.strings(t, "dns").unwrap_or_default();
    let raw_ip = r.strings(t, "ip").unwrap_or_default();
    for (d, l) in raw_dns {
        match crate::names::dns_name(&d) {
            Ok(n) => dns.push(n),
            Err(e) => r.issues.push(ConfigIssue {
                line: l,
                message: e.to_string(),
            }),
        }
    }
    let mut ip = Vec::new();
    for (a, l) in raw_ip {
        match crate::names::ip_addr(&a) {
            Ok(x) => ip.push(x),
            Err(e) => r.issues.push(ConfigIssue {
                line: l,
                message: e.to_string(),
            }),
        }
    }
    if dns.len() + ip.len() > crate::names::MAX_SANS {
        r.issues.push(ConfigIssue {
            line,
            message: format!(
                "[[cert]] names {} DNS names and IP addresses; at most {} fit a certificate a deploy hook and certctl can carry",
                dns.len() + ip.len(),
                crate::names::MAX_SANS
            ),
        });
    }
    let kind = set_kind(r, t);
    let cn = client_fields(r, t, line, kind);
    if kind == SetKind::Client {
        // A client is named by its CN; DNS names are optional, addresses are a server's.
        if let Some(l) = r.line_of(t, "ip") {
            r.issues.push(ConfigIssue {
                line: l,
                message: "`ip` is for server sets: a client certificate names its client by `cn` (and optional `dns`)".into(),
            });
        }
    } else if t.get("dns").is_none() && t.get("ip").is_none() {
        missing(r, "dns (or ip)");
    } else if dns.is_empty() && ip.is_empty() && r.issues.len() == before {
        // `dns = []` with no ip: a certificate needs a name; say so now, not at renewal.
        r.issues.push(ConfigIssue {
            line,
            message: "[[cert]] names nothing: `dns` and `ip` are both empty".into(),
        });
    }
    let out_dir = match r.string(t, "out-dir") {
        Some((d, _)) => base.join(d),
        None => {
            missing(r, "out-dir");
            PathBuf::new()
        }
    };
    let mut days = 365u32;
    if let Some((n, l)) = r.integer(t, "days") {
        if (1..=3650).contains(&n) {
            days = n as u32;
        } else {
            r.issues.push(ConfigIssue {
                line: l,
                message: format!("`days` must be between 1 and 3650, found {n}"),
            });
        }
    }
    // Default: 30 days before expiry, or a third of the lifetime for short-lived certificates.
    let mut renew_before = if days > 90 {
        RenewBefore::Duration(30 * 86_400)
    } else {
        RenewBefore::Percent(33)
    };
    if let Some((s, l)) = r.string(t, "renew-before") {
        if let Some(p) = s.strip_suffix('%') {
            match p.trim().parse::<u8>() {
                Ok(p) if (1..=99).contains(&p) => renew_before = RenewBefore::Percent(p),
                _ => r.issues.push(ConfigIssue {
                    line: l,
                    message: format!("`renew-before` share must be 1% to 99%, found \"{s}\""),
                }),
            }
        } else {
            match crate::duration::parse(&s).map(|d| d.as_secs() as i64) {
                Ok(secs) if secs < i64::from(days) * 86_400 => renew_before = RenewBefore::Duration(secs),
                Ok(_) => r.issues.push(ConfigIssue {
                    line: l,
                    message: format!("`renew-before` \"{s}\" is not shorter than the lifetime ({days} days): every run would renew"),
                }),
                Err(e) => r.issues.push(duration_issue(l, "renew-before", e)),
            }
        }
    }
    let mut key = KeyAlg::default();
    if let Some((k, l)) = r.string(t, "key") {
        match k.parse() {
            Ok(a) => key = a,
            Err(e) => r.issues.push(ConfigIssue {
                line: l,
                message: format!("`key`: {e}"),
            }),
        }
    }
    let ca_dir = r.string(t, "ca-dir").map(|(d, _)| base.join(d));
    if kind == SetKind::Client && ca_dir.is_none() && t.get("ca-dir").is_none() {
        r.issues.push(ConfigIssue {
            line,
            message: "[[cert]] of kind \"client\" is missing `ca-dir`: a client certificate is signed by a certctl CA (`certctl ca init`), the one the backend's trust store holds".into(),
        });
    }
    let mut formats = vec![Format::Pem];
    for (f, l) in r.strings(t, "formats").unwrap_or_default() {
        match f.as_str() {
            "pem" => {}
            "haproxy" => formats.push(Format::Haproxy),
            "pkcs12" => formats.push(Format::Pkcs12),
            other => r.issues.push(ConfigIssue {
                line: l,
                message: format!("unknown format \"{other}\" (expected pem, haproxy or pkcs12)"),
            }),
        }
    }
    formats.dedup();
    let include_root = r.boolean(t, "include-root").is_some_and(|(b, _)| b);
    let p12_password_file = r.string(t, "p12-password-file").map(|(d, _)| base.join(d));
    if formats.contains(&Format::Pkcs12) && p12_password_file.is_none() {
        r.issues.push(ConfigIssue {
            line,
            message: "format pkcs12 needs `p12-password-file` (passwords never go in the config)"
                .into(),
        });
    }
    let deploy_hook = r.string(t, "deploy-hook").map(|(h, _)| h);
    let dur = |r: &mut Reader<'_>, key: &str, default: u64| -> Duration {
        match r.string(t, key) {
            Some((s, l)) => match crate::duration::parse_positive(&s) {
                Ok(d) => d,
                Err(e) => {
                    r.issues.push(duration_issue(l, key, e));
                    Duration::from_secs(default)
                }
            },
            None => Duration::from_secs(default),
        }
    };
    let hook_timeout = dur(r, "hook-timeout", 120);
    let hook_grace = dur(r, "hook-grace", 5);
    let mut hook_env_names = top_hook_env.to_vec();
    for n in hook_env(r, t) {
        if !hook_env_names.contains(&n) {
            hook_env_names.push(n);
        }
    }
    let verify_timeout = dur(r, "verify-timeout", 15);
    let verify_url = match r.string(t, "verify-url") {
        Some((u, l)) => match u.get(..8) {
            Some(p) if p.eq_ignore_ascii_case("https://") && u.len() > 8 => Some(u),
            _ => {
                r.issues.push(ConfigIssue {
                    line: l,
                    message: format!("`verify-url` must be https://host[:port], found \"{u}\""),
                });
                None
            }
        },
        None => None,
    };
    if let (SetKind::Client, Some(l)) = (kind, r.line_of(t, "verify-url")) {
        r.issues.push(ConfigIssue {
            line: l,
            message: "`verify-url` checks what a server serves; a client set has nothing served to verify".into(),
        });
    }
    let acm_arn = acm_arn(r, t, kind);
    let verify_connect_to = r.string(t, "verify-connect-to").map(|(s, _)| s);
    let verify_hostname = r.string(t, "verify-hostname").map(|(s, _)| s);
    let mut keep = 3usize;
    if let Some((n, l)) = r.integer(t, "keep") {
        if (1..=100).contains(&n) {
            keep = n as usize;
        } else {
            r.issues.push(ConfigIssue {
                line: l,
                message: format!("`keep` must be between 1 and 100, found {n}"),
            });
        }
    }
    (r.issues.len() == before).then_some(SetConfig {
        name,
        line,
        kind,
        cn,
        acm_arn,
        dns,
        ip,
        out_dir,
        days,
        renew_before,
        key,
        ca_dir,
        formats,
        include_root,
        p12_password_file,
        deploy_hook,
        hook_timeout,
        hook_grace,
        hook_env: hook_env_names,
        verify_url,
        verify_connect_to,
        verify_hostname,
        verify_timeout,
        keep,
    })
}

/// `kind = "server" | "client"` (default server).
fn set_kind(r: &mut Reader<'_>, t: &Table<'_>) -> SetKind {
    match r.string(t, "kind") {
        None => SetKind::Server,
        Some((k, _)) if k == "server" => SetKind::Server,
        Some((k, _)) if k == "client" => SetKind::Client,
        Some((k, l)) => {
            r.issues.push(ConfigIssue {
                line: l,
                message: format!(
                    "unknown kind \"{}\" (expected \"server\" or \"client\")",
                    k.escape_debug()
                ),
            });
            SetKind::Server
        }
    }
}

/// `cn`: required for a client set (at most 64 characters, no control characters, as X.509's
/// CommonName allows), refused for a server set (its CN is its first DNS name).
fn client_fields(r: &mut Reader<'_>, t: &Table<'_>, line: usize, kind: SetKind) -> Option<String> {
    let cn = r.string(t, "cn");
    match (kind, cn) {
        (SetKind::Server, Some((_, l))) => {
            r.issues.push(ConfigIssue {
                line: l,
                message: "`cn` is for client sets (kind = \"client\"); a server set's CN is its first DNS name".into(),
            });
            None
        }
        (SetKind::Server, None) => None,
        (SetKind::Client, None) => {
            r.issues.push(ConfigIssue {
                line,
                message: "[[cert]] of kind \"client\" is missing `cn` (the name the client certificate carries)".into(),
            });
            None
        }
        (SetKind::Client, Some((cn, l))) => {
            if cn.trim().is_empty() || cn.chars().count() > 64 || cn.chars().any(char::is_control) {
                r.issues.push(ConfigIssue {
                    line: l,
                    message: format!(
                        "`cn` \"{}\" must be 1 to 64 characters with no control characters",
                        cn.escape_debug()
                    ),
                });
                None
            } else {
                Some(cn)
            }
        }
    }
}

/// Whether `arn` is an ACM certificate ARN: `arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID`
/// (a 12-digit account, an id of letters, digits and `-`).
pub(crate) fn acm_arn_ok(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [a, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let token =
        |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    let id = resource.strip_prefix("certificate/").unwrap_or_default();
    a == "arn"
        && partition.starts_with("aws")
        && token(partition)
        && service == "acm"
        && token(region)
        && account.len() == 12
        && account.bytes().all(|c| c.is_ascii_digit())
        && token(id)
}

/// `acm-arn`: client sets only, an ACM certificate ARN.
fn acm_arn(r: &mut Reader<'_>, t: &Table<'_>, kind: SetKind) -> Option<String> {
    let (arn, l) = r.string(t, "acm-arn")?;
    if kind != SetKind::Client {
        r.issues.push(ConfigIssue {
            line: l,
            message: "`acm-arn` is for client sets (kind = \"client\"): the re-import keeps API Gateway's client certificate current".into(),
        });
        return None;
    }
    if !acm_arn_ok(&arn) {
        r.issues.push(ConfigIssue {
            line: l,
            message: format!(
                "`acm-arn` \"{}\" is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
                arn.escape_debug()
            ),
        });
        return None;
    }
    Some(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_parses() {
        let text = r#"
[[cert]]
name = "onprem-lb"
dns = ["lb.onprem.example.internal"]
ip = ["10.0.0.5"]
out-dir = "/etc/certctl/onprem-lb"
days = 365
renew-before = "30d"
deploy-hook = "systemctl reload nginx"
"#;
        let c = RotateConfig::parse(text, Path::new("/cfg")).unwrap();
        assert_eq!(c.sets.len(), 1);
        let s = &c.sets[0];
        assert_eq!(s.renew_before, RenewBefore::Duration(30 * 86_400));
        assert_eq!(s.out_dir, PathBuf::from("/etc/certctl/onprem-lb"));
        assert_eq!(s.key, KeyAlg::EcdsaP256);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "[[cert]]\nname = \"a\"\ndns = [\"*.*.example\", \"ok.example\"]\nip = [\"10.0.0.300\"]\nout-dir = \"x\"\ndays = 0\nrenew-before = \"soon\"\ncolour = true\n";
        let issues = RotateConfig::parse(text, Path::new(".")).unwrap_err();
        let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![3, 4, 6, 7, 8], "{issues:?}");
    }

    #[test]
    fn the_documented_template_is_valid() {
        let text = include_str!("../policies/onprem.toml");
        let c = RotateConfig::parse(text, Path::new("/etc/certctl")).unwrap();
        assert_eq!(c.sets[0].name, "onprem-lb");
        assert_eq!(c.lock_timeout, Duration::from_secs(300));
        for key in SET_KEYS {
            assert!(
                text.contains(&format!("# {key} ")) || text.contains(&format!("\n{key} = ")),
                "{key} is not documented"
            );
        }
    }

    #[test]
    fn hook_env_joins_the_top_level_list_and_the_sets_own() {
        let text = "hook-env = [\"HTTPS_PROXY\", \"AWS_PROFILE\"]\n[[cert]]\nname = \"a\"\ndns = [\"a.example\"]\nout-dir = \"a\"\nhook-env = [\"AWS_PROFILE\", \"EXTRA\"]\n[[cert]]\nname = \"b\"\ndns = [\"b.example\"]\nout-dir = \"b\"\n";
        let c = RotateConfig::parse(text, Path::new("/cfg")).unwrap();
        assert_eq!(c.sets[0].hook_env, ["HTTPS_PROXY", "AWS_PROFILE", "EXTRA"]);
        assert_eq!(c.sets[1].hook_env, ["HTTPS_PROXY", "AWS_PROFILE"]);
        assert_eq!(c.dir, Path::new("/cfg"));
        let bad = "hook-env = [\"certctl_x\"]\n[[cert]]\nname = \"a\"\ndns = [\"a.example\"]\nout-dir = \"a\"\nhook-env = [\"\", \"X=Y\"]\n";
        let issues = RotateConfig::parse(bad, Path::new("/cfg")).unwrap_err();
        assert_eq!(issues.iter().map(|i| i.line).collect::<Vec<_>>(), [1, 6, 6]);
    }

    #[test]
    fn more_names_than_a_certificate_holds_are_refused_with_the_limit() {
        let names: Vec<String> = (0..=crate::names::MAX_SANS)
            .map(|i| format!("\"h{i}.example\""))
            .collect();
        let text = format!(
            "[[cert]]\nname = \"a\"\ndns = [{}]\nout-dir = \"a\"\n",
            names.join(",")
        );
        let issues = RotateConfig::parse(&text, Path::new("/cfg")).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("at most 1000"), "{issues:?}");
        let ok = text.replacen("\"h0.example\",", "", 1);
        assert!(RotateConfig::parse(&ok, Path::new("/cfg")).is_ok());
    }

    const CLIENT: &str = "[[cert]]\nname = \"c\"\nkind = \"client\"\nout-dir = \"c\"\n";

    fn client_issues(extra: &str) -> Vec<ConfigIssue> {
        RotateConfig::parse(&format!("{CLIENT}{extra}"), Path::new("/cfg")).unwrap_err()
    }

    #[test]
    fn a_client_set_is_named_by_cn_signed_by_ca_dir_and_may_name_an_arn() {
        let arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b-2c3d";
        let text = format!(
            "{CLIENT}cn = \"apigw\"\nca-dir = \"ca\"\ndns = [\"client.example\"]\nacm-arn = \"{arn}\"\n"
        );
        let c = RotateConfig::parse(&text, Path::new("/cfg")).unwrap();
        let s = &c.sets[0];
        assert_eq!(s.kind, SetKind::Client);
        assert_eq!(s.cn.as_deref(), Some("apigw"));
        assert_eq!(s.acm_arn.as_deref(), Some(arn));
        assert_eq!(s.ca_dir.as_deref(), Some(Path::new("/cfg/ca")));
        // A server set is the default, and neither cn nor acm-arn belong to it.
        let server = "[[cert]]\nname = \"s\"\ndns = [\"s.example\"]\nout-dir = \"s\"\n";
        let c = RotateConfig::parse(server, Path::new("/cfg")).unwrap();
        assert_eq!(c.sets[0].kind, SetKind::Server);
        let bad = format!("{server}cn = \"x\"\nacm-arn = \"{arn}\"\n");
        let issues = RotateConfig::parse(&bad, Path::new("/cfg")).unwrap_err();
        assert_eq!(
            issues.iter().map(|i| i.line).collect::<Vec<_>>(),
            [5, 6],
            "{issues:?}"
        );
    }

    #[test]
    fn a_client_set_without_cn_is_refused_and_a_hostile_cn_too() {
        let issues = client_issues("ca-dir = \"ca\"\n");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(issues[0].message.contains("missing `cn`"), "{issues:?}");
        for cn in ["", "   ", "a\\u0000b", "line\\nbreak", &"x".repeat(65)] {
            let issues = client_issues(&format!("ca-dir = \"ca\"\ncn = \"{cn}\"\n"));
            assert_eq!(issues.len(), 1, "{cn:?}: {issues:?}");
            assert!(
                issues[0].message.contains("1 to 64 characters"),
                "{issues:?}"
            );
            assert!(!issues[0].message.contains('\n') && !issues[0].message.contains('\0'));
        }
    }

    #[test]
    fn a_client_set_without_ca_dir_is_refused_and_ip_and_verify_url_too() {
        let issues = client_issues("cn = \"apigw\"\n");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(issues[0].message.contains("missing `ca-dir`"), "{issues:?}");
        // Every problem at once: no CA, an address, a URL to verify.
        let issues = client_issues(
            "cn = \"apigw\"\nip = [\"10.0.0.1\"]\nverify-url = \"https://x.example\"\n",
        );
        assert_eq!(
            issues.iter().map(|i| i.line).collect::<Vec<_>>(),
            [1, 6, 7],
            "{issues:?}"
        );
    }

    #[test]
    fn a_bad_arn_is_refused_with_its_form() {
        for bad in [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:acm:eu-west-1:1234:certificate/abc",
            "arn:aws:acm:eu-west-1:123456789012:certificate/",
            "arn:aws:acm:eu-west-1:123456789012:certificate/a b",
            "arn:aws:acm:eu-west-1:123456789012:certificate/abc\\nx",
            "arn:aws:acm:eu-west-1:123456789012:certificate/../../etc",
            "not an arn",
            "",
        ] {
            let issues = client_issues(&format!(
                "cn = \"c\"\nca-dir = \"ca\"\nacm-arn = \"{bad}\"\n"
            ));
            assert_eq!(issues.len(), 1, "{bad:?}: {issues:?}");
            assert!(
                issues[0].message.contains("not an ACM certificate ARN"),
                "{issues:?}"
            );
            assert!(!issues[0].message.contains('\n'));
        }
        assert!(acm_arn_ok(
            "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a-1b"
        ));
    }

    #[test]
    fn an_unknown_kind_is_refused_and_a_hostile_one_is_escaped() {
        for (kind, shown) in [
            ("Client", "Client"),
            ("servers", "servers"),
            ("x\\u001b[31m", "x\\u{1b}[31m"),
        ] {
            let text = format!("[[cert]]\nname = \"k\"\nkind = \"{kind}\"\ndns = [\"k.example\"]\nout-dir = \"k\"\n");
            let issues = RotateConfig::parse(&text, Path::new("/cfg")).unwrap_err();
            assert_eq!(issues.len(), 1, "{issues:?}");
            assert_eq!(issues[0].line, 3);
            assert!(
                issues[0]
                    .message
                    .contains(&format!("unknown kind \"{shown}\"")),
                "{issues:?}"
            );
            assert!(!issues[0].message.contains('\u{1b}'));
        }
        let misspelt = RotateConfig::parse(
            "[[cert]]\nname = \"k\"\nknd = \"client\"\ndns = [\"k.example\"]\nout-dir = \"k\"\n",
            Path::new("/cfg"),
        )
        .unwrap_err();
        assert!(
            misspelt[0].message.contains("did you mean `kind`"),
            "{misspelt:?}"
        );
    }

    #[test]
    fn durations_and_shares() {
        assert_eq!(RenewBefore::Percent(33).seconds(300), 99);
    }
}
