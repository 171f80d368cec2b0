//! The only place that decodes and encodes PEM: certificate bundles, DER sniffing, typed errors.

use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::CertificateDer;

/// Largest certificate input certctl reads; anything bigger is refused before decoding.
pub(crate) const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Why bytes could not be read as certificates.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("the input is empty")]
    Empty,
    #[error("the input is {size} bytes, more than the {max} bytes a certificate bundle may have")]
    TooLarge { size: usize, max: usize },
    #[error("malformed PEM: {0}")]
    Malformed(String),
    #[error("found a {found} where a certificate was expected")]
    WrongKind { found: &'static str },
    #[error("no certificate found: the input is neither PEM with CERTIFICATE blocks nor DER")]
    NoCertificate,
    #[error("no private key found: expected a PEM block \"PRIVATE KEY\" (PKCS#8)")]
    NoKey,
}

/// Human name of a PEM section kind, for error messages.
fn kind_name(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Certificate => "certificate",
        SectionKind::PublicKey => "public key",
        SectionKind::RsaPrivateKey | SectionKind::PrivateKey | SectionKind::EcPrivateKey => {
            "private key"
        }
        SectionKind::Crl => "certificate revocation list",
        SectionKind::Csr => "certificate signing request (CSR)",
        _ => "non-certificate PEM block",
    }
}

/// True when `bytes` look like PEM text rather than binary DER.
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes
        .windows(11)
        .take(64 * 1024)
        .any(|w| w == b"-----BEGIN ")
}

/// Decodes every certificate in `bytes`: PEM (any number of CERTIFICATE blocks, other text
/// ignored) or a single DER certificate. Non-certificate PEM blocks are an error, so a key or
/// CSR given by mistake is named rather than silently skipped. DER is returned unparsed; the
/// x509 layer decides whether it is a certificate.
pub fn decode_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, PemError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PemError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(PemError::Empty);
    }
    if !looks_like_pem(bytes) {
        // DER: an ASN.1 SEQUENCE with a long-form length is the only plausible start.
        return match bytes.first() {
            Some(0x30) => Ok(vec![CertificateDer::from(bytes.to_vec())]),
            _ => Err(PemError::NoCertificate),
        };
    }
    let mut certs = Vec::new();
    let mut other = None;
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        let (kind, der) = item.map_err(describe)?;
        match kind {
            SectionKind::Certificate => certs.push(CertificateDer::from(der)),
            k => other = other.or(Some(kind_name(k))),
        }
    }
    match (certs.is_empty(), other) {
        (false, _) => Ok(certs),
        (true, Some(found)) => Err(PemError::WrongKind { found }),
        (true, None) => Err(PemError::NoCertificate),
    }
}

/// The PEM labels that hold certificates, by what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CertBlock {
    /// `CERTIFICATE`: one DER certificate.
    Certificate,
    /// `X509 CERTIFICATE`: the same, under its older label.
    X509Certificate,
    /// `TRUSTED CERTIFICATE` (`openssl x509 -trustout`): a DER certificate followed by
    /// OpenSSL's trust settings.
    Trusted,
    /// `PKCS7`, `PKCS #7 SIGNED DATA`, `CMS`: a signedData bundle of certificates.
    Pkcs7,
}

impl CertBlock {
    fn of(label: &[u8]) -> Option<CertBlock> {
        Some(match label {
            b"CERTIFICATE" => CertBlock::Certificate,
            b"X509 CERTIFICATE" => CertBlock::X509Certificate,
            b"TRUSTED CERTIFICATE" => CertBlock::Trusted,
            b"PKCS7" | b"PKCS #7 SIGNED DATA" | b"CMS" => CertBlock::Pkcs7,
            _ => return None,
        })
    }

    /// The label, for messages.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CertBlock::Certificate => "CERTIFICATE",
            CertBlock::X509Certificate => "X509 CERTIFICATE",
            CertBlock::Trusted => "TRUSTED CERTIFICATE",
            CertBlock::Pkcs7 => "PKCS7",
        }
    }
}

