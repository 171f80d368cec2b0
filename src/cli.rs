//! Command-line types (clap derive) and the parsers of their values. Doc comments are the help
//! text; nothing here runs a command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Certificates for the API Gateway → NLB → ALB → on-prem path: issue and rotate the on-prem
/// certificate, request and attach the ALB's ACM certificate, and check chains against API
/// Gateway's own CA list.
#[derive(Debug, Parser)]
#[command(name = "certctl", version, propagate_version = true)]
#[command(after_help = "EXAMPLES:
  certctl issue onprem --dns lb.onprem.example.internal \\
      --out-dir /etc/certctl/onprem-lb
  certctl rotate --config /etc/certctl/onprem.toml
  certctl acm request api.example.com --route53-zone auto --wait
  certctl check https://api.example.com

EXIT CODES:
  0 ok, 1 a check failed, 2 bad input, 3 could not look (network, I/O, AWS)")]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub(crate) struct Global {
    /// Print exactly one JSON document on stdout (also on failure).
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Evaluate as of this instant (RFC 3339, e.g. 2026-01-01T00:00:00Z, or a date: 2026-01-01 is
    /// midnight UTC); default: now.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_at)]
    pub(crate) at: Option<i64>,
    /// Print only errors: no report, no progress (waits longer than a second show a spinner
    /// on a terminal and plain lines otherwise).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Print more detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Never colour the output (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub(crate) no_color: bool,
    /// AWS profile (commands that call AWS; else AWS_PROFILE): its credentials win over
    /// AWS_ACCESS_KEY_ID in the environment; an undefined profile is exit 2.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// AWS region (commands that call AWS).
    #[arg(long, global = true, value_name = "REGION", action = clap::ArgAction::Append)]
    pub(crate) region: Vec<String>,
    /// One endpoint for every AWS service, e.g. a local emulator (LocalStack, moto); without
    /// the flag the SDK reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// Attempts per AWS call (standard retry mode, backoff between attempts); default 3.
    #[arg(long, global = true, value_name = "N", env = "AWS_MAX_ATTEMPTS", hide_env_values = true,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub(crate) max_attempts: Option<u32>,
    /// Connect and read timeout of each AWS call attempt (e.g. 15s, 1m); default 15s.
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::duration::parse_positive)]
    pub(crate) aws_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Would API Gateway accept this backend certificate? Build and judge the chain.
    #[command(after_help = concat!("EXAMPLES:
  certctl check fullchain.pem --hostname api.example.com
  certctl check cert.pem --chain intermediates.pem --fix-chain fixed.pem
  certctl check https://api.example.com --min-days 14
  certctl check https://api.example.com --connect-to 10.0.1.25:443
  certctl check lb.pem --trust-store ./private-ca.pem --json
  certctl check arn:aws:acm:eu-west-1:123456789012:certificate/… \\
      --hostname api.example.com

", "EXIT CODES:
  0  trusted (warnings allowed)
  1  not trusted, or a deny-level finding
  2  bad input (unreadable or malformed certificate, bad hostname)
  3  could not look (network)"))]
    Check(CheckArgs),
    /// The bundled API Gateway trust store (list, show, export, update, verify), and CA bundles
    /// for an ALB's mutual TLS trust store (bundle, lint).
    #[command(subcommand)]
    Truststore(TruststoreCommand),
    /// Print every certificate of a file, a server's chain or an ACM certificate in detail.
    #[command(after_help = concat!("EXAMPLES:
  certctl inspect fullchain.pem
  certctl inspect https://api.example.com --json
  certctl inspect arn:aws:acm:eu-west-1:123456789012:certificate/…

", "EXIT CODES:
  0  printed
  2  bad input
  3  could not look (network, AWS)"))]
    Inspect(InspectArgs),
    /// Check policies (`policies/gateway.toml` is the built-in one).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// A private root CA for on-prem certificates.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Issue a certificate (`issue onprem`: the on-prem load balancer's leaf; `issue client`: a
    /// client certificate for mutual TLS).
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Renew the on-prem sets of a config when due; safe under cron (lock, atomic swap, rollback).
    #[command(after_help = concat!("EXAMPLES:
  certctl rotate --config /etc/certctl/onprem.toml
  certctl rotate --config onprem.toml --dry-run --json
  certctl rotate --config onprem.toml --force --only onprem-lb

  cron: 17 3 * * * root certctl rotate --config /etc/certctl/onprem.toml -q

", "EXIT CODES:
  0  every set renewed, redeployed or unchanged
  1  a deploy hook or verification failed (each failure named on stderr, also with -q), or a
     certificate is expired
  2  bad config (every problem is listed with its line), an unknown --only set
  3  I/O error (e.g. a full disk, the lock not free within lock-timeout), or a client set's
     re-import to its acm-arn failed (the set rolled back)"))]
    Rotate(RotateArgs),
    /// Every certificate under files and directories, with expiry; Prometheus textfile output.
    #[command(after_help = concat!("EXAMPLES:
  certctl scan /etc/ssl/private /etc/certctl
  certctl scan /etc/certctl --min-days 21 \\
      --metrics /var/lib/node_exporter/textfile/certctl.prom
  certctl scan . --json | jq '.items[] | select(.days_left < 30)'

", "EXIT CODES:
  0  nothing expired or expiring within --min-days
  1  a certificate is expired or expiring
  2  a path does not exist
  3  could not write --metrics"))]
    Scan(ScanArgs),
    /// ACM certificates: request (find-or-request, Route 53 validation, wait), records,
    /// status, list, attach, import, audit.
    #[command(subcommand)]
    Acm(AcmCommand),
    /// Walk the whole path hop by hop (Route 53 → NLB → ALB → live TLS → on-prem → API Gateway)
    /// and say which hop is wrong. Read-only.
    #[command(after_help = concat!("EXAMPLES:
  certctl doctor --hostname api.example.com --rest-api-id a1b2c3d4e5
  certctl doctor --hostname api.example.com --nlb my-nlb --alb my-alb \\
      --onprem-url https://10.0.0.5
  certctl doctor --hostname api.example.com --no-live --json

