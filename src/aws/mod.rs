//! AWS as certctl sees it: small traits in certctl's own types (ACM, Route 53, ELBv2), typed
//! errors with hints. `sdk.rs` implements them with the official SDK; tests use fakes.

pub mod sdk;

#[cfg(test)]
pub mod fake;

/// Why an AWS call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS credentials: {0}")]
    NoCredentials(String),
    #[error("access denied to {action}: {message}")]
    AccessDenied { action: String, message: String },
    #[error("{what} not found: {message}")]
    NotFound { what: String, message: String },
    #[error("AWS refused the request ({code}): {message}")]
    Rejected { code: String, message: String },
    #[error("cannot reach AWS: {0}")]
    Transport(String),
}

impl AwsError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            AwsError::NoCredentials(_) => "configure credentials (AWS_PROFILE / --profile, AWS_ACCESS_KEY_ID, or an instance role); README lists the IAM policy".into(),
            AwsError::AccessDenied { action, .. } => format!("allow {action} in the IAM policy (README: minimal IAM policy)"),
            AwsError::Transport(_) => "check --region, --endpoint-url and the network".into(),
            _ => return None,
        })
    }
}

/// Where to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsTarget {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// A DNS record ACM asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// One name's validation state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Validation {
    pub domain: String,
    /// ACM's value: `PENDING_VALIDATION`, `SUCCESS`, `FAILED`.
    pub status: Option<String>,
    pub record: Option<DnsRecord>,
}

/// A certificate as ListCertificates shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertListItem {
    pub arn: String,
    pub domain: String,
    pub names: Vec<String>,
    pub status: String,
    pub key_algorithm: Option<String>,
    pub not_after: Option<i64>,
    pub in_use: bool,
}

/// A certificate as DescribeCertificate shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertDetail {
    pub arn: String,
    pub domain: String,
    pub names: Vec<String>,
    pub status: String,
    pub key_algorithm: Option<String>,
    pub not_after: Option<i64>,
    pub in_use_by: Vec<String>,
    pub renewal_eligibility: Option<String>,
    pub renewal_status: Option<String>,
    pub failure_reason: Option<String>,
    pub validations: Vec<Validation>,
}

/// What ListCertificates is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// ACM returns only RSA-2048 certificates unless `Includes.keyTypes` names the others.
    pub key_types: Vec<&'static str>,
    pub statuses: Vec<&'static str>,
}

/// Every key type ACM knows, so that listing never misses an EC certificate.
pub const ALL_KEY_TYPES: &[&str] = &[
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
];

/// A RequestCertificate call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    pub domain: String,
    pub sans: Vec<String>,
    pub key_algorithm: String,
    pub idempotency_token: String,
    pub tags: Vec<(String, String)>,
}

/// A Route 53 hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostedZone {
    pub id: String,
    pub name: String,
    pub private: bool,
}

/// An ELBv2 listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub arn: String,
    pub protocol: String,
    pub port: Option<i32>,
    pub load_balancer_arn: String,
    pub default_certificates: Vec<String>,
}

/// ACM operations certctl uses.
pub trait Acm {
    fn list_certificates(&self, q: &ListQuery) -> Result<Vec<CertListItem>, AwsError>;
    fn describe_certificate(&self, arn: &str) -> Result<CertDetail, AwsError>;
    fn request_certificate(&self, spec: &RequestSpec) -> Result<String, AwsError>;
    /// The issued certificate and its chain, PEM.
    fn get_certificate(&self, arn: &str) -> Result<(String, Option<String>), AwsError>;
    /// The region the client talks to.
    fn region(&self) -> String;
}

/// Route 53 operations certctl uses.
pub trait Dns {
    fn list_hosted_zones(&self) -> Result<Vec<HostedZone>, AwsError>;
    /// UPSERTs the records in one change batch; returns the change id.
    fn upsert(&self, zone_id: &str, records: &[DnsRecord]) -> Result<String, AwsError>;
    /// Records of a zone (name, type, values).
    fn list_records(&self, zone_id: &str) -> Result<Vec<DnsRecord>, AwsError>;
}

/// ELBv2 operations certctl uses.
pub trait Elb {
    fn describe_listener(&self, arn: &str) -> Result<Listener, AwsError>;
    /// Certificates of a listener: (arn, is_default).
    fn listener_certificates(&self, arn: &str) -> Result<Vec<(String, bool)>, AwsError>;
    fn add_listener_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError>;
    fn set_default_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError>;
}

