//! How a command ended, as the exit-code table of every command defines it (0 done, 1 a check
//! failed, 2 bad input, 3 could not look); the binary turns it into the process's exit code.

/// How a command ended. The variants are ordered by weight, so the worst of several
/// outcomes is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ExitStatus {
    /// 0: done; every check passed (warnings allowed).
    #[default]
    Ok,
    /// 1: a check failed: a deny-level finding (untrusted, expired, expiring, hostname
    /// mismatch, a failed hook or verification, ACM validation failed or still pending).
    CheckFailed,
    /// 2: usage or input error: bad flag, bad config, unreadable or malformed certificate/key.
    BadInput,
    /// 3: operational error (AWS, network, I/O): the check could not be made.
    Operational,
}

impl ExitStatus {
    /// `CheckFailed` when a check failed, else `Ok`.
    pub(crate) fn check_failed_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::CheckFailed
        } else {
            ExitStatus::Ok
        }
    }

    /// The number of the exit-code table.
    fn number(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::CheckFailed => 1,
            ExitStatus::BadInput => 2,
            ExitStatus::Operational => 3,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(s.number())
    }
}

/// JSON documents carry the number (`"exit_code": 2`).
impl serde::Serialize for ExitStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_order_follow_the_table() {
        let all = [
            ExitStatus::Ok,
            ExitStatus::CheckFailed,
            ExitStatus::BadInput,
            ExitStatus::Operational,
        ];
        for (n, s) in all.iter().enumerate() {
            assert_eq!(usize::from(s.number()), n);
            assert_eq!(serde_json::to_string(s).unwrap(), n.to_string());
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(all.iter().max(), Some(&ExitStatus::Operational));
        assert_eq!(ExitStatus::check_failed_if(true), ExitStatus::CheckFailed);
        assert_eq!(ExitStatus::check_failed_if(false), ExitStatus::Ok);
    }
}
