//! `certctl check` end to end: every finding from chains generated at test time, exact codes and
//! exit statuses, against a private root and against the shipped API Gateway store.

mod support;

use support::*;

/// Writes a chain's files; returns (dir, fullchain path, root path).
fn files(c: &Chain) -> (tempfile::TempDir, String, String) {
    let d = tempdir();
    let full = write(
        d.path(),
        "full.pem",
        format!("{}{}", c.leaf.pem, c.inter.pem),
    );
    let root = write(d.path(), "root.pem", &c.root.pem);
    (d, full.display().to_string(), root.display().to_string())
}

fn check(target: &str, root: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", target, "--trust-store", root, "--at", AT];
    args.extend_from_slice(extra);
    let (code, doc, err) = run_json(args);
    assert_no_panic(&err);
    (code, doc)
}

#[test]
fn a_good_chain_is_trusted_with_its_root() {
    let c = chain("api.example.com");
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &["--hostname", "api.example.com"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["verdict"], "trusted");
    assert_eq!(doc["schema_version"], 1);
    let roles: Vec<&str> = doc["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["leaf", "intermediate", "root"]);
    assert_eq!(doc["anchor"]["kind"], "trust-store");
    assert!(codes(&doc)
        .iter()
        .all(|c| severity(&doc, c).as_deref() != Some("deny")));
}

#[test]
fn a_private_ca_chain_passes_with_its_store_and_fails_with_api_gateways() {
    let c = chain("api.example.com");
    let (_d, full, root) = files(&c);
    assert_eq!(check(&full, &root, &[]).0, 0);
    // A directory of PEM roots works as a store too.
    let store = tempdir();
    write(
        store.path(),
        "other.pem",
        Spec::ca("Other Root").self_signed().pem,
    );
    write(store.path(), "root.crt", &c.root.pem);
    assert_eq!(check(&full, store.path().to_str().unwrap(), &[]).0, 0);
    let (code, doc, _) = run_json(["check", &full, "--at", AT]);
    assert_eq!(code, 1);
    assert_eq!(doc["verdict"], "untrusted");
    assert_eq!(doc["trust_store"], "apigateway");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "untrusted-root")
        .expect("untrusted-root");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Test Intermediate CA")
            || f["message"].as_str().unwrap().contains("Test Root CA"),
        "{f}"
    );
    // With the root in the file, the missing root is named.
    let d = tempdir();
    let with_root = write(
        d.path(),
        "all.pem",
        format!("{}{}{}", c.leaf.pem, c.inter.pem, c.root.pem),
    );
    let (code, doc, _) = run_json(["check", with_root.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 1);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "untrusted-root")
        .unwrap();
    assert!(
        f["message"].as_str().unwrap().contains("Test Root CA"),
        "{f}"
    );
}

