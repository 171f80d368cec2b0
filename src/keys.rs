//! Private keys: the algorithms certctl issues with, generation, loading, and key/cert matching.

use std::fmt;
use std::str::FromStr;

use rcgen::{KeyPair, SignatureAlgorithm};
use rustls_pki_types::PrivatePkcs8KeyDer;

use crate::x509::{CertInfo, KeyInfo};

/// Why a key could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("unknown key algorithm \"{0}\" (expected ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096)")]
    UnknownAlgorithm(String),
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("not a usable private key: {0}")]
    Load(String),
}

/// A key algorithm certctl can issue with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum KeyAlg {
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    #[serde(rename = "ecdsa-p384")]
    EcdsaP384,
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    #[serde(rename = "rsa-4096")]
    Rsa4096,
}

impl FromStr for KeyAlg {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ecdsa-p256" | "ec-p256" | "p256" | "p-256" => KeyAlg::EcdsaP256,
            "ecdsa-p384" | "ec-p384" | "p384" | "p-384" => KeyAlg::EcdsaP384,
            "rsa-2048" | "rsa2048" => KeyAlg::Rsa2048,
            "rsa-3072" | "rsa3072" => KeyAlg::Rsa3072,
            "rsa-4096" | "rsa4096" => KeyAlg::Rsa4096,
            _ => return Err(KeyError::UnknownAlgorithm(s.to_string())),
        })
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl KeyAlg {
    /// Every algorithm, in the order help lists them.
    pub(crate) const ALL: [KeyAlg; 5] = [
        KeyAlg::EcdsaP256,
        KeyAlg::EcdsaP384,
        KeyAlg::Rsa2048,
        KeyAlg::Rsa3072,
        KeyAlg::Rsa4096,
    ];

    /// The name flags, configs and reports use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            KeyAlg::EcdsaP256 => "ecdsa-p256",
            KeyAlg::EcdsaP384 => "ecdsa-p384",
            KeyAlg::Rsa2048 => "rsa-2048",
            KeyAlg::Rsa3072 => "rsa-3072",
            KeyAlg::Rsa4096 => "rsa-4096",
        }
    }

    /// The signature algorithm a key of this type signs with.
    pub(crate) fn signature(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlg::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlg::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlg::Rsa2048 | KeyAlg::Rsa3072 | KeyAlg::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        }
    }

    pub(crate) fn is_rsa(self) -> bool {
        matches!(self, KeyAlg::Rsa2048 | KeyAlg::Rsa3072 | KeyAlg::Rsa4096)
    }

    /// The algorithm of a certificate's public key, when it is one certctl issues.
    pub(crate) fn of_cert(info: &CertInfo) -> Option<KeyAlg> {
        match &info.key {
            KeyInfo::Ec { curve, .. } if curve == "P-256" => Some(KeyAlg::EcdsaP256),
            KeyInfo::Ec { curve, .. } if curve == "P-384" => Some(KeyAlg::EcdsaP384),
            KeyInfo::Rsa { bits: 2048 } => Some(KeyAlg::Rsa2048),
            KeyInfo::Rsa { bits: 3072 } => Some(KeyAlg::Rsa3072),
            KeyInfo::Rsa { bits: 4096 } => Some(KeyAlg::Rsa4096),
            _ => None,
        }
    }
}

/// Generates a key pair. ECDSA uses ring; RSA uses aws-lc-rs (ring cannot generate RSA).
pub fn generate(alg: KeyAlg) -> Result<KeyPair, KeyError> {
    let gen_err = |e: String| KeyError::Generate(e);
    match alg {
        KeyAlg::EcdsaP256 | KeyAlg::EcdsaP384 => {
            KeyPair::generate_for(alg.signature()).map_err(|e| gen_err(e.to_string()))
        }
        KeyAlg::Rsa2048 | KeyAlg::Rsa3072 | KeyAlg::Rsa4096 => {
            use aws_lc_rs::encoding::AsDer;
            use aws_lc_rs::rsa::KeySize;
            let size = match alg {
                KeyAlg::Rsa2048 => KeySize::Rsa2048,
                KeyAlg::Rsa3072 => KeySize::Rsa3072,
                _ => KeySize::Rsa4096,
            };
            let kp = aws_lc_rs::rsa::KeyPair::generate(size).map_err(|e| gen_err(e.to_string()))?;
            let der = kp.as_der().map_err(|e| gen_err(e.to_string()))?;
            let pkcs8 = PrivatePkcs8KeyDer::from(der.as_ref().to_vec());
            KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, alg.signature())
                .map_err(|e| gen_err(e.to_string()))
        }
    }
}

