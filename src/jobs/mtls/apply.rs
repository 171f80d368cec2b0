//! `mtls plan` and `mtls apply`: everything is read and the client certificate verified against
//! the new bundle before the first write; then import → upload → trust store (ACTIVE) → stage →
//! the gate on what is live → listener in verify mode. Each step skips what is already so, and
//! a failure stops the run with what was done and what was not.

use std::time::Duration;

use super::inputs::{self, ClientSet};
use super::*;
use crate::albtrust::{self, AlbBundle, PathCert};
use crate::aws::{
    Aws, BucketVersioning, CertStatus, MutualAuth, MutualAuthMode, Protocol, S3Location,
    TrustStore, TrustStoreStatus,
};
use crate::jobs::acm::{ImportRequest, Waiter};
use crate::jobs::JobError;
use crate::x509::CertInfo;

/// What a plan shows where an ARN does not exist yet.
const NEW_CERT: &str = "<ARN of the imported certificate>";
const NEW_STORE: &str = "<ARN of the new trust store>";
const NEW_VERSION: &str = "<new version>";

/// Everything read before the first write.
struct Live {
    store: Option<TrustStore>,
    store_same: bool,
    object: Option<crate::aws::S3Object>,
    versioned: bool,
    stage_cert: Option<String>,
    mutual: MutualAuth,
    /// The client certificate's ARN (None: a plan's import has not made it).
    arn: Option<String>,
    import_calls: Vec<String>,
}

/// The local inputs.
struct Local {
    pem: String,
    bundle: AlbBundle,
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    set: Option<ClientSet>,
}

/// Plans or applies (`req.apply`). Bad input and failed reads are errors; a refusal, and a
/// failed write with what was done before it, are the report.
pub(crate) fn run(
    aws: Aws<'_>,
    req: &MtlsRequest,
    waiter: &dyn Waiter,
) -> Result<MtlsReport, MtlsError> {
    let listener = aws.elb.describe_listener(&req.listener)?;
    if listener.protocol != Protocol::Https {
        return Err(MtlsError::NotHttps {
            arn: req.listener.clone(),
            protocol: listener.protocol.to_string(),
        });
    }
    let name = match &req.trust_store_name {
        Some(n) if inputs::valid_trust_store_name(n) => n.clone(),
        Some(n) => return Err(MtlsError::BadTrustStoreName(n.clone())),
        None => default_trust_store_name(&listener.arn, listener.port),
    };
    let local = read_local(aws, req)?;
    let mut report = new_report(req, &name, &local)?;
    let (_, lint) = albtrust::lint(local.pem.as_bytes(), req.at);
    report
        .warnings
        .extend(lint.iter().map(|f| f.message.clone()));
    let gate = gate_report(&local.chain, &local.bundle, req.at, "before-writes");
    let bundle_refused = lint
        .iter()
        .any(|f| f.severity == crate::findings::Severity::Deny);
    let refused = !gate.accepted || bundle_refused;
    report.gate = Some(gate);
    if refused {
        finish(&mut report, "refused before any write: the ALB would not admit the client certificate with this bundle");
        return Ok(report);
    }
    let live = read_live(aws, req, &name, &local)?;
    if let (Some(other), false) = (other_store(&live, &name), req.replace_trust_store) {
        report.steps.push(Step {
            step: StepName::Listener,
            status: StepStatus::Refused,
            calls: Vec::new(),
            detail: Some(format!("the listener already verifies clients with trust store {other}; certctl changes it only with --replace-trust-store")),
        });
        finish(&mut report, "refused before any write");
        return Ok(report);
    }
    if let Some(refusal) = transition_refusal(aws, req, &live, &local)? {
        report.steps.push(Step {
            step: StepName::TrustStore,
            status: StepStatus::Refused,
            calls: Vec::new(),
            detail: Some(refusal),
        });
        finish(&mut report, "refused before any write");
        return Ok(report);
    }
    if !live.versioned {
        report.warnings.push(format!("s3://{} is not versioned: the trust store cannot be pinned to a version, and an earlier bundle cannot be restored from S3 (enable versioning on the bucket)", req.bundle.bucket));
    }
    let mut run = Runner {
        aws,
        req,
        waiter,
        report,
        live,
        local,
    };
    if let Err((step, e)) = run.steps() {
        let causes = std::iter::successors(std::error::Error::source(&e), |c| c.source())
            .map(ToString::to_string)
            .collect();
        run.report.steps.push(Step {
            step,
            status: StepStatus::Failed,
            calls: Vec::new(),
            detail: None,
        });
        run.report.failure = Some(StepError {
            step,
            message: e.to_string(),
            causes,
            hint: Some(match e.hint() {
                Some(h) => format!("{h}; running the same command again is safe: it continues where this run stopped"),
                None => "running the same command again is safe: it continues where this run stopped".into(),
            }),
            exit: e.exit_code(),
        });
    }
    let mut report = run.report;
    finish(&mut report, "an earlier step did not complete");
    Ok(report)
}