#[test]
fn a_self_signed_leaf() {
    let leaf = Spec::leaf("lb.example.internal").self_signed();
    let d = tempdir();
    let p = write(d.path(), "lb.pem", &leaf.pem);
    let (code, doc, _) = run_json(["check", p.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["self-signed".to_string()], "{doc:#}");
    // Trusted when pinned in a custom store.
    let (code, _) = check(p.to_str().unwrap(), p.to_str().unwrap(), &[]);
    assert_eq!(code, 0);
}

#[test]
fn missing_intermediate_names_the_issuer_and_the_aia_url() {
    let c = chain_with("api.example.com", |s| {
        s.aia_ca_issuers = Some("http://ca.example.com/inter.crt".into())
    });
    let d = tempdir();
    let leaf = write(d.path(), "leaf.pem", &c.leaf.pem);
    let inter = write(d.path(), "inter.pem", &c.inter.pem);
    let root = write(d.path(), "root.pem", &c.root.pem);
    let (code, doc) = check(leaf.to_str().unwrap(), root.to_str().unwrap(), &[]);
    assert_eq!(code, 1);
    let f = &doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "missing-intermediate")
        .expect("missing-intermediate")
        .clone();
    assert_eq!(f["severity"], "deny");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Test Intermediate CA"),
        "{f}"
    );
    assert!(
        f["hint"]
            .as_str()
            .unwrap()
            .contains("http://ca.example.com/inter.crt"),
        "{f}"
    );

    // Supplied with --chain the path completes, but the target still lacks it.
    let fixed = d.path().join("fixed.pem");
    let (code, doc) = check(
        leaf.to_str().unwrap(),
        root.to_str().unwrap(),
        &[
            "--chain",
            inter.to_str().unwrap(),
            "--fix-chain",
            fixed.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(codes(&doc).contains(&"missing-intermediate".to_string()));
    let written = std::fs::read_to_string(&fixed).unwrap();
    assert_eq!(written.matches("BEGIN CERTIFICATE").count(), 2);
    assert!(
        written.find(&c.leaf.pem[28..80]).unwrap() < written.find(&c.inter.pem[28..80]).unwrap()
    );
    // The fixed chain is accepted.
    let (code, doc) = check(fixed.to_str().unwrap(), root.to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn expired_and_not_yet_valid() {
    let c = chain_with("api.example.com", |s| s.not_after = AT_UNIX - DAY);
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        severity(&doc, "expired").as_deref(),
        Some("deny"),
        "{doc:#}"
    );

    let c = chain_with("api.example.com", |s| s.not_before = AT_UNIX + DAY);
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        severity(&doc, "not-yet-valid").as_deref(),
        Some("deny"),
        "{doc:#}"
    );
}

#[test]
fn expires_soon_follows_min_days_and_the_policy() {
    let c = chain_with("api.example.com", |s| {
        s.not_after = AT_UNIX + 10 * DAY + 3600
    });
    let (d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["expires-soon".to_string()], "{doc:#}");
    assert_eq!(check(&full, &root, &["--min-days", "5"]).0, 0);
    let policy = write(d.path(), "p.toml", "[levels]\nexpires-soon = \"warn\"\n");
    let (code, doc) = check(&full, &root, &["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(severity(&doc, "expires-soon").as_deref(), Some("warn"));
    let bad = write(
        d.path(),
        "bad.toml",
        "min-days = 3\ncolour = true\n[levels]\nexpires-soon = \"sometimes\"\n",
    );
    let (code, _, err) = run([
        "check",
        &full,
        "--trust-store",
        &root,
        "--policy",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2") && err.contains("line 4"), "{err}");
}

#[test]
fn hostname_mismatch_and_ip_sans() {
    let c = chain_with("api.example.com", |s| {
        s.ips = vec!["10.0.0.5".parse().unwrap()]
    });
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &["--hostname", "other.example.com"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["hostname-mismatch".to_string()]);
    assert_eq!(check(&full, &root, &["--hostname", "10.0.0.5"]).0, 0);
    assert_eq!(check(&full, &root, &["--hostname", "10.0.0.6"]).0, 1);
}

#[test]
fn out_of_order_is_a_warning_and_fix_chain_orders_it() {
    let c = chain("api.example.com");
    let d = tempdir();
    let rev = write(
        d.path(),
        "rev.pem",
        format!("{}{}", c.inter.pem, c.leaf.pem),
    );
    let root = write(d.path(), "root.pem", &c.root.pem);
    let fixed = d.path().join("fixed.pem");
    let (code, doc) = check(
        rev.to_str().unwrap(),
        root.to_str().unwrap(),
        &["--fix-chain", fixed.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        severity(&doc, "chain-out-of-order").as_deref(),
        Some("warn")
    );
    let (code, doc) = check(fixed.to_str().unwrap(), root.to_str().unwrap(), &[]);
    assert_eq!(code, 0);
    assert!(!codes(&doc).contains(&"chain-out-of-order".to_string()));
}

#[test]
fn an_expired_anchor_cannot_make_a_chain_valid() {
    let root = {
        let mut s = Spec::ca("Old Root CA");
        s.not_before = AT_UNIX - 3650 * DAY;
        s.not_after = AT_UNIX - DAY;
        s.self_signed()
    };
    let inter = Spec::ca("Test Intermediate CA").signed_by(&root);
    let leaf = Spec::leaf("api.example.com").signed_by(&inter);
    let d = tempdir();
    let full = write(d.path(), "full.pem", format!("{}{}", leaf.pem, inter.pem));
    let rootp = write(d.path(), "root.pem", &root.pem);
    let (code, doc) = check(full.to_str().unwrap(), rootp.to_str().unwrap(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        severity(&doc, "anchor-expired").as_deref(),
        Some("deny"),
        "{doc:#}"
    );
}

#[test]
fn leaf_shape_findings() {
    // A CA certificate served as the leaf.
    let c = chain_with("api.example.com", |s| {
        s.ca = true;
        s.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
    });
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        severity(&doc, "ca-as-leaf").as_deref(),
        Some("deny"),
        "{doc:#}"
    );

    // clientAuth only.
    let c = chain_with("api.example.com", |s| {
        s.eku = Some(vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth])
    });
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        severity(&doc, "leaf-missing-server-auth").as_deref(),
        Some("deny"),
        "{doc:#}"
    );

    // CN not among the SANs is a warning.
    let c = chain_with("api.example.com", |s| s.cn = "legacy-name".into());
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &[]);
    assert_eq!(code, 0);
    assert_eq!(severity(&doc, "cn-not-in-san").as_deref(), Some("warn"));
}

#[test]
fn extra_and_duplicate_certificates_are_info() {
    let c = chain("api.example.com");
    let stranger = Spec::ca("Unrelated CA").self_signed();
    let d = tempdir();
    let p = write(
        d.path(),
        "p.pem",
        format!(
            "{}{}{}{}",
            c.leaf.pem, c.inter.pem, c.inter.pem, stranger.pem
        ),
    );
    let root = write(d.path(), "root.pem", &c.root.pem);
    let (code, doc) = check(p.to_str().unwrap(), root.to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        severity(&doc, "duplicate-certificate").as_deref(),
        Some("info")
    );
    assert_eq!(severity(&doc, "extra-certificate").as_deref(), Some("info"));
}

/// openssl, for what rcgen with ring cannot make (RSA-1024 keys, SHA-1 signatures).
fn openssl_chain(dir: &std::path::Path, leaf_key: &str, digest: &str) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=OpenSSL Test CA",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
        dir,
    );
    openssl(
        &[
            "req",
            "-newkey",
            leaf_key,
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=api.example.com",
        ],
        dir,
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:api.example.com\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "200",
            &format!("-{digest}"),
            "-extfile",
            "ext.cnf",
        ],
        dir,
    );
}

