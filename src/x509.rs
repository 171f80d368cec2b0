//! Parses certificates once (x509-parser) into owned summaries: `CertInfo`, `Fingerprint`, `KeyInfo`.

use std::fmt;
use std::net::IpAddr;

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Why a DER blob is not a certificate certctl can read.
#[derive(Debug, thiserror::Error)]
pub enum X509Error {
    #[error("not a valid X.509 certificate: {0}")]
    Malformed(String),
    #[error("not a valid X.509 certificate: {0} bytes of trailing data after it")]
    TrailingData(usize),
}

/// A SHA-256 or SHA-1 digest of a certificate's DER.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub(crate) Vec<u8>);

impl Fingerprint {
    pub fn sha256(der: &[u8]) -> Self {
        Fingerprint(
            ring::digest::digest(&ring::digest::SHA256, der)
                .as_ref()
                .to_vec(),
        )
    }

    pub(crate) fn sha1(der: &[u8]) -> Self {
        Fingerprint(
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                .as_ref()
                .to_vec(),
        )
    }

    /// Parses `AB:CD:…` or `abcd…` (case-insensitive, colons and spaces optional).
    pub fn parse_hex(s: &str) -> Option<Self> {
        let digits: Vec<u8> = s.bytes().filter(|b| !matches!(b, b':' | b' ')).collect();
        if digits.is_empty() || !digits.len().is_multiple_of(2) {
            return None;
        }
        let nibble = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
        digits
            .chunks(2)
            .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
            .collect::<Option<Vec<u8>>>()
            .map(Fingerprint)
    }

    /// Upper-case hex with colons, as AWS and openssl print fingerprints.
    pub fn colon_hex(&self) -> String {
        hex_join(&self.0, ":", true)
    }

    /// The first 8 bytes, lower-case, for tables.
    pub(crate) fn short(&self) -> String {
        hex_join(&self.0[..self.0.len().min(8)], "", false)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.colon_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.colon_hex())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.colon_hex())
    }
}

/// Hex of `bytes` joined by `sep`.
pub(crate) fn hex_join(bytes: &[u8], sep: &str, upper: bool) -> String {
    let digits = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut s = String::with_capacity(bytes.len() * (2 + sep.len()));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push(char::from(digits[usize::from(b >> 4)]));
        s.push(char::from(digits[usize::from(b & 15)]));
    }
    s
}

/// The public key of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum KeyInfo {
    Rsa { bits: u32 },
    Ec { curve: String, bits: u32 },
    Ed25519,
    Other { oid: String },
}

impl KeyInfo {
    /// Short display form: `RSA 2048`, `EC P-256`, `Ed25519`.
    pub(crate) fn label(&self) -> String {
        match self {
            KeyInfo::Rsa { bits } => format!("RSA {bits}"),
            KeyInfo::Ec { curve, .. } => format!("EC {curve}"),
            KeyInfo::Ed25519 => "Ed25519".to_string(),
            KeyInfo::Other { oid } => format!("unknown key ({oid})"),
        }
    }
}

/// An owned summary of one certificate: everything certctl's checks and reports need.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub(crate) subject: String,
    pub(crate) issuer: String,
    #[serde(skip)]
    pub(crate) subject_raw: Vec<u8>,
    #[serde(skip)]
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub(crate) common_name: Option<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub(crate) key: KeyInfo,
    pub(crate) signature_algorithm: String,
    /// The DER, printed as its SHA-1 fingerprint (computed only when printed: see
    /// [`CertInfo::sha1`]).
    #[serde(rename = "sha1", serialize_with = "sha1_of")]
    pub(crate) der: Vec<u8>,
    pub sha256: Fingerprint,
    pub(crate) subject_key_id: Option<String>,
    pub(crate) authority_key_id: Option<String>,
    /// `Some(ca)` when the basicConstraints extension is present.
    pub(crate) basic_constraints_ca: Option<bool>,
    /// Whether the basicConstraints extension, when present, is marked critical.
    #[serde(skip)]
    pub(crate) basic_constraints_critical: bool,
    pub(crate) path_len: Option<u32>,
    /// Key usage bits by name; `None` when the extension is absent.
    pub(crate) key_usage: Option<Vec<String>>,
    /// Extended key usages by name; `None` when the extension is absent.
    pub(crate) extended_key_usage: Option<Vec<String>>,
    pub(crate) ca_issuers: Vec<String>,
    /// The subjectPublicKey bits (RSAPublicKey DER or EC point), to match a private key.
    #[serde(skip)]
    pub(crate) public_key: Vec<u8>,
}

