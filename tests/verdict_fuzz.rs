//! Differential testing of `check`'s API Gateway verdict against the JDK oracle
//! (`tests/oracle/ApigwOracle.java`: JDK 17 PKIX trust manager + HttpClient 4.5.14's
//! DefaultHostnameVerifier) on randomly generated chains: key types and sizes, hashes,
//! basicConstraints/keyUsage/EKU presence and criticality, pathLen, name constraints, SAN kinds
//! and CN, validity windows, chain order, missing/extra/root-sent certificates and host names in
//! several forms. Every disagreement is printed with the directory holding its files.
//!
//! `cargo test` runs `CERTCTL_VERDICT_FUZZ_CASES` (default 300) cases from
//! `CERTCTL_VERDICT_FUZZ_SEED` (default 22); `scripts/fuzz-verdict N SEED` runs more by hand.

mod support;

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    CertificateParams, CidrSubnet, DnType, GeneralSubtree, IsCa, NameConstraints, SanType,
};
use support::oracle::compile_oracle;
use support::{AT_UNIX, DAY};

/// The JVM's start dominates: this many cases go to one oracle run.
const BATCH: usize = 2500;

use support::fuzz::*;

/// One certificate to make.
struct Plan {
    cn: Option<String>,
    org: String,
    dns: Vec<String>,
    ips: Vec<IpAddr>,
    bc: Bc,
    ku: Option<(u8, bool)>,
    eku: Option<(Vec<&'static [u8]>, bool)>,
    nc: Option<NameConstraints>,
    not_before: i64,
    not_after: i64,
    key: Key,
}

impl Plan {
    fn ca(name: &str, rng: &mut Rng) -> Plan {
        let (nb, na) = validity(rng, 3650);
        let bc = match rng.below(200) {
            0..=2 => None,
            3..=10 => Some((true, None, false)),
            11..=24 => Some((true, Some(rng.below(3) as u8), true)),
            25 => Some((false, None, true)),
            _ => Some((true, None, true)),
        };
        let ku = match rng.below(200) {
            0..=15 => None,
            16..=18 => Some((0x02, true)),
            19..=26 => Some((0x86, false)),
            _ => Some((0x06, true)),
        };
        let eku = match rng.below(100) {
            0..=4 => Some((vec![SERVER_AUTH], false)),
            5..=6 => Some((vec![CLIENT_AUTH], false)),
            _ => None,
        };
        let nc = rng.pct(5).then(|| name_constraints(rng));
        Plan {
            cn: Some(name.to_string()),
            org: "Fuzz".into(),
            dns: Vec::new(),
            ips: Vec::new(),
            bc,
            ku,
            eku,
            nc,
            not_before: nb,
            not_after: na,
            key: random_key(rng),
        }
    }

    fn leaf(rng: &mut Rng) -> Plan {
        let (nb, na) = validity(rng, 200);
        let mut dns: Vec<String> = ["lb.example.test", "*.example.test", "api.example.test"]
            .iter()
            .filter(|_| rng.pct(40))
            .map(|s| s.to_string())
            .collect();
        if rng.pct(5) {
            dns.push("LB.Example.Test".into());
        }
        let ips: Vec<IpAddr> = ["10.0.0.5", "2001:db8::5"]
            .iter()
            .filter(|_| rng.pct(20))
            .map(|s| s.parse().unwrap())
            .collect();
        let cn = match rng.below(10) {
            0..=1 => None,
            2..=4 => Some("lb.example.test".to_string()),
            5 => Some("10.0.0.5".to_string()),
            6 => Some("*.example.test".to_string()),
            _ => Some("Fuzz Leaf".to_string()),
        };
        let bc = match rng.below(100) {
            0..=59 => None,
            60..=89 => Some((false, None, rng.pct(50))),
            _ => Some((true, None, true)),
        };
        let ku = match rng.below(100) {
            0..=29 => None,
            30..=86 => Some((0x80, rng.pct(70))),
            87..=91 => Some((0xa0, true)),
            92..=94 => Some((0x20, true)),
            _ => Some((0x84, true)),
        };
        let eku = match rng.below(100) {
            0..=14 => None,
            15..=81 => Some((vec![SERVER_AUTH], false)),
            82..=86 => Some((vec![SERVER_AUTH, CLIENT_AUTH], rng.pct(50))),
            87..=89 => Some((vec![CLIENT_AUTH], false)),
            _ => Some((vec![ANY_EKU], false)),
        };
        Plan {
            cn,
            org: "Fuzz".into(),
            dns,
            ips,
            bc,
            ku,
            eku,
            nc: None,
            not_before: nb,
            not_after: na,
            key: random_key(rng),
        }
    }

