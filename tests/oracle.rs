//! API Gateway's verdict against an oracle: the JDK's PKIX trust manager plus Apache HttpClient
//! 4.5's hostname verifier (`tests/oracle/ApigwOracle.java`, compiled with javac at test time),
//! over the x509-limbo SERVER cases (`tests/fixtures/limbo/`) and over chains made here.
//! The JDK and `libhttpclient-java` are required: without them these tests fail.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use certctl::trust::verify::apigw;
use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};
use support::oracle::compile_oracle;
use support::{Spec, AT_UNIX, DAY};

/// One case for both judges.
struct Case {
    id: String,
    /// The server's chain, peer first.
    chain: Vec<Vec<u8>>,
    anchors: Vec<Vec<u8>>,
    at: i64,
    host: Option<String>,
    /// x509-limbo's expected result, when the case comes from it.
    expected_success: Option<bool>,
}

/// The oracle's answer: `None` when it accepts, else (kind, message).
type OracleAnswer = Option<(String, String)>;

fn pem_all(ders: &[Vec<u8>]) -> String {
    ders.iter()
        .map(|d| certctl::pem::encode_certificate(d))
        .collect()
}

fn der_of(pem: &str) -> Vec<u8> {
    certctl::pem::decode_certificates(pem.as_bytes())
        .ok()
        .and_then(|v| v.into_iter().next())
        .map(|d| d.as_ref().to_vec())
        .unwrap_or_default()
}

/// Runs every case through one JVM.
fn run_oracle(cases: &[Case]) -> BTreeMap<String, OracleAnswer> {
    let dir = support::tempdir();
    let cp = compile_oracle(dir.path());
    let mut manifest = String::new();
    for (i, c) in cases.iter().enumerate() {
        let a = support::write(dir.path(), &format!("{i}-anchors.pem"), pem_all(&c.anchors));
        let ch = support::write(dir.path(), &format!("{i}-chain.pem"), pem_all(&c.chain));
        manifest.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            c.id,
            c.at,
            c.host.as_deref().unwrap_or("-"),
            a.display(),
            ch.display()
        ));
    }
    let m = support::write(dir.path(), "manifest", manifest);
    let out = Command::new("java")
        .arg("-cp")
        .arg(&cp)
        .arg("ApigwOracle")
        .arg(&m)
        .output()
        .expect("java (JDK 17) must be installed");
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut answers = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let answer = match f.get(1) {
            Some(&"ACCEPT") => None,
            _ => Some((
                f.get(2).unwrap_or(&"").to_string(),
                f.get(3).unwrap_or(&"").to_string(),
            )),
        };
        answers.insert(f[0].to_string(), answer);
    }
    assert_eq!(answers.len(), cases.len(), "the oracle answered every case");
    answers
}

fn limbo_cases() -> Vec<Case> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/limbo/server-subset.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["testcases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            let list = |k: &str| -> Vec<Vec<u8>> {
                t[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|p| der_of(p.as_str().unwrap()))
                    .collect()
            };
            let at = time::OffsetDateTime::parse(
                &s("validation_time"),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
            .unix_timestamp();
            let mut chain = vec![der_of(&s("peer_certificate"))];
            chain.extend(list("untrusted_intermediates"));
            Case {
                id: s("id"),
                chain,
                anchors: list("trusted_certs"),
                at,
                host: t["expected_peer_name"]["value"]
                    .as_str()
                    .map(str::to_string),
                expected_success: Some(s("expected_result") == "SUCCESS"),
            }
        })
        .collect()
}