", "EXIT CODES:
  0  every hop OK (warnings and skipped hops allowed)
  1  a hop FAILed
  2  bad input
  3  AWS could not be queried"))]
    Doctor(DoctorArgs),
    /// Backend mutual TLS on the path: API Gateway's stage presents a client certificate, the
    /// ALB's HTTPS listener verifies it with a trust store (plan, apply, status).
    #[command(subcommand)]
    Mtls(MtlsCommand),
    /// Shell completions on stdout.
    #[command(after_help = "EXAMPLES:
  certctl completions bash > /etc/bash_completion.d/certctl
  certctl completions zsh > \"${fpath[1]}/_certctl\"

EXIT CODES:
  0 printed")]
    Completions {
        /// bash, zsh, fish or powershell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on stdout; every page (one per subcommand) with --dir
    #[command(after_help = "EXAMPLES:
  certctl man > /usr/local/share/man/man1/certctl.1
  certctl man --dir /usr/local/share/man/man1

EXIT CODES:
  0 printed or written, 2 DIR is not a directory, 3 could not write")]
    Man {
        /// Write certctl.1 and one page per subcommand (certctl-truststore-show.1, …) into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The custom hostname (Route 53 alias to the NLB, ACM certificate, integration URI host).
    #[arg(long, value_name = "NAME", value_parser = DnsName::parse_host)]
    pub(crate) hostname: DnsName,
    /// The REST API whose VPC_LINK integration to check.
    #[arg(long, value_name = "ID")]
    pub(crate) rest_api_id: Option<String>,
    /// The stage whose variables fill `${stageVariables.NAME}` in integration URIs and VPC link
    /// ids (without it, such integrations are reported, not guessed).
    #[arg(long, value_name = "STAGE")]
    pub(crate) stage: Option<String>,
    /// The NLB (name or ARN); default: the alias target.
    #[arg(long, value_name = "NAME|ARN")]
    pub(crate) nlb: Option<String>,
    /// The ALB (name or ARN); default: the target registered in the NLB's alb target group.
    #[arg(long, value_name = "NAME|ARN")]
    pub(crate) alb: Option<String>,
    /// The on-prem load balancer's URL, to check its certificate's expiry.
    #[arg(long, value_name = "URL")]
    pub(crate) onprem_url: Option<String>,
    /// Dial HOST:PORT for --onprem-url.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) onprem_connect_to: Option<String>,
    /// Days of validity below which a certificate fails (days: 30, 30d or 4w).
    #[arg(long, value_name = "N", default_value = "30", value_parser = crate::duration::parse_days)]
    pub(crate) min_days: u32,
    /// The store the ALB's chain is judged against (`apigateway`, a PEM bundle or a directory).
    #[arg(long, value_name = "apigateway|FILE|DIR", default_value = "apigateway")]
    pub(crate) trust_store: String,
    /// Dial HOST:PORT for the live TLS hop (SNI stays the hostname).
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) connect_to: Option<String>,
    /// Skip the live TLS hop.
    #[arg(long)]
    pub(crate) no_live: bool,
    /// Connect and handshake timeout of each live hop (e.g. 5s, 1m); never past --timeout.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::duration::parse_positive)]
    pub(crate) connect_timeout: std::time::Duration,
    #[command(flatten)]
    pub(crate) deadline: DeadlineArgs,
    /// Write a Prometheus textfile (atomically): a gauge per hop, the API Gateway verdict, and
    /// the expiry of every certificate on the path.
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AcmCommand {
    /// Find or request a DNS-validated certificate for HOST; optionally UPSERT the validation
    /// records in Route 53 and wait until it is issued.
    #[command(after_help = concat!("EXAMPLES:
  certctl acm request api.example.com --route53-zone auto --wait
  certctl acm request api.example.com --san www.example.com \\
      --key-algorithm ec-p256 --dry-run
  certctl acm request api.example.com --json > request.json

", "EXIT CODES:
  0  found or requested (and issued, with --wait)
  1  validation failed, or still pending at --timeout (acm-validation-pending)
  2  bad input (names, zone, flags)
  3  AWS could not be reached or refused (credentials, permissions)"))]
    Request(AcmRequestArgs),
    /// The DNS validation records of a certificate (by ARN, or the certificate for HOST).
    #[command(after_help = concat!("EXAMPLES:
  certctl acm records api.example.com
  certctl acm records arn:aws:acm:eu-west-1:123456789012:certificate/… \\
      --format zone

", "EXIT CODES:
  0 printed, 2 bad input or no such certificate, 3 AWS error"))]
    Records {
        /// Certificate ARN or host name.
        #[arg(value_name = "ARN|HOST")]
        target: String,
        /// `table`, or `zone` (zone-file lines).
        #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = records_format())]
        format: crate::jobs::acm::RecordsFormat,
        #[command(flatten)]
        deadline: DeadlineArgs,
    },
    /// Status, names, expiry, in-use-by, renewal, and the chain check of the issued
    /// certificate against API Gateway's CA list.
    #[command(after_help = concat!("EXAMPLES:
  certctl acm status api.example.com
  certctl acm status arn:aws:acm:eu-west-1:123456789012:certificate/… --json

", "EXIT CODES:
  0 issued and trusted (or pending), 1 failed or its chain is not trusted, 2 bad input, 3 AWS error"))]
    Status {
        /// Certificate ARN or host name.
        #[arg(value_name = "ARN|HOST")]
        target: String,
        /// Where to look for why a PENDING_VALIDATION certificate is stuck.
        #[command(flatten)]
        dns: DnsArgs,
        #[command(flatten)]
        deadline: DeadlineArgs,
    },
    /// Every certificate in the region (all key types), with status and expiry.
    #[command(after_help = "EXAMPLES:
  certctl acm list --region eu-west-1
  certctl acm list --json | jq '.certificates[] | select(.days_left < 30)'

EXIT CODES:
  0 printed, 3 AWS error")]
    List {
        #[command(flatten)]
        deadline: DeadlineArgs,
    },
    /// Add an ISSUED certificate to an ALB HTTPS listener (SNI list, or as default). Idempotent.
    #[command(after_help = concat!("EXAMPLES:
  certctl acm attach arn:aws:acm:…:certificate/… \\
      --listener arn:aws:elasticloadbalancing:…:listener/app/internal/…/…
  certctl acm attach ARN --listener LISTENER_ARN --default --dry-run

", "EXIT CODES:
  0 attached (or already), 2 not ISSUED, not HTTPS, other region, bad ARN, 3 AWS error"))]
    Attach {
        /// Certificate ARN.
        #[arg(value_name = "ARN")]
        arn: String,
        /// The ALB's HTTPS listener ARN.
        #[arg(long, value_name = "LISTENER_ARN")]
        listener: String,
        /// Make it the listener's default certificate instead of adding it to the SNI list.
        #[arg(long)]
        default: bool,
        /// Print the calls it would make; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        deadline: DeadlineArgs,
    },
    /// Import a certificate, its chain and key into ACM (or re-import it to --arn), after
    /// checking every ACM import requirement (and API Gateway's, for a client certificate)
    /// on the files. Idempotent: the same certificate already imported is reported, not
    /// imported again.
    #[command(after_help = concat!("EXAMPLES:
  certctl acm import --cert client/cert.pem --key client/key.pem \\
      --chain client/chain.pem
  certctl acm import --cert cert.pem --key key.pem --chain chain.pem \\
      --arn arn:aws:acm:eu-west-1:123456789012:certificate/…
  certctl acm import --cert cert.pem --key key.pem --chain chain.pem \\
      --dry-run --json

", "EXIT CODES:
  0  imported, re-imported, or already there (unchanged)
  2  refused: a requirement is not met (each finding named with its fix), a bad --arn or
     file; nothing was written
  3  AWS error"))]
    Import(AcmImportArgs),
    /// Every certificate of the account in one or more regions (all key types): type, status,
    /// expiry, use, renewal, and whether each DNS validation CNAME is still in its Route 53
    /// zone. Findings with fixes; `--metrics` for a textfile collector. Read-only.
    #[command(after_help = concat!("EXAMPLES:
  certctl acm audit --all-regions
  certctl acm audit --region eu-west-1 --region us-east-1 --json
  certctl acm audit --all-regions \\
      --metrics /var/lib/node_exporter/textfile/certctl-acm.prom -q

", "EXIT CODES:
  0  no deny-level finding (warnings allowed)
  1  a deny-level finding (expires-soon, failed, renewal-failed, validation-record-missing, …)
  2  bad input (region name, flags)
  3  AWS could not be queried (in every region; or in some, with no deny-level finding elsewhere), or --metrics could not be written"))]
    Audit(AcmAuditArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AcmImportArgs {
    /// The certificate, alone (PEM).
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: PathBuf,
    /// Its private key (PEM, unencrypted, mode 0600): sent to ACM, never printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The issuing CA certificates, the certificate's issuer first, the root last (PEM;
    /// certctl's chain.pem). Leave it out for a self-signed certificate.
    #[arg(long, value_name = "FILE")]
    pub(crate) chain: Option<PathBuf>,
    /// Re-import to this certificate (same ARN: listeners and stages using it pick it up).
    #[arg(long, value_name = "ARN")]
    pub(crate) arn: Option<String>,
    /// Whose rules apply besides ACM's: apigateway (a stage's client certificate: chain of at
    /// most 5, clientAuth, key type), alb (ACM's only), or auto (apigateway for a certificate
    /// with clientAuth and without serverAuth).
    #[arg(long = "for", value_name = "USE", default_value = "auto", value_parser = import_use())]
    pub(crate) usage: crate::acm_import::ImportUse,
    /// Tags for a new certificate (ACM takes none on a re-import).
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) tag: Vec<String>,
    /// Check and print the call it would make; import nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) deadline: DeadlineArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AcmAuditArgs {
    /// Every region enabled by default in an AWS account (17); opt-in regions are added with
    /// --region.
    #[arg(long)]
    pub(crate) all_regions: bool,
    /// Report certificates expiring within N days (imported ones are never renewed by ACM);
    /// days: 30, 30d or 4w.
    #[arg(long, value_name = "N", default_value = "30", value_parser = crate::duration::parse_days)]
    pub(crate) min_days: u32,
    /// A certificate still PENDING_VALIDATION after this long is stuck: a bare number is
    /// hours, like the JSON field `stuck_after_hours` (24 = 24h); or with a unit (90m, 2d).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = crate::duration::parse_hours)]
    pub(crate) stuck_after: std::time::Duration,
    /// At most N regions are queried at once.
    #[arg(long, value_name = "N", default_value_t = 17)]
    pub(crate) concurrency: usize,
    /// Write a Prometheus textfile (atomically) for node_exporter's textfile collector.
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) dns: DnsArgs,
    #[command(flatten)]
    pub(crate) deadline: DeadlineArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MtlsCommand {
    /// The AWS calls `mtls apply` would make, in order, with their parameters (or "nothing to
    /// do"). Read-only; the client certificate is verified against the new bundle first.
    #[command(after_help = concat!("EXAMPLES:
  certctl mtls plan --rest-api-id a1b2c3d4e5 --stage prod \\
      --listener arn:aws:elasticloadbalancing:…:listener/app/alb/… \\
      --bucket s3://my-bundles/alb/clients.pem \\
      --client-set /etc/certctl/apigw-client
  certctl mtls plan … --client-cert-arn arn:aws:acm:…:certificate/… \\
      --ca /etc/certctl/client-ca --json

", "EXIT CODES:
  0  planned, or nothing to do
  1  the ALB would not admit the client certificate with this bundle, or the listener
     verifies with another trust store (without --replace-trust-store)
  2  bad input (flags, files, a client set the import refuses)
  3  AWS could not be read"))]
    Plan(MtlsChangeArgs),
    /// Make the path verify API Gateway's client certificate, in the safe order: bundle to S3,
    /// trust store (ACTIVE), the stage's certificate, then, only if the ALB admits what the
    /// stage presents, the listener in verify mode. Idempotent; a rerun after a failure
    /// continues.
    #[command(after_help = concat!("EXAMPLES:
  certctl mtls apply --rest-api-id a1b2c3d4e5 --stage prod \\
      --listener arn:aws:elasticloadbalancing:…:listener/app/alb/… \\
      --bucket s3://my-bundles/alb/clients.pem \\
      --client-set /etc/certctl/apigw-client --ca /etc/certctl/client-ca
  certctl mtls apply … --trust-store-name backend-clients --timeout 10m

", "EXIT CODES:
  0  applied, or already so (every step unchanged)
  1  refused: the gate (the ALB would not admit the stage's certificate), or another trust
     store on the listener; nothing past the refusal was written
  2  bad input
  3  an AWS call failed mid-way: the report says what was done; running it again is safe"))]
    Apply(MtlsChangeArgs),
    /// Judge what is live: the listener's mode and trust store (its bundle linted), the stage's
    /// client certificate (type, expiry, clientAuth, chain depth) and whether the ALB admits
    /// it, with the connection log's code when not. Read-only.
    #[command(after_help = concat!("EXAMPLES:
  certctl mtls status --rest-api-id a1b2c3d4e5 --stage prod \\
      --listener arn:aws:elasticloadbalancing:…:listener/app/alb/…
  certctl mtls status … --min-days 45 --json

", "EXIT CODES:
  0  the ALB admits the stage's certificate (warnings allowed)
  1  a deny-level finding (no certificate, refused, expired or expiring)
  2  bad input
  3  AWS could not be queried"))]
    Status(MtlsStatusArgs),
}

/// The path `mtls` works on.
#[derive(Debug, Args)]
pub(crate) struct MtlsPathArgs {
    /// The REST API whose stage presents the client certificate.
    #[arg(long, value_name = "ID")]
    pub(crate) rest_api_id: String,
    /// The stage.
    #[arg(long, value_name = "NAME")]
    pub(crate) stage: String,
    /// The ALB's HTTPS listener (ARN).
    #[arg(long, value_name = "ARN")]
    pub(crate) listener: String,
}

#[derive(Debug, Args)]
pub(crate) struct MtlsChangeArgs {
    #[command(flatten)]
    pub(crate) path: MtlsPathArgs,
    /// Where the CA bundle goes (a versioned bucket keeps every bundle).
    #[arg(long, value_name = "s3://BUCKET/KEY")]
    pub(crate) bucket: String,
    /// The client certificate: an ACM certificate (ISSUED; imported or private).
    #[arg(
        long,
        value_name = "ARN",
        required_unless_present = "client_set",
        conflicts_with = "client_set"
    )]
    pub(crate) client_cert_arn: Option<String>,
    /// The client certificate: a set written by `certctl issue client`, imported into ACM
    /// (found by fingerprint when it already is).
    #[arg(long, value_name = "DIR")]
    pub(crate) client_set: Option<PathBuf>,
    /// The CAs the ALB trusts: PEM files or certctl CA directories (default: the root of the
    /// client set's chain.pem; required with --client-cert-arn).
    #[arg(long, value_name = "FILE|DIR", num_args = 1..)]
    pub(crate) ca: Vec<PathBuf>,
    /// The trust store's name (default certctl-<load balancer>-<port>).
    #[arg(long, value_name = "NAME")]
    pub(crate) trust_store_name: Option<String>,
    /// Point a listener that verifies with another trust store at this one.
    #[arg(long)]
    pub(crate) replace_trust_store: bool,
    #[command(flatten)]
    pub(crate) deadline: DeadlineArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MtlsStatusArgs {
    #[command(flatten)]
    pub(crate) path: MtlsPathArgs,
    /// Days of validity below which the client certificate fails (days: 30, 30d or 4w).
    #[arg(long, value_name = "N", default_value = "30", value_parser = crate::duration::parse_days)]
    pub(crate) min_days: u32,
    #[command(flatten)]
    pub(crate) deadline: DeadlineArgs,
}

/// The deadline of a command that calls AWS, resolves names or dials a server.
#[derive(Debug, Args, Clone)]
pub(crate) struct DeadlineArgs {
    /// The deadline of the whole command (e.g. 30s, 5m): every AWS call, retry, DNS look-up
    /// and live TLS fetch ends by then; past it, exit 3 naming the step that was running.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::duration::parse_positive)]
    pub(crate) timeout: std::time::Duration,
}

/// How the DNS causes of a stuck validation are looked up.
#[derive(Debug, Args, Clone)]
pub(crate) struct DnsArgs {
    /// The DNS resolver to ask (default: the system's); without one reachable the DNS checks
    /// are skipped, with the reason.
    #[arg(long, value_name = "IP[:PORT]")]
    pub(crate) resolver: Option<String>,
    /// The port the parent zone's name servers are asked on, for the delegation check.
    #[arg(long, value_name = "PORT", default_value_t = 53)]
    pub(crate) nameserver_port: u16,
    /// How long one DNS look-up may take (at most 60s).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = crate::duration::parse_positive)]
    pub(crate) dns_timeout: std::time::Duration,
    /// No DNS checks (CNAME over DNS, delegation, CAA).
    #[arg(long)]
    pub(crate) no_dns: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AcmRequestArgs {
    /// The host name (the NLB alias API Gateway's integration uses).
    #[arg(value_name = "HOST", value_parser = DnsName::parse_acm)]
    pub(crate) host: DnsName,
    /// More names on the same certificate.
    #[arg(long, value_name = "NAME", value_parser = DnsName::parse_acm)]
    pub(crate) san: Vec<DnsName>,
    /// The key ACM makes.
    #[arg(long, value_name = "ALG", default_value = "rsa-2048", value_parser = acm_key_algorithm())]
    pub(crate) key_algorithm: crate::jobs::acm::AcmKeyAlgorithm,
    /// UPSERT the validation CNAMEs in Route 53: `auto` (the public zone with the longest
    /// matching suffix) or a hosted zone id.
    #[arg(long, value_name = "auto|ZONE_ID")]
    pub(crate) route53_zone: Option<String>,
    /// Wait until ISSUED (progress on stderr).
    #[arg(long)]
    pub(crate) wait: bool,
    /// The deadline of the whole command, every AWS call, retry and wait included (e.g. 30m,
    /// 90s); default 2m, 10m with --wait.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_positive)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// Tags for a new certificate.
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) tag: Vec<String>,
    /// Print the AWS calls and Route 53 changes it would make; change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Most names per certificate (ACM's default quota is 10).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) max_names: usize,
    /// Time between the first status polls (grows to 30 s).
    #[arg(long, value_name = "DURATION", default_value = "2s", hide = true, value_parser = crate::duration::parse_positive)]
    pub(crate) poll_interval: std::time::Duration,
    /// Where to look for why validation is stuck, when --wait times out.
    #[command(flatten)]
    pub(crate) dns: DnsArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CaCommand {
    /// Create a private root CA (ca.pem, ca.key at 0600); never overwrites without --force.
    #[command(after_help = "EXAMPLES:
  certctl ca init --dir /etc/certctl/ca --name \"Example On-Prem CA\"
  certctl ca init --dir ./ca --key rsa-3072 --days 3650

EXIT CODES:
  0 created, 2 bad input or a CA already there, 3 could not write")]
    Init {
        /// Directory for ca.pem and ca.key (created 0700).
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The CA's common name.
        #[arg(long, value_name = "CN", default_value = "certctl on-prem CA")]
        name: String,
        /// Key algorithm.
        #[arg(long, value_name = "ALG", default_value = "ecdsa-p256", value_parser = key_alg())]
        key: crate::keys::KeyAlg,
        /// Validity in days.
        #[arg(long, value_name = "N", default_value_t = 3650)]
        days: u32,
        /// Replace an existing CA.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum IssueCommand {
    /// A leaf for the on-prem load balancer: self-signed, or from `--ca DIR`.
    #[command(after_help = concat!("EXAMPLES:
  certctl issue onprem --dns lb.onprem.example.internal --ip 10.0.0.5 \\
      --out-dir /etc/certctl/onprem-lb
  certctl issue onprem --dns lb.example.internal --ca /etc/certctl/ca \\
      --key rsa-2048 --out-dir ./lb
  CERTCTL_P12_PASSWORD=... certctl issue onprem --dns f5.example.internal \\
      --format pkcs12 --out-dir ./f5

  Writes cert.pem, key.pem (0600), chain.pem (the issuer chain), fullchain.pem (what a server
  sends: the leaf and intermediates, the root only with --include-root); haproxy.pem
  (fullchain+key) with
  --format haproxy; cert.p12 with --format pkcs12 (password from --p12-password-file or the
  CERTCTL_P12_PASSWORD environment variable, never a flag value).

", "EXIT CODES:
  0  issued
  2  bad input (name, IP, days, CA, a pair already there without --force)
  3  I/O error"))]
    Onprem(IssueOnpremArgs),
    /// A client certificate for mutual TLS (clientAuth only), signed by a `ca init` CA: what
    /// API Gateway presents to an ALB that verifies clients.
    #[command(after_help = concat!("EXAMPLES:
  certctl issue client --ca /etc/certctl/ca --cn apigw-prod \\
      --out-dir /etc/certctl/apigw-client
  certctl issue client --ca /etc/certctl/ca --cn apigw-prod \\
      --key-type rsa-2048 --days 180 --out-dir ./client --force --json

  Writes cert.pem, key.pem (0600), chain.pem (the issuing CA chain, leaf excluded: what
  `acm import --chain` takes and what the ALB's trust store holds), fullchain.pem (the leaf
  and intermediates). With --force the previous set is kept for rollback.

", "EXIT CODES:
  0  issued
  2  bad input (common name, DNS name, days, CA, a set already there without --force)
  3  I/O error"))]
    Client(IssueClientArgs),
}

#[derive(Debug, Args)]
pub(crate) struct IssueClientArgs {
    /// The CA that signs it (a directory from `certctl ca init`).
    #[arg(long, value_name = "DIR")]
    pub(crate) ca: PathBuf,
    /// The client's common name (what the server logs and forwards).
    #[arg(long, value_name = "NAME")]
    pub(crate) cn: String,
    /// Optional DNS names (subjectAltName); most servers ignore them on a client certificate.
    #[arg(long, value_name = "NAME", num_args = 1.., value_parser = DnsName::parse_san)]
    pub(crate) dns: Vec<DnsName>,
    /// Key algorithm (API Gateway presents RSA 2048/3072/4096 or ECDSA P-256/P-384 keys).
    #[arg(long, visible_alias = "key-type", value_name = "ALG", default_value = "ecdsa-p256", value_parser = key_alg())]
    pub(crate) key: crate::keys::KeyAlg,
    /// Validity in days (capped at the CA's expiry).
    #[arg(long, value_name = "N", default_value_t = 365)]
    pub(crate) days: u32,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: PathBuf,
    /// Replace an existing set (the old one is kept for rollback).
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IssueOnpremArgs {
    /// DNS names (the first is also the CN).
    #[arg(long, value_name = "NAME", num_args = 1.., value_parser = DnsName::parse_san)]
    pub(crate) dns: Vec<DnsName>,
    /// IP address SANs.
    #[arg(long, value_name = "ADDR", num_args = 1.., value_parser = parse_ip)]
    pub(crate) ip: Vec<std::net::IpAddr>,
    /// Sign with this CA (from `certctl ca init`); default: self-signed.
    #[arg(long, value_name = "DIR")]
    pub(crate) ca: Option<PathBuf>,
    /// Key algorithm.
    #[arg(long, value_name = "ALG", default_value = "ecdsa-p256", value_parser = key_alg())]
    pub(crate) key: crate::keys::KeyAlg,
    /// Validity in days (capped at the CA's expiry).
    #[arg(long, value_name = "N", default_value_t = 365)]
    pub(crate) days: u32,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: PathBuf,
    /// Extra formats, repeated or comma-separated (pem is always written).
    #[arg(long, value_name = "FORMAT", value_delimiter = ',', value_parser = issue_format())]
    pub(crate) format: Vec<crate::rotation::Format>,
    /// File whose first line is the PKCS#12 password.
    #[arg(long, value_name = "FILE")]
    pub(crate) p12_password_file: Option<PathBuf>,
    /// Replace an existing pair (the old one is kept for rollback).
    #[arg(long)]
    pub(crate) force: bool,
    /// Also put the root CA into fullchain.pem (and haproxy.pem); by default a server sends
    /// only the leaf and intermediates, since clients must hold the root already.
    #[arg(long, requires = "ca")]
    pub(crate) include_root: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The rotation config (`certctl rotate --example-config` prints a documented one).
    #[arg(long, value_name = "FILE", default_value = "/etc/certctl/onprem.toml")]
    pub(crate) config: PathBuf,
    /// Print a documented example config (every key, with its default) and exit.
    #[arg(long, conflicts_with_all = ["force", "dry_run", "only"])]
    pub(crate) example_config: bool,
    /// Renew every set now.
    #[arg(long)]
    pub(crate) force: bool,
    /// Print what would change; write and run nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Only these sets (by name).
    #[arg(long, value_name = "NAME")]
    pub(crate) only: Vec<String>,
    /// Bounds the AWS calls of client sets with `acm-arn` (read, re-import).
    #[command(flatten)]
    pub(crate) deadline: DeadlineArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files and directories (recursive).
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Report certificates expiring within N days (days: 30, 30d or 4w).
    #[arg(long, value_name = "N", default_value = "30", value_parser = crate::duration::parse_days)]
    pub(crate) min_days: u32,
    /// Write a Prometheus textfile (atomically) for node_exporter's textfile collector.
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics: Option<PathBuf>,
    /// Also look into hidden files and directories (certctl's kept versions live in .sets/).
    #[arg(long)]
    pub(crate) hidden: bool,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// Files larger than this are not read and are reported as `too-large` problems (exit 1);
    /// bytes or with a unit: 1048576, 512KiB, 4MiB.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = crate::input_file::parse_size)]
    pub(crate) max_file_size: u64,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// A PEM or DER file (leaf and intermediates in any order), https://host[:port], or an ACM
    /// certificate ARN (the chain ACM serves, via GetCertificate).
    #[arg(value_name = "TARGET")]
    pub(crate) target: String,
    /// More candidate intermediates (PEM bundle or DER).
    #[arg(long, value_name = "FILE")]
    pub(crate) chain: Vec<PathBuf>,
    /// `apigateway` (the bundled list, default), or a PEM bundle / directory of PEM roots.
    #[arg(long, value_name = "apigateway|FILE|DIR", default_value = "apigateway")]
    pub(crate) trust_store: String,
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
    /// Report `expires-soon` when a certificate of the path expires within N days
    /// (days: 14, 14d or 2w; default: the policy's min-days, 30).
    #[arg(long, value_name = "N", value_parser = crate::duration::parse_days)]
    pub(crate) min_days: Option<u32>,
    /// The policy: `gateway` (built in, default), `strict` (built in: gateway plus the
    /// RFC 5280 / CA/B structural lints), or a policy file.
    #[arg(long, value_name = "gateway|strict|FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Write the corrected chain (leaf, intermediates in order, no root) to OUT.
    #[arg(long, value_name = "OUT")]
    pub(crate) fix_chain: Option<PathBuf>,
    /// Judge as API Gateway does for an integration with tlsConfig.insecureSkipVerification:
    /// no CA list, but expiry, the hostname and a root with CA:TRUE and keyCertSign still count.
    #[arg(long, conflicts_with_all = ["trust_store", "fix_chain"])]
    pub(crate) skip_verification: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TruststoreCommand {
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
  certctl truststore show 8DA7F965EC5EFC37910F1C6E59FDC1CC6A6EDE16

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
  certctl truststore update --from saved-page.txt --out apigateway-cas.tsv
  certctl truststore update --from saved-page.txt --out apigateway-cas.tsv \\
      --dry-run

EXIT CODES:
  0 written (or nothing changed), 2 the page could not be parsed or would drop more than
  10% of the aliases (--allow-shrink), 3 could not write")]
    Update {
        /// The saved page (text).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Where to write the refreshed list (refreshes that file when it exists, else the
        /// list built into certctl).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Report added/removed aliases without writing.
        #[arg(long)]
        dry_run: bool,
        /// Write even when the page drops more than 10% of the aliases (a truncated save of
        /// the page is refused otherwise).
        #[arg(long)]
        allow_shrink: bool,
    },
    /// Write a CA bundle an ALB trust store accepts (mutual TLS, verify mode): PEM, no blank
    /// lines, a `#` comment per CA, duplicates dropped; refuses client (non-CA) and expired
    /// certificates.
    #[command(after_help = concat!("EXAMPLES:
  certctl truststore bundle --for alb /etc/certctl/ca/ca.pem --out bundle.pem
  certctl truststore bundle --for alb root.pem issuing.pem --out -
  certctl truststore bundle --for alb root.pem issuing.pem --out - --json

  The bundle is what CreateTrustStore / ModifyTrustStore read from S3.

", "EXIT CODES:
  0  written
  2  bad input (unreadable file, a non-CA or expired certificate, more than 25 CAs)
  3  could not write"))]
    Bundle {
        /// Where the bundle goes (`alb`: an Application Load Balancer trust store).
        #[arg(long = "for", value_name = "TARGET", value_enum)]
        target: BundleFor,
        /// CA certificate files (PEM with any surrounding text, or DER).
        #[arg(value_name = "CA_FILE", required = true)]
        cas: Vec<PathBuf>,
        /// The bundle file to write (atomically), or `-` for stdout.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Judge a CA bundle as an ALB trust store would (format, limits, CA certificates, expiry)
    /// and, with --client, whether the ALB admits each client chain and at what depth.
    #[command(after_help = concat!("EXAMPLES:
  certctl truststore lint --for alb bundle.pem
  certctl truststore lint --for alb bundle.pem --client client.pem
  certctl truststore lint --for alb bundle.pem --client client.pem --json

", "EXIT CODES:
  0  the ALB accepts the bundle and admits every --client (warnings allowed)
  1  a deny-level finding, or a --client the ALB would refuse
  2  bad input (unreadable bundle, unreadable or malformed --client file)"))]
    Lint {
        /// Whose rules to apply (`alb`: an Application Load Balancer trust store).
        #[arg(long = "for", value_name = "TARGET", value_enum)]
        target: BundleFor,
        /// The bundle to judge.
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
        /// A client chain file (leaf first) to verify against the bundle; repeatable.
        #[arg(long, value_name = "FILE")]
        client: Vec<PathBuf>,
    },
    /// Recompute every shipped root's fingerprints against the list.
    #[command(after_help = "EXAMPLES:
  certctl truststore verify

EXIT CODES:
  0 every shipped root matches the list, 1 a mismatch")]
    Verify,
}

/// `truststore bundle|lint --for`: whose trust store the bundle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BundleFor {
    /// An Application Load Balancer trust store (mutual TLS, verify mode).
    Alb,
}

impl BundleFor {
    pub(crate) fn target(self) -> crate::albtrust::BundleTarget {
        match self {
            BundleFor::Alb => crate::albtrust::BundleTarget::Alb,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// A PEM or DER file, https://host[:port], or an ACM certificate ARN.
    #[arg(value_name = "FILE|URL|ARN")]
    pub(crate) target: String,
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
}

/// How to reach and name a server (targets that are https:// URLs).
#[derive(Debug, Args, Clone)]
pub(crate) struct FetchArgs {
    /// The name to check and to send as SNI (DNS name or IP); default: the URL's host. For
    /// files, no name check unless given.
    #[arg(long, value_name = "NAME", value_parser = Hostname::parse)]
    pub(crate) hostname: Option<Hostname>,
    /// Dial HOST:PORT instead of the URL's address, still sending SNI for the hostname.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) connect_to: Option<String>,
    /// The deadline of the whole command (e.g. 10s, 1m): resolving, connecting, the handshake
    /// and reading the chain of a URL; the AWS calls for an ARN. Default 10s for a URL, 2m for
    /// an ARN.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_positive)]
    pub(crate) timeout: Option<std::time::Duration>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
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
    /// Print a built-in policy (`gateway`, the default of `check`, or `strict`) as TOML: a
    /// documented starting point for a policy file of your own.
    #[command(after_help = "EXAMPLES:
  certctl policy show gateway
  certctl policy show strict --json

EXIT CODES:
  0 printed, 2 no such built-in policy")]
    Show {
        /// The built-in policy.
        #[arg(value_name = "NAME", default_value = "gateway", value_parser = ["gateway", "strict"])]
        name: String,
    },
}

// Values certctl parses itself. Each parser refuses a value with the message and hint the
// command would give for it (`BadValue`), which the binary prints like any other bad input
// (`error:` and `hint:` lines, exit 2) instead of clap's "invalid value" text.

/// A flag value certctl refused: the one-line message and, when there is one, a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BadValue {
    pub message: String,
    pub hint: Option<String>,
}

impl BadValue {
    fn new(message: impl ToString, hint: Option<&str>) -> BadValue {
        BadValue {
            message: message.to_string(),
            hint: hint.map(str::to_string),
        }
    }

    /// The refusal behind a command-line error, when one of certctl's parsers refused a value.
    pub fn of(e: &clap::Error) -> Option<&BadValue> {
        std::error::Error::source(e)?.downcast_ref()
    }
}

/// A value parsed by one of the functions below; help and completions list `names`.
#[derive(Clone)]
struct Checked<T> {
    parse: fn(&str) -> Result<T, BadValue>,
    names: fn() -> Vec<&'static str>,
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        self.parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.names)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// `--key`: `ecdsa-p256` and the other algorithms `issue onprem` and `ca init` make.
fn key_alg() -> Checked<crate::keys::KeyAlg> {
    Checked {
        parse: |s| s.parse().map_err(|e| BadValue::new(e, None)),
        names: || crate::keys::KeyAlg::ALL.map(|k| k.name()).to_vec(),
    }
}

/// `acm request --key-algorithm`.
fn acm_key_algorithm() -> Checked<crate::jobs::acm::AcmKeyAlgorithm> {
    use crate::jobs::acm::AcmKeyAlgorithm;
    Checked {
        parse: |s| s.parse().map_err(refused),
        names: || AcmKeyAlgorithm::ALL.map(|k| k.name()).to_vec(),
    }
}

/// `issue onprem --format`: one format (the flag splits a comma list); `p12` is `pkcs12`.
fn issue_format() -> Checked<crate::rotation::Format> {
    use crate::rotation::Format;
    Checked {
        parse: |s| match s.trim() {
            "pem" => Ok(Format::Pem),
            "haproxy" => Ok(Format::Haproxy),
            "pkcs12" | "p12" => Ok(Format::Pkcs12),
            other => Err(BadValue::new(
                format!("unknown --format \"{other}\""),
                Some("formats: pem, haproxy, pkcs12"),
            )),
        },
        names: || vec!["pem", "haproxy", "pkcs12"],
    }
}

/// `acm import --for`.
fn import_use() -> Checked<crate::acm_import::ImportUse> {
    use crate::acm_import::ImportUse;
    Checked {
        parse: |s| match s {
            "auto" => Ok(ImportUse::Auto),
            "apigateway" => Ok(ImportUse::Apigateway),
            "alb" => Ok(ImportUse::Alb),
            _ => Err(BadValue::new(
                format!("unknown --for \"{s}\" (expected auto, apigateway or alb)"),
                None,
            )),
        },
        names: || vec!["auto", "apigateway", "alb"],
    }
}

/// `acm records --format`.
fn records_format() -> Checked<crate::jobs::acm::RecordsFormat> {
    use crate::jobs::acm::RecordsFormat;
    Checked {
        parse: |s| {
            RecordsFormat::ALL
                .into_iter()
                .find(|f| f.name() == s)
                .ok_or_else(|| {
                    BadValue::new(
                        format!("unknown --format \"{s}\" (expected table or zone)"),
                        None,
                    )
                })
        },
        names: || RecordsFormat::ALL.map(|f| f.name()).to_vec(),
    }
}

/// `--at`: an RFC 3339 instant as Unix seconds, between 1950-01-01 and 9999-12-31 (what
/// certificates can encode).
/// A date alone (`2027-01-01`) is that day's midnight UTC.
pub(crate) fn parse_at(s: &str) -> Result<i64, BadValue> {
    const HINT: Option<&str> =
        Some("use RFC 3339 (2026-01-01T00:00:00Z) or a date (2026-01-01, midnight UTC)");
    let rfc3339 = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp());
    let date = || {
        let f = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &f).map(|d| d.midnight().assume_utc().unix_timestamp())
    };
    let at = rfc3339.or_else(|_| date()).map_err(|_| {
        BadValue::new(
            format!("bad --at \"{s}\": not an RFC 3339 instant or a date"),
            HINT,
        )
    })?;
    const Y1950: i64 = -631_152_000;
    if !(Y1950..=crate::mint::MAX_TIME).contains(&at) {
        return Err(BadValue::new(
            format!(
                "bad --at \"{s}\": must be between 1950-01-01T00:00:00Z and 9999-12-31T23:59:59Z"
            ),
            HINT,
        ));
    }
    Ok(at)
}

/// A job's refusal of a value, with the job's own message and hint.
fn refused<E: crate::jobs::JobError>(e: E) -> BadValue {
    BadValue {
        message: e.to_string(),
        hint: e.hint(),
    }
}

/// A host name for TLS (`check`/`inspect --hostname`): a DNS name or an IP literal, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hostname(String);

impl Hostname {
    fn parse(s: &str) -> Result<Hostname, BadValue> {
        crate::target::server_name(s).map_err(refused)?;
        Ok(Hostname(s.to_string()))
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

/// A DNS name that can go into a certificate, as given (where certctl uses it, it lower-cases
/// it and writes IDNs in punycode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DnsName(String);

impl DnsName {
    /// `doctor --hostname`: refused as `check` refuses a bad hostname.
    fn parse_host(s: &str) -> Result<DnsName, BadValue> {
        use crate::target::InputError;
        crate::names::dns_name(s)
            .map_err(|_| refused(InputError::BadHostname { name: s.into() }))?;
        Ok(DnsName(s.to_string()))
    }

    /// `issue onprem --dns`.
    fn parse_san(s: &str) -> Result<DnsName, BadValue> {
        use crate::jobs::onprem::issue::IssueError;
        crate::names::dns_name(s).map_err(|e| refused(IssueError::Name(e)))?;
        Ok(DnsName(s.to_string()))
    }

    /// `acm request HOST` and `--san`.
    fn parse_acm(s: &str) -> Result<DnsName, BadValue> {
        use crate::jobs::acm::AcmError;
        crate::names::dns_name(s).map_err(|e| refused(AcmError::Name(e)))?;
        Ok(DnsName(s.to_string()))
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

/// `issue onprem --ip`: an IPv4 or IPv6 address (brackets allowed).
fn parse_ip(s: &str) -> Result<std::net::IpAddr, BadValue> {
    use crate::jobs::onprem::issue::IssueError;
    crate::names::ip_addr(s).map_err(|e| refused(IssueError::Name(e)))
}