    fn params(&self) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = &self.cn {
            p.distinguished_name.push(DnType::CommonName, cn.clone());
        }
        p.distinguished_name
            .push(DnType::OrganizationName, self.org.clone());
        p.subject_alt_names = self
            .dns
            .iter()
            .map(|d| SanType::DnsName(d.clone().try_into().unwrap()))
            .chain(self.ips.iter().map(|i| SanType::IpAddress(*i)))
            .collect();
        p.not_before = support::ts(self.not_before);
        p.not_after = support::ts(self.not_after);
        p.is_ca = IsCa::NoCa;
        p.use_authority_key_identifier_extension = true;
        p.name_constraints = self.nc.clone();
        if let Some(bc) = self.bc {
            p.custom_extensions.push(bc_ext(bc));
        }
        if let Some((bits, critical)) = self.ku {
            p.custom_extensions.push(ku_ext(bits, critical));
        }
        if let Some((oids, critical)) = &self.eku {
            p.custom_extensions.push(eku_ext(oids, *critical));
        }
        p
    }
}

/// (notBefore, notAfter): mostly valid at the instant, sometimes expired or not yet valid.
fn validity(rng: &mut Rng, days: i64) -> (i64, i64) {
    match rng.below(100) {
        0..=2 => (AT_UNIX - 2 * days * DAY, AT_UNIX - DAY),
        3..=5 => (AT_UNIX + DAY, AT_UNIX + days * DAY),
        _ => (AT_UNIX - 30 * DAY, AT_UNIX + days * DAY),
    }
}

fn name_constraints(rng: &mut Rng) -> NameConstraints {
    let mut nc = NameConstraints {
        permitted_subtrees: Vec::new(),
        excluded_subtrees: Vec::new(),
    };
    match rng.below(5) {
        0 => nc
            .permitted_subtrees
            .push(GeneralSubtree::DnsName("example.test".into())),
        1 => nc
            .permitted_subtrees
            .push(GeneralSubtree::DnsName("other.test".into())),
        2 => nc
            .excluded_subtrees
            .push(GeneralSubtree::DnsName("lb.example.test".into())),
        3 => nc.permitted_subtrees.push(GeneralSubtree::IpAddress(
            "10.0.0.0/8".parse::<CidrSubnet>().unwrap(),
        )),
        _ => nc.excluded_subtrees.push(GeneralSubtree::IpAddress(
            "2001:db8::/32".parse::<CidrSubnet>().unwrap(),
        )),
    }
    nc
}

/// A made certificate: DER and what signs with it.
fn make(plan: &Plan, issuer: Option<&Signed>, pool: &KeyPool, rng: &mut Rng) -> Signed {
    let key = pool.key(plan.key, rng);
    let params = plan.params();
    sign(params, key, issuer)
}

/// One generated case: what the server sends (peer first), the trust anchors, the host.
struct Case {
    id: String,
    chain: Vec<Vec<u8>>,
    anchors: Vec<Vec<u8>>,
    host: Option<String>,
    /// How it was made, for the report.
    shape: String,
}

const HOSTS: &[&str] = &[
    "lb.example.test",
    "LB.EXAMPLE.TEST",
    "lb.example.test.",
    "a.example.test",
    "a.b.example.test",
    "api.example.test",
    "other.test",
    "10.0.0.5",
    "10.0.0.6",
    "2001:db8::5",
    "2001:DB8:0:0:0:0:0:5",
];