fn sha1_of<S: serde::Serializer>(der: &[u8], s: S) -> Result<S::Ok, S::Error> {
    Fingerprint::sha1(der).serialize(s)
}

impl CertInfo {
    /// The SHA-1 fingerprint (only printed, so not computed at parse time).
    pub(crate) fn sha1(&self) -> Fingerprint {
        Fingerprint::sha1(&self.der)
    }

    /// Parses one DER certificate. Never panics on hostile input.
    pub fn parse(der: &CertificateDer<'_>) -> Result<CertInfo, X509Error> {
        let bytes = der.as_ref();
        let (rest, cert) = X509Certificate::from_der(bytes)
            .map_err(|e| X509Error::Malformed(short_nom_error(&e.to_string())))?;
        if !rest.is_empty() {
            return Err(X509Error::TrailingData(rest.len()));
        }
        let mut info = CertInfo {
            subject: name_string(cert.subject()),
            issuer: name_string(cert.issuer()),
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            serial: hex_join(cert.raw_serial(), ":", false),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            common_name: cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_string),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            key: key_info(&cert),
            signature_algorithm: sig_alg_name(&cert.signature_algorithm.algorithm.to_id_string()),
            sha256: Fingerprint::sha256(bytes),
            subject_key_id: None,
            authority_key_id: None,
            basic_constraints_ca: None,
            basic_constraints_critical: false,
            path_len: None,
            key_usage: None,
            extended_key_usage: None,
            ca_issuers: Vec::new(),
            der: bytes.to_vec(),
            public_key: cert.public_key().subject_public_key.data.to_vec(),
        };
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(d) => info.dns_names.push(d.to_string()),
                            GeneralName::IPAddress(ip) => {
                                if let Some(addr) = ip_from_bytes(ip) {
                                    info.ip_addresses.push(addr);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::SubjectKeyIdentifier(k) => {
                    info.subject_key_id = Some(hex_join(k.0, ":", false));
                }
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    info.authority_key_id =
                        a.key_identifier.as_ref().map(|k| hex_join(k.0, ":", false));
                }
                ParsedExtension::BasicConstraints(bc) => {
                    info.basic_constraints_ca = Some(bc.ca);
                    info.basic_constraints_critical = ext.critical;
                    info.path_len = bc.path_len_constraint;
                }
                ParsedExtension::KeyUsage(ku) => {
                    let names = [
                        (ku.digital_signature(), "digitalSignature"),
                        (ku.non_repudiation(), "nonRepudiation"),
                        (ku.key_encipherment(), "keyEncipherment"),
                        (ku.data_encipherment(), "dataEncipherment"),
                        (ku.key_agreement(), "keyAgreement"),
                        (ku.key_cert_sign(), "keyCertSign"),
                        (ku.crl_sign(), "cRLSign"),
                        (ku.encipher_only(), "encipherOnly"),
                        (ku.decipher_only(), "decipherOnly"),
                    ];
                    info.key_usage = Some(
                        names
                            .iter()
                            .filter(|(on, _)| *on)
                            .map(|(_, n)| n.to_string())
                            .collect(),
                    );
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut names: Vec<String> = [
                        (eku.any, "anyExtendedKeyUsage"),
                        (eku.server_auth, "serverAuth"),
                        (eku.client_auth, "clientAuth"),
                        (eku.code_signing, "codeSigning"),
                        (eku.email_protection, "emailProtection"),
                        (eku.time_stamping, "timeStamping"),
                        (eku.ocsp_signing, "OCSPSigning"),
                    ]
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| n.to_string())
                    .collect();
                    names.extend(eku.other.iter().map(|o| o.to_id_string()));
                    info.extended_key_usage = Some(names);
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for desc in aia.iter() {
                        if desc.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2" {
                            if let GeneralName::URI(uri) = desc.access_location {
                                info.ca_issuers.push(uri.to_string());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// Subject equals issuer (a root or a self-signed leaf).
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
            && match (&self.subject_key_id, &self.authority_key_id) {
                (Some(s), Some(a)) => s == a,
                _ => true,
            }
    }

    /// basicConstraints says CA.
    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints_ca == Some(true)
    }

    /// Whether `issuer` could have issued this certificate (name chaining and key ids).
    pub fn issued_by(&self, issuer: &CertInfo) -> bool {
        self.issuer_raw == issuer.subject_raw
            && match (&self.authority_key_id, &issuer.subject_key_id) {
                (Some(a), Some(s)) => a == s,
                _ => true,
            }
    }

    /// Days from `at` to not-after, rounded down (negative when expired).
    pub(crate) fn days_left(&self, at: i64) -> i64 {
        days_until(self.not_after, at)
    }

    /// A short display name: the CN, else the whole subject.
    /// The subject as text (RFC 4514 order).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The subject's DER, as issuers are matched.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_raw
    }