/// Chains of the kinds operators actually meet, made at test time around the pinned instant.
fn generated_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let host = "api.example.com";
    let mut add = |id: &str, chain: Vec<&[u8]>, anchors: Vec<&[u8]>, host: Option<&str>| {
        cases.push(Case {
            id: format!("gen::{id}"),
            chain: chain.into_iter().map(<[u8]>::to_vec).collect(),
            anchors: anchors.into_iter().map(<[u8]>::to_vec).collect(),
            at: AT_UNIX,
            host: host.map(str::to_string),
            expected_success: None,
        });
    };
    let c = support::chain(host);
    let (root, inter, leaf) = (&c.root.der[..], &c.inter.der[..], &c.leaf.der[..]);
    add("good", vec![leaf, inter], vec![root], Some(host));
    add(
        "good-root-sent",
        vec![leaf, inter, root],
        vec![root],
        Some(host),
    );
    add(
        "out-of-order",
        vec![leaf, root, inter],
        vec![root],
        Some(host),
    );
    add("missing-intermediate", vec![leaf], vec![root], Some(host));
    add(
        "wrong-host",
        vec![leaf, inter],
        vec![root],
        Some("other.example.com"),
    );
    add(
        "untrusted-root",
        vec![leaf, inter],
        vec![&c.leaf.der],
        Some(host),
    );
    add("leaf-is-anchor", vec![leaf, inter], vec![leaf], Some(host));
    add(
        "intermediate-is-anchor",
        vec![leaf, inter],
        vec![inter],
        Some(host),
    );
    add("no-host", vec![leaf, inter], vec![root], None);

    let expired = support::chain_with(host, |s| s.not_after = AT_UNIX - DAY);
    add(
        "expired-leaf",
        vec![&expired.leaf.der, &expired.inter.der],
        vec![&expired.root.der],
        Some(host),
    );
    let future = support::chain_with(host, |s| s.not_before = AT_UNIX + DAY);
    add(
        "not-yet-valid-leaf",
        vec![&future.leaf.der, &future.inter.der],
        vec![&future.root.der],
        Some(host),
    );
    let wild = support::chain_with("*.example.com", |_| {});
    add(
        "wildcard",
        vec![&wild.leaf.der, &wild.inter.der],
        vec![&wild.root.der],
        Some("api.example.com"),
    );
    add(
        "wildcard-two-labels",
        vec![&wild.leaf.der, &wild.inter.der],
        vec![&wild.root.der],
        Some("a.api.example.com"),
    );
    let ip = support::chain_with(host, |s| s.ips = vec!["10.0.0.5".parse().unwrap()]);
    add(
        "ip-san",
        vec![&ip.leaf.der, &ip.inter.der],
        vec![&ip.root.der],
        Some("10.0.0.5"),
    );
    add(
        "ip-san-other-ip",
        vec![&ip.leaf.der, &ip.inter.der],
        vec![&ip.root.der],
        Some("10.0.0.6"),
    );
    let cn_only = support::chain_with(host, |s| s.dns.clear());
    add(
        "cn-only",
        vec![&cn_only.leaf.der, &cn_only.inter.der],
        vec![&cn_only.root.der],
        Some(host),
    );
    let client_only = support::chain_with(host, |s| {
        s.eku = Some(vec![ExtendedKeyUsagePurpose::ClientAuth])
    });
    add(
        "client-auth-only",
        vec![&client_only.leaf.der, &client_only.inter.der],
        vec![&client_only.root.der],
        Some(host),
    );
    let no_eku = support::chain_with(host, |s| s.eku = None);
    add(
        "no-eku",
        vec![&no_eku.leaf.der, &no_eku.inter.der],
        vec![&no_eku.root.der],
        Some(host),
    );
    let ku = support::chain_with(host, |s| {
        s.key_usages = vec![KeyUsagePurpose::KeyEncipherment]
    });
    add(
        "key-encipherment-only",
        vec![&ku.leaf.der, &ku.inter.der],
        vec![&ku.root.der],
        Some(host),
    );
    // Self-signed leaves, as `certctl issue onprem` (CA:FALSE) and `openssl req -x509`
    // (CA:TRUE) make them, trusted and not.
    let ss = Spec::leaf(host).self_signed();
    add(
        "self-signed-untrusted",
        vec![&ss.der],
        vec![root],
        Some(host),
    );
    add(
        "self-signed-trusted",
        vec![&ss.der],
        vec![&ss.der],
        Some(host),
    );
    let mut ca_spec = Spec::leaf(host);
    ca_spec.ca = true;
    let ss_ca = ca_spec.self_signed();
    add(
        "self-signed-ca-untrusted",
        vec![&ss_ca.der],
        vec![root],
        Some(host),
    );
    add(
        "self-signed-ca-trusted",
        vec![&ss_ca.der],
        vec![&ss_ca.der],
        Some(host),
    );
    // An expired root still anchors (the JDK does not check the anchor's validity).
    let old_root = support::chain_with(host, |_| {});
    let mut r = Spec::ca("Expired Root");
    r.not_after = AT_UNIX - DAY;
    let r = r.self_signed();
    let i = Spec::ca("Under Expired Root").signed_by(&r);
    let l = Spec::leaf(host).signed_by(&i);
    add(
        "expired-root",
        vec![&l.der, &i.der],
        vec![&r.der],
        Some(host),
    );
    drop(old_root);
    cases
}

