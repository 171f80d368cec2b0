//! AWS as certctl sees it: small traits in certctl's own types (ACM, Route 53, ELBv2), typed
//! errors with hints. `sdk.rs` implements them with the official SDK; tests use fakes.

pub mod sdk;

#[cfg(test)]
pub(crate) mod fake;

use crate::exit::ExitStatus;

/// Why an AWS call failed. Every message is one line naming the service and operation
/// (`acm:DescribeCertificate`), never an SDK debug dump.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS credentials: {0}")]
    NoCredentials(String),
    /// Credentials were found but AWS refused them (expired or unknown token, bad signature).
    #[error("{action}: AWS refused the credentials ({code}): {message}")]
    BadCredentials {
        action: String,
        code: String,
        message: String,
    },
    /// `--profile` (or AWS_PROFILE) names a profile neither shared file defines.
    #[error("AWS profile \"{profile}\" is not defined in {files}")]
    UnknownProfile { profile: String, files: String },
    #[error("no AWS region: pass --region, set AWS_REGION, or set region in the profile")]
    NoRegion,
    #[error("bad --endpoint-url \"{0}\": expected http://HOST[:PORT] or https://HOST[:PORT]")]
    BadEndpoint(String),
    #[error("access denied to {action}: {message}")]
    AccessDenied { action: String, message: String },
    #[error("{what} not found: {message}")]
    NotFound { what: String, message: String },
    /// AWS throttled the call, also after the SDK's retries.
    #[error("{action}: throttled by AWS ({code}){}", msg_suffix(message))]
    Throttled {
        action: String,
        code: String,
        message: String,
    },
    /// A 5xx answer, also after the SDK's retries.
    #[error(
        "{action}: AWS failed to answer (HTTP {status}, {code}){}",
        msg_suffix(message)
    )]
    ServerError {
        action: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("{action}: AWS refused the request ({code}){}", msg_suffix(message))]
    Rejected {
        action: String,
        code: String,
        message: String,
    },
    /// No answer within the per-attempt or operation timeout.
    #[error("{action}: no answer from AWS within the timeout")]
    Timeout { action: String },
    /// The command's --timeout ran out before the call could complete: before it was sent
    /// (`in_flight` false) or while it waited for the answer.
    #[error("{action}: the command's deadline passed before AWS answered")]
    Deadline { action: String, in_flight: bool },
    /// The deadline passed while backing off from answers that ask to be retried (throttling,
    /// 5xx, PriorRequestNotComplete): `message` says how many and the last.
    #[error("{action}: {message}; the deadline passed while backing off")]
    GaveUp { action: String, message: String },
    /// A write whose answer never arrived (timeout, connection dropped): it may have been
    /// applied. Every write certctl makes is idempotent, so a rerun is safe.
    #[error("{action}: the answer was lost ({cause}); the write may have been applied, and running the same command again is safe (the write is idempotent)")]
    Lost { action: String, cause: String },
    /// The call did not get an AWS answer: `cause` says what happened, in words; `detail` is
    /// the SDK's own chain (shown with -v).
    #[error("{action}: cannot reach AWS: {cause}")]
    Transport {
        action: String,
        cause: String,
        detail: String,
    },
}

