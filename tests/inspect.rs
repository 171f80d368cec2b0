//! `certctl inspect` takes the targets `check` takes: an ACM certificate ARN shows the
//! certificate and chain ACM holds (GetCertificate through the official SDK against the AWS
//! emulator, moto server on 127.0.0.1; a missing emulator fails the test).

mod support;

use std::process::Command;

use support::moto::{start_moto, venv_bin};
use support::*;

/// Imports `cert` with `key` and `chain` into the emulator's ACM; returns the ARN.
fn import(endpoint: &str, dir: &std::path::Path, cert: &str, key: &str, chain: &str) -> String {
    let c = write(dir, "cert.pem", cert);
    let k = write(dir, "key.pem", key);
    let ch = write(dir, "chain.pem", chain);
    let script = "import sys, boto3\n\
        acm = boto3.client('acm', endpoint_url=sys.argv[1], region_name='eu-west-1', \
        aws_access_key_id='test', aws_secret_access_key='test')\n\
        r = lambda p: open(p, 'rb').read()\n\
        print(acm.import_certificate(Certificate=r(sys.argv[2]), PrivateKey=r(sys.argv[3]), \
        CertificateChain=r(sys.argv[4]))['CertificateArn'])\n";
    let out = Command::new(venv_bin("python"))
        .args(["-c", script, endpoint])
        .args([&c, &k, &ch])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn inspect(endpoint: &str, args: &[&str]) -> (i32, String, String) {
    let out = certctl()
        .args([
            "--endpoint-url",
            endpoint,
            "--region",
            "eu-west-1",
            "inspect",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha256(der: &[u8]) -> String {
    certctl::x509::CertInfo::parse(&rustls_pki_types::CertificateDer::from(der.to_vec()))
        .unwrap()
        .sha256
        .colon_hex()
}

#[test]
fn inspect_an_acm_arn_lists_the_certificates_acm_holds() {
    let moto = start_moto("600");
    let e = &moto.endpoint;
    let d = tempdir();
    // The emulator refuses a certificate not yet valid by the real clock: valid from 2020 to
    // after the pinned instant.
    let from_2020 = |mut s: Spec| {
        s.not_before = 1_577_836_800;
        s
    };
    let root = from_2020(Spec::ca("Test Root CA")).self_signed();
    let inter = from_2020(Spec::ca("Test Intermediate CA")).signed_by(&root);
    let leaf = from_2020(Spec::leaf("api.example.com")).signed_by(&inter);
    let c = Chain { root, inter, leaf };
    let arn = import(
        e,
        d.path(),
        &c.leaf.pem,
        &c.leaf.key.serialize_pem(),
        &c.inter.pem,
    );
    assert!(arn.starts_with("arn:aws:acm:eu-west-1:"), "{arn}");

    let (code, out, err) = inspect(e, &["--json", &arn, "--at", AT]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_documented("inspect", &doc);
    assert_eq!(doc["target"], arn.as_str());
    let got: Vec<&str> = doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha256"].as_str().unwrap())
        .collect();
    // Leaf and chain as imported (the emulator appends a CA of its own to every chain).
    assert_eq!(
        got[..2],
        [sha256(&c.leaf.der), sha256(&c.inter.der)],
        "{doc:#}"
    );
    // Exactly what `check` sees for the same ARN.
    let out = certctl()
        .args([
            "--json",
            "--endpoint-url",
            e,
            "--region",
            "eu-west-1",
            "check",
            &arn,
            "--at",
            AT,
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        check["presented"].as_u64(),
        Some(got.len() as u64),
        "{check:#}"
    );
    assert!(doc.get("address").is_none(), "{doc:#}");

    // The human dump, as for a file.
    let (code, out, err) = inspect(e, &[&arn, "--at", AT]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("api.example.com"), "{out}");
    assert!(out.contains("Test Intermediate CA"), "{out}");
    assert!(!err.contains("no such file"), "{err}");

    // An ARN ACM does not hold: not "no such file", but what AWS said.
    let missing = format!("{}0", &arn[..arn.len() - 1]);
    let missing = if missing == arn {
        format!("{}1", &arn[..arn.len() - 1])
    } else {
        missing
    };
    let (code, _, err) = inspect(e, &[&missing]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not found"), "{err}");
    assert!(!err.to_lowercase().contains("no such file"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_no_panic(&err);
}
