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