    pub(crate) fn display_name(&self) -> &str {
        self.common_name.as_deref().unwrap_or(&self.subject)
    }

    /// Signature uses SHA-1 (or MD5), which API Gateway's and modern clients reject.
    pub(crate) fn has_weak_signature_hash(&self) -> bool {
        let s = self.signature_algorithm.to_ascii_lowercase();
        s.contains("sha1") || s.contains("md5") || s.contains("md2")
    }
}

fn short_nom_error(s: &str) -> String {
    s.chars().take(120).collect()
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let m = rsa.modulus;
            let first = m.iter().position(|b| *b != 0).unwrap_or(m.len());
            let m = &m[first..];
            let bits = match m.first() {
                Some(top) => (m.len() as u32) * 8 - top.leading_zeros(),
                None => 0,
            };
            KeyInfo::Rsa { bits }
        }
        Ok(PublicKey::EC(_)) => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            let (curve, bits) = match curve_oid.as_str() {
                "1.2.840.10045.3.1.7" => ("P-256".to_string(), 256),
                "1.3.132.0.34" => ("P-384".to_string(), 384),
                "1.3.132.0.35" => ("P-521".to_string(), 521),
                "1.2.840.10045.3.1.1" => ("P-192".to_string(), 192),
                "1.3.132.0.33" => ("P-224".to_string(), 224),
                "1.3.132.0.10" => ("secp256k1".to_string(), 256),
                other => (format!("curve {other}"), 0),
            };
            KeyInfo::Ec { curve, bits }
        }
        _ if alg == "1.3.101.112" => KeyInfo::Ed25519,
        _ => KeyInfo::Other { oid: alg },
    }
}

/// Common name of a signature algorithm OID; the dotted OID when unknown.
pub(crate) fn sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "1.3.101.112" => "Ed25519",
        other => return other.to_string(),
    }
    .to_string()
}

/// Whole days from `at` to `t`, rounded down: `floor((t - at) / 86400)`. The one day-count
/// rule of every command (days left, "expired N days ago" with N = minus this, metrics):
/// negative exactly when `t` has passed (-1 during the first day after it).
pub(crate) fn days_until(t: i64, at: i64) -> i64 {
    (t - at).div_euclid(86_400)
}

/// Formats a Unix timestamp as RFC 3339 UTC (`2026-01-02T03:04:05Z`).
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

/// The date part of a timestamp (`2026-01-02`).
pub(crate) fn date(ts: i64) -> String {
    rfc3339(ts).chars().take(10).collect()
}

/// One name of a subjectAltName or a name-constraints subtree, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AltName {
    Dns(String),
    /// 4 or 16 bytes for a SAN; 8 or 32 (address and mask) for a name constraint.
    Ip(Vec<u8>),
    /// The DER of the Name.
    Directory(Vec<u8>),
    Email(String),
    Uri(String),
    OtherName,
    /// Anything else, or an entry that did not decode.
    Other,
}

/// Name constraints: (permitted, excluded) subtrees, each `None` when absent.
pub(crate) type NameConstraintsInfo = (Option<Vec<AltName>>, Option<Vec<AltName>>);

/// One extension: OID (dotted), criticality and whether x509-parser could decode it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtensionInfo {
    pub(crate) oid: String,
    pub(crate) critical: bool,
    pub(crate) parsed: bool,
}

