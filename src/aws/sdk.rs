//! The official AWS SDK behind certctl's AWS traits (ACM, Route 53, ELBv2, API Gateway); the only file that imports `aws_sdk_*`.
//! One HTTP/TLS stack (hyper 1 + rustls with ring), given to aws-config explicitly.

use aws_config::BehaviorVersion;
use aws_sdk_acm::error::ProvideErrorMetadata;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use super::{
    Acm, AwsError, AwsTarget, CertDetail, CertListItem, Dns, DnsRecord, Elb, HostedZone, ListQuery,
    Listener, RequestSpec, Validation,
};

/// Clients for ACM, Route 53 and ELBv2 sharing one config, driven by a private runtime so the
/// jobs stay synchronous.
pub struct Sdk {
    rt: tokio::runtime::Runtime,
    acm: aws_sdk_acm::Client,
    route53: aws_sdk_route53::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    apigw: aws_sdk_apigateway::Client,
    region: String,
}

impl Sdk {
    pub fn new(target: &AwsTarget) -> Result<Sdk, AwsError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| AwsError::Transport(format!("cannot start the runtime: {e}")))?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(p) = &target.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &target.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(e) = &target.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let conf = rt.block_on(loader.load());
        let region = conf.region().map(|r| r.to_string()).ok_or_else(|| {
            AwsError::NoCredentials("no region: pass --region or set AWS_REGION".into())
        })?;
        Ok(Sdk {
            acm: aws_sdk_acm::Client::new(&conf),
            route53: aws_sdk_route53::Client::new(&conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
            apigw: aws_sdk_apigateway::Client::new(&conf),
            region,
            rt,
        })
    }
}

/// Maps an SDK error to certctl's, naming the action for AccessDenied.
fn map<E, R>(action: &str, e: aws_sdk_acm::error::SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_acm::error::SdkError;
    let detail = aws_sdk_acm::error::DisplayErrorContext(&e).to_string();
    match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().unwrap_or("").to_string();
            if [
                "ExpiredToken",
                "InvalidClientTokenId",
                "UnrecognizedClient",
                "SignatureDoesNotMatch",
                "InvalidSignature",
                "MissingAuthenticationToken",
            ]
            .iter()
            .any(|c| code.contains(c))
            {
                AwsError::NoCredentials(format!("{code}: {message}"))
            } else if code.contains("AccessDenied") || code.contains("UnauthorizedOperation") {
                AwsError::AccessDenied {
                    action: action.to_string(),
                    message,
                }
            } else if code.contains("NotFound") || code == "NoSuchHostedZone" {
                AwsError::NotFound {
                    what: action.to_string(),
                    message: if message.is_empty() { code } else { message },
                }
            } else {
                AwsError::Rejected { code, message }
            }
        }
        _ if detail.contains("credentials") => AwsError::NoCredentials(detail),
        _ => AwsError::Transport(detail),
    }
}

fn ts(d: Option<&aws_sdk_acm::primitives::DateTime>) -> Option<i64> {
    d.map(|d| d.secs())
}

