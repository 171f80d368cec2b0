//! In-memory ACM, Route 53 and ELBv2 for unit tests of the job logic (never instead of the
//! emulator tests): records appear after a few describes, issuance after more.

use std::cell::RefCell;

use super::*;

/// An S3 object of the fake: (bucket, key, version, bytes).
pub(crate) type FakeObject = (String, String, Option<String>, Vec<u8>);

/// A listener and its certificates (arn, is_default).
pub(crate) type ListenerState = (Listener, Vec<(String, bool)>);

#[derive(Default)]
pub(crate) struct FakeAws {
    pub(crate) certs: RefCell<Vec<CertDetail>>,
    /// Describes left before a new certificate's records appear.
    pub(crate) records_after: usize,
    /// Describes left before a pending certificate is issued (None: never).
    pub(crate) issue_after: Option<usize>,
    pub(crate) fail_with: Option<String>,
    pub(crate) describes: RefCell<usize>,
    pub(crate) requests: RefCell<Vec<RequestSpec>>,
    pub(crate) list_queries: RefCell<Vec<ListQuery>>,
    pub(crate) zones: Vec<HostedZone>,
    pub(crate) upserts: RefCell<Vec<(String, Vec<DnsRecord>)>>,
    pub(crate) listeners: RefCell<Vec<ListenerState>>,
    pub(crate) deny: Option<&'static str>,
    /// GetCertificate's answer (certificate PEM, chain PEM).
    pub(crate) pem: Option<(String, Option<String>)>,
    pub(crate) lbs: Vec<LoadBalancer>,
    /// (load balancer ARN, listener).
    pub(crate) lb_listeners: Vec<(String, ListenerInfo)>,
    pub(crate) tgs: Vec<TargetGroup>,
    /// (target group ARN, target).
    pub(crate) health: Vec<(String, TargetHealth)>,
    /// (zone id, record set).
    pub(crate) record_sets: Vec<(String, RecordSet)>,
    pub(crate) links: Vec<VpcLink>,
    pub(crate) integrations: Vec<Integration>,
    /// Errors the next DescribeCertificate calls return, first to last.
    pub(crate) describe_errors: RefCell<Vec<AwsError>>,
    /// Describes that succeed before `describe_errors` apply (counted since the last request).
    pub(crate) errors_after: RefCell<usize>,
    /// UPSERTs into this zone fail.
    pub(crate) upsert_fails_in: Option<String>,
    /// DescribeListenerCertificates fails once a certificate was added or made default.
    pub(crate) verify_read_fails: bool,
    pub(crate) listener_writes: RefCell<usize>,
    /// (stage, variables); a stage not listed is not found.
    pub(crate) stages: Vec<(String, std::collections::BTreeMap<String, String>)>,
    /// Every ImportCertificate call, in order.
    pub(crate) imports: RefCell<Vec<ImportSpec>>,
    /// (ARN, certificate PEM, chain PEM) of imported certificates, for GetCertificate.
    pub(crate) imported_pems: RefCell<Vec<(String, String, Option<String>)>>,
    /// Trust stores and the bundle each holds.
    pub(crate) trust_stores_held: RefCell<Vec<(TrustStore, Vec<u8>)>>,
    /// S3 objects: (bucket, key, version, bytes), oldest first.
    pub(crate) objects: RefCell<Vec<FakeObject>>,
    /// Buckets with versioning enabled.
    pub(crate) versioned: Vec<String>,
    /// Listeners' mutual authentication (listener ARN, setting).
    pub(crate) mutual: RefCell<Vec<(String, MutualAuth)>>,
    /// Stages' client certificates ("api/stage", id or ARN).
    pub(crate) stage_certs: RefCell<Vec<(String, Option<String>)>>,
    /// Generated API Gateway client certificates.
    pub(crate) generated: Vec<GeneratedClientCert>,
}

