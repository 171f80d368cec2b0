//! `rotate`'s ACM step for client sets with `acm-arn`: what ACM holds at the ARN (read before
//! anything is minted), and the re-import of the pair in place through `acm import`'s job.

use std::cell::{Cell, OnceCell};

use serde::Serialize;

use crate::acm_import::ImportUse;
use crate::aws::{Acm, SecretPem};
use crate::certset::CertSet;
use crate::exit::ExitStatus;
use crate::jobs::JobError;
use crate::keys::KeyAlg;
use crate::rotation::SetConfig;

/// Why ACM could not be reached at all (the clients could not be made).
#[derive(Debug, Clone)]
pub(crate) struct Unreachable {
    pub(crate) message: String,
    pub(crate) code: ExitStatus,
}

type Connect<'a> = dyn Fn() -> Result<Box<dyn Acm + 'a>, Unreachable> + 'a;

/// The ACM client of one run, made on first use: a config without `acm-arn` never makes it.
pub(crate) struct AcmLink<'a> {
    connect: Box<Connect<'a>>,
    made: OnceCell<Result<Box<dyn Acm + 'a>, Unreachable>>,
}

impl<'a> AcmLink<'a> {
    pub(crate) fn new(
        connect: impl Fn() -> Result<Box<dyn Acm + 'a>, Unreachable> + 'a,
    ) -> AcmLink<'a> {
        AcmLink {
            connect: Box::new(connect),
            made: OnceCell::new(),
        }
    }

    pub(crate) fn client(&self) -> Result<&dyn Acm, Failed> {
        match self.made.get_or_init(|| (self.connect)()) {
            Ok(c) => Ok(c.as_ref()),
            Err(e) => Err(Failed {
                message: e.message.clone(),
                code: e.code,
            }),
        }
    }
}

/// A failed ACM step: the message for the set's report and the exit code it asks for.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) message: String,
    pub(crate) code: ExitStatus,
}

fn aws_failed(what: String, e: &crate::jobs::acm::AcmError) -> Failed {
    let mut message = format!("{what}: {e}");
    if let Some(step) = e.step().filter(|s| !message.contains(s.as_str())) {
        message.push_str(&format!(" (during {step})"));
    }
    if let Some(h) = e.hint() {
        message.push_str(&format!("; {h}"));
    }
    Failed {
        message,
        code: e.exit_code(),
    }
}

/// The set's ACM side in its report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SetAcm {
    pub(crate) arn: String,
    /// ACM's KeyAlgorithm of the certificate at the ARN (before this run).
    pub(crate) key_algorithm: Option<String>,
    /// The SHA-256 of the certificate ACM held at the ARN before this run.
    pub(crate) held_sha256: Option<String>,
    /// `reimported`, `unchanged` (ACM already held the pair), `would-reimport` (dry run),
    /// `restored` (the previous pair re-imported after a rollback), `failed`, or absent when
    /// no re-import was needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) action: Option<&'static str>,
}

/// ACM's KeyAlgorithm name for a key type.
pub(crate) fn acm_key_name(k: KeyAlg) -> &'static str {
    match k {
        KeyAlg::EcdsaP256 => "EC_prime256v1",
        KeyAlg::EcdsaP384 => "EC_secp384r1",
        KeyAlg::Rsa2048 => "RSA_2048",
        KeyAlg::Rsa3072 => "RSA_3072",
        KeyAlg::Rsa4096 => "RSA_4096",
    }
}