impl Acm for Sdk {
    fn list_certificates(&self, q: &ListQuery) -> Result<Vec<CertListItem>, AwsError> {
        use aws_sdk_acm::types::{CertificateStatus, Filters, KeyAlgorithm};
        let filters = Filters::builder()
            .set_key_types(Some(
                q.key_types.iter().map(|k| KeyAlgorithm::from(*k)).collect(),
            ))
            .build();
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = self.acm.list_certificates().includes(filters.clone());
            if !q.statuses.is_empty() {
                req = req.set_certificate_statuses(Some(
                    q.statuses
                        .iter()
                        .map(|s| CertificateStatus::from(*s))
                        .collect(),
                ));
            }
            let resp = self
                .rt
                .block_on(req.set_next_token(token.clone()).send())
                .map_err(|e| map("acm:ListCertificates", e))?;
            for c in resp.certificate_summary_list() {
                out.push(CertListItem {
                    arn: c.certificate_arn().unwrap_or_default().to_string(),
                    domain: c.domain_name().unwrap_or_default().to_string(),
                    names: c.subject_alternative_name_summaries().to_vec(),
                    status: c
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
                    not_after: ts(c.not_after()),
                    in_use: c.in_use().unwrap_or(false),
                });
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    fn describe_certificate(&self, arn: &str) -> Result<CertDetail, AwsError> {
        let resp = self
            .rt
            .block_on(self.acm.describe_certificate().certificate_arn(arn).send())
            .map_err(|e| map("acm:DescribeCertificate", e))?;
        let Some(c) = resp.certificate() else {
            return Err(AwsError::NotFound {
                what: "certificate".into(),
                message: arn.to_string(),
            });
        };
        Ok(CertDetail {
            arn: c.certificate_arn().unwrap_or(arn).to_string(),
            domain: c.domain_name().unwrap_or_default().to_string(),
            names: c.subject_alternative_names().to_vec(),
            status: c
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
            not_after: ts(c.not_after()),
            in_use_by: c.in_use_by().to_vec(),
            renewal_eligibility: c.renewal_eligibility().map(|r| r.as_str().to_string()),
            renewal_status: c
                .renewal_summary()
                .map(|r| r.renewal_status().as_str().to_string()),
            failure_reason: c.failure_reason().map(|f| f.as_str().to_string()),
            validations: c
                .domain_validation_options()
                .iter()
                .map(|v| Validation {
                    domain: v.domain_name().to_string(),
                    status: v.validation_status().map(|s| s.as_str().to_string()),
                    record: v.resource_record().map(|r| DnsRecord {
                        name: r.name().to_string(),
                        kind: r.r#type().as_str().to_string(),
                        value: r.value().to_string(),
                    }),
                })
                .collect(),
        })
    }

    fn request_certificate(&self, spec: &RequestSpec) -> Result<String, AwsError> {
        use aws_sdk_acm::types::{KeyAlgorithm, Tag, ValidationMethod};
        let mut req = self
            .acm
            .request_certificate()
            .domain_name(&spec.domain)
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(&spec.idempotency_token)
            .key_algorithm(KeyAlgorithm::from(spec.key_algorithm.as_str()));
        if !spec.sans.is_empty() {
            req = req.set_subject_alternative_names(Some(spec.sans.clone()));
        }
        for (k, v) in &spec.tags {
            let tag = Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::Rejected {
                    code: "BadTag".into(),
                    message: e.to_string(),
                })?;
            req = req.tags(tag);
        }
        let resp = self
            .rt
            .block_on(req.send())
            .map_err(|e| map("acm:RequestCertificate", e))?;
        resp.certificate_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::Rejected {
                code: "NoArn".into(),
                message: "RequestCertificate returned no ARN".into(),
            })
    }

    fn get_certificate(&self, arn: &str) -> Result<(String, Option<String>), AwsError> {
        let resp = self
            .rt
            .block_on(self.acm.get_certificate().certificate_arn(arn).send())
            .map_err(|e| map("acm:GetCertificate", e))?;
        Ok((
            resp.certificate().unwrap_or_default().to_string(),
            resp.certificate_chain().map(str::to_string),
        ))
    }

    fn region(&self) -> String {
        self.region.clone()
    }
}

impl Dns for Sdk {
    fn list_hosted_zones(&self) -> Result<Vec<HostedZone>, AwsError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let resp = self
                .rt
                .block_on(
                    self.route53
                        .list_hosted_zones()
                        .set_marker(marker.clone())
                        .send(),
                )
                .map_err(|e| map("route53:ListHostedZones", e))?;
            for z in resp.hosted_zones() {
                out.push(HostedZone {
                    id: z.id().trim_start_matches("/hostedzone/").to_string(),
                    name: z.name().trim_end_matches('.').to_ascii_lowercase(),
                    private: z.config().is_some_and(|c| c.private_zone()),
                });
            }
            marker = resp.next_marker().map(str::to_string);
            if !resp.is_truncated() || marker.is_none() {
                return Ok(out);
            }
        }
    }

    fn upsert(&self, zone_id: &str, records: &[DnsRecord]) -> Result<String, AwsError> {
        use aws_sdk_route53::types::{
            Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
        };
        let bad = |e: aws_sdk_route53::error::BuildError| AwsError::Rejected {
            code: "BadChange".into(),
            message: e.to_string(),
        };
        let mut changes = Vec::new();
        for r in records {
            let set = ResourceRecordSet::builder()
                .name(&r.name)
                .r#type(RrType::from(r.kind.as_str()))
                .ttl(300)
                .resource_records(
                    ResourceRecord::builder()
                        .value(&r.value)
                        .build()
                        .map_err(bad)?,
                )
                .build()
                .map_err(bad)?;
            changes.push(
                Change::builder()
                    .action(ChangeAction::Upsert)
                    .resource_record_set(set)
                    .build()
                    .map_err(bad)?,
            );
        }
        let batch = ChangeBatch::builder()
            .comment("certctl: ACM DNS validation")
            .set_changes(Some(changes))
            .build()
            .map_err(bad)?;
        let resp = self
            .rt
            .block_on(
                self.route53
                    .change_resource_record_sets()
                    .hosted_zone_id(zone_id)
                    .change_batch(batch)
                    .send(),
            )
            .map_err(|e| map("route53:ChangeResourceRecordSets", e))?;
        Ok(resp
            .change_info()
            .map(|c| c.id().to_string())
            .unwrap_or_default())
    }

    fn list_records(&self, zone_id: &str) -> Result<Vec<DnsRecord>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.route53
                    .list_resource_record_sets()
                    .hosted_zone_id(zone_id)
                    .send(),
            )
            .map_err(|e| map("route53:ListResourceRecordSets", e))?;
        let mut out = Vec::new();
        for s in resp.resource_record_sets() {
            for v in s.resource_records() {
                out.push(DnsRecord {
                    name: s.name().to_string(),
                    kind: s.r#type().as_str().to_string(),
                    value: v.value().to_string(),
                });
            }
        }
        Ok(out)
    }
}

