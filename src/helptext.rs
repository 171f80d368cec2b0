//! Help layout: an example line never wraps (it is a command to copy), prose wraps to the terminal.
//!
//! clap wraps every line of `after_help` at the terminal's width, examples included, and the
//! prose there is wrapped by hand in the source as well. So before parsing, every `after_help`
//! is reshaped: the spaces of an example line become no-break spaces (clap breaks only at
//! spaces), and the lines of a prose paragraph are joined for clap to wrap at the real width.
//! What clap renders is then turned back into plain spaces by [`plain`] before it is printed.

use clap::CommandFactory;

use crate::cli::Cli;

/// Stands in for a space that must not break while clap lays out the help.
const NO_BREAK: char = '\u{a0}';

/// The command line with help text reshaped (see the module doc); parse with this, not
/// `Cli::command()`, so `--help` shows the reshaped text.
pub fn command() -> clap::Command {
    ordered(reshape(Cli::command()))
}

/// The command tree for parsing alone: `command()` without the help texts reshaped (no
/// after-help is printed from it; the caller parses again with [`command`] to print an error
/// or help, so every text printed is the same).
pub fn parser() -> clap::Command {
    Cli::command()
}

/// Builds one subcommand's arguments (or its own subcommands) into `Command::new(name)`.
type Build = fn(clap::Command) -> clap::Command;

/// The subcommands [`parse_alone`] can build without the rest of the tree, each exactly as the
/// derive builds it inside `Cli::command()` but for its about, after-help and place in the list (which parsing
/// never reads; a test compares the two trees).
const ALONE: &[(&str, Build)] = {
    use crate::cli::*;
    use clap::{Args, Subcommand};
    fn nested(cmd: clap::Command) -> clap::Command {
        cmd.subcommand_required(true).arg_required_else_help(true)
    }
    &[
        ("check", CheckArgs::augment_args),
        ("inspect", InspectArgs::augment_args),
        ("rotate", RotateArgs::augment_args),
        ("scan", ScanArgs::augment_args),
        ("doctor", DoctorArgs::augment_args),
        ("truststore", |c| {
            TruststoreCommand::augment_subcommands(nested(c))
        }),
        ("policy", |c| PolicyCommand::augment_subcommands(nested(c))),
        ("ca", |c| CaCommand::augment_subcommands(nested(c))),
        ("issue", |c| IssueCommand::augment_subcommands(nested(c))),
        ("acm", |c| AcmCommand::augment_subcommands(nested(c))),
        ("mtls", |c| MtlsCommand::augment_subcommands(nested(c))),
    ]
};

/// The root command with the global flags and the one subcommand `name` alone, or `None` when
/// `name` is not one of [`ALONE`].
fn root_alone(name: &str) -> Option<clap::Command> {
    use clap::Args;
    let (name, build) = ALONE.iter().find(|(n, _)| *n == name)?;
    let root = clap::Command::new("certctl")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .subcommand_required(true)
        .arg_required_else_help(true);
    Some(crate::cli::Global::augment_args(root).subcommand(build(clap::Command::new(*name))))
}

/// The matches of a command line whose first argument names a subcommand: parsed by a root
/// holding that subcommand alone, since building the whole tree (about 40 subcommands and
/// their help) is most of what a short command's start costs. `None` when the first argument
/// is anything else (a flag, `help`, a misspelt name) or the line does not parse (help,
/// version, a usage error): then the caller parses with the whole tree, which prints every
/// text and suggestion.
pub fn parse_alone(args: &[std::ffi::OsString]) -> Option<clap::ArgMatches> {
    let mut root = root_alone(args.get(1)?.to_str()?)?;
    let matches = root.try_get_matches_from_mut(args).ok();
    // The process ends soon: not freeing the tree's allocations is faster than freeing them.
    std::mem::forget(root);
    matches
}

fn ordered(mut cmd: clap::Command) -> clap::Command {
    // A command's own flags first, then the global ones, in every help.
    let globals: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().clone())
        .collect();
    for (i, id) in globals.iter().enumerate() {
        cmd = cmd.mut_arg(id, |a| a.display_order(1000 + i));
    }
    cmd
}