/// Loads a PKCS#8 PEM private key.
pub fn load_pem(bytes: &[u8]) -> Result<KeyPair, KeyError> {
    let der = crate::pem::decode_private_key(bytes).map_err(|e| KeyError::Load(e.to_string()))?;
    KeyPair::try_from(der.as_slice()).map_err(|e| {
        KeyError::Load(format!(
            "{e} (certctl reads ECDSA P-256/P-384, Ed25519 and RSA keys in PKCS#8)"
        ))
    })
}

/// The key's PKCS#8 PEM (for files written 0600; never for output).
pub fn to_pem(key: &KeyPair) -> String {
    crate::pem::encode("PRIVATE KEY", &key.serialize_der())
}

/// Whether the private key belongs to the certificate.
pub fn matches(key: &KeyPair, cert: &CertInfo) -> bool {
    key.public_key_raw() == cert.public_key.as_slice()
}

/// The public key (RSAPublicKey DER, or the EC point) of a private key in any form ACM
/// imports, read for the certificate's key type; None when it is not such a key.
pub(crate) fn public_key_of(
    format: crate::pem::KeyFormat,
    der: &[u8],
    cert_key: &KeyInfo,
) -> Option<Vec<u8>> {
    use crate::pem::KeyFormat;
    match cert_key {
        KeyInfo::Rsa { .. } => {
            let rsa = match format {
                KeyFormat::Pkcs1 => der.to_vec(),
                KeyFormat::Pkcs8 => pkcs8_inner(der, RSA_ENCRYPTION)?,
                KeyFormat::Sec1 => return None,
            };
            // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, … }
            let (_, body, _) = der_tlv(&rsa)?;
            let (_, _, rest) = der_tlv(body)?;
            let (n_len, rest2) = tlv_len(rest)?;
            let (e_len, _) = tlv_len(rest2)?;
            let inner = &rest[..n_len + e_len];
            let mut out = vec![0x30];
            out.extend(der_len(inner.len()));
            out.extend_from_slice(inner);
            Some(out)
        }
        KeyInfo::Ec { curve, .. } => {
            use aws_lc_rs::signature::{self, KeyPair as _};
            let alg = match curve.as_str() {
                "P-256" => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                "P-384" => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                "P-521" => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
                _ => return None,
            };
            if format == KeyFormat::Pkcs1 {
                return None;
            }
            let kp = signature::EcdsaKeyPair::from_private_key_der(alg, der).ok()?;
            Some(kp.public_key().as_ref().to_vec())
        }
        _ => None,
    }
}

/// rsaEncryption (1.2.840.113549.1.1.1), as DER OID content.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The privateKey octets of a PKCS#8 PrivateKeyInfo whose algorithm is `oid`.
fn pkcs8_inner(der: &[u8], oid: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = der_tlv(der)?;
    let (_, _, rest) = der_tlv(body)?; // version
    let (_, alg, rest) = der_tlv(rest)?; // AlgorithmIdentifier
    let (tag, alg_oid, _) = der_tlv(alg)?;
    if tag != 0x06 || alg_oid != oid {
        return None;
    }
    let (tag, key, _) = der_tlv(rest)?;
    (tag == 0x04).then(|| key.to_vec())
}

/// One DER element: (tag, content, rest). Bounded; never panics on hostile input.
fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (total, _) = tlv_len(b)?;
    let tag = *b.first()?;
    let header = total - content_len(b)?;
    Some((tag, &b[header..total], &b[total..]))
}

fn content_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some(usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*b.get(2 + i)?);
    }
    Some(len)
}

/// The whole length (header and content) of the first element, and what follows it.
fn tlv_len(b: &[u8]) -> Option<(usize, &[u8])> {
    let first = *b.get(1)?;
    let header = if first < 0x80 {
        2
    } else {
        2 + usize::from(first & 0x7f)
    };
    let total = header.checked_add(content_len(b)?)?;
    (total <= b.len()).then(|| (total, &b[total..]))
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut v = vec![0x80 | bytes.len() as u8];
        v.extend(bytes);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in [
            KeyAlg::EcdsaP256,
            KeyAlg::EcdsaP384,
            KeyAlg::Rsa2048,
            KeyAlg::Rsa3072,
            KeyAlg::Rsa4096,
        ] {
            assert_eq!(a.to_string().parse::<KeyAlg>().unwrap(), a);
        }
        assert!("dsa-1024".parse::<KeyAlg>().is_err());
    }

    #[test]
    fn ecdsa_pem_round_trip() {
        let k = generate(KeyAlg::EcdsaP256).unwrap();
        let back = load_pem(to_pem(&k).as_bytes()).unwrap();
        assert_eq!(back.public_key_raw(), k.public_key_raw());
        assert!(
            load_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err()
        );
    }
}
