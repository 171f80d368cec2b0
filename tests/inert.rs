//! Certificate text is inert in human output: a chain whose subject, issuer and SAN carry ESC
//! sequences, a newline with a forged `API Gateway: ACCEPTS` line, a bidi override, NUL and
//! DEL goes through every command that prints certificate, server, file or hook text. No raw
//! control byte (but the newlines of certctl's own lines), no C1 or bidi character reaches
//! stdout or stderr, no line starts with the forged text, and `--json` keeps the exact subject.

mod support;

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose,
};
use support::*;

/// What a hostile certificate holds in its CN, O and OU (a UTF8String may hold anything).
const HOSTILE: &str =
    "evil\x1b[2J\x1b]0;title\x07\r\nAPI Gateway: ACCEPTS (forged)\u{202e}gpj.exe\u{2066}\0\x7f\u{85}";
/// The same in a DNS SAN (an IA5String: ASCII only).
const HOSTILE_DNS: &str = "evil\x1b[2J\x1b]0;t\x07\r\nAPI Gateway: ACCEPTS (forged)\0\x7f.example";
const FORGED: &str = "API Gateway: ACCEPTS (forged)";

struct Cert {
    der: Vec<u8>,
    pem: String,
    key: KeyPair,
    params: CertificateParams,
}

/// A certificate whose subject CN/O/OU carry [`HOSTILE`]; a leaf also gets a subjectAltName
/// (DER by hand: rcgen refuses such a DNS name) with [`HOSTILE_DNS`] and 127.0.0.1.
fn hostile(prefix: &str, issuer: Option<&Cert>) -> Cert {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{prefix}{HOSTILE}"));
    dn.push(DnType::OrganizationName, HOSTILE);
    dn.push(DnType::OrganizationalUnitName, HOSTILE);
    p.distinguished_name = dn;
    p.not_before = ts(AT_UNIX - 30 * DAY);
    p.not_after = ts(AT_UNIX + 300 * DAY);
    if issuer.is_none() {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        let mut names = vec![0x82, HOSTILE_DNS.len() as u8];
        names.extend(HOSTILE_DNS.as_bytes());
        names.extend([0x87, 4, 127, 0, 0, 1]);
        let mut san = vec![0x30, names.len() as u8];
        san.extend(names);
        p.custom_extensions
            .push(CustomExtension::from_oid_content(&[2, 5, 29, 17], san));
    }
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        None => p.self_signed(&key).unwrap(),
        Some(i) => p
            .signed_by(&key, &Issuer::from_params(&i.params, &i.key))
            .unwrap(),
    };
    Cert {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
        params: p,
    }
}

/// Fails when `out` (stdout or stderr of `what`) holds a raw control byte other than a
/// newline, a C1 control, a bidi or invisible format character, or a line that starts with
/// the forged text.
fn assert_inert(what: &str, out: &[u8]) {
    for (i, b) in out.iter().enumerate() {
        assert!(
            (*b >= 0x20 || *b == b'\n') && *b != 0x7f,
            "{what}: raw byte {b:#04x} at {i}:\n{}",
            String::from_utf8_lossy(out)
        );
    }
    let text = String::from_utf8_lossy(out);
    for c in text.chars() {
        let u = u32::from(c);
        assert!(
            !(0x80..=0x9f).contains(&u)
                && !(0x202a..=0x202e).contains(&u)
                && !(0x2066..=0x2069).contains(&u)
                && !(0x200b..=0x200f).contains(&u),
            "{what}: raw {u:#x}:\n{text}"
        );
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with(FORGED),
            "{what}: a forged line:\n{text}"
        );
    }
}

fn run_raw(args: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
    let out = certctl().args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, out.stderr)
}

/// Runs `args` in human mode (and with `-q`), checks both streams; returns the human stdout.
fn human(args: &[&str]) -> String {
    let (code, out, err) = run_raw(args);
    assert!(code <= 2, "{args:?}: exit {code}");
    assert_inert(&format!("{args:?} stdout"), &out);
    assert_inert(&format!("{args:?} stderr"), &err);
    let quiet: Vec<&str> = args.iter().copied().chain(["-q"]).collect();
    let (_, qout, qerr) = run_raw(&quiet);
    assert_inert(&format!("{quiet:?} stdout"), &qout);
    assert_inert(&format!("{quiet:?} stderr"), &qerr);
    String::from_utf8(out).unwrap()
}

/// Runs `args` with `--json`: one valid document whose strings hold the raw text.
fn json(args: &[&str]) -> serde_json::Value {
    let with: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
    let (_, out, _) = run_raw(&with);
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{with:?}: {e}"))
}

