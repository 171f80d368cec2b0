//! One deadline for a whole command: every AWS call, DNS look-up and live TLS fetch it starts
//! ends by then. Made once from `--timeout` where the arguments are parsed; nothing below reads
//! the clock to set one.

use std::time::{Duration, Instant};

/// The instant a command must be done by, and the `--timeout` it came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    total: Duration,
}

impl Deadline {
    /// `total` after `start` (the instant the command began).
    pub fn after(start: Instant, total: Duration) -> Deadline {
        Deadline {
            at: start.checked_add(total).unwrap_or(start),
            total,
        }
    }

    /// The instant itself.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// The `--timeout` this deadline was made from.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// What is left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// `d`, or what is left when that is less: the bound of one step inside the deadline.
    pub fn min_with(&self, d: Duration) -> Duration {
        d.min(self.remaining())
    }

    /// This deadline, moved `reserve` earlier (never before `start` of the remaining time):
    /// a step that must leave time for another after it.
    pub fn leaving(&self, reserve: Duration) -> Deadline {
        Deadline {
            at: self.at.checked_sub(reserve).unwrap_or(self.at),
            total: self.total.saturating_sub(reserve),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_and_min_with_never_exceed_the_deadline() {
        let start = Instant::now();
        let d = Deadline::after(start, Duration::from_secs(60));
        assert!(!d.expired());
        assert!(d.remaining() <= Duration::from_secs(60));
        assert_eq!(d.min_with(Duration::from_secs(5)), Duration::from_secs(5));
        assert!(d.min_with(Duration::from_secs(600)) <= Duration::from_secs(60));
        let past = Deadline::after(start, Duration::ZERO);
        assert!(past.expired());
        assert_eq!(past.min_with(Duration::from_secs(5)), Duration::ZERO);
        let early = d.leaving(Duration::from_secs(10));
        assert!(early.instant() < d.instant());
        assert_eq!(early.total(), Duration::from_secs(50));
    }
}
