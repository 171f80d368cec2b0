//! The composition root: turns parsed arguments into a job, its report into output and an exit code.

use crate::cli::{
    AcmCommand, CaCommand, Cli, Command, DnsName, Global, Hostname, IssueCommand, PolicyCommand,
    TruststoreCommand,
};
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::exit::ExitStatus;
use crate::jobs::{self, check::CheckRequest, JobError};
use crate::output::{Printer, PrinterOptions};
use crate::rotation::Format;

/// A failure that stops a command, with its exit code and an optional hint.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: anyhow::Error,
    pub(crate) exit_code: ExitStatus,
    pub(crate) hint: Option<String>,
    /// What was already changed when the command failed.
    pub(crate) changes: Vec<jobs::Change>,
    /// The step that was running when the command's deadline passed.
    pub(crate) step: Option<String>,
    /// The underlying library's own account of the failure (printed with -v).
    pub(crate) detail: Option<String>,
    /// Each problem of an invalid input, one `caused by:` line each. Boxed on purpose: a
    /// `Failure` is every command's `Err`, and a thin pointer keeps it under clippy's
    /// large-error limit (a `Vec` or a boxed slice would not).
    #[allow(clippy::box_collection)]
    pub(crate) problems: Box<Vec<String>>,
}

impl Failure {
    fn new(
        error: impl Into<anyhow::Error>,
        exit_code: ExitStatus,
        hint: Option<String>,
    ) -> Failure {
        Failure {
            error: error.into(),
            exit_code,
            hint,
            changes: Vec::new(),
            step: None,
            detail: None,
            problems: Box::default(),
        }
    }
}

/// An AWS error of the composition root itself (making the clients, GetCertificate).
fn aws_failure(e: crate::aws::AwsError) -> Failure {
    let (code, hint) = (e.exit_code(), e.hint());
    let step = e.deadline_step().map(str::to_string);
    let detail = e.detail().map(str::to_string);
    Failure {
        step,
        detail,
        ..Failure::new(e, code, hint)
    }
}

/// A job's error as a failure, with its exit code and hint.
fn fail<E: JobError>(e: E) -> Failure {
    let (code, hint, changes) = (e.exit_code(), e.hint(), e.changes());
    let (step, detail, problems) = (e.step(), e.detail(), Box::new(e.problems()));
    Failure {
        changes,
        step,
        detail,
        problems,
        ..Failure::new(e, code, hint)
    }
}

/// A certificate made at `at` and valid `days` must end by 9999-12-31 (checked before any
/// key is generated or file touched).
fn check_validity(at: i64, days: u32) -> Result<(), Failure> {
    if crate::mint::validity_encodable(at, days) {
        return Ok(());
    }
    Err(Failure::new(
        anyhow::anyhow!(
            "a certificate valid {days} days from {} would end after 9999-12-31T23:59:59Z, which X.509 cannot encode",
            crate::x509::rfc3339(at)
        ),
        ExitStatus::BadInput,
        Some("use an earlier --at or fewer --days".into()),
    ))
}

/// The clock, read once by `main`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The instant commands evaluate at when `--at` is not given.
    pub now: i64,
    /// The real clock a certificate that is written and deployed (by `rotate`) must already be
    /// valid at. The same as `now`, except that debug builds let the tests pin it.
    pub wall: i64,
}

/// Runs one command at the clock `main` read.
pub fn run(cli: Cli, clock: Clock) -> ExitStatus {
    // The instant every command's deadline (`--timeout`) is measured from.
    let started = std::time::Instant::now();
    let now = clock.now;
    let g = &cli.global;
    let printer = Printer::new(PrinterOptions {
        json: g.json,
        quiet: g.quiet,
        verbose: g.verbose,
        color: !g.no_color,
    });
    let at = g.at.unwrap_or(now);
    let result = dispatch(cli.command, &cli.global, at, clock.wall, started, &printer);
    let code = exit_code(result, &printer);
    // A report that did not reach stdout (a full disk, a closed pipe) is an I/O failure.
    match crate::output::stdout_error() {
        Some((kind, message)) => {
            if kind != std::io::ErrorKind::BrokenPipe {
                printer.error(
                    &format!("cannot write to stdout: {message}"),
                    &[],
                    None,
                    ExitStatus::Operational,
                );
            }
            ExitStatus::Operational
        }
        None => code,
    }
}

