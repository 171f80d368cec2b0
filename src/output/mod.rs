//! The only code that prints: human tables and JSON documents on stdout, errors on stderr.

mod acm;
mod albtrust;
mod audit;
pub(crate) mod human;
pub(crate) mod inert;
mod mtls;
mod onprem;
mod progress;

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::exit::ExitStatus;

pub(crate) use human::Human;
pub(crate) use progress::Waits;

/// What the global flags ask of the printer (`--json`, `-q`, `-v`, `--no-color`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PrinterOptions {
    /// One JSON document on stdout.
    pub json: bool,
    /// Only errors (and with a report, its failures on stderr).
    pub quiet: bool,
    /// How many `-v`.
    pub verbose: u8,
    /// Colour allowed (no `--no-color`); used only on a terminal and without `NO_COLOR`.
    pub color: bool,
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub(crate) json: bool,
    pub(crate) quiet: bool,
    pub(crate) verbose: u8,
    pub(crate) color: bool,
}

impl Printer {
    /// Colour only on a terminal, never with `--no-color` or `NO_COLOR`.
    pub fn new(options: PrinterOptions) -> Printer {
        let color = options.color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        Printer {
            json: options.json,
            quiet: options.quiet,
            verbose: options.verbose,
            color,
        }
    }

    /// Prints a report: one JSON document, or the human form. With `-q` (and no `--json`)
    /// only its failures, one line each on stderr, so that cron mails exactly those.
    pub(crate) fn report<R: Serialize + Human>(&self, r: &R) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = (|| -> std::io::Result<()> {
            if self.json {
                // Streamed: a report of 100,000 certificates is never one string in memory.
                serde_json::to_writer_pretty(&mut out, r)?;
                writeln!(out)?;
            } else if !self.quiet {
                let style = human::Style {
                    color: self.color,
                    verbose: self.verbose,
                };
                out.write_all(inert::guard(&r.human(&style)).as_bytes())?;
            }
            out.flush()
        })();
        note_stdout(written);
        if self.quiet && !self.json {
            let mut err = std::io::stderr().lock();
            for line in r.failures() {
                let _ = writeln!(err, "{}", inert::inert(&line));
            }
        }
    }

    /// Raw bytes for stdout (e.g. an exported PEM bundle).
    pub(crate) fn raw(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        note_stdout(out.write_all(text.as_bytes()).and_then(|()| out.flush()));
    }

    /// Prints an error: `error:` / `caused by:` / `hint:` lines on stderr, and with `--json`
    /// the same as one JSON document on stdout.
    pub fn error(
        &self,
        message: &str,
        causes: &[String],
        hint: Option<&str>,
        exit_code: ExitStatus,
    ) {
        self.error_with_changes(message, causes, hint, exit_code, &[], None);
    }

    /// [`Printer::error`], listing what the command had already changed (`changes`, and a
    /// `changed:` line each), so that a failure after a write is never mistaken for none.
    pub(crate) fn error_with_changes(
        &self,
        message: &str,
        causes: &[String],
        hint: Option<&str>,
        exit_code: ExitStatus,
        changes: &[crate::jobs::Change],
        step: Option<&str>,
    ) {
        if self.json {
            #[derive(Serialize)]
            struct ErrDoc<'a> {
                schema_version: u32,
                exit_code: ExitStatus,
                error: ErrBody<'a>,
            }
            #[derive(Serialize)]
            struct ErrBody<'a> {
                message: &'a str,
                causes: &'a [String],
                #[serde(skip_serializing_if = "Option::is_none")]
                hint: Option<&'a str>,
                #[serde(skip_serializing_if = "<[_]>::is_empty")]
                changes: &'a [crate::jobs::Change],
                #[serde(skip_serializing_if = "Option::is_none")]
                step: Option<&'a str>,
            }
            let doc = ErrDoc {
                schema_version: 1,
                exit_code,
                error: ErrBody {
                    message,
                    causes,
                    hint,
                    changes,
                    step,
                },
            };
            if let Ok(s) = serde_json::to_string_pretty(&doc) {
                let mut out = std::io::stdout().lock();
                note_stdout(writeln!(out, "{s}").and_then(|()| out.flush()));
            }
        }
        let mut err = std::io::stderr().lock();
        // Error texts name paths, subjects and servers' answers: one inert line each.
        let _ = writeln!(err, "error: {}", inert::Inert(message));
        for c in causes {
            let _ = writeln!(err, "caused by: {}", inert::Inert(c));
        }
        for c in changes {
            let _ = writeln!(err, "changed: {} {}", c.kind, inert::Inert(&c.id));
        }

        if let Some(h) = hint {
            let _ = writeln!(err, "hint: {}", inert::guard(h));
        }
    }
}

/// The first error writing to stdout (a full disk behind `> file`, a closed pipe).
static STDOUT_ERROR: std::sync::OnceLock<(std::io::ErrorKind, String)> = std::sync::OnceLock::new();

fn note_stdout(r: std::io::Result<()>) {
    if let Err(e) = r {
        let _ = STDOUT_ERROR.set((e.kind(), e.to_string()));
    }
}

/// Whether something printed to stdout was lost, and why: the command then exits 3, since
/// its report did not reach the reader.
pub(crate) fn stdout_error() -> Option<(std::io::ErrorKind, String)> {
    STDOUT_ERROR.get().cloned()
}

/// The one line a panic prints instead of a backtrace: `error: internal error: MESSAGE at
/// FILE:LINE, please report`.
pub(crate) fn panic_line(info: &std::panic::PanicHookInfo<'_>) -> String {
    let msg = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    let at = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "error: internal error: {}{at}, please report",
        msg.replace(['\n', '\r'], " ")
    )
}

/// Replaces the default panic output (message and backtrace hint) with [`panic_line`]; the
/// binary installs it, the library's own tests keep the default.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr().lock(), "{}", panic_line(info));
    }));
}