/// Global flags a command has no use for, by the first word(s) of the command; its help does
/// not show them (`certctl man --help` lists no AWS region).
const NOT_APPLICABLE: &[(&[&str], &[&str])] = &[
    (
        &["completions"],
        &[
            "json",
            "at",
            "quiet",
            "verbose",
            "no_color",
            "profile",
            "region",
            "endpoint_url",
        ],
    ),
    (
        &["man"],
        &[
            "json",
            "at",
            "quiet",
            "verbose",
            "no_color",
            "profile",
            "region",
            "endpoint_url",
        ],
    ),
    (
        &["truststore"],
        &[
            "profile",
            "region",
            "endpoint_url",
            "aws_timeout",
            "max_attempts",
        ],
    ),
    (&["truststore", "update"], &["at"]),
    (&["truststore", "verify"], &["at"]),
    (
        &["policy"],
        &[
            "at",
            "profile",
            "region",
            "endpoint_url",
            "aws_timeout",
            "max_attempts",
        ],
    ),
    (
        &["ca"],
        &[
            "profile",
            "region",
            "endpoint_url",
            "aws_timeout",
            "max_attempts",
        ],
    ),
    (
        &["issue"],
        &[
            "profile",
            "region",
            "endpoint_url",
            "aws_timeout",
            "max_attempts",
        ],
    ),
    (
        &["scan"],
        &[
            "profile",
            "region",
            "endpoint_url",
            "aws_timeout",
            "max_attempts",
        ],
    ),
];

/// The AWS flags, by id and as typed.
const AWS_FLAGS: &[(&str, &str)] = &[
    ("profile", "--profile"),
    ("region", "--region"),
    ("endpoint_url", "--endpoint-url"),
    ("aws_timeout", "--aws-timeout"),
    ("max_attempts", "--max-attempts"),
];

/// An AWS flag typed on the command line of a command that never calls AWS (the commands
/// [`NOT_APPLICABLE`] hides them for): (the flag, the command), for a clear refusal instead of
/// a flag silently ignored. A value from the environment (`AWS_MAX_ATTEMPTS`) is no refusal.
pub fn inapplicable_flag(m: &clap::ArgMatches) -> Option<(String, String)> {
    let mut path: Vec<&str> = Vec::new();
    let mut cur = m;
    while let Some((name, sub)) = cur.subcommand() {
        path.push(name);
        cur = sub;
    }
    for (prefix, ids) in NOT_APPLICABLE {
        if path.len() < prefix.len() || path[..prefix.len()] != **prefix {
            continue;
        }
        for (id, flag) in AWS_FLAGS {
            let typed = |m: &clap::ArgMatches| {
                m.try_contains_id(id).unwrap_or(false)
                    && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            };
            if ids.contains(id) && (typed(m) || typed(cur)) {
                return Some((flag.to_string(), path.join(" ")));
            }
        }
    }
    None
}

/// The help `certctl [SUBCOMMAND…] --help` (or `-h`, or `certctl help SUBCOMMAND…`) prints:
/// the subcommand's help without the global flags it has no use for, spaces made plain.
pub fn help_for(args: &[String]) -> String {
    let long = !args.iter().any(|a| a == "-h");
    let mut root = command();
    root.build();
    let mut path: Vec<&str> = Vec::new();
    let mut current = &root;
    for a in args.iter().skip(1).filter(|a| !a.starts_with('-')) {
        if path.is_empty() && a == "help" && current.find_subcommand("help").is_some() {
            continue;
        }
        let Some(sub) = current.find_subcommand(a) else {
            break;
        };
        current = sub;
        path.push(a);
    }
    let mut cmd = current.clone();
    for (prefix, ids) in NOT_APPLICABLE {
        if path.len() >= prefix.len() && path[..prefix.len()] == **prefix {
            for id in *ids {
                if cmd.get_arguments().any(|a| a.get_id() == id) {
                    cmd = cmd.mut_arg(id, |a| a.hide(true));
                }
            }
        }
    }
    // Like clap: `--help` shows the long form only where some text has one.
    let long = long
        && (cmd.get_long_about().is_some()
            || cmd
                .get_arguments()
                .any(|a| !a.is_hide_set() && a.get_long_help().is_some())
            || cmd.get_subcommands().any(|s| s.get_long_about().is_some()));
    let rendered = if long {
        cmd.render_long_help()
    } else {
        cmd.render_help()
    };
    plain(&rendered.to_string())
}