impl Elb for Sdk {
    fn describe_listener(&self, arn: &str) -> Result<Listener, AwsError> {
        let resp = self
            .rt
            .block_on(self.elb.describe_listeners().listener_arns(arn).send())
            .map_err(|e| map("elasticloadbalancing:DescribeListeners", e))?;
        let l = resp.listeners().first().ok_or_else(|| AwsError::NotFound {
            what: "listener".into(),
            message: arn.to_string(),
        })?;
        Ok(Listener {
            arn: l.listener_arn().unwrap_or(arn).to_string(),
            protocol: l
                .protocol()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            port: l.port(),
            load_balancer_arn: l.load_balancer_arn().unwrap_or_default().to_string(),
            default_certificates: l
                .certificates()
                .iter()
                .filter_map(|c| c.certificate_arn().map(str::to_string))
                .collect(),
        })
    }

    fn listener_certificates(&self, arn: &str) -> Result<Vec<(String, bool)>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.elb
                    .describe_listener_certificates()
                    .listener_arn(arn)
                    .send(),
            )
            .map_err(|e| map("elasticloadbalancing:DescribeListenerCertificates", e))?;
        Ok(resp
            .certificates()
            .iter()
            .filter_map(|c| {
                c.certificate_arn()
                    .map(|a| (a.to_string(), c.is_default().unwrap_or(false)))
            })
            .collect())
    }

    fn add_listener_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError> {
        use aws_sdk_elasticloadbalancingv2::types::Certificate;
        self.rt
            .block_on(
                self.elb
                    .add_listener_certificates()
                    .listener_arn(listener)
                    .certificates(Certificate::builder().certificate_arn(cert).build())
                    .send(),
            )
            .map_err(|e| map("elasticloadbalancing:AddListenerCertificates", e))?;
        Ok(())
    }

    fn set_default_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError> {
        use aws_sdk_elasticloadbalancingv2::types::Certificate;
        self.rt
            .block_on(
                self.elb
                    .modify_listener()
                    .listener_arn(listener)
                    .certificates(Certificate::builder().certificate_arn(cert).build())
                    .send(),
            )
            .map_err(|e| map("elasticloadbalancing:ModifyListener", e))?;
        Ok(())
    }
}

