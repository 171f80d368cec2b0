//! How long waits report on themselves: jobs call this trait, `output/` draws it (or nothing).

/// A sink for the progress of one wait at a time (waits in certctl are sequential).
///
/// A job calls `begin` before anything that may block (a lock, a deploy hook, a poll loop),
/// `update` whenever the status it waits on changes, and `end` when the wait is over. Whether
/// anything is shown, and how, is the implementation's business: the terminal one shows only
/// waits that last longer than a second.
pub(crate) trait Progress {
    /// A wait starts; `what` says what for ("waiting for ACM to validate api.example.com").
    fn begin(&self, what: &str);
    /// The status being waited on, e.g. `PENDING_VALIDATION api.example.com=PENDING`.
    fn update(&self, status: &str);
    /// The wait is over; `outcome` says how ("ISSUED", "exit 0", "timed out").
    fn end(&self, outcome: &str);
}

/// A wait that ends when dropped, however the code waiting returns (`?` included).
pub(crate) struct Span<'a>(&'a dyn Progress);

impl<'a> Span<'a> {
    /// Begins a wait on `progress`; it ends, as "done", when the span is dropped.
    pub(crate) fn begin(progress: &'a dyn Progress, what: &str) -> Span<'a> {
        progress.begin(what);
        Span(progress)
    }
}

impl Drop for Span<'_> {
    fn drop(&mut self) {
        self.0.end("done");
    }
}

/// Shows nothing (tests).
#[cfg(test)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Silent;

#[cfg(test)]
impl Progress for Silent {
    fn begin(&self, _: &str) {}
    fn update(&self, _: &str) {}
    fn end(&self, _: &str) {}
}

/// Records every call, for tests of the jobs that report progress.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Recorder(pub(crate) std::sync::Mutex<Vec<String>>);

#[cfg(test)]
impl Recorder {
    /// The calls so far, as `begin: …`, `update: …`, `end: …`.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
    fn push(&self, s: String) {
        if let Ok(mut v) = self.0.lock() {
            v.push(s);
        }
    }
}

#[cfg(test)]
impl Progress for Recorder {
    fn begin(&self, what: &str) {
        self.push(format!("begin: {what}"));
    }
    fn update(&self, status: &str) {
        self.push(format!("update: {status}"));
    }
    fn end(&self, outcome: &str) {
        self.push(format!("end: {outcome}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_ends_on_every_return_path() {
        fn walk(p: &dyn Progress, fail: bool) -> Result<(), ()> {
            let _wait = Span::begin(p, "walking");
            p.update("step 1");
            if fail {
                return Err(());
            }
            p.update("step 2");
            Ok(())
        }
        for fail in [false, true] {
            let r = Recorder::default();
            let _ = walk(&r, fail);
            let calls = r.calls();
            assert_eq!(calls.first().map(String::as_str), Some("begin: walking"));
            assert_eq!(calls.last().map(String::as_str), Some("end: done"));
            assert_eq!(calls.len(), if fail { 3 } else { 4 });
        }
    }
}
