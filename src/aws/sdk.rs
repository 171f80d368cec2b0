//! The official AWS SDK behind certctl's AWS traits (ACM, Route 53, ELBv2, API Gateway, S3); the only file that imports `aws_sdk_*`.
//! One HTTP/TLS stack (hyper 1 + rustls with ring), given to aws-config explicitly.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_acm::config::http::HttpResponse;
use aws_sdk_acm::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::deadline::Deadline;

use super::{
    Acm, AwsError, AwsTarget, CertDetail, CertListItem, Dns, DnsRecord, Elb, HostedZone,
    ImportSpec, ListQuery, Listener, RequestSpec, Validation,
};

/// Clients for ACM, Route 53, ELBv2 and API Gateway (v1 and v2) sharing one config, driven by
/// a private runtime so the jobs stay synchronous.
pub struct Sdk {
    rt: tokio::runtime::Runtime,
    acm: aws_sdk_acm::Client,
    route53: aws_sdk_route53::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    apigw: aws_sdk_apigateway::Client,
    apigw2: aws_sdk_apigatewayv2::Client,
    s3: aws_sdk_s3::Client,
    /// Plain HTTPS GETs (the pre-signed URL of a trust store's CA bundle), same TLS stack.
    fetcher: aws_smithy_http_client::Connector,
    /// An --endpoint-url was given (an emulator): its pre-signed URLs may be plain http.
    custom_endpoint: bool,
    region: String,
    deadline: Deadline,
    /// Attempts the SDK makes per call.
    attempts: u32,
    /// Answers in a row that asked to be retried (throttling, 5xx), and the last of them: what
    /// a deadline error says instead of "before AWS answered".
    backoffs: AtomicU32,
    last_backoff: Mutex<Option<AwsError>>,
    /// Where credentials were looked for, for the error when none were found.
    credentials_tried: String,
}

/// The per-attempt timeout when none is given: connect and read, each.
pub(crate) const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts per call when neither --max-attempts nor AWS_MAX_ATTEMPTS says otherwise.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// `http(s)://host[:port][/…]`, nothing else.
fn endpoint_ok(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.and_then(|r| r.split('/').next())
        .is_some_and(|host| !host.is_empty() && !host.contains(char::is_whitespace))
}

impl Sdk {
    /// One stage (GetStage).
    fn get_stage(
        &self,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<aws_sdk_apigateway::operation::get_stage::GetStageOutput, AwsError> {
        self.send(
            "apigateway:GetStage",
            self.apigw
                .get_stage()
                .rest_api_id(rest_api_id)
                .stage_name(stage)
                .send(),
        )
    }

    /// One listener by ARN (DescribeListeners); NotFound when AWS lists none.
    fn one_listener(
        &self,
        arn: &str,
    ) -> Result<aws_sdk_elasticloadbalancingv2::types::Listener, AwsError> {
        let resp = self.send(
            "elasticloadbalancing:DescribeListeners",
            self.elb.describe_listeners().listener_arns(arn).send(),
        )?;
        resp.listeners()
            .first()
            .cloned()
            .ok_or_else(|| AwsError::NotFound {
                what: "listener".into(),
                message: arn.to_string(),
            })
    }

    pub fn new(target: &AwsTarget) -> Result<Sdk, AwsError> {
        if let Some(e) = &target.endpoint_url {
            if !endpoint_ok(e) {
                return Err(AwsError::BadEndpoint(e.clone()));
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| AwsError::Transport {
                action: "runtime".into(),
                cause: format!("cannot start the runtime: {e}"),
                detail: String::new(),
            })?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let deadline = target.deadline;
        // Per attempt: --aws-timeout or what is left of the deadline, whichever is less; no
        // operation (attempts and the backoff between them) outlives the deadline either, and
        // `within` cuts every call at the deadline as it stands when the call starts.
        let floor = Duration::from_millis(1);
        let attempt = deadline
            .min_with(target.attempt_timeout.unwrap_or(DEFAULT_ATTEMPT_TIMEOUT))
            .max(floor);
        let attempts = target.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1);
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(attempt)
            .read_timeout(attempt)
            .operation_attempt_timeout(attempt)
            // Every attempt plus the backoff between them (at most 20 s each in standard mode).
            .operation_timeout(
                deadline
                    .min_with(attempt * attempts + Duration::from_secs(20) * (attempts - 1))
                    .max(floor),
            )
            .build();
        let retry = aws_config::retry::RetryConfig::standard().with_max_attempts(attempts);
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http.clone())
            .timeout_config(timeouts)
            .retry_config(retry);
        // A named profile (--profile, else AWS_PROFILE) is the credentials, as with the AWS
        // CLI: environment keys do not win over it, and a profile that is not there is refused.
        let profile = selected_profile(target.profile.as_deref());
        if let Some(p) = &profile {
            let files = ProfileFiles::of_env();
            if !files.defines(p) {
                return Err(AwsError::UnknownProfile {
                    profile: p.clone(),
                    files: files.describe(),
                });
            }
            let provider_conf = aws_config::provider_config::ProviderConfig::without_region()
                .with_http_client(http.clone())
                .with_region(target.region.clone().map(aws_config::Region::new));
            loader = loader.profile_name(p).credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .configure(&provider_conf)
                    .profile_name(p)
                    .build(),
            );
        }
        if let Some(r) = &target.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(e) = &target.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let conf = within(&rt, &deadline, loader.load()).ok_or(AwsError::Deadline {
            action: "aws:load the configuration".into(),
            in_flight: true,
        })?;
        let region = conf
            .region()
            .map(|r| r.to_string())
            .ok_or(AwsError::NoRegion)?;
        Ok(Sdk {
            acm: aws_sdk_acm::Client::new(&conf),
            route53: aws_sdk_route53::Client::new(&conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
            apigw: aws_sdk_apigateway::Client::new(&conf),
            apigw2: aws_sdk_apigatewayv2::Client::new(&conf),
            s3: aws_sdk_s3::Client::new(&conf),
            fetcher: aws_smithy_http_client::Connector::builder()
                .connector_settings(
                    aws_smithy_runtime_api::client::http::HttpConnectorSettings::builder()
                        .connect_timeout(attempt)
                        .read_timeout(attempt)
                        .build(),
                )
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build(),
            custom_endpoint: target.endpoint_url.is_some(),
            region,
            rt,
            deadline,
            attempts,
            backoffs: AtomicU32::new(0),
            last_backoff: Mutex::new(None),
            credentials_tried: credentials_tried(profile.as_deref()),
        })
    }