/// Checks an openssl-made chain (leaf key `leaf_key`, signed with `digest`); the certificates
/// are valid from now for 200 days, so they are judged at the real time.
fn openssl_finding(leaf_key: &str, digest: &str, code: &str) {
    let d = tempdir();
    openssl_chain(d.path(), leaf_key, digest);
    let (exit, doc, _) = run_json([
        "check",
        d.path().join("leaf.pem").to_str().unwrap(),
        "--trust-store",
        d.path().join("ca.pem").to_str().unwrap(),
    ]);
    assert_eq!(exit, 1);
    assert_eq!(severity(&doc, code).as_deref(), Some("deny"), "{doc:#}");
}

#[test]
fn weak_keys_and_sha1_signatures() {
    openssl_finding("rsa:1024", "sha256", "weak-key");
    openssl_finding("rsa:2048", "sha1", "sha1-signature");
}

#[test]
fn the_shipped_store_rejects_a_test_ca_and_holds_amazons_roots() {
    let c = chain("api.example.com");
    let (_d, full, _root) = files(&c);
    let (code, doc, _) = run_json(["check", &full, "--at", AT]);
    assert_eq!(code, 1);
    assert!(codes(&doc).contains(&"untrusted-root".to_string()));
    // SHA-256 fingerprints as AWS publishes them for ACM's roots.
    for (alias, sha256) in [
        ("amazonrootca1", "8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E"),
        ("amazonrootca2", "1B:A5:B2:AA:8C:65:40:1A:82:96:01:18:F8:0B:EC:4F:62:30:4D:83:CE:C4:71:3A:19:C3:9C:01:1E:A4:6D:B4"),
        ("amazonrootca3", "18:CE:6C:FE:7B:F1:4E:60:B2:E3:47:B8:DF:E8:68:CB:31:D0:2E:BB:3A:DA:27:15:69:F5:03:43:B4:6D:B3:A4"),
        ("amazonrootca4", "E3:5D:28:41:9E:D0:20:25:CF:A6:90:38:CD:62:39:62:45:8D:A5:C6:95:FB:DE:A3:C2:2B:0B:FB:25:89:70:92"),
        ("starfieldservicesrootg2ca", "56:8D:69:05:A2:C8:87:08:A4:B3:02:51:90:ED:CF:ED:B1:97:4A:60:6A:13:C6:E5:29:0F:CB:2A:E6:3E:DA:B5"),
    ] {
        let (code, doc, _) = run_json(["truststore", "show", alias]);
        assert_eq!(code, 0, "{alias}");
        assert_eq!(doc["entry"]["sha256"], sha256, "{alias}");
        assert_eq!(doc["certificate"]["sha256"], sha256, "{alias}: the shipped PEM hashes to the listed value");
        assert_eq!(doc["entry"]["shipped"], true);
    }
}