/// The trust store a listener in verify mode uses, when it is not the one named `name`.
fn other_store(live: &Live, name: &str) -> Option<String> {
    let ours = live
        .store
        .as_ref()
        .filter(|t| t.name == name)
        .map(|t| t.arn.as_str());
    match (&live.mutual.mode, live.mutual.trust_store_arn.as_deref()) {
        (MutualAuthMode::Verify, Some(a)) if Some(a) != ours => Some(a.to_string()),
        _ => None,
    }
}

/// Why changing the trust store now would lock API Gateway out, if it would: the listener
/// already verifies with the store `apply` is about to modify, and the new bundle does not
/// admit the certificate the stage presents until the stage step switches it. Between the two
/// steps every request would fail the handshake, so nothing is written.
fn transition_refusal(
    aws: Aws<'_>,
    req: &MtlsRequest,
    live: &Live,
    local: &Local,
) -> Result<Option<String>, MtlsError> {
    let Some(store) = live.store.as_ref().filter(|_| !live.store_same) else {
        return Ok(None);
    };
    let verifying = live.mutual.mode == MutualAuthMode::Verify
        && live.mutual.trust_store_arn.as_deref() == Some(store.arn.as_str());
    let Some(current) = live.stage_cert.as_deref().filter(|_| verifying) else {
        return Ok(None);
    };
    if live.arn.as_deref() == Some(current) {
        // The stage already presents the new certificate, which the new bundle admits.
        return Ok(None);
    }
    let cert = judge::read_stage_cert(aws, current)?;
    let verdict = gate_report(&cert.chain, &local.bundle, req.at, "transition");
    if verdict.accepted {
        return Ok(None);
    }
    Ok(Some(format!(
        "the listener verifies clients with {} and the stage presents {current}, which the new bundle does not admit ({}): changing the trust store first would refuse API Gateway until the stage switches; keep the CA that issued the stage's certificate in --ca for this run, and drop it once the stage presents the new certificate",
        store.name, verdict.tls_verify_status
    )))
}

/// Every step not in the report yet, as not reached; `nothing_to_do` when none changes.
fn finish(report: &mut MtlsReport, why: &str) {
    let mut all = vec![
        StepName::Upload,
        StepName::TrustStore,
        StepName::WaitActive,
        StepName::Stage,
        StepName::Listener,
    ];
    if report.client.source == "client-set" {
        all.insert(0, StepName::Import);
    }
    for s in all {
        if !report.steps.iter().any(|x| x.step == s) {
            report.steps.push(Step {
                step: s,
                status: StepStatus::NotReached,
                calls: Vec::new(),
                detail: Some(why.to_string()),
            });
        }
    }
    report.steps.sort_by_key(|s| s.step as u8);
    report.nothing_to_do = report
        .steps
        .iter()
        .all(|s| s.status == StepStatus::Unchanged);
}

