//! ACM's import requirements, and API Gateway's for an ACM client certificate, checked on the
//! files before any AWS call: pure functions of the bytes, the time and (for a re-import) what
//! ACM says of the certificate being replaced. Every failure is a finding with a typed code.

use serde::Serialize;

use crate::aws::CertDetail;
use crate::pem::{self, KeyFormat};
use crate::x509::{CertInfo, Fingerprint, KeyInfo};

/// ImportCertificate's limits (ACM API reference): the certificate, the chain, the key.
pub(crate) const MAX_CERT_BYTES: usize = 32 * 1024;
pub(crate) const MAX_CHAIN_BYTES: usize = 2 * 1024 * 1024;
pub(crate) const MAX_KEY_BYTES: usize = 5 * 1024;
/// API Gateway takes an ACM client certificate whose chain has at most 5 certificates.
pub(crate) const MAX_APIGW_CHAIN: usize = 5;

/// Why a certificate cannot be imported (or presented by API Gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ImportCode {
    CertNotPem,
    CertNotOne,
    CertUnreadable,
    CertTooLarge,
    KeyMissing,
    KeyEncrypted,
    KeyTooLarge,
    KeyUnreadable,
    KeyMismatch,
    KeyTypeNotAllowed,
    NotYetValid,
    Expired,
    ChainUnreadable,
    ChainTooLarge,
    ChainHasLeaf,
    ChainMisordered,
    ChainNotCa,
    ApigwChainTooLong,
    ApigwNoClientAuth,
    ApigwKeyUsage,
    ApigwKeyType,
    ReimportNotImported,
    ReimportKeyChanged,
    ReimportTags,
}

impl ImportCode {
    /// Every code, for the documentation test.
    #[cfg(test)]
    pub(crate) const ALL: [ImportCode; 24] = [
        ImportCode::CertNotPem,
        ImportCode::CertNotOne,
        ImportCode::CertUnreadable,
        ImportCode::CertTooLarge,
        ImportCode::KeyMissing,
        ImportCode::KeyEncrypted,
        ImportCode::KeyTooLarge,
        ImportCode::KeyUnreadable,
        ImportCode::KeyMismatch,
        ImportCode::KeyTypeNotAllowed,
        ImportCode::NotYetValid,
        ImportCode::Expired,
        ImportCode::ChainUnreadable,
        ImportCode::ChainTooLarge,
        ImportCode::ChainHasLeaf,
        ImportCode::ChainMisordered,
        ImportCode::ChainNotCa,
        ImportCode::ApigwChainTooLong,
        ImportCode::ApigwNoClientAuth,
        ImportCode::ApigwKeyUsage,
        ImportCode::ApigwKeyType,
        ImportCode::ReimportNotImported,
        ImportCode::ReimportKeyChanged,
        ImportCode::ReimportTags,
    ];

    /// The kebab-case code, as serialized.
    pub(crate) fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// One reason the import is refused, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ImportFinding {
    pub(crate) code: ImportCode,
    pub(crate) message: String,
    pub(crate) fix: String,
}

fn finding(code: ImportCode, message: impl Into<String>, fix: impl Into<String>) -> ImportFinding {
    ImportFinding {
        code,
        message: message.into(),
        fix: fix.into(),
    }
}

/// Whose rules apply beyond ACM's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ImportUse {
    /// API Gateway's when the certificate is a client certificate (clientAuth without
    /// serverAuth), ACM's only otherwise.
    #[default]
    Auto,
    /// A stage's client certificate: API Gateway's rules too.
    Apigateway,
    /// A load balancer's server certificate: ACM's rules only.
    Alb,
}

/// The files of one import, as read.
pub(crate) struct ImportFiles<'a> {
    pub(crate) cert: &'a [u8],
    pub(crate) key: &'a [u8],
    pub(crate) chain: Option<&'a [u8]>,
}

