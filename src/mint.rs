//! Builds certificates with rcgen: private root CAs and on-prem leaves, with time as a parameter.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;

use crate::keys::{self, KeyAlg, KeyError};
use crate::x509::CertInfo;

/// Why a certificate could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MintError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot build the certificate: {0}")]
    Build(String),
    #[error("the CA expired on {0}; run `certctl ca init --force` to make a new one")]
    CaExpired(String),
    #[error("--days must be between 1 and {max}, found {days}")]
    Days { days: u32, max: u32 },
    #[error("a certificate needs at least one DNS name or IP address")]
    NoNames,
    #[error("bad common name \"{0}\": it must be 1 to 64 characters, no control characters")]
    CommonName(String),
    #[error(transparent)]
    Names(#[from] crate::names::NameError),
    #[error("{0} cannot be encoded in a certificate (X.509 times end at 9999-12-31T23:59:59Z)")]
    TimeRange(String),
}

/// The last instant X.509 can encode: 9999-12-31T23:59:59Z (GeneralizedTime).
pub(crate) const MAX_TIME: i64 = 253_402_300_799;
/// The first instant certctl encodes: 0001-01-01T00:00:00Z (year 0 and before cannot be
/// written as GeneralizedTime).
pub(crate) const MIN_TIME: i64 = -62_135_596_800;

/// Whether a certificate made at `at` (back-dated as every certificate is) and valid `days`
/// days can be encoded.
pub(crate) fn validity_encodable(at: i64, days: u32) -> bool {
    at.checked_sub(BACKDATE).is_some_and(|t| t >= MIN_TIME)
        && at
            .checked_add(i64::from(days) * 86_400)
            .is_some_and(|t| t <= MAX_TIME)
}

/// Clock skew allowance: certificates start this many seconds before `at`.
const BACKDATE: i64 = 300;

/// The notBefore of a certificate made at `at`.
pub(crate) fn not_before(at: i64) -> i64 {
    at.saturating_sub(BACKDATE)
}

/// A certificate and its new key.
pub(crate) struct Minted {
    pub(crate) cert: CertInfo,
    pub(crate) key: KeyPair,
    /// Issuer certificates (the CA), leaf excluded; empty for self-signed.
    pub(crate) chain: Vec<Vec<u8>>,
    pub(crate) warnings: Vec<String>,
}

/// A loaded CA able to sign.
pub(crate) struct Ca {
    pub(crate) cert: CertInfo,
    pub(crate) key: KeyPair,
}

fn ts(t: i64) -> Result<time::OffsetDateTime, MintError> {
    // Checked here: the DER encoder panics on a year it cannot write.
    if !(MIN_TIME..=MAX_TIME).contains(&t) {
        return Err(MintError::TimeRange(format!(
            "the instant {t} (Unix seconds)"
        )));
    }
    time::OffsetDateTime::from_unix_timestamp(t).map_err(|e| MintError::Build(e.to_string()))
}

fn serial() -> Result<SerialNumber, MintError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| MintError::Build("no randomness for the serial number".into()))?;
    b[0] = (b[0] & 0x7f) | 0x01; // positive, 128 bits, no leading zero byte
    Ok(SerialNumber::from_slice(&b))
}

fn parse(der: &[u8]) -> Result<CertInfo, MintError> {
    CertInfo::parse(&CertificateDer::from(der.to_vec()))
        .map_err(|e| MintError::Build(e.to_string()))
}

/// A self-signed root CA for on-prem use (pathlen 0: it issues leaves only).
pub(crate) fn ca(name: &str, alg: KeyAlg, days: u32, at: i64) -> Result<Minted, MintError> {
    if days == 0 || days > 36_500 {
        return Err(MintError::Days { days, max: 36_500 });
    }
    let key = keys::generate(alg)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = ts(at - BACKDATE)?;
    p.not_after = ts(at + i64::from(days) * 86_400)?;
    p.serial_number = Some(serial()?);
    let cert = p
        .self_signed(&key)
        .map_err(|e| MintError::Build(e.to_string()))?;
    Ok(Minted {
        cert: parse(cert.der())?,
        key,
        chain: Vec::new(),
        warnings: Vec::new(),
    })
}

/// What an on-prem leaf should hold.
#[derive(Debug, Clone)]
pub(crate) struct LeafSpec {
    pub(crate) dns: Vec<String>,
    pub(crate) ips: Vec<IpAddr>,
    pub(crate) key: KeyAlg,
    pub(crate) days: u32,
    pub(crate) at: i64,
}

