//! `certctl truststore list|show|export|update|verify`: the bundled API Gateway store.

use std::path::Path;

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::fsx::{self, FsError};
use crate::trust::store::{StoreError, TrustList, TrustStore};
use crate::x509::{CertInfo, Fingerprint};

/// Why a truststore command could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TruststoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no alias or fingerprint \"{0}\" in API Gateway's list")]
    NoSuchAlias(String),
    #[error(transparent)]
    Input(crate::input_file::ReadError),
    #[error(transparent)]
    Write(#[from] FsError),
    #[error("the page would remove {removed} of the {before} aliases ({percent}%), more than the {MAX_SHRINK_PERCENT}% an update may drop; is the saved page complete?")]
    Shrink {
        removed: usize,
        before: usize,
        percent: usize,
    },
}

/// The share of aliases (percent) an update may remove without `--allow-shrink`: AWS retires
/// a few roots at a time, while a truncated save of the page loses most of them.
pub(crate) const MAX_SHRINK_PERCENT: usize = 10;

impl crate::jobs::JobError for TruststoreError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            TruststoreError::Write(e) => e.exit_code(),
            TruststoreError::Input(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            TruststoreError::NoSuchAlias(_) => Some("`certctl truststore list` prints every alias".into()),
            TruststoreError::Shrink { .. } => Some(
                "save the whole page again; --allow-shrink writes the shorter list anyway".into(),
            ),
            TruststoreError::Store(StoreError::EmptyPage | StoreError::Page { .. }) => Some(
                "save the AWS page \"API Gateway-supported certificate authorities for HTTP and HTTP proxy integrations\" as plain text".into(),
            ),
            TruststoreError::Write(e) => e.hint(),
            TruststoreError::Input(e) => e.hint(),
            _ => None,
        }
    }
}

/// One alias, as `list` and `show` print it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EntryReport {
    pub(crate) alias: String,
    pub(crate) subject: String,
    pub(crate) sha1: String,
    pub(crate) sha256: String,
    pub(crate) not_after: Option<String>,
    /// `valid`, `expired` (listed by AWS but unusable) or `fingerprint-only` (no PEM shipped:
    /// accepted only when a server presents a certificate with this SHA-256).
    pub(crate) status: &'static str,
    pub(crate) shipped: bool,
}

