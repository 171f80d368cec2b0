//! `acm import`: a certificate, its chain and key into ACM, checked first against every
//! import requirement; `--arn` re-imports in place. Idempotent: the same certificate already
//! there (at the ARN, or imported anywhere in the region) is reported, not imported again.

use super::*;
use crate::acm_import::{self, ImportFiles, ImportFinding, ImportUse, Importable};
use crate::aws::{ImportSpec, SecretPem};

/// What `acm import` is asked to do. The key's bytes are a secret: never in a report.
pub(crate) struct ImportRequest {
    pub(crate) cert: Vec<u8>,
    pub(crate) key: SecretPem,
    pub(crate) chain: Option<Vec<u8>>,
    pub(crate) arn: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) usage: ImportUse,
    pub(crate) dry_run: bool,
}

/// The certificate as imported (or as it would be).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ImportedCert {
    pub(crate) subject: String,
    pub(crate) serial: String,
    pub(crate) sha256: String,
    pub(crate) not_after: String,
    pub(crate) key_algorithm: String,
    /// API Gateway's client-certificate rules were checked.
    pub(crate) apigateway_rules: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ImportReport {
    pub(crate) schema_version: u32,
    /// `imported`, `reimported`, `unchanged` (the same certificate is at --arn),
    /// `already-imported` (found in the region), `would-import`, `would-reimport`, `refused`.
    pub(crate) action: &'static str,
    pub(crate) arn: Option<String>,
    pub(crate) dry_run: bool,
    pub(crate) calls: Vec<String>,
    pub(crate) certificate: Option<ImportedCert>,
    /// ACM's status after the import (read back), when known.
    pub(crate) status: Option<String>,
    pub(crate) findings: Vec<ImportFinding>,
}

impl ImportReport {
    pub(crate) fn exit_code(&self) -> ExitStatus {
        if self.action == "refused" {
            ExitStatus::BadInput
        } else {
            ExitStatus::Ok
        }
    }

    fn refused(findings: Vec<ImportFinding>, arn: Option<String>, dry_run: bool) -> ImportReport {
        ImportReport {
            schema_version: 1,
            action: "refused",
            arn,
            dry_run,
            calls: Vec::new(),
            certificate: None,
            status: None,
            findings,
        }
    }
}

fn summary(i: &Importable) -> ImportedCert {
    ImportedCert {
        subject: i.info.subject().to_string(),
        serial: i.info.serial.clone(),
        sha256: i.fingerprint.colon_hex(),
        not_after: crate::x509::rfc3339(i.info.not_after),
        key_algorithm: i.key_algorithm.clone(),
        apigateway_rules: i.apigateway,
    }
}

/// The SHA-256 of the certificate ACM holds at `arn`.
fn held_fingerprint(acm: &dyn Acm, arn: &str) -> Result<Option<String>, AcmError> {
    let (pem, _) = acm.get_certificate(arn)?;
    Ok(crate::pem::decode_certificates(pem.as_bytes())
        .ok()
        .and_then(|d| {
            d.first()
                .map(|c| crate::x509::Fingerprint::sha256(c).colon_hex())
        }))
}

/// An imported certificate of the region with the same fingerprint, found through
/// ListCertificates (same name and key type), DescribeCertificate (IMPORTED) and
/// GetCertificate.
fn find_imported(acm: &dyn Acm, new: &Importable) -> Result<Option<String>, AcmError> {
    let want = new.fingerprint.colon_hex();
    let name = new
        .info
        .common_name
        .clone()
        .or_else(|| new.info.dns_names.first().cloned())
        .unwrap_or_default();
    let listed = acm.list_certificates(&ListQuery {
        key_types: ALL_KEY_TYPES.to_vec(),
        statuses: Vec::new(),
    })?;
    for c in listed {
        let same_key = c
            .key_algorithm
            .as_deref()
            .is_none_or(|k| k == new.key_algorithm);
        if !same_key || (!name.is_empty() && !c.domain.eq_ignore_ascii_case(&name)) {
            continue;
        }
        if acm.describe_certificate(&c.arn)?.kind.as_deref() != Some("IMPORTED") {
            continue;
        }
        if held_fingerprint(acm, &c.arn)?.as_deref() == Some(want.as_str()) {
            return Ok(Some(c.arn));
        }
    }
    Ok(None)
}