impl FakeAws {
    fn check(&self, action: &str) -> Result<(), AwsError> {
        match self.deny {
            Some(a) if a == action => Err(AwsError::AccessDenied {
                action: action.into(),
                message: "not authorized".into(),
            }),
            _ => Ok(()),
        }
    }
}

impl Acm for FakeAws {
    fn list_certificates(&self, q: &ListQuery) -> Result<Vec<CertListItem>, AwsError> {
        self.check("acm:ListCertificates")?;
        self.list_queries.borrow_mut().push(q.clone());
        Ok(self
            .certs
            .borrow()
            .iter()
            .filter(|c| q.statuses.is_empty() || q.statuses.contains(&c.status.as_str()))
            // Like ACM: without Includes.keyTypes, only RSA certificates are listed.
            .filter(|c| {
                let k = c.key_algorithm.as_deref().unwrap_or("RSA_2048");
                q.key_types.contains(&k)
            })
            .map(|c| CertListItem {
                arn: c.arn.clone(),
                domain: c.domain.clone(),
                names: c.names.clone(),
                status: c.status.clone(),
                key_algorithm: c.key_algorithm.clone(),
                not_after: c.not_after,
                in_use: !c.in_use_by.is_empty(),
            })
            .collect())
    }

    fn describe_certificate(&self, arn: &str) -> Result<CertDetail, AwsError> {
        self.check("acm:DescribeCertificate")?;
        if !self.describe_errors.borrow().is_empty()
            && *self.describes.borrow() >= *self.errors_after.borrow()
        {
            *self.describes.borrow_mut() += 1;
            return Err(self.describe_errors.borrow_mut().remove(0));
        }
        let n = {
            let mut d = self.describes.borrow_mut();
            *d += 1;
            *d
        };
        let mut certs = self.certs.borrow_mut();
        let c = certs
            .iter_mut()
            .find(|c| c.arn == arn)
            .ok_or(AwsError::NotFound {
                what: "certificate".into(),
                message: arn.into(),
            })?;
        if n > self.records_after {
            for v in c.validations.iter_mut() {
                if v.record.is_none() {
                    v.record = Some(DnsRecord {
                        name: format!("_x1.{}.", v.domain.trim_start_matches("*.")),
                        kind: "CNAME".into(),
                        value: "_x2.acm-validations.aws.".into(),
                    });
                }
            }
        }
        if c.status == CertStatus::PendingValidation {
            if let Some(after) = self.issue_after {
                if n > after {
                    match &self.fail_with {
                        Some(reason) => {
                            c.status = "FAILED".into();
                            c.failure_reason = Some(reason.clone());
                        }
                        None => {
                            c.status = "ISSUED".into();
                            c.not_after = Some(2_000_000_000);
                            for v in c.validations.iter_mut() {
                                v.status = Some("SUCCESS".into());
                            }
                        }
                    }
                }
            }
        }
        Ok(c.clone())
    }

    fn request_certificate(&self, spec: &RequestSpec) -> Result<String, AwsError> {
        self.check("acm:RequestCertificate")?;
        // Like ACM (within the hour): a repeated token gets the certificate it made, whatever
        // its state.
        let earlier = self
            .requests
            .borrow()
            .iter()
            .position(|r| r.idempotency_token == spec.idempotency_token);
        if let Some(i) = earlier {
            return Ok(format!(
                "arn:aws:acm:eu-west-1:123456789012:certificate/fake-{}",
                i + 1
            ));
        }
        self.requests.borrow_mut().push(spec.clone());
        let arn = format!(
            "arn:aws:acm:eu-west-1:123456789012:certificate/fake-{}",
            self.requests.borrow().len()
        );
        self.certs.borrow_mut().push(CertDetail {
            arn: arn.clone(),
            domain: spec.domain.clone(),
            names: spec.sans.clone(),
            status: "PENDING_VALIDATION".into(),
            key_algorithm: Some(spec.key_algorithm.clone()),
            validations: spec
                .sans
                .iter()
                .map(|n| Validation {
                    domain: n.clone(),
                    status: Some("PENDING_VALIDATION".into()),
                    record: None,
                })
                .collect(),
            ..CertDetail::default()
        });
        *self.describes.borrow_mut() = 0;
        Ok(arn)
    }