/// The strings of a JSON array.
fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_self_signed_ca_leaf_is_reported_as_self_signed_first() {
    // What `openssl req -x509` makes: basicConstraints CA:TRUE, no key usage, no EKU.
    let mut spec = Spec::leaf("lb.example.internal");
    spec.ca = true;
    spec.eku = None;
    spec.key_usages = Vec::new();
    let leaf = spec.self_signed();
    let d = tempdir();
    let p = write(d.path(), "lb.pem", &leaf.pem);
    let (code, doc, _) = run_json([
        "check",
        p.to_str().unwrap(),
        "--hostname",
        "lb.example.internal",
        "--at",
        AT,
    ]);
    assert_eq!(code, 1, "{doc:#}");
    let first = &doc["findings"][0];
    assert_eq!(first["code"], "self-signed", "{doc:#}");
    assert_eq!(first["severity"], "deny");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("API Gateway accepts only a chain to a CA"),
        "{first}"
    );
    assert_eq!(strs(&doc["denied_by"])[0], "apigateway", "{doc:#}");
    assert_eq!(strs(&doc["apigateway"]["codes"]), vec!["self-signed"]);
    assert!(doc["apigateway"]["log_line"]
        .as_str()
        .unwrap()
        .starts_with("Execution failed due to configuration error: General SSLEngine problem (PKIX path building failed"));
    // The human form says which judgement denied.
    let (_, out, _) = run(["check", p.to_str().unwrap(), "--at", AT, "--no-color"]);
    assert!(out.contains("API Gateway: REFUSES"), "{out}");
    assert!(out.contains("denied by apigateway"), "{out}");
}

#[test]
fn two_judgements_say_which_denied() {
    // API Gateway refuses the host, with the line it logs.
    let c = chain("api.example.com");
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &["--hostname", "other.example.com"]);
    assert_eq!(code, 1);
    assert_eq!(strs(&doc["denied_by"]), vec!["apigateway"], "{doc:#}");
    assert_eq!(doc["apigateway"]["refused_by"], "hostname");
    assert_eq!(
        doc["apigateway"]["log_line"],
        "Execution failed due to configuration error: Host name 'other.example.com' does not match the certificate subject provided by the peer (CN=api.example.com)"
    );
    assert_eq!(strs(&doc["apigateway"]["codes"]), vec!["hostname-mismatch"]);

    // A CN-only leaf: API Gateway's client matches the CN and accepts; the policy denies.
    let c = chain_with("api.example.com", |s| s.dns.clear());
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &["--hostname", "api.example.com"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["apigateway"]["verdict"], "accept", "{doc:#}");
    assert_eq!(strs(&doc["denied_by"]), vec!["policy"], "{doc:#}");
    assert_eq!(doc["policy"]["verdict"], "deny");
    assert!(strs(&doc["policy"]["codes"]).contains(&"no-san".to_string()));

    // A root without CA:TRUE: rustls-webpki takes it as an anchor, API Gateway's client does not.
    let mut root_spec = Spec::ca("Flat Root");
    root_spec.ca = false;
    let root = root_spec.self_signed();
    let inter = Spec::ca("Under Flat Root").signed_by(&root);
    let leaf = Spec::leaf("api.example.com").signed_by(&inter);
    let d = tempdir();
    let full = write(d.path(), "full.pem", format!("{}{}", leaf.pem, inter.pem));
    let rootp = write(d.path(), "root.pem", &root.pem);
    let (code, doc) = check(
        full.to_str().unwrap(),
        rootp.to_str().unwrap(),
        &["--hostname", "api.example.com"],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(strs(&doc["denied_by"]), vec!["apigateway"], "{doc:#}");
    assert!(
        doc["apigateway"]["cause"]
            .as_str()
            .unwrap()
            .contains("is not a CA certificate"),
        "{doc:#}"
    );
}