/// Every certificate-holding PEM block of the input, in order, with what its label says it
/// holds; other blocks (keys, CSRs) and text are ignored. Each block is found by its BEGIN and
/// matching END line and decoded on its own by `PemObject`, so a block under a label the PEM
/// reader does not know is decoded, never skipped. A block with no END line, or bad base64,
/// is an error naming its label.
pub(crate) fn decode_certificate_blocks(
    bytes: &[u8],
) -> Result<Vec<(CertBlock, Vec<u8>)>, PemError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PemError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let mut out = Vec::new();
    let mut open: Option<(CertBlock, &[u8], Vec<u8>)> = None;
    for line in bytes.split(|b| *b == b'\n') {
        let line = line.trim_ascii_end();
        if let Some(label) = line
            .strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"))
        {
            if let Some((kind, _, _)) = &open {
                return Err(PemError::Malformed(format!(
                    "a {} block has no end line before the next BEGIN line",
                    kind.label()
                )));
            }
            open = CertBlock::of(label).map(|k| (k, label, Vec::new()));
            continue;
        }
        let Some((kind, label, body)) = open.as_mut() else {
            continue;
        };
        let end = line
            .strip_prefix(b"-----END ")
            .and_then(|l| l.strip_suffix(b"-----"));
        if end == Some(*label) {
            let mut pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
            pem.extend_from_slice(body);
            pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
            let der = CertificateDer::from_pem_slice(&pem).map_err(|e| match describe(e) {
                PemError::Malformed(m) => {
                    PemError::Malformed(format!("{} block: {m}", kind.label()))
                }
                other => other,
            })?;
            out.push((*kind, der.as_ref().to_vec()));
            open = None;
        } else {
            body.extend_from_slice(line);
            body.push(b'\n');
        }
    }
    match open {
        Some((kind, _, _)) => Err(PemError::Malformed(format!(
            "a {} block has no end line; the file may be truncated",
            kind.label()
        ))),
        None => Ok(out),
    }
}

/// One piece of a PEM text as a line-oriented reader sees it: what a trust-store bundle's lint
/// judges line by line (blank lines, comments, stray text, blocks of any label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PemPiece {
    /// A line outside any block: its 1-based number and text (line ending removed, invalid
    /// UTF-8 replaced).
    Line { line: usize, text: String },
    /// A block from its BEGIN line (1-based) to its END line: the label, the decoded bytes or
    /// why they could not be decoded, and the numbers of blank lines inside it.
    Block {
        line: usize,
        label: String,
        der: Result<Vec<u8>, String>,
        blank_inside: Vec<usize>,
    },
}

/// The input cut into lines and blocks, in order. Never fails: a block with no END line, a
/// BEGIN inside a block or bad base64 is a block whose `der` says why.
pub(crate) fn pem_pieces(bytes: &[u8]) -> Vec<PemPiece> {
    struct Open {
        line: usize,
        label: String,
        body: Vec<u8>,
        blank_inside: Vec<usize>,
    }
    fn close(o: Open, end_found: bool) -> PemPiece {
        let der = if end_found {
            let mut pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
            pem.extend_from_slice(&o.body);
            pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
            CertificateDer::from_pem_slice(&pem)
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| describe(e).to_string())
        } else {
            Err(format!("the {} block has no END line", o.label))
        };
        PemPiece::Block {
            line: o.line,
            label: o.label,
            der,
            blank_inside: o.blank_inside,
        }
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let begin = line
            .strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"));
        if let Some(label) = begin {
            if let Some(o) = open.take() {
                out.push(close(o, false));
            }
            open = Some(Open {
                line: n,
                label: String::from_utf8_lossy(label).into_owned(),
                body: Vec::new(),
                blank_inside: Vec::new(),
            });
            continue;
        }
        let Some(o) = open.as_mut() else {
            out.push(PemPiece::Line {
                line: n,
                text: String::from_utf8_lossy(line).into_owned(),
            });
            continue;
        };
        let end = line
            .strip_prefix(b"-----END ")
            .and_then(|l| l.strip_suffix(b"-----"));
        if end == Some(o.label.as_bytes()) {
            if let Some(o) = open.take() {
                out.push(close(o, true));
            }
        } else if line.iter().all(u8::is_ascii_whitespace) {
            o.blank_inside.push(n);
        } else {
            o.body.extend_from_slice(line);
            o.body.push(b'\n');
        }
    }
    if let Some(o) = open {
        out.push(close(o, false));
    }
    out
}

