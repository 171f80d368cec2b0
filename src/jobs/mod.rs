//! One module per command group; each returns a report value and never prints.

pub mod acm;
pub mod audit;
pub mod check;
pub mod doctor;
pub mod doctor_metrics;
pub mod input;
pub mod inspect;
pub mod man;
pub mod onprem;
pub mod policy;
pub mod skipverify;
pub mod truststore;

use crate::exit::ExitStatus;

/// What the top level needs from a job's error: the exit code it maps to (2 input, 3
/// operational) and, when there is one, a hint for the `hint:` line.
pub trait JobError: std::error::Error + Send + Sync + 'static {
    fn exit_code(&self) -> ExitStatus;
    fn hint(&self) -> Option<String> {
        None
    }
    /// What the job had already changed when it failed (a new certificate, records written).
    fn changes(&self) -> Vec<Change> {
        Vec::new()
    }
}

/// One change a job made before it failed: its kind (`acm-certificate`,
/// `route53-records`, `listener-certificate`, …) and the id of what was changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub kind: &'static str,
    pub id: String,
}
