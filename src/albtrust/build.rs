//! Builds a trust store bundle the ALB accepts from CA certificate files (PEM with any text,
//! comments and blank lines around the blocks, or DER): normalized PEM, one `#` comment per
//! certificate (never a `-`), no blank line, duplicates dropped, input order kept.

use rustls_pki_types::CertificateDer;

use super::{MAX_CA_CERTIFICATES, MAX_CERTIFICATE_BYTES};
use crate::x509::CertInfo;

/// One input file: its name (for messages) and its bytes.
#[derive(Debug, Clone)]
pub(crate) struct BundleInput {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// A bundle ready to write.
#[derive(Debug, Clone)]
pub(crate) struct BuiltBundle {
    /// The bundle's text.
    pub(crate) pem: String,
    /// Its certificates, in order.
    pub(crate) certificates: Vec<CertInfo>,
    /// Repeated certificates left out.
    pub(crate) duplicates: usize,
    /// What is allowed but worth saying (a CA not valid yet).
    pub(crate) warnings: Vec<String>,
}

/// Why no bundle was built: each names the input and the certificate.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildError {
    #[error("{name}: {source}")]
    Read {
        name: String,
        source: crate::pem::PemError,
    },
    #[error("{name}: certificate {index} cannot be read: {reason}")]
    Parse {
        name: String,
        index: usize,
        reason: String,
    },
    #[error("{name}: \"{subject}\" is not a CA certificate (no basicConstraints CA:TRUE); an ALB trust store holds CA certificates only")]
    NotCa { name: String, subject: String },
    #[error("{name}: \"{subject}\" expired on {not_after}; the ALB refuses a bundle holding it")]
    Expired {
        name: String,
        subject: String,
        not_after: String,
    },
    #[error("{name}: \"{subject}\" is {bytes} bytes; the ALB takes CA certificates of at most {MAX_CERTIFICATE_BYTES} bytes (16 KB)")]
    TooLarge {
        name: String,
        subject: String,
        bytes: usize,
    },
    #[error(
        "{count} distinct CA certificates; an ALB trust store takes at most {MAX_CA_CERTIFICATES}"
    )]
    TooMany { count: usize },
}

impl BuildError {
    /// The fix.
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            BuildError::Read { .. } | BuildError::Parse { .. } => {
                "give PEM or DER files holding CA certificates"
            }
            BuildError::NotCa { .. } => "give the CA certificates that issue the client certificates, not the client certificates themselves (a client set's chain.pem)",
            BuildError::Expired { .. } => "leave the expired CA out, or renew it (`certctl ca init`)",
            BuildError::TooLarge { .. } => "use a CA certificate without large extensions",
            BuildError::TooMany { .. } => "split the CAs over several trust stores",
        }
    }
}

/// The bundle of every CA certificate in `inputs` at `at`: refuses non-CA, expired and
/// oversized certificates and more than 25 distinct ones.
pub(crate) fn build_bundle(inputs: &[BundleInput], at: i64) -> Result<BuiltBundle, BuildError> {
    let mut out = BuiltBundle {
        pem: String::new(),
        certificates: Vec::new(),
        duplicates: 0,
        warnings: Vec::new(),
    };
    for input in inputs {
        let name = input.name.clone();
        let ders =
            crate::pem::decode_certificates(&input.bytes).map_err(|source| BuildError::Read {
                name: name.clone(),
                source,
            })?;
        for (i, der) in ders.iter().enumerate() {
            let info = CertInfo::parse(&CertificateDer::from(der.as_ref())).map_err(|e| {
                BuildError::Parse {
                    name: name.clone(),
                    index: i + 1,
                    reason: e.to_string(),
                }
            })?;
            if out.certificates.iter().any(|c| c.sha256 == info.sha256) {
                out.duplicates += 1;
                continue;
            }
            admit(&name, &info, at, &mut out.warnings)?;
            out.certificates.push(info);
        }
    }
    if out.certificates.len() > MAX_CA_CERTIFICATES {
        return Err(BuildError::TooMany {
            count: out.certificates.len(),
        });
    }
    for c in &out.certificates {
        out.pem.push_str(&comment(c));
        out.pem.push_str(&crate::pem::encode_certificate(&c.der));
    }
    Ok(out)
}

/// One certificate's admission: a CA, not expired, not too large; not valid yet is a warning.
fn admit(name: &str, c: &CertInfo, at: i64, warnings: &mut Vec<String>) -> Result<(), BuildError> {
    let subject = c.subject.clone();
    if !c.is_ca() {
        return Err(BuildError::NotCa {
            name: name.into(),
            subject,
        });
    }
    if c.not_after < at {
        return Err(BuildError::Expired {
            name: name.into(),
            subject,
            not_after: crate::x509::rfc3339(c.not_after),
        });
    }
    if c.der.len() > MAX_CERTIFICATE_BYTES {
        return Err(BuildError::TooLarge {
            name: name.into(),
            subject,
            bytes: c.der.len(),
        });
    }
    if c.not_before > at {
        warnings.push(format!(
            "{name}: \"{subject}\" is not valid until {}; it verifies no client before then",
            crate::x509::rfc3339(c.not_before)
        ));
    }
    Ok(())
}

/// The comment line above a certificate: its subject and SHA-256, without `-` (the ALB refuses
/// a comment holding one) or anything but printable ASCII.
fn comment(c: &CertInfo) -> String {
    let subject: String = c
        .subject
        .chars()
        .take(120)
        .map(|ch| match ch {
            '-' => ' ',
            ' '..='~' => ch,
            _ => '?',
        })
        .collect();
    format!("# {subject}\n# sha256 {}\n", c.sha256.colon_hex())
}