impl super::Topology for Sdk {
    fn load_balancers(&self) -> Result<Vec<super::LoadBalancer>, AwsError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let resp = self
                .rt
                .block_on(
                    self.elb
                        .describe_load_balancers()
                        .set_marker(marker.clone())
                        .send(),
                )
                .map_err(|e| map("elasticloadbalancing:DescribeLoadBalancers", e))?;
            for lb in resp.load_balancers() {
                out.push(super::LoadBalancer {
                    arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
                    name: lb.load_balancer_name().unwrap_or_default().to_string(),
                    dns_name: lb.dns_name().unwrap_or_default().to_ascii_lowercase(),
                    zone_id: lb
                        .canonical_hosted_zone_id()
                        .unwrap_or_default()
                        .to_string(),
                    kind: lb
                        .r#type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
                });
            }
            marker = resp.next_marker().map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    fn listeners(&self, lb_arn: &str) -> Result<Vec<super::ListenerInfo>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.elb
                    .describe_listeners()
                    .load_balancer_arn(lb_arn)
                    .send(),
            )
            .map_err(|e| map("elasticloadbalancing:DescribeListeners", e))?;
        Ok(resp
            .listeners()
            .iter()
            .map(|l| super::ListenerInfo {
                arn: l.listener_arn().unwrap_or_default().to_string(),
                protocol: l
                    .protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                port: l.port(),
                target_groups: l
                    .default_actions()
                    .iter()
                    .flat_map(|a| {
                        let mut v: Vec<String> = a
                            .target_group_arn()
                            .map(str::to_string)
                            .into_iter()
                            .collect();
                        if let Some(f) = a.forward_config() {
                            v.extend(
                                f.target_groups()
                                    .iter()
                                    .filter_map(|t| t.target_group_arn().map(str::to_string)),
                            );
                        }
                        v
                    })
                    .collect(),
                default_certificates: l
                    .certificates()
                    .iter()
                    .filter_map(|c| c.certificate_arn().map(str::to_string))
                    .collect(),
            })
            .collect())
    }

    fn target_group(&self, arn: &str) -> Result<super::TargetGroup, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.elb
                    .describe_target_groups()
                    .target_group_arns(arn)
                    .send(),
            )
            .map_err(|e| map("elasticloadbalancing:DescribeTargetGroups", e))?;
        let t = resp
            .target_groups()
            .first()
            .ok_or_else(|| AwsError::NotFound {
                what: "target group".into(),
                message: arn.to_string(),
            })?;
        Ok(super::TargetGroup {
            arn: t.target_group_arn().unwrap_or(arn).to_string(),
            name: t.target_group_name().unwrap_or_default().to_string(),
            target_type: t
                .target_type()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
            protocol: t
                .protocol()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            port: t.port(),
            vpc_id: t.vpc_id().unwrap_or_default().to_string(),
        })
    }

    fn target_health(&self, tg_arn: &str) -> Result<Vec<super::TargetHealth>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.elb
                    .describe_target_health()
                    .target_group_arn(tg_arn)
                    .send(),
            )
            .map_err(|e| map("elasticloadbalancing:DescribeTargetHealth", e))?;
        Ok(resp
            .target_health_descriptions()
            .iter()
            .map(|d| super::TargetHealth {
                id: d
                    .target()
                    .and_then(|t| t.id())
                    .unwrap_or_default()
                    .to_string(),
                port: d.target().and_then(|t| t.port()),
                state: d
                    .target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: d
                    .target_health()
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_string()),
            })
            .collect())
    }

    fn record_sets(&self, zone_id: &str) -> Result<Vec<super::RecordSet>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.route53
                    .list_resource_record_sets()
                    .hosted_zone_id(zone_id)
                    .send(),
            )
            .map_err(|e| map("route53:ListResourceRecordSets", e))?;
        Ok(resp
            .resource_record_sets()
            .iter()
            .map(|s| super::RecordSet {
                name: s.name().trim_end_matches('.').to_ascii_lowercase(),
                kind: s.r#type().as_str().to_string(),
                values: s
                    .resource_records()
                    .iter()
                    .map(|r| r.value().to_string())
                    .collect(),
                alias_dns_name: s
                    .alias_target()
                    .map(|a| a.dns_name().trim_end_matches('.').to_ascii_lowercase()),
                alias_zone_id: s.alias_target().map(|a| a.hosted_zone_id().to_string()),
            })
            .collect())
    }

    fn vpc_links(&self) -> Result<Vec<super::VpcLink>, AwsError> {
        let resp = self
            .rt
            .block_on(self.apigw.get_vpc_links().send())
            .map_err(|e| map("apigateway:GET", e))?;
        Ok(resp
            .items()
            .iter()
            .map(|l| super::VpcLink {
                id: l.id().unwrap_or_default().to_string(),
                name: l.name().unwrap_or_default().to_string(),
                status: l
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                target_arns: l.target_arns().to_vec(),
            })
            .collect())
    }

    fn stage_variables(
        &self,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.apigw
                    .get_stage()
                    .rest_api_id(rest_api_id)
                    .stage_name(stage)
                    .send(),
            )
            .map_err(|e| map("apigateway:GET", e))?;
        Ok(resp
            .variables()
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    fn integrations(&self, rest_api_id: &str) -> Result<Vec<super::Integration>, AwsError> {
        let resp = self
            .rt
            .block_on(
                self.apigw
                    .get_resources()
                    .rest_api_id(rest_api_id)
                    .embed("methods")
                    .send(),
            )
            .map_err(|e| map("apigateway:GET", e))?;
        let mut out = Vec::new();
        for r in resp.items() {
            let path = r.path().unwrap_or_default().to_string();
            let Some(methods) = r.resource_methods() else {
                continue;
            };
            let mut names: Vec<&String> = methods.keys().collect();
            names.sort();
            for m in names {
                let got = self.rt.block_on(
                    self.apigw
                        .get_integration()
                        .rest_api_id(rest_api_id)
                        .resource_id(r.id().unwrap_or_default())
                        .http_method(m)
                        .send(),
                );
                let i = match got {
                    Ok(i) => i,
                    Err(e) => match map("apigateway:GET", e) {
                        AwsError::NotFound { .. } => continue,
                        other => return Err(other),
                    },
                };
                out.push(super::Integration {
                    path: path.clone(),
                    method: m.clone(),
                    kind: i
                        .r#type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    uri: i.uri().map(str::to_string),
                    connection_type: i.connection_type().map(|c| c.as_str().to_string()),
                    connection_id: i.connection_id().map(str::to_string),
                    insecure_skip_verification: i
                        .tls_config()
                        .is_some_and(|t| t.insecure_skip_verification()),
                });
            }
        }
        Ok(out)
    }
}

