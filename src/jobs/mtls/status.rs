//! `mtls status`: what is live on the path, judged (read-only): the listener's mutual
//! authentication and its trust store, and the stage's client certificate against it.

use serde::Serialize;

use super::judge::{self, Judgement, MtlsCode, MtlsFinding};
use super::MtlsError;
use crate::aws::{Aws, MutualAuthMode, TrustStore, TrustStoreStatus};
use crate::exit::ExitStatus;
use crate::findings::Severity;

#[derive(Debug, Clone)]
pub(crate) struct StatusRequest {
    pub(crate) rest_api_id: String,
    pub(crate) stage: String,
    pub(crate) listener: String,
    pub(crate) min_days: u32,
    pub(crate) at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusReport {
    pub(crate) schema_version: u32,
    pub(crate) at: String,
    pub(crate) rest_api_id: String,
    pub(crate) stage: String,
    pub(crate) listener: String,
    /// `off`, `verify` or `passthrough`.
    pub(crate) mode: String,
    pub(crate) trust_store: Option<TrustStore>,
    /// The stage's client certificate against the trust store.
    pub(crate) judgement: Judgement,
}

impl StatusReport {
    /// Every finding: the listener's, then the judgement's.
    pub(crate) fn worst(&self) -> Option<Severity> {
        self.judgement.findings.iter().map(|f| f.severity).max()
    }

    pub(crate) fn exit_code(&self) -> ExitStatus {
        ExitStatus::check_failed_if(self.worst() == Some(Severity::Deny))
    }
}

/// Reads the listener, its trust store and the stage, and judges them.
pub(crate) fn status(aws: Aws<'_>, req: &StatusRequest) -> Result<StatusReport, MtlsError> {
    let mutual = aws.trust.listener_mutual_auth(&req.listener)?;
    let (j, store) = judge_listener(
        aws,
        &mutual,
        &req.rest_api_id,
        &req.stage,
        req.at,
        req.min_days,
    )?;
    Ok(StatusReport {
        schema_version: 1,
        at: crate::x509::rfc3339(req.at),
        rest_api_id: req.rest_api_id.clone(),
        stage: req.stage.clone(),
        listener: req.listener.clone(),
        mode: mutual.mode.to_string(),
        trust_store: store,
        judgement: j,
    })
}

/// The judgement for a listener's mutual authentication (status and doctor's mtls hop): its
/// mode and trust store as findings first, then [`judge::look`] against the live bundle.
pub(crate) fn judge_listener(
    aws: Aws<'_>,
    mutual: &crate::aws::MutualAuth,
    rest_api_id: &str,
    stage: &str,
    at: i64,
    min_days: u32,
) -> Result<(Judgement, Option<TrustStore>), crate::aws::AwsError> {
    let mut first = Vec::new();
    match &mutual.mode {
        MutualAuthMode::Verify => {}
        MutualAuthMode::Passthrough => first.push(MtlsFinding::new(MtlsCode::ListenerPassthrough, "the listener is in passthrough mode: the ALB forwards the client certificate in headers and nothing verifies it".into())),
        _ => first.push(MtlsFinding::new(MtlsCode::ListenerOff, format!("the listener's mutual authentication is {}: any client that reaches the ALB is served", mutual.mode))),
    }
    let mut store = None;
    if let Some(arn) = &mutual.trust_store_arn {
        match aws.trust.trust_store(arn) {
            Ok(t) => {
                if t.status != TrustStoreStatus::Active {
                    first.push(MtlsFinding::new(
                        MtlsCode::TrustStoreNotActive,
                        format!("trust store {} is {}", t.name, t.status),
                    ));
                }
                store = Some(t);
            }
            Err(crate::aws::AwsError::NotFound { .. }) => first.push(MtlsFinding::new(
                MtlsCode::TrustStoreMissing,
                format!("the listener's trust store {arn} does not exist"),
            )),
            Err(e) => return Err(e),
        }
    }
    let arn = store.as_ref().map(|t| t.arn.as_str());
    let mut j = judge::look(aws, rest_api_id, stage, arn, at, min_days)?;
    first.append(&mut j.findings);
    j.findings = first;
    Ok((j, store))
}