/// A host the leaf names (a DNS SAN, as written or in upper case, a name under a wildcard, an
/// IP SAN in its short or long form, the CN), or `None` when it names none.
fn own_host(leaf: &Plan, rng: &mut Rng) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for d in &leaf.dns {
        match d.strip_prefix("*.") {
            Some(base) => names.push(format!("{}.{base}", rng.pick(&["a", "lb", "api"]))),
            None if rng.pct(20) => names.push(d.to_ascii_uppercase()),
            None => names.push(d.clone()),
        }
    }
    for ip in &leaf.ips {
        match ip {
            IpAddr::V6(a) if rng.pct(40) => names.push(
                a.segments()
                    .iter()
                    .map(|s| format!("{s:X}"))
                    .collect::<Vec<_>>()
                    .join(":"),
            ),
            ip => names.push(ip.to_string()),
        }
    }
    names.extend(
        leaf.cn
            .iter()
            .filter(|c| !c.contains(' ') && !c.contains('*'))
            .cloned(),
    );
    (!names.is_empty()).then(|| rng.pick(&names).clone())
}

fn generate(n: usize, rng: &mut Rng, pool: &KeyPool) -> Case {
    let mut shape = String::new();
    let root = make(&Plan::ca(&format!("Fuzz Root {n}"), rng), None, pool, rng);
    let depth = *rng.pick(&[0, 1, 1, 1, 2]);
    let mut inters: Vec<Signed> = Vec::new();
    for d in 0..depth {
        let plan = Plan::ca(&format!("Fuzz Intermediate {n}.{d}"), rng);
        let m = make(&plan, Some(inters.last().unwrap_or(&root)), pool, rng);
        inters.push(m);
    }
    let leaf_plan = Plan::leaf(rng);
    let leaf = make(&leaf_plan, Some(inters.last().unwrap_or(&root)), pool, rng);
    // What the server sends: leaf, the intermediates nearest first, then variations.
    let mut chain: Vec<Vec<u8>> = vec![leaf.der.clone()];
    chain.extend(inters.iter().rev().map(|m| m.der.clone()));
    if !inters.is_empty() && rng.pct(5) {
        let i = 1 + rng.below(inters.len());
        chain.remove(i);
        shape.push_str(" missing-intermediate");
    }
    if rng.pct(20) {
        chain.push(root.der.clone());
        shape.push_str(" root-sent");
    }
    let stray = || {
        let mut p = Plan::ca(&format!("Fuzz Stray {n}"), &mut Rng(n as u64));
        p.not_before = AT_UNIX - DAY;
        p
    };
    if rng.pct(10) {
        let s = make(&stray(), None, pool, rng);
        let at = 1 + rng.below(chain.len());
        chain.insert(at, s.der);
        shape.push_str(" extra-unrelated");
    }
    if chain.len() > 2 && rng.pct(8) {
        let (a, b) = (
            1 + rng.below(chain.len() - 1),
            1 + rng.below(chain.len() - 1),
        );
        chain.swap(a, b);
        shape.push_str(" misordered");
    }
    if chain.len() > 1 && rng.pct(4) {
        let a = rng.below(chain.len());
        chain.swap(0, a);
        shape.push_str(" leaf-not-first");
    }
    if rng.pct(3) {
        let s = make(&stray(), None, pool, rng);
        chain.insert(1, s.der);
        shape.push_str(" stray-after-leaf");
    }
    if rng.pct(3) {
        let d = chain[rng.below(chain.len())].clone();
        chain.push(d);
        shape.push_str(" duplicate");
    }
    let mut anchors = Vec::new();
    if rng.pct(95) {
        anchors.push(root.der.clone());
    } else {
        shape.push_str(" root-not-trusted");
    }
    if !inters.is_empty() && rng.pct(4) {
        anchors.push(inters[0].der.clone());
        shape.push_str(" intermediate-trusted");
    }
    if anchors.is_empty() || rng.pct(5) {
        let other = make(&Plan::ca(&format!("Fuzz Other {n}"), rng), None, pool, rng);
        anchors.push(other.der);
    }
    // Mostly a name the leaf carries (in one of the forms a user writes), else any host.
    let host = rng.pct(92).then(|| match own_host(&leaf_plan, rng) {
        Some(h) if rng.pct(60) => h,
        _ => rng.pick(HOSTS).to_string(),
    });
    Case {
        id: format!("c{n}"),
        chain,
        anchors,
        host,
        shape: format!("depth {depth}{shape}"),
    }
}