struct Tally {
    total: usize,
    agree: usize,
    certctl_accepts_oracle_refuses: Vec<String>,
    certctl_refuses_oracle_accepts: Vec<String>,
    same_kind: usize,
}

fn compare(cases: &[Case], answers: &BTreeMap<String, OracleAnswer>) -> Tally {
    let mut t = Tally {
        total: cases.len(),
        agree: 0,
        certctl_accepts_oracle_refuses: Vec::new(),
        certctl_refuses_oracle_accepts: Vec::new(),
        same_kind: 0,
    };
    for c in cases {
        let v = apigw::judge(&c.chain, &c.anchors, c.at, c.host.as_deref());
        let oracle = &answers[&c.id];
        match (v.refusal.as_ref(), oracle) {
            (None, None) => {
                t.agree += 1;
                t.same_kind += 1;
            }
            (Some(r), Some((kind, msg))) => {
                t.agree += 1;
                let ours = match r.kind() {
                    "hostname" => "HOST",
                    "parse" => "PARSE",
                    _ => "PKIX",
                };
                if ours == kind {
                    t.same_kind += 1;
                } else {
                    eprintln!(
                        "  kind differs {}: certctl {r:?}; oracle {kind} {msg}",
                        c.id
                    );
                }
            }
            (None, Some((kind, msg))) => {
                eprintln!("  certctl ACCEPTS, oracle refuses {}: {kind} {msg}", c.id);
                t.certctl_accepts_oracle_refuses.push(c.id.clone());
            }
            (Some(r), None) => {
                eprintln!("  certctl refuses, oracle accepts {}: {r:?}", c.id);
                t.certctl_refuses_oracle_accepts.push(c.id.clone());
            }
        }
    }
    t
}