    fn get_certificate(&self, arn: &str) -> Result<(String, Option<String>), AwsError> {
        if let Some((_, c, ch)) = self
            .imported_pems
            .borrow()
            .iter()
            .find(|(a, _, _)| a == arn)
        {
            return Ok((c.clone(), ch.clone()));
        }
        self.pem.clone().ok_or(AwsError::Rejected {
            action: "acm:GetCertificate".into(),
            code: "Unsupported".into(),
            message: "the fake has no PEM".into(),
        })
    }

    fn import_certificate(&self, spec: &ImportSpec) -> Result<String, AwsError> {
        self.check("acm:ImportCertificate")?;
        self.imports.borrow_mut().push(spec.clone());
        let info = crate::pem::decode_certificates(spec.certificate.as_bytes())
            .ok()
            .and_then(|d| d.first().and_then(|c| crate::x509::CertInfo::parse(c).ok()));
        let arn = spec.arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:acm:eu-west-1:123456789012:certificate/imported-{}",
                self.imports.borrow().len()
            )
        });
        let detail = CertDetail {
            arn: arn.clone(),
            domain: info
                .as_ref()
                .and_then(|i| i.common_name.clone())
                .unwrap_or_default(),
            status: CertStatus::Issued,
            key_algorithm: info.as_ref().map(|i| match &i.key {
                crate::x509::KeyInfo::Rsa { bits } => format!("RSA_{bits}"),
                crate::x509::KeyInfo::Ec { curve, .. } if curve == "P-256" => {
                    "EC_prime256v1".into()
                }
                crate::x509::KeyInfo::Ec { curve, .. } if curve == "P-384" => "EC_secp384r1".into(),
                _ => "EC_secp521r1".into(),
            }),
            not_after: info.as_ref().map(|i| i.not_after),
            kind: Some("IMPORTED".into()),
            serial: info.as_ref().map(|i| i.serial.clone()),
            ..CertDetail::default()
        };
        let mut certs = self.certs.borrow_mut();
        certs.retain(|c| c.arn != arn);
        certs.push(detail);
        let mut pems = self.imported_pems.borrow_mut();
        pems.retain(|(a, _, _)| *a != arn);
        pems.push((arn.clone(), spec.certificate.clone(), spec.chain.clone()));
        Ok(arn)
    }

    fn region(&self) -> String {
        "eu-west-1".into()
    }
}

/// The audit's calls, with their default mapping onto the fake's ACM and Route 53.
impl super::AuditCalls for FakeAws {}

impl Dns for FakeAws {
    fn list_hosted_zones(&self) -> Result<Vec<HostedZone>, AwsError> {
        Ok(self.zones.clone())
    }
    fn upsert(&self, zone_id: &str, records: &[DnsRecord]) -> Result<String, AwsError> {
        if self.upsert_fails_in.as_deref() == Some(zone_id) {
            return Err(AwsError::ServerError {
                action: "route53:ChangeResourceRecordSets".into(),
                status: 503,
                code: "ServiceUnavailable".into(),
                message: String::new(),
            });
        }
        self.upserts
            .borrow_mut()
            .push((zone_id.into(), records.to_vec()));
        Ok("C1".into())
    }
    fn list_records(&self, _zone_id: &str) -> Result<Vec<DnsRecord>, AwsError> {
        Ok(Vec::new())
    }
}