/// The IAM action that allows an operation: API Gateway's are HTTP verbs (reads, v1 and v2,
/// are all `apigateway:GET`, UpdateStage is `apigateway:PATCH`).
fn iam_action(operation: &str) -> String {
    match operation {
        "apigateway:UpdateStage" => "apigateway:PATCH".into(),
        "apigateway:GenerateClientCertificate" => "apigateway:POST".into(),
        o if o.starts_with("apigateway") => "apigateway:GET".into(),
        // ELBv2 reads the CA bundle from S3 with the caller's permissions.
        "elasticloadbalancing:CreateTrustStore" | "elasticloadbalancing:ModifyTrustStore" => {
            format!("{operation} (and s3:GetObject, s3:GetObjectVersion on the CA bundle)")
        }
        o => o.into(),
    }
}
fn msg_suffix(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

impl AwsError {
    pub(crate) fn hint(&self) -> Option<String> {
        Some(match self {
            AwsError::NoCredentials(_) => "configure credentials (AWS_PROFILE / --profile, AWS_ACCESS_KEY_ID, or an instance role); docs/acm.md lists the IAM policy".into(),
            AwsError::BadCredentials { code, .. } if code.contains("Expired") => "the session token has expired: renew it (`aws sso login`, a new STS session) and run again".into(),
            AwsError::BadCredentials { .. } => "the access key or token is not valid for this account/partition, or the clock is off: check AWS_ACCESS_KEY_ID / the profile and the system time".into(),
            AwsError::UnknownProfile { .. } => "`aws configure list-profiles` lists the profiles; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point at other files; or drop --profile / AWS_PROFILE to use the default chain".into(),
            AwsError::NoRegion => "e.g. --region eu-west-1 (the region of the load balancers)".into(),
            AwsError::BadEndpoint(_) => "e.g. --endpoint-url http://127.0.0.1:5000".into(),
            AwsError::AccessDenied { action, .. } => format!("allow {} in the IAM policy (docs/acm.md: minimal IAM policy)", iam_action(action)),
            AwsError::Throttled { .. } | AwsError::ServerError { .. } => "transient on AWS's side: run the command again (it is idempotent); --max-attempts / AWS_MAX_ATTEMPTS raises the retries".into(),
            AwsError::Timeout { .. } => "check the network path to AWS (proxy, VPC endpoint); --aws-timeout raises the per-attempt timeout".into(),
            AwsError::Deadline { .. } | AwsError::GaveUp { .. } => "raise --timeout, or run again: every command is idempotent".into(),
            AwsError::Lost { .. } => "run the same command again: it finds what was written and completes".into(),
            AwsError::Transport { .. } => "check --region, --endpoint-url and the network".into(),
            _ => return None,
        })
    }

    /// Worth polling again: throttling, 5xx, timeouts and dropped connections.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            AwsError::Throttled { .. }
                | AwsError::ServerError { .. }
                | AwsError::Timeout { .. }
                | AwsError::Transport { .. }
        )
    }

    /// The step that was running when the command's deadline passed (`acm:DescribeCertificate`).
    pub(crate) fn deadline_step(&self) -> Option<&str> {
        match self {
            AwsError::Deadline { action, .. } | AwsError::GaveUp { action, .. } => Some(action),
            AwsError::Lost { action, cause } if cause.contains("deadline") => Some(action),
            _ => None,
        }
    }

    /// The SDK's own account of a failure, for -v (None: the message says it all).
    pub(crate) fn detail(&self) -> Option<&str> {
        match self {
            AwsError::Transport { detail, .. } if !detail.is_empty() => Some(detail),
            _ => None,
        }
    }

    /// 2 for what the user must fix in the invocation, 3 for everything AWS or the network did.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        match self {
            AwsError::NoRegion | AwsError::BadEndpoint(_) | AwsError::UnknownProfile { .. } => {
                ExitStatus::BadInput
            }
            _ => ExitStatus::Operational,
        }
    }
}

/// An AWS enumeration as certctl's own type: the known values as variants, anything newer
/// kept as `Other` (AWS adds values). Compares with and prints as AWS's string, so reports and
/// JSON keep AWS's spelling.
macro_rules! aws_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value this version of certctl does not know.
            Other(String),
        }
        impl $name {
            /// AWS's string as the enum.
            pub(crate) fn parse(s: &str) -> Self {
                match s {
                    $($s => $name::$var,)*
                    other => $name::Other(other.to_string()),
                }
            }
            /// AWS's string.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$var => $s,)*
                    $name::Other(s) => s,
                }
            }
        }
        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

aws_enum!(
    /// An ACM certificate's status.
    CertStatus {
        Issued = "ISSUED",
        PendingValidation = "PENDING_VALIDATION",
        Failed = "FAILED",
        ValidationTimedOut = "VALIDATION_TIMED_OUT",
        Inactive = "INACTIVE",
        Expired = "EXPIRED",
        Revoked = "REVOKED",
    }
);

aws_enum!(
    /// A load balancer's type (read it, never infer it from the ARN).
    LbKind {
        Application = "application",
        Network = "network",
        Gateway = "gateway",
    }
);

aws_enum!(
    /// A listener's or target group's protocol.
    Protocol {
        Http = "HTTP",
        Https = "HTTPS",
        Tcp = "TCP",
        Tls = "TLS",
        Udp = "UDP",
        TcpUdp = "TCP_UDP",
        Geneve = "GENEVE",
    }
);

aws_enum!(
    /// A target's health state.
    HealthState {
        Healthy = "healthy",
        Unhealthy = "unhealthy",
        Initial = "initial",
        Unused = "unused",
        Draining = "draining",
        Unavailable = "unavailable",
    }
);