fn read_local(aws: Aws<'_>, req: &MtlsRequest) -> Result<Local, MtlsError> {
    let (chain, set, inputs) = match &req.client {
        ClientSource::Set(dir) => {
            let set = inputs::read_client_set(dir)?;
            let cas = if req.cas.is_empty() {
                inputs::root_of(&set, dir)?
            } else {
                inputs::read_cas(&req.cas)?
            };
            (set.ders.clone(), Some(set), cas)
        }
        ClientSource::Arn(arn) => {
            if req.cas.is_empty() {
                return Err(MtlsError::NeedCa);
            }
            let cas = inputs::read_cas(&req.cas)?;
            let d = aws.acm.describe_certificate(arn)?;
            if d.status != CertStatus::Issued {
                return Err(MtlsError::NotIssued {
                    arn: arn.clone(),
                    status: d.status.to_string(),
                });
            }
            let (cert, chain) = aws.acm.get_certificate(arn)?;
            let pem = format!("{cert}\n{}", chain.unwrap_or_default());
            let ders = crate::pem::decode_certificates(pem.as_bytes())
                .map_err(|e| MtlsError::BadCertificate(format!("{arn}: {e}")))?;
            (ders, None, cas)
        }
    };
    if chain.is_empty() {
        return Err(MtlsError::BadCertificate("no certificate".into()));
    }
    let built = albtrust::build_bundle(&inputs, req.at)?;
    Ok(Local {
        bundle: AlbBundle::of(built.certificates),
        pem: built.pem,
        chain,
        set,
    })
}

fn new_report(req: &MtlsRequest, name: &str, local: &Local) -> Result<MtlsReport, MtlsError> {
    let leaf =
        CertInfo::parse(&local.chain[0]).map_err(|e| MtlsError::BadCertificate(e.to_string()))?;
    Ok(MtlsReport {
        schema_version: 1,
        command: if req.apply { "apply" } else { "plan" },
        rest_api_id: req.rest_api_id.clone(),
        stage: req.stage.clone(),
        listener: req.listener.clone(),
        bundle: req.bundle.to_string(),
        bundle_version: None,
        trust_store_name: name.to_string(),
        trust_store_arn: None,
        client: ClientSummary {
            source: if local.set.is_some() {
                "client-set"
            } else {
                "acm"
            },
            arn: match &req.client {
                ClientSource::Arn(a) => Some(a.clone()),
                ClientSource::Set(_) => None,
            },
            subject: leaf.subject.clone(),
            sha256: leaf.sha256.colon_hex(),
            not_after: crate::x509::rfc3339(leaf.not_after),
        },
        ca_certificates: local
            .bundle
            .certificates
            .iter()
            .map(|c| PathCert {
                subject: c.info.subject.clone(),
                sha256: c.info.sha256.colon_hex(),
                not_after: crate::x509::rfc3339(c.info.not_after),
            })
            .collect(),
        gate: None,
        steps: Vec::new(),
        nothing_to_do: false,
        warnings: Vec::new(),
        failure: None,
    })
}

