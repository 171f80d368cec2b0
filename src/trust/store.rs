//! The trust stores: API Gateway's supported-CA list (embedded from `ca/`) and custom PEM stores.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;

use crate::x509::{CertInfo, Fingerprint};

/// The store of `ca/` as `build.rs` decoded it (no PEM, list or hash work at start-up): `LIST`
/// (one record per alias, in list order), `ROOTS` (each shipped root webpki takes as an
/// anchor, in `roots.pem` order), `ROOT_ALIASES` (indices into `LIST`, by root) and `BLOB`
/// (the bytes the records point into).
mod embedded {
    /// One alias of the list; text as (start, end) in `BLOB`.
    pub(super) struct ListRec {
        pub(super) alias: (u32, u32),
        pub(super) sha1: [u8; 20],
        pub(super) sha256: [u8; 32],
        pub(super) not_after: Option<i64>,
        pub(super) subject: (u32, u32),
        pub(super) shipped: bool,
    }

    /// One shipped root: DER and subject value as (start, end) in `BLOB`, its aliases as
    /// (start, end) in `ROOT_ALIASES`, and the first date the list gives it.
    pub(super) struct RootRec {
        pub(super) der: (u32, u32),
        pub(super) sha256: [u8; 32],
        pub(super) subject: (u32, u32),
        pub(super) aliases: (u32, u32),
        pub(super) not_after: Option<i64>,
    }

    include!(concat!(env!("OUT_DIR"), "/apigateway_store.rs"));

    /// Bytes `at` of the blob (empty if out of range, which build.rs never writes).
    pub(super) fn bytes(at: (u32, u32)) -> &'static [u8] {
        BLOB.get(at.0 as usize..at.1 as usize).unwrap_or_default()
    }

    /// Text `at` of the blob (build.rs wrote it from UTF-8 text).
    pub(super) fn text(at: (u32, u32)) -> String {
        String::from_utf8_lossy(bytes(at)).into_owned()
    }
}

const LIST_HEADER: &str = "alias\tsha1\tsha256\tnot_after\tsubject\tshipped";

/// Why a trust store or list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("trust list line {line}: {message}")]
    List { line: usize, message: String },
    #[error("cannot read trust store {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("trust store: {0}")]
    Input(crate::input_file::ReadError),
    #[error("trust store {path}: {message}")]
    Bad { path: PathBuf, message: String },
    #[error("the saved page has no \"Alias name:\" blocks with SHA256 lines; save the AWS page as text and try again")]
    EmptyPage,
    #[error("saved page line {line}: {message}")]
    Page { line: usize, message: String },
}

/// One alias of API Gateway's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub alias: String,
    pub sha1: Fingerprint,
    pub sha256: Fingerprint,
    /// End of the certificate's validity (UTC midnight of the listed date), when known.
    pub not_after: Option<i64>,
    pub subject: String,
    pub shipped: bool,
}

impl ListEntry {
    /// Expired at `at`, judged from the listed date (whole days; the exact instant is in the PEM).
    pub(crate) fn expired_at(&self, at: i64) -> bool {
        self.not_after.is_some_and(|t| t + 86_400 <= at)
    }
}

/// API Gateway's supported-CA list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustList {
    pub entries: Vec<ListEntry>,
}

fn parse_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

impl TrustList {
    /// The list compiled into the binary (decoded by build.rs).
    pub(crate) fn embedded() -> Result<TrustList, StoreError> {
        Ok(TrustList {
            entries: embedded::LIST.iter().map(list_entry).collect(),
        })
    }