/// The commands run below, and those that print no text from a certificate, server, file
/// or hook a user can give them (with why); the test fails when the command tree grows a
/// command that is in neither list.
const COVERED: &[&str] = &["check", "inspect", "scan", "rotate", "truststore"];
const NOT_HERE: &[(&str, &str)] = &[
    (
        "policy",
        "prints a policy file's values, certctl's own levels",
    ),
    (
        "ca",
        "prints the subject of the CA certctl made itself from its own flags",
    ),
    (
        "issue",
        "prints the certificate certctl made itself from its own flags",
    ),
    (
        "acm",
        "AWS-returned text: every field goes through the same renderer (output::inert); needs AWS",
    ),
    (
        "doctor",
        "the live hop's certificate text goes through the same renderer (output::inert); needs AWS",
    ),
    (
        "mtls",
        "fed a client certificate with hostile subject text in tests/mtls.rs (needs the emulator)",
    ),
    ("completions", "prints a fixed script"),
    ("man", "prints fixed pages"),
];

#[test]
fn every_command_is_either_fed_hostile_text_here_or_prints_none() {
    let tree = certctl::helptext::command();
    let names: Vec<&str> = tree
        .get_subcommands()
        .map(|c| c.get_name())
        .filter(|n| *n != "help")
        .collect();
    for n in &names {
        assert!(
            COVERED.contains(n) || NOT_HERE.iter().any(|(c, _)| c == n),
            "`certctl {n}` is new: feed it hostile certificate text in tests/inert.rs or say why it prints none"
        );
    }
}

#[test]
fn hostile_certificate_text_is_inert_in_every_human_printer_and_exact_in_json() {
    let d = tempdir();
    let ca = hostile("ca ", None);
    let leaf = hostile("leaf ", Some(&ca));
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    let leaf_file = write(&dir, "leaf.pem", format!("{}{}", leaf.pem, ca.pem));
    let ca_file = write(d.path(), "ca.pem", &ca.pem);
    // A file name chosen by whoever can write into a scanned directory.
    write(
        &dir,
        "name\x1b[2J\nAPI Gateway: ACCEPTS (forged).pem",
        &leaf.pem,
    );
    write(
        &dir,
        "broken\x1b]0;x\x07.pem",
        "-----BEGIN CERTIFICATE-----\n!!\n",
    );
    let chain = vec![leaf.der.clone().into(), ca.der.clone().into()];
    let port = serve_chain(chain, leaf.key.serialize_der(), None);
    let url = format!("https://127.0.0.1:{port}");
    let (leaf_s, dir_s, ca_s) = (
        leaf_file.to_str().unwrap(),
        dir.to_str().unwrap(),
        ca_file.to_str().unwrap(),
    );

    for args in [
        vec!["check", leaf_s, "--at", AT],
        vec![
            "check",
            leaf_s,
            "--at",
            AT,
            "--trust-store",
            ca_s,
            "--hostname",
            "x",
        ],
        vec!["check", &url, "--at", AT],
        vec!["check", &url, "--at", AT, "--trust-store", ca_s, "-v"],
        vec!["inspect", leaf_s, "--at", AT],
        vec!["inspect", &url, "--at", AT],
        vec!["scan", dir_s, "--at", AT],
        vec!["scan", dir_s, "--at", AT, "-v"],
    ] {
        let out = human(&args);
        // The text is there, escaped: the escapes show what the certificate holds.
        assert!(
            out.contains("\\e[2J") || args[0] == "check" && !out.contains("evil"),
            "{args:?}:\n{out}"
        );
    }
    // truststore bundle|lint print the subjects (and stray lines) of the files they are given.
    let bundle = d.path().join("bundle.pem");
    let bundle_s = bundle.to_str().unwrap();
    human(&[
        "truststore",
        "bundle",
        "--for",
        "alb",
        ca_s,
        "--out",
        bundle_s,
        "--at",
        AT,
    ]);
    let written = std::fs::read_to_string(&bundle).unwrap();
    assert!(
        written.lines().all(|l| !l.starts_with('#') || l.chars().all(|c| (' '..='~').contains(&c) && c != '-')),
        "{written}"
    );
    let stray = write(
        d.path(),
        "stray.pem",
        format!("evil\x1b[2J line\n{}", ca.pem),
    );
    fn lint_args<'a>(bundle: &'a str, leaf: &'a str) -> [&'a str; 9] {
        [
            "truststore",
            "lint",
            "--for",
            "alb",
            bundle,
            "--client",
            leaf,
            "--at",
            AT,
        ]
    }
    let lint = |bundle| lint_args(bundle, leaf_s);
    for args in [lint(bundle_s), lint(stray.to_str().unwrap())] {
        let out = human(&args);
        assert!(out.contains("\\e[2J"), "{args:?}:\n{out}");
    }
    let doc = json(&lint(bundle_s));
    let subject = doc["certificates"][0]["subject"].as_str().unwrap();
    assert!(subject.contains(HOSTILE), "truststore lint: {subject:?}");
    let out = human(&["inspect", leaf_s, "--at", AT]);
    assert!(
        out.contains("evil\\e[2J\\e]0;title\\x07\\r\\nAPI Gateway: ACCEPTS (forged)\\u{202e}gpj.exe\\u{2066}\\x00\\x7f\\u{85}"),
        "{out}"
    );
    assert!(out.contains("DNS:evil\\e[2J"), "{out}");

    // JSON keeps the exact text.
    let subject_has = |v: &serde_json::Value, what: &str| {
        let s = v.as_str().unwrap_or_else(|| panic!("{what}: no subject"));
        assert!(s.contains(HOSTILE), "{what}: {s:?}");
    };
    let doc = json(&["check", leaf_s, "--at", AT]);
    subject_has(&doc["path"][0]["subject"], "check");
    let doc = json(&["inspect", &url, "--at", AT]);
    subject_has(&doc["certificates"][0]["subject"], "inspect URL");
    subject_has(&doc["certificates"][0]["issuer"], "inspect URL issuer");
    assert_eq!(
        doc["certificates"][0]["dns_names"][0], HOSTILE_DNS,
        "{doc:#}"
    );
    let doc = json(&["scan", dir_s, "--at", AT]);
    subject_has(&doc["items"][0]["subject"], "scan");
    let paths: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("name\x1b[2J\nAPI Gateway: ACCEPTS (forged).pem")),
        "{paths:?}"
    );
}