fn pem_all(ders: &[Vec<u8>]) -> String {
    ders.iter()
        .map(|d| certctl::pem::encode_certificate(d))
        .collect()
}

/// The oracle's answer per case: `None` accepts, else (kind, message).
fn run_oracle(dir: &Path, cp: &str, cases: &[Case]) -> Vec<Option<(String, String)>> {
    let mut manifest = String::new();
    for c in cases {
        let _ = writeln!(
            manifest,
            "{}\t{AT_UNIX}\t{}\t{}\t{}",
            c.id,
            c.host.as_deref().unwrap_or("-"),
            dir.join(format!("{}-anchors.pem", c.id)).display(),
            dir.join(format!("{}-chain.pem", c.id)).display(),
        );
    }
    let m = support::write(dir, "manifest", manifest);
    let out = Command::new("java")
        .arg("-cp")
        .arg(cp)
        .arg("ApigwOracle")
        .arg(&m)
        .output()
        .expect("java (JDK 17) must be installed");
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let answers: std::collections::HashMap<&str, Option<(String, String)>> = text
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let a = (f.get(1) != Some(&"ACCEPT")).then(|| {
                (
                    f.get(2).unwrap_or(&"").to_string(),
                    f[3..].join(" | ").to_string(),
                )
            });
            (f[0], a)
        })
        .collect();
    cases
        .iter()
        .map(|c| {
            answers
                .get(c.id.as_str())
                .cloned()
                .expect("every case answered")
        })
        .collect()
}

/// certctl's verdict (`check`'s `apigateway`, the chain as a server sends it): `None` accepts,
/// else the cause; and whether `check` exits 0.
fn certctl_verdict(dir: &Path, c: &Case) -> (Option<String>, bool) {
    let req = certctl::jobs::check::CheckRequest {
        target: format!("https://{}", c.id),
        chain: Vec::new(),
        trust_store: dir
            .join(format!("{}-anchors.pem", c.id))
            .display()
            .to_string(),
        hostname: c.host.clone(),
        connect_to: None,
        timeout: 5.0,
        min_days: Some(0),
        policy: None,
        fix_chain: None,
        at: AT_UNIX,
        fetched_pem: Some(pem_all(&c.chain).into_bytes()),
    };
    match certctl::jobs::check::run(&req) {
        Ok(r) => {
            let ok = r.exit_code() == certctl::exit::ExitStatus::Ok;
            let doc = serde_json::to_value(&r).unwrap();
            let gw = &doc["apigateway"];
            let refused =
                (gw["verdict"] != "accept").then(|| gw["cause"].as_str().unwrap_or("").to_string());
            (refused, ok)
        }
        Err(e) => (Some(format!("error: {e}")), false),
    }
}

/// The fuzz run's tally.
struct Tally {
    cases: usize,
    disagreements: Vec<String>,
    false_accepts: usize,
    refusals: usize,
    /// JDK refusals by kind (PKIX, HOST, PARSE).
    by_kind: std::collections::BTreeMap<String, usize>,
}

fn fuzz(count: usize, seed: u64, keep: &Path) -> Tally {
    let work = support::tempdir();
    let cp = compile_oracle(work.path());
    let pool = KeyPool::new(work.path());
    let mut rng = Rng(seed);
    let mut t = Tally {
        cases: 0,
        disagreements: Vec::new(),
        false_accepts: 0,
        refusals: 0,
        by_kind: std::collections::BTreeMap::new(),
    };
    let mut start = 0;
    while start < count {
        let n = BATCH.min(count - start);
        let dir = keep.join(format!("batch-{start}"));
        std::fs::create_dir_all(&dir).unwrap();
        let cases: Vec<Case> = (start..start + n)
            .map(|i| generate(i, &mut rng, &pool))
            .collect();
        for c in &cases {
            support::write(&dir, &format!("{}-anchors.pem", c.id), pem_all(&c.anchors));
            support::write(&dir, &format!("{}-chain.pem", c.id), pem_all(&c.chain));
        }
        let answers = run_oracle(&dir, &cp, &cases);
        let mut batch_clean = true;
        for (c, oracle) in cases.iter().zip(&answers) {
            t.cases += 1;
            let (ours, exit0) = certctl_verdict(&dir, c);
            if let Some((kind, _)) = oracle {
                t.refusals += 1;
                *t.by_kind.entry(kind.clone()).or_default() += 1;
                if exit0 {
                    t.false_accepts += 1;
                }
            }
            if ours.is_some() != oracle.is_some() {
                batch_clean = false;
                let line = format!(
                    "DISAGREE {} ({}; host {}): certctl {}; JDK {}\n    files: {}/{}-chain.pem {}/{}-anchors.pem",
                    c.id,
                    c.shape,
                    c.host.as_deref().unwrap_or("-"),
                    ours.as_deref().map_or("ACCEPT".to_string(), |m| format!("REFUSE {m}")),
                    oracle.as_ref().map_or("ACCEPT".to_string(), |(k, m)| format!("REFUSE {k} {m}")),
                    dir.display(),
                    c.id,
                    dir.display(),
                    c.id
                );
                println!("{line}");
                t.disagreements.push(line);
            }
        }
        if batch_clean {
            let _ = std::fs::remove_dir_all(&dir);
        }
        start += n;
    }
    t
}

