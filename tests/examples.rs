//! Examples are code: every example line of every `certctl … --help` (the subcommand tree is
//! walked from the binary's own `Commands:` listings) and every command of every `sh`, `bash`
//! and `console` block of README.md runs, and must exit 0 or the exit code written next to it
//! below with its reason.
//!
//! Each example runs under bash (`-o pipefail`, so `certctl … | jq` fails when certctl does) in
//! a fresh copy of one fixture world made at test time: certificates around the pinned `--at`
//! (the `certctl` on the examples' PATH adds `--at`), an on-prem set and a private CA made by
//! certctl, README.md's own rotate config, a saved AWS page, local TLS servers standing in for the hosts the
//! examples name, and the AWS emulator holding the whole path (ALB certificate, listeners, NLB,
//! Route 53 zone, REST API with a `prod` stage). Absolute paths are moved into the copy;
//! placeholders, hostnames and ARNs are replaced by what the fixture made through the explicit
//! [`substitutions`] table; examples that cannot run here are listed in [`NOT_RUN`] with the
//! reason. Every entry of every table must match an example, so none of them can rot.

mod support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rustls_pki_types::CertificateDer;
use support::moto::{run_fixture, start_moto, Moto};
use support::*;

/// Why the `mtls` examples do not run here.
const MTLS_NOT_RUN: &str = "needs the emulator's backend-mTLS layer (trust stores, listener mutual authentication, an ACM ARN on a stage), which this fixture's plain moto lacks, and a client certificate valid at the real clock; tests/mtls.rs runs plan, apply, status and doctor's mtls hop against it";

/// Examples that do not run here, by their text as the help or README shows it (continuation
/// lines joined, trailing comment dropped), with the reason.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "certctl mtls apply --rest-api-id a1b2c3d4e5 --stage prod --listener arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/1/2 --bucket s3://my-bundles/alb/clients.pem --client-set /etc/certctl/apigw-client",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls apply --rest-api-id a1b2c3d4e5 --stage prod --listener arn:aws:elasticloadbalancing:…:listener/app/alb/… --bucket s3://my-bundles/alb/clients.pem --client-set /etc/certctl/apigw-client --ca /etc/certctl/client-ca",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls apply … --trust-store-name backend-clients --timeout 10m",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls plan --rest-api-id a1b2c3d4e5 --stage prod --listener arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/1/2 --bucket s3://my-bundles/alb/clients.pem --client-set /etc/certctl/apigw-client",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls plan --rest-api-id a1b2c3d4e5 --stage prod --listener arn:aws:elasticloadbalancing:…:listener/app/alb/… --bucket s3://my-bundles/alb/clients.pem --client-set /etc/certctl/apigw-client",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls plan … --client-cert-arn arn:aws:acm:…:certificate/… --ca /etc/certctl/client-ca --json",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls status --rest-api-id a1b2c3d4e5 --stage prod --listener arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/1/2",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls status --rest-api-id a1b2c3d4e5 --stage prod --listener arn:aws:elasticloadbalancing:…:listener/app/alb/…",
        MTLS_NOT_RUN,
    ),
    (
        "certctl mtls status … --min-days 45 --json",
        MTLS_NOT_RUN,
    ),
    (
        "certctl acm import --cert client/cert.pem --key client/key.pem --chain client/chain.pem",
        "needs a client certificate, its key (0600) and chain valid at the real clock, which the \
         emulator checks; tests/acm_import.rs runs import, re-import to an ARN and dry run \
         against the emulator with files it generates",
    ),
    (
        "certctl acm import --cert cert.pem --key key.pem --chain chain.pem --arn arn:aws:acm:eu-west-1:123456789012:certificate/…",
        "needs a client certificate, its key (0600) and chain valid at the real clock, which the \
         emulator checks; tests/acm_import.rs runs import, re-import to an ARN and dry run \
         against the emulator with files it generates",
    ),
    (
        "certctl acm import --cert cert.pem --key key.pem --chain chain.pem --dry-run --json",
        "needs a client certificate, its key (0600) and chain valid at the real clock, which the \
         emulator checks; tests/acm_import.rs runs import, re-import to an ARN and dry run \
         against the emulator with files it generates",
    ),
    (
        "certctl acm import --cert client/cert.pem --key client/key.pem --chain client/chain.pem --dry-run",
        "needs a client certificate, its key (0600) and chain valid at the real clock, which the \
         emulator checks; tests/acm_import.rs runs import, re-import to an ARN and dry run \
         against the emulator with files it generates",
    ),
    (
        "scripts/test",
        "the README's set-up step: runs fmt, clippy and the whole suite, this test included",
    ),
    (
        "nginx -t && systemctl reload nginx",
        "tests and reloads the machine's own nginx through systemd; tests/nginx.rs runs nginx \
         behind a deploy hook instead",
    ),
    (
        "cargo run --example refresh_ca -- ca/apigateway-cas.tsv ca /usr/share/ca-certificates/mozilla",
        "a maintainer's step that rebuilds ca/ from the machine's Mozilla roots with cargo, \
         which cannot build while the test suite holds the build directory",
    ),
];