#[test]
fn the_strict_profile_lints_what_the_gateway_policy_lets_pass() {
    // A leaf that may sign certificates: RFC 5280 says only CAs may.
    let c = chain_with("api.example.com", |s| {
        s.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ]
    });
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &["--hostname", "api.example.com"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["policy"]["profile"], "gateway");
    let (code, doc) = check(
        &full,
        &root,
        &["--hostname", "api.example.com", "--policy", "strict"],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["policy"]["profile"], "strict");
    assert_eq!(doc["apigateway"]["verdict"], "accept");
    assert_eq!(strs(&doc["denied_by"]), vec!["policy"]);
    assert_eq!(
        strs(&doc["policy"]["codes"]),
        vec!["lint-basic-constraints"],
        "{doc:#}"
    );
    // A policy file still loads by path.
    let d = tempdir();
    let f = write(d.path(), "p.toml", "lint = true\n");
    let (code, _) = check(
        &full,
        &root,
        &[
            "--hostname",
            "api.example.com",
            "--policy",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
}

#[test]
fn strict_denies_a_cn_that_misspells_a_san_and_warns_on_a_cn_naming_another_host() {
    let strict = ["--hostname", "api.example.com", "--policy", "strict"];
    // The CN is one of the names in another form: malformed (CA/B BR 7.1.4.3).
    for cn in ["API.example.com", "192.168.001.001"] {
        let c = chain_with("api.example.com", |s| {
            s.cn = cn.into();
            s.ips = vec!["192.168.1.1".parse().unwrap()];
        });
        let (_d, full, root) = files(&c);
        let (code, doc) = check(&full, &root, &strict);
        assert_eq!(code, 1, "{cn}: {doc:#}");
        assert_eq!(
            strs(&doc["policy"]["codes"]),
            vec!["lint-names"],
            "{cn}: {doc:#}"
        );
    }
    // The CN names another host: a warning, as RFC 5280 allows it.
    let c = chain_with("api.example.com", |s| s.cn = "legacy.example.com".into());
    let (_d, full, root) = files(&c);
    let (code, doc) = check(&full, &root, &strict);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        support::severity(&doc, "cn-not-in-san").as_deref(),
        Some("warn"),
        "{doc:#}"
    );
    assert!(
        !support::codes(&doc).contains(&"lint-names".to_string()),
        "{doc:#}"
    );
}