aws_enum!(
    /// A VPC link's status (v1 `status`, v2 `vpcLinkStatus`).
    LinkStatus {
        Available = "AVAILABLE",
        Pending = "PENDING",
        Deleting = "DELETING",
        Failed = "FAILED",
        Inactive = "INACTIVE",
    }
);

/// Where to reach AWS.
#[derive(Debug, Clone)]
pub struct AwsTarget {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Attempts per call (standard retry mode); None: the SDK's (AWS_MAX_ATTEMPTS, else 3).
    pub max_attempts: Option<u32>,
    /// Connect and per-attempt read timeout of every call.
    pub attempt_timeout: Option<std::time::Duration>,
    /// No call outlives this (the command's --timeout).
    pub deadline: crate::deadline::Deadline,
}

impl AwsTarget {
    /// The SDK's own chains for everything but the deadline, which every client needs.
    pub fn until(deadline: crate::deadline::Deadline) -> AwsTarget {
        AwsTarget {
            profile: None,
            region: None,
            endpoint_url: None,
            max_attempts: None,
            attempt_timeout: None,
            deadline,
        }
    }
}

/// A DNS record ACM asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct DnsRecord {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) value: String,
}

/// One name's validation state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Validation {
    pub(crate) domain: String,
    /// ACM's value: `PENDING_VALIDATION`, `SUCCESS`, `FAILED`.
    pub(crate) status: Option<String>,
    pub(crate) record: Option<DnsRecord>,
}

/// A certificate as ListCertificates shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertListItem {
    pub(crate) arn: String,
    pub(crate) domain: String,
    pub(crate) names: Vec<String>,
    pub(crate) status: CertStatus,
    pub(crate) key_algorithm: Option<String>,
    pub(crate) not_after: Option<i64>,
    pub(crate) in_use: bool,
}

/// A certificate as DescribeCertificate shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CertDetail {
    pub(crate) arn: String,
    pub(crate) domain: String,
    pub(crate) names: Vec<String>,
    pub(crate) status: CertStatus,
    pub(crate) key_algorithm: Option<String>,
    pub(crate) not_after: Option<i64>,
    pub(crate) in_use_by: Vec<String>,
    pub(crate) renewal_eligibility: Option<String>,
    pub(crate) renewal_status: Option<String>,
    pub(crate) failure_reason: Option<String>,
    pub(crate) validations: Vec<Validation>,
    /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
    pub(crate) kind: Option<String>,
    /// The serial number as ACM prints it (`0a:1b:…`; the emulator prints decimal).
    pub(crate) serial: Option<String>,
}

/// A private key's PEM: kept out of `Debug`, reports and logs; only the SDK reads it, to send.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretPem(String);

impl SecretPem {
    pub(crate) fn new(pem: String) -> SecretPem {
        SecretPem(pem)
    }
    /// The PEM, for the one call that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretPem(<redacted>)")
    }
}

/// An ImportCertificate call (PEM texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportSpec {
    pub(crate) certificate: String,
    pub(crate) private_key: SecretPem,
    /// The chain above the certificate, its issuer first; None: self-signed.
    pub(crate) chain: Option<String>,
    /// Re-import to this certificate (same ARN); ACM takes no tags then.
    pub(crate) arn: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
}

/// What ListCertificates is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery {
    /// ACM returns only RSA-2048 certificates unless `Includes.keyTypes` names the others.
    pub(crate) key_types: Vec<&'static str>,
    pub(crate) statuses: Vec<&'static str>,
}

/// Every key type ACM knows, so that listing never misses an EC certificate.
pub(crate) const ALL_KEY_TYPES: &[&str] = &[
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
pub(crate) struct RequestSpec {
    pub(crate) domain: String,
    pub(crate) sans: Vec<String>,
    pub(crate) key_algorithm: String,
    pub(crate) idempotency_token: String,
    pub(crate) tags: Vec<(String, String)>,
}

/// A Route 53 hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct HostedZone {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) private: bool,
}

/// An ELBv2 listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listener {
    pub(crate) arn: String,
    pub(crate) protocol: Protocol,
    pub(crate) port: Option<i32>,
    pub(crate) load_balancer_arn: String,
    pub(crate) default_certificates: Vec<String>,
}