/// Why a check of the fixture's api.example.com chain exits 1.
const TEST_ROOT: &str = "the chain ends at the fixture's test root, not at a CA on API Gateway's \
     list (no test can sign under an Amazon root): untrusted-root is the only deny";
/// Why every doctor example exits 1.
const ALB_TEST_ROOT: &str = "the ALB's certificate in the emulator chains to the fixture's test \
     root, not to a CA on API Gateway's list: the alb hop fails";

/// Examples whose outcome here is not exit 0: (example, exit code, what the output must show,
/// why).
const EXPECT: &[(&str, i32, &[&str], &str)] = &[
    (
        "certctl check fullchain.pem --hostname api.example.com",
        1,
        &["untrusted-root", "(1 deny,"],
        TEST_ROOT,
    ),
    (
        "certctl check https://api.example.com",
        1,
        &["untrusted-root", "(1 deny,"],
        TEST_ROOT,
    ),
    (
        "certctl check https://api.example.com --min-days 14",
        1,
        &["untrusted-root", "(1 deny,"],
        TEST_ROOT,
    ),
    (
        "certctl check https://api.example.com --connect-to 10.0.1.25:443",
        1,
        &["untrusted-root", "(1 deny,"],
        TEST_ROOT,
    ),
    (
        "certctl check arn:aws:acm:eu-west-1:123456789012:certificate/… --hostname api.example.com",
        1,
        &["untrusted-root", "(1 deny,"],
        TEST_ROOT,
    ),
    (
        "certctl check cert.pem --chain intermediates.pem --fix-chain fixed.pem",
        2,
        &["the chain cannot be completed"],
        "with no path to a CA on API Gateway's list there is no corrected chain to write \
         (tests/check.rs writes one against a private --trust-store)",
    ),
    (
        "certctl acm status api.example.com",
        1,
        &["status:    ISSUED", "untrusted-root", "(1 deny,"],
        TEST_ROOT,
    ),
    (
        "certctl acm status arn:aws:acm:eu-west-1:123456789012:certificate/… --json",
        1,
        &["\"status\": \"ISSUED\"", "untrusted-root"],
        TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --rest-api-id a1b2c3d4e5",
        1,
        &["untrusted-root", "1 hop(s) failed"],
        ALB_TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --rest-api-id a1b2c3d4e5 --stage prod",
        1,
        &["untrusted-root", "1 hop(s) failed"],
        ALB_TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --rest-api-id a1b2c3d4e5 --onprem-url https://10.0.0.5",
        1,
        &["untrusted-root", "1 hop(s) failed", "serves lb.onprem.example.internal"],
        ALB_TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --nlb my-nlb --alb my-alb --onprem-url https://10.0.0.5",
        1,
        &["untrusted-root", "1 hop(s) failed", "serves lb.onprem.example.internal"],
        ALB_TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --no-live --json",
        1,
        &["untrusted-root"],
        ALB_TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --onprem-url https://10.0.0.5 --json",
        1,
        &["untrusted-root", "serves lb.onprem.example.internal"],
        ALB_TEST_ROOT,
    ),
    (
        "certctl doctor --hostname api.example.com --onprem-url https://10.0.0.5 --metrics /var/lib/node_exporter/textfile/certctl-doctor.prom -q",
        1,
        &["hop alb failed"],
        ALB_TEST_ROOT,
    ),
];

