//! The only code that prints: human tables and JSON documents on stdout, errors on stderr.

mod acm;
mod audit;
pub mod human;
mod onprem;
mod progress;

use std::io::{IsTerminal, Write};

use serde::Serialize;

pub use human::Human;
pub use progress::Waits;

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub color: bool,
}

impl Printer {
    /// Colour only on a terminal, never with `--no-color` or `NO_COLOR`.
    pub fn new(json: bool, quiet: bool, verbose: u8, no_color: bool) -> Printer {
        let color = !no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        Printer {
            json,
            quiet,
            verbose,
            color,
        }
    }

    /// Prints a report: one JSON document, or the human form (nothing with `-q`).
    pub fn report<R: Serialize + Human>(&self, r: &R) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if self.json {
            // Streamed: a report of 100,000 certificates is never one string in memory.
            if serde_json::to_writer_pretty(&mut out, r).is_ok() {
                let _ = writeln!(out);
            }
        } else if !self.quiet {
            let style = human::Style {
                color: self.color,
                verbose: self.verbose,
            };
            let _ = out.write_all(r.human(&style).as_bytes());
        }
        let _ = out.flush();
    }

    /// Raw bytes for stdout (e.g. an exported PEM bundle).
    pub fn raw(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Prints an error: `error:` / `caused by:` / `hint:` lines on stderr, and with `--json`
    /// the same as one JSON document on stdout.
    pub fn error(&self, message: &str, causes: &[String], hint: Option<&str>, exit_code: u8) {
        if self.json {
            #[derive(Serialize)]
            struct ErrDoc<'a> {
                schema_version: u32,
                exit_code: u8,
                error: ErrBody<'a>,
            }
            #[derive(Serialize)]
            struct ErrBody<'a> {
                message: &'a str,
                causes: &'a [String],
                #[serde(skip_serializing_if = "Option::is_none")]
                hint: Option<&'a str>,
            }
            let doc = ErrDoc {
                schema_version: 1,
                exit_code,
                error: ErrBody {
                    message,
                    causes,
                    hint,
                },
            };
            if let Ok(s) = serde_json::to_string_pretty(&doc) {
                let _ = writeln!(std::io::stdout().lock(), "{s}");
            }
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {message}");
        for c in causes {
            let _ = writeln!(err, "caused by: {c}");
        }
        if let Some(h) = hint {
            let _ = writeln!(err, "hint: {h}");
        }
    }
}

/// The one line a panic prints instead of a backtrace: `error: internal error: MESSAGE at
/// FILE:LINE, please report`.
pub fn panic_line(info: &std::panic::PanicHookInfo<'_>) -> String {
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