/// A certificate ACM will take: what is sent and what reports need.
#[derive(Debug, Clone)]
pub(crate) struct Importable {
    /// The certificate as one PEM block.
    pub(crate) cert_pem: String,
    /// The chain as PEM blocks, the leaf's issuer first.
    pub(crate) chain_pem: Option<String>,
    pub(crate) info: CertInfo,
    /// ACM's KeyAlgorithm name (`RSA_2048`, `EC_prime256v1`, …).
    pub(crate) key_algorithm: String,
    pub(crate) fingerprint: Fingerprint,
    /// API Gateway's client-certificate rules were applied.
    pub(crate) apigateway: bool,
}

/// ACM's KeyAlgorithm name of a public key, when ACM imports that kind of key.
pub(crate) fn acm_key_algorithm(key: &KeyInfo) -> Option<String> {
    match key {
        KeyInfo::Rsa { bits } if [1024, 2048, 3072, 4096].contains(bits) => {
            Some(format!("RSA_{bits}"))
        }
        KeyInfo::Ec { curve, .. } => match curve.as_str() {
            "P-256" => Some("EC_prime256v1".into()),
            "P-384" => Some("EC_secp384r1".into()),
            "P-521" => Some("EC_secp521r1".into()),
            _ => None,
        },
        _ => None,
    }
}

/// Checks the files against every ACM import requirement (and API Gateway's, as `usage`
/// says) at `at`; every problem found, not only the first.
pub(crate) fn check(
    files: &ImportFiles<'_>,
    at: i64,
    usage: ImportUse,
) -> Result<Importable, Vec<ImportFinding>> {
    let mut out = Vec::new();
    let Some(info) = leaf(files.cert, &mut out) else {
        // Without the certificate nothing else can be judged but the key's own form.
        key_form(files.key, &mut out);
        return Err(out);
    };
    let cert_pem = pem::encode_certificate(&info.der);
    if cert_pem.len() > MAX_CERT_BYTES {
        out.push(finding(
            ImportCode::CertTooLarge,
            format!("the certificate is {} bytes as PEM; ACM imports at most {MAX_CERT_BYTES}", cert_pem.len()),
            "issue a certificate without the oversized extensions (ACM limits the certificate to 32 KB)",
        ));
    }
    let key_algorithm = acm_key_algorithm(&info.key);
    if key_algorithm.is_none() {
        out.push(finding(
            ImportCode::KeyTypeNotAllowed,
            format!("the certificate's key is {}; ACM imports RSA 1024/2048/3072/4096 and EC P-256/P-384/P-521", info.key.label()),
            "issue it with an RSA 2048 or EC P-256 key",
        ));
    }
    if let Some(der) = key_form(files.key, &mut out) {
        key_matches(&der, &info, &mut out);
    }
    validity(&info, at, &mut out);
    let chain = files.chain.map(|c| chain_certs(c, &info, &mut out));
    let chain_len = chain.as_ref().map_or(0, Vec::len);
    let apigateway = match usage {
        ImportUse::Apigateway => true,
        ImportUse::Alb => false,
        ImportUse::Auto => is_client_certificate(&info),
    };
    if apigateway {
        apigateway_rules(&info, chain_len, &mut out);
    }
    if !out.is_empty() {
        return Err(out);
    }
    let chain_pem = chain.filter(|c| !c.is_empty()).map(|c| {
        c.iter()
            .map(|i| pem::encode_certificate(&i.der))
            .collect::<String>()
    });
    Ok(Importable {
        cert_pem,
        chain_pem,
        fingerprint: info.sha256.clone(),
        key_algorithm: key_algorithm.unwrap_or_default(),
        info,
        apigateway,
    })
}

/// clientAuth in the EKU, serverAuth not: a client certificate.
fn is_client_certificate(info: &CertInfo) -> bool {
    info.extended_key_usage.as_ref().is_some_and(|e| {
        e.iter().any(|u| u == "clientAuth") && !e.iter().any(|u| u == "serverAuth")
    })
}