/// What replaces a placeholder, hostname or ARN of an example: (as written, replacement, why).
/// A match must stand alone (not inside a longer name or path).
fn substitutions(f: &Fixture) -> Vec<(&'static str, String, &'static str)> {
    let api = format!("127.0.0.1:{}", f.api_port);
    vec![
        (
            "cargo run --release --",
            "certctl".into(),
            "the README's first command builds certctl and runs it; the test runs the built binary",
        ),
        (
            "cargo build --release && target/release/certctl",
            "certctl".into(),
            "builds certctl and runs it; the test runs the built binary",
        ),
        (
            "arn:aws:acm:eu-west-1:123456789012:certificate/…",
            f.certificate_arn.clone(),
            "the certificate for api.example.com the emulator holds",
        ),
        (
            "arn:aws:acm:…:certificate/…",
            f.certificate_arn.clone(),
            "the certificate for api.example.com the emulator holds",
        ),
        (
            "ARN",
            f.certificate_arn.clone(),
            "the certificate placeholder of `acm attach ARN`",
        ),
        (
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/internal-api/…/…",
            f.listener_arn.clone(),
            "the ALB's HTTPS listener in the emulator",
        ),
        (
            "arn:aws:elasticloadbalancing:…:listener/app/internal/…/…",
            f.listener_arn.clone(),
            "the ALB's HTTPS listener in the emulator",
        ),
        (
            "LISTENER_ARN",
            f.listener_arn.clone(),
            "the ALB's HTTPS listener in the emulator",
        ),
        (
            "a1b2c3d4e5",
            f.rest_api_id.clone(),
            "the REST API the emulator holds",
        ),
        ("my-nlb", f.nlb.clone(), "the NLB the emulator holds"),
        ("my-alb", f.alb.clone(), "the ALB the emulator holds"),
        (
            "https://10.0.0.5",
            format!("https://127.0.0.1:{}", f.onprem_port),
            "the on-prem load balancer: a local TLS server serving /etc/certctl/onprem-lb",
        ),
        (
            "https://api.example.com --connect-to 10.0.1.25:443",
            format!("https://api.example.com --connect-to {api}"),
            "an address serving api.example.com: a local TLS server with that chain (the URL \
             keeps its host: it is the name sent and checked)",
        ),
        (
            "https://api.example.com",
            format!("https://{api}"),
            "api.example.com as a URL: the same local server (its certificate names 127.0.0.1 too)",
        ),
        (
            "\"${fpath[1]}/_certctl\"",
            "/usr/local/share/zsh/site-functions/_certctl".into(),
            "zsh's first completion directory; bash, which runs the examples, has no ${fpath}",
        ),
    ]
}

/// Every example, by text, with where it appears.
#[derive(Default)]
struct Examples(BTreeMap<String, Vec<String>>);

impl Examples {
    fn add(&mut self, text: &str, source: String) {
        self.0.entry(normalize(text)).or_default().push(source);
    }
}

/// The example as a key (and as it runs): a trailing shell comment dropped, runs of
/// whitespace outside quotes made one space.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    for c in text.trim().chars() {
        match (quote, c) {
            (None, '#') if out.is_empty() || out.ends_with(' ') => break,
            (None, c) if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

/// Lines joined where one ends in `\`: (first line's index, joined text).
fn join_continuations<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut continued = false;
    for (i, line) in lines {
        let t = line.trim();
        let body = t.strip_suffix('\\').unwrap_or(t).trim_end();
        match out.last_mut() {
            Some((_, last)) if continued => {
                last.push(' ');
                last.push_str(body);
            }
            _ => out.push((i, body.to_string())),
        }
        continued = t.ends_with('\\');
    }
    out
}

/// `certctl …`, or `VAR=value certctl …`.
fn is_certctl_command(t: &str) -> bool {
    t.split_whitespace()
        .find(|w| {
            !(w.contains('=')
                && w.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase() || c == '_'))
        })
        .is_some_and(|w| w == "certctl")
}

/// The command of a crontab line (`[label:] m h dom mon dow user command`).
fn crontab_command(t: &str) -> Option<String> {
    let mut words: Vec<&str> = t.split_whitespace().collect();
    if words.first().is_some_and(|w| w.ends_with(':')) {
        words.remove(0);
    }
    let schedule = words
        .get(..5)?
        .iter()
        .all(|w| w.chars().all(|c| c.is_ascii_digit() || "*/-,".contains(c)));
    let command = words.get(6..)?.join(" ");
    (schedule && is_certctl_command(&command)).then_some(command)
}