/// ACM operations certctl uses.
pub(crate) trait Acm {
    fn list_certificates(&self, q: &ListQuery) -> Result<Vec<CertListItem>, AwsError>;
    fn describe_certificate(&self, arn: &str) -> Result<CertDetail, AwsError>;
    fn request_certificate(&self, spec: &RequestSpec) -> Result<String, AwsError>;
    /// The issued certificate and its chain, PEM.
    fn get_certificate(&self, arn: &str) -> Result<(String, Option<String>), AwsError>;
    /// ImportCertificate: a new certificate, or a re-import to `spec.arn`; returns the ARN.
    fn import_certificate(&self, spec: &ImportSpec) -> Result<String, AwsError>;
    /// The region the client talks to.
    fn region(&self) -> String;
}

/// Route 53 operations certctl uses.
pub(crate) trait Dns {
    fn list_hosted_zones(&self) -> Result<Vec<HostedZone>, AwsError>;
    /// UPSERTs the records in one change batch; returns the change id.
    fn upsert(&self, zone_id: &str, records: &[DnsRecord]) -> Result<String, AwsError>;
    /// Records of a zone (name, type, values).
    fn list_records(&self, zone_id: &str) -> Result<Vec<DnsRecord>, AwsError>;
}

/// ELBv2 operations certctl uses.
pub(crate) trait Elb {
    fn describe_listener(&self, arn: &str) -> Result<Listener, AwsError>;
    /// Certificates of a listener: (arn, is_default).
    fn listener_certificates(&self, arn: &str) -> Result<Vec<(String, bool)>, AwsError>;
    fn add_listener_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError>;
    fn set_default_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError>;
}

aws_enum!(
    /// An ELBv2 trust store's status.
    TrustStoreStatus {
        Active = "ACTIVE",
        Creating = "CREATING",
    }
);

aws_enum!(
    /// How an HTTPS listener handles client certificates (MutualAuthentication Mode).
    MutualAuthMode {
        Off = "off",
        Verify = "verify",
        Passthrough = "passthrough",
    }
);

aws_enum!(
    /// An S3 bucket's versioning (GetBucketVersioning); `Other("")`: never enabled.
    BucketVersioning {
        Enabled = "Enabled",
        Suspended = "Suspended",
    }
);

/// An S3 object (a trust store's CA bundle): bucket, key and, when pinned, its version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
    pub version: Option<String>,
}

/// An ELBv2 trust store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustStore {
    pub arn: String,
    pub name: String,
    pub status: TrustStoreStatus,
    pub ca_certificates: Option<i32>,
    pub revoked_entries: Option<i64>,
}

/// A listener's mutual authentication; a listener that reports none is `off`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MutualAuth {
    pub mode: MutualAuthMode,
    pub trust_store_arn: Option<String>,
    pub ignore_client_certificate_expiry: Option<bool>,
    /// `on` or `off`.
    pub advertise_ca_names: Option<String>,
}

impl MutualAuth {
    pub fn off() -> MutualAuth {
        MutualAuth {
            mode: MutualAuthMode::Off,
            trust_store_arn: None,
            ignore_client_certificate_expiry: None,
            advertise_ca_names: None,
        }
    }

    /// Mode `verify` against `trust_store_arn`, expired client certificates refused.
    pub fn verify(trust_store_arn: &str) -> MutualAuth {
        MutualAuth {
            mode: MutualAuthMode::Verify,
            trust_store_arn: Some(trust_store_arn.to_string()),
            ignore_client_certificate_expiry: Some(false),
            advertise_ca_names: None,
        }
    }
}

/// ELBv2 trust stores and a listener's mutual authentication.
pub trait TrustStores {
    /// CreateTrustStore from a CA bundle in S3.
    fn create_trust_store(
        &self,
        name: &str,
        bundle: &S3Location,
        tags: &[(String, String)],
    ) -> Result<TrustStore, AwsError>;
    /// DescribeTrustStores (every page); empty `arns` and `names`: every trust store.
    fn trust_stores(&self, arns: &[String], names: &[String]) -> Result<Vec<TrustStore>, AwsError>;
    /// One trust store by ARN ([`AwsError::NotFound`] when there is none).
    fn trust_store(&self, arn: &str) -> Result<TrustStore, AwsError> {
        self.trust_stores(&[arn.to_string()], &[])?
            .into_iter()
            .next()
            .ok_or_else(|| AwsError::NotFound {
                what: "trust store".into(),
                message: arn.to_string(),
            })
    }
    /// ModifyTrustStore: replaces the CA bundle.
    fn modify_trust_store(&self, arn: &str, bundle: &S3Location) -> Result<TrustStore, AwsError>;
    fn delete_trust_store(&self, arn: &str) -> Result<(), AwsError>;
    /// The CA bundle the trust store holds (GetTrustStoreCaCertificatesBundle, then the
    /// pre-signed URL it returns, read with the same deadline), at most `max` bytes.
    fn trust_store_bundle(&self, arn: &str, max: usize) -> Result<Vec<u8>, AwsError>;
    /// The listener's mutual authentication (DescribeListeners).
    fn listener_mutual_auth(&self, listener: &str) -> Result<MutualAuth, AwsError>;
    /// ModifyListener with MutualAuthentication only (nothing else of the listener changes).
    fn set_listener_mutual_auth(&self, listener: &str, auth: &MutualAuth) -> Result<(), AwsError>;
}