impl Elb for FakeAws {
    fn describe_listener(&self, arn: &str) -> Result<Listener, AwsError> {
        self.listeners
            .borrow()
            .iter()
            .find(|(l, _)| l.arn == arn)
            .map(|(l, _)| l.clone())
            .ok_or(AwsError::NotFound {
                what: "listener".into(),
                message: arn.into(),
            })
    }
    fn listener_certificates(&self, arn: &str) -> Result<Vec<(String, bool)>, AwsError> {
        if self.verify_read_fails && *self.listener_writes.borrow() > 0 {
            return Err(AwsError::Timeout {
                action: "elasticloadbalancing:DescribeListenerCertificates".into(),
            });
        }
        Ok(self
            .listeners
            .borrow()
            .iter()
            .find(|(l, _)| l.arn == arn)
            .map(|(_, c)| c.clone())
            .unwrap_or_default())
    }
    fn add_listener_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError> {
        *self.listener_writes.borrow_mut() += 1;
        if let Some((_, c)) = self
            .listeners
            .borrow_mut()
            .iter_mut()
            .find(|(l, _)| l.arn == listener)
        {
            c.push((cert.into(), false));
        }
        Ok(())
    }
    fn set_default_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError> {
        if let Some((l, _)) = self
            .listeners
            .borrow_mut()
            .iter_mut()
            .find(|(l, _)| l.arn == listener)
        {
            l.default_certificates = vec![cert.into()];
        }
        Ok(())
    }
}

impl Topology for FakeAws {
    fn load_balancers(&self) -> Result<Vec<LoadBalancer>, AwsError> {
        Ok(self.lbs.clone())
    }
    fn listeners(&self, lb_arn: &str) -> Result<Vec<ListenerInfo>, AwsError> {
        Ok(self
            .lb_listeners
            .iter()
            .filter(|(a, _)| a == lb_arn)
            .map(|(_, l)| l.clone())
            .collect())
    }
    fn target_group(&self, arn: &str) -> Result<TargetGroup, AwsError> {
        self.tgs
            .iter()
            .find(|t| t.arn == arn)
            .cloned()
            .ok_or(AwsError::NotFound {
                what: "target group".into(),
                message: arn.into(),
            })
    }
    fn target_health(&self, tg_arn: &str) -> Result<Vec<TargetHealth>, AwsError> {
        Ok(self
            .health
            .iter()
            .filter(|(a, _)| a == tg_arn)
            .map(|(_, h)| h.clone())
            .collect())
    }
    fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>, AwsError> {
        Ok(self
            .record_sets
            .iter()
            .filter(|(z, _)| z == zone_id)
            .map(|(_, r)| r.clone())
            .collect())
    }
    fn vpc_links(&self) -> Result<Vec<VpcLink>, AwsError> {
        Ok(self
            .links
            .iter()
            .filter(|l| l.version == 1)
            .cloned()
            .collect())
    }
    fn vpc_link_v2(&self, id: &str) -> Result<Option<VpcLink>, AwsError> {
        Ok(self
            .links
            .iter()
            .find(|l| l.version == 2 && l.id == id)
            .cloned())
    }
    fn integrations(&self, _rest_api_id: &str) -> Result<Vec<Integration>, AwsError> {
        Ok(self.integrations.clone())
    }
    fn stage_variables(
        &self,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        self.stages
            .iter()
            .find(|(s, _)| s == stage)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| AwsError::NotFound {
                what: format!("stage {stage} of REST API {rest_api_id}"),
                message: "Invalid stage identifier specified".into(),
            })
    }
}

impl TrustStores for FakeAws {
    fn create_trust_store(
        &self,
        name: &str,
        bundle: &S3Location,
        _tags: &[(String, String)],
    ) -> Result<TrustStore, AwsError> {
        self.check("elasticloadbalancing:CreateTrustStore")?;
        let bytes = self.get_object(
            &bundle.bucket,
            &bundle.key,
            bundle.version.as_deref(),
            1 << 20,
        )?;
        let mut held = self.trust_stores_held.borrow_mut();
        if held.iter().any(|(t, _)| t.name == name) {
            return Err(AwsError::Rejected {
                action: "elasticloadbalancing:CreateTrustStore".into(),
                code: "DuplicateTrustStoreName".into(),
                message: name.into(),
            });
        }
        let t = TrustStore {
            arn: format!(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/{name}/{}",
                held.len() + 1
            ),
            name: name.into(),
            status: TrustStoreStatus::Active,
            ca_certificates: crate::pem::decode_certificates(&bytes.bytes)
                .map(|c| c.len() as i32)
                .ok(),
            revoked_entries: Some(0),
        };
        held.push((t.clone(), bytes.bytes));
        Ok(t)
    }

