//! `certctl policy check`: validate a check policy and show every code's level under it.

use std::path::Path;

use serde::Serialize;

use crate::findings::code_info;
use crate::policy::{Policy, PolicyError};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct LevelReport {
    pub(crate) code: &'static str,
    /// `deny`, `warn` or `info` (the severities `check` prints).
    pub(crate) level: &'static str,
    pub(crate) meaning: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyReport {
    pub(crate) schema_version: u32,
    pub(crate) file: String,
    pub(crate) valid: bool,
    pub(crate) min_days: u32,
    pub(crate) min_rsa_bits: u32,
    pub(crate) min_ec_bits: u32,
    pub(crate) allowed_signature_algorithms: Vec<String>,
    pub(crate) levels: Vec<LevelReport>,
}

/// A built-in policy's text (`policy show`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyText {
    pub(crate) schema_version: u32,
    /// `gateway` or `strict`.
    pub(crate) policy: &'static str,
    /// The policy file, as `check --policy FILE` and `policy check FILE` read it.
    pub(crate) toml: &'static str,
}

/// The built-in policy `name` (`strict`, else `gateway`) as TOML.
pub(crate) fn show(name: &str) -> PolicyText {
    let (policy, toml) = match name {
        "strict" => ("strict", crate::policy::STRICT_POLICY),
        _ => ("gateway", crate::policy::DEFAULT_GATEWAY_POLICY),
    };
    PolicyText {
        schema_version: 1,
        policy,
        toml,
    }
}

/// Validates `file` (or the built-in policy).
pub(crate) fn check(file: Option<&Path>) -> Result<PolicyReport, PolicyError> {
    let policy = match file {
        Some(f) => Policy::by_name_or_file(f)?,
        None => Policy::builtin(),
    };
    Ok(PolicyReport {
        schema_version: 1,
        file: file
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "built-in (policies/gateway.toml)".into()),
        valid: true,
        min_days: policy.min_days,
        min_rsa_bits: policy.min_rsa_bits,
        min_ec_bits: policy.min_ec_bits,
        allowed_signature_algorithms: policy.allowed_signature_algorithms.clone(),
        levels: policy
            .levels()
            .map(|(code, sev)| LevelReport {
                code,
                level: match sev {
                    crate::findings::Severity::Deny => "deny",
                    crate::findings::Severity::Warn => "warn",
                    crate::findings::Severity::Info => "info",
                },
                meaning: code_info(code).map(|c| c.meaning).unwrap_or(""),
            })
            .collect(),
    })
}
