//! Waiting on ACM: polling for the validation records and for issuance, with backoff, never
//! past the command's deadline; transient AWS errors are polled again.

use super::*;

/// The next pause of a wait: the backoff delay, never past the deadline (`left` seconds).
pub(super) fn pause(delay: Duration, left: f64) -> Duration {
    delay.min(Duration::from_secs_f64(left.max(0.0)))
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
    let start = w.elapsed();
    let until = (start + p.records_timeout.as_secs_f64()).min(deadline);
    let mut delay = Duration::from_millis(500).min(p.first);
    let mut last: Option<CertDetail> = None;
    // Bounded: every round sleeps at least 50 ms of the waiter's time (or ends).
    loop {
        match acm.describe_certificate(arn) {
            Ok(d) => {
                let complete =
                    !d.validations.is_empty() && d.validations.iter().all(|v| v.record.is_some());
                if complete || d.status != "PENDING_VALIDATION" {
                    return Ok(d);
                }
                last = Some(d);
            }
            Err(e) if e.is_transient() || matches!(e, AwsError::Deadline { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let left = until - w.elapsed();
        if left <= 0.0 {
            return match last {
                Some(d) => Ok(d),
                None => acm.describe_certificate(arn).map_err(AcmError::from),
            };
        }
        w.sleep(pause(delay, left).max(Duration::from_millis(50)));
        delay = (delay * 2).min(p.max);
    }
}
