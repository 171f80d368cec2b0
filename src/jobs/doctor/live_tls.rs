//! The live-tls hop: the chain actually served for SNI = hostname, judged like `check`.

use super::*;

pub(super) fn check(w: &mut Walk) -> Result<Hop, DoctorError> {
    let (req, progress, host) = (w.req, w.progress, w.host.as_str());
    // 4. Live TLS: what is actually served for SNI = hostname.
    let mut h = HopBuilder::new("live-tls", progress);
    if !req.live {
        h.skipped = true;
        h.summary = "not checked (--no-live)".into();
    } else {
        let target = format!("https://{host}");
        let step = format!("tls: live fetch of {host}");
        let creq = CheckRequest {
            target: target.clone(),
            chain: Vec::new(),
            trust_store: req.trust_store.clone(),
            hostname: Some(host.to_string()),
            connect_to: req.connect_to.clone(),
            timeout: req.fetch_timeout(&step)?,
            min_days: Some(req.min_days),
            policy: None,
            fix_chain: None,
            at: req.at,
            fetched_pem: None,
        };
        match check::run(&creq) {
            Ok(r) => {
                h.summary = format!(
                    "{} serves {} certificate(s): {}",
                    r.address.as_deref().unwrap_or(&target),
                    r.presented,
                    r.verdict
                );
                for f in r
                    .findings
                    .into_iter()
                    .filter(|f| f.severity >= Severity::Warn)
                {
                    h.findings.push(f);
                }
            }
            Err(_) if req.cut(&step).is_some() => {
                return Err(DoctorError::Deadline { step });
            }
            Err(e)
                if crate::jobs::JobError::exit_code(&e) == crate::exit::ExitStatus::Operational =>
            {
                h.skipped = true;
                h.summary = format!("not reachable from here ({e})");
            }
            Err(e) => h.fail(DoctorCode::LiveTlsError, e.to_string(), ""),
        }
    }

    Ok(h.done())
}