fn help(path: &[String]) -> String {
    let out = certctl()
        .args(path)
        .arg("--help")
        .env("COLUMNS", "1000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{path:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help lists under `Commands:` (`help` aside).
fn listed_subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(String::from)
        .collect()
}

/// Every example of the EXAMPLES section of every help, walking the tree the binary lists.
fn help_examples(ex: &mut Examples) -> Vec<Vec<String>> {
    let mut walked = Vec::new();
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        let text = help(&path);
        for sub in listed_subcommands(&text) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        let name = std::iter::once("certctl")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let section = text
            .lines()
            .skip_while(|l| *l != "EXAMPLES:")
            .skip(1)
            .take_while(|l| *l != "EXIT CODES:")
            .filter(|l| !l.trim().is_empty())
            .enumerate();
        for (_, line) in join_continuations(section) {
            if is_certctl_command(&line) {
                ex.add(&line, format!("{name} --help"));
            } else if let Some(command) = crontab_command(&line) {
                ex.add(&command, format!("{name} --help (crontab line)"));
            } else {
                // Prose; a command in a shape this test does not know would hide here.
                assert!(
                    !line.contains("certctl "),
                    "{name} --help: an example line this test cannot read: {line}"
                );
            }
        }
        walked.push(path);
    }
    walked
}

/// README.md and every page of docs/, as (name, text).
fn documents() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![(
        "README.md".to_string(),
        std::fs::read_to_string(root.join("README.md")).unwrap(),
    )];
    let mut pages: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 10, "docs/ has {} pages", pages.len());
    for p in pages {
        let name = format!("docs/{}", p.file_name().unwrap().to_string_lossy());
        out.push((name, std::fs::read_to_string(&p).unwrap()));
    }
    out
}

/// Every command of every `sh`, `bash`, `shell` and `console` block of README.md and of every
/// page of docs/.
fn readme_examples(ex: &mut Examples) -> usize {
    let mut blocks = 0;
    for (name, text) in documents() {
        blocks += document_examples(ex, &name, &text);
    }
    blocks
}

/// The runnable blocks of one document.
fn document_examples(ex: &mut Examples, name: &str, readme: &str) -> usize {
    let mut blocks = 0;
    let mut fence: Option<String> = None;
    let mut block: Vec<(usize, &str)> = Vec::new();
    for (i, line) in readme.lines().enumerate() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            if fence.is_some() {
                block.push((i + 1, line));
            }
            continue;
        };
        match fence.take() {
            None => fence = Some(info.trim().to_string()),
            Some(lang) => {
                let lines = std::mem::take(&mut block);
                let commands: Vec<(usize, &str)> = match lang.as_str() {
                    "sh" | "bash" | "shell" => lines
                        .into_iter()
                        .filter(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with('#'))
                        .collect(),
                    // A console block: the commands follow `$ `, output lines are not run.
                    "console" => {
                        let mut keep = Vec::new();
                        let mut continued = false;
                        for (n, l) in lines {
                            let command = match continued {
                                true => Some(l),
                                false => l.trim_start().strip_prefix("$ "),
                            };
                            continued = command.is_some_and(|c| c.trim_end().ends_with('\\'));
                            keep.extend(command.map(|c| (n, c)));
                        }
                        keep
                    }
                    _ => continue,
                };
                blocks += 1;
                for (n, command) in join_continuations(commands.into_iter()) {
                    ex.add(&command, format!("{name}:{n}"));
                }
            }
        }
    }
    blocks
}

/// What the examples run against.
struct Fixture {
    moto: Moto,
    /// Copied for every example: the file system root the absolute paths move into, with
    /// `work/` as the working directory.
    template: PathBuf,
    /// The rotate config README.md shows, with its absolute paths.
    rotate_config: String,
    /// Holds the `certctl` the examples call.
    bin: PathBuf,
    runs: PathBuf,
    api_port: u16,
    onprem_port: u16,
    certificate_arn: String,
    listener_arn: String,
    rest_api_id: String,
    nlb: String,
    alb: String,
}