fn exit_code(result: Result<ExitStatus, Failure>, printer: &Printer) -> ExitStatus {
    match result {
        Ok(code) => code,
        Err(f) => {
            // Causes already spelled out in the message above them are not repeated.
            let mut causes: Vec<String> = *f.problems.clone();
            let mut shown = f.error.to_string();
            for c in f.error.chain().skip(1) {
                let text = c.to_string();
                if !shown.contains(&text) {
                    causes.push(text.clone());
                }
                shown = text;
            }
            if let (true, Some(d)) = (printer.verbose > 0, &f.detail) {
                causes.push(d.clone());
            }
            printer.error_with_changes(
                &f.error.to_string(),
                &causes,
                f.hint.as_deref(),
                f.exit_code,
                &f.changes,
                f.step.as_deref(),
            );
            f.exit_code
        }
    }
}

/// Where and how to reach AWS, from the global flags; `deadline`: no call outlives it.
fn aws_target(g: &Global, deadline: Deadline) -> Result<crate::aws::AwsTarget, Failure> {
    // At most an hour: a longer attempt is a hang, not a slow answer.
    let attempt_timeout = g
        .aws_timeout
        .map(|t| t.min(std::time::Duration::from_secs(3600)));
    let target = crate::aws::AwsTarget {
        profile: g.profile.clone(),
        region: g.region.first().cloned(),
        endpoint_url: g.endpoint_url.clone(),
        max_attempts: g.max_attempts,
        attempt_timeout,
        deadline,
    };
    Ok(target)
}

/// The AWS clients; `deadline`: no call outlives it (there is no way to make them without).
fn aws(g: &Global, deadline: Deadline) -> Result<crate::aws::sdk::Sdk, Failure> {
    if g.region.len() > 1 {
        return Err(Failure::new(
            anyhow::anyhow!("--region given {} times", g.region.len()),
            ExitStatus::BadInput,
            Some("only `acm audit` takes several regions".into()),
        ));
    }
    let target = aws_target(g, deadline)?;
    crate::aws::sdk::Sdk::new(&target).map_err(aws_failure)
}

/// For an ACM certificate ARN (`check`, `inspect`): the chain ACM would serve, fetched with
/// GetCertificate, as PEM (leaf first), or, for a certificate ACM serves nothing for (FAILED,
/// VALIDATION_TIMED_OUT, REVOKED, EXPIRED), the finding that says why; `None` for any other
/// target.
fn acm_chain(
    g: &Global,
    target: &str,
    deadline: Deadline,
) -> Result<Option<Result<Vec<u8>, crate::findings::Finding>>, Failure> {
    if !target.starts_with("arn:") {
        return Ok(None);
    }
    use crate::aws::Acm;
    let sdk = aws(g, deadline)?;
    let d = jobs::acm::resolve(&sdk, target).map_err(fail)?;
    if let Some(f) = jobs::acm::status_finding(&d) {
        return Ok(Some(Err(f)));
    }
    let (cert, chain) = sdk.get_certificate(&d.arn).map_err(aws_failure)?;
    Ok(Some(Ok(
        format!("{cert}\n{}", chain.unwrap_or_default()).into_bytes()
    )))
}