    /// Parses the `ca/apigateway-cas.tsv` format.
    pub fn parse(text: &str) -> Result<TrustList, StoreError> {
        let mut entries = Vec::new();
        let mut seen_header = false;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let err = |message: String| StoreError::List { line: n, message };
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if !seen_header {
                if line != LIST_HEADER {
                    return Err(err(format!("expected the header \"{LIST_HEADER}\"")));
                }
                seen_header = true;
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 6 {
                return Err(err(format!(
                    "expected 6 tab-separated columns, found {}",
                    cols.len()
                )));
            }
            let fp = |s: &str, len: usize, what: &str| {
                Fingerprint::parse_hex(s)
                    .filter(|f| f.0.len() == len)
                    .ok_or_else(|| err(format!("bad {what} fingerprint \"{s}\"")))
            };
            entries.push(ListEntry {
                alias: cols[0].to_string(),
                sha1: fp(cols[1], 20, "SHA-1")?,
                sha256: fp(cols[2], 32, "SHA-256")?,
                not_after: match cols[3] {
                    "-" | "" => None,
                    d => Some(parse_date(d).ok_or_else(|| err(format!("bad date \"{d}\"")))?),
                },
                subject: if cols[4] == "-" {
                    String::new()
                } else {
                    cols[4].to_string()
                },
                shipped: match cols[5] {
                    "yes" => true,
                    "no" => false,
                    other => {
                        return Err(err(format!("shipped must be yes or no, found \"{other}\"")))
                    }
                },
            });
        }
        if !seen_header {
            return Err(StoreError::List {
                line: 1,
                message: "no header line".into(),
            });
        }
        Ok(TrustList { entries })
    }

    /// Every alias whose SHA-256 is `fp`.
    pub(crate) fn by_sha256<'a>(
        &'a self,
        fp: &'a Fingerprint,
    ) -> impl Iterator<Item = &'a ListEntry> + 'a {
        self.entries.iter().filter(move |e| &e.sha256 == fp)
    }

    pub(crate) fn by_alias(&self, alias: &str) -> Option<&ListEntry> {
        self.entries
            .iter()
            .find(|e| e.alias.eq_ignore_ascii_case(alias))
    }

    /// Serialises in the `ca/apigateway-cas.tsv` format.
    pub fn to_tsv(&self, comment: &str) -> String {
        let mut out = String::new();
        for line in comment.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(LIST_HEADER);
        out.push('\n');
        for e in &self.entries {
            let date = e
                .not_after
                .map(crate::x509::date)
                .unwrap_or_else(|| "-".into());
            let subject = if e.subject.is_empty() {
                "-"
            } else {
                &e.subject
            };
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                e.alias,
                e.sha1,
                e.sha256,
                date,
                subject.replace(['\t', '\n'], " "),
                if e.shipped { "yes" } else { "no" }
            ));
        }
        out
    }

    /// Parses a saved copy of the AWS page (as text, one field per line, or the one line a
    /// copy of the HTML page gives): blocks of `Alias name:`, `SHA1:`, `SHA256:` lines.
    /// Subjects and dates are kept from `self` where the SHA-256 is already known.
    pub fn from_aws_page(&self, text: &str) -> Result<TrustList, StoreError> {
        let mut entries: Vec<ListEntry> = Vec::new();
        let mut alias: Option<(String, usize)> = None;
        let mut sha1: Option<Fingerprint> = None;
        // A copy of the HTML page may hold every block on one line: each marker starts a
        // logical line of its own.
        let logical = text
            .lines()
            .enumerate()
            .flat_map(|(i, raw)| page_segments(raw).into_iter().map(move |seg| (i, seg)));
        for (i, raw) in logical {
            let n = i + 1;
            let line = raw.trim();
            let value = |prefix: &str| line.strip_prefix(prefix).map(str::trim);
            if let Some(a) = value("Alias name:") {
                if let Some((prev, at)) = alias.take() {
                    return Err(StoreError::Page {
                        line: at,
                        message: format!("alias \"{prev}\" has no SHA256 line"),
                    });
                }
                if a.is_empty() {
                    return Err(StoreError::Page {
                        line: n,
                        message: "empty alias name".into(),
                    });
                }
                alias = Some((a.to_string(), n));
                sha1 = None;
            } else if let Some(h) = value("SHA1:") {
                let fp = Fingerprint::parse_hex(h)
                    .filter(|f| f.0.len() == 20)
                    .ok_or_else(|| StoreError::Page {
                        line: n,
                        message: format!("bad SHA1 fingerprint \"{h}\""),
                    })?;
                sha1 = Some(fp);
            } else if let Some(h) = value("SHA256:") {
                let sha256 = Fingerprint::parse_hex(h)
                    .filter(|f| f.0.len() == 32)
                    .ok_or_else(|| StoreError::Page {
                        line: n,
                        message: format!("bad SHA256 fingerprint \"{h}\""),
                    })?;
                let Some((name, at)) = alias.take() else {
                    return Err(StoreError::Page {
                        line: n,
                        message: "SHA256 line without an \"Alias name:\" before it".into(),
                    });
                };
                let Some(sha1) = sha1.take() else {
                    return Err(StoreError::Page {
                        line: at,
                        message: format!("alias \"{name}\" has no SHA1 line"),
                    });
                };
                let known = self.by_sha256(&sha256).next();
                entries.push(ListEntry {
                    alias: name,
                    sha1,
                    not_after: known.and_then(|k| k.not_after),
                    subject: known.map(|k| k.subject.clone()).unwrap_or_default(),
                    shipped: known.is_some_and(|k| k.shipped),
                    sha256,
                });
            }
        }
        if let Some((prev, at)) = alias {
            return Err(StoreError::Page {
                line: at,
                message: format!("alias \"{prev}\" has no SHA256 line"),
            });
        }
        if entries.is_empty() {
            return Err(StoreError::EmptyPage);
        }
        entries.sort_by(|a, b| a.alias.cmp(&b.alias));
        entries.dedup_by(|a, b| a.alias == b.alias);
        Ok(TrustList { entries })
    }
}