/// The ALB's verdict on `chain` against `bundle`.
pub(super) fn gate_report(
    chain: &[rustls_pki_types::CertificateDer<'_>],
    bundle: &AlbBundle,
    at: i64,
    checked: &'static str,
) -> GateReport {
    match albtrust::verify_client(chain, bundle, crate::trust::verify::unix(at)) {
        Ok(p) => GateReport {
            accepted: true,
            tls_verify_status: "Success",
            checked,
            depth: Some(p.depth),
            path: p.certificates,
            message: None,
            hint: None,
        },
        Err(r) => GateReport {
            accepted: false,
            tls_verify_status: r.log_code(),
            checked,
            depth: None,
            path: Vec::new(),
            message: Some(r.to_string()),
            hint: Some(r.hint().to_string()),
        },
    }
}

/// The SHA-256 fingerprints of a bundle's certificates, sorted.
fn fingerprints(pem: &[u8]) -> Vec<String> {
    let mut f: Vec<String> = crate::pem::decode_certificates(pem)
        .unwrap_or_default()
        .iter()
        .map(|d| crate::x509::Fingerprint::sha256(d).colon_hex())
        .collect();
    f.sort();
    f
}

fn read_live(
    aws: Aws<'_>,
    req: &MtlsRequest,
    name: &str,
    local: &Local,
) -> Result<Live, MtlsError> {
    let (arn, import_calls) = match (&req.client, &local.set) {
        (ClientSource::Arn(a), _) => (Some(a.clone()), Vec::new()),
        (ClientSource::Set(_), Some(set)) => {
            let r = crate::jobs::acm::import(aws.acm, &import_request(set, true), req.at)?;
            if r.action == "refused" {
                let findings = r
                    .findings
                    .iter()
                    .map(|f| format!("{}: {}", f.code.as_str(), f.message))
                    .collect();
                return Err(MtlsError::ImportRefused { findings });
            }
            (r.arn.filter(|_| r.action != "would-import"), r.calls)
        }
        (ClientSource::Set(_), None) => (None, Vec::new()),
    };
    let versioned = aws.s3.bucket_versioning(&req.bundle.bucket)? == BucketVersioning::Enabled;
    let object = match aws
        .s3
        .get_object(&req.bundle.bucket, &req.bundle.key, None, MAX_BUNDLE)
    {
        Ok(o) => Some(o),
        Err(crate::aws::AwsError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let store = aws
        .trust
        .trust_stores(&[], &[])?
        .into_iter()
        .find(|t| t.name == name);
    let store_same = match &store {
        Some(t) => {
            fingerprints(&aws.trust.trust_store_bundle(&t.arn, MAX_BUNDLE)?)
                == fingerprints(local.pem.as_bytes())
        }
        None => false,
    };
    let stage_cert = aws
        .stages
        .stage(&req.rest_api_id, &req.stage)?
        .client_certificate_id;
    let mutual = aws.trust.listener_mutual_auth(&req.listener)?;
    Ok(Live {
        store,
        store_same,
        object,
        versioned,
        stage_cert,
        mutual,
        arn,
        import_calls,
    })
}

fn import_request(set: &ClientSet, dry_run: bool) -> ImportRequest {
    ImportRequest {
        cert: set.cert.clone(),
        key: crate::aws::SecretPem::new(set.key.clone()),
        chain: Some(set.chain.clone()),
        arn: None,
        tags: Vec::new(),
        usage: crate::acm_import::ImportUse::Apigateway,
        dry_run,
    }
}

/// The write steps, in order.
struct Runner<'a> {
    aws: Aws<'a>,
    req: &'a MtlsRequest,
    waiter: &'a dyn Waiter,
    report: MtlsReport,
    live: Live,
    local: Local,
}

type StepResult = Result<(), (StepName, MtlsError)>;

impl Runner<'_> {
    /// Records a step: unchanged without calls, planned in a plan, done once `act` succeeded.
    fn record(&mut self, step: StepName, calls: Vec<String>, detail: Option<String>) -> StepStatus {
        let status = match (calls.is_empty(), self.req.apply) {
            (true, _) => StepStatus::Unchanged,
            (false, false) => StepStatus::Planned,
            (false, true) => StepStatus::Done,
        };
        self.report.steps.push(Step {
            step,
            status,
            calls,
            detail,
        });
        status
    }

    fn steps(&mut self) -> StepResult {
        self.import().map_err(|e| (StepName::Import, e))?;
        self.upload().map_err(|e| (StepName::Upload, e))?;
        let changed = self.trust_store().map_err(|e| (StepName::TrustStore, e))?;
        self.wait_active(changed)
            .map_err(|e| (StepName::WaitActive, e))?;
        self.stage().map_err(|e| (StepName::Stage, e))?;
        self.listener().map_err(|e| (StepName::Listener, e))
    }

    fn import(&mut self) -> Result<(), MtlsError> {
        let Some(set) = &self.local.set else {
            return Ok(());
        };
        if self.live.arn.is_some() {
            self.report.client.arn = self.live.arn.clone();
            self.record(
                StepName::Import,
                Vec::new(),
                Some("already in ACM (same fingerprint)".into()),
            );
            return Ok(());
        }
        if self.req.apply {
            let r =
                crate::jobs::acm::import(self.aws.acm, &import_request(set, false), self.req.at)?;
            self.live.arn = r.arn.clone();
            self.report.client.arn = r.arn;
        }
        let calls = std::mem::take(&mut self.live.import_calls);
        self.record(StepName::Import, calls, None);
        Ok(())
    }

    fn upload(&mut self) -> Result<(), MtlsError> {
        let (b, pem) = (&self.req.bundle, self.local.pem.as_bytes());
        if let Some(o) = self.live.object.as_ref().filter(|o| o.bytes == pem) {
            self.report.bundle_version = o.version.clone();
            self.record(
                StepName::Upload,
                Vec::new(),
                Some("the object already holds this bundle".into()),
            );
            return Ok(());
        }
        let call = format!(
            "s3:PutObject --bucket {} --key {} ({} bytes, sha256 {})",
            b.bucket,
            b.key,
            pem.len(),
            crate::x509::Fingerprint::sha256(pem).colon_hex()
        );
        if self.req.apply {
            self.report.bundle_version = self.aws.s3.put_object(&b.bucket, &b.key, pem)?;
        } else if self.live.versioned {
            self.report.bundle_version = Some(NEW_VERSION.into());
        }
        let detail = self
            .report
            .bundle_version
            .as_ref()
            .map(|v| format!("version {v}"));
        self.record(StepName::Upload, vec![call], detail);
        Ok(())
    }

    /// Creates or modifies the trust store; true when it did (or would).
    fn trust_store(&mut self) -> Result<bool, MtlsError> {
        let b = &self.req.bundle;
        let version = self.report.bundle_version.clone();
        let source = format!(
            "--ca-certificates-bundle-s3-bucket {} --ca-certificates-bundle-s3-key {}{}",
            b.bucket,
            b.key,
            version
                .as_ref()
                .map(|v| format!(" --ca-certificates-bundle-s3-object-version {v}"))
                .unwrap_or_default()
        );
        let loc = S3Location {
            bucket: b.bucket.clone(),
            key: b.key.clone(),
            version,
        };
        let name = self.report.trust_store_name.clone();
        let (call, arn) = match &self.live.store {
            Some(t) if self.live.store_same => {
                self.report.trust_store_arn = Some(t.arn.clone());
                self.record(
                    StepName::TrustStore,
                    Vec::new(),
                    Some("its bundle holds these CA certificates".into()),
                );
                return Ok(false);
            }
            Some(t) => {
                let call = format!(
                    "elasticloadbalancing:ModifyTrustStore --trust-store-arn {} {source}",
                    t.arn
                );
                let arn = if self.req.apply {
                    self.aws.trust.modify_trust_store(&t.arn, &loc)?.arn
                } else {
                    t.arn.clone()
                };
                (call, arn)
            }
            None => {
                let call = format!("elasticloadbalancing:CreateTrustStore --name {name} {source}");
                let arn = if self.req.apply {
                    self.aws.trust.create_trust_store(&name, &loc, &[])?.arn
                } else {
                    NEW_STORE.into()
                };
                (call, arn)
            }
        };
        self.report.trust_store_arn = Some(arn);
        self.record(StepName::TrustStore, vec![call], None);
        Ok(true)
    }

    fn wait_active(&mut self, changed: bool) -> Result<(), MtlsError> {
        let active = self
            .live
            .store
            .as_ref()
            .is_some_and(|t| t.status == TrustStoreStatus::Active);
        let arn = self.report.trust_store_arn.clone().unwrap_or_default();
        if !changed && active {
            self.record(StepName::WaitActive, Vec::new(), Some("ACTIVE".into()));
            return Ok(());
        }
        let call = format!(
            "elasticloadbalancing:DescribeTrustStores --trust-store-arns {arn} (until ACTIVE)"
        );
        let mut detail = None;
        if self.req.apply {
            let polls = wait_for_active(self.aws, &arn, self.req.deadline, self.waiter)?;
            detail = Some(format!("ACTIVE after {polls} describe(s)"));
        }
        self.record(StepName::WaitActive, vec![call], detail);
        Ok(())
    }

    fn stage(&mut self) -> Result<(), MtlsError> {
        let arn = self.live.arn.clone().unwrap_or_else(|| NEW_CERT.into());
        if self.live.stage_cert.as_deref() == Some(arn.as_str()) {
            self.record(
                StepName::Stage,
                Vec::new(),
                Some("the stage already presents it".into()),
            );
            return Ok(());
        }
        let call = format!(
            "apigateway:UpdateStage --rest-api-id {} --stage-name {} --patch-operations op=replace,path=/clientCertificateId,value={arn}",
            self.req.rest_api_id, self.req.stage
        );
        if self.req.apply {
            self.aws.stages.set_stage_client_certificate(
                &self.req.rest_api_id,
                &self.req.stage,
                Some(&arn),
            )?;
        }
        let was = self
            .live
            .stage_cert
            .as_deref()
            .map(|c| format!("it presented {c}"));
        self.record(StepName::Stage, vec![call], was);
        Ok(())
    }

    /// The gate on what is live, then the listener.
    fn listener(&mut self) -> Result<(), MtlsError> {
        let arn = self.report.trust_store_arn.clone().unwrap_or_default();
        let already = self.live.mutual.mode == MutualAuthMode::Verify
            && self.live.mutual.trust_store_arn.as_deref() == Some(arn.as_str());
        if self.req.apply {
            let gate = self.live_gate(&arn)?;
            let accepted = gate.accepted;
            self.report.gate = Some(gate);
            if !accepted && !already {
                self.report.steps.push(Step {
                    step: StepName::Listener,
                    status: StepStatus::Refused,
                    calls: Vec::new(),
                    detail: Some("the gate refused: the ALB would not admit the certificate the stage presents, so the listener stays as it is".into()),
                });
                return Ok(());
            }
        }
        if already {
            self.record(
                StepName::Listener,
                Vec::new(),
                Some("verify mode with this trust store".into()),
            );
            return Ok(());
        }
        let call = format!(
            "elasticloadbalancing:ModifyListener --listener-arn {} --mutual-authentication Mode=verify,TrustStoreArn={arn},IgnoreClientCertificateExpiry=false",
            self.req.listener
        );
        if self.req.apply {
            self.aws
                .trust
                .set_listener_mutual_auth(&self.req.listener, &MutualAuth::verify(&arn))?;
        }
        let was = format!("mode was {}", self.live.mutual.mode);
        self.record(StepName::Listener, vec![call], Some(was));
        Ok(())
    }

    /// Re-reads the stage's certificate and the trust store's live bundle and verifies.
    fn live_gate(&self, store: &str) -> Result<GateReport, MtlsError> {
        let id = self
            .aws
            .stages
            .stage(&self.req.rest_api_id, &self.req.stage)?
            .client_certificate_id;
        let chain = match id {
            Some(id) => judge::read_stage_cert(self.aws, &id)?.chain,
            None => Vec::new(),
        };
        let bytes = self.aws.trust.trust_store_bundle(store, MAX_BUNDLE)?;
        let (bundle, _) = albtrust::parse_bundle(&bytes);
        Ok(gate_report(&chain, &bundle, self.req.at, "live"))
    }
}

/// Polls the trust store until ACTIVE (backoff 0.5 s doubling to 10 s), within the deadline;
/// returns how many describes it took.
fn wait_for_active(
    aws: Aws<'_>,
    arn: &str,
    deadline: crate::deadline::Deadline,
    waiter: &dyn Waiter,
) -> Result<u32, MtlsError> {
    let mut pause = Duration::from_millis(500);
    let mut polls = 0u32;
    loop {
        polls += 1;
        if aws.trust.trust_store(arn)?.status == TrustStoreStatus::Active {
            return Ok(polls);
        }
        if deadline.remaining() <= pause {
            return Err(crate::aws::AwsError::Deadline {
                action: "elasticloadbalancing:DescribeTrustStores (waiting for the trust store to be ACTIVE)".into(),
                in_flight: false,
            }
            .into());
        }
        waiter.sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}