#[test]
fn the_api_gateway_verdict_agrees_with_the_jdk_on_generated_chains() {
    let count: usize = env_or("CERTCTL_VERDICT_FUZZ_CASES", 300);
    let seed: u64 = env_or("CERTCTL_VERDICT_FUZZ_SEED", 22);
    let keep: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("verdict-fuzz-{seed}"));
    let _ = std::fs::remove_dir_all(&keep);
    let started = std::time::Instant::now();
    let t = fuzz(count, seed, &keep);
    println!(
        "verdict-fuzz seed {seed}: {} cases, {} disagreements, JDK accepts {} ({:.1}%), JDK refusals {} {:?}, check exit 0 on a JDK refusal {}, {:.1} s",
        t.cases,
        t.disagreements.len(),
        t.cases - t.refusals,
        100.0 * (t.cases - t.refusals) as f64 / t.cases.max(1) as f64,
        t.refusals,
        t.by_kind,
        t.false_accepts,
        started.elapsed().as_secs_f64()
    );
    assert!(
        t.disagreements.is_empty(),
        "{} disagreements with the JDK oracle (files kept under {}):\n{}",
        t.disagreements.len(),
        keep.display(),
        t.disagreements.join("\n")
    );
    assert_eq!(t.false_accepts, 0, "check exits 0 where the JDK refuses");
    let _ = std::fs::remove_dir_all(&keep);
}

/// A certificate plan with nothing random: ECDSA P-256, the usual extensions.
fn fixed(cn: &str, ca: bool, dns: &[&str], ips: &[&str]) -> Plan {
    Plan {
        cn: Some(cn.to_string()),
        org: "Regression".into(),
        dns: dns.iter().map(|s| s.to_string()).collect(),
        ips: ips.iter().map(|s| s.parse().unwrap()).collect(),
        bc: Some((ca, None, true)),
        ku: Some(if ca { (0x06, true) } else { (0x80, true) }),
        eku: (!ca).then(|| (vec![SERVER_AUTH], false)),
        nc: None,
        not_before: AT_UNIX - 30 * DAY,
        not_after: AT_UNIX + 200 * DAY,
        key: Key::P256,
    }
}