/// 2020-01-01: certificates the emulator imports must be valid at the wall clock as well as
/// at the pinned instant.
const LONG_AGO: i64 = 1_577_836_800;

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mkdirs(root: &Path, dirs: &[&str]) {
    for d in dirs {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
}

/// certctl at the pinned instant, for building the fixture; it must succeed.
fn certctl_ok(args: &[&str]) {
    let (code, out, err) = run(["--at", AT].iter().chain(args));
    assert_eq!(code, 0, "fixture: certctl {args:?}: {out}{err}");
}

fn fixture(base: &Path) -> Fixture {
    let moto = start_moto("600");
    let t = base.join("template");
    let w = t.join("work");
    mkdirs(
        &t,
        &[
            "work/policies",
            "work/ca",
            "etc/certctl",
            "etc/ssl/private",
            "etc/bash_completion.d",
            "usr/local/share/man/man1",
            "usr/local/share/zsh/site-functions",
            "var/lib/node_exporter/textfile",
            "home",
        ],
    );

    // api.example.com: root → intermediate → leaf, also valid at the wall clock (the emulator
    // imports it). The local server stands in for the host, so its leaf names 127.0.0.1 too.
    let mut root = Spec::ca("Example Test Root CA");
    root.not_before = LONG_AGO;
    let root = root.self_signed();
    let mut inter = Spec::ca("Example Test Intermediate CA");
    inter.not_before = LONG_AGO;
    let inter = inter.signed_by(&root);
    let mut leaf = Spec::leaf("api.example.com");
    leaf.not_before = LONG_AGO;
    leaf.ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    let served = leaf.signed_by(&inter);
    leaf.ips.clear();
    let leaf = leaf.signed_by(&inter);
    // The whole chain, so `--skip-verification` finds the root it needs.
    write(
        &w,
        "fullchain.pem",
        format!("{}{}{}", leaf.pem, inter.pem, root.pem),
    );
    write(&w, "cert.pem", &leaf.pem);
    write(&w, "intermediates.pem", &inter.pem);
    let api_port = serve_chain(
        vec![served.der.clone().into(), inter.der.clone().into()],
        served.key.serialize_der(),
        None,
    );

    // An on-prem leaf from a private CA.
    let private = Spec::ca("Example On-Prem CA").self_signed();
    let lb = Spec::leaf("lb.example.internal").signed_by(&private);
    write(&w, "lb.pem", &lb.pem);
    write(&w, "private-ca.pem", &private.pem);
    write(&w, "private-root.pem", &private.pem);
    write(&t, "etc/ssl/private/lb.pem", &lb.pem);
    let key = write(&t, "etc/ssl/private/lb.key", lb.key.serialize_pem());
    set_mode(&key, 0o600);

    // The on-prem set and the private CA, made by certctl, and the rotate config for the set.
    let onprem = t.join("etc/certctl/onprem-lb");
    certctl_ok(&[
        "issue",
        "onprem",
        "--dns",
        "lb.onprem.example.internal",
        "--ip",
        "10.0.0.5",
        "--out-dir",
        onprem.to_str().unwrap(),
    ]);
    certctl_ok(&[
        "ca",
        "init",
        "--dir",
        t.join("etc/certctl/ca").to_str().unwrap(),
        "--name",
        "Example On-Prem CA",
    ]);
    // Backend mTLS: a client certificate from that CA (at the pinned instant the examples
    // run at), the ALB bundle of the CA, and a root and an issuing CA to bundle.
    let client_set = base.join("client-set");
    certctl_ok(&[
        "issue",
        "client",
        "--ca",
        t.join("etc/certctl/ca").to_str().unwrap(),
        "--cn",
        "apigw-prod",
        "--at",
        AT,
        "--out-dir",
        client_set.to_str().unwrap(),
    ]);
    std::fs::copy(client_set.join("fullchain.pem"), w.join("client.pem")).unwrap();
    certctl_ok(&[
        "truststore",
        "bundle",
        "--for",
        "alb",
        t.join("etc/certctl/ca/ca.pem").to_str().unwrap(),
        "--at",
        AT,
        "--out",
        w.join("bundle.pem").to_str().unwrap(),
    ]);
    write(&w, "root.pem", &root.pem);
    write(&w, "issuing.pem", &inter.pem);
    let served: Vec<CertificateDer<'static>> =
        certctl::pem::decode_certificates(&std::fs::read(onprem.join("fullchain.pem")).unwrap())
            .unwrap();
    let onprem_port = serve_chain(
        served,
        certctl::pem::decode_private_key(&std::fs::read(onprem.join("key.pem")).unwrap()).unwrap(),
        None,
    );
    // /etc/certctl/onprem.toml is the config README.md shows (written into each copy, its
    // out-dir moved there too); ./onprem.toml names the same set with a hook that can run here.
    let rotate_config = documents()
        .into_iter()
        .find_map(|(_, text)| {
            text.split("\n```toml\n")
                .skip(1)
                .filter_map(|b| b.split("\n```").next())
                .find(|b| b.contains("out-dir = \"/etc/certctl/onprem-lb\""))
                .map(str::to_string)
        })
        .expect("the docs show a rotate config");
    assert!(
        rotate_config.contains("out-dir = \"/etc/certctl/onprem-lb\""),
        "{rotate_config}"
    );
    write(
        &w,
        "onprem.toml",
        "[[cert]]\nname = \"onprem-lb\"\ndns = [\"lb.onprem.example.internal\"]\n\
         ip = [\"10.0.0.5\"]\nout-dir = \"../etc/certctl/onprem-lb\"\ndays = 365\n\
         deploy-hook = \"test -s \\\"$CERTCTL_FULLCHAIN\\\"\"\n",
    );

    // Policies as in the source tree, and one of the operator's own.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for p in ["gateway.toml", "strict.toml", "onprem.toml"] {
        std::fs::copy(repo.join("policies").join(p), w.join("policies").join(p)).unwrap();
    }
    let gateway = std::fs::read_to_string(repo.join("policies/gateway.toml")).unwrap();
    assert!(gateway.contains("\nmin-days = 30\n"));
    write(
        &w,
        "my-policy.toml",
        gateway.replace("\nmin-days = 30\n", "\nmin-days = 21\n"),
    );

    // A saved copy of the AWS page: the list certctl ships, plus one new alias.
    std::fs::copy(
        repo.join("ca/apigateway-cas.tsv"),
        w.join("ca/apigateway-cas.tsv"),
    )
    .unwrap();
    let tsv = std::fs::read_to_string(repo.join("ca/apigateway-cas.tsv")).unwrap();
    let mut page = String::from("API Gateway-supported certificate authorities\n\n");
    for row in tsv.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let c: Vec<&str> = row.split('\t').collect();
        page.push_str(&format!(
            "Alias name: {}\n\t SHA1: {}\n\t SHA256: {}\n\n",
            c[0], c[1], c[2]
        ));
    }
    page.push_str("Alias name: examplenewca2031\n\t SHA1: 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n\t SHA256: 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n");
    write(&w, "page.txt", &page);
    write(&w, "saved-page.txt", &page);

    // The AWS side: the whole path in the emulator, its ALB certificate the api.example.com
    // chain above, the REST API's integration host a stage variable with a `prod` stage.
    let aws_dir = base.join("aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    write(&aws_dir, "cert.pem", &leaf.pem);
    write(&aws_dir, "ca.pem", format!("{}{}", inter.pem, root.pem));
    write(&aws_dir, "key.pem", leaf.key.serialize_pem());
    let topo = run_fixture(
        "moto_topology.py",
        &moto.endpoint,
        &[
            "doctor",
            aws_dir.to_str().unwrap(),
            "stage-variables",
            "given-certs",
        ],
    );
    let s = |k: &str| topo[k].as_str().unwrap().to_string();

    // The certctl the examples call: the binary under test, at the pinned instant (and with
    // the real clock pinned after it, as for every test).
    let bin = base.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = write(
        &bin,
        "certctl",
        format!(
            "#!/bin/sh\nCERTCTL_DEBUG_WALL_CLOCK={WALL_CLOCK} exec '{}' --at {AT} \"$@\"\n",
            env!("CARGO_BIN_EXE_certctl")
        ),
    );
    set_mode(&wrapper, 0o755);
    // Should the README's config ever renew here, its hook reloads nothing on this machine.
    let systemctl = write(
        &bin,
        "systemctl",
        "#!/bin/sh\necho \"systemctl $*\" >> \"$HOME/systemctl.log\"\n",
    );
    set_mode(&systemctl, 0o755);

    let runs = base.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    Fixture {
        moto,
        template: t,
        rotate_config,
        bin,
        runs,
        api_port,
        onprem_port,
        certificate_arn: s("certificate"),
        listener_arn: s("https_listener"),
        rest_api_id: s("rest_api_id"),
        nlb: s("nlb"),
        alb: s("alb"),
    }
}

