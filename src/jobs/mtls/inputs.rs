//! What `mtls plan|apply` reads before any AWS call: the CA bundle to trust (files or certctl
//! CA directories, or the client set's root), the client set, the S3 location and the trust
//! store's name.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;

use super::MtlsError;
use crate::albtrust::BundleInput;
use crate::certset::CertSet;
use crate::input_file::{self, CERTIFICATES};
use crate::x509::CertInfo;

/// `s3://BUCKET/KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Url {
    pub(crate) bucket: String,
    pub(crate) key: String,
}

impl S3Url {
    pub(crate) fn parse(s: &str) -> Result<S3Url, MtlsError> {
        let bad = || MtlsError::BadBucket(s.to_string());
        let rest = s.strip_prefix("s3://").ok_or_else(bad)?;
        let (bucket, key) = rest.split_once('/').ok_or_else(bad)?;
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !bucket_ok || key.is_empty() || key.len() > 1024 || key.chars().any(char::is_control) {
            return Err(bad());
        }
        Ok(S3Url {
            bucket: bucket.into(),
            key: key.into(),
        })
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// ELBv2's rule for a trust store name: 1 to 32 alphanumerics and hyphens, no hyphen at
/// either end.
pub(crate) fn valid_trust_store_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// `certctl-<load balancer name>-<port>`, cut to ELBv2's 32 characters (the port kept).
pub(crate) fn default_trust_store_name(listener_arn: &str, port: Option<i32>) -> String {
    // arn:…:listener/app/NAME/LB-ID/LISTENER-ID
    let lb = listener_arn
        .split(":listener/")
        .nth(1)
        .and_then(|r| r.split('/').nth(1))
        .unwrap_or("alb");
    let lb: String = lb
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let port = port.map(|p| format!("-{p}")).unwrap_or_default();
    let room = 32 - "certctl-".len() - port.len();
    let lb = lb.get(..room.min(lb.len())).unwrap_or("alb");
    let name = format!("certctl-{}{port}", lb.trim_matches('-'));
    name.replace("--", "-")
}

/// A client set written by `certctl issue client`, read through its directory handle.
pub(crate) struct ClientSet {
    pub(crate) cert: Vec<u8>,
    pub(crate) chain: Vec<u8>,
    pub(crate) key: String,
    /// The leaf, then chain.pem's certificates.
    pub(crate) ders: Vec<CertificateDer<'static>>,
}

pub(crate) fn read_client_set(dir: &Path) -> Result<ClientSet, MtlsError> {
    let problem = |p: String| MtlsError::ClientSet {
        path: dir.to_path_buf(),
        problem: p,
    };
    let set = CertSet::open(dir, false)?;
    let r = set.reader()?;
    let need = |name: &str| {
        r.read(name)?
            .ok_or_else(|| problem(format!("{name} is missing")))
    };
    let (cert, chain, key) = (need("cert.pem")?, need("chain.pem")?, need("key.pem")?);
    let key = String::from_utf8(key).map_err(|_| problem("key.pem is not PEM text".into()))?;
    let mut ders =
        crate::pem::decode_certificates(&cert).map_err(|e| problem(format!("cert.pem: {e}")))?;
    ders.truncate(1);
    ders.extend(
        crate::pem::decode_certificates(&chain).map_err(|e| problem(format!("chain.pem: {e}")))?,
    );
    Ok(ClientSet {
        cert,
        chain,
        key,
        ders,
    })
}

/// The bundle inputs: each `--ca` file, or a certctl CA directory's `ca.pem`.
pub(crate) fn read_cas(cas: &[PathBuf]) -> Result<Vec<BundleInput>, MtlsError> {
    cas.iter()
        .map(|p| {
            if p.is_dir() {
                let name = p.join("ca.pem").display().to_string();
                let bytes = CertSet::open_ca(p, false)?
                    .read("ca.pem")?
                    .ok_or_else(|| MtlsError::NoCa(name.clone()))?;
                Ok(BundleInput { name, bytes })
            } else {
                Ok(BundleInput {
                    name: p.display().to_string(),
                    bytes: input_file::read(p, CERTIFICATES)?,
                })
            }
        })
        .collect()
}

/// The root of a client set's chain.pem (its last, self-issued certificate) as the bundle.
pub(crate) fn root_of(set: &ClientSet, dir: &Path) -> Result<Vec<BundleInput>, MtlsError> {
    let name = dir.join("chain.pem").display().to_string();
    let root = set
        .ders
        .iter()
        .skip(1)
        .next_back()
        .filter(|d| CertInfo::parse(d).is_ok_and(|c| c.is_self_issued()))
        .ok_or_else(|| {
            MtlsError::NoCa(format!(
                "{name} (no root CA certificate at its end; pass --ca)"
            ))
        })?;
    Ok(vec![BundleInput {
        name,
        bytes: crate::pem::encode_certificate(root).into_bytes(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_and_trust_store_names() {
        let u = S3Url::parse("s3://my-bundles/alb/clients.pem").unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.key.as_str()),
            ("my-bundles", "alb/clients.pem")
        );
        assert_eq!(u.to_string(), "s3://my-bundles/alb/clients.pem");
        for bad in [
            "my-bundles/k",
            "s3://b",
            "s3://Bad_Bucket/k",
            "s3://my-bundles/",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad}");
        }
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/internal-alb/50dc6c495c0c9188/f2f7dc8efc522ab2";
        let n = default_trust_store_name(arn, Some(443));
        assert_eq!(n, "certctl-internal-alb-443");
        assert!(valid_trust_store_name(&n));
        let long = arn.replace("internal-alb", "a-very-long-load-balancer-name-of-32c");
        let n = default_trust_store_name(&long, Some(8443));
        assert!(valid_trust_store_name(&n) && n.ends_with("-8443"), "{n}");
        assert!(!valid_trust_store_name("-x") && !valid_trust_store_name("a_b"));
        assert!(valid_trust_store_name(&default_trust_store_name(
            "garbage", None
        )));
    }
}