/// A root certificate of a store, decoded but not yet parsed in full.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    pub(crate) der: CertificateDer<'static>,
    pub(crate) sha256: Fingerprint,
    /// The DER value of the subject name (without its SEQUENCE header), for issuer lookups.
    pub(crate) subject_value: Vec<u8>,
    /// Aliases of the list naming this root (empty for custom stores).
    pub(crate) aliases: Vec<String>,
    /// Known expiry from the list (API Gateway store) or the certificate (custom stores).
    pub(crate) not_after: Option<i64>,
    /// The list's entry is expired at this date (whole days).
    list_expired_day: Option<i64>,
}

impl Root {
    /// Whether this root is expired at `at`: the exact not-after is read when the list's date
    /// is the same day.
    pub(crate) fn expired_at(&self, at: i64) -> bool {
        match (self.list_expired_day, self.not_after) {
            (Some(day), _) if day + 86_400 <= at => true,
            (Some(day), _) if day > at => false,
            _ => match CertInfo::parse(&self.der) {
                Ok(info) => info.not_after < at,
                Err(_) => self.not_after.is_some_and(|t| t < at),
            },
        }
    }
}

/// Which store a check runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreKind {
    ApiGateway,
    Custom(PathBuf),
}

/// Roots to validate against, plus (for API Gateway) the list of fingerprints.
#[derive(Debug, Clone)]
pub struct TrustStore {
    pub(crate) kind: StoreKind,
    pub(crate) list: Option<TrustList>,
    pub(crate) roots: Vec<Root>,
}