/// Replaces each table entry standing alone in `text`, left to right, counting uses.
fn substitute(
    text: &str,
    subs: &[(&'static str, String, &'static str)],
    used: &[AtomicUsize],
) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || "_.:/-".contains(c);
    let mut out = String::new();
    let mut i = 0;
    'scan: while i < text.len() {
        let before = text[..i].chars().next_back();
        if !before.is_some_and(word) {
            for (k, (from, to, _)) in subs.iter().enumerate() {
                let after = text[i..].strip_prefix(from).map(|r| r.chars().next());
                if let Some(after) = after {
                    if !after.is_some_and(word) {
                        out.push_str(to);
                        i += from.len();
                        used[k].fetch_add(1, Ordering::Relaxed);
                        continue 'scan;
                    }
                }
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Moves every absolute path (a `/` starting a word) under `root`.
fn rebase(text: &str, root: &Path) -> String {
    let mut out = String::new();
    let mut prev = ' ';
    for c in text.chars() {
        if c == '/' && (prev.is_whitespace() || "\"'=<>".contains(prev)) {
            out.push_str(root.to_str().unwrap());
        }
        out.push(c);
        prev = c;
    }
    out
}

/// The directory an example creates (`issue onprem --out-dir D`, `ca init --dir D`): the copy
/// of the world it runs in starts without it.
fn created_dir(command: &str) -> Option<&str> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let flag = if words.windows(2).any(|w| w == ["issue", "onprem"]) {
        "--out-dir"
    } else if words.windows(2).any(|w| w == ["ca", "init"]) {
        "--dir"
    } else {
        return None;
    };
    let i = words.iter().position(|w| *w == flag)?;
    words.get(i + 1).copied()
}

struct Ran {
    command: String,
    code: i32,
    stdout: String,
    stderr: String,
    secs: f64,
}

fn run_example(f: &Fixture, n: usize, command: &str) -> Ran {
    let root = f.runs.join(n.to_string());
    let status = Command::new("cp")
        .arg("-a")
        .arg(&f.template)
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    let command = rebase(command, &root);
    let config = rebase(&f.rotate_config, &root);
    assert!(config.contains(&format!("out-dir = \"{}/etc/", root.display())));
    write(&root, "etc/certctl/onprem.toml", config);
    let work = root.join("work");
    if let Some(dir) = created_dir(&command) {
        let _ = std::fs::remove_dir_all(work.join(dir));
    }
    let path = format!(
        "{}:{}",
        f.bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let start = Instant::now();
    let out = Command::new("timeout")
        .args(["-k", "5", "45", "bash", "-o", "pipefail", "-c", &command])
        .current_dir(&work)
        .env("PATH", path)
        .env("HOME", root.join("home"))
        .env("AWS_ENDPOINT_URL", &f.moto.endpoint)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("NO_COLOR")
        .env_remove("CERTCTL_P12_PASSWORD")
        .output()
        .unwrap();
    Ran {
        command,
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: start.elapsed().as_secs_f64(),
    }
}

#[test]
fn every_help_and_readme_example_runs() {
    let started = Instant::now();
    let mut ex = Examples::default();
    let walked = help_examples(&mut ex);
    let from_help: usize = ex.0.values().map(Vec::len).sum();
    let blocks = readme_examples(&mut ex);
    let found: usize = ex.0.values().map(Vec::len).sum();

    // The walk saw every subcommand clap knows.
    let mut known = Vec::new();
    fn paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut p = prefix.clone();
            p.push(sub.get_name().to_string());
            paths(sub, p.clone(), out);
            out.push(p);
        }
    }
    paths(&certctl::helptext::command(), Vec::new(), &mut known);
    known.push(Vec::new());
    let (mut a, mut b) = (walked.clone(), known);
    a.sort();
    b.sort();
    assert_eq!(a, b, "the help walk missed a subcommand");
    assert!(from_help >= 40, "{from_help} help examples");
    assert!(blocks >= 15, "{blocks} shell blocks in README.md and docs/");

    // The tables name only examples that exist.
    for (text, _) in NOT_RUN {
        assert!(ex.0.contains_key(*text), "NOT_RUN names no example: {text}");
    }
    for (text, ..) in EXPECT {
        assert!(ex.0.contains_key(*text), "EXPECT names no example: {text}");
        assert!(
            !NOT_RUN.iter().any(|(t, _)| t == text),
            "{text} is both expected and not run"
        );
    }

    let base = tempdir();
    let f = fixture(base.path());
    let subs = substitutions(&f);
    let used: Vec<AtomicUsize> = subs.iter().map(|_| AtomicUsize::new(0)).collect();
    let to_run: Vec<(&String, &Vec<String>)> =
        ex.0.iter()
            .filter(|(t, _)| !NOT_RUN.iter().any(|(n, _)| n == t))
            .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, Vec<String>, Ran)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((text, sources)) = to_run.get(i) else {
                    break;
                };
                let command = substitute(text, &subs, &used);
                let ran = run_example(&f, i, &command);
                results
                    .lock()
                    .unwrap()
                    .push(((*text).clone(), (*sources).clone(), ran));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));

    let mut failures = Vec::new();
    for (text, sources, ran) in &results {
        let (want, shows, why) = EXPECT
            .iter()
            .find(|(t, ..)| t == text)
            .map_or((0, &[][..], ""), |(_, c, s, w)| (*c, *s, *w));
        let output = format!("{}{}", ran.stdout, ran.stderr);
        let ok = ran.code == want
            && shows.iter().all(|s| output.contains(s))
            && !ran.stderr.contains("panicked")
            && !ran.stderr.contains("internal error");
        println!(
            "{} exit {} ({:.1} s) {text}",
            if ok { "ok  " } else { "FAIL" },
            ran.code,
            ran.secs
        );
        if !ok {
            failures.push(format!(
                "{text}\n  from: {}\n  ran:  {}\n  exit {} (want {want}{}{})\n  stdout: {}\n  stderr: {}",
                sources.join(", "),
                ran.command,
                ran.code,
                if shows.is_empty() { String::new() } else { format!(", showing {shows:?}") },
                if why.is_empty() { String::new() } else { format!(": {why}") },
                ran.stdout.trim_end().replace('\n', "\n          "),
                ran.stderr.trim_end().replace('\n', "\n          "),
            ));
        }
    }
    // No example made a certificate (one that did would race the others and wait for the
    // emulator to issue it): the emulator still holds just the fixture's.
    let out = certctl()
        .args([
            "--json",
            "--endpoint-url",
            &f.moto.endpoint,
            "--region",
            "eu-west-1",
            "acm",
            "list",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arns: Vec<&str> = doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["arn"].as_str())
        .collect();
    if arns != [f.certificate_arn.as_str()] {
        failures.push(format!(
            "the examples changed the emulator's certificates: {arns:?}"
        ));
    }
    for (k, (from, _, _)) in subs.iter().enumerate() {
        if used[k].load(Ordering::Relaxed) == 0 {
            failures.push(format!("the substitution of {from:?} matches no example"));
        }
    }
    // The figures, also for scripts/test to print after the suite.
    let mut figures = vec![format!(
        "examples: {found} found ({from_help} in --help, {} in README.md and docs/), {} distinct: {} ran \
         ({} exit 0, {} with the exit code EXPECT gives), {} not run (NOT_RUN), {:.1} s",
        found - from_help,
        ex.0.len(),
        results.len(),
        results.len() - EXPECT.len(),
        EXPECT.len(),
        NOT_RUN.len(),
        started.elapsed().as_secs_f64()
    )];
    figures.extend(
        NOT_RUN
            .iter()
            .map(|(text, why)| format!("  not run: {text}: {why}")),
    );
    for line in &figures {
        println!("{line}");
    }
    let _ = std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-figures.txt"),
        figures.join("\n") + "\n",
    );
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n\n{}",
        failures.len(),
        results.len(),
        failures.join("\n\n")
    );
}