    /// Runs one SDK call to completion, never past the command's deadline.
    /// One DescribeCertificate, as the SDK returns it (describe and the audit map it).
    fn describe_raw(&self, arn: &str) -> Result<aws_sdk_acm::types::CertificateDetail, AwsError> {
        let resp = self.send(
            "acm:DescribeCertificate",
            self.acm.describe_certificate().certificate_arn(arn).send(),
        )?;
        resp.certificate()
            .cloned()
            .ok_or_else(|| AwsError::NotFound {
                what: "certificate".into(),
                message: arn.to_string(),
            })
    }

    /// The one path for an SDK call: `fut` (an operation's `.send()`) runs within the
    /// command's deadline and its error becomes certctl's. Reads go through here directly;
    /// writes through [`Sdk::send_write`], which calls this.
    fn send<T, E, F>(&self, action: &str, fut: F) -> Result<T, AwsError>
    where
        F: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if self.deadline.expired() {
            return Err(self.deadline_error(action, false));
        }
        let Some(out) = within(&self.rt, &self.deadline, fut) else {
            return Err(self.deadline_error(action, true));
        };
        match out.map_err(|e| self.explain(map(action, e))) {
            Ok(v) => {
                self.backoffs.store(0, Ordering::Relaxed);
                Ok(v)
            }
            Err(e @ (AwsError::Throttled { .. } | AwsError::ServerError { .. })) => {
                self.backoffs.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = self.last_backoff.lock() {
                    *last = Some(e.clone());
                }
                Err(e)
            }
            Err(e) => {
                self.backoffs.store(0, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// The deadline passed: after answers that asked to be retried, say how many and which
    /// (not "before AWS answered"); otherwise that the call was cut short or never sent.
    fn deadline_error(&self, action: &str, in_flight: bool) -> AwsError {
        let n = self.backoffs.load(Ordering::Relaxed);
        let last = self.last_backoff.lock().ok().and_then(|l| l.clone());
        match last {
            Some(last) if n > 0 => {
                let each = if self.attempts > 1 {
                    format!(", {} attempts each", self.attempts)
                } else {
                    String::new()
                };
                let message = match &last {
                    AwsError::Throttled { code, .. } => format!(
                        "AWS throttled {n} request{} in a row ({code}{each})",
                        if n == 1 { "" } else { "s" }
                    ),
                    AwsError::ServerError { status, code, .. } => format!(
                        "AWS failed {n} request{} in a row (HTTP {status} {code}{each})",
                        if n == 1 { "" } else { "s" }
                    ),
                    other => other.to_string(),
                };
                AwsError::GaveUp {
                    action: action.into(),
                    message,
                }
            }
            _ => AwsError::Deadline {
                action: action.into(),
                in_flight,
            },
        }
    }

    /// An idempotent write (Route 53 UPSERT, ModifyListener, AddListenerCertificates,
    /// RequestCertificate with its idempotency token): `make` builds the call afresh for each
    /// try. Throttling, 5xx and Route 53's PriorRequestNotComplete are tried again with
    /// backoff until the deadline (not only the SDK's attempts); an answer that was lost
    /// (timeout, dropped connection, the deadline mid-call) says the write may have been
    /// applied and that a rerun is safe.
    ///
    /// Every write certctl makes is one of these four; it makes no write that is not
    /// idempotent, so none is limited to the SDK's standard attempts.
    fn send_write<T, E, F, M>(&self, action: &str, make: M) -> Result<T, AwsError>
    where
        M: Fn() -> F,
        F: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut pause = Duration::from_millis(200);
        loop {
            match self.send(action, make()) {
                Err(AwsError::Throttled { .. } | AwsError::ServerError { .. }) => {
                    let left = self.deadline.remaining();
                    // A little jitter, so that runs started together do not retry together.
                    let jitter = Duration::from_millis(u64::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.subsec_millis() % 100)
                            .unwrap_or(0),
                    ));
                    std::thread::sleep((pause + jitter).min(left));
                    pause = (pause * 2).min(Duration::from_secs(20));
                }
                Err(AwsError::Timeout { .. }) => {
                    return Err(AwsError::Lost {
                        action: action.into(),
                        cause: "no answer within --aws-timeout".into(),
                    })
                }
                Err(AwsError::Deadline {
                    in_flight: true, ..
                }) => {
                    return Err(AwsError::Lost {
                        action: action.into(),
                        cause: "the command's deadline passed before the answer came".into(),
                    })
                }
                Err(AwsError::Transport { cause, .. }) if cause != REFUSED => {
                    return Err(AwsError::Lost {
                        action: action.into(),
                        cause,
                    })
                }
                other => return other,
            }
        }
    }
}

/// A write sent once whose answer never came: it may have been applied.
fn lost_if_unanswered(action: &str, e: AwsError) -> AwsError {
    match e {
        AwsError::Timeout { .. } => AwsError::Lost {
            action: action.into(),
            cause: "no answer within --aws-timeout".into(),
        },
        AwsError::Deadline {
            in_flight: true, ..
        } => AwsError::Lost {
            action: action.into(),
            cause: "the command's deadline passed before the answer came".into(),
        },
        AwsError::Transport { cause, .. } if cause != REFUSED => AwsError::Lost {
            action: action.into(),
            cause,
        },
        e => e,
    }
}

/// The only place a future is driven to completion: never past `deadline` (None once it has
/// passed). [`Sdk::send`] runs every AWS call through it.
fn within<F: std::future::Future>(
    rt: &tokio::runtime::Runtime,
    deadline: &Deadline,
    fut: F,
) -> Option<F::Output> {
    let left = deadline.remaining();
    if left.is_zero() {
        return None;
    }
    rt.block_on(async { tokio::time::timeout(left, fut).await })
        .ok()
}