fn reshape(cmd: clap::Command) -> clap::Command {
    let cmd = match cmd.get_after_help().map(|h| reflow(&h.to_string())) {
        Some(text) => cmd.after_help(text),
        None => cmd,
    };
    cmd.mut_subcommands(reshape)
}

/// Whether a help line is a command to copy: `certctl …`, `VAR=… certctl …`, or a crontab line.
fn is_example(line: &str) -> bool {
    let t = line.trim_start();
    let after_env = t
        .split_once(' ')
        .filter(|(first, _)| {
            first.contains('=') && first.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        })
        .map_or(t, |(_, rest)| rest);
    after_env.starts_with("certctl ") || t.starts_with("# ") || t.starts_with("| ")
}

/// Reshapes one `after_help` text: section headings (`EXAMPLES:`) and table rows
/// (`  0  issued`) stay lines, examples get no-break spaces, prose paragraphs become one line.
pub(crate) fn reflow(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_prose = false;
    // The line after an example ending in `\` continues that example.
    let mut continued = false;
    for line in text.lines() {
        let t = line.trim();
        let heading = !line.starts_with(' ') && t.ends_with(':');
        let row = t.chars().next().is_some_and(|c| c.is_ascii_digit());
        if !continued && (t.is_empty() || heading || row) {
            out.push(line.to_string());
            in_prose = false;
        } else if continued || is_example(line) {
            continued = t.ends_with('\\');
            let indent = line.len() - line.trim_start().len();
            out.push(format!(
                "{}{}",
                &line[..indent],
                t.replace(' ', &NO_BREAK.to_string())
            ));
            in_prose = false;
        } else if in_prose {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(t);
            }
        } else {
            out.push(line.to_string());
            in_prose = true;
        }
    }
    out.join("\n")
}

/// Rendered help as it is printed: the no-break spaces back to plain spaces.
pub fn plain(rendered: &str) -> String {
    rendered.replace(NO_BREAK, " ")
}