    fn trust_stores(&self, arns: &[String], names: &[String]) -> Result<Vec<TrustStore>, AwsError> {
        let held = self.trust_stores_held.borrow();
        if let Some(a) = arns
            .iter()
            .find(|a| !held.iter().any(|(t, _)| &t.arn == *a))
        {
            return Err(AwsError::NotFound {
                what: "trust store".into(),
                message: a.clone(),
            });
        }
        Ok(held
            .iter()
            .map(|(t, _)| t.clone())
            .filter(|t| {
                (arns.is_empty() || arns.contains(&t.arn))
                    && (names.is_empty() || names.contains(&t.name))
            })
            .collect())
    }

    fn modify_trust_store(&self, arn: &str, bundle: &S3Location) -> Result<TrustStore, AwsError> {
        let bytes = self.get_object(
            &bundle.bucket,
            &bundle.key,
            bundle.version.as_deref(),
            1 << 20,
        )?;
        let mut held = self.trust_stores_held.borrow_mut();
        let (t, b) =
            held.iter_mut()
                .find(|(t, _)| t.arn == arn)
                .ok_or_else(|| AwsError::NotFound {
                    what: "trust store".into(),
                    message: arn.into(),
                })?;
        t.ca_certificates = crate::pem::decode_certificates(&bytes.bytes)
            .map(|c| c.len() as i32)
            .ok();
        *b = bytes.bytes;
        Ok(t.clone())
    }

    fn delete_trust_store(&self, arn: &str) -> Result<(), AwsError> {
        self.trust_stores_held
            .borrow_mut()
            .retain(|(t, _)| t.arn != arn);
        Ok(())
    }

    fn trust_store_bundle(&self, arn: &str, max: usize) -> Result<Vec<u8>, AwsError> {
        let held = self.trust_stores_held.borrow();
        let (_, b) = held
            .iter()
            .find(|(t, _)| t.arn == arn)
            .ok_or_else(|| AwsError::NotFound {
                what: "trust store".into(),
                message: arn.into(),
            })?;
        if b.len() > max {
            return Err(AwsError::Rejected {
                action: "elasticloadbalancing:GetTrustStoreCaCertificatesBundle".into(),
                code: "TooLarge".into(),
                message: String::new(),
            });
        }
        Ok(b.clone())
    }

    fn listener_mutual_auth(&self, listener: &str) -> Result<MutualAuth, AwsError> {
        Ok(self
            .mutual
            .borrow()
            .iter()
            .find(|(l, _)| l == listener)
            .map(|(_, m)| m.clone())
            .unwrap_or_else(MutualAuth::off))
    }

    fn set_listener_mutual_auth(&self, listener: &str, auth: &MutualAuth) -> Result<(), AwsError> {
        self.check("elasticloadbalancing:ModifyListener")?;
        let mut m = self.mutual.borrow_mut();
        m.retain(|(l, _)| l != listener);
        m.push((listener.into(), auth.clone()));
        Ok(())
    }
}