#[test]
fn hook_output_is_shown_line_by_line_each_line_inert() {
    let d = tempdir();
    // A failing hook (so its output is shown) printing screen-clearing, title-setting and
    // bidi sequences, a CR, and a forged line of its own.
    let hook = r"printf 'deploying\033[2J\033]0;pwned\007\r\nAPI Gateway: ACCEPTS (forged)\n\342\200\256evil\000\177 done\n' ; exit 1";
    let cfg = write(
        d.path(),
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.onprem.example.internal\"]\nout-dir = \"lb\"\ndays = 365\ndeploy-hook = \"{}\"\n",
            hook.replace('\\', "\\\\").replace('"', "\\\"")
        ),
    );
    let args = ["rotate", "--config", cfg.to_str().unwrap(), "--at", AT];
    let out = human(&args);
    // Each line of the hook's output is its own report line, escaped inside.
    // (A CR before the newline ends the line like the newline: CRLF.)
    assert!(
        out.contains("lb: hook| deploying\\e[2J\\e]0;pwned\\x07\n"),
        "{out}"
    );
    assert!(
        out.contains("lb: hook| API Gateway: ACCEPTS (forged)\n"),
        "{out}"
    );
    assert!(out.contains("lb: hook| \\u{202e}evil"), "{out}");
    let doc = json(&args);
    let raw = doc["sets"][0]["hook"]["output"]
        .as_str()
        .unwrap_or_default();
    assert!(raw.contains("deploying\x1b[2J\x1b]0;pwned\x07"), "{doc:#}");
}

/// A lint over the human printers: a field that holds text from elsewhere is never a bare
/// format argument or a raw table cell; it goes through `Inert`, `inert`, `cell`, `bounded`,
/// `inert_join` or `inert_lines` (the sink's wall would still escape control bytes, but not a
/// newline that forges a line).
#[test]
fn human_printers_never_format_foreign_text_raw() {
    const FIELDS: &[&str] = &[
        "subject",
        "issuer",
        "message",
        "hint",
        "output",
        "error",
        "summary",
        "domain",
        "target",
        "command",
        "dns_names",
        "names",
        "value",
        "log_line",
        "display_name()",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/output");
    let mut bad = Vec::new();
    for file in ["human.rs", "onprem.rs", "acm.rs", "audit.rs", "albtrust.rs"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            let arg = t.trim_end_matches(',').trim_start_matches('&');
            let bare = FIELDS.iter().any(|f| {
                arg.ends_with(&format!(".{f}"))
                    && arg.split('.').count() == 2
                    && !arg.starts_with('.')
                    && arg
                        .chars()
                        .all(|c| c.is_alphanumeric() || "_.()".contains(c))
            });
            let raw_cell = FIELDS.iter().any(|f| {
                t.contains(&format!(".{f}.clone()")) || t.contains(&format!(".{f}.join("))
            });
            let helped = [
                "Inert(",
                "inert(",
                "cell(",
                "bounded(",
                "inert_join(",
                "inert_lines(",
            ]
            .iter()
            .any(|h| t.contains(h));
            if bare || (raw_cell && !helped) {
                bad.push(format!("src/output/{file}:{}: {t}", n + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "foreign text printed raw:\n{}",
        bad.join("\n")
    );
}