impl Sdk {
    /// An error with what certctl knows beyond the SDK: where credentials were looked for.
    fn explain(&self, e: AwsError) -> AwsError {
        match e {
            // The SDK's own text is a dump of every provider it tried; say it in words.
            AwsError::NoCredentials(what) => {
                let action = what.split(": ").next().unwrap_or_default();
                AwsError::NoCredentials(format!("{action}: {}", self.credentials_tried))
            }
            e => e,
        }
    }
}

/// The profile certctl uses: `--profile`, else `AWS_PROFILE`; None: the default chain.
fn selected_profile(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .filter(|p| !p.trim().is_empty())
}

/// The shared config and credentials files, found as the SDK and the AWS CLI find them.
struct ProfileFiles {
    /// (path, what named it: the variable or "default").
    config: (std::path::PathBuf, &'static str),
    credentials: (std::path::PathBuf, &'static str),
}

impl ProfileFiles {
    fn of_env() -> ProfileFiles {
        let home = std::env::var_os("HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_default();
        let pick = |var: &'static str, default: &str| match std::env::var_os(var) {
            Some(v) if !v.is_empty() => (expand_home(std::path::PathBuf::from(v), &home), var),
            _ => (home.join(".aws").join(default), "default"),
        };
        ProfileFiles {
            config: pick("AWS_CONFIG_FILE", "config"),
            credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        }
    }

    /// Whether either file has a section for `profile`: `[profile NAME]` (or `[NAME]`) in the
    /// config file, `[NAME]` in the credentials file.
    fn defines(&self, profile: &str) -> bool {
        let sections = |path: &std::path::Path, config: bool| -> bool {
            let Ok(text) = std::fs::read_to_string(path) else {
                return false;
            };
            text.lines().any(|line| {
                let line = line.trim();
                let Some(inner) = line.strip_prefix('[').and_then(|l| l.split(']').next()) else {
                    return false;
                };
                let inner = inner.trim();
                let name = match inner.strip_prefix("profile") {
                    Some(rest) if config && rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ => inner,
                };
                name == profile
            })
        };
        sections(&self.config.0, true) || sections(&self.credentials.0, false)
    }

    /// "PATH (VARIABLE) and PATH (default)".
    fn describe(&self) -> String {
        format!(
            "{} ({}) and {} ({})",
            self.config.0.display(),
            if self.config.1 == "default" {
                "the default config file"
            } else {
                self.config.1
            },
            self.credentials.0.display(),
            if self.credentials.1 == "default" {
                "the default credentials file"
            } else {
                self.credentials.1
            },
        )
    }
}

/// `~/x` as the SDK reads it.
fn expand_home(p: std::path::PathBuf, home: &std::path::Path) -> std::path::PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => home.join(rest),
        Err(_) => p,
    }
}

/// What the credentials look-up tried, in the order the SDK tries it.
fn credentials_tried(profile: Option<&str>) -> String {
    let files = ProfileFiles::of_env();
    match profile {
        Some(p) => format!(
            "profile \"{p}\" (from --profile or AWS_PROFILE) in {} has none usable (no aws_access_key_id, role_arn, sso_session or credential_process that worked)",
            files.describe()
        ),
        None => {
            let imds = match std::env::var("AWS_EC2_METADATA_DISABLED") {
                Ok(v) if v.eq_ignore_ascii_case("true") => {
                    "the EC2 instance metadata service (disabled by AWS_EC2_METADATA_DISABLED)"
                }
                _ => "the EC2 instance metadata service (an instance role)",
            };
            format!(
                "none found; tried the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), profile \"default\" in {}, web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), the ECS/EKS container endpoint (AWS_CONTAINER_CREDENTIALS_*) and {imds}",
                files.describe()
            )
        }
    }
}

/// Most pages read from one list (at AWS's page sizes, millions of items).
const MAX_PAGES: usize = 10_000;

/// Every page of a paginated AWS list: `page(token)` fetches one page (the first with `None`)
/// and returns its items and the next token or marker (`None`: the last page). A token handed
/// back twice, or more than [`MAX_PAGES`] pages, ends the walk with an error instead of a loop.
fn paginate<T>(
    mut page: impl FnMut(Option<String>) -> Result<(Vec<T>, Option<String>), AwsError>,
) -> Result<Vec<T>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..MAX_PAGES {
        let (items, next) = page(token.take())?;
        out.extend(items);
        match next {
            None => return Ok(out),
            Some(t) if !seen.insert(t.clone()) => {
                return Err(AwsError::Transport {
                    action: "pagination".into(),
                    cause: format!(
                        "AWS handed back the page token {t} twice; stopped instead of looping"
                    ),
                    detail: String::new(),
                })
            }
            Some(t) => token = Some(t),
        }
    }
    Err(AwsError::Transport {
        action: "pagination".into(),
        cause: format!("more than {MAX_PAGES} pages; stopped"),
        detail: String::new(),
    })
}

/// Error codes that mean "these credentials are not valid", not "there are none".
const BAD_CREDENTIALS: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "InvalidAccessKeyId",
];

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
    "SlowDown",
    "BandwidthLimitExceeded",
    "ProvisionedThroughputExceededException",
];