fn acm(command: AcmCommand, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    use jobs::acm;
    let Ctx {
        g,
        at,
        started,
        printer,
        ..
    } = cx;
    if let AcmCommand::Request(a) = &command {
        // --timeout is the deadline of the whole command: every AWS call, every wait, and
        // the look-up of why validation is stuck.
        let default = if a.wait { 600 } else { 120 };
        let deadline = Deadline::after(started, a.timeout.unwrap_or(Duration::from_secs(default)));
        let sdk = aws(g, deadline)?;
        // The wait stops early enough to leave the diagnosis its share of the deadline: a
        // tenth, at least a second (half of a deadline under two), at most 15 s.
        let wait_until = if a.wait && !a.dns.no_dns {
            let total = deadline.total();
            let share = (total / 10)
                .max(Duration::from_secs(1).min(total / 2))
                .min(Duration::from_secs(15));
            deadline.leaving(share)
        } else {
            deadline
        };
        let req = acm::AcmRequest {
            host: a.host.clone().into_string(),
            sans: a.san.iter().cloned().map(DnsName::into_string).collect(),
            key_algorithm: a.key_algorithm,
            route53_zone: a.route53_zone.clone(),
            wait: a.wait,
            timeout: wait_until.total(),
            tags: a.tag.clone(),
            dry_run: a.dry_run,
            max_names: a.max_names,
        };
        let polling = acm::Polling {
            first: a.poll_interval.clamp(
                std::time::Duration::from_millis(50),
                std::time::Duration::from_secs(60),
            ),
            ..acm::Polling::default()
        };
        let waiter = acm::RealWaiter(started);
        let progress = crate::output::Waits::new(printer.quiet);
        let mut r =
            acm::request(&sdk, &sdk, &req, &polling, &waiter, &progress, at).map_err(fail)?;
        // Timed out: say why validation is stuck, where that can be seen, in the time the
        // wait left for it (the same deadline bounds every call and look-up).
        if let (true, Some(c)) = (
            r.findings
                .iter()
                .any(|f| f.code == crate::findings::AcmCode::AcmValidationPending),
            &r.certificate,
        ) {
            let dns = dns_config(&a.dns, deadline)?;
            if let Ok(d) = crate::aws::Acm::describe_certificate(&sdk, &c.arn) {
                let causes = jobs::acm::audit::why_pending(&sdk, dns.as_ref(), &d, at);
                r.findings.extend(causes);
            }
        }
        printer.report(&r);
        return Ok(r.exit_code());
    }
    let deadline = |d: &crate::cli::DeadlineArgs| Deadline::after(started, d.timeout);
    match command {
        AcmCommand::Request(_) => Ok(ExitStatus::Ok), // handled above
        AcmCommand::Records {
            target,
            format,
            deadline: d,
        } => {
            let sdk = aws(g, deadline(&d))?;
            let d = acm::resolve(&sdk, &target).map_err(fail)?;
            printer.report(&acm::records_report(&d, format, at));
            Ok(ExitStatus::Ok)
        }
        AcmCommand::Status {
            target,
            dns,
            deadline: d,
        } => {
            let deadline = deadline(&d);
            let sdk = aws(g, deadline)?;
            let dns = dns_config(&dns, deadline)?;
            let r = acm::status(&sdk, &target, dns.as_ref(), at).map_err(fail)?;
            printer.report(&r);
            Ok(r.exit_code())
        }
        AcmCommand::List { deadline: d } => {
            let sdk = aws(g, deadline(&d))?;
            printer.report(&acm::list(&sdk, at).map_err(fail)?);
            Ok(ExitStatus::Ok)
        }
        AcmCommand::Audit(a) => audit(a, cx),
        AcmCommand::Import(a) => acm_import(a, cx),
        AcmCommand::Attach {
            arn,
            listener,
            default,
            dry_run,
            deadline: d,
        } => {
            let sdk = aws(g, deadline(&d))?;
            let options = acm::AttachOptions { default, dry_run };
            printer.report(&acm::attach(&sdk, &sdk, &arn, &listener, options).map_err(fail)?);
            Ok(ExitStatus::Ok)
        }
    }
}

