//! Waiting on ACM: polling for the validation records and for issuance, with backoff, never
//! past the command's deadline; transient AWS errors are polled again.

use super::*;

/// Backoff towards a deadline on a [`Waiter`]: the one pacing both waits. Every pause is at
/// least 50 ms of the waiter's time and never past the deadline, so a wait loop that sleeps
/// once per round is bounded.
pub(super) struct Backoff<'w> {
    w: &'w dyn Waiter,
    delay: Duration,
    max: Duration,
    factor: f64,
    /// The deadline, in the waiter's seconds.
    until: f64,
}

impl<'w> Backoff<'w> {
    pub(super) fn new(
        w: &'w dyn Waiter,
        first: Duration,
        max: Duration,
        factor: f64,
        until: f64,
    ) -> Self {
        Backoff {
            w,
            delay: first,
            max,
            factor,
            until,
        }
    }

    /// Sleeps the next delay; false (without sleeping) once the deadline has passed.
    pub(super) fn sleep(&mut self) -> bool {
        let left = self.until - self.w.elapsed();
        if left <= 0.0 {
            return false;
        }
        let pause = self.delay.min(Duration::from_secs_f64(left));
        self.w.sleep(pause.max(Duration::from_millis(50)));
        self.delay = self.delay.mul_f64(self.factor).min(self.max);
        true
    }
}

/// Worth polling again: throttling, 5xx, timeouts, dropped connections, or a call cut by the
/// deadline (the wait then ends on its own).
fn poll_again(e: &AwsError) -> bool {
    e.is_transient() || matches!(e, AwsError::Deadline { .. } | AwsError::GaveUp { .. })
}

/// Polls DescribeCertificate until every validation record is published, the certificate
/// leaves PENDING_VALIDATION, `records_timeout` passes or the deadline does. Throttling, 5xx,
/// timeouts and dropped connections are polled again with backoff; the last good answer wins.
pub(super) fn poll_records(
    acm: &dyn Acm,
    arn: &str,
    p: &Polling,
    w: &dyn Waiter,
    deadline: f64,
) -> Result<CertDetail, AcmError> {
    let until = (w.elapsed() + p.records_timeout.as_secs_f64()).min(deadline);
    let mut backoff = Backoff::new(
        w,
        Duration::from_millis(500).min(p.first),
        p.max,
        2.0,
        until,
    );
    let mut last: Option<CertDetail> = None;
    loop {
        match acm.describe_certificate(arn) {
            Ok(d) => {
                let complete =
                    !d.validations.is_empty() && d.validations.iter().all(|v| v.record.is_some());
                if complete || d.status != crate::aws::CertStatus::PendingValidation {
                    return Ok(d);
                }
                last = Some(d);
            }
            Err(e) if poll_again(&e) => {}
            Err(e) => return Err(e.into()),
        }
        if !backoff.sleep() {
            return match last {
                Some(d) => Ok(d),
                None => acm.describe_certificate(arn).map_err(AcmError::from),
            };
        }
    }
}

/// Polls until the certificate leaves PENDING_VALIDATION or the deadline passes; then the
/// `acm-validation-pending` finding. Only errors that are not transient end the wait early.
pub(super) fn wait_issued(
    acm: &dyn Acm,
    mut detail: CertDetail,
    names: &[String],
    polling: &Polling,
    waiter: &dyn Waiter,
    progress: &dyn Progress,
    deadline: f64,
) -> Result<(CertDetail, Option<Finding>), AcmError> {
    let start = waiter.elapsed();
    let mut backoff = Backoff::new(waiter, polling.first, polling.max, 1.5, deadline);
    let mut last_error: Option<AwsError> = None;
    progress.begin(&format!("waiting for ACM to validate {}", names.join(", ")));
    let mut pending = None;
    loop {
        let states: Vec<String> = detail
            .validations
            .iter()
            .map(|v| format!("{}={}", v.domain, v.status.as_deref().unwrap_or("?")))
            .collect();
        progress.update(&format!("{} {}", detail.status, states.join(" ")));
        if detail.status != crate::aws::CertStatus::PendingValidation {
            break;
        }
        if !backoff.sleep() {
            pending = Some(Finding {
                code: AcmCode::AcmValidationPending.into(),
                severity: Severity::Deny,
                message: format!(
                    "still PENDING_VALIDATION after {} s{}",
                    (waiter.elapsed() - start) as u64,
                    last_error
                        .as_ref()
                        .map(|e| format!(" (last poll: {e})"))
                        .unwrap_or_default()
                ),
                hint: Some("check that the CNAMEs are in the public zone (`certctl acm records`); validation can take up to 30 minutes; run again with --wait to go on waiting".into()),
                certificate: None,
            });
            break;
        }
        match acm.describe_certificate(&detail.arn) {
            Ok(d) => {
                detail = d;
                last_error = None;
            }
            Err(e) if poll_again(&e) => {
                progress.update(&format!("poll failed, trying again: {e}"));
                last_error = Some(e);
            }
            Err(e) => {
                progress.end("failed");
                return Err(e.into());
            }
        }
    }
    progress.end(detail.status.as_str());
    Ok((detail, pending))
}