impl TrustStore {
    /// The API Gateway store compiled into the binary: `ca/` as build.rs decoded it, so that
    /// nothing is parsed or hashed here (`truststore verify` recomputes the fingerprints).
    pub fn apigateway() -> Result<TrustStore, StoreError> {
        let list = TrustList::embedded()?;
        let roots = embedded::ROOTS
            .iter()
            .map(|r| {
                let (first, end) = (r.aliases.0 as usize, r.aliases.1 as usize);
                let aliases = embedded::ROOT_ALIASES
                    .get(first..end)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| list.entries.get(usize::from(*i)))
                    .map(|e| e.alias.clone())
                    .collect();
                Root {
                    der: CertificateDer::from(embedded::bytes(r.der)),
                    sha256: Fingerprint(r.sha256.to_vec()),
                    subject_value: embedded::bytes(r.subject).to_vec(),
                    aliases,
                    not_after: r.not_after,
                    list_expired_day: r.not_after,
                }
            })
            .collect();
        Ok(TrustStore {
            kind: StoreKind::ApiGateway,
            list: Some(list),
            roots,
        })
    }

    /// A custom store: one PEM/DER file or a directory of them (not recursive).
    pub(crate) fn load_custom(path: &Path) -> Result<TrustStore, StoreError> {
        let read_err = |source| StoreError::Read {
            path: path.to_path_buf(),
            source,
        };
        // A directory is listed; anything else (a file, `-`) goes to the bounded reader, which
        // refuses devices, FIFOs and sockets.
        let is_dir = !crate::input_file::is_stdin(path)
            && std::fs::metadata(path).map_err(read_err)?.is_dir();
        let files: Vec<PathBuf> = if is_dir {
            let mut v: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(read_err)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    !p.is_dir()
                        && p.extension().is_some_and(|x| {
                            matches!(x.to_str(), Some("pem" | "crt" | "cer" | "der"))
                        })
                })
                .collect();
            v.sort();
            v
        } else {
            vec![path.to_path_buf()]
        };
        let mut roots = Vec::new();
        for file in &files {
            let bytes = crate::input_file::read(file, crate::input_file::CERTIFICATES)
                .map_err(StoreError::Input)?;
            let bad = |message: String| StoreError::Bad {
                path: file.clone(),
                message,
            };
            for der in crate::pem::decode_certificates(&bytes).map_err(|e| bad(e.to_string()))? {
                let info = CertInfo::parse(&der).map_err(|e| bad(e.to_string()))?;
                let subject_value = anchor_subject(&der)
                    .ok_or_else(|| bad(format!("\"{}\" cannot be a trust anchor", info.subject)))?;
                roots.push(Root {
                    sha256: info.sha256.clone(),
                    subject_value,
                    aliases: Vec::new(),
                    not_after: Some(info.not_after),
                    list_expired_day: None,
                    der,
                });
            }
        }
        if roots.is_empty() {
            return Err(StoreError::Bad {
                path: path.to_path_buf(),
                message: "no certificates found (expected a PEM bundle or a directory of .pem/.crt files)".into(),
            });
        }
        Ok(TrustStore {
            kind: StoreKind::Custom(path.to_path_buf()),
            list: None,
            roots,
        })
    }

    /// How reports name this store.
    pub(crate) fn label(&self) -> String {
        match &self.kind {
            StoreKind::ApiGateway => "apigateway".to_string(),
            StoreKind::Custom(p) => p.display().to_string(),
        }
    }

    /// List entries naming a certificate (API Gateway store only).
    pub(crate) fn listed<'a>(&'a self, fp: &'a Fingerprint) -> Vec<&'a ListEntry> {
        match &self.list {
            Some(list) => list.by_sha256(fp).collect(),
            None => Vec::new(),
        }
    }

    /// Roots whose subject is the issuer named by `issuer_raw` (a full DER Name).
    pub(crate) fn roots_named<'a>(
        &'a self,
        issuer_raw: &'a [u8],
    ) -> impl Iterator<Item = &'a Root> + 'a {
        let value = name_value(issuer_raw);
        self.roots.iter().filter(move |r| r.subject_value == value)
    }
}

fn list_entry(r: &embedded::ListRec) -> ListEntry {
    ListEntry {
        alias: embedded::text(r.alias),
        sha1: Fingerprint(r.sha1.to_vec()),
        sha256: Fingerprint(r.sha256.to_vec()),
        not_after: r.not_after,
        subject: embedded::text(r.subject),
        shipped: r.shipped,
    }
}

fn anchor_subject(der: &CertificateDer<'_>) -> Option<Vec<u8>> {
    webpki::anchor_from_trusted_cert(der)
        .ok()
        .map(|a| a.subject.as_ref().to_vec())
}

/// The contents of a DER SEQUENCE (drops the tag and length), as webpki stores names.
pub(crate) fn name_value(raw: &[u8]) -> &[u8] {
    let Some(&len0) = raw.get(1) else {
        return raw;
    };
    let header = if len0 < 0x80 {
        2
    } else {
        2 + usize::from(len0 & 0x7f)
    };
    raw.get(header..).unwrap_or(&[])
}

/// The page's markers: each starts a field.
const PAGE_MARKERS: &[&str] = &["Alias name:", "SHA1:", "SHA256:"];