/// A server leaf: self-signed without a CA, else signed by it (validity capped at the CA's).
pub(crate) fn leaf(spec: &LeafSpec, ca: Option<&Ca>) -> Result<Minted, MintError> {
    check_leaf_days(spec.days)?;
    if spec.dns.is_empty() && spec.ips.is_empty() {
        return Err(MintError::NoNames);
    }
    crate::names::check_count(spec.dns.len() + spec.ips.len())?;
    let key = keys::generate(spec.key)?;
    let cn = spec
        .dns
        .first()
        .cloned()
        .unwrap_or_else(|| spec.ips[0].to_string());
    let mut p = leaf_params(&cn, &spec.dns)?;
    p.subject_alt_names
        .extend(spec.ips.iter().map(|ip| SanType::IpAddress(*ip)));
    p.key_usages = if spec.key.is_rsa() {
        vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ]
    } else {
        vec![KeyUsagePurpose::DigitalSignature]
    };
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    sign_leaf(p, key, spec.days, spec.at, ca)
}

/// What a client certificate (TLS client authentication, e.g. API Gateway presenting itself to
/// an ALB that verifies clients) should hold.
#[derive(Debug, Clone)]
pub(crate) struct ClientSpec {
    /// The subject's common name (required: it names the client in logs and headers).
    pub(crate) cn: String,
    /// Optional DNS names (subjectAltName).
    pub(crate) dns: Vec<String>,
    pub(crate) key: KeyAlg,
    pub(crate) days: u32,
    pub(crate) at: i64,
}

/// A client leaf signed by `ca`: extendedKeyUsage clientAuth only, keyUsage digitalSignature
/// (critical), basicConstraints CA:FALSE; validity capped at the CA's.
pub(crate) fn client_leaf(spec: &ClientSpec, ca: &Ca) -> Result<Minted, MintError> {
    check_leaf_days(spec.days)?;
    let cn = &spec.cn;
    if cn.trim().is_empty() || cn.chars().count() > 64 || cn.chars().any(char::is_control) {
        return Err(MintError::CommonName(spec.cn.clone()));
    }
    crate::names::check_count(spec.dns.len())?;
    let key = keys::generate(spec.key)?;
    let mut p = leaf_params(&spec.cn, &spec.dns)?;
    // The signature a TLS client makes (CertificateVerify) is all the key does, for RSA too.
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    sign_leaf(p, key, spec.days, spec.at, Some(ca))
}

fn check_leaf_days(days: u32) -> Result<(), MintError> {
    if days == 0 || days > 3650 {
        return Err(MintError::Days { days, max: 3650 });
    }
    Ok(())
}

/// A leaf's subject (CN) and DNS SANs, CA:FALSE.
fn leaf_params(cn: &str, dns: &[String]) -> Result<CertificateParams, MintError> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    for d in dns {
        p.subject_alt_names.push(SanType::DnsName(
            d.clone()
                .try_into()
                .map_err(|e: rcgen::Error| MintError::Build(e.to_string()))?,
        ));
    }
    p.is_ca = IsCa::ExplicitNoCa;
    Ok(p)
}