/// Every PEM block of the input with its kind, for callers that need keys as well (e.g. a
/// key-and-certificate file). Blocks of unknown kinds are skipped.
pub fn decode_sections(bytes: &[u8]) -> Result<Vec<(SectionKind, Vec<u8>)>, PemError> {
    <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes)
        .map(|r| r.map_err(describe))
        .collect()
}

fn describe(e: pem::Error) -> PemError {
    let msg = match e {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "a block has no end line (expected \"{}\"); the file may be truncated",
            String::from_utf8_lossy(&end_marker)
        ),
        pem::Error::IllegalSectionStart { line } => format!(
            "bad BEGIN line \"{}\"",
            String::from_utf8_lossy(&line)
                .chars()
                .take(80)
                .collect::<String>()
        ),
        pem::Error::Base64Decode(m) => format!("bad base64 inside a block ({m})"),
        pem::Error::SectionTooLarge => "a block is too large".to_string(),
        other => other.to_string(),
    };
    PemError::Malformed(msg)
}

/// The first private key of a PEM file, as PKCS#8 DER. PKCS#1 (`RSA PRIVATE KEY`) and SEC1
/// (`EC PRIVATE KEY`) keys are named in the error, since certctl writes and reads PKCS#8 only.
pub fn decode_private_key(bytes: &[u8]) -> Result<Vec<u8>, PemError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(PemError::Empty);
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PemError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let mut other = None;
    for (kind, der) in decode_sections(bytes)? {
        match kind {
            SectionKind::PrivateKey => return Ok(der),
            SectionKind::RsaPrivateKey => {
                other = other.or(Some(
                    "PKCS#1 RSA private key (convert with `openssl pkcs8 -topk8 -nocrypt`)",
                ))
            }
            SectionKind::EcPrivateKey => {
                other = other.or(Some(
                    "SEC1 EC private key (convert with `openssl pkcs8 -topk8 -nocrypt`)",
                ))
            }
            k => other = other.or(Some(kind_name(k))),
        }
    }
    Err(match other {
        Some(found) => PemError::WrongKind { found },
        None => PemError::NoKey,
    })
}

/// How a private key is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFormat {
    /// `PRIVATE KEY`.
    Pkcs8,
    /// `RSA PRIVATE KEY`.
    Pkcs1,
    /// `EC PRIVATE KEY`.
    Sec1,
}

/// The private keys of a PEM file in any unencrypted form ACM imports (PKCS#8, PKCS#1,
/// SEC1), with their form; certificates and other blocks are left out.
pub(crate) fn decode_any_private_keys(bytes: &[u8]) -> Result<Vec<(KeyFormat, Vec<u8>)>, PemError> {
    Ok(decode_sections(bytes)?
        .into_iter()
        .filter_map(|(kind, der)| match kind {
            SectionKind::PrivateKey => Some((KeyFormat::Pkcs8, der)),
            SectionKind::RsaPrivateKey => Some((KeyFormat::Pkcs1, der)),
            SectionKind::EcPrivateKey => Some((KeyFormat::Sec1, der)),
            _ => None,
        })
        .collect())
}

/// Whether the text holds a password-protected private key: PKCS#8 `ENCRYPTED PRIVATE KEY`,
/// or a legacy OpenSSL block with `Proc-Type: 4,ENCRYPTED`.
pub(crate) fn has_encrypted_key(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED")
}