/// The Display texts of an error and its sources on one line (no Debug), bounded.
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let t = err
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !t.is_empty() && !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = err.source();
    }
    let mut s = parts.join(": ");
    if s.len() > 300 {
        let mut cut = 297;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

fn clean(m: &str) -> String {
    let m = m.split_whitespace().collect::<Vec<_>>().join(" ");
    if m.len() > 300 || m.starts_with('<') {
        // An HTML page or an essay is not a message.
        String::new()
    } else {
        m
    }
}

/// Maps an SDK error to certctl's, naming the service and operation.
fn map<E>(action: &str, e: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let action = action.to_string();
    match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let status = se.raw().status().as_u16();
            let message = clean(err.message().unwrap_or(""));
            let code = err.code().map(str::to_string);
            match code.as_deref() {
                Some(c) if BAD_CREDENTIALS.contains(&c) => AwsError::BadCredentials {
                    action,
                    code: c.to_string(),
                    message,
                },
                Some(c) if c.contains("AccessDenied") || c.contains("UnauthorizedOperation") => {
                    AwsError::AccessDenied { action, message }
                }
                Some(c) if THROTTLING.contains(&c) => AwsError::Throttled {
                    action,
                    code: c.to_string(),
                    message,
                },
                Some(c) if c.contains("NotFound") || c.starts_with("NoSuch") => AwsError::NotFound {
                    what: action,
                    message: if message.is_empty() { c.to_string() } else { message },
                },
                _ if status == 429 => AwsError::Throttled {
                    action,
                    code: code.unwrap_or_else(|| "HTTP 429".into()),
                    message,
                },
                _ if status >= 500 => AwsError::ServerError {
                    action,
                    status,
                    code: code.unwrap_or_else(|| "no AWS error code".into()),
                    message,
                },
                Some(c) => AwsError::Rejected {
                    action,
                    code: c.to_string(),
                    message,
                },
                None => AwsError::Rejected {
                    action,
                    code: format!("HTTP {status}"),
                    message: "the answer is not an AWS error document (a proxy or a wrong --endpoint-url?)".into(),
                },
            }
        }
        SdkError::TimeoutError(_) => AwsError::Timeout { action },
        SdkError::DispatchFailure(d) if d.is_timeout() => AwsError::Timeout { action },
        SdkError::ResponseError(r) => {
            let status = r.raw().status().as_u16();
            if status >= 500 {
                AwsError::ServerError {
                    action,
                    status,
                    code: "no AWS error code".into(),
                    message: String::new(),
                }
            } else if !(200..300).contains(&status) {
                AwsError::Rejected {
                    action,
                    code: format!("HTTP {status}"),
                    message: "the answer is not an AWS error document (a proxy or a wrong --endpoint-url?)".into(),
                }
            } else {
                let detail = one_line(&e);
                AwsError::Transport {
                    action,
                    cause: answer_words(&detail).into(),
                    detail,
                }
            }
        }
        _ => {
            let detail = one_line(&e);
            if detail.contains("credentials") || detail.contains("credential provider") {
                AwsError::NoCredentials(format!("{action}: {detail}"))
            } else {
                AwsError::Transport {
                    action,
                    cause: dispatch_words(&detail).into(),
                    detail,
                }
            }
        }
    }
}

/// Nothing listens at the endpoint: the request never left, so a write was not applied.
const REFUSED: &str = "connection refused (nothing listens at the endpoint)";

/// What happened to a request that got no answer, in words (the SDK's chain is for -v).
fn dispatch_words(chain: &str) -> &'static str {
    let c = chain.to_ascii_lowercase();
    if c.contains("connection refused") {
        REFUSED
    } else if c.contains("dns error")
        || c.contains("failed to lookup")
        || c.contains("name or service not known")
    {
        "the endpoint's host name does not resolve"
    } else if c.contains("certificate") || c.contains("handshake") || c.contains("tls") {
        "the TLS handshake with the endpoint failed"
    } else if c.contains("closed before message completed")
        || c.contains("incomplete")
        || c.contains("reset by peer")
        || c.contains("broken pipe")
        || c.contains("eof")
    {
        "the connection was dropped before the answer was complete"
    } else {
        "the connection failed"
    }
}

/// What was wrong with a 2xx answer that could not be read, in words.
fn answer_words(chain: &str) -> &'static str {
    let c = chain.to_ascii_lowercase();
    if c.contains("eof")
        || c.contains("incomplete")
        || c.contains("closed")
        || c.contains("length")
        || c.contains("reset")
    {
        "the answer was cut short"
    } else {
        "the answer is not an AWS answer (a proxy or a wrong --endpoint-url?)"
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
        paginate(|token| {
            let mut req = self.acm.list_certificates().includes(filters.clone());
            if !q.statuses.is_empty() {
                req = req.set_certificate_statuses(Some(
                    q.statuses
                        .iter()
                        .map(|s| CertificateStatus::from(*s))
                        .collect(),
                ));
            }
            let resp = self.send("acm:ListCertificates", req.set_next_token(token).send())?;
            let mut out = Vec::new();
            for c in resp.certificate_summary_list() {
                out.push(CertListItem {
                    arn: c.certificate_arn().unwrap_or_default().to_string(),
                    domain: c.domain_name().unwrap_or_default().to_string(),
                    names: c.subject_alternative_name_summaries().to_vec(),
                    status: c
                        .status()
                        .map(|s| super::CertStatus::parse(s.as_str()))
                        .unwrap_or_default(),
                    key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
                    not_after: ts(c.not_after()),
                    in_use: c.in_use().unwrap_or(false),
                });
            }
            Ok((out, resp.next_token().map(str::to_string)))
        })
    }

    fn describe_certificate(&self, arn: &str) -> Result<CertDetail, AwsError> {
        Ok(cert_detail(&self.describe_raw(arn)?, arn))
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
                    action: "acm:RequestCertificate".into(),
                    code: "BadTag".into(),
                    message: e.to_string(),
                })?;
            req = req.tags(tag);
        }
        let resp = self.send_write("acm:RequestCertificate", || req.clone().send())?;
        resp.certificate_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::Rejected {
                action: "acm:RequestCertificate".into(),
                code: "NoArn".into(),
                message: "RequestCertificate returned no ARN".into(),
            })
    }

    fn get_certificate(&self, arn: &str) -> Result<(String, Option<String>), AwsError> {
        let resp = self.send(
            "acm:GetCertificate",
            self.acm.get_certificate().certificate_arn(arn).send(),
        )?;
        Ok((
            resp.certificate().unwrap_or_default().to_string(),
            resp.certificate_chain().map(str::to_string),
        ))
    }

    fn import_certificate(&self, spec: &ImportSpec) -> Result<String, AwsError> {
        use aws_sdk_acm::primitives::Blob;
        use aws_sdk_acm::types::Tag;
        let action = "acm:ImportCertificate";
        let mut req = self
            .acm
            .import_certificate()
            .certificate(Blob::new(spec.certificate.as_bytes()))
            .private_key(Blob::new(spec.private_key.expose().as_bytes()))
            .set_certificate_chain(spec.chain.as_ref().map(|c| Blob::new(c.as_bytes())))
            .set_certificate_arn(spec.arn.clone());
        for (k, v) in &spec.tags {
            let tag = Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::Rejected {
                    action: action.into(),
                    code: "BadTag".into(),
                    message: e.to_string(),
                })?;
            req = req.tags(tag);
        }
        // A re-import to one ARN is idempotent and is tried again like every write; a new
        // import is not (each makes a certificate), so it is sent once: a lost answer says so,
        // and the rerun finds the certificate by its fingerprint instead of importing again.
        let resp = if spec.arn.is_some() {
            self.send_write(action, || req.clone().send())?
        } else {
            let once = aws_sdk_acm::config::Builder::default()
                .retry_config(aws_config::retry::RetryConfig::disabled());
            self.send(action, req.customize().config_override(once).send())
                .map_err(|e| lost_if_unanswered(action, e))?
        };
        resp.certificate_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::Rejected {
                action: action.into(),
                code: "NoArn".into(),
                message: "ImportCertificate returned no ARN".into(),
            })
    }

    fn region(&self) -> String {
        self.region.clone()
    }
}

