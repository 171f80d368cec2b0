//! Prometheus text exposition (the node_exporter textfile collector's format): metric families
//! with HELP and TYPE written once, every sample of a family together, label values escaped.

use std::path::Path;

use crate::fsx::{self, FsError};

/// Escapes a label value (backslash, double quote, newline).
pub(crate) fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Escapes a HELP text (backslash, newline).
fn help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A job that writes a `--metrics` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Job {
    Doctor,
    AcmAudit,
    Scan,
}

impl Job {
    /// Its last-run and success gauge names.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Job::Doctor => (
                "certctl_doctor_last_run_timestamp_seconds",
                "certctl_doctor_success",
            ),
            Job::AcmAudit => (
                "certctl_acm_audit_last_run_timestamp_seconds",
                "certctl_acm_audit_success",
            ),
            Job::Scan => (
                "certctl_scan_last_run_timestamp_seconds",
                "certctl_scan_success",
            ),
        }
    }
}

/// A textfile being built: one [`Textfile::gauge`] per family, then its samples.
#[derive(Debug, Default)]
pub(crate) struct Textfile {
    out: String,
    current: Option<&'static str>,
    seen: Vec<&'static str>,
}

impl Textfile {
    pub(crate) fn new() -> Textfile {
        Textfile::default()
    }

    /// Starts a gauge family; a family started twice only gets its samples appended once more
    /// when it is still the current one (the format wants a family's samples together).
    pub(crate) fn gauge(&mut self, name: &'static str, help_text: &str) -> &mut Textfile {
        if self.current == Some(name) {
            return self;
        }
        debug_assert!(!self.seen.contains(&name), "family {name} started twice");
        self.out.push_str(&format!(
            "# HELP {name} {}\n# TYPE {name} gauge\n",
            help(help_text)
        ));
        self.current = Some(name);
        self.seen.push(name);
        self
    }

    /// The two gauges every `--metrics` file holds, whether the run could make its check or
    /// not: `certctl_<job>_last_run_timestamp_seconds` (when it ran, by the real clock, so a
    /// stale file is seen) and `certctl_<job>_success` (1 when it ran to a report, 0 when it
    /// could not look: exit 2 or 3).
    pub(crate) fn outcome(&mut self, job: Job, wall: i64, success: bool) -> &mut Textfile {
        let (last_run, ok) = job.names();
        self.gauge(
            last_run,
            "When the last run ended, by the real clock, as a Unix timestamp.",
        )
        .sample(&[], wall as f64);
        self.gauge(
            ok,
            "1 when the last run could make its check (a report, exit 0 or 1), 0 when it could not (exit 2 or 3).",
        )
        .sample(&[], f64::from(u8::from(success)));
        self
    }

    /// One sample of the current family.
    pub(crate) fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Textfile {
        let Some(name) = self.current else {
            return self;
        };
        self.out.push_str(name);
        if !labels.is_empty() {
            let body: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
                .collect();
            self.out.push_str(&format!("{{{}}}", body.join(",")));
        }
        let v = if value.is_finite() {
            format!("{value}")
        } else if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
        self.out.push_str(&format!(" {v}\n"));
        self
    }

    /// The text so far.
    pub(crate) fn as_str(&self) -> &str {
        &self.out
    }

    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.out
    }

    /// Writes the file atomically (temp, fsync, rename): the collector never reads half a file.
    pub(crate) fn write(&self, path: &Path) -> Result<(), FsError> {
        fsx::write_atomic(path, self.out.as_bytes(), 0o644)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_escaping() {
        let mut t = Textfile::new();
        t.gauge("a_total", "line\none")
            .sample(&[("x", "q\"b\\n\nz")], 1.0)
            .sample(&[], -2.5);
        t.gauge("b", "b").sample(&[("k", "v")], f64::NAN);
        assert_eq!(
            t.text(),
            "# HELP a_total line\\none\n# TYPE a_total gauge\na_total{x=\"q\\\"b\\\\n\\nz\"} 1\na_total -2.5\n# HELP b b\n# TYPE b gauge\nb{k=\"v\"} NaN\n"
        );
    }

    #[test]
    fn whole_numbers_have_no_fraction() {
        let mut t = Textfile::new();
        t.gauge("t", "t").sample(&[], 1_790_000_000.0);
        assert!(t.text().ends_with("t 1790000000\n"), "{}", t.text());
    }
}