/// The structural details path validation and linting need beyond `CertInfo`: raw signed bytes,
/// algorithms, every extension, names and name constraints. Owned, so no x509-parser type leaves
/// this module.
#[derive(Debug, Clone)]
pub(crate) struct CertDetail {
    /// 1, 2 or 3.
    pub(crate) version: u32,
    pub(crate) tbs: Vec<u8>,
    pub(crate) signature: Vec<u8>,
    /// The outer signatureAlgorithm OID and its parameters' DER (empty when absent).
    pub(crate) sig_alg_oid: String,
    /// The signature algorithm inside the TBS equals the outer one (OID and parameters).
    pub(crate) sig_alg_consistent: bool,
    pub(crate) spki_alg_oid: String,
    /// The contents of the outer signatureAlgorithm and of the SPKI's AlgorithmIdentifier
    /// (OID and parameters' DER), as rustls-webpki compares them with its algorithms.
    pub(crate) sig_alg_id: Vec<u8>,
    pub(crate) spki_alg_id: Vec<u8>,
    /// The SPKI algorithm parameters' DER (empty when absent): the named curve OID for EC.
    pub(crate) spki_params: Vec<u8>,
    pub(crate) raw_serial: Vec<u8>,
    pub(crate) subject_empty: bool,
    pub(crate) issuer_empty: bool,
    /// The subject's common names in DER order.
    pub(crate) subject_cns: Vec<String>,
    /// The subject as Java's `X500Principal.toString()` prints it (most specific RDN first).
    pub(crate) subject_java: String,
    pub(crate) extensions: Vec<ExtensionInfo>,
    /// `None` when there is no subjectAltName or it did not decode.
    pub(crate) san: Option<Vec<AltName>>,
    pub(crate) san_critical: bool,
    /// Name constraints, when the extension is present.
    pub(crate) name_constraints: Option<NameConstraintsInfo>,
    pub(crate) has_duplicate_extensions: bool,
    /// The RSA modulus length in bits, when RSA.
    pub(crate) rsa_bits: Option<u32>,
    /// The DSA key's prime length in bits, when DSA.
    pub(crate) dsa_bits: Option<u32>,
    /// authorityKeyIdentifier: (keyIdentifier, has authorityCertIssuer, has serial).
    pub(crate) aki: Option<(Option<Vec<u8>>, bool, bool)>,
    pub(crate) ski: Option<Vec<u8>>,
}

fn owned_name(name: &GeneralName<'_>) -> AltName {
    match name {
        GeneralName::DNSName(d) => AltName::Dns(d.to_string()),
        GeneralName::IPAddress(ip) => AltName::Ip(ip.to_vec()),
        GeneralName::DirectoryName(n) => AltName::Directory(n.as_raw().to_vec()),
        GeneralName::RFC822Name(e) => AltName::Email(e.to_string()),
        GeneralName::URI(u) => AltName::Uri(u.to_string()),
        GeneralName::OtherName(..) => AltName::OtherName,
        _ => AltName::Other,
    }
}