impl Dns for Sdk {
    fn list_hosted_zones(&self) -> Result<Vec<HostedZone>, AwsError> {
        paginate(|marker| {
            let resp = self.send(
                "route53:ListHostedZones",
                self.route53.list_hosted_zones().set_marker(marker).send(),
            )?;
            let mut out = Vec::new();
            for z in resp.hosted_zones() {
                out.push(HostedZone {
                    id: z.id().trim_start_matches("/hostedzone/").to_string(),
                    name: z.name().trim_end_matches('.').to_ascii_lowercase(),
                    private: z.config().is_some_and(|c| c.private_zone()),
                });
            }
            let next = resp.next_marker().filter(|_| resp.is_truncated());
            Ok((out, next.map(str::to_string)))
        })
    }

    fn upsert(&self, zone_id: &str, records: &[DnsRecord]) -> Result<String, AwsError> {
        use aws_sdk_route53::types::{
            Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
        };
        let bad = |e: aws_sdk_route53::error::BuildError| AwsError::Rejected {
            action: "route53:ChangeResourceRecordSets".into(),
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
        let resp = self.send_write("route53:ChangeResourceRecordSets", || {
            self.route53
                .change_resource_record_sets()
                .hosted_zone_id(zone_id)
                .change_batch(batch.clone())
                .send()
        })?;
        Ok(resp
            .change_info()
            .map(|c| c.id().to_string())
            .unwrap_or_default())
    }

    fn list_records(&self, zone_id: &str) -> Result<Vec<DnsRecord>, AwsError> {
        let resp = self.send(
            "route53:ListResourceRecordSets",
            self.route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .send(),
        )?;
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
        let l = self.one_listener(arn)?;
        Ok(Listener {
            arn: l.listener_arn().unwrap_or(arn).to_string(),
            protocol: l
                .protocol()
                .map(|p| super::Protocol::parse(p.as_str()))
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
        let resp = self.send(
            "elasticloadbalancing:DescribeListenerCertificates",
            self.elb
                .describe_listener_certificates()
                .listener_arn(arn)
                .send(),
        )?;
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
        self.send_write("elasticloadbalancing:AddListenerCertificates", || {
            self.elb
                .add_listener_certificates()
                .listener_arn(listener)
                .certificates(Certificate::builder().certificate_arn(cert).build())
                .send()
        })?;
        Ok(())
    }

    fn set_default_certificate(&self, listener: &str, cert: &str) -> Result<(), AwsError> {
        use aws_sdk_elasticloadbalancingv2::types::Certificate;
        self.send_write("elasticloadbalancing:ModifyListener", || {
            self.elb
                .modify_listener()
                .listener_arn(listener)
                .certificates(Certificate::builder().certificate_arn(cert).build())
                .send()
        })?;
        Ok(())
    }
}

impl super::Topology for Sdk {
    fn load_balancers(&self) -> Result<Vec<super::LoadBalancer>, AwsError> {
        paginate(|marker| {
            let resp = self.send(
                "elasticloadbalancing:DescribeLoadBalancers",
                self.elb.describe_load_balancers().set_marker(marker).send(),
            )?;
            let mut out = Vec::new();
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
                        .map(|t| super::LbKind::parse(t.as_str()))
                        .unwrap_or_default(),
                    vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
                });
            }
            Ok((out, resp.next_marker().map(str::to_string)))
        })
    }