/// The regressions the generator found (and the three classes of issue 22), minimal chains,
/// each with the verdict the JDK gives: certctl and the oracle must both give it.
fn regressions(pool: &KeyPool) -> Vec<(Case, bool)> {
    let rng = &mut Rng(1);
    let mut out = Vec::new();
    let mut add =
        |id: &str, chain: Vec<&Signed>, anchors: Vec<&Signed>, host: &str, accept: bool| {
            let case = Case {
                id: id.to_string(),
                chain: chain.iter().map(|m| m.der.clone()).collect(),
                anchors: anchors.iter().map(|m| m.der.clone()).collect(),
                host: (host != "-").then(|| host.to_string()),
                shape: id.to_string(),
            };
            out.push((case, accept));
        };
    let root = make(&fixed("Regression Root", true, &[], &[]), None, pool, rng);
    let mut old = fixed("Regression Expired Root", true, &[], &[]);
    old.not_after = AT_UNIX - DAY;
    let expired = make(&old, None, pool, rng);
    let inter = make(
        &fixed("Regression Intermediate", true, &[], &[]),
        Some(&expired),
        pool,
        rng,
    );
    let stray = make(&fixed("Regression Stray", true, &[], &[]), None, pool, rng);
    // 1. CN fallback across HttpClient generations: 4.5.14 reads the CN only without any SAN.
    let ip_only = make(
        &fixed("lb.example.test", false, &[], &["10.0.0.5"]),
        Some(&root),
        pool,
        rng,
    );
    add(
        "cn-fallback-dns-host-ip-san-only",
        vec![&ip_only],
        vec![&root],
        "lb.example.test",
        false,
    );
    let dns_only = make(
        &fixed("10.0.0.5", false, &["lb.example.test"], &[]),
        Some(&root),
        pool,
        rng,
    );
    add(
        "cn-fallback-ip-host-dns-san-only",
        vec![&dns_only],
        vec![&root],
        "10.0.0.5",
        false,
    );
    let mut no_san = fixed("lb.example.test", false, &[], &[]);
    no_san.dns.clear();
    let cn_only = make(&no_san, Some(&root), pool, rng);
    add(
        "cn-used-without-any-san",
        vec![&cn_only],
        vec![&root],
        "lb.example.test",
        true,
    );
    // 2. Path building checks the anchor's date above the leaf's issuer, not a clean chain.
    let leaf = make(
        &fixed("lb.example.test", false, &["lb.example.test"], &[]),
        Some(&inter),
        pool,
        rng,
    );
    add(
        "expired-root-clean-chain",
        vec![&leaf, &inter],
        vec![&expired],
        "lb.example.test",
        true,
    );
    add(
        "expired-root-extra-cert",
        vec![&leaf, &inter, &stray],
        vec![&expired],
        "lb.example.test",
        false,
    );
    add(
        "expired-root-misordered",
        vec![&leaf, &expired, &inter],
        vec![&expired],
        "lb.example.test",
        false,
    );
    add(
        "expired-root-leaf-sent-twice",
        vec![&leaf, &inter, &leaf],
        vec![&expired],
        "lb.example.test",
        false,
    );
    let direct = make(
        &fixed("lb.example.test", false, &["lb.example.test"], &[]),
        Some(&expired),
        pool,
        rng,
    );
    add(
        "expired-root-issues-the-leaf-extra-cert",
        vec![&direct, &stray],
        vec![&expired],
        "lb.example.test",
        true,
    );
    // 3. The first certificate is the leaf: a CA:TRUE leaf before a stray self-signed one.
    let mut ca_leaf_plan = fixed("lb.example.test", true, &["lb.example.test"], &[]);
    ca_leaf_plan.ku = Some((0x86, true));
    ca_leaf_plan.eku = Some((vec![SERVER_AUTH], false));
    let ca_leaf = make(&ca_leaf_plan, Some(&root), pool, rng);
    add(
        "ca-leaf-then-stray",
        vec![&ca_leaf, &stray],
        vec![&root],
        "lb.example.test",
        true,
    );
    // An IPv6 SAN under a permitted IPv4 subtree (IPAddressName.constrains: same type).
    let mut nc = fixed("Regression Constrained", true, &[], &[]);
    nc.nc = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::IpAddress("10.0.0.0/8".parse().unwrap())],
        excluded_subtrees: Vec::new(),
    });
    let constrained = make(&nc, Some(&root), pool, rng);
    let v6 = make(
        &fixed("lb.example.test", false, &[], &["2001:db8::5"]),
        Some(&constrained),
        pool,
        rng,
    );
    add(
        "ipv6-san-under-ipv4-subtree",
        vec![&v6, &constrained],
        vec![&root],
        "-",
        false,
    );
    // The JDK's name-constraints check (`NameConstraintsExtension.verify`) adds the leaf's CN to
    // the SAN extension's own name list when it has no SAN of the CN's kind; HttpClient then
    // reads it as a SAN (seed 2026: c2880, c7929, c9879, c18738).
    let mut nc_ip = fixed("Regression Constrained IP", true, &[], &[]);
    nc_ip.nc = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::IpAddress("10.0.0.0/8".parse().unwrap())],
        excluded_subtrees: Vec::new(),
    });
    let nc_ip = make(&nc_ip, Some(&root), pool, rng);
    let ip_cn_dns_san = make(
        &fixed("10.0.0.5", false, &["lb.example.test"], &[]),
        Some(&nc_ip),
        pool,
        rng,
    );
    add(
        "name-constraints-copy-ip-cn-into-sans",
        vec![&ip_cn_dns_san, &nc_ip],
        vec![&root],
        "10.0.0.5",
        true,
    );
    let dns_cn_ip_san = make(
        &fixed("lb.example.test", false, &[], &["10.0.0.5"]),
        Some(&nc_ip),
        pool,
        rng,
    );
    add(
        "name-constraints-copy-dns-cn-into-sans",
        vec![&dns_cn_ip_san, &nc_ip],
        vec![&root],
        "lb.example.test",
        true,
    );
    // `IPAddressUtil.textToNumericFormatV4`: "10.5" is the IPv4 literal 10.0.0.5.
    let short_ip_cn = make(
        &fixed("10.5", false, &["lb.example.test"], &[]),
        Some(&nc_ip),
        pool,
        rng,
    );
    add(
        "name-constraints-copy-short-ipv4-cn",
        vec![&short_ip_cn, &nc_ip],
        vec![&root],
        "10.0.0.5",
        true,
    );
    // `new DNSName(cn)` allows no wildcard: a wildcard CN is neither copied nor constrained
    // (seed 2026: c17545, c17983).
    let wild_cn_ip_san = make(
        &fixed("*.example.test", false, &[], &["10.0.0.5"]),
        Some(&nc_ip),
        pool,
        rng,
    );
    add(
        "name-constraints-never-copy-a-wildcard-cn",
        vec![&wild_cn_ip_san, &nc_ip],
        vec![&root],
        "a.example.test",
        false,
    );
    let mut nc_dns = fixed("Regression Constrained DNS", true, &[], &[]);
    nc_dns.nc = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("other.test".into())],
        excluded_subtrees: Vec::new(),
    });
    let nc_dns = make(&nc_dns, Some(&root), pool, rng);
    let mut wild = fixed("*.example.test", false, &[], &[]);
    wild.dns.clear();
    let wild_cn_only = make(&wild, Some(&nc_dns), pool, rng);
    add(
        "wildcard-cn-outside-permitted-dns-subtree",
        vec![&wild_cn_only, &nc_dns],
        vec![&root],
        "api.example.test",
        true,
    );
    // The host as written: a trailing dot matches no SAN in HttpClient.
    let plain = make(
        &fixed("lb.example.test", false, &["lb.example.test"], &[]),
        Some(&root),
        pool,
        rng,
    );
    add(
        "trailing-dot-host",
        vec![&plain],
        vec![&root],
        "lb.example.test.",
        false,
    );
    out
}