impl CertDetail {
    /// Parses the details of one DER certificate. Never panics on hostile input.
    pub(crate) fn parse(der: &[u8]) -> Result<CertDetail, X509Error> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| X509Error::Malformed(short_nom_error(&e.to_string())))?;
        if !rest.is_empty() {
            return Err(X509Error::TrailingData(rest.len()));
        }
        let params_der = |p: Option<&x509_parser::der_parser::asn1_rs::Any<'_>>| {
            p.map(|a| {
                let mut v = Vec::new();
                let _ = x509_parser::der_parser::asn1_rs::ToDer::write_der(a, &mut v);
                v
            })
            .unwrap_or_default()
        };
        let outer = &cert.signature_algorithm;
        let inner = &cert.tbs_certificate.signature;
        let spki = cert.public_key();
        let alg_id = |a: &x509_parser::x509::AlgorithmIdentifier<'_>| {
            let mut v = x509_parser::der_parser::asn1_rs::ToDer::to_der_vec(&a.algorithm)
                .unwrap_or_default();
            v.extend(params_der(a.parameters.as_ref()));
            v
        };
        let mut d = CertDetail {
            sig_alg_id: alg_id(outer),
            spki_alg_id: alg_id(&spki.algorithm),
            version: cert.version().0 + 1,
            tbs: cert.tbs_certificate.as_ref().to_vec(),
            signature: cert.signature_value.data.to_vec(),
            sig_alg_oid: outer.algorithm.to_id_string(),
            sig_alg_consistent: outer.algorithm == inner.algorithm
                && params_der(outer.parameters.as_ref()) == params_der(inner.parameters.as_ref()),
            spki_alg_oid: spki.algorithm.algorithm.to_id_string(),
            spki_params: params_der(spki.algorithm.parameters.as_ref()),
            raw_serial: cert.raw_serial().to_vec(),
            subject_empty: cert.subject().iter_attributes().next().is_none(),
            issuer_empty: cert.issuer().iter_attributes().next().is_none(),
            subject_cns: cert
                .subject()
                .iter_common_name()
                .map(|cn| cn.as_str().map(str::to_string).unwrap_or_default())
                .collect(),
            subject_java: java_name(cert.subject()),
            extensions: Vec::new(),
            san: None,
            san_critical: false,
            name_constraints: None,
            has_duplicate_extensions: false,
            rsa_bits: None,
            dsa_bits: None,
            aki: None,
            ski: None,
        };
        match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => {
                let m = rsa.modulus;
                let first = m.iter().position(|b| *b != 0).unwrap_or(m.len());
                let m = &m[first..];
                d.rsa_bits = Some(match m.first() {
                    Some(top) => (m.len() as u32) * 8 - top.leading_zeros(),
                    None => 0,
                });
            }
            Ok(PublicKey::DSA(_)) | Err(_) if d.spki_alg_oid == "1.2.840.10040.4.1" => {
                // Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER }
                d.dsa_bits = dsa_prime_bits(&d.spki_params);
            }
            _ => {}
        }
        let mut seen = std::collections::BTreeSet::new();
        for ext in cert.extensions() {
            let oid = ext.oid.to_id_string();
            if !seen.insert(oid.clone()) {
                d.has_duplicate_extensions = true;
            }
            let parsed = !matches!(
                ext.parsed_extension(),
                ParsedExtension::ParseError { .. } | ParsedExtension::UnsupportedExtension { .. }
            );
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    d.san = Some(san.general_names.iter().map(owned_name).collect());
                    d.san_critical = ext.critical;
                }
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    d.aki = Some((
                        a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                        a.authority_cert_issuer.is_some(),
                        a.authority_cert_serial.is_some(),
                    ));
                }
                ParsedExtension::SubjectKeyIdentifier(k) => d.ski = Some(k.0.to_vec()),
                ParsedExtension::NameConstraints(nc) => {
                    let list = |s: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                        s.as_ref()
                            .map(|v| v.iter().map(|t| owned_name(&t.base)).collect())
                    };
                    d.name_constraints =
                        Some((list(&nc.permitted_subtrees), list(&nc.excluded_subtrees)));
                }
                _ => {}
            }
            d.extensions.push(ExtensionInfo {
                oid,
                critical: ext.critical,
                parsed,
            });
        }
        Ok(d)
    }

    /// The extension with this dotted OID.
    pub(crate) fn extension(&self, oid: &str) -> Option<&ExtensionInfo> {
        self.extensions.iter().find(|e| e.oid == oid)
    }
}

/// A Name the way Java's `X500Principal.toString()` prints it: RDNs most specific first.
/// A name as x509-parser prints it (`Display`). Its printer abbreviates CN, C, L, ST, O, OU,
/// DC and Email itself and looks every other attribute type up in a registry of every OID it
/// knows, built on first use (a measurable part of a short command's run); a name of those
/// eight types alone is printed the same way with an empty registry.
fn name_string(name: &x509_parser::x509::X509Name<'_>) -> String {
    use x509_parser::oid_registry::{
        OidRegistry, OID_DOMAIN_COMPONENT, OID_PKCS9_EMAIL_ADDRESS, OID_X509_COMMON_NAME,
        OID_X509_COUNTRY_NAME, OID_X509_LOCALITY_NAME, OID_X509_ORGANIZATIONAL_UNIT,
        OID_X509_ORGANIZATION_NAME, OID_X509_STATE_OR_PROVINCE_NAME,
    };
    let abbreviated = [
        OID_X509_COMMON_NAME,
        OID_X509_COUNTRY_NAME,
        OID_X509_LOCALITY_NAME,
        OID_X509_STATE_OR_PROVINCE_NAME,
        OID_X509_ORGANIZATION_NAME,
        OID_X509_ORGANIZATIONAL_UNIT,
        OID_DOMAIN_COMPONENT,
        OID_PKCS9_EMAIL_ADDRESS,
    ];
    if name
        .iter_attributes()
        .all(|a| abbreviated.contains(a.attr_type()))
    {
        if let Ok(s) = name.to_string_with_registry(&OidRegistry::default()) {
            return s;
        }
    }
    name.to_string()
}

