//! Check policies: TOML (raw, spanned) → a validated `Policy`; every problem reported at once.

pub(crate) mod raw;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::findings::{code_info, Severity, CHECK_CODES};
use raw::{ConfigIssue, Reader};

/// The built-in gateway policy, `policies/gateway.toml`.
pub const DEFAULT_GATEWAY_POLICY: &str = include_str!("../../policies/gateway.toml");

/// The built-in strict lint profile, `policies/strict.toml` (`--policy strict`).
pub(crate) const STRICT_POLICY: &str = include_str!("../../policies/strict.toml");

/// `allowed-signature-algorithms` of the built-in gateway policy.
const GATEWAY_SIGNATURE_ALGORITHMS: &[&str] = &[
    "sha256WithRSAEncryption",
    "sha384WithRSAEncryption",
    "sha512WithRSAEncryption",
    "rsassaPss",
    "ecdsa-with-SHA256",
    "ecdsa-with-SHA384",
    "ecdsa-with-SHA512",
    "Ed25519",
];

/// Why a policy could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy: {0}")]
    Read(crate::input_file::ReadError),
    #[error("invalid policy {path}: {}", render_issues(.issues))]
    Invalid {
        path: PathBuf,
        issues: Vec<ConfigIssue>,
    },
}

/// `N problem(s)` (the error line); the problems themselves are [`issue_lines`], one line each.
pub(crate) fn render_issues(issues: &[ConfigIssue]) -> String {
    let n = issues.len();
    format!("{n} problem{}", if n == 1 { "" } else { "s" })
}

/// One `line N: …` text per problem, in line order (printed as `caused by:` lines).
pub(crate) fn issue_lines(issues: &[ConfigIssue]) -> Vec<String> {
    issues.iter().map(ToString::to_string).collect()
}

impl PolicyError {
    /// Every problem of an invalid policy, one line each.
    pub(crate) fn problems(&self) -> Vec<String> {
        match self {
            PolicyError::Invalid { issues, .. } => issue_lines(issues),
            PolicyError::Read(_) => Vec::new(),
        }
    }
}

/// A validated check policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) min_days: u32,
    pub(crate) min_rsa_bits: u32,
    pub(crate) min_ec_bits: u32,
    pub(crate) allowed_signature_algorithms: Vec<String>,
    /// Run the RFC 5280 / CA/B structural lints (the strict profile).
    pub(crate) lint: bool,
    levels: BTreeMap<&'static str, Severity>,
}

impl Policy {
    /// The built-in policy.
    pub fn builtin() -> Policy {
        // What `policies/gateway.toml` says, made without parsing TOML at every start; a unit
        // test parses the file and compares.
        Policy {
            allowed_signature_algorithms: GATEWAY_SIGNATURE_ALGORITHMS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ..Policy::code_defaults()
        }
    }

    fn code_defaults() -> Policy {
        Policy {
            min_days: 30,
            min_rsa_bits: 2048,
            min_ec_bits: 256,
            allowed_signature_algorithms: Vec::new(),
            lint: false,
            levels: CHECK_CODES.iter().map(|c| (c.code, c.default)).collect(),
        }
    }

    /// The built-in strict profile: the gateway policy plus the structural lints, all deny.
    pub(crate) fn strict() -> Policy {
        Policy::parse(STRICT_POLICY).unwrap_or_else(|_| {
            let mut p = Policy::code_defaults();
            p.lint = true;
            p
        })
    }

    /// `gateway` and `strict` name the built-in profiles; anything else is a policy file.
    pub(crate) fn by_name_or_file(spec: &Path) -> Result<Policy, PolicyError> {
        match spec.to_str() {
            Some("gateway") => Ok(Policy::builtin()),
            Some("strict") => Ok(Policy::strict()),
            _ => Policy::load(spec),
        }
    }