/// `acm import`: the files are read (the key through the trusted-secret path) and checked
/// before the clients are made; a refusal is a report with exit 2.
fn acm_import(a: crate::cli::AcmImportArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    use crate::input_file::{self, CERTIFICATES, PRIVATE_KEY};
    let read_err = |e: input_file::ReadError| {
        let (code, hint) = (e.exit_code(), e.hint());
        Failure::new(e, code, hint)
    };
    let cert = input_file::read(&a.cert, CERTIFICATES).map_err(read_err)?;
    let chain = match &a.chain {
        Some(p) => Some(input_file::read(p, CERTIFICATES).map_err(read_err)?),
        None => None,
    };
    let key = input_file::read_private_key(&a.key, PRIVATE_KEY).map_err(read_err)?;
    let key = String::from_utf8(crate::acm_import::trim(&key).to_vec()).map_err(|_| {
        Failure::new(
            anyhow::anyhow!("{}: not PEM text", a.key.display()),
            ExitStatus::BadInput,
            Some("ACM imports PEM keys only".into()),
        )
    })?;
    let tags = a
        .tag
        .iter()
        .map(|t| {
            t.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| fail(jobs::acm::AcmError::BadTag(t.clone())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let req = jobs::acm::ImportRequest {
        cert,
        key: crate::aws::SecretPem::new(key),
        chain,
        arn: a.arn,
        tags,
        usage: a.usage,
        dry_run: a.dry_run,
    };
    let sdk = aws(cx.g, Deadline::after(cx.started, a.deadline.timeout))?;
    let r = jobs::acm::import(&sdk, &req, cx.at).map_err(fail)?;
    cx.printer.report(&r);
    Ok(r.exit_code())
}

/// The DNS look-up settings (None: `--no-dns`).
fn dns_config(
    a: &crate::cli::DnsArgs,
    deadline: Deadline,
) -> Result<Option<crate::dns::DnsConfig>, Failure> {
    if a.no_dns {
        return Ok(None);
    }
    let resolver = match &a.resolver {
        Some(r) => Some(
            crate::dns::parse_resolver(r)
                .map_err(|e| Failure::new(e, ExitStatus::BadInput, None))?,
        ),
        None => None,
    };
    if a.dns_timeout > std::time::Duration::from_secs(60) {
        return Err(Failure::new(
            anyhow::anyhow!("bad --dns-timeout: one DNS look-up may take at most 60s"),
            ExitStatus::BadInput,
            Some("pass a duration such as 3s or 500ms".into()),
        ));
    }
    Ok(Some(crate::dns::DnsConfig {
        resolver,
        nameserver_port: a.nameserver_port,
        timeout: a.dns_timeout,
        deadline: Some(deadline),
    }))
}

/// `acm audit`: one SDK client per region, made on the thread that queries the region.
fn audit(a: crate::cli::AcmAuditArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let Ctx {
        g,
        at,
        wall,
        started,
        printer,
    } = cx;
    use jobs::acm::audit;
    let deadline = Deadline::after(started, a.deadline.timeout);
    let stuck_after = a.stuck_after.as_secs() as i64;
    // Without --region or --all-regions: the region of the SDK's usual chain.
    let configured = if g.region.is_empty() && !a.all_regions {
        let mut single = g.clone();
        single.region.clear();
        Some(crate::aws::Acm::region(&aws(&single, deadline)?))
    } else {
        None
    };
    let regions = audit::regions(&g.region, a.all_regions, configured.as_deref()).map_err(fail)?;
    let req = audit::AuditRequest {
        regions,
        min_days: a.min_days,
        stuck_after,
        concurrency: a.concurrency.max(1),
        metrics: a.metrics,
        at,
        wall,
        dns: dns_config(&a.dns, deadline)?,
    };
    let target = aws_target(g, deadline)?;
    let connect = |region: &str| {
        crate::aws::sdk::Sdk::new(&crate::aws::AwsTarget {
            region: Some(region.to_string()),
            ..target.clone()
        })
    };
    let r = audit::run(&req, &connect).map_err(fail)?;
    printer.report(&r);
    Ok(r.exit_code())
}

/// `doctor`; with `--metrics`, the file is written on success here and on failure by the caller.
fn doctor(a: crate::cli::DoctorArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let Ctx {
        g,
        at,
        wall,
        started,
        printer,
    } = cx;
    let deadline = Deadline::after(started, a.deadline.timeout);
    let sdk = aws(g, deadline)?;
    let req = jobs::doctor::DoctorRequest {
        hostname: a.hostname.into_string(),
        rest_api_id: a.rest_api_id,
        stage: a.stage,
        nlb: a.nlb,
        alb: a.alb,
        onprem_url: a.onprem_url,
        onprem_connect_to: a.onprem_connect_to,
        min_days: a.min_days,
        trust_store: a.trust_store,
        connect_to: a.connect_to,
        live: !a.no_live,
        timeout: a.connect_timeout.as_secs_f64(),
        deadline,
        at,
    };
    let progress = crate::output::Waits::new(printer.quiet);
    let r = jobs::doctor::run(crate::aws::Aws::of(&sdk), &req, &progress).map_err(fail)?;
    if let Some(m) = &a.metrics {
        jobs::doctor::metrics::write(&sdk, &req, &r, m, wall).map_err(fail)?;
    }
    printer.report(&r);
    Ok(r.exit_code())
}

/// `mtls plan|apply|status`.
fn mtls(command: crate::cli::MtlsCommand, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    use crate::cli::MtlsCommand;
    use jobs::mtls;
    let (a, apply) = match command {
        MtlsCommand::Status(a) => {
            let sdk = aws(cx.g, Deadline::after(cx.started, a.deadline.timeout))?;
            let req = mtls::StatusRequest {
                rest_api_id: a.path.rest_api_id,
                stage: a.path.stage,
                listener: a.path.listener,
                min_days: a.min_days,
                at: cx.at,
            };
            let r = mtls::status(crate::aws::Aws::of(&sdk), &req).map_err(fail)?;
            cx.printer.report(&r);
            return Ok(r.exit_code());
        }
        MtlsCommand::Plan(a) => (a, false),
        MtlsCommand::Apply(a) => (a, true),
    };
    let client = match (a.client_cert_arn, a.client_set) {
        (Some(arn), _) => mtls::ClientSource::Arn(arn),
        (None, Some(dir)) => mtls::ClientSource::Set(dir),
        (None, None) => {
            return Err(Failure::new(
                anyhow::anyhow!("give --client-cert-arn ARN or --client-set DIR"),
                ExitStatus::BadInput,
                None,
            ))
        }
    };
    let deadline = Deadline::after(cx.started, a.deadline.timeout);
    let req = mtls::MtlsRequest {
        rest_api_id: a.path.rest_api_id,
        stage: a.path.stage,
        listener: a.path.listener,
        bundle: mtls::S3Url::parse(&a.bucket).map_err(fail)?,
        client,
        cas: a.ca,
        trust_store_name: a.trust_store_name,
        replace_trust_store: a.replace_trust_store,
        apply,
        deadline,
        at: cx.at,
    };
    let sdk = aws(cx.g, deadline)?;
    let waiter = jobs::acm::RealWaiter(cx.started);
    let r = mtls::run(crate::aws::Aws::of(&sdk), &req, &waiter).map_err(fail)?;
    cx.printer.report(&r);
    Ok(r.exit_code())
}

/// What every command's handler gets besides its own arguments.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    g: &'a Global,
    /// The instant evaluated (`--at`, default now).
    at: i64,
    /// The real clock, read once.
    wall: i64,
    /// When the command started: deadlines count from here.
    started: Instant,
    printer: &'a Printer,
}

/// The command table: each command to its handler.
fn dispatch(
    command: Command,
    g: &Global,
    at: i64,
    wall: i64,
    started: Instant,
    printer: &Printer,
) -> Result<ExitStatus, Failure> {
    let cx = Ctx {
        g,
        at,
        wall,
        started,
        printer,
    };
    match command {
        Command::Acm(AcmCommand::Audit(a)) => audit(a, cx),
        Command::Acm(c) => acm(c, cx),
        Command::Completions { shell } => completions(shell, cx),
        Command::Man { dir } => man(dir, cx),
        Command::Doctor(a) => doctor_with_metrics(a, cx),
        Command::Mtls(c) => mtls(c, cx),
        Command::Check(a) => check(a, cx),
        Command::Inspect(a) => inspect(a, cx),
        Command::Truststore(t) => truststore(t, cx),
        Command::Ca(CaCommand::Init {
            dir,
            name,
            key,
            days,
            force,
        }) => {
            check_validity(at, days)?;
            let r = jobs::onprem::ca::init(&dir, &name, key, days, force, at).map_err(fail)?;
            printer.report(&r);
            Ok(ExitStatus::Ok)
        }
        Command::Issue(IssueCommand::Onprem(a)) => issue_onprem(a, cx),
        Command::Issue(IssueCommand::Client(a)) => issue_client(a, cx),
        Command::Rotate(a) => rotate(a, cx),
        Command::Scan(a) => scan(a, cx),
        Command::Policy(PolicyCommand::Check { file }) => policy_check(file, cx),
        Command::Policy(PolicyCommand::Show { name }) => {
            cx.printer.report(&jobs::policy::show(&name));
            Ok(ExitStatus::Ok)
        }
    }
}

fn completions(shell: clap_complete::Shell, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    use clap::CommandFactory;
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "certctl", &mut buf);
    cx.printer.raw(&String::from_utf8_lossy(&buf));
    Ok(ExitStatus::Ok)
}

/// `man`: the page on stdout, or every page into `--dir`.
fn man(dir: Option<std::path::PathBuf>, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    use clap::CommandFactory;
    let Some(dir) = dir else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut buf)
            .map_err(|e| Failure::new(e, ExitStatus::Operational, None))?;
        cx.printer
            .raw(&String::from_utf8_lossy(&jobs::man::sections(&buf)));
        return Ok(ExitStatus::Ok);
    };
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    man_pages(&cmd, &mut pages).map_err(|e| Failure::new(e, ExitStatus::Operational, None))?;
    cx.printer
        .report(&jobs::man::write_pages(&dir, &pages).map_err(fail)?);
    Ok(ExitStatus::Ok)
}