impl super::AuditCalls for Sdk {
    fn audit_certificate(&self, arn: &str) -> Result<super::AuditCert, AwsError> {
        let resp = self
            .rt
            .block_on(self.acm.describe_certificate().certificate_arn(arn).send())
            .map_err(|e| map("acm:DescribeCertificate", e))?;
        let Some(c) = resp.certificate() else {
            return Err(AwsError::NotFound {
                what: "certificate".into(),
                message: arn.to_string(),
            });
        };
        let detail = CertDetail {
            arn: c.certificate_arn().unwrap_or(arn).to_string(),
            domain: c.domain_name().unwrap_or_default().to_string(),
            names: c.subject_alternative_names().to_vec(),
            status: c
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
            not_after: ts(c.not_after()),
            in_use_by: c.in_use_by().to_vec(),
            renewal_eligibility: c.renewal_eligibility().map(|r| r.as_str().to_string()),
            renewal_status: c
                .renewal_summary()
                .map(|r| r.renewal_status().as_str().to_string()),
            failure_reason: c.failure_reason().map(|f| f.as_str().to_string()),
            validations: c
                .domain_validation_options()
                .iter()
                .map(|v| Validation {
                    domain: v.domain_name().to_string(),
                    status: v.validation_status().map(|s| s.as_str().to_string()),
                    record: v.resource_record().map(|r| DnsRecord {
                        name: r.name().to_string(),
                        kind: r.r#type().as_str().to_string(),
                        value: r.value().to_string(),
                    }),
                })
                .collect(),
        };
        Ok(super::AuditCert {
            detail,
            kind: c.r#type().map(|t| t.as_str().to_string()),
            created_at: ts(c.created_at()),
            imported_at: ts(c.imported_at()),
            validation_methods: c
                .domain_validation_options()
                .iter()
                .map(|v| v.validation_method().map(|m| m.as_str().to_string()))
                .collect(),
            renewal_failure_reason: c
                .renewal_summary()
                .and_then(|r| r.renewal_status_reason())
                .map(|r| r.as_str().to_string()),
        })
    }

    fn record_values(
        &self,
        zone_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Vec<String>, AwsError> {
        use aws_sdk_route53::types::RrType;
        let want = name.trim_end_matches('.').to_ascii_lowercase();
        let resp = self
            .rt
            .block_on(
                self.route53
                    .list_resource_record_sets()
                    .hosted_zone_id(zone_id)
                    .start_record_name(format!("{want}."))
                    .start_record_type(RrType::from(kind))
                    .max_items(1)
                    .send(),
            )
            .map_err(|e| map("route53:ListResourceRecordSets", e))?;
        Ok(resp
            .resource_record_sets()
            .iter()
            .filter(|s| {
                s.r#type().as_str().eq_ignore_ascii_case(kind)
                    && s.name().trim_end_matches('.').eq_ignore_ascii_case(&want)
            })
            .flat_map(|s| s.resource_records().iter().map(|r| r.value().to_string()))
            .collect())
    }
}