/// The one certificate of `--cert`.
fn leaf(bytes: &[u8], out: &mut Vec<ImportFinding>) -> Option<CertInfo> {
    let sections = match pem::decode_sections(bytes) {
        Ok(s) if !s.is_empty() => s,
        Ok(_) | Err(_) => {
            out.push(finding(
                ImportCode::CertNotPem,
                "--cert is not PEM (ACM imports PEM only)",
                "convert it: openssl x509 -in cert.der -inform DER -out cert.pem",
            ));
            return None;
        }
    };
    let certs: Vec<&Vec<u8>> = sections
        .iter()
        .filter(|(k, _)| *k == rustls_pki_types::pem::SectionKind::Certificate)
        .map(|(_, d)| d)
        .collect();
    if certs.len() != 1 || certs.len() != sections.len() {
        out.push(finding(
            ImportCode::CertNotOne,
            format!(
                "--cert holds {} certificate(s) and {} other block(s); ACM takes exactly one certificate in the body",
                certs.len(),
                sections.len() - certs.len()
            ),
            "put the leaf alone in --cert, its issuers in --chain, the key in --key",
        ));
        if certs.len() != 1 {
            return None;
        }
    }
    match CertInfo::parse(&rustls_pki_types::CertificateDer::from(certs[0].clone())) {
        Ok(i) => Some(i),
        Err(e) => {
            out.push(finding(
                ImportCode::CertUnreadable,
                format!("--cert does not parse as X.509: {e}"),
                "check that the file is the certificate certctl or your CA issued",
            ));
            None
        }
    }
}

/// The key's form: present, unencrypted, small enough, one key; its DER and format.
fn key_form(bytes: &[u8], out: &mut Vec<ImportFinding>) -> Option<(KeyFormat, Vec<u8>)> {
    if pem::has_encrypted_key(bytes) {
        out.push(finding(
            ImportCode::KeyEncrypted,
            "--key is encrypted; ACM imports only unencrypted keys",
            "decrypt it to a 0600 file: openssl pkey -in enc.key -out key.pem",
        ));
        return None;
    }
    let trimmed = trim(bytes);
    if trimmed.len() > MAX_KEY_BYTES {
        out.push(finding(
            ImportCode::KeyTooLarge,
            format!(
                "--key is {} bytes; ACM imports keys of at most {MAX_KEY_BYTES} bytes",
                trimmed.len()
            ),
            "use an RSA key of at most 4096 bits or an EC key, alone in the file",
        ));
        return None;
    }
    match pem::decode_any_private_keys(bytes) {
        Ok(keys) if keys.len() == 1 => keys.into_iter().next(),
        Ok(keys) if keys.len() > 1 => {
            out.push(finding(
                ImportCode::KeyUnreadable,
                format!("--key holds {} private keys; ACM takes one", keys.len()),
                "keep only the certificate's key in the file",
            ));
            None
        }
        _ => {
            out.push(finding(
                ImportCode::KeyMissing,
                "--key holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
                "pass the certificate's private key file",
            ));
            None
        }
    }
}

/// The key file's text without surrounding blank space: what is sent to ACM.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn key_matches(key: &(KeyFormat, Vec<u8>), info: &CertInfo, out: &mut Vec<ImportFinding>) {
    match crate::keys::public_key_of(key.0, &key.1, &info.key) {
        Some(public) if public == info.public_key => {}
        Some(_) => out.push(finding(
            ImportCode::KeyMismatch,
            "--key does not belong to --cert (its public key differs)",
            "pass the key the certificate was issued for",
        )),
        None => out.push(finding(
            ImportCode::KeyUnreadable,
            format!(
                "--key is not a {} private key certctl can read",
                info.key.label()
            ),
            "pass the certificate's key in PEM (PKCS#8, PKCS#1 or SEC1)",
        )),
    }
}