/// An S3 object read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    pub bytes: Vec<u8>,
    pub version: Option<String>,
}

/// S3 operations certctl uses (the trust store's CA bundle).
pub trait Objects {
    /// PutObject; returns the new version id (None in a bucket that is not versioned).
    fn put_object(&self, bucket: &str, key: &str, bytes: &[u8])
        -> Result<Option<String>, AwsError>;
    /// GetObject (the current version, or `version`); more than `max` bytes is refused.
    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        max: usize,
    ) -> Result<S3Object, AwsError>;
    fn bucket_versioning(&self, bucket: &str) -> Result<BucketVersioning, AwsError>;
}

/// A REST API stage, as far as its client certificate goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StageInfo {
    pub rest_api_id: String,
    pub stage: String,
    /// A generated client certificate's id or an ACM certificate ARN.
    pub client_certificate_id: Option<String>,
    pub deployment_id: Option<String>,
}

/// A client certificate API Gateway generated (self-signed, 365 days).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GeneratedClientCert {
    pub id: String,
    pub description: Option<String>,
    pub pem: String,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

/// API Gateway stages' client certificates.
pub trait Stages {
    fn stage(&self, rest_api_id: &str, stage: &str) -> Result<StageInfo, AwsError>;
    /// UpdateStage `replace /clientCertificateId` (an id or an ACM ARN); None removes it.
    fn set_stage_client_certificate(
        &self,
        rest_api_id: &str,
        stage: &str,
        id_or_arn: Option<&str>,
    ) -> Result<StageInfo, AwsError>;
    /// GetClientCertificate (generated ids only: it does not know ACM ARNs).
    fn client_certificate(&self, id: &str) -> Result<GeneratedClientCert, AwsError>;
    /// GetClientCertificates, every page.
    fn client_certificates(&self) -> Result<Vec<GeneratedClientCert>, AwsError>;
}

/// A load balancer (read its `kind`, never infer it from the ARN).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadBalancer {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) dns_name: String,
    pub(crate) zone_id: String,
    pub(crate) kind: LbKind,
    pub(crate) vpc_id: String,
}

/// A listener with where it forwards.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListenerInfo {
    pub(crate) arn: String,
    pub(crate) protocol: Protocol,
    pub(crate) port: Option<i32>,
    pub(crate) target_groups: Vec<String>,
    pub(crate) default_certificates: Vec<String>,
}

/// A target group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetGroup {
    pub(crate) arn: String,
    pub(crate) name: String,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub(crate) target_type: String,
    pub(crate) protocol: Protocol,
    pub(crate) port: Option<i32>,
    pub(crate) vpc_id: String,
}

/// One target's health.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetHealth {
    pub(crate) id: String,
    pub(crate) port: Option<i32>,
    pub(crate) state: HealthState,
    pub(crate) reason: Option<String>,
}

/// A Route 53 record set, alias target included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordSet {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) values: Vec<String>,
    pub(crate) alias_dns_name: Option<String>,
    pub(crate) alias_zone_id: Option<String>,
}

/// An API Gateway VPC link: v1 (`apigateway`, `targetArns` holds one NLB) or v2
/// (`apigatewayv2`, no target: the integration's `integrationTarget` names the load balancer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VpcLink {
    pub(crate) id: String,
    pub name: String,
    pub status: LinkStatus,
    pub target_arns: Vec<String>,
    /// 1 or 2.
    pub version: u8,
}

/// A REST API method's integration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Integration {
    pub(crate) path: String,
    pub(crate) method: String,
    pub(crate) kind: String,
    pub(crate) uri: Option<String>,
    pub(crate) connection_type: Option<String>,
    pub(crate) connection_id: Option<String>,
    /// The load balancer a VPC link v2 integration targets (ALB or NLB ARN).
    pub(crate) integration_target: Option<String>,
    pub(crate) insecure_skip_verification: bool,
}

