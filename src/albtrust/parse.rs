//! Reads a trust store bundle line by line and judges it by the ALB's format rules, limits and
//! certificate rules; every problem is a finding, nothing here fails or panics.

use std::collections::HashMap;

use rustls_pki_types::CertificateDer;

use super::{
    AlbBundle, BundleCert, BundleCode, BundleFinding, MAX_CA_CERTIFICATES, MAX_CERTIFICATE_BYTES,
};
use crate::pem::PemPiece;
use crate::x509::CertInfo;

/// Findings of one line-level code past this many are summed up in one more finding.
const MAX_PER_CODE: usize = 10;

/// Collects findings, at most [`MAX_PER_CODE`] line findings per code.
#[derive(Default)]
struct Sink {
    findings: Vec<BundleFinding>,
    dropped: HashMap<BundleCode, usize>,
}

impl Sink {
    fn line(&mut self, code: BundleCode, line: usize, message: String) {
        let shown = self.findings.iter().filter(|f| f.code == code).count();
        if shown < MAX_PER_CODE {
            self.findings
                .push(BundleFinding::new(code, message).at_line(line));
        } else {
            *self.dropped.entry(code).or_default() += 1;
        }
    }

    fn finish(mut self) -> Vec<BundleFinding> {
        let mut dropped: Vec<_> = self.dropped.into_iter().collect();
        dropped.sort();
        for (code, n) in dropped {
            self.findings.push(BundleFinding::new(
                code,
                format!("and {n} more lines like the ones above"),
            ));
        }
        self.findings
    }
}

/// The bundle's certificates and its format findings (PEM only, blank lines, comments, blocks
/// other than CERTIFICATE, malformed blocks, the count and size limits). Time-free; see
/// [`lint`] for the certificate rules that depend on `--at`.
pub(crate) fn parse_bundle(bytes: &[u8]) -> (AlbBundle, Vec<BundleFinding>) {
    let mut sink = Sink::default();
    let mut bundle = AlbBundle::default();
    if !crate::pem::looks_like_pem(bytes) {
        let f = if bytes.first() == Some(&0x30) {
            BundleFinding::new(
                BundleCode::NotPem,
                "the bundle is DER (binary); the ALB reads PEM only".into(),
            )
        } else {
            BundleFinding::new(
                BundleCode::EmptyBundle,
                "the bundle holds no PEM CERTIFICATE block".into(),
            )
        };
        return (bundle, vec![f]);
    }
    for piece in crate::pem::pem_pieces(bytes) {
        match piece {
            PemPiece::Line { line, text } => judge_line(&mut sink, line, &text),
            PemPiece::Block {
                line,
                label,
                der,
                blank_inside,
            } => {
                for b in blank_inside {
                    sink.line(BundleCode::BlankLine, b, format!("line {b} is blank"));
                }
                if let Some(c) = judge_block(&mut sink, line, &label, der) {
                    bundle.certificates.push(c);
                }
            }
        }
    }
    let mut findings = sink.finish();
    let n = bundle.certificates.len();
    if n == 0 && !findings.iter().any(|f| f.code == BundleCode::EmptyBundle) {
        findings.push(BundleFinding::new(
            BundleCode::EmptyBundle,
            "the bundle holds no certificate".into(),
        ));
    }
    if n > MAX_CA_CERTIFICATES {
        findings.push(BundleFinding::new(
            BundleCode::TooManyCertificates,
            format!("{n} certificates; a trust store takes at most {MAX_CA_CERTIFICATES}"),
        ));
    }
    (bundle, findings)
}

fn judge_line(sink: &mut Sink, line: usize, text: &str) {
    if text.trim().is_empty() {
        sink.line(BundleCode::BlankLine, line, format!("line {line} is blank"));
    } else if let Some(comment) = text.strip_prefix('#') {
        if comment.contains('-') {
            sink.line(
                BundleCode::CommentHyphen,
                line,
                format!("the comment on line {line} holds a `-`"),
            );
        }
    } else {
        let shown: String = text.chars().take(40).collect();
        sink.line(
            BundleCode::StrayText,
            line,
            format!("line {line} is neither PEM nor a `#` comment: \"{shown}\""),
        );
    }
}