/// Encodes DER as one PEM block with the given label (`CERTIFICATE`, `PRIVATE KEY`, ...).
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len() * 4 / 3 + 4);
    for chunk in der.chunks(3) {
        let n = match chunk.len() {
            3 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]),
            2 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8),
            _ => u32::from(chunk[0]) << 16,
        };
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                b64.push(char::from(TABLE[*s as usize]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Encodes a certificate as PEM.
pub fn encode_certificate(der: &[u8]) -> String {
    encode("CERTIFICATE", der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let der: Vec<u8> = (0u8..=200).collect();
        let pem = encode_certificate(&der);
        let back = decode_certificates(pem.as_bytes()).unwrap();
        assert_eq!(back[0].as_ref(), der.as_slice());
        assert!(matches!(decode_certificates(b""), Err(PemError::Empty)));
        assert!(matches!(
            decode_certificates(b"hello world"),
            Err(PemError::NoCertificate)
        ));
        let key = encode("PRIVATE KEY", &der);
        assert!(matches!(
            decode_certificates(key.as_bytes()),
            Err(PemError::WrongKind {
                found: "private key"
            })
        ));
        let truncated = &pem[..pem.len() - 30];
        assert!(matches!(
            decode_certificates(truncated.as_bytes()),
            Err(PemError::Malformed(_))
        ));
        let blocks = format!(
            "text\n{}{}{}{}",
            encode("TRUSTED CERTIFICATE", &der[..10]),
            encode("PRIVATE KEY", &der[..3]),
            encode("X509 CERTIFICATE", &der[..4]),
            encode("PKCS7", &der[..5]).replace('\n', "\r\n"),
        );
        let got = decode_certificate_blocks(blocks.as_bytes()).unwrap();
        assert_eq!(
            got,
            vec![
                (CertBlock::Trusted, der[..10].to_vec()),
                (CertBlock::X509Certificate, der[..4].to_vec()),
                (CertBlock::Pkcs7, der[..5].to_vec()),
            ]
        );
        let cut = encode("TRUSTED CERTIFICATE", &der);
        let e = decode_certificate_blocks(&cut.as_bytes()[..cut.len() - 20]).unwrap_err();
        assert!(
            e.to_string()
                .contains("TRUSTED CERTIFICATE block has no end line"),
            "{e}"
        );
        let nested = format!("-----BEGIN PKCS7-----\n{}", encode_certificate(&der));
        assert!(decode_certificate_blocks(nested.as_bytes()).is_err());
        let bad = "-----BEGIN X509 CERTIFICATE-----\n!!!!\n-----END X509 CERTIFICATE-----\n";
        let e = decode_certificate_blocks(bad.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("X509 CERTIFICATE block"), "{e}");
        for n in [1usize, 2, 3, 4, 5] {
            let d = vec![7u8; n];
            let p = encode_certificate(&d);
            assert_eq!(
                decode_certificates(p.as_bytes()).unwrap()[0].as_ref(),
                &d[..]
            );
        }
    }

    #[test]
    fn pieces_keep_lines_blocks_and_blank_lines() {
        let der: Vec<u8> = (0u8..=90).collect();
        let cert = encode_certificate(&der);
        let text = format!(
            "# one\n\n{cert}garbage\r\n{}-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n-----BEGIN X-----\nAAAA\n",
            encode("X509 CRL", &der[..5]).replacen("\n", "\n\n", 2)
        );
        let pieces = pem_pieces(text.as_bytes());
        assert_eq!(
            pieces[0],
            PemPiece::Line {
                line: 1,
                text: "# one".into()
            }
        );
        assert_eq!(
            pieces[1],
            PemPiece::Line {
                line: 2,
                text: String::new()
            }
        );
        let PemPiece::Block {
            line,
            label,
            der: d,
            blank_inside,
        } = &pieces[2]
        else {
            panic!("{pieces:?}")
        };
        assert_eq!(
            (*line, label.as_str(), blank_inside.len()),
            (3, "CERTIFICATE", 0)
        );
        assert_eq!(d.as_deref().unwrap(), &der[..]);
        assert!(matches!(&pieces[3], PemPiece::Line { text, .. } if text == "garbage"));
        let PemPiece::Block {
            label,
            der: d,
            blank_inside,
            ..
        } = &pieces[4]
        else {
            panic!("{pieces:?}")
        };
        assert_eq!(label, "X509 CRL");
        assert!(d.is_ok());
        assert_eq!(blank_inside.len(), 2);
        assert!(matches!(&pieces[5], PemPiece::Block { der: Err(_), .. }));
        assert!(matches!(&pieces[6], PemPiece::Block { der: Err(e), .. } if e.contains("no END")));
        assert_eq!(pieces.len(), 7);
        assert!(pem_pieces(b"").len() <= 1);
        let _ = pem_pieces(&[0xff, 0x30, b'\n', 0, 0]);
    }
}