/// The read-only calls `doctor` makes to walk the topology.
pub trait Topology {
    fn load_balancers(&self) -> Result<Vec<LoadBalancer>, AwsError>;
    fn listeners(&self, lb_arn: &str) -> Result<Vec<ListenerInfo>, AwsError>;
    fn target_group(&self, arn: &str) -> Result<TargetGroup, AwsError>;
    fn target_health(&self, tg_arn: &str) -> Result<Vec<TargetHealth>, AwsError>;
    fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>, AwsError>;
    fn vpc_links(&self) -> Result<Vec<VpcLink>, AwsError>;
    /// A VPC link v2 by id (`apigatewayv2` GetVpcLink); None when there is none.
    fn vpc_link_v2(&self, id: &str) -> Result<Option<VpcLink>, AwsError>;
    fn integrations(&self, rest_api_id: &str) -> Result<Vec<Integration>, AwsError>;
    /// A stage's variables (`${stageVariables.NAME}` in integration URIs and connection ids).
    fn stage_variables(
        &self,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError>;
}

/// The AWS clients a job uses, as one value (the SDK implements every trait; tests pass a fake).
#[derive(Clone, Copy)]
pub(crate) struct Aws<'a> {
    pub(crate) acm: &'a dyn Acm,
    pub(crate) dns: &'a dyn Dns,
    pub(crate) elb: &'a dyn Elb,
    pub(crate) topo: &'a dyn Topology,
    pub(crate) trust: &'a dyn TrustStores,
    pub(crate) s3: &'a dyn Objects,
    pub(crate) stages: &'a dyn Stages,
}

impl<'a> Aws<'a> {
    /// Every client from one value that implements them all.
    pub(crate) fn of<T: Acm + Dns + Elb + Topology + TrustStores + Objects + Stages>(
        t: &'a T,
    ) -> Aws<'a> {
        Aws {
            acm: t,
            dns: t,
            elb: t,
            topo: t,
            trust: t,
            s3: t,
            stages: t,
        }
    }
}

/// Every certificate of a listener, once: its default certificates first, then the
/// DescribeListenerCertificates list (arn, is_default).
pub(crate) fn listener_certificate_arns(
    defaults: &[String],
    listed: &[(String, bool)],
) -> Vec<String> {
    let mut out: Vec<String> = defaults.to_vec();
    for (c, _) in listed {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// The region part of an ARN (`arn:aws:acm:REGION:…`).
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(2).filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn aws_strings_become_enums_and_print_as_aws_spells_them() {
        use super::{CertStatus, HealthState, LbKind, Protocol};
        assert_eq!(CertStatus::parse("ISSUED"), CertStatus::Issued);
        assert_eq!(LbKind::parse("network"), LbKind::Network);
        assert_eq!(Protocol::parse("TCP"), Protocol::Tcp);
        assert_eq!(HealthState::parse("healthy"), HealthState::Healthy);
        // A value AWS adds later is kept, not lost or mistaken for a known one.
        let new = CertStatus::parse("PENDING_AUTO_RENEWAL");
        assert_eq!(new, CertStatus::Other("PENDING_AUTO_RENEWAL".into()));
        assert_eq!(new.to_string(), "PENDING_AUTO_RENEWAL");
        assert!(
            LbKind::parse("network") == LbKind::Network
                && LbKind::Application.as_str() != "network"
        );
        assert_eq!(
            serde_json::to_string(&Protocol::Https).unwrap(),
            "\"HTTPS\""
        );
    }

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
pub(crate) struct AuditCert {
    pub(crate) detail: CertDetail,
    /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
    pub(crate) kind: Option<String>,
    /// When it was requested (ACM's `CreatedAt`), Unix seconds.
    pub(crate) created_at: Option<i64>,
    /// When it was imported (ACM's `ImportedAt`), Unix seconds.
    pub(crate) imported_at: Option<i64>,
    /// The validation method per name (`DNS`, `EMAIL`, `HTTP`), in `detail.validations` order.
    pub(crate) validation_methods: Vec<Option<String>>,
    /// Why the last managed renewal failed, when it did.
    pub(crate) renewal_failure_reason: Option<String>,
}

/// The calls `acm audit` makes besides [`Acm`] and [`Dns`]; defaults fall back to those traits,
/// so an implementation overrides them only to save calls.
pub(crate) trait AuditCalls: Acm + Dns + Stages {
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
