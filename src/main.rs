//! The certctl binary: parse arguments, read the clock once, run, exit with the command's code.

use std::io::Write;

use certctl::exit::ExitStatus;
use clap::FromArgMatches;

fn main() -> std::process::ExitCode {
    certctl::output::install_panic_hook();
    // Debug builds only: a way for the tests to prove what a panic looks like to a user.
    #[cfg(debug_assertions)]
    if std::env::var_os("CERTCTL_DEBUG_PANIC").is_some() {
        let status =
            std::panic::catch_unwind(|| -> ExitStatus { panic!("deliberate panic\nsecond line") });
        return status.unwrap_or(ExitStatus::Operational).into();
    }
    // Parsed first with the plain command tree (cheaper to build); anything but a command to
    // run or the version is parsed again with the tree whose help texts are reshaped.
    // A command to run is parsed by a root holding its subcommand alone where it can be.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = match certctl::helptext::parse_alone(&args) {
        Some(m) => Ok(m),
        None => {
            let mut parser = certctl::helptext::parser();
            let m = match parser.try_get_matches_from_mut(&args) {
                Err(e) if e.kind() != clap::error::ErrorKind::DisplayVersion => {
                    certctl::helptext::command().try_get_matches_from(&args)
                }
                m => m,
            };
            // The tree is not needed again and the process ends soon: not freeing its few
            // thousand allocations is measurably faster than freeing them.
            std::mem::forget(parser);
            m
        }
    };
    // An AWS flag given to a command that never calls AWS is refused, not ignored.
    if let Ok(m) = &matches {
        if let Some((flag, command)) = certctl::helptext::inapplicable_flag(m) {
            let printer = certctl::output::Printer::new(certctl::output::PrinterOptions {
                json: m.get_flag("json"),
                ..Default::default()
            });
            printer.error(
                &format!("{flag} has no effect on `certctl {command}`: it never calls AWS"),
                &[],
                Some(&format!("remove {flag}")),
                ExitStatus::BadInput,
            );
            return ExitStatus::BadInput.into();
        }
    }
    let parsed = matches.and_then(|m| certctl::cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(mut e) => {
            let args: Vec<String> = std::env::args().collect();
            certctl::helptext::improve_suggestion(&mut e, &args);
            let usage_error = e.use_stderr();
            let json = args.iter().any(|a| a == "--json");
            let printer = certctl::output::Printer::new(certctl::output::PrinterOptions {
                json,
                ..Default::default()
            });
            // A value certctl refused itself: its own message and hint, like any bad input.
            if let Some(bad) = certctl::cli::BadValue::of(&e) {
                printer.error(&bad.message, &[], bad.hint.as_deref(), ExitStatus::BadInput);
                return ExitStatus::BadInput.into();
            }
            if usage_error && json {
                // --json promises one document on stdout, even for a bad flag.
                let first = e
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
                    .to_string();
                printer.error(&first, &[], Some("certctl --help"), ExitStatus::BadInput);
                return ExitStatus::BadInput.into();
            }
            // Help, version or a usage error, with examples' no-break spaces made plain.
            let text = if e.kind() == clap::error::ErrorKind::DisplayHelp {
                certctl::helptext::help_for(&args)
            } else {
                e.render().to_string()
            };
            let text = certctl::helptext::plain(&text);
            let _ = if usage_error {
                std::io::stderr().lock().write_all(text.as_bytes())
            } else {
                std::io::stdout().lock().write_all(text.as_bytes())
            };
            return if usage_error {
                ExitStatus::BadInput
            } else {
                ExitStatus::Ok
            }
            .into();
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Debug builds only: the tests pin the real clock that `rotate` checks a new certificate
    // against (their --at is years ahead of it), as they pin the instant they evaluate at.
    #[cfg(debug_assertions)]
    let wall = std::env::var("CERTCTL_DEBUG_WALL_CLOCK")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(now);
    #[cfg(not(debug_assertions))]
    let wall = now;
    let clock = certctl::app::Clock { now, wall };
    std::panic::catch_unwind(|| certctl::app::run(cli, clock))
        .unwrap_or(ExitStatus::Operational)
        .into()
}