/// `doctor`; when it cannot look, its `--metrics` file says so.
fn doctor_with_metrics(a: crate::cli::DoctorArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let metrics = a.metrics.clone();
    let result = doctor(a, cx);
    if let (Err(_), Some(m)) = (&result, &metrics) {
        // The file says this run could not look, and holds no hop gauge of an earlier run
        // that would still read as healthy. The run's own error is the one reported.
        let _ = jobs::doctor::metrics::write_failure(m, cx.wall);
    }
    result
}

fn check(a: crate::cli::CheckArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let deadline = fetch_deadline(&a.target, &a.fetch, cx.started);
    let fetched_pem = match acm_chain(cx.g, &a.target, deadline)? {
        Some(Err(finding)) => {
            let hostname = a.fetch.hostname.map(Hostname::into_string);
            let r = jobs::check::not_served(&a.target, hostname, &a.trust_store, cx.at, finding);
            cx.printer.report(&r);
            return Ok(r.exit_code());
        }
        Some(Ok(pem)) => Some(pem),
        None => None,
    };
    let req = CheckRequest {
        fetched_pem,
        target: a.target,
        chain: a.chain,
        trust_store: a.trust_store,
        hostname: a.fetch.hostname.map(Hostname::into_string),
        connect_to: a.fetch.connect_to,
        timeout: deadline.remaining().as_secs_f64(),
        min_days: a.min_days,
        policy: a.policy,
        fix_chain: a.fix_chain,
        at: cx.at,
    };
    let report = if a.skip_verification {
        jobs::skipverify::check(&req).map_err(fail)?
    } else {
        jobs::check::run(&req).map_err(fail)?
    };
    cx.printer.report(&report);
    Ok(report.exit_code())
}