    /// Reads and validates a policy file.
    pub(crate) fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = crate::input_file::read_text(path, crate::input_file::CONFIG)
            .map_err(PolicyError::Read)?;
        Policy::parse(&text).map_err(|issues| PolicyError::Invalid {
            path: path.to_path_buf(),
            issues,
        })
    }

    /// Validates policy text; `Err` holds every issue found.
    pub fn parse(text: &str) -> Result<Policy, Vec<ConfigIssue>> {
        let doc = raw::parse(text)?;
        let top = doc.get_ref();
        let mut r = Reader::new(text);
        r.deny_unknown(
            top,
            &[
                "min-days",
                "min-rsa-bits",
                "min-ec-bits",
                "allowed-signature-algorithms",
                "lint",
                "levels",
            ],
            "",
        );
        let mut p = Policy::code_defaults();
        let range = |r: &mut Reader<'_>, key: &str, lo: i64, hi: i64, slot: &mut u32| {
            if let Some((n, line)) = r.integer(top, key) {
                if n < lo || n > hi {
                    r.issues.push(ConfigIssue {
                        line,
                        message: format!("`{key}` must be between {lo} and {hi}, found {n}"),
                    });
                } else {
                    *slot = n as u32;
                }
            }
        };
        range(&mut r, "min-days", 0, 3650, &mut p.min_days);
        range(&mut r, "min-rsa-bits", 1024, 16384, &mut p.min_rsa_bits);
        range(&mut r, "min-ec-bits", 256, 521, &mut p.min_ec_bits);
        if let Some(v) = top.get("min-ec-bits") {
            if ![256, 384, 521].contains(&p.min_ec_bits) {
                r.issue(v, "`min-ec-bits` must be 256, 384 or 521");
            }
        }
        if let Some((b, _)) = r.boolean(top, "lint") {
            p.lint = b;
        }
        if let Some(algs) = r.strings(top, "allowed-signature-algorithms") {
            p.allowed_signature_algorithms = algs.into_iter().map(|(s, _)| s).collect();
        }
        if let Some(levels) = r.table(top, "levels") {
            for (key, value) in levels.iter() {
                let name: &str = key.get_ref();
                let Some(info) = code_info(name) else {
                    r.issue(
                        key,
                        format!("unknown finding code `{name}` in [levels]; `certctl policy check` lists the codes"),
                    );
                    continue;
                };
                let level = match value.get_ref().as_str() {
                    Some("deny") => Severity::Deny,
                    Some("warn") => Severity::Warn,
                    // `allow` is the older spelling of `info`, still read.
                    Some("info" | "allow") => Severity::Info,
                    _ => {
                        r.issue(
                            value,
                            format!("level of `{name}` must be \"deny\", \"warn\" or \"info\""),
                        );
                        continue;
                    }
                };
                p.levels.insert(info.code, level);
            }
        }
        if r.issues.is_empty() {
            Ok(p)
        } else {
            r.issues.sort_by_key(|i| i.line);
            Err(r.issues)
        }
    }

    /// The severity this policy gives a finding code.
    pub(crate) fn severity(&self, code: &str) -> Severity {
        self.levels
            .get(code)
            .copied()
            .or_else(|| code_info(code).map(|c| c.default))
            .unwrap_or(Severity::Deny)
    }

    /// Every code with its level under this policy, for `policy check`.
    pub(crate) fn levels(&self) -> impl Iterator<Item = (&'static str, Severity)> + '_ {
        CHECK_CODES.iter().map(|c| (c.code, self.severity(c.code)))
    }

    /// Whether a signature algorithm is allowed (an empty list allows all).
    pub(crate) fn allows_signature(&self, alg: &str) -> bool {
        self.allowed_signature_algorithms.is_empty()
            || self.allowed_signature_algorithms.iter().any(|a| a == alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_is_valid_and_names_every_code() {
        let p = Policy::parse(DEFAULT_GATEWAY_POLICY).expect("embedded policy is valid");
        assert_eq!(
            p,
            Policy::builtin(),
            "Policy::builtin() is policies/gateway.toml"
        );
        assert_eq!(p.min_days, 30);
        for c in CHECK_CODES {
            assert!(
                DEFAULT_GATEWAY_POLICY.contains(&format!("\n{} = ", c.code)),
                "policies/gateway.toml does not name {}",
                c.code
            );
            assert_eq!(p.severity(c.code), c.default, "{}", c.code);
        }
    }

    #[test]
    fn strict_profile_is_valid_and_lints() {
        let p = Policy::parse(STRICT_POLICY).expect("embedded strict policy is valid");
        assert!(p.lint);
        assert!(!Policy::builtin().lint);
        for c in CHECK_CODES {
            assert!(
                STRICT_POLICY.contains(&format!("\n{} = ", c.code)),
                "policies/strict.toml does not name {}",
                c.code
            );
        }
    }

    #[test]
    fn all_problems_at_once() {
        let text = "min-days = -1\nmin-rsa-bits = \"big\"\ncolour = 1\n[levels]\nexpired = \"maybe\"\nnope = \"deny\"\n";
        let issues = Policy::parse(text).unwrap_err();
        let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5, 6], "{issues:?}");
    }

    #[test]
    fn levels_override() {
        let p = Policy::parse("[levels]\nexpires-soon = \"warn\"\n").unwrap();
        assert_eq!(p.severity("expires-soon"), Severity::Warn);
        assert_eq!(p.severity("expired"), Severity::Deny);
    }
}
