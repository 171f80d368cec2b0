//! `certctl acm import` against the emulator (moto behind tests/fixtures/mtls_emulator.py):
//! import, idempotent re-run, re-import to the same ARN, and one refusal per requirement, each
//! with exit 2 and nothing written to ACM. Certificates are generated at test time around the
//! real clock, passed as `--at`: the emulator refuses what is not valid now, as ACM does.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rcgen::ExtendedKeyUsagePurpose;
use support::mtls::{start_mtls_emulator, MtlsEmulator};
use support::{openssl, run_aws_json, tempdir, write, JsonRun, Made, Spec, DAY};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn at() -> String {
    time::OffsetDateTime::from_unix_timestamp(now())
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn ca(cn: &str) -> Made {
    let mut s = Spec::ca(cn);
    s.not_before = now() - DAY;
    s.not_after = now() + 3650 * DAY;
    s.self_signed()
}

fn client_spec() -> Spec {
    let mut s = Spec::leaf("gateway.example.com");
    s.not_before = now() - DAY;
    s.not_after = now() + 90 * DAY;
    s.eku = Some(vec![ExtendedKeyUsagePurpose::ClientAuth]);
    s
}

/// cert.pem, key.pem (0600) and chain.pem in `dir`.
fn files(dir: &Path, cert: &str, key: &str, chain: &str) -> [PathBuf; 3] {
    let k = write(dir, "key.pem", key);
    std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
    [
        write(dir, "cert.pem", cert),
        k,
        write(dir, "chain.pem", chain),
    ]
}

fn import(emu: &MtlsEmulator, f: &[PathBuf; 3], extra: &[&str]) -> JsonRun {
    let mut args: Vec<String> = [
        "--json",
        "--endpoint-url",
        &emu.endpoint,
        "--region",
        "eu-west-1",
        "--at",
        &at(),
    ]
    .map(String::from)
    .to_vec();
    args.extend(["acm", "import", "--cert"].map(String::from));
    args.push(f[0].display().to_string());
    args.push("--key".into());
    args.push(f[1].display().to_string());
    args.push("--chain".into());
    args.push(f[2].display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = run_aws_json(&args);
    let (doc, stderr) = (&run.doc, &run.stderr);
    // The key never reaches stdout or stderr.
    let key = std::fs::read_to_string(&f[1]).unwrap_or_default();
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    if body.len() > 20 {
        let text = format!("{doc}{stderr}");
        assert!(!text.contains(&body[..20]), "the key leaked: {text}");
    }
    run
}

/// Every certificate in the emulator's ACM: (arn, serial, key algorithm).
fn certificates(emu: &MtlsEmulator) -> Vec<(String, String, String)> {
    emu.fixture(&["certificates"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["arn"].as_str().unwrap().to_string(),
                c["serial"].as_str().unwrap_or_default().to_string(),
                c["key_algorithm"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn imports_once_reimports_in_place_and_a_rerun_is_a_no_op() {
    let emu = start_mtls_emulator("600");
    let d = tempdir();
    let root = ca("Backend Client CA");
    let first = client_spec().signed_by(&root);
    let f = files(d.path(), &first.pem, &first.key.serialize_pem(), &root.pem);

    let dry = import(&emu, &f, &["--dry-run"]);
    assert_eq!(
        (dry.code, dry.doc["action"].as_str()),
        (0, Some("would-import")),
        "{}",
        dry.stderr
    );
    assert!(certificates(&emu).is_empty(), "a dry run imports nothing");

    let r = import(&emu, &f, &[]);
    assert_eq!(
        (r.code, r.doc["action"].as_str()),
        (0, Some("imported")),
        "{}",
        r.stderr
    );
    assert_eq!(r.doc["status"], "ISSUED");
    assert_eq!(r.doc["certificate"]["apigateway_rules"], true);
    let arn = r.doc["arn"].as_str().unwrap().to_string();
    let before = certificates(&emu);
    assert_eq!(before.len(), 1);

    // The same files again: found by fingerprint, not imported twice.
    let again = import(&emu, &f, &[]);
    assert_eq!(again.doc["action"], "already-imported");
    assert_eq!(again.doc["arn"].as_str(), Some(arn.as_str()));
    assert_eq!(certificates(&emu), before);

    // A renewed certificate (same key type, new key) re-imported to the same ARN.
    let second = client_spec().signed_by(&root);
    let f2 = files(
        d.path(),
        &second.pem,
        &second.key.serialize_pem(),
        &root.pem,
    );
    let re = import(&emu, &f2, &["--arn", &arn]);
    assert_eq!(
        (re.code, re.doc["action"].as_str()),
        (0, Some("reimported")),
        "{}",
        re.stderr
    );
    let after = certificates(&emu);
    assert_eq!(after.len(), 1, "one certificate in ACM: {after:?}");
    assert_eq!(after[0].0, arn);
    assert_ne!(after[0].1, before[0].1, "a new serial at the same ARN");
    let same = import(&emu, &f2, &["--arn", &arn]);
    assert_eq!(same.doc["action"], "unchanged");

    // A key type change on re-import is refused before any write.
    let mut p384 = client_spec();
    p384.alg = &rcgen::PKCS_ECDSA_P384_SHA384;
    let third = p384.signed_by(&root);
    let f3 = files(d.path(), &third.pem, &third.key.serialize_pem(), &root.pem);
    let refused = import(&emu, &f3, &["--arn", &arn]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(refused.doc["findings"][0]["code"], "reimport-key-changed");
    assert_eq!(certificates(&emu), after, "nothing written");
    // Tags on a re-import, too (the renewed files again: f3 overwrote them).
    let f2 = files(
        d.path(),
        &second.pem,
        &second.key.serialize_pem(),
        &root.pem,
    );
    let tagged = import(&emu, &f2, &["--arn", &arn, "--tag", "team=edge"]);
    assert_eq!(tagged.doc["findings"][0]["code"], "reimport-tags");
}

/// One hostile case per rule: exit 2, the named finding, and ACM untouched.
#[test]
fn each_requirement_refuses_with_its_finding_and_writes_nothing() {
    let emu = start_mtls_emulator("600");
    let d = tempdir();
    let root = ca("Backend Client CA");
    let good = client_spec().signed_by(&root);
    let key = good.key.serialize_pem();
    let other_key = client_spec().signed_by(&root).key.serialize_pem();
    let mut expired = client_spec();
    expired.not_before = now() - 100 * DAY;
    expired.not_after = now() - DAY;
    let expired = expired.signed_by(&root);
    let inter = {
        let mut s = Spec::ca("Backend Issuing CA");
        s.not_before = now() - DAY;
        s.not_after = now() + 1000 * DAY;
        s.signed_by(&root)
    };
    let under_inter = client_spec().signed_by(&inter);
    // root → 4 intermediates → leaf: 6 certificates, one more than API Gateway takes.
    let mut deep = vec![];
    let mut top = ca("Deep Root");
    let deep_root = top.pem.clone();
    for i in 0..4 {
        let mut s = Spec::ca(&format!("Deep CA {i}"));
        s.not_before = now() - DAY;
        s.not_after = now() + 1000 * DAY;
        let next = s.signed_by(&top);
        deep.insert(0, next.pem.clone());
        top = next;
    }
    let deep_leaf = client_spec().signed_by(&top);
    let deep_chain = format!("{}{deep_root}", deep.concat());
    // 33 KB of an extension nobody reads.
    let mut big = client_spec();
    big.aia_ca_issuers = Some(format!("http://ca.example.com/{}", "a".repeat(33 * 1024)));
    let big = big.signed_by(&root);
    let cases: Vec<(&str, String, String, String)> = vec![
        (
            "cert-not-one",
            format!("{}{}", good.pem, root.pem),
            key.clone(),
            root.pem.clone(),
        ),
        (
            "key-mismatch",
            good.pem.clone(),
            other_key,
            root.pem.clone(),
        ),
        (
            "expired",
            expired.pem.clone(),
            expired.key.serialize_pem(),
            root.pem.clone(),
        ),
        (
            "chain-misordered",
            under_inter.pem.clone(),
            under_inter.key.serialize_pem(),
            format!("{}{}", root.pem, inter.pem),
        ),
        (
            "chain-has-leaf",
            good.pem.clone(),
            key.clone(),
            format!("{}{}", good.pem, root.pem),
        ),
        (
            "apigw-chain-too-long",
            deep_leaf.pem.clone(),
            deep_leaf.key.serialize_pem(),
            deep_chain,
        ),
        (
            "cert-too-large",
            big.pem.clone(),
            big.key.serialize_pem(),
            root.pem.clone(),
        ),
    ];
    for (code, cert, k, chain) in cases {
        let sub = d.path().join(code);
        std::fs::create_dir(&sub).unwrap();
        let f = files(&sub, &cert, &k, &chain);
        let r = import(&emu, &f, &[]);
        assert_eq!(r.code, 2, "{code}: {}", r.doc);
        assert_eq!(r.doc["action"], "refused", "{code}");
        let codes: Vec<&str> = r.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
    // An encrypted key and an RSA-1024 client certificate, made by openssl.
    let sub = d.path().join("openssl");
    std::fs::create_dir(&sub).unwrap();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "plain.pem",
        ],
        &sub,
    );
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "plain.pem",
            "-out",
            "enc.pem",
            "-passout",
            "pass:secret",
            "-v2",
            "aes-256-cbc",
        ],
        &sub,
    );
    let enc = std::fs::read_to_string(sub.join("enc.pem")).unwrap();
    let f = files(&sub, &good.pem, &enc, &root.pem);
    let r = import(&emu, &f, &[]);
    assert_eq!(
        (r.code, r.doc["findings"][0]["code"].as_str()),
        (2, Some("key-encrypted"))
    );
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-keyout",
            "rsa.key",
            "-out",
            "rsa.pem",
            "-days",
            "30",
            "-subj",
            "/CN=gateway.example.com",
            "-addext",
            "extendedKeyUsage=clientAuth",
        ],
        &sub,
    );
    let rsa = std::fs::read_to_string(sub.join("rsa.pem")).unwrap();
    let rsa_key = std::fs::read_to_string(sub.join("rsa.key")).unwrap();
    // Self-signed: its chain is itself, which is refused too (chain-has-leaf).
    let f = files(&sub, &rsa, &rsa_key, &rsa);
    let r = import(&emu, &f, &["--for", "apigateway"]);
    assert_eq!(r.code, 2, "{}", r.doc);
    let codes: Vec<&str> = r.doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"apigw-key-type"), "{codes:?}");
    assert!(
        !codes.contains(&"key-mismatch"),
        "the RSA key is read and matched: {codes:?}"
    );
    // A key others can read is not read at all.
    let f = files(&sub, &good.pem, &key, &root.pem);
    std::fs::set_permissions(&f[1], std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = import(&emu, &f, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("chmod 600"), "{}", r.stderr);
    assert!(certificates(&emu).is_empty(), "no refusal wrote anything");
}