fn inspect(a: crate::cli::InspectArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let deadline = fetch_deadline(&a.target, &a.fetch, cx.started);
    let fetched_pem = match acm_chain(cx.g, &a.target, deadline)? {
        Some(Err(f)) => {
            return Err(Failure::new(
                anyhow::anyhow!("{}", f.message),
                ExitStatus::CheckFailed,
                f.hint,
            ))
        }
        Some(Ok(pem)) => Some(pem),
        None => None,
    };
    let hostname = a.fetch.hostname.map(Hostname::into_string);
    let report = jobs::inspect::run(
        &a.target,
        fetched_pem.as_deref(),
        hostname.as_deref(),
        a.fetch.connect_to.as_deref(),
        deadline.remaining().as_secs_f64(),
        cx.at,
    )
    .map_err(fail)?;
    cx.printer.report(&report);
    Ok(ExitStatus::Ok)
}

fn truststore(t: TruststoreCommand, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let (printer, at) = (cx.printer, cx.at);
    match t {
        TruststoreCommand::List => printer.report(&jobs::truststore::list(at).map_err(fail)?),
        TruststoreCommand::Show { alias } => {
            printer.report(&jobs::truststore::show(&alias, at).map_err(fail)?)
        }
        TruststoreCommand::Export {
            out,
            include_expired,
        } => {
            let r = jobs::truststore::export(out.as_deref(), include_expired, at).map_err(fail)?;
            if out.is_none() && !printer.json {
                printer.raw(&r.bundle);
            } else {
                printer.report(&r);
            }
        }
        TruststoreCommand::Update {
            from,
            out,
            dry_run,
            allow_shrink,
        } => {
            let options = jobs::truststore::UpdateOptions {
                dry_run,
                allow_shrink,
            };
            printer.report(&jobs::truststore::update(&from, &out, options).map_err(fail)?)
        }
        TruststoreCommand::Bundle { target, cas, out } => {
            let r = jobs::albtrust::bundle(target.target(), &cas, &out, at).map_err(fail)?;
            if r.out.is_none() && !printer.json {
                printer.raw(&r.bundle);
            } else {
                printer.report(&r);
            }
        }
        TruststoreCommand::Lint {
            target,
            bundle,
            client,
        } => {
            let r = jobs::albtrust::lint(target.target(), &bundle, &client, at).map_err(fail)?;
            printer.report(&r);
            return Ok(r.exit_code());
        }
        TruststoreCommand::Verify => {
            let r = jobs::truststore::verify().map_err(fail)?;
            printer.report(&r);
            return Ok(r.exit_code());
        }
    }
    Ok(ExitStatus::Ok)
}