/// A chain that stops below a root browsers trust but API Gateway's list lacks (ISRG Root X2;
/// here a stand-in with its exact subject, as no test can hold its key): `untrusted-root` says
/// "trusted by browsers, not by API Gateway" and names the listed root that cross-signs it.
#[test]
fn a_browser_only_root_is_named_with_its_listed_cross_sign() {
    let d = tempdir();
    let dir = d.path();
    // PrintableString names, as the real root encodes them.
    std::fs::write(
        dir.join("req.cnf"),
        "[req]\ndistinguished_name=dn\nstring_mask=default\nprompt=no\n[dn]\n",
    )
    .unwrap();
    let req = |args: &[&str]| {
        let mut a = vec!["req", "-config", "req.cnf"];
        a.extend_from_slice(args);
        openssl(&a, dir);
    };
    req(&[
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "root.key",
        "-out",
        "root.pem",
        "-days",
        "3650",
        "-subj",
        "/C=US/O=Internet Security Research Group/CN=ISRG Root X2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    req(&[
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "inter.key",
        "-out",
        "inter.csr",
        "-subj",
        "/C=US/O=Example/CN=Example E1",
    ]);
    std::fs::write(
        dir.join("inter.ext"),
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "inter.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-CAcreateserial",
            "-out",
            "inter.pem",
            "-days",
            "1000",
            "-extfile",
            "inter.ext",
        ],
        dir,
    );
    req(&[
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=lb.example.test",
    ]);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:lb.example.test\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "inter.pem",
            "-CAkey",
            "inter.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "200",
            "-extfile",
            "leaf.ext",
        ],
        dir,
    );
    let full = format!(
        "{}{}",
        std::fs::read_to_string(dir.join("leaf.pem")).unwrap(),
        std::fs::read_to_string(dir.join("inter.pem")).unwrap()
    );
    let file = write(dir, "fullchain.pem", full);
    let (code, doc, err) = run_json([
        "check",
        file.to_str().unwrap(),
        "--hostname",
        "lb.example.test",
    ]);
    assert_no_panic(&err);
    assert_eq!(code, 1, "{doc:#}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "untrusted-root")
        .unwrap_or_else(|| panic!("{doc:#}"));
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("trusted by browsers"), "{message}");
    assert!(message.contains("ISRG Root X2"), "{message}");
    assert!(f["hint"].as_str().unwrap().contains("isrgrootx1"), "{f:#}");
}

