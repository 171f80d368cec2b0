//! In-memory ACM, Route 53 and ELBv2 for unit tests of the job logic (never instead of the
//! emulator tests): records appear after a few describes, issuance after more.

use std::cell::RefCell;

use super::*;

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

    fn get_certificate(&self, _arn: &str) -> Result<(String, Option<String>), AwsError> {
        self.pem.clone().ok_or(AwsError::Rejected {
            action: "acm:GetCertificate".into(),
            code: "Unsupported".into(),
            message: "the fake has no PEM".into(),
        })
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