fn issue_onprem(a: crate::cli::IssueOnpremArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let at = cx.at;
    check_validity(at, a.days)?;
    if a.dns.is_empty() && a.ip.is_empty() {
        return Err(Failure::new(
            anyhow::anyhow!("give at least one --dns NAME or --ip ADDR"),
            ExitStatus::BadInput,
            Some("certctl issue onprem --dns lb.example.internal --out-dir DIR".into()),
        ));
    }
    let req = jobs::onprem::issue::IssueRequest {
        dns: a.dns.into_iter().map(DnsName::into_string).collect(),
        ip: a.ip.iter().map(ToString::to_string).collect(),
        ca_dir: a.ca,
        key: a.key,
        days: a.days,
        out_dir: a.out_dir,
        formats: with_pem(a.format),
        p12_password_file: a.p12_password_file,
        force: a.force,
        include_root: a.include_root,
        at,
    };
    let mut r = jobs::onprem::issue::run(&req).map_err(fail)?;
    future_warning(&mut r, cx);
    cx.printer.report(&r);
    Ok(ExitStatus::Ok)
}

fn issue_client(a: crate::cli::IssueClientArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    check_validity(cx.at, a.days)?;
    let req = jobs::onprem::issue::ClientRequest {
        cn: a.cn,
        dns: a.dns.into_iter().map(DnsName::into_string).collect(),
        ca_dir: a.ca,
        key: a.key,
        days: a.days,
        out_dir: a.out_dir,
        force: a.force,
        at: cx.at,
    };
    let mut r = jobs::onprem::issue::run_client(&req).map_err(fail)?;
    future_warning(&mut r, cx);
    cx.printer.report(&r);
    Ok(ExitStatus::Ok)
}