/// A certificate ARN of this client's region.
fn check_arn(acm: &dyn Acm, arn: &str) -> Result<(), AcmError> {
    if !arn.starts_with("arn:") || !arn.contains(":acm:") || !arn.contains(":certificate/") {
        return Err(AcmError::BadArn(arn.to_string()));
    }
    let region = arn_region(arn).unwrap_or_default();
    if region != acm.region() {
        return Err(AcmError::OtherRegion {
            arn: region.to_string(),
            client: acm.region(),
        });
    }
    Ok(())
}

/// Checks the files, then imports (or re-imports to `--arn`) unless the same certificate is
/// already there. Every requirement is checked before any AWS call that writes.
pub(crate) fn import(
    acm: &dyn Acm,
    req: &ImportRequest,
    at: i64,
) -> Result<ImportReport, AcmError> {
    if let Some(arn) = &req.arn {
        check_arn(acm, arn)?;
    }
    let files = ImportFiles {
        cert: &req.cert,
        key: req.key.expose().as_bytes(),
        chain: req.chain.as_deref(),
    };
    let new = match acm_import::check(&files, at, req.usage) {
        Ok(n) => n,
        Err(f) => return Ok(ImportReport::refused(f, req.arn.clone(), req.dry_run)),
    };
    let want = new.fingerprint.colon_hex();
    let (existing, verb) = match &req.arn {
        Some(arn) => {
            let current = acm.describe_certificate(arn)?;
            let f = acm_import::check_reimport(&new, &current, !req.tags.is_empty());
            if !f.is_empty() {
                return Ok(ImportReport::refused(f, req.arn.clone(), req.dry_run));
            }
            let same = held_fingerprint(acm, arn)?.as_deref() == Some(want.as_str());
            (same.then(|| arn.clone()), "reimport")
        }
        None => (find_imported(acm, &new)?, "import"),
    };
    let mut report = ImportReport {
        schema_version: 1,
        action: "",
        arn: existing.clone().or_else(|| req.arn.clone()),
        dry_run: req.dry_run,
        calls: Vec::new(),
        certificate: Some(summary(&new)),
        status: None,
        findings: Vec::new(),
    };
    if existing.is_some() {
        report.action = if req.arn.is_some() {
            "unchanged"
        } else {
            "already-imported"
        };
        return Ok(report);
    }
    report.calls.push(match &req.arn {
        Some(arn) => format!(
            "acm:ImportCertificate --certificate-arn {arn} ({})",
            summary(&new).subject
        ),
        None => format!("acm:ImportCertificate ({})", summary(&new).subject),
    });
    if req.dry_run {
        report.action = if verb == "reimport" {
            "would-reimport"
        } else {
            "would-import"
        };
        return Ok(report);
    }
    let spec = ImportSpec {
        certificate: new.cert_pem.clone(),
        private_key: req.key.clone(),
        chain: new.chain_pem.clone(),
        arn: req.arn.clone(),
        tags: req.tags.clone(),
    };
    let arn = acm.import_certificate(&spec)?;
    let done = [crate::jobs::Change {
        kind: "acm-certificate",
        id: arn.clone(),
    }];
    let d = acm
        .describe_certificate(&arn)
        .map_err(|e| AcmError::from(e).after(&done))?;
    report.action = if verb == "reimport" {
        "reimported"
    } else {
        "imported"
    };
    report.status = Some(d.status.to_string());
    report.arn = Some(arn);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::FakeAws;

    const AT: i64 = 1_900_000_000;

    struct Made {
        cert: String,
        key: String,
        chain: String,
    }

    fn made(alg: &'static rcgen::SignatureAlgorithm, client: bool) -> Made {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let t = |s: i64| time::OffsetDateTime::from_unix_timestamp(s).unwrap();
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.not_before = t(AT - 86_400);
        ca.not_after = t(AT + 3650 * 86_400);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
        let key = KeyPair::generate_for(alg).unwrap();
        let mut p = CertificateParams::new(vec!["client.example.com".to_string()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "client.example.com");
        p.not_before = t(AT - 86_400);
        p.not_after = t(AT + 90 * 86_400);
        if client {
            p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        }
        let cert = p.signed_by(&key, &issuer).unwrap();
        Made {
            cert: cert.pem(),
            key: key.serialize_pem(),
            chain: ca_cert.pem(),
        }
    }

    fn request(m: &Made, arn: Option<&str>) -> ImportRequest {
        ImportRequest {
            cert: m.cert.clone().into_bytes(),
            key: SecretPem::new(m.key.clone()),
            chain: Some(m.chain.clone().into_bytes()),
            arn: arn.map(str::to_string),
            tags: Vec::new(),
            usage: ImportUse::Auto,
            dry_run: false,
        }
    }

    #[test]
    fn imports_once_then_finds_it_and_reimports_in_place() {
        let aws = FakeAws::default();
        let m = made(&rcgen::PKCS_ECDSA_P256_SHA256, true);
        let r = import(&aws, &request(&m, None), AT).unwrap();
        assert_eq!(r.action, "imported");
        let arn = r.arn.clone().unwrap();
        assert!(r.certificate.as_ref().unwrap().apigateway_rules);
        // The same files again: found, not imported twice.
        let again = import(&aws, &request(&m, None), AT).unwrap();
        assert_eq!(
            (again.action, again.arn.as_deref()),
            ("already-imported", Some(arn.as_str()))
        );
        assert_eq!(aws.imports.borrow().len(), 1);
        // At its ARN: unchanged; a new certificate of the same key type: re-imported there.
        assert_eq!(
            import(&aws, &request(&m, Some(&arn)), AT).unwrap().action,
            "unchanged"
        );
        let m2 = made(&rcgen::PKCS_ECDSA_P256_SHA256, true);
        let r2 = import(&aws, &request(&m2, Some(&arn)), AT).unwrap();
        assert_eq!(
            (r2.action, r2.arn.as_deref()),
            ("reimported", Some(arn.as_str()))
        );
        assert_eq!(aws.certs.borrow().len(), 1, "one certificate in ACM");
        // A key type change is refused before any write.
        let m3 = made(&rcgen::PKCS_ECDSA_P384_SHA384, true);
        let r3 = import(&aws, &request(&m3, Some(&arn)), AT).unwrap();
        assert_eq!(r3.action, "refused");
        assert_eq!(
            r3.findings[0].code,
            acm_import::ImportCode::ReimportKeyChanged
        );
        assert_eq!(aws.imports.borrow().len(), 2);
    }

    #[test]
    fn a_refusal_writes_nothing_and_a_dry_run_only_says_what_it_would_do() {
        let aws = FakeAws::default();
        let m = made(&rcgen::PKCS_ECDSA_P256_SHA256, false);
        let mut req = request(&m, None);
        req.key = SecretPem::new(made(&rcgen::PKCS_ECDSA_P256_SHA256, false).key);
        let r = import(&aws, &req, AT).unwrap();
        assert_eq!(r.action, "refused");
        assert_eq!(r.exit_code(), ExitStatus::BadInput);
        assert!(r
            .findings
            .iter()
            .any(|f| f.code == acm_import::ImportCode::KeyMismatch));
        let expired = import(&aws, &request(&m, None), AT + 400 * 86_400).unwrap();
        assert!(expired
            .findings
            .iter()
            .any(|f| f.code == acm_import::ImportCode::Expired));
        let mut dry = request(&m, None);
        dry.dry_run = true;
        let d = import(&aws, &dry, AT).unwrap();
        assert_eq!((d.action, d.calls.len()), ("would-import", 1));
        assert!(aws.imports.borrow().is_empty());
        // The key never reaches a report.
        let json = serde_json::to_string(&d).unwrap();
        assert!(!json.contains("PRIVATE KEY") && !format!("{:?}", dry.key).contains("PRIVATE"));
    }
}