fn entry_report(e: &crate::trust::store::ListEntry, at: i64) -> EntryReport {
    EntryReport {
        alias: e.alias.clone(),
        subject: e.subject.clone(),
        sha1: e.sha1.colon_hex(),
        sha256: e.sha256.colon_hex(),
        not_after: e.not_after.map(crate::x509::date),
        status: if e.expired_at(at) {
            "expired"
        } else if !e.shipped {
            "fingerprint-only"
        } else {
            "valid"
        },
        shipped: e.shipped,
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListReport {
    pub(crate) schema_version: u32,
    pub(crate) at: String,
    pub(crate) aliases: usize,
    pub(crate) distinct_certificates: usize,
    pub(crate) shipped_roots: usize,
    pub(crate) expired: usize,
    pub(crate) fingerprint_only: usize,
    pub(crate) entries: Vec<EntryReport>,
}

pub(crate) fn list(at: i64) -> Result<ListReport, TruststoreError> {
    let store = TrustStore::apigateway()?;
    let list = store.list.clone().unwrap_or_default();
    let entries: Vec<EntryReport> = list.entries.iter().map(|e| entry_report(e, at)).collect();
    let mut distinct: Vec<&Fingerprint> = list.entries.iter().map(|e| &e.sha256).collect();
    distinct.sort();
    distinct.dedup();
    Ok(ListReport {
        schema_version: 1,
        at: crate::x509::rfc3339(at),
        aliases: entries.len(),
        distinct_certificates: distinct.len(),
        shipped_roots: store.roots.len(),
        expired: entries.iter().filter(|e| e.status == "expired").count(),
        fingerprint_only: entries.iter().filter(|e| !e.shipped).count(),
        entries,
    })
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ShowReport {
    pub(crate) schema_version: u32,
    pub(crate) entry: EntryReport,
    /// Other aliases for the same certificate.
    pub(crate) same_certificate: Vec<String>,
    pub(crate) certificate: Option<CertInfo>,
    #[serde(skip)]
    pub(crate) pem: Option<String>,
}

pub(crate) fn show(alias: &str, at: i64) -> Result<ShowReport, TruststoreError> {
    let store = TrustStore::apigateway()?;
    let list = store.list.clone().unwrap_or_default();
    let entry = list
        .by_alias(alias)
        .or_else(|| {
            Fingerprint::parse_hex(alias)
                .and_then(|fp| list.entries.iter().find(|e| e.sha256 == fp || e.sha1 == fp))
        })
        .ok_or_else(|| TruststoreError::NoSuchAlias(alias.to_string()))?;
    let root = store.roots.iter().find(|r| r.sha256 == entry.sha256);
    let certificate = root.and_then(|r| CertInfo::parse(&r.der).ok());
    Ok(ShowReport {
        schema_version: 1,
        entry: entry_report(entry, at),
        same_certificate: list
            .by_sha256(&entry.sha256)
            .filter(|e| e.alias != entry.alias)
            .map(|e| e.alias.clone())
            .collect(),
        pem: root.map(|r| crate::pem::encode_certificate(r.der.as_ref())),
        certificate,
    })
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExportReport {
    pub(crate) schema_version: u32,
    pub(crate) out: Option<String>,
    pub(crate) exported: usize,
    pub(crate) skipped_expired: usize,
    #[serde(skip)]
    pub(crate) bundle: String,
}

/// The shipped roots as one PEM bundle (written to `out`, or returned for stdout).
pub(crate) fn export(
    out: Option<&Path>,
    include_expired: bool,
    at: i64,
) -> Result<ExportReport, TruststoreError> {
    let store = TrustStore::apigateway()?;
    let mut bundle = String::new();
    let (mut exported, mut skipped) = (0, 0);
    for r in &store.roots {
        if !include_expired && r.expired_at(at) {
            skipped += 1;
            continue;
        }
        bundle.push_str(&format!(
            "# {}\n# sha256: {}\n",
            r.aliases.join(", "),
            r.sha256
        ));
        bundle.push_str(&crate::pem::encode_certificate(r.der.as_ref()));
        exported += 1;
    }
    if let Some(path) = out {
        fsx::write_atomic(path, bundle.as_bytes(), 0o644)?;
    }
    Ok(ExportReport {
        schema_version: 1,
        out: out.map(|p| p.display().to_string()),
        exported,
        skipped_expired: skipped,
        bundle,
    })
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpdateReport {
    pub(crate) schema_version: u32,
    pub(crate) from: String,
    pub(crate) out: String,
    pub(crate) written: bool,
    pub(crate) aliases: usize,
    pub(crate) added: Vec<String>,
    pub(crate) removed: Vec<String>,
    /// Aliases whose fingerprint changed.
    pub(crate) changed: Vec<String>,
    /// New fingerprints with no PEM shipped yet (run the refresh example to add them).
    pub(crate) without_pem: Vec<String>,
}

/// How `update` may change the list.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UpdateOptions {
    /// Report what would change; write nothing.
    pub(crate) dry_run: bool,
    /// Write even when the page drops more than [`MAX_SHRINK_PERCENT`] of the aliases.
    pub(crate) allow_shrink: bool,
}

/// Parses a saved AWS page and writes the refreshed list to `out` (the list it refreshes: `out`
/// when it exists, else the embedded one). Refuses to drop more than [`MAX_SHRINK_PERCENT`] of
/// the aliases unless `allow_shrink`.
pub(crate) fn update(
    from: &Path,
    out: &Path,
    options: UpdateOptions,
) -> Result<UpdateReport, TruststoreError> {
    let UpdateOptions {
        dry_run,
        allow_shrink,
    } = options;
    use crate::input_file::{self, ReadError, SAVED_PAGE};
    let text = input_file::read_text(from, SAVED_PAGE).map_err(TruststoreError::Input)?;
    let current = match input_file::read_text(out, SAVED_PAGE) {
        Ok(t) => TrustList::parse(&t)?,
        Err(ReadError::NotFound { .. }) => TrustList::embedded()?,
        Err(e) => return Err(TruststoreError::Input(e)),
    };
    let fresh = current.from_aws_page(&text)?;
    let names =
        |l: &TrustList| -> Vec<String> { l.entries.iter().map(|e| e.alias.clone()).collect() };
    let (old, new) = (names(&current), names(&fresh));
    let added: Vec<String> = new.iter().filter(|a| !old.contains(a)).cloned().collect();
    let removed: Vec<String> = old.iter().filter(|a| !new.contains(a)).cloned().collect();
    let changed = fresh
        .entries
        .iter()
        .filter(|e| {
            current
                .by_alias(&e.alias)
                .is_some_and(|c| c.sha256 != e.sha256)
        })
        .map(|e| e.alias.clone())
        .collect();
    let percent = removed.len() * 100 / old.len().max(1);
    if !allow_shrink && percent > MAX_SHRINK_PERCENT {
        return Err(TruststoreError::Shrink {
            removed: removed.len(),
            before: old.len(),
            percent,
        });
    }
    let without_pem = fresh
        .entries
        .iter()
        .filter(|e| !e.shipped && current.by_sha256(&e.sha256).next().is_none())
        .map(|e| e.alias.clone())
        .collect();
    let write = !dry_run && fresh != current;
    if write {
        let comment = "API Gateway supported certificate authorities (HTTP, HTTP proxy and VPC-link integrations).\nSource: the API Gateway developer guide page \"API Gateway-supported certificate authorities for\nHTTP and HTTP proxy integrations\". Refresh: certctl truststore update --from <saved page>.";
        fsx::write_atomic(out, fresh.to_tsv(comment).as_bytes(), 0o644)?;
    }
    Ok(UpdateReport {
        schema_version: 1,
        from: from.display().to_string(),
        out: out.display().to_string(),
        written: write,
        aliases: fresh.entries.len(),
        added,
        removed,
        changed,
        without_pem,
    })
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct VerifyItem {
    pub(crate) sha256: String,
    pub(crate) subject: String,
    pub(crate) aliases: Vec<String>,
    /// `ok`, `not-listed` (a PEM with no alias), `sha1-mismatch`, or `unparseable`.
    pub(crate) status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct VerifyReport {
    pub(crate) schema_version: u32,
    pub(crate) roots: usize,
    pub(crate) mismatches: usize,
    /// Aliases marked shipped whose PEM is missing from the bundle.
    pub(crate) missing_pem: Vec<String>,
    pub(crate) items: Vec<VerifyItem>,
}

impl VerifyReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.mismatches > 0 || !self.missing_pem.is_empty())
    }
}

/// Recomputes every shipped root's SHA-256 and SHA-1 against the list.
pub(crate) fn verify() -> Result<VerifyReport, TruststoreError> {
    let store = TrustStore::apigateway()?;
    let list = store.list.clone().unwrap_or_default();
    let mut items = Vec::new();
    for r in &store.roots {
        let sha256 = Fingerprint::sha256(r.der.as_ref());
        let sha1 = Fingerprint::sha1(r.der.as_ref());
        let entries: Vec<_> = list.by_sha256(&sha256).collect();
        let status = if CertInfo::parse(&r.der).is_err() {
            "unparseable"
        } else if entries.is_empty() {
            "not-listed"
        } else if entries.iter().any(|e| e.sha1 != sha1) {
            "sha1-mismatch"
        } else {
            "ok"
        };
        items.push(VerifyItem {
            sha256: sha256.colon_hex(),
            subject: entries
                .first()
                .map(|e| e.subject.clone())
                .unwrap_or_default(),
            aliases: entries.iter().map(|e| e.alias.clone()).collect(),
            status,
        });
    }
    let missing_pem = list
        .entries
        .iter()
        .filter(|e| e.shipped && !store.roots.iter().any(|r| r.sha256 == e.sha256))
        .map(|e| e.alias.clone())
        .collect();
    Ok(VerifyReport {
        schema_version: 1,
        roots: items.len(),
        mismatches: items.iter().filter(|i| i.status != "ok").count(),
        missing_pem,
        items,
    })
}