/// One physical line of a saved page, cut before every marker that does not start it.
fn page_segments(line: &str) -> Vec<&str> {
    let mut cuts: Vec<usize> = PAGE_MARKERS
        .iter()
        .flat_map(|m| line.match_indices(m).map(|(i, _)| i))
        .filter(|&i| i > 0)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        out.push(&line[start..c]);
        start = c;
    }
    out.push(&line[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_copied_onto_one_line_parses_like_the_saved_text() {
        let list = TrustList::embedded().unwrap();
        let text = "Alias name: amazonrootca1\n\t SHA1: 8D:A7:F9:65:EC:5E:FC:37:91:0F:1C:6E:59:FD:C1:CC:6A:6E:DE:16\n\t SHA256: 8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E\nAlias name: amazonrootca2\n SHA1: 5A:8C:EF:45:D7:A6:98:59:76:7A:8C:8B:44:96:B5:78:CF:47:4B:1A\n SHA256: 1B:A5:B2:AA:8C:65:40:1A:82:96:01:18:F8:0B:EC:4F:62:30:4D:83:CE:C4:71:3A:19:C3:9C:01:1E:A4:6D:B4\n";
        let one_line = text.replace('\n', " ").replace('\t', "");
        let a = list.from_aws_page(text).unwrap();
        let b = list.from_aws_page(&one_line).unwrap();
        assert_eq!(a.entries.len(), 2);
        let aliases = |l: &TrustList| {
            l.entries
                .iter()
                .map(|e| (e.alias.clone(), e.sha256.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(aliases(&a), aliases(&b));
    }

    #[test]
    fn aws_page_round_trip() {
        let page = "Alias name: amazonrootca1\n\t SHA1: 8D:A7:F9:65:EC:5E:FC:37:91:0F:1C:6E:59:FD:C1:D0:80:45:BF:E1\n\t SHA256: 8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:E9:B1:3D:4F:8B:EF:E8:24:6C:7A:C1:96:A1:2B:5D:2E:EE:5E:A5\n";
        let list = TrustList::default().from_aws_page(page).unwrap();
        assert_eq!(list.entries.len(), 1);
        let tsv = list.to_tsv("test");
        assert_eq!(TrustList::parse(&tsv).unwrap(), list);
        assert!(matches!(
            TrustList::default().from_aws_page("nothing here"),
            Err(StoreError::EmptyPage)
        ));
        assert!(matches!(
            TrustList::default().from_aws_page("Alias name: x\n SHA1: 00\n"),
            Err(StoreError::Page { .. })
        ));
    }

    #[test]
    fn embedded_list_parses() {
        let list = TrustList::embedded().unwrap();
        assert!(list.entries.len() > 300);
    }

    /// The store build.rs compiled in equals what `ca/` decodes to at run time: the list
    /// parsed from the TSV, and each root of the PEM bundle webpki takes as an anchor with
    /// its SHA-256, subject value, aliases (list order) and first listed date.
    #[test]
    fn compiled_store_equals_runtime_decoding_of_ca() {
        let list = TrustList::parse(include_str!("../../ca/apigateway-cas.tsv")).unwrap();
        assert_eq!(TrustList::embedded().unwrap(), list);
        let certs = crate::pem::decode_certificates(include_bytes!("../../ca/roots.pem")).unwrap();
        let mut expected = Vec::new();
        for der in certs {
            let sha256 = Fingerprint::sha256(der.as_ref());
            let Some(subject_value) = anchor_subject(&der) else {
                continue;
            };
            let named: Vec<&ListEntry> = list.by_sha256(&sha256).collect();
            let date = named.iter().find_map(|e| e.not_after);
            let aliases: Vec<String> = named.iter().map(|e| e.alias.clone()).collect();
            expected.push((der.to_vec(), sha256, subject_value, aliases, date));
        }
        let store = TrustStore::apigateway().unwrap();
        let got: Vec<_> = store
            .roots
            .iter()
            .map(|r| {
                assert_eq!(r.list_expired_day, r.not_after);
                (
                    r.der.to_vec(),
                    r.sha256.clone(),
                    r.subject_value.clone(),
                    r.aliases.clone(),
                    r.not_after,
                )
            })
            .collect();
        assert!(expected.len() > 100, "{}", expected.len());
        assert_eq!(got, expected);
        assert_eq!(store.list, Some(list));
    }
}