#[test]
fn each_regression_gets_the_jdks_verdict_from_certctl_and_the_oracle() {
    let work = support::tempdir();
    let cp = compile_oracle(work.path());
    let pool = KeyPool {
        rsa2048: Vec::new(),
        rsa3072: Vec::new(),
    };
    let (cases, expected): (Vec<Case>, Vec<bool>) = regressions(&pool).into_iter().unzip();
    for c in &cases {
        support::write(
            work.path(),
            &format!("{}-anchors.pem", c.id),
            pem_all(&c.anchors),
        );
        support::write(
            work.path(),
            &format!("{}-chain.pem", c.id),
            pem_all(&c.chain),
        );
    }
    let answers = run_oracle(work.path(), &cp, &cases);
    let mut wrong = Vec::new();
    for ((c, accept), oracle) in cases.iter().zip(&expected).zip(&answers) {
        let (ours, _) = certctl_verdict(work.path(), c);
        if oracle.is_none() != *accept || ours.is_none() != *accept {
            wrong.push(format!(
                "{}: expected {}, JDK {:?}, certctl {:?}",
                c.id,
                if *accept { "accept" } else { "refuse" },
                oracle,
                ours
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_cn_fallback_refusal_says_an_older_client_would_accept_and_the_fix() {
    let dir = support::tempdir();
    let root = support::Spec::ca("Note Root").self_signed();
    let mut spec = support::Spec::leaf("lb.example.test");
    spec.dns.clear();
    spec.ips = vec!["10.0.0.5".parse().unwrap()];
    let leaf = spec.signed_by(&root);
    let chain = support::write(dir.path(), "leaf.pem", &leaf.pem);
    let anchors = support::write(dir.path(), "root.pem", &root.pem);
    let (code, doc, _) = support::run_json([
        "check",
        chain.to_str().unwrap(),
        "--trust-store",
        anchors.to_str().unwrap(),
        "--hostname",
        "lb.example.test",
        "--at",
        support::AT,
        "--json",
    ]);
    assert_eq!(code, 1);
    let gw = &doc["apigateway"];
    assert_eq!(gw["verdict"], "refuse");
    assert_eq!(gw["refused_by"], "hostname");
    let note = gw["note"].as_str().unwrap_or_default();
    assert!(note.contains("older HttpClient 4.x would accept"), "{note}");
    assert!(note.contains("add the host as a DNS SAN"), "{note}");
}

#[test]
fn a_file_whose_first_certificate_issues_none_of_the_rest_is_judged_by_that_first() {
    let dir = support::tempdir();
    let root = support::Spec::ca("First Root").self_signed();
    let mut spec = support::Spec::leaf("lb.example.test");
    spec.ca = true;
    let ca_leaf = spec.signed_by(&root);
    let stray = support::Spec::ca("First Stray").self_signed();
    let file = support::write(
        dir.path(),
        "both.pem",
        format!("{}{}", ca_leaf.pem, stray.pem),
    );
    let anchors = support::write(dir.path(), "root.pem", &root.pem);
    let (_, doc, _) = support::run_json([
        "check",
        file.to_str().unwrap(),
        "--trust-store",
        anchors.to_str().unwrap(),
        "--hostname",
        "lb.example.test",
        "--at",
        support::AT,
        "--json",
    ]);
    assert_eq!(
        doc["path"][0]["subject"]
            .as_str()
            .map(|s| s.contains("lb.example.test")),
        Some(true),
        "{doc}"
    );
    assert_eq!(doc["apigateway"]["verdict"], "accept", "{doc}");
    assert!(
        !support::codes(&doc).contains(&"self-signed".to_string()),
        "{doc}"
    );
}

#[test]
fn a_cn_the_jdk_copies_into_the_sans_is_accepted_by_api_gateway_and_denied_by_policy() {
    let dir = support::tempdir();
    let pool = KeyPool {
        rsa2048: Vec::new(),
        rsa3072: Vec::new(),
    };
    let rng = &mut Rng(2);
    let root = make(&fixed("Copy Root", true, &[], &[]), None, &pool, rng);
    let mut ca = fixed("Copy Constrained", true, &[], &[]);
    ca.nc = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::IpAddress("10.0.0.0/8".parse().unwrap())],
        excluded_subtrees: Vec::new(),
    });
    let ca = make(&ca, Some(&root), &pool, rng);
    let leaf = make(
        &fixed("10.0.0.5", false, &["lb.example.test"], &[]),
        Some(&ca),
        &pool,
        rng,
    );
    let chain = support::write(
        dir.path(),
        "chain.pem",
        pem_all(&[leaf.der.clone(), ca.der.clone()]),
    );
    let anchors = support::write(
        dir.path(),
        "root.pem",
        pem_all(std::slice::from_ref(&root.der)),
    );
    let (code, doc, _) = support::run_json([
        "check",
        chain.to_str().unwrap(),
        "--trust-store",
        anchors.to_str().unwrap(),
        "--hostname",
        "10.0.0.5",
        "--at",
        support::AT,
        "--json",
    ]);
    assert_eq!(doc["apigateway"]["verdict"], "accept", "{doc}");
    assert_eq!(code, 1, "{doc}");
    let mismatch = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "hostname-mismatch")
        .cloned()
        .unwrap_or_default();
    assert_eq!(mismatch["severity"], "deny", "{doc}");
    let msg = mismatch["message"].as_str().unwrap_or_default();
    assert!(msg.contains("copies the CN into the SAN list"), "{msg}");
}
