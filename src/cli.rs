//! Command-line types (clap derive). Doc comments are the help text; nothing here runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "EXIT CODES:
  0  done; every check passed (warnings allowed)
  1  a check failed (a deny-level finding)
  2  usage or input error (bad flag, bad file, bad certificate)
  3  operational error (network, I/O, AWS): the check could not be made";

/// Certificates for the API Gateway → NLB → ALB → on-prem path: check a backend chain against
/// API Gateway's own CA list, inspect certificates, manage the bundled trust store.
#[derive(Debug, Parser)]
#[command(
    name = "certctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "EXAMPLES:
  certctl check fullchain.pem --hostname api.example.com
  certctl check https://api.example.com
  certctl truststore list --json

EXIT CODES:
  0 ok, 1 a check failed, 2 bad input, 3 could not look (network, I/O, AWS)")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Print exactly one JSON document on stdout (also on failure).
    #[arg(long, global = true)]
    pub json: bool,
    /// Evaluate as of this instant (RFC 3339, e.g. 2026-01-01T00:00:00Z); default: now.
    #[arg(long, global = true, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never colour the output (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// AWS profile (commands that call AWS).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (commands that call AWS).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// One endpoint for every AWS service, e.g. a local emulator.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Would API Gateway accept this backend certificate? Build and judge the chain.
    #[command(after_help = concat!("EXAMPLES:
  certctl check fullchain.pem --hostname api.example.com
  certctl check cert.pem --chain intermediates.pem --fix-chain fixed.pem
  certctl check https://api.example.com --min-days 14
  certctl check https://api.example.com --connect-to 10.0.1.25:443
  certctl check lb.pem --trust-store ./private-ca.pem --json

", "EXIT CODES:
  0  trusted (warnings allowed)
  1  not trusted, or a deny-level finding
  2  bad input (unreadable or malformed certificate, bad hostname)
  3  could not look (network)"))]
    Check(CheckArgs),
    /// The bundled API Gateway trust store: list, show, export, update, verify.
    #[command(subcommand)]
    Truststore(TruststoreCommand),
    /// Print every certificate of a file or a server's chain in detail.
    #[command(after_help = concat!("EXAMPLES:
  certctl inspect fullchain.pem
  certctl inspect https://api.example.com --json

", "EXIT CODES:
  0  printed
  2  bad input
  3  could not look (network)"))]
    Inspect(InspectArgs),
    /// Check policies (`policies/gateway.toml` is the built-in one).
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A PEM or DER file (leaf and intermediates in any order) or https://host[:port].
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// More candidate intermediates (PEM bundle or DER).
    #[arg(long, value_name = "FILE")]
    pub chain: Vec<PathBuf>,
    /// `apigateway` (the bundled list, default), or a PEM bundle / directory of PEM roots.
    #[arg(long, value_name = "apigateway|FILE|DIR", default_value = "apigateway")]
    pub trust_store: String,
    /// The name clients use (DNS name or IP); default: the URL's host. Files: no name check
    /// unless given.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Dial HOST:PORT instead of the URL's address, still sending SNI for the hostname.
    #[arg(long, value_name = "HOST:PORT")]
    pub connect_to: Option<String>,
    /// Connect and handshake timeout in seconds, for URLs.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Report `expires-soon` when a certificate of the path expires within N days
    /// (default: the policy's min-days, 30).
    #[arg(long, value_name = "N")]
    pub min_days: Option<u32>,
    /// A check policy file replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Write the corrected chain (leaf, intermediates in order, no root) to OUT.
    #[arg(long, value_name = "OUT")]
    pub fix_chain: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TruststoreCommand {
    /// Every alias of API Gateway's list; marks expired and fingerprint-only entries.
    #[command(after_help = "EXAMPLES:
  certctl truststore list
  certctl truststore list --json | jq '.entries[] | select(.status==\"expired\")'

EXIT CODES:
  0 printed")]
    List,
    /// One alias (or a SHA-256 fingerprint) in detail, with its certificate when shipped.
    #[command(after_help = "EXAMPLES:
  certctl truststore show amazonrootca1
  certctl truststore show 8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:E9:B1:3D:4F:8B:EF:E8:24:6C:7A:C1:96:A1:2B:5D:2E:EE:5E:A5

EXIT CODES:
  0 found, 2 no such alias")]
    Show {
        /// Alias name (case-insensitive) or SHA-256 fingerprint.
        #[arg(value_name = "ALIAS")]
        alias: String,
    },
    /// Write the shipped roots as one PEM bundle (for openssl -CAfile, curl --cacert, ...).
    #[command(after_help = "EXAMPLES:
  certctl truststore export --out apigw-roots.pem
  certctl truststore export --include-expired > all.pem

EXIT CODES:
  0 written, 3 could not write")]
    Export {
        /// Output file (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also export roots that are expired at --at.
        #[arg(long)]
        include_expired: bool,
    },
    /// Refresh the list from a saved copy of the AWS page ("Alias name:/SHA1:/SHA256:" blocks).
    #[command(after_help = "EXAMPLES:
  certctl truststore update --from saved-page.txt --out ca/apigateway-cas.tsv
  certctl truststore update --from saved-page.txt --dry-run

EXIT CODES:
  0 written (or nothing changed), 2 the page could not be parsed, 3 could not write")]
    Update {
        /// The saved page (text).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Where to write the refreshed list.
        #[arg(long, value_name = "FILE", default_value = "ca/apigateway-cas.tsv")]
        out: PathBuf,
        /// Report added/removed aliases without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Recompute every shipped root's fingerprints against the list.
    #[command(after_help = "EXAMPLES:
  certctl truststore verify

EXIT CODES:
  0 every shipped root matches the list, 1 a mismatch")]
    Verify,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A PEM or DER file, or https://host[:port].
    #[arg(value_name = "FILE|URL")]
    pub target: String,
    /// The SNI name to send (URLs); default: the URL's host.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Dial HOST:PORT instead of the URL's address.
    #[arg(long, value_name = "HOST:PORT")]
    pub connect_to: Option<String>,
    /// Connect and handshake timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and print every finding code with its level under it.
    #[command(after_help = "EXAMPLES:
  certctl policy check policies/gateway.toml
  certctl policy check my-policy.toml --json

EXIT CODES:
  0 valid, 2 invalid (every problem is listed with its line)")]
    Check {
        /// The policy file (default: the built-in policy).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

/// The exit-code table, for the README and `--help` tests.
pub fn exit_codes() -> &'static str {
    EXIT_CODES
}