/// clap suggests a flag by Jaro similarity, which never finds a swapped pair of letters
/// (`--dsn` gets `--json`, not `--dns`). For an unknown long flag, the flag of the command in
/// use that is fewest edits away (adjacent swaps count as one) replaces clap's tip, when it
/// is close enough to be the one meant.
pub fn improve_suggestion(err: &mut clap::Error, args: &[String]) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return;
    }
    let Some(ContextValue::String(invalid)) = err.get(ContextKind::InvalidArg) else {
        return;
    };
    let Some(typed) = invalid.strip_prefix("--") else {
        return;
    };
    let typed = typed.split('=').next().unwrap_or(typed).to_string();
    let mut cmd = command();
    cmd.build();
    // The subcommand in use: the leading words that name subcommands, in order.
    let mut current = &cmd;
    for a in args.iter().skip(1).filter(|a| !a.starts_with('-')) {
        match current.find_subcommand(a) {
            Some(sub) => current = sub,
            None => break,
        }
    }
    let best = current
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .map(|long| (crate::policy::raw::edit_distance(&typed, long), long))
        .min();
    if let Some((d, long)) = best {
        let close = d == 1 || (d == 2 && typed.len() >= 6);
        if close {
            err.insert(
                ContextKind::SuggestedArg,
                ContextValue::String(format!("--{long}")),
            );
            // clap's usage line was built around its own suggestion: show the command's.
            err.insert(
                ContextKind::Usage,
                ContextValue::StyledStr(current.clone().render_usage()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Subcommands parsed by the whole tree on purpose: they print the tree itself.
    const WHOLE_TREE: &[&str] = &["completions", "man", "help"];

    #[test]
    fn every_subcommand_is_built_alone_or_listed_as_needing_the_whole_tree() {
        let mut whole = Cli::command();
        whole.build();
        for sub in whole.get_subcommands() {
            let name = sub.get_name();
            let alone = ALONE.iter().any(|(n, _)| *n == name);
            assert!(
                alone != WHOLE_TREE.contains(&name),
                "`certctl {name}`: add it to ALONE (fast start) or to WHOLE_TREE, not both"
            );
        }
        assert_eq!(
            ALONE.len() + WHOLE_TREE.len(),
            whole.get_subcommands().count(),
            "every ALONE and WHOLE_TREE entry is a subcommand"
        );
    }

    #[test]
    fn a_subcommand_alone_parses_as_in_the_whole_tree() {
        let mut whole = Cli::command();
        whole.build();
        let args = |c: &clap::Command| -> Vec<String> {
            c.get_arguments().map(|a| format!("{a:?}")).collect()
        };
        for (name, _) in ALONE {
            let mut root = root_alone(name).unwrap();
            root.build();
            assert_eq!(args(&root), args(&whole));
            assert_eq!(root.get_version(), whole.get_version());
            assert_eq!(
                root.is_propagate_version_set(),
                whole.is_propagate_version_set()
            );
            assert_eq!(
                root.is_subcommand_required_set(),
                whole.is_subcommand_required_set()
            );
            assert_eq!(
                root.is_arg_required_else_help_set(),
                whole.is_arg_required_else_help_set()
            );
            let full = whole.find_subcommand(name).unwrap();
            let text = |t: Option<&clap::builder::StyledStr>| {
                t.cloned()
                    .map_or(clap::builder::Resettable::Reset, Into::into)
            };
            // Everything but the texts the whole tree's variant adds and its place among the
            // others, which parsing never reads.
            let alone = root
                .find_subcommand(name)
                .unwrap()
                .clone()
                .about(text(full.get_about()))
                .long_about(text(full.get_long_about()))
                .after_help(text(full.get_after_help()))
                .after_long_help(text(full.get_after_long_help()))
                .display_order(full.get_display_order());
            assert_eq!(format!("{alone:?}"), format!("{full:?}"), "{name}");
        }
        assert!(root_alone("help").is_none() && root_alone("chek").is_none());
    }

    #[test]
    fn examples_are_kept_whole_and_prose_is_joined() {
        let text = "EXAMPLES:\n  certctl acm attach ARN \\\n      --listener L\n  certctl scan /etc --min-days 21\n  CERTCTL_P12_PASSWORD=x certctl issue onprem --dns a\n\n  Writes cert.pem and\n  key.pem.\n\nEXIT CODES:\n  0  ok\n  2  bad";
        let r = reflow(text);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[1], "  certctl\u{a0}acm\u{a0}attach\u{a0}ARN\u{a0}\\");
        assert_eq!(lines[2], "      --listener\u{a0}L");
        assert_eq!(
            lines[3],
            "  certctl\u{a0}scan\u{a0}/etc\u{a0}--min-days\u{a0}21"
        );
        assert!(lines[4].starts_with("  CERTCTL_P12_PASSWORD=x\u{a0}certctl"));
        assert_eq!(lines[6], "  Writes cert.pem and key.pem.");
        assert_eq!(&lines[8..], ["EXIT CODES:", "  0  ok", "  2  bad"]);
        assert_eq!(
            plain(&r).lines().nth(3),
            Some("  certctl scan /etc --min-days 21")
        );
    }

    #[test]
    fn edit_distance_counts_a_swap_as_one() {
        assert_eq!(crate::policy::raw::edit_distance("dsn", "dns"), 1);
        assert_eq!(crate::policy::raw::edit_distance("dsn", "json"), 2);
        assert_eq!(crate::policy::raw::edit_distance("hostnme", "hostname"), 1);
        assert_eq!(crate::policy::raw::edit_distance("", "ab"), 2);
    }
}