/// What ACM holds at the set's ARN, read (DescribeCertificate, GetCertificate) before anything
/// is minted; refuses (exit 2) an ARN that is not an imported certificate or whose key type
/// differs from the set's `key` (a re-import must keep it).
pub(crate) fn held(link: &AcmLink<'_>, cfg: &SetConfig, arn: &str) -> Result<SetAcm, Failed> {
    let acm = link.client()?;
    let read_failed = |e: crate::aws::AwsError| {
        aws_failed(
            format!("cannot read acm-arn {arn}"),
            &crate::jobs::acm::AcmError::from(e),
        )
    };
    let region = crate::aws::arn_region(arn).unwrap_or_default();
    if region != acm.region() {
        return Err(Failed {
            message: format!(
                "acm-arn {arn} is in {region}, but certctl is talking to {}; pass --region {region}",
                acm.region()
            ),
            code: ExitStatus::BadInput,
        });
    }
    let d = acm.describe_certificate(arn).map_err(read_failed)?;
    if d.kind.as_deref() != Some("IMPORTED") {
        return Err(Failed {
            message: format!(
                "acm-arn {arn} is {}, not IMPORTED: only an imported certificate can be re-imported; import the set once with `certctl acm import` and put that ARN in the config",
                d.kind.as_deref().unwrap_or("of unknown type")
            ),
            code: ExitStatus::BadInput,
        });
    }
    let want = acm_key_name(cfg.key);
    if let Some(have) = d.key_algorithm.as_deref().filter(|h| *h != want) {
        return Err(Failed {
            message: format!(
                "acm-arn {arn} holds a {have} key but the set's key is {} ({want}): ACM re-imports only the same key type and size; set `key` to match, or import the set as a new certificate and use its ARN",
                cfg.key
            ),
            code: ExitStatus::BadInput,
        });
    }
    let (pem, _) = acm.get_certificate(arn).map_err(read_failed)?;
    let held_sha256 = crate::pem::decode_certificates(pem.as_bytes())
        .ok()
        .and_then(|d| {
            d.first()
                .map(|c| crate::x509::Fingerprint::sha256(c).colon_hex())
        });
    Ok(SetAcm {
        arn: arn.to_string(),
        key_algorithm: d.key_algorithm,
        held_sha256,
        action: None,
    })
}

/// The ACM side of one set's deploy: where to re-import and whether ACM now holds the pair
/// the run installed (so a rollback re-imports the previous one).
pub(crate) struct Reimport<'a> {
    pub(crate) client: &'a dyn Acm,
    pub(crate) arn: &'a str,
    pub(crate) at: i64,
    pub(crate) changed: Cell<bool>,
}

/// Re-imports the pair in place (cert.pem, key.pem, chain.pem, read through the set's handle)
/// to the ARN with `acm import`'s checks (API Gateway's client-certificate rules included).
/// Returns the import's action (`reimported`, `unchanged`).
pub(crate) fn reimport(r: &Reimport<'_>, set: &CertSet) -> Result<&'static str, Failed> {
    let read = |name: &str| -> Result<Option<Vec<u8>>, Failed> {
        set.read(name).map_err(|e| Failed {
            message: format!("cannot read {name} for the re-import: {e}"),
            code: e.exit_code(),
        })
    };
    let missing = |name: &str| Failed {
        message: format!("the set has no {name} to re-import"),
        code: ExitStatus::Operational,
    };
    let cert = read("cert.pem")?.ok_or_else(|| missing("cert.pem"))?;
    let key = read("key.pem")?.ok_or_else(|| missing("key.pem"))?;
    let key = String::from_utf8(crate::acm_import::trim(&key).to_vec()).map_err(|_| Failed {
        message: "key.pem is not PEM text".into(),
        code: ExitStatus::BadInput,
    })?;
    let req = crate::jobs::acm::ImportRequest {
        cert,
        key: SecretPem::new(key),
        chain: read("chain.pem")?,
        arn: Some(r.arn.to_string()),
        tags: Vec::new(),
        usage: ImportUse::Apigateway,
        dry_run: false,
    };
    let what = format!("re-import to {}", r.arn);
    let report = crate::jobs::acm::import(r.client, &req, r.at).map_err(|e| {
        // A write whose answer was lost may have landed: a rollback re-imports to be sure.
        r.changed.set(true);
        aws_failed(format!("{what} failed"), &e)
    })?;
    if report.action == "refused" {
        let why: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{} ({})", f.message, f.code.as_str()))
            .collect();
        return Err(Failed {
            message: format!("ACM would refuse the {what}: {}", why.join("; ")),
            code: ExitStatus::BadInput,
        });
    }
    if report.action == "reimported" {
        r.changed.set(true);
    }
    Ok(report.action)
}