impl Objects for FakeAws {
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        bytes: &[u8],
    ) -> Result<Option<String>, AwsError> {
        self.check("s3:PutObject")?;
        let mut objects = self.objects.borrow_mut();
        let version = self
            .versioned
            .iter()
            .any(|b| b == bucket)
            .then(|| format!("v{}", objects.len() + 1));
        objects.push((bucket.into(), key.into(), version.clone(), bytes.to_vec()));
        Ok(version)
    }

    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        max: usize,
    ) -> Result<S3Object, AwsError> {
        let objects = self.objects.borrow();
        let found = objects
            .iter()
            .rev()
            .find(|(b, k, v, _)| {
                b == bucket && k == key && (version.is_none() || v.as_deref() == version)
            })
            .ok_or_else(|| AwsError::NotFound {
                what: "s3:GetObject".into(),
                message: "NoSuchKey".into(),
            })?;
        if found.3.len() > max {
            return Err(AwsError::Rejected {
                action: "s3:GetObject".into(),
                code: "TooLarge".into(),
                message: String::new(),
            });
        }
        Ok(S3Object {
            bytes: found.3.clone(),
            version: found.2.clone(),
        })
    }

    fn bucket_versioning(&self, bucket: &str) -> Result<BucketVersioning, AwsError> {
        Ok(if self.versioned.iter().any(|b| b == bucket) {
            BucketVersioning::Enabled
        } else {
            BucketVersioning::default()
        })
    }
}

impl Stages for FakeAws {
    fn stage(&self, rest_api_id: &str, stage: &str) -> Result<StageInfo, AwsError> {
        if !self.stages.iter().any(|(s, _)| s == stage) {
            return Err(AwsError::NotFound {
                what: format!("stage {stage} of REST API {rest_api_id}"),
                message: "Invalid stage identifier specified".into(),
            });
        }
        let key = format!("{rest_api_id}/{stage}");
        Ok(StageInfo {
            rest_api_id: rest_api_id.into(),
            stage: stage.into(),
            client_certificate_id: self
                .stage_certs
                .borrow()
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, c)| c.clone()),
            deployment_id: None,
        })
    }

    fn set_stage_client_certificate(
        &self,
        rest_api_id: &str,
        stage: &str,
        id_or_arn: Option<&str>,
    ) -> Result<StageInfo, AwsError> {
        self.check("apigateway:UpdateStage")?;
        self.stage(rest_api_id, stage)?;
        let key = format!("{rest_api_id}/{stage}");
        let mut certs = self.stage_certs.borrow_mut();
        certs.retain(|(k, _)| *k != key);
        certs.push((key, id_or_arn.map(str::to_string)));
        drop(certs);
        self.stage(rest_api_id, stage)
    }

    fn client_certificate(&self, id: &str) -> Result<GeneratedClientCert, AwsError> {
        self.generated
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| AwsError::NotFound {
                what: "client certificate".into(),
                message: id.into(),
            })
    }

    fn client_certificates(&self) -> Result<Vec<GeneratedClientCert>, AwsError> {
        Ok(self.generated.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fake_s3_keeps_versions_and_the_trust_store_holds_its_bundle() {
        let aws = FakeAws {
            versioned: vec!["b".into()],
            ..FakeAws::default()
        };
        let v1 = aws.put_object("b", "k", b"one").unwrap();
        let v2 = aws.put_object("b", "k", b"two").unwrap();
        assert_ne!(v1, v2);
        assert_eq!(
            aws.get_object("b", "k", v1.as_deref(), 10).unwrap().bytes,
            b"one"
        );
        assert_eq!(aws.get_object("b", "k", None, 10).unwrap().bytes, b"two");
        assert!(aws.get_object("b", "k", None, 2).is_err());
        let loc = S3Location {
            bucket: "b".into(),
            key: "k".into(),
            version: v1,
        };
        let t = aws.create_trust_store("ts", &loc, &[]).unwrap();
        assert_eq!(aws.trust_store_bundle(&t.arn, 100).unwrap(), b"one");
        assert!(aws.create_trust_store("ts", &loc, &[]).is_err());
        assert_eq!(
            aws.listener_mutual_auth("l").unwrap().mode,
            MutualAuthMode::Off
        );
        aws.set_listener_mutual_auth("l", &MutualAuth::verify(&t.arn))
            .unwrap();
        assert_eq!(
            aws.listener_mutual_auth("l")
                .unwrap()
                .trust_store_arn
                .as_deref(),
            Some(t.arn.as_str())
        );
    }
}