/// Allowed (a certificate for a planned cut-over, a test fixture), but said: no server or
/// client should be given it before then, and `rotate` replaces it on its next run.
fn future_warning(r: &mut jobs::onprem::issue::IssueReport, cx: Ctx<'_>) {
    if crate::mint::not_before(cx.at) > cx.wall {
        r.warnings.push(format!(
            "this certificate is not valid until {} (--at is after the real clock, {}); `certctl rotate` renews a set holding a certificate that is not valid yet",
            crate::x509::rfc3339(crate::mint::not_before(cx.at)),
            crate::x509::rfc3339(cx.wall)
        ));
    }
}

fn rotate(a: crate::cli::RotateArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    if a.example_config {
        cx.printer.raw(jobs::onprem::EXAMPLE_CONFIG);
        return Ok(ExitStatus::Ok);
    }
    let req = jobs::onprem::rotate::RotateRequest {
        config: a.config,
        force: a.force,
        dry_run: a.dry_run,
        only: a.only,
        at: cx.at,
        now: cx.wall,
    };
    let progress = crate::output::Waits::new(cx.printer.quiet);
    // Made only when a set with acm-arn needs it; --timeout bounds every AWS call of the run.
    let deadline = Deadline::after(cx.started, a.deadline.timeout);
    let g = cx.g;
    let link = jobs::onprem::reimport::AcmLink::new(move || {
        aws(g, deadline)
            .map(|s| Box::new(s) as Box<dyn crate::aws::Acm>)
            .map_err(|f| {
                let hint = f.hint.map(|h| format!("; {h}")).unwrap_or_default();
                jobs::onprem::reimport::Unreachable {
                    message: format!("cannot reach ACM: {}{hint}", f.error),
                    code: f.exit_code,
                }
            })
    });
    let r = jobs::onprem::rotate::run(&req, &progress, &link).map_err(fail)?;
    cx.printer.report(&r);
    Ok(r.exit_code())
}

fn scan(a: crate::cli::ScanArgs, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let req = jobs::onprem::scan::ScanRequest {
        paths: a.paths,
        min_days: a.min_days,
        metrics: a.metrics,
        hidden: a.hidden,
        threads: a.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        }),
        at: cx.at,
        wall: cx.wall,
        max_file_size: a.max_file_size,
    };
    let r = jobs::onprem::scan::run(&req).map_err(fail)?;
    cx.printer.report(&r);
    Ok(r.exit_code())
}

fn policy_check(file: Option<std::path::PathBuf>, cx: Ctx<'_>) -> Result<ExitStatus, Failure> {
    let r = jobs::policy::check(file.as_deref()).map_err(|e| {
        let hint = matches!(e, crate::policy::PolicyError::Invalid { .. })
            .then(|| "fix every listed line; unknown keys are errors".into());
        let problems = Box::new(e.problems());
        Failure {
            problems,
            ..Failure::new(e, ExitStatus::BadInput, hint)
        }
    })?;
    cx.printer.report(&r);
    Ok(ExitStatus::Ok)
}

/// `check`/`inspect`: `--timeout`, or 2 minutes for an ACM ARN (AWS calls) and 10 s for a URL.
fn fetch_deadline(target: &str, fetch: &crate::cli::FetchArgs, started: Instant) -> Deadline {
    let default = if target.starts_with("arn:") { 120 } else { 10 };
    Deadline::after(
        started,
        fetch.timeout.unwrap_or(Duration::from_secs(default)),
    )
}

/// The formats to write: PEM always, then the extra ones in the order asked.
fn with_pem(extra: Vec<Format>) -> Vec<Format> {
    let mut out = vec![Format::Pem];
    out.extend(extra.into_iter().filter(|f| *f != Format::Pem));
    out.dedup();
    out
}

/// The page of `cmd` and of every subcommand below it, as (file name, roff); a built command's
/// subcommands are named `certctl-truststore-show` and so on.
fn man_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, pages)?;
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push((man.get_filename(), jobs::man::sections(&roff)));
    Ok(())
}