/// Every hint case of issue 24, one row each: what was given, then what the hints (finding
/// hints, API Gateway's fix and note, or the error's hint) must and must not say.
#[test]
fn hints_fit_the_case() {
    let d = tempdir();
    let dir = d.path();
    let at = AT;
    let p = |s: &str| dir.join(s).display().to_string();
    // certctl's own layout: a private root CA and a leaf issued by it (fullchain.pem = leaf).
    assert_eq!(run(["--at", at, "ca", "init", "--dir", &p("ca")]).0, 0);
    let issued = |name: &str, ca: bool| {
        let mut a = vec![
            "--at",
            at,
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
        ];
        if ca {
            a.extend(["--ca", "CA"]);
        }
        let out = p(name);
        let ca_dir = p("ca");
        let a: Vec<String> = a
            .iter()
            .map(|s| {
                if *s == "CA" {
                    ca_dir.clone()
                } else {
                    s.to_string()
                }
            })
            .chain(["--out-dir".to_string(), out])
            .collect();
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{err}");
    };
    issued("leaf", true);
    issued("self", false);
    // A chain whose private root is not given: leaf + intermediate only.
    let c = chain("api.example.com");
    let cert = write(dir, "cert.pem", &c.leaf.pem);
    let inters = write(dir, "intermediates.pem", &c.inter.pem);
    let root = write(dir, "root.pem", &c.root.pem);
    let served = write(dir, "served.pem", format!("{}{}", c.leaf.pem, c.inter.pem))
        .display()
        .to_string();
    let (cert, inters, root) = (
        cert.display().to_string(),
        inters.display().to_string(),
        root.display().to_string(),
    );
    let full = p("leaf/fullchain.pem");
    let self_cert = p("self/cert.pem");
    let all_hints = |doc: &serde_json::Value| -> String {
        let mut h: Vec<String> = doc["findings"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| f["hint"].as_str())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        for k in ["fix", "note"] {
            if let Some(s) = doc["apigateway"][k].as_str() {
                h.push(format!("{k}: {s}"));
            }
        }
        if let Some(s) = doc["error"]["hint"].as_str() {
            h.push(s.to_string());
        }
        h.join("\n")
    };
    struct Row<'a> {
        case: &'a str,
        args: Vec<String>,
        exit: i32,
        codes: Option<&'a [&'a str]>,
        says: &'a [&'a str],
        never: &'a [&'a str],
    }
    let s = |v: &[&str]| -> Vec<String> { v.iter().map(|x| x.to_string()).collect() };
    let rows = [
        Row {
            case: "(a) issue --ca fullchain.pem against API Gateway: the private root, nothing missing",
            args: s(&["check", &full, "--hostname", "lb.example.internal"]),
            exit: 1,
            codes: Some(&["untrusted-root"]),
            says: &["the chain is complete, but its root \"CN=certctl on-prem CA\" is private"],
            never: &["serve the intermediate", "missing-intermediate"],
        },
        Row {
            case: "(b) API Gateway's list: --trust-store is certctl's verdict, not API Gateway's",
            args: s(&["check", &full]),
            exit: 1,
            codes: None,
            says: &["`--trust-store` changes certctl's verdict, not API Gateway's", "insecureSkipVerification"],
            never: &["or pass --trust-store for a private CA"],
        },
        Row {
            case: "(b) --trust-store given and refused: not suggested again, the note says what it changes",
            args: s(&["check", &cert, "--chain", &inters, "--trust-store", &self_cert]),
            exit: 1,
            codes: None,
            says: &["note: judged against --trust-store, which changes certctl's verdict, not API Gateway's"],
            never: &["pass --trust-store"],
        },
        Row {
            case: "(b) --trust-store given and accepted: the note still says it",
            args: s(&["check", &served, "--trust-store", &root]),
            exit: 0,
            codes: Some(&[]),
            says: &["note: judged against --trust-store"],
            never: &["pass --trust-store"],
        },
        Row {
            case: "(c) the self-signed leaf as its own trust store, wrong host: hostname only",
            args: s(&["check", &self_cert, "--trust-store", &self_cert, "--hostname", "wrong.example.internal"]),
            exit: 1,
            codes: Some(&["hostname-mismatch"]),
            says: &[],
            never: &["self-signed"],
        },
        Row {
            case: "(d) --fix-chain with the intermediate given and the root private: the root is missing",
            args: s(&["check", &cert, "--chain", &inters, "--fix-chain", &p("fixed.pem")]),
            exit: 2,
            codes: None,
            says: &["no intermediate is missing: what is missing is a trusted root"],
            never: &["pass the missing intermediate"],
        },
        Row {
            case: "(d) --fix-chain with the intermediate really missing: pass it",
            args: s(&["check", &cert, "--trust-store", &root, "--fix-chain", &p("fixed.pem")]),
            exit: 2,
            codes: None,
            says: &["pass the missing intermediate with --chain FILE"],
            never: &["trusted root"],
        },
        Row {
            case: "(f) man --dir into a sticky directory",
            args: s(&["man", "--dir", "/tmp"]),
            exit: 2,
            codes: None,
            says: &["make one of your own inside it first, e.g. `mkdir -m 0755 /tmp/certctl`"],
            never: &["chmod"],
        },
        Row {
            case: "(f) --metrics into a sticky directory",
            args: s(&["scan", &p("leaf"), "--metrics", "/tmp/certctl-i24.prom"]),
            exit: 2,
            codes: None,
            says: &["make one of your own inside it first"],
            never: &["chmod"],
        },
        Row {
            case: "(f) --fix-chain into a sticky directory",
            args: s(&["check", &cert, "--chain", &inters, "--trust-store", &root, "--fix-chain", "/tmp/certctl-i24.pem"]),
            exit: 2,
            codes: None,
            says: &["make one of your own inside it first"],
            never: &["chmod"],
        },
        Row {
            case: "(g) a host name where a file was expected",
            args: s(&["check", "api.example.com"]),
            exit: 2,
            codes: None,
            says: &["for a server, give its URL: https://api.example.com"],
            never: &[],
        },
        Row {
            case: "(g) a missing file is only a missing file",
            args: s(&["check", &p("nope.pem")]),
            exit: 2,
            codes: None,
            says: &[],
            never: &["https://"],
        },
    ];
    for r in rows {
        let mut args = vec!["--at".to_string(), at.to_string()];
        args.extend(r.args.iter().cloned());
        let (code, doc, err) = run_json(&args);
        let hints = all_hints(&doc);
        assert_eq!(code, r.exit, "{}: {doc:#} {err}", r.case);
        if let Some(want) = r.codes {
            assert_eq!(
                codes(&doc),
                want.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "{}: {doc:#}",
                r.case
            );
        }
        for s in r.says {
            assert!(hints.contains(s), "{}: wants {s:?} in\n{hints}", r.case);
        }
        for s in r.never {
            assert!(
                !hints.contains(s) && !codes(&doc).iter().any(|c| c == s),
                "{}: {s:?} in\n{hints}",
                r.case
            );
        }
    }
}