fn java_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|a| {
                    let oid = a.attr_type().to_id_string();
                    let key = match oid.as_str() {
                        "2.5.4.3" => "CN".to_string(),
                        "2.5.4.6" => "C".to_string(),
                        "2.5.4.7" => "L".to_string(),
                        "2.5.4.8" => "ST".to_string(),
                        "2.5.4.10" => "O".to_string(),
                        "2.5.4.11" => "OU".to_string(),
                        "2.5.4.9" => "STREET".to_string(),
                        "0.9.2342.19200300.100.1.25" => "DC".to_string(),
                        "0.9.2342.19200300.100.1.1" => "UID".to_string(),
                        "1.2.840.113549.1.9.1" => "EMAILADDRESS".to_string(),
                        "2.5.4.5" => "SERIALNUMBER".to_string(),
                        other => format!("OID.{other}"),
                    };
                    let value = a.as_str().map(str::to_string).unwrap_or_else(|_| {
                        format!("#{}", hex_join(a.attr_value().data, "", false))
                    });
                    let quoted = if value.contains([',', '+', '"', '<', '>', ';', '='])
                        || value.starts_with(' ')
                        || value.ends_with(' ')
                    {
                        format!("\"{}\"", value.replace('"', "\\\""))
                    } else {
                        value
                    };
                    format!("{key}={quoted}")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    rdns.reverse();
    rdns.join(", ")
}

/// Bit length of the first INTEGER of a DER SEQUENCE (DSA's p).
fn dsa_prime_bits(params: &[u8]) -> Option<u32> {
    let (_, any) = x509_parser::der_parser::asn1_rs::Any::from_der(params).ok()?;
    let (_, p) = x509_parser::der_parser::asn1_rs::Any::from_der(any.data).ok()?;
    let bytes = p.data;
    let first = bytes.iter().position(|b| *b != 0)?;
    let m = &bytes[first..];
    Some((m.len() as u32) * 8 - m[0].leading_zeros())
}

/// One DER element at the start of `bytes`: (tag, header length, content length). Only what
/// certificates and PKCS#7 use: a one-byte tag and a definite length of at most 4 bytes, all
/// inside `bytes`; anything else is `None`, never a panic.
fn der_element(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *bytes.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = usize::from(*bytes.get(1)?);
    let (header, len) = if first < 0x80 {
        (2, first)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None; // indefinite (BER) or absurd
        }
        let len = bytes
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (2 + n, len)
    };
    (header.checked_add(len)? <= bytes.len()).then_some((tag, header, len))
}

/// The first DER element of `bytes` and what follows it (a DER certificate with trailing
/// bytes, OpenSSL's `TRUSTED CERTIFICATE` with its trust settings after the certificate).
pub(crate) fn split_first_element(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, header, len) = der_element(bytes)?;
    Some(bytes.split_at(header + len))
}

/// What a binary file that starts like DER claims to be, from its first bytes alone (a
/// truncated file still says it): used to tell a broken certificate from a DER key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DerShape {
    /// SEQUENCE { SEQUENCE …: a certificate (tbsCertificate first).
    Certificate,
    /// SEQUENCE { OID signedData …: a PKCS#7 bundle.
    Pkcs7,
    /// Anything else (a key starts SEQUENCE { INTEGER …).
    Other,
}

pub(crate) fn der_shape(bytes: &[u8]) -> DerShape {
    let inner = match (bytes.first(), bytes.get(1)) {
        (Some(0x30), Some(&l)) if l < 0x80 => 2,
        (Some(0x30), Some(&l)) if (0x81..=0x84).contains(&l) => 2 + usize::from(l & 0x7f),
        _ => return DerShape::Other,
    };
    match bytes.get(inner..) {
        Some([0x30, ..]) => DerShape::Certificate,
        Some([0x06, 0x09, rest @ ..]) if rest.starts_with(SIGNED_DATA_OID) => DerShape::Pkcs7,
        _ => DerShape::Other,
    }
}

/// The elements inside a constructed element's content.
fn der_children(mut content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tag, header, len) = der_element(content)?;
        out.push((tag, &content[header..header + len]));
        content = &content[header + len..];
    }
    Some(out)
}

/// `1.2.840.113549.1.7.2` (PKCS#7 / CMS signedData), as DER content bytes.
const SIGNED_DATA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