/// Serial, validity (from `at`, back-dated; capped at the CA's expiry with a warning) and the
/// signature: self-signed without a CA, else by it.
fn sign_leaf(
    mut p: CertificateParams,
    key: KeyPair,
    days: u32,
    at: i64,
    ca: Option<&Ca>,
) -> Result<Minted, MintError> {
    p.serial_number = Some(serial()?);
    p.not_before = ts(at - BACKDATE)?;
    let mut not_after = at + i64::from(days) * 86_400;
    let mut warnings = Vec::new();
    let cert = match ca {
        None => {
            p.not_after = ts(not_after)?;
            p.self_signed(&key)
        }
        Some(ca) => {
            if ca.cert.not_after <= at {
                return Err(MintError::CaExpired(crate::x509::rfc3339(
                    ca.cert.not_after,
                )));
            }
            if not_after > ca.cert.not_after {
                not_after = ca.cert.not_after;
                warnings.push(format!(
                    "validity capped at the CA's expiry, {} ({} days instead of {})",
                    crate::x509::rfc3339(not_after),
                    (not_after - at) / 86_400,
                    days
                ));
            }
            p.not_after = ts(not_after)?;
            p.use_authority_key_identifier_extension = true;
            let issuer =
                Issuer::from_ca_cert_der(&CertificateDer::from(ca.cert.der.as_slice()), &ca.key)
                    .map_err(|e| MintError::Build(format!("cannot use the CA certificate: {e}")))?;
            p.signed_by(&key, &issuer)
        }
    }
    .map_err(|e| MintError::Build(e.to_string()))?;
    Ok(Minted {
        cert: parse(cert.der())?,
        key,
        chain: ca.map(|c| vec![c.cert.der.clone()]).unwrap_or_default(),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: i64 = 1_900_000_000;

    #[test]
    fn self_signed_leaf_has_the_expected_shape() {
        let spec = LeafSpec {
            dns: vec!["lb.example.internal".into()],
            ips: vec!["10.0.0.5".parse().unwrap()],
            key: KeyAlg::EcdsaP256,
            days: 90,
            at: AT,
        };
        let m = leaf(&spec, None).unwrap();
        assert_eq!(m.cert.dns_names, vec!["lb.example.internal".to_string()]);
        assert_eq!(
            m.cert.ip_addresses,
            vec!["10.0.0.5".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(m.cert.common_name.as_deref(), Some("lb.example.internal"));
        assert_eq!(m.cert.not_after, AT + 90 * 86_400);
        assert_eq!(
            m.cert.extended_key_usage.as_deref(),
            Some(&["serverAuth".to_string()][..])
        );
        assert_eq!(m.cert.basic_constraints_ca, Some(false));
        assert!(m.cert.subject_key_id.is_some());
        assert!(keys::matches(&m.key, &m.cert));
        assert!(m.cert.serial.len() >= 47, "{}", m.cert.serial);
    }

    #[test]
    fn unencodable_times_are_errors_not_panics() {
        // 0000-01-01T00:00:00Z: back-dated, it falls in year -1.
        let at = -62_167_219_200;
        let spec = LeafSpec {
            dns: vec!["lb.example.internal".into()],
            ips: vec![],
            key: KeyAlg::EcdsaP256,
            days: 1,
            at,
        };
        assert!(matches!(leaf(&spec, None), Err(MintError::TimeRange(_))));
        assert!(matches!(
            ca("x", KeyAlg::EcdsaP256, 1, at),
            Err(MintError::TimeRange(_))
        ));
        let late = LeafSpec {
            at: MAX_TIME - 86_400,
            days: 2,
            ..spec
        };
        assert!(matches!(leaf(&late, None), Err(MintError::TimeRange(_))));
        assert!(!validity_encodable(at, 1));
        assert!(!validity_encodable(MAX_TIME - 86_400, 2));
        assert!(validity_encodable(AT, 3650));
    }

    #[test]
    fn ca_signed_leaf_is_capped_at_the_ca_expiry() {
        let c = ca("Unit CA", KeyAlg::EcdsaP256, 30, AT).unwrap();
        let ca = Ca {
            cert: c.cert,
            key: c.key,
        };
        let spec = LeafSpec {
            dns: vec!["lb.example.internal".into()],
            ips: vec![],
            key: KeyAlg::EcdsaP384,
            days: 365,
            at: AT,
        };
        let m = leaf(&spec, Some(&ca)).unwrap();
        assert_eq!(m.cert.not_after, ca.cert.not_after);
        assert_eq!(m.warnings.len(), 1);
        assert!(m.cert.issued_by(&ca.cert));
        assert_eq!(m.chain.len(), 1);
        assert!(leaf(
            &LeafSpec {
                days: 0,
                ..spec.clone()
            },
            None
        )
        .is_err());
        assert!(leaf(&spec, Some(&ca)).is_ok());
        let late = LeafSpec {
            at: AT + 40 * 86_400,
            ..spec
        };
        assert!(matches!(
            leaf(&late, Some(&ca)),
            Err(MintError::CaExpired(_))
        ));
    }

    #[test]
    fn client_leaf_is_for_client_auth_only() {
        let c = ca("Unit CA", KeyAlg::EcdsaP256, 30, AT).unwrap();
        let ca = Ca {
            cert: c.cert,
            key: c.key,
        };
        let spec = ClientSpec {
            cn: "apigw-backend-client".into(),
            dns: vec![],
            key: KeyAlg::EcdsaP256,
            days: 365,
            at: AT,
        };
        let m = client_leaf(&spec, &ca).unwrap();
        assert_eq!(m.cert.common_name.as_deref(), Some("apigw-backend-client"));
        assert_eq!(
            m.cert.extended_key_usage.as_deref(),
            Some(&["clientAuth".to_string()][..])
        );
        assert_eq!(
            m.cert.key_usage.as_deref(),
            Some(&["digitalSignature".to_string()][..])
        );
        assert_eq!(m.cert.basic_constraints_ca, Some(false));
        assert!(m.cert.dns_names.is_empty());
        assert!(m.cert.issued_by(&ca.cert));
        assert_eq!(m.cert.not_after, ca.cert.not_after, "capped at the CA");
        assert_eq!(m.warnings.len(), 1);
        let detail = crate::x509::CertDetail::parse(&m.cert.der).unwrap();
        let ku = detail.extension("2.5.29.15").unwrap();
        assert!(ku.critical, "keyUsage is critical");
        for bad in ["", " ", "a\nb", &"x".repeat(65)] {
            let s = ClientSpec {
                cn: bad.to_string(),
                ..spec.clone()
            };
            assert!(
                matches!(client_leaf(&s, &ca), Err(MintError::CommonName(_))),
                "{bad:?}"
            );
        }
        let named = ClientSpec {
            dns: vec!["client.example.internal".into()],
            ..spec
        };
        let m = client_leaf(&named, &ca).unwrap();
        assert_eq!(
            m.cert.dns_names,
            vec!["client.example.internal".to_string()]
        );
    }
}