/// A load balancer (read its `kind`, never infer it from the ARN).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub zone_id: String,
    /// `application` or `network`.
    pub kind: String,
    pub vpc_id: String,
}

/// A listener with where it forwards.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListenerInfo {
    pub arn: String,
    pub protocol: String,
    pub port: Option<i32>,
    pub target_groups: Vec<String>,
    pub default_certificates: Vec<String>,
}

/// A target group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    pub protocol: String,
    pub port: Option<i32>,
    pub vpc_id: String,
}

/// One target's health.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetHealth {
    pub id: String,
    pub port: Option<i32>,
    pub state: String,
    pub reason: Option<String>,
}

/// A Route 53 record set, alias target included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordSet {
    pub name: String,
    pub kind: String,
    pub values: Vec<String>,
    pub alias_dns_name: Option<String>,
    pub alias_zone_id: Option<String>,
}

/// An API Gateway VPC link (REST, v1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VpcLink {
    pub id: String,
    pub name: String,
    pub status: String,
    pub target_arns: Vec<String>,
}

/// A REST API method's integration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Integration {
    pub path: String,
    pub method: String,
    pub kind: String,
    pub uri: Option<String>,
    pub connection_type: Option<String>,
    pub connection_id: Option<String>,
    pub insecure_skip_verification: bool,
}

/// The read-only calls `doctor` makes to walk the topology.
pub trait Topology {
    fn load_balancers(&self) -> Result<Vec<LoadBalancer>, AwsError>;
    fn listeners(&self, lb_arn: &str) -> Result<Vec<ListenerInfo>, AwsError>;
    fn target_group(&self, arn: &str) -> Result<TargetGroup, AwsError>;
    fn target_health(&self, tg_arn: &str) -> Result<Vec<TargetHealth>, AwsError>;
    fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>, AwsError>;
    fn vpc_links(&self) -> Result<Vec<VpcLink>, AwsError>;
    fn integrations(&self, rest_api_id: &str) -> Result<Vec<Integration>, AwsError>;
    /// A stage's variables (`${stageVariables.NAME}` in integration URIs and connection ids).
    fn stage_variables(
        &self,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError>;
}

/// The region part of an ARN (`arn:aws:acm:REGION:…`).
pub fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(2).filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn arn_regions() {
        assert_eq!(
            super::arn_region("arn:aws:acm:eu-west-1:123456789012:certificate/abc"),
            Some("eu-west-1")
        );
        assert_eq!(super::arn_region("nope"), None);
    }
}

/// What `acm audit` needs beyond [`CertDetail`], from the same DescribeCertificate call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditCert {
    pub detail: CertDetail,
    /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
    pub kind: Option<String>,
    /// When it was requested (ACM's `CreatedAt`), Unix seconds.
    pub created_at: Option<i64>,
    /// When it was imported (ACM's `ImportedAt`), Unix seconds.
    pub imported_at: Option<i64>,
    /// The validation method per name (`DNS`, `EMAIL`, `HTTP`), in `detail.validations` order.
    pub validation_methods: Vec<Option<String>>,
    /// Why the last managed renewal failed, when it did.
    pub renewal_failure_reason: Option<String>,
}

/// The calls `acm audit` makes besides [`Acm`] and [`Dns`]; defaults fall back to those traits,
/// so an implementation overrides them only to save calls.
pub trait AuditCalls: Acm + Dns {
    /// One DescribeCertificate with the fields the audit reports.
    fn audit_certificate(&self, arn: &str) -> Result<AuditCert, AwsError> {
        Ok(AuditCert {
            detail: self.describe_certificate(arn)?,
            ..AuditCert::default()
        })
    }
    /// The values of one record set (name and type exact), empty when there is none.
    fn record_values(
        &self,
        zone_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Vec<String>, AwsError> {
        let want = name.trim_end_matches('.').to_ascii_lowercase();
        Ok(self
            .list_records(zone_id)?
            .into_iter()
            .filter(|r| {
                r.kind.eq_ignore_ascii_case(kind)
                    && r.name.trim_end_matches('.').eq_ignore_ascii_case(&want)
            })
            .map(|r| r.value)
            .collect())
    }
}