fn pkcs7_parts(der: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (tag, header, len) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    let info = der_children(&der[header..header + len])?;
    match info.as_slice() {
        [(0x06, oid), (0xa0, explicit), ..] if *oid == SIGNED_DATA_OID => {
            let inner = der_children(explicit)?;
            match inner.as_slice() {
                [(0x30, signed_data)] => der_children(signed_data),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The certificates of a PKCS#7 signedData bundle (`openssl crl2pkcs7 -nocrl`, a `.p7b`):
/// each X.509 certificate of its `certificates [0]`, in order, and how many other
/// certificate choices (attribute or extended certificates) it held.
pub(crate) fn pkcs7_certificates(der: &[u8]) -> Result<(Vec<&[u8]>, usize), X509Error> {
    let bad = |why: &str| X509Error::Malformed(format!("PKCS#7: {why}"));
    let (tag, header, len) =
        der_element(der).ok_or_else(|| bad("not DER with definite lengths"))?;
    if tag != 0x30 || der.len() != header + len {
        return Err(bad("not one DER SEQUENCE"));
    }
    let parts = pkcs7_parts(der).ok_or_else(|| bad("not a ContentInfo holding signedData"))?;
    // SignedData: version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls,
    // signerInfos.
    let mut certs = Vec::new();
    let mut other = 0;
    for (tag, content) in parts.iter().skip(3) {
        if *tag != 0xa0 {
            continue;
        }
        let mut rest = *content;
        while !rest.is_empty() {
            let (t, h, l) =
                der_element(rest).ok_or_else(|| bad("a malformed entry in certificates"))?;
            if t == 0x30 {
                certs.push(&rest[..h + l]);
            } else {
                other += 1;
            }
            rest = &rest[h + l..];
        }
    }
    Ok((certs, other))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hostile_der_never_panics_and_pkcs7_is_walked() {
        for bytes in [
            &b""[..],
            &[0x30],
            &[0x30, 0x80, 0x00, 0x00],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x1f, 0x01, 0x00],
            &[0x30, 0x03, 0x06, 0x01],
        ] {
            assert!(split_first_element(bytes).is_none());
            assert!(pkcs7_certificates(bytes).is_err());
            assert!(pkcs7_parts(bytes).is_none());
        }
        assert_eq!(
            split_first_element(&[0x30, 0x01, 0x05, 0xaa, 0xbb]),
            Some((&[0x30, 0x01, 0x05][..], &[0xaa, 0xbb][..]))
        );
        // ContentInfo { signedData, [0] { SignedData { 1, {}, { data }, [0] { cert, cert } } } }
        let cert = [0x30, 0x02, 0x05, 0x00];
        let mut certs = vec![0xa0, 0x08];
        certs.extend(cert);
        certs.extend(cert);
        let mut sd = vec![0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x00];
        sd.extend(&certs);
        sd.extend([0x31, 0x00]);
        let mut signed = vec![0x30, sd.len() as u8];
        signed.extend(&sd);
        let mut explicit = vec![0xa0, signed.len() as u8];
        explicit.extend(&signed);
        let mut body = vec![0x06, 0x09];
        body.extend(SIGNED_DATA_OID);
        body.extend(&explicit);
        let mut info = vec![0x30, body.len() as u8];
        info.extend(&body);
        assert!(pkcs7_parts(&info).is_some());
        assert_eq!(der_shape(&info[..14]), DerShape::Pkcs7);
        assert_eq!(
            der_shape(&[0x30, 0x82, 0x01, 0x00, 0x30]),
            DerShape::Certificate
        );
        assert_eq!(der_shape(&[0x30, 0x10, 0x02, 0x01, 0x00]), DerShape::Other);
        let (found, other) = pkcs7_certificates(&info).unwrap();
        assert_eq!((found, other), (vec![&cert[..], &cert[..]], 0));
    }

    use super::*;

    #[test]
    fn fingerprint_hex() {
        let f = Fingerprint::parse_hex("8E:cd:E6").unwrap();
        assert_eq!(f.0, vec![0x8e, 0xcd, 0xe6]);
        assert_eq!(f.colon_hex(), "8E:CD:E6");
        assert!(Fingerprint::parse_hex("8E:C").is_none());
        assert!(Fingerprint::parse_hex("zz").is_none());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            vec![],
            vec![0x30],
            vec![0x30, 0x82, 0xff, 0xff, 0],
            vec![1, 2, 3],
        ] {
            assert!(CertInfo::parse(&CertificateDer::from(bytes)).is_err());
        }
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(86_400 * 365), "1971-01-01");
    }
}
