//! The mtls hop: when the ALB's HTTPS listener has mutual authentication, whether API
//! Gateway's stage presents a client certificate the listener's trust store admits (the same
//! judgement as `mtls status`); passthrough named as a warning, off as not configured.

use super::*;
use crate::aws::MutualAuthMode;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let mut h = HopBuilder::new("mtls", w.progress);
    let Some(listener) = &w.https_listener else {
        h.skipped = true;
        h.summary = "no HTTPS listener to look at (see the alb hop)".into();
        return Ok(h.done());
    };
    let mutual = w.aws.trust.listener_mutual_auth(&listener.arn)?;
    if mutual.mode == MutualAuthMode::Off || mutual.mode.as_str().is_empty() {
        h.skipped = true;
        h.summary = "not configured: the ALB's HTTPS listener has no mutual authentication".into();
        return Ok(h.done());
    }
    let (Some(api), Some(stage)) = (&w.req.rest_api_id, &w.req.stage) else {
        h.skipped = true;
        h.summary = format!(
            "the listener's mutual authentication is {}; pass --rest-api-id and --stage to judge the stage's client certificate",
            mutual.mode
        );
        if mutual.mode == MutualAuthMode::Passthrough {
            h.warn(
                crate::findings::MtlsCode::ListenerPassthrough,
                "the listener is in passthrough mode: nothing verifies the client certificate"
                    .into(),
                "`certctl mtls apply` switches to verify mode safely",
            );
        }
        return Ok(h.done());
    };
    let (j, store) =
        crate::jobs::mtls::judge_listener(w.aws, &mutual, api, stage, w.req.at, w.req.min_days)?;
    h.findings.extend(j.findings.iter().map(|f| f.finding()));
    h.summary = format!(
        "{} with {}; stage {stage} presents {} ({})",
        mutual.mode,
        store
            .as_ref()
            .map(|t| t.name.as_str())
            .unwrap_or("no trust store"),
        j.client_certificate_id
            .as_deref()
            .unwrap_or("no client certificate"),
        j.tls_verify_status.unwrap_or("not verified"),
    );
    Ok(h.done())
}