/// Prints a figure and keeps it in the target directory, where `scripts/test` shows it.
fn figure(line: String) {
    use std::io::Write;
    println!("{line}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-figures.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

fn report(label: &str, t: &Tally) {
    figure(format!(
        "apigw-oracle {label}: certctl's API Gateway verdict agrees with the JDK oracle on {}/{} ({:.1}%); certctl accepts where the oracle refuses: {}; certctl refuses where the oracle accepts: {}; same refusal kind: {}/{}",
        t.agree,
        t.total,
        100.0 * t.agree as f64 / t.total as f64,
        t.certctl_accepts_oracle_refuses.len(),
        t.certctl_refuses_oracle_accepts.len(),
        t.same_kind,
        t.total
    ));
}

#[test]
fn apigw_verdict_agrees_with_the_jdk_oracle_on_limbo_server_cases() {
    let cases = limbo_cases();
    assert_eq!(cases.len(), 184, "the committed subset holds the 184 cases");
    let answers = run_oracle(&cases);
    let t = compare(&cases, &answers);
    report("limbo", &t);
    let oracle_vs_limbo = cases
        .iter()
        .filter(|c| c.expected_success == Some(answers[&c.id].is_none()))
        .count();
    figure(format!(
        "apigw-oracle limbo: the JDK oracle itself agrees with limbo's expected results on {oracle_vs_limbo}/{}",
        cases.len()
    ));
    assert!(
        t.certctl_accepts_oracle_refuses.is_empty(),
        "certctl accepts where API Gateway's client refuses: {:?}",
        t.certctl_accepts_oracle_refuses
    );
    assert!(
        t.agree * 100 >= t.total * 99,
        "agreement below 99%: {}/{}; refused where the oracle accepts: {:?}",
        t.agree,
        t.total,
        t.certctl_refuses_oracle_accepts
    );
}

/// `certctl check` itself (library API, the chain as a server sends it) on one case under a
/// policy: `true` when trusted (exit 0).
fn check_trusts(c: &Case, policy: Option<&str>) -> bool {
    check_verdict(c, policy).0
}

/// Trusted, and the deny codes (or the error) when not.
fn check_verdict(c: &Case, policy: Option<&str>) -> (bool, String) {
    let dir = support::tempdir();
    let anchors = support::write(dir.path(), "anchors.pem", pem_all(&c.anchors));
    let req = certctl::jobs::check::CheckRequest {
        target: format!("{}.pem", c.id.replace("::", "-")),
        chain: Vec::new(),
        trust_store: anchors.display().to_string(),
        hostname: c.host.clone(),
        connect_to: None,
        timeout: 5.0,
        min_days: Some(0),
        policy: policy.map(PathBuf::from),
        fix_chain: None,
        at: c.at,
        fetched_pem: Some(pem_all(&c.chain).into_bytes()),
    };
    match certctl::jobs::check::run(&req) {
        Ok(r) => (
            r.exit_code() == certctl::exit::ExitStatus::Ok,
            r.findings
                .iter()
                .filter(|f| f.severity == certctl::findings::Severity::Deny)
                .map(|f| format!("{}: {}", f.code, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => (false, format!("error: {e}")),
    }
}

#[test]
fn check_never_trusts_what_the_oracle_refuses_and_strict_follows_limbo() {
    let cases = limbo_cases();
    let answers = run_oracle(&cases);
    let mut trusted_but_refused = Vec::new();
    let mut strict_agrees = 0;
    let mut strict_misses = Vec::new();
    for c in &cases {
        if check_trusts(c, None) && answers[&c.id].is_some() {
            trusted_but_refused.push(c.id.clone());
        }
        let (strict, why) = check_verdict(c, Some("strict"));
        if Some(strict) == c.expected_success {
            strict_agrees += 1;
        } else {
            strict_misses.push(format!(
                "{} (limbo {}, JDK {}, strict {strict} {why})",
                c.id,
                c.expected_success == Some(true),
                answers[&c.id].is_none()
            ));
        }
    }
    for m in &strict_misses {
        eprintln!("  strict differs from limbo: {m}");
    }
    figure(format!(
        "strict-profile limbo: `check --policy strict` agrees with x509-limbo's expected results on {strict_agrees}/{}; default `check` trusts where the JDK oracle refuses: {}",
        cases.len(),
        trusted_but_refused.len()
    ));
    assert!(
        trusted_but_refused.is_empty(),
        "check trusts where API Gateway's client refuses: {trusted_but_refused:?}"
    );
    // Every disagreement, with its reason. A new disagreement fails the test, and so does a
    // listed one that now agrees (the list cannot rot).
    let missed: Vec<&str> = strict_misses
        .iter()
        .map(|m| m.split(' ').next().unwrap_or_default())
        .collect();
    let unexplained: Vec<&&str> = missed
        .iter()
        .filter(|id| !STRICT_DISAGREES.iter().any(|(x, _)| x == *id))
        .collect();
    let stale: Vec<&str> = STRICT_DISAGREES
        .iter()
        .map(|(x, _)| *x)
        .filter(|x| !missed.contains(x))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "strict's disagreements with limbo changed: new {unexplained:?}; no longer {stale:?}"
    );
    assert!(
        strict_agrees >= 174,
        "strict agrees with limbo on {strict_agrees}/184 only"
    );
}

/// The limbo SERVER cases `check --policy strict` decides against limbo's expectation, and why.
/// Four pairs of limbo cases hold the same certificates with opposite expectations (one side
/// RFC 5280, the other CA/B or rustls-webpki), so any single profile misses one of each pair;
/// three are refused by API Gateway's client, which no profile overrules.
const STRICT_DISAGREES: &[(&str, &str)] = &[
    ("pathlen::validation-ignores-pathlen-in-leaf", "API Gateway's client refuses: a CA certificate as the leaf, keyUsage without digitalSignature"),
    ("rfc5280::ca-as-leaf", "API Gateway's client refuses: a CA certificate as the leaf, keyUsage without digitalSignature"),
    ("rfc5280::nc::nc-forbids-alternate-chain-ica", "API Gateway's client refuses: the JDK's path builder takes the path the name constraints forbid"),
    ("rfc5280::aki::cross-signed-root-missing-aki", "pair with cve::cve-2024-0567 (a cross-signed anchor without AKI, accepted there)"),
    ("webpki::eku::ee-without-eku", "pair with rfc5280::eku::ee-without-eku; strict follows RFC 5280: a leaf without EKU is a warning"),
    ("webpki::nc::permitted-dns-match-noncritical", "pair with rfc5280::nc::permitted-dns-match-noncritical; strict follows RFC 5280: name constraints are critical"),
    ("webpki::san::public-suffix-private-namespace-wildcard-san", "pair with online::s3.amazonaws.com (Amazon's own *.s3.amazonaws.com, accepted there)"),
    ("webpki::cn::not-in-san", "a CN naming another host than the SANs is the cn-not-in-san warning; six rfc5280/webpki cases accept such a leaf"),
    ("webpki::cn::punycode-not-in-san", "a CN naming another host than the SANs is the cn-not-in-san warning; six rfc5280/webpki cases accept such a leaf"),
    ("rfc5280::nc::permitted-dn-match", "a leaf that names no host (no DNS or IP SAN) is no-san: useless to API Gateway, which always checks a host"),
];

#[test]
fn apigw_verdict_agrees_with_the_jdk_oracle_on_generated_chains() {
    let cases = generated_cases();
    let answers = run_oracle(&cases);
    let t = compare(&cases, &answers);
    report("generated", &t);
    assert!(
        t.certctl_accepts_oracle_refuses.is_empty() && t.certctl_refuses_oracle_accepts.is_empty(),
        "disagreements: accepts {:?}; refuses {:?}",
        t.certctl_accepts_oracle_refuses,
        t.certctl_refuses_oracle_accepts
    );
    // The hostname refusal carries the line API Gateway logs.
    let wrong = cases.iter().find(|c| c.id == "gen::wrong-host").unwrap();
    let v = apigw::judge(
        &wrong.chain,
        &wrong.anchors,
        wrong.at,
        wrong.host.as_deref(),
    );
    let line = v.refusal.expect("refused").log_line();
    assert!(
        line.contains("Host name 'other.example.com' does not match the certificate subject provided by the peer (CN=api.example.com"),
        "{line}"
    );
    let _ = PathBuf::new();
}

/// root → CA (pathLen 0) → the same CA's new key (self-issued, signed by the old key) → leaf.
/// RFC 5280 leaves the self-issued certificate out of the path length; rustls-webpki does not.
/// With `renamed`, the middle certificate has its own name and the path length is violated.
fn rollover_case(id: &str, renamed: bool) -> Case {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let host = "api.example.com";
    let root = Spec::ca("Rollover Root").self_signed();
    let ca = |cn: &str| {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = support::ts(AT_UNIX - 365 * DAY);
        p.not_after = support::ts(AT_UNIX + 3650 * DAY);
        p.use_authority_key_identifier_extension = true;
        p
    };
    let old_key = KeyPair::generate().unwrap();
    let old_params = ca("Rollover CA");
    let old = old_params.signed_by(&old_key, &root.issuer()).unwrap();
    let new_key = KeyPair::generate().unwrap();
    let new_params = ca(if renamed { "Other CA" } else { "Rollover CA" });
    let old_issuer = rcgen::Issuer::from_params(&old_params, &old_key);
    let new = new_params.signed_by(&new_key, &old_issuer).unwrap();
    let new_made = support::Made {
        pem: new.pem(),
        der: new.der().to_vec(),
        key: new_key,
        params: new_params,
    };
    let leaf = Spec::leaf(host).signed_by(&new_made);
    Case {
        id: id.into(),
        chain: vec![leaf.der, new_made.der, old.der().to_vec()],
        anchors: vec![root.der],
        at: AT_UNIX,
        host: Some(host.into()),
        expected_success: Some(!renamed),
    }
}

#[test]
fn a_key_rollover_chain_is_trusted_as_the_jdk_trusts_it_and_a_real_path_length_violation_is_not() {
    let cases = vec![
        rollover_case("gen::rollover", false),
        rollover_case("gen::path-length-violated", true),
    ];
    let answers = run_oracle(&cases);
    for c in &cases {
        let jdk = answers[&c.id].is_none();
        assert_eq!(
            Some(jdk),
            c.expected_success,
            "the JDK on {}: {:?}",
            c.id,
            answers[&c.id]
        );
        for policy in [None, Some("strict")] {
            let (trusted, why) = check_verdict(c, policy);
            assert_eq!(trusted, jdk, "check {policy:?} on {}: {why}", c.id);
        }
    }
}