fn validity(info: &CertInfo, at: i64, out: &mut Vec<ImportFinding>) {
    if info.not_before > at {
        out.push(finding(
            ImportCode::NotYetValid,
            format!(
                "the certificate is not valid before {}",
                crate::x509::rfc3339(info.not_before)
            ),
            "wait until it is valid, or fix the issuing clock",
        ));
    }
    if info.not_after < at {
        out.push(finding(
            ImportCode::Expired,
            format!(
                "the certificate expired at {}",
                crate::x509::rfc3339(info.not_after)
            ),
            "issue a new certificate and import that",
        ));
    }
}

/// The chain's certificates in order, each problem noted: readable, small enough, the leaf
/// not in it, each certificate the issuer of the one before, CAs only, the root last.
fn chain_certs(bytes: &[u8], leaf: &CertInfo, out: &mut Vec<ImportFinding>) -> Vec<CertInfo> {
    if bytes.len() > MAX_CHAIN_BYTES {
        out.push(finding(
            ImportCode::ChainTooLarge,
            format!(
                "--chain is {} bytes; ACM imports chains of at most {MAX_CHAIN_BYTES}",
                bytes.len()
            ),
            "keep only the issuing CAs of the certificate in --chain",
        ));
        return Vec::new();
    }
    let parsed = pem::decode_certificates(bytes)
        .map_err(|e| e.to_string())
        .and_then(|ders| {
            ders.iter()
                .map(|d| CertInfo::parse(d).map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()
        });
    let chain = match parsed {
        Ok(c) if pem::looks_like_pem(bytes) => c,
        Ok(_) => {
            out.push(finding(
                ImportCode::ChainUnreadable,
                "--chain is not PEM",
                "convert it to PEM",
            ));
            return Vec::new();
        }
        Err(e) => {
            out.push(finding(
                ImportCode::ChainUnreadable,
                format!("--chain: {e}"),
                "--chain holds the issuing CA certificates in PEM, nothing else",
            ));
            return Vec::new();
        }
    };
    if chain.iter().any(|c| c.sha256 == leaf.sha256) {
        out.push(finding(
            ImportCode::ChainHasLeaf,
            "--chain includes the certificate itself",
            "remove the leaf from --chain (it goes in --cert only); certctl's chain.pem is right",
        ));
        return chain;
    }
    let mut below = leaf;
    for (i, c) in chain.iter().enumerate() {
        if !below.issued_by(c) {
            out.push(finding(
                ImportCode::ChainMisordered,
                format!(
                    "--chain certificate {} ({}) did not issue {}",
                    i + 1,
                    c.subject(),
                    if i == 0 {
                        "the certificate".to_string()
                    } else {
                        format!("certificate {i}")
                    }
                ),
                "order --chain from the leaf's issuer up to the root, the root last",
            ));
            break;
        }
        if !c.is_ca() {
            out.push(finding(
                ImportCode::ChainNotCa,
                format!(
                    "--chain certificate {} ({}) is not a CA",
                    i + 1,
                    c.subject()
                ),
                "--chain holds CA certificates only",
            ));
        }
        if c.is_self_issued() && i + 1 != chain.len() {
            out.push(finding(
                ImportCode::ChainMisordered,
                format!("--chain certificate {} is a root but not the last", i + 1),
                "put the root last in --chain, or leave it out",
            ));
            break;
        }
        below = c;
    }
    chain
}

/// API Gateway's rules for an ACM certificate a stage presents to the backend.
fn apigateway_rules(info: &CertInfo, chain_len: usize, out: &mut Vec<ImportFinding>) {
    let total = chain_len + 1;
    if total > MAX_APIGW_CHAIN {
        out.push(finding(
            ImportCode::ApigwChainTooLong,
            format!("the certificate and its chain are {total} certificates; API Gateway takes at most {MAX_APIGW_CHAIN}"),
            "issue the client certificate from a CA closer to the root",
        ));
    }
    if let Some(eku) = &info.extended_key_usage {
        if !eku.iter().any(|u| u == "clientAuth") {
            out.push(finding(
                ImportCode::ApigwNoClientAuth,
                "the extended key usage lacks clientAuth; API Gateway refuses it as a client certificate",
                "issue it with clientAuth: certctl issue client",
            ));
        }
    }
    if let Some(ku) = &info.key_usage {
        if !ku
            .iter()
            .any(|u| u == "digitalSignature" || u == "keyAgreement")
        {
            out.push(finding(
                ImportCode::ApigwKeyUsage,
                "the key usage has neither digitalSignature nor keyAgreement",
                "issue it with digitalSignature: certctl issue client",
            ));
        }
    }
    let ok = match &info.key {
        KeyInfo::Rsa { bits } => [2048, 3072, 4096].contains(bits),
        KeyInfo::Ec { curve, .. } => ["P-256", "P-384", "P-521"].contains(&curve.as_str()),
        _ => false,
    };
    if !ok {
        out.push(finding(
            ImportCode::ApigwKeyType,
            format!(
                "the key is {}; API Gateway takes RSA 2048/3072/4096 or ECDSA P-256/P-384/P-521",
                info.key.label()
            ),
            "issue it with --key-type rsa-2048 or ecdsa-p256",
        ));
    }
}

/// A re-import's own rules: the certificate there was imported, its key algorithm stays,
/// and no tags are given.
pub(crate) fn check_reimport(
    new: &Importable,
    current: &CertDetail,
    tags_given: bool,
) -> Vec<ImportFinding> {
    let mut out = Vec::new();
    if current.kind.as_deref() != Some("IMPORTED") {
        out.push(finding(
            ImportCode::ReimportNotImported,
            format!(
                "{} is {}, not IMPORTED; only an imported certificate can be re-imported",
                current.arn,
                current.kind.as_deref().unwrap_or("of unknown type")
            ),
            "leave out --arn to import a new certificate",
        ));
    }
    if let Some(old) = &current.key_algorithm {
        if *old != new.key_algorithm {
            out.push(finding(
                ImportCode::ReimportKeyChanged,
                format!("{} holds a {old} key; the new certificate's is {}", current.arn, new.key_algorithm),
                "issue the new certificate with the same key type and size, or import it without --arn",
            ));
        }
    }
    if tags_given {
        out.push(finding(
            ImportCode::ReimportTags,
            "ACM takes no tags on a re-import",
            "leave out --tag with --arn (tag the certificate with `aws acm add-tags-to-certificate`)",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_in_the_json_schema() {
        let doc = include_str!("../docs/json-schema.md");
        for c in ImportCode::ALL {
            assert!(
                doc.contains(&format!("`{}`", c.as_str())),
                "{} undocumented",
                c.as_str()
            );
        }
    }

    #[test]
    fn hostile_files_are_findings_not_panics() {
        for junk in [
            &b""[..],
            b"-----BEGIN CERTIFICATE-----\n",
            b"\x30\x82\xff\xff",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let f = ImportFiles {
                cert: junk,
                key: junk,
                chain: Some(junk),
            };
            let e = check(&f, 0, ImportUse::Auto).unwrap_err();
            assert!(!e.is_empty());
        }
        // Truncated DER inside a key block: unreadable, not a panic.
        assert!(crate::keys::public_key_of(
            KeyFormat::Pkcs1,
            &[0x30, 0x84, 0xff],
            &KeyInfo::Rsa { bits: 2048 }
        )
        .is_none());
        assert!(crate::keys::public_key_of(
            KeyFormat::Pkcs8,
            &[0x30, 0x03, 0x02, 0x01],
            &KeyInfo::Rsa { bits: 2048 }
        )
        .is_none());
    }
}
