//! Progress of long waits on stderr: a spinner on a terminal, plain lines otherwise, nothing
//! with `-q`; a wait that ends within a second shows nothing at all.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::progress::Progress;

/// Waits shorter than this show nothing.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Plain-line mode repeats the status this often when it does not change (cron logs show the
/// wait is alive).
const HEARTBEAT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Spinner,
    Lines,
}

enum Msg {
    Update(String),
    End(String),
}

/// The terminal's [`Progress`]: one drawing thread per wait, joined when the wait ends so
/// nothing it prints lands after the report.
pub(crate) struct Waits {
    mode: Mode,
    active: Mutex<Option<(Sender<Msg>, JoinHandle<()>)>>,
}

impl Waits {
    /// Off with `quiet`; a spinner when stderr is a terminal; plain lines otherwise.
    pub(crate) fn new(quiet: bool) -> Waits {
        let term =
            std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb");
        Waits::with_mode(match (quiet, term) {
            (true, _) => Mode::Off,
            (false, true) => Mode::Spinner,
            (false, false) => Mode::Lines,
        })
    }

    fn with_mode(mode: Mode) -> Waits {
        Waits {
            mode,
            active: Mutex::new(None),
        }
    }

    fn take(&self) -> Option<(Sender<Msg>, JoinHandle<()>)> {
        self.active.lock().ok().and_then(|mut a| a.take())
    }
}

impl Progress for Waits {
    fn begin(&self, what: &str) {
        if self.mode == Mode::Off {
            return;
        }
        self.end("");
        let (tx, rx) = mpsc::channel();
        let (mode, what) = (self.mode, what.to_string());
        let Ok(handle) = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw(mode, &what, &rx))
        else {
            return; // no thread, no progress: the wait itself goes on
        };
        if let Ok(mut a) = self.active.lock() {
            *a = Some((tx, handle));
        }
    }

    fn update(&self, status: &str) {
        if let Ok(a) = self.active.lock() {
            if let Some((tx, _)) = a.as_ref() {
                let _ = tx.send(Msg::Update(status.to_string()));
            }
        }
    }

    fn end(&self, outcome: &str) {
        if let Some((tx, handle)) = self.take() {
            let _ = tx.send(Msg::End(outcome.to_string()));
            let _ = handle.join();
        }
    }
}

impl Drop for Waits {
    fn drop(&mut self) {
        self.end("");
    }
}

/// What is on screen for a wait that has lasted long enough.
enum Shown {
    Spinner(indicatif::ProgressBar),
    Lines { printed: Instant, status: String },
}

fn line(start: Instant, what: &str, status: &str) {
    use super::inert::Inert;
    let (what, status) = (Inert(what), Inert(status));
    let t = start.elapsed().as_secs_f64();
    let mut err = std::io::stderr().lock();
    let _ = if status.0.is_empty() {
        writeln!(err, "[{t:>6.1}s] {what}")
    } else {
        writeln!(err, "[{t:>6.1}s] {what}: {status}")
    };
}

fn message(what: &str, status: &str) -> String {
    use super::inert::Inert;
    if status.is_empty() {
        Inert(what).to_string()
    } else {
        format!("{}: {}", Inert(what), Inert(status))
    }
}

impl Shown {
    fn open(mode: Mode, start: Instant, what: &str, status: &str) -> Shown {
        match mode {
            Mode::Spinner => {
                let pb = indicatif::ProgressBar::new_spinner().with_elapsed(start.elapsed());
                if let Ok(style) =
                    indicatif::ProgressStyle::with_template("{spinner} [{elapsed:>4}] {wide_msg}")
                {
                    pb.set_style(style);
                }
                pb.set_message(message(what, status));
                pb.enable_steady_tick(Duration::from_millis(120));
                Shown::Spinner(pb)
            }
            _ => {
                line(start, what, status);
                Shown::Lines {
                    printed: Instant::now(),
                    status: status.to_string(),
                }
            }
        }
    }

    fn status(&mut self, start: Instant, what: &str, new: &str) {
        match self {
            Shown::Spinner(pb) => pb.set_message(message(what, new)),
            Shown::Lines { printed, status } => {
                if status != new || printed.elapsed() >= HEARTBEAT {
                    line(start, what, new);
                    *printed = Instant::now();
                    *status = new.to_string();
                }
            }
        }
    }

    /// How long the drawing thread may sleep before it has something to do.
    fn idle(&self) -> Duration {
        match self {
            Shown::Spinner(_) => Duration::from_secs(3600),
            Shown::Lines { printed, .. } => HEARTBEAT.saturating_sub(printed.elapsed()),
        }
    }

    fn finish(self, start: Instant, what: &str, outcome: &str) {
        if let Shown::Spinner(pb) = &self {
            pb.finish_and_clear();
        }
        let outcome = if outcome.is_empty() { "done" } else { outcome };
        line(start, what, outcome);
    }
}

fn draw(mode: Mode, what: &str, rx: &Receiver<Msg>) {
    let start = Instant::now();
    let mut status = String::new();
    let mut shown: Option<Shown> = None;
    loop {
        let timeout = match &shown {
            None => SHOW_AFTER.saturating_sub(start.elapsed()),
            Some(s) => s.idle(),
        };
        match rx.recv_timeout(timeout) {
            Ok(Msg::Update(s)) => {
                if let Some(sh) = shown.as_mut() {
                    sh.status(start, what, &s);
                }
                status = s;
            }
            Ok(Msg::End(outcome)) => {
                if let Some(sh) = shown {
                    sh.finish(start, what, &outcome);
                }
                return;
            }
            Err(RecvTimeoutError::Disconnected) => {
                if let Some(sh) = shown {
                    sh.finish(start, what, "");
                }
                return;
            }
            Err(RecvTimeoutError::Timeout) => match shown.as_mut() {
                None => shown = Some(Shown::open(mode, start, what, &status)),
                // Lines: the heartbeat is due (recv_timeout waited out `idle`), so the
                // unchanged status prints again; a spinner redraws itself.
                Some(sh) => sh.status(start, what, &status),
            },
        }
    }
}