    fn listeners(&self, lb_arn: &str) -> Result<Vec<super::ListenerInfo>, AwsError> {
        let resp = self.send(
            "elasticloadbalancing:DescribeListeners",
            self.elb
                .describe_listeners()
                .load_balancer_arn(lb_arn)
                .send(),
        )?;
        Ok(resp
            .listeners()
            .iter()
            .map(|l| super::ListenerInfo {
                arn: l.listener_arn().unwrap_or_default().to_string(),
                protocol: l
                    .protocol()
                    .map(|p| super::Protocol::parse(p.as_str()))
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
        let resp = self.send(
            "elasticloadbalancing:DescribeTargetGroups",
            self.elb
                .describe_target_groups()
                .target_group_arns(arn)
                .send(),
        )?;
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
                .map(|p| super::Protocol::parse(p.as_str()))
                .unwrap_or_default(),
            port: t.port(),
            vpc_id: t.vpc_id().unwrap_or_default().to_string(),
        })
    }

    fn target_health(&self, tg_arn: &str) -> Result<Vec<super::TargetHealth>, AwsError> {
        let resp = self.send(
            "elasticloadbalancing:DescribeTargetHealth",
            self.elb
                .describe_target_health()
                .target_group_arn(tg_arn)
                .send(),
        )?;
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
                    .map(|s| super::HealthState::parse(s.as_str()))
                    .unwrap_or_default(),
                reason: d
                    .target_health()
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_string()),
            })
            .collect())
    }

    fn record_sets(&self, zone_id: &str) -> Result<Vec<super::RecordSet>, AwsError> {
        let resp = self.send(
            "route53:ListResourceRecordSets",
            self.route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .send(),
        )?;
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
        let resp = self.send("apigateway:GetVpcLinks", self.apigw.get_vpc_links().send())?;
        Ok(resp
            .items()
            .iter()
            .map(|l| super::VpcLink {
                id: l.id().unwrap_or_default().to_string(),
                name: l.name().unwrap_or_default().to_string(),
                status: l
                    .status()
                    .map(|s| super::LinkStatus::parse(s.as_str()))
                    .unwrap_or_default(),
                target_arns: l.target_arns().to_vec(),
                version: 1,
            })
            .collect())
    }

    fn vpc_link_v2(&self, id: &str) -> Result<Option<super::VpcLink>, AwsError> {
        let got = self.send(
            "apigatewayv2:GetVpcLink",
            self.apigw2.get_vpc_link().vpc_link_id(id).send(),
        );
        let l = match got {
            Ok(l) => l,
            Err(AwsError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(super::VpcLink {
            id: l.vpc_link_id().unwrap_or(id).to_string(),
            name: l.name().unwrap_or_default().to_string(),
            status: l
                .vpc_link_status()
                .map(|s| super::LinkStatus::parse(s.as_str()))
                .unwrap_or_default(),
            target_arns: Vec::new(),
            version: 2,
        }))
    }

    fn stage_variables(
        &self,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        let resp = self.get_stage(rest_api_id, stage)?;
        Ok(resp
            .variables()
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    fn integrations(&self, rest_api_id: &str) -> Result<Vec<super::Integration>, AwsError> {
        let resp = self.send(
            "apigateway:GetResources",
            self.apigw
                .get_resources()
                .rest_api_id(rest_api_id)
                .embed("methods")
                .send(),
        )?;
        let mut out = Vec::new();
        for r in resp.items() {
            let path = r.path().unwrap_or_default().to_string();
            let Some(methods) = r.resource_methods() else {
                continue;
            };
            let mut names: Vec<&String> = methods.keys().collect();
            names.sort();
            for m in names {
                let got = self.send(
                    "apigateway:GetIntegration",
                    self.apigw
                        .get_integration()
                        .rest_api_id(rest_api_id)
                        .resource_id(r.id().unwrap_or_default())
                        .http_method(m)
                        .send(),
                );
                let i = match got {
                    Ok(i) => i,
                    Err(AwsError::NotFound { .. }) => continue,
                    Err(other) => return Err(other),
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
                    integration_target: i.integration_target().map(str::to_string),
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
        let c = &self.describe_raw(arn)?;
        let detail = cert_detail(c, arn);
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
        let resp = self.send(
            "route53:ListResourceRecordSets",
            self.route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .start_record_name(format!("{want}."))
                .start_record_type(RrType::from(kind))
                .max_items(1)
                .send(),
        )?;
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

/// ACM's description of a certificate in certctl's types (DescribeCertificate and the audit).
fn cert_detail(c: &aws_sdk_acm::types::CertificateDetail, arn: &str) -> CertDetail {
    CertDetail {
        arn: c.certificate_arn().unwrap_or(arn).to_string(),
        domain: c.domain_name().unwrap_or_default().to_string(),
        names: c.subject_alternative_names().to_vec(),
        status: c
            .status()
            .map(|s| super::CertStatus::parse(s.as_str()))
            .unwrap_or_default(),
        key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
        not_after: ts(c.not_after()),
        in_use_by: c.in_use_by().to_vec(),
        renewal_eligibility: c.renewal_eligibility().map(|r| r.as_str().to_string()),
        renewal_status: c
            .renewal_summary()
            .map(|r| r.renewal_status().as_str().to_string()),
        failure_reason: c.failure_reason().map(|f| f.as_str().to_string()),
        kind: c.r#type().map(|t| t.as_str().to_string()),
        serial: c.serial().map(str::to_string),
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
    }
}

fn trust_store_of(t: &aws_sdk_elasticloadbalancingv2::types::TrustStore) -> super::TrustStore {
    super::TrustStore {
        arn: t.trust_store_arn().unwrap_or_default().to_string(),
        name: t.name().unwrap_or_default().to_string(),
        status: t
            .status()
            .map(|s| super::TrustStoreStatus::parse(s.as_str()))
            .unwrap_or_default(),
        ca_certificates: t.number_of_ca_certificates(),
        revoked_entries: t.total_revoked_entries(),
    }
}

/// The one trust store an ELBv2 write answered with.
fn one_store(
    action: &str,
    stores: &[aws_sdk_elasticloadbalancingv2::types::TrustStore],
) -> Result<super::TrustStore, AwsError> {
    stores
        .first()
        .map(trust_store_of)
        .ok_or_else(|| AwsError::Rejected {
            action: action.into(),
            code: "NoTrustStore".into(),
            message: "the answer names no trust store".into(),
        })
}

impl super::TrustStores for Sdk {
    fn create_trust_store(
        &self,
        name: &str,
        bundle: &super::S3Location,
        tags: &[(String, String)],
    ) -> Result<super::TrustStore, AwsError> {
        use aws_sdk_elasticloadbalancingv2::types::Tag;
        let action = "elasticloadbalancing:CreateTrustStore";
        let mut req = self
            .elb
            .create_trust_store()
            .name(name)
            .ca_certificates_bundle_s3_bucket(&bundle.bucket)
            .ca_certificates_bundle_s3_key(&bundle.key)
            .set_ca_certificates_bundle_s3_object_version(bundle.version.clone());
        for (k, v) in tags {
            req = req.tags(Tag::builder().key(k).value(v).build());
        }
        // Idempotent by name: a second create of the same name is refused
        // (DuplicateTrustStoreName), never a second store.
        let resp = self.send_write(action, || req.clone().send())?;
        one_store(action, resp.trust_stores())
    }

    fn trust_stores(
        &self,
        arns: &[String],
        names: &[String],
    ) -> Result<Vec<super::TrustStore>, AwsError> {
        paginate(|marker| {
            let resp = self.send(
                "elasticloadbalancing:DescribeTrustStores",
                self.elb
                    .describe_trust_stores()
                    .set_trust_store_arns((!arns.is_empty()).then(|| arns.to_vec()))
                    .set_names((!names.is_empty()).then(|| names.to_vec()))
                    .set_marker(marker)
                    .send(),
            )?;
            let out = resp.trust_stores().iter().map(trust_store_of).collect();
            Ok((out, resp.next_marker().map(str::to_string)))
        })
    }

    fn modify_trust_store(
        &self,
        arn: &str,
        bundle: &super::S3Location,
    ) -> Result<super::TrustStore, AwsError> {
        let action = "elasticloadbalancing:ModifyTrustStore";
        let resp = self.send_write(action, || {
            self.elb
                .modify_trust_store()
                .trust_store_arn(arn)
                .ca_certificates_bundle_s3_bucket(&bundle.bucket)
                .ca_certificates_bundle_s3_key(&bundle.key)
                .set_ca_certificates_bundle_s3_object_version(bundle.version.clone())
                .send()
        })?;
        one_store(action, resp.trust_stores())
    }

    fn delete_trust_store(&self, arn: &str) -> Result<(), AwsError> {
        self.send_write("elasticloadbalancing:DeleteTrustStore", || {
            self.elb.delete_trust_store().trust_store_arn(arn).send()
        })?;
        Ok(())
    }

    fn trust_store_bundle(&self, arn: &str, max: usize) -> Result<Vec<u8>, AwsError> {
        let resp = self.send(
            "elasticloadbalancing:GetTrustStoreCaCertificatesBundle",
            self.elb
                .get_trust_store_ca_certificates_bundle()
                .trust_store_arn(arn)
                .send(),
        )?;
        let url = resp.location().unwrap_or_default();
        self.fetch_url(
            "elasticloadbalancing:GetTrustStoreCaCertificatesBundle (the bundle's URL)",
            url,
            max,
        )
    }

    fn listener_mutual_auth(&self, listener: &str) -> Result<super::MutualAuth, AwsError> {
        let l = self.one_listener(listener)?;
        Ok(match l.mutual_authentication() {
            None => super::MutualAuth::off(),
            Some(m) => super::MutualAuth {
                mode: super::MutualAuthMode::parse(m.mode().unwrap_or("off")),
                trust_store_arn: m.trust_store_arn().map(str::to_string),
                ignore_client_certificate_expiry: m.ignore_client_certificate_expiry(),
                advertise_ca_names: m
                    .advertise_trust_store_ca_names()
                    .map(|a| a.as_str().to_string()),
            },
        })
    }

    fn set_listener_mutual_auth(
        &self,
        listener: &str,
        auth: &super::MutualAuth,
    ) -> Result<(), AwsError> {
        use aws_sdk_elasticloadbalancingv2::types::{
            AdvertiseTrustStoreCaNamesEnum, MutualAuthenticationAttributes,
        };
        let attrs = MutualAuthenticationAttributes::builder()
            .mode(auth.mode.as_str())
            .set_trust_store_arn(auth.trust_store_arn.clone())
            .set_ignore_client_certificate_expiry(auth.ignore_client_certificate_expiry)
            .set_advertise_trust_store_ca_names(
                auth.advertise_ca_names
                    .as_deref()
                    .map(AdvertiseTrustStoreCaNamesEnum::from),
            )
            .build();
        self.send_write("elasticloadbalancing:ModifyListener", || {
            self.elb
                .modify_listener()
                .listener_arn(listener)
                .mutual_authentication(attrs.clone())
                .send()
        })?;
        Ok(())
    }
}

impl Sdk {
    /// GETs a URL AWS handed out (a pre-signed S3 URL), at most `max` bytes, within the
    /// command's deadline. https only, except behind --endpoint-url (an emulator).
    fn fetch_url(&self, action: &str, url: &str, max: usize) -> Result<Vec<u8>, AwsError> {
        use aws_smithy_runtime_api::client::http::HttpConnector;
        let plain_ok = self.custom_endpoint && url.starts_with("http://");
        if !url.starts_with("https://") && !plain_ok {
            return Err(AwsError::Rejected {
                action: action.into(),
                code: "BadLocation".into(),
                message: "the bundle's location is not an https URL".into(),
            });
        }
        let bad = |e: String| AwsError::Transport {
            action: action.into(),
            cause: "the bundle's URL could not be read".into(),
            detail: e,
        };
        let mut req = aws_sdk_elasticloadbalancingv2::config::http::HttpRequest::new(
            aws_sdk_s3::primitives::SdkBody::empty(),
        );
        req.set_uri(url).map_err(|e| bad(e.to_string()))?;
        let read = async {
            let resp = self
                .fetcher
                .call(req)
                .await
                .map_err(|e| bad(format!("{e:?}")))?;
            let status = resp.status().as_u16();
            if status != 200 {
                return Err(AwsError::Rejected {
                    action: action.into(),
                    code: format!("HTTP {status}"),
                    message: "the bundle's URL did not answer with the bundle".into(),
                });
            }
            let mut body = aws_sdk_s3::primitives::ByteStream::new(resp.into_body());
            bounded(action, &mut body, max).await
        };
        within(&self.rt, &self.deadline, read).unwrap_or_else(|| {
            Err(AwsError::Deadline {
                action: action.into(),
                in_flight: true,
            })
        })
    }

    /// An S3 object's body, at most `max` bytes, within the command's deadline.
    fn read_body(
        &self,
        action: &str,
        mut body: aws_sdk_s3::primitives::ByteStream,
        max: usize,
    ) -> Result<Vec<u8>, AwsError> {
        within(&self.rt, &self.deadline, bounded(action, &mut body, max)).unwrap_or_else(|| {
            Err(AwsError::Deadline {
                action: action.into(),
                in_flight: true,
            })
        })
    }
}

/// A body read to its end, refused past `max` bytes.
async fn bounded(
    action: &str,
    body: &mut aws_sdk_s3::primitives::ByteStream,
    max: usize,
) -> Result<Vec<u8>, AwsError> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AwsError::Transport {
            action: action.into(),
            cause: "the connection was dropped before the answer was complete".into(),
            detail: e.to_string(),
        })?;
        if out.len() + chunk.len() > max {
            return Err(AwsError::Rejected {
                action: action.into(),
                code: "TooLarge".into(),
                message: format!("more than {max} bytes; not read"),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

impl super::Objects for Sdk {
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        bytes: &[u8],
    ) -> Result<Option<String>, AwsError> {
        use aws_sdk_s3::primitives::ByteStream;
        // The same bytes at the same key: writing them again changes nothing but the version.
        let resp = self.send_write("s3:PutObject", || {
            self.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/x-pem-file")
                .body(ByteStream::from(bytes.to_vec()))
                .send()
        })?;
        Ok(resp.version_id().map(str::to_string))
    }

    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        max: usize,
    ) -> Result<super::S3Object, AwsError> {
        let action = if version.is_some() {
            "s3:GetObjectVersion"
        } else {
            "s3:GetObject"
        };
        let resp = self.send(
            action,
            self.s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .set_version_id(version.map(str::to_string))
                .send(),
        )?;
        if resp.content_length().is_some_and(|n| n > max as i64) {
            return Err(AwsError::Rejected {
                action: action.into(),
                code: "TooLarge".into(),
                message: format!("s3://{bucket}/{key} is more than {max} bytes; not read"),
            });
        }
        let version = resp.version_id().map(str::to_string);
        let bytes = self.read_body(action, resp.body, max)?;
        Ok(super::S3Object { bytes, version })
    }

    fn bucket_versioning(&self, bucket: &str) -> Result<super::BucketVersioning, AwsError> {
        let resp = self.send(
            "s3:GetBucketVersioning",
            self.s3.get_bucket_versioning().bucket(bucket).send(),
        )?;
        Ok(resp
            .status()
            .map(|s| super::BucketVersioning::parse(s.as_str()))
            .unwrap_or_default())
    }
}

fn generated_cert(c: &aws_sdk_apigateway::types::ClientCertificate) -> super::GeneratedClientCert {
    super::GeneratedClientCert {
        id: c.client_certificate_id().unwrap_or_default().to_string(),
        description: c.description().map(str::to_string),
        pem: c.pem_encoded_certificate().unwrap_or_default().to_string(),
        created: c.created_date().map(|d| d.secs()),
        expires: c.expiration_date().map(|d| d.secs()),
    }
}

impl super::Stages for Sdk {
    fn stage(&self, rest_api_id: &str, stage: &str) -> Result<super::StageInfo, AwsError> {
        let resp = self.get_stage(rest_api_id, stage)?;
        Ok(super::StageInfo {
            rest_api_id: rest_api_id.to_string(),
            stage: resp.stage_name().unwrap_or(stage).to_string(),
            client_certificate_id: resp.client_certificate_id().map(str::to_string),
            deployment_id: resp.deployment_id().map(str::to_string),
        })
    }

    fn set_stage_client_certificate(
        &self,
        rest_api_id: &str,
        stage: &str,
        id_or_arn: Option<&str>,
    ) -> Result<super::StageInfo, AwsError> {
        use aws_sdk_apigateway::types::{Op, PatchOperation};
        let op = match id_or_arn {
            Some(v) => PatchOperation::builder()
                .op(Op::Replace)
                .path("/clientCertificateId")
                .value(v)
                .build(),
            None => PatchOperation::builder()
                .op(Op::Remove)
                .path("/clientCertificateId")
                .build(),
        };
        // Setting the same value again changes nothing: idempotent.
        let resp = self.send_write("apigateway:UpdateStage", || {
            self.apigw
                .update_stage()
                .rest_api_id(rest_api_id)
                .stage_name(stage)
                .patch_operations(op.clone())
                .send()
        })?;
        Ok(super::StageInfo {
            rest_api_id: rest_api_id.to_string(),
            stage: resp.stage_name().unwrap_or(stage).to_string(),
            client_certificate_id: resp.client_certificate_id().map(str::to_string),
            deployment_id: resp.deployment_id().map(str::to_string),
        })
    }

    fn client_certificate(&self, id: &str) -> Result<super::GeneratedClientCert, AwsError> {
        let resp = self.send(
            "apigateway:GetClientCertificate",
            self.apigw
                .get_client_certificate()
                .client_certificate_id(id)
                .send(),
        )?;
        Ok(super::GeneratedClientCert {
            id: resp.client_certificate_id().unwrap_or(id).to_string(),
            description: resp.description().map(str::to_string),
            pem: resp
                .pem_encoded_certificate()
                .unwrap_or_default()
                .to_string(),
            created: resp.created_date().map(|d| d.secs()),
            expires: resp.expiration_date().map(|d| d.secs()),
        })
    }

    fn client_certificates(&self) -> Result<Vec<super::GeneratedClientCert>, AwsError> {
        paginate(|position| {
            let resp = self.send(
                "apigateway:GetClientCertificates",
                self.apigw
                    .get_client_certificates()
                    .set_position(position)
                    .limit(500)
                    .send(),
            )?;
            let out = resp.items().iter().map(generated_cert).collect();
            Ok((out, resp.position().map(str::to_string)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_follows_tokens_and_stops_on_a_repeated_one() {
        // Three pages, then the end.
        let pages = |t: Option<String>| -> Result<(Vec<u32>, Option<String>), AwsError> {
            Ok(match t.as_deref() {
                None => (vec![1, 2], Some("a".into())),
                Some("a") => (vec![3], Some("b".into())),
                _ => (vec![4], None),
            })
        };
        assert_eq!(paginate(pages).unwrap(), vec![1, 2, 3, 4]);
        // A server that hands the same token back: an error, not a loop.
        let stuck = |_: Option<String>| -> Result<(Vec<u32>, Option<String>), AwsError> {
            Ok((vec![1], Some("same".into())))
        };
        let e = paginate(stuck).unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
    }
}