/// A CERTIFICATE block that decodes to a certificate; every other block is a finding.
fn judge_block(
    sink: &mut Sink,
    line: usize,
    label: &str,
    der: Result<Vec<u8>, String>,
) -> Option<BundleCert> {
    if label != "CERTIFICATE" {
        let shown: String = label.chars().take(40).collect();
        let what = if label.contains("CRL") {
            " (revocation lists are separate files of the trust store)"
        } else if label.contains("PRIVATE KEY") {
            " (a private key: never put one in a trust store, and treat this one as exposed)"
        } else {
            ""
        };
        sink.line(
            BundleCode::NotCertificateBlock,
            line,
            format!("the block on line {line} is \"{shown}\", not CERTIFICATE{what}"),
        );
        return None;
    }
    let der = match der {
        Ok(d) => d,
        Err(e) => {
            sink.line(
                BundleCode::MalformedBlock,
                line,
                format!("the block on line {line}: {e}"),
            );
            return None;
        }
    };
    let info = match CertInfo::parse(&CertificateDer::from(der.as_slice())) {
        Ok(i) => i,
        Err(e) => {
            sink.line(
                BundleCode::MalformedBlock,
                line,
                format!("the block on line {line} is not a certificate: {e}"),
            );
            return None;
        }
    };
    if der.len() > MAX_CERTIFICATE_BYTES {
        sink.findings.push(
            BundleFinding::new(
                BundleCode::CertificateTooLarge,
                format!(
                    "\"{}\" is {} bytes; the ALB takes CA certificates of at most {} bytes (16 KB)",
                    info.display_name(),
                    der.len(),
                    MAX_CERTIFICATE_BYTES
                ),
            )
            .at_line(line)
            .about(&info),
        );
    }
    Some(BundleCert { line, info })
}

/// [`parse_bundle`] plus the certificate rules at `at`: every certificate a CA, X.509v3,
/// valid, not repeated, and every CA reaching a root of the bundle.
pub(crate) fn lint(bytes: &[u8], at: i64) -> (AlbBundle, Vec<BundleFinding>) {
    let (bundle, mut findings) = parse_bundle(bytes);
    findings.extend(certificate_findings(&bundle, at));
    (bundle, findings)
}

/// The rules about the certificates themselves.
pub(crate) fn certificate_findings(bundle: &AlbBundle, at: i64) -> Vec<BundleFinding> {
    let mut out = Vec::new();
    let certs = &bundle.certificates;
    for (i, c) in certs.iter().enumerate() {
        let (info, name) = (&c.info, c.info.display_name());
        let mut add = |code, message: String| {
            out.push(
                BundleFinding::new(code, message)
                    .at_line(c.line)
                    .about(info),
            );
        };
        if let Some(first) = certs[..i].iter().find(|o| o.info.sha256 == info.sha256) {
            add(
                BundleCode::DuplicateCertificate,
                format!("\"{name}\" repeats the certificate on line {}", first.line),
            );
            continue;
        }
        if !info.is_ca() {
            add(
                BundleCode::NotCa,
                format!("\"{name}\" is not a CA certificate (no basicConstraints CA:TRUE)"),
            );
        }
        if crate::x509::CertDetail::parse(&info.der).is_ok_and(|d| d.version != 3) {
            add(
                BundleCode::NotV3,
                format!("\"{name}\" is not an X.509 version 3 certificate"),
            );
        }
        if info.not_after < at {
            add(
                BundleCode::Expired,
                format!(
                    "\"{name}\" expired on {}",
                    crate::x509::rfc3339(info.not_after)
                ),
            );
        } else if info.not_before > at {
            add(
                BundleCode::NotYetValid,
                format!(
                    "\"{name}\" is not valid until {}",
                    crate::x509::rfc3339(info.not_before)
                ),
            );
        }
        if info.is_ca() && !reaches_root(info, certs) {
            add(
                BundleCode::NoRoot,
                format!(
                    "\"{name}\" is an intermediate CA whose issuer \"{}\" is not in the bundle",
                    info.issuer
                ),
            );
        }
    }
    out
}

/// Whether a CA certificate's issuers, followed inside the bundle, end at a self-issued one.
fn reaches_root(start: &CertInfo, certs: &[BundleCert]) -> bool {
    let mut cur = start;
    for _ in 0..=certs.len() {
        if cur.is_self_issued() {
            return true;
        }
        match certs
            .iter()
            .find(|c| c.info.sha256 != cur.sha256 && cur.issued_by(&c.info))
        {
            Some(next) => cur = &next.info,
            None => return false,
        }
    }
    false
}
