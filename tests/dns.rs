//! The DNS causes of a stuck ACM validation, looked up with certctl's resolver against small
//! DNS servers on 127.0.0.x (tests/fixtures/dnsserver.py): a resolver stand-in that knows every
//! zone, and the parent zone's server that answers with referrals. Delegation matching and not
//! matching the Route 53 zone's NS set, CAA at the name, at a parent, and for wildcards; and no
//! resolver at all (closed port, silent server): the checks skip with the reason, in bounded time.

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use certctl::dns::{diagnose, findings, DnsConfig, Resolver, Status, Target};
use support::dnsserver::{start_dns, DnsServer};

pub fn zones() -> serde_json::Value {
    serde_json::json!({"servers": {
        "127.0.0.1": {
            "recursive": true,
            "zones": ["test", "example.test", "good.example.test", "stale.example.test", "half.example.test", "crit.example.test", "broken.example.test", "hostile.test", "acm-validations.aws"],
            "rcodes": {"broken.example.test": "SERVFAIL", "refused.example.test": "REFUSED"},
            "records": [
                ["example.test", "NS", "ns.example.test"],
                ["ns.example.test", "A", "127.0.0.2"],
                ["good.example.test", "NS", "ns-1.awsdns-01.org"],
                ["good.example.test", "NS", "ns-2.awsdns-02.net"],
                ["stale.example.test", "NS", "ns-1.awsdns-01.org"],
                ["crit.example.test", "CAA", "0 issue amazon.com"],
                ["crit.example.test", "CAA", "128 tbs \"unknown\""],
                ["noncrit.crit.example.test", "CAA", "0 issue amazon.com"],
                ["noncrit.crit.example.test", "CAA", "0 tbs \"unknown\""],
                ["_v.api.good.example.test", "CNAME", "_t.acm-validations.aws"],
                ["_v.other.good.example.test", "CNAME", "_somethingelse.acm-validations.aws"],
                ["example.test", "CAA", "0 issue letsencrypt.org"],
                ["good.example.test", "CAA", "0 issue amazon.com"],
                ["wild.good.example.test", "CAA", "0 issue amazontrust.com"],
                ["wild.good.example.test", "CAA", "0 issuewild ;"],
                ["hostile.test", "NS", "ns.hostile.test"],
                ["ns.hostile.test", "A", "127.0.0.3"]
            ]
        },
        "127.0.0.2": {
            "zones": ["example.test"],
            "records": [
                ["example.test", "NS", "ns.example.test"],
                ["ns.example.test", "A", "127.0.0.2"],
                ["good.example.test", "NS", "ns-2.awsdns-02.net"],
                ["good.example.test", "NS", "ns-1.awsdns-01.org"],
                ["stale.example.test", "NS", "ns-9.awsdns-09.org"],
                ["stale.example.test", "NS", "ns-10.awsdns-10.com"],
                ["half.example.test", "NS", "ns-3.awsdns-03.com"],
                ["half.example.test", "NS", "ns-4.awsdns-04.co.uk"]
            ]
        }
    }})
}

fn resolver(dns: &DnsServer) -> Resolver {
    Resolver::new(DnsConfig {
        resolver: Some(format!("127.0.0.1:{}", dns.port).parse().unwrap()),
        nameserver_port: dns.port,
        timeout: Duration::from_secs(2),
        deadline: None,
    })
    .unwrap()
}

fn ns(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn validation_cname_over_dns() {
    let dns = start_dns(&zones());
    let r = resolver(&dns);
    let ok = r.check_cname("_v.api.good.example.test.", "_t.acm-validations.aws.");
    assert_eq!(ok.status, Status::Ok, "{ok:?}");
    let missing = r.check_cname("_v.gone.good.example.test.", "_t.acm-validations.aws.");
    assert_eq!(missing.status, Status::Fail, "{missing:?}");
    assert!(missing.detail.contains("no CNAME"), "{missing:?}");
    let other = r.check_cname("_v.other.good.example.test.", "_t.acm-validations.aws.");
    assert_eq!(other.status, Status::Fail, "{other:?}");
    assert!(other.detail.contains("_somethingelse"), "{other:?}");
}

#[test]
fn delegation_from_the_parent_zone_servers() {
    let dns = start_dns(&zones());
    let r = resolver(&dns);
    // The parent's referral, any order and case, against the zone's own set.
    assert_eq!(
        r.parent_delegation("good.example.test").unwrap(),
        ns(&["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"])
    );
    let ok = r.check_delegation(
        "good.example.test",
        &ns(&["NS-2.awsdns-02.net.", "ns-1.awsdns-01.org."]),
    );
    assert_eq!(ok.status, Status::Ok, "{ok:?}");
    // The zone was recreated in Route 53 (new NS set); the parent still delegates to the old.
    let stale = r.check_delegation("stale.example.test", &ns(&["ns-1.awsdns-01.org"]));
    assert_eq!(stale.status, Status::Fail, "{stale:?}");
    assert!(
        stale.detail.contains("ns-9.awsdns-09.org") && stale.detail.contains("ns-1.awsdns-01.org"),
        "{stale:?}"
    );
    let f = findings(&[stale]);
    assert_eq!(f[0].code.as_str(), "zone-delegation-mismatch");
    // Which resolver answered, and that names only an emulator holds are no cause.
    let said = format!("{f:?}");
    assert!(
        said.contains(&format!("answered by 127.0.0.1:{}", dns.port)),
        "{said}"
    );
    assert!(said.contains("--no-dns"), "{said}");
}

#[test]
fn caa_at_the_name_a_parent_and_for_wildcards() {
    let dns = start_dns(&zones());
    let r = resolver(&dns);
    // good.example.test allows amazon.com; the names below it inherit that.
    assert_eq!(r.check_caa("api.good.example.test").status, Status::Ok);
    // Only the parent example.test has CAA, and it names another CA.
    let parent = r.check_caa("www.stale.example.test");
    assert_eq!(parent.status, Status::Fail, "{parent:?}");
    assert!(
        parent.detail.contains("CAA at example.test") && parent.detail.contains("letsencrypt.org"),
        "{parent:?}"
    );
    // The closest CAA set decides: amazontrust.com for names, nothing for wildcards.
    assert_eq!(r.check_caa("wild.good.example.test").status, Status::Ok);
    let wild = r.check_caa("*.wild.good.example.test");
    assert_eq!(wild.status, Status::Fail, "{wild:?}");
    assert!(wild.detail.contains("issuewild"), "{wild:?}");
    // No CAA anywhere up the tree: any CA.
    assert_eq!(r.check_caa("api.nowhere.test").status, Status::Ok);

    let checks = diagnose(
        &r,
        &Target {
            domain: "www.stale.example.test",
            record: Some(("_v.www.stale.example.test.", "_t.acm-validations.aws.")),
            zone: Some(("stale.example.test", &ns(&["ns-1.awsdns-01.org"]))),
        },
    );
    let codes: Vec<&str> = findings(&checks).iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "validation-cname-not-in-dns",
            "zone-delegation-mismatch",
            "caa-forbids-amazon"
        ]
    );
}

#[test]
fn no_resolver_skips_with_the_reason_in_bounded_time() {
    // A server that never answers: the first look-up waits out the timeout, the rest skip.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let r = Resolver::new(DnsConfig {
        resolver: Some(silent.local_addr().unwrap()),
        nameserver_port: 53,
        timeout: Duration::from_millis(500),
        deadline: None,
    })
    .unwrap();
    let start = Instant::now();
    let checks = diagnose(
        &r,
        &Target {
            domain: "api.example.com",
            record: Some(("_v.api.example.com.", "_t.acm-validations.aws.")),
            zone: Some(("example.com", &ns(&["ns-1.awsdns-01.org"]))),
        },
    );
    let took = start.elapsed();
    assert!(
        checks.iter().all(|c| c.status == Status::Skip),
        "{checks:?}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let f = findings(&checks);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].code.as_str(), "dns-check-skipped");
    assert!(f[0].message.contains("no DNS resolver reachable"), "{f:?}");
    drop(silent);

    // A closed port: skipped too.
    let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let r = Resolver::new(DnsConfig {
        resolver: Some(addr),
        nameserver_port: 53,
        timeout: Duration::from_millis(500),
        deadline: None,
    })
    .unwrap();
    let start = Instant::now();
    assert_eq!(r.check_caa("api.example.com").status, Status::Skip);
    assert!(start.elapsed() < Duration::from_secs(4));
}

#[test]
fn a_parent_server_sending_garbage_does_not_hold_the_check() {
    let dns = start_dns(&zones());
    // The parent of child.hostile.test is served from 127.0.0.3 by a "server" that answers
    // every query with a stream of garbage datagrams, forever.
    let hostile = UdpSocket::bind(("127.0.0.3", dns.port)).unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((_, from)) = hostile.recv_from(&mut buf) {
            for i in 0..200u32 {
                let junk = [0xffu8, (i % 251) as u8, 0x81, 0x80, 0, 1, 0, 1];
                if hostile.send_to(&junk, from).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    });
    let r = Resolver::new(DnsConfig {
        resolver: Some(format!("127.0.0.1:{}", dns.port).parse().unwrap()),
        nameserver_port: dns.port,
        timeout: Duration::from_millis(800),
        deadline: None,
    })
    .unwrap();
    let start = Instant::now();
    let c = r.check_delegation("child.hostile.test", &ns(&["ns-1.awsdns-01.org"]));
    assert_eq!(c.status, Status::Skip, "{c:?}");
    assert!(c.detail.contains("no answer within"), "{c:?}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

/// A parent that delegates to some of the Route 53 zone's servers (2 of its 4) delegates
/// validly: every server named answers for the zone. One naming a server outside the set is
/// still a mismatch.
#[test]
fn a_delegation_to_part_of_the_zones_servers_is_ok() {
    let dns = start_dns(&zones());
    let r = resolver(&dns);
    let four = ns(&[
        "ns-1.awsdns-01.org",
        "ns-2.awsdns-02.net",
        "ns-3.awsdns-03.com",
        "ns-4.awsdns-04.co.uk",
    ]);
    let half = r.check_delegation("half.example.test", &four);
    assert_eq!(half.status, Status::Ok, "{half:?}");
    assert!(
        half.detail.contains("2 of the Route 53 zone's 4"),
        "{half:?}"
    );
    assert!(findings(&[half]).is_empty());
    // The stale parent names servers the zone does not have: still a deny.
    let stale = r.check_delegation("stale.example.test", &four);
    assert_eq!(stale.status, Status::Fail, "{stale:?}");
}

/// RFC 8659 4.1: a critical property (flag 128) that a CA does not understand forbids every CA
/// to issue, even when `issue amazon.com` is there; the same property without the flag is
/// ignored.
#[test]
fn a_critical_unknown_caa_property_denies() {
    let dns = start_dns(&zones());
    let r = resolver(&dns);
    let crit = r.check_caa("api.crit.example.test");
    assert_eq!(crit.status, Status::Fail, "{crit:?}");
    assert!(
        crit.detail.contains("tbs") && crit.detail.contains("128"),
        "{crit:?}"
    );
    let f = findings(&[crit]);
    assert_eq!(f[0].code.as_str(), "caa-critical-unknown-property");
    assert!(format!("{f:?}").contains("critical flag"), "{f:?}");
    let fine = r.check_caa("noncrit.crit.example.test");
    assert_eq!(fine.status, Status::Ok, "{fine:?}");
}

/// A SERVFAIL (or REFUSED) for the validation name is a cause of its own, a warning with the
/// DNSSEC hint, not "no resolver reachable": the resolver answered, and it is why ACM cannot
/// validate. Later checks still run (the resolver is not marked offline).
#[test]
fn servfail_on_the_validation_name_is_its_own_finding() {
    let dns = start_dns(&zones());
    let r = resolver(&dns);
    let checks = diagnose(
        &r,
        &Target {
            domain: "api.broken.example.test",
            record: Some(("_v.api.broken.example.test", "_t.acm-validations.aws")),
            zone: None,
        },
    );
    assert_eq!(checks[0].status, Status::Error, "{checks:?}");
    assert!(checks[0].detail.contains("SERVFAIL"), "{checks:?}");
    assert_eq!(checks[1].status, Status::Error, "{checks:?}");
    let f = findings(&checks);
    assert!(
        f.iter().all(|f| f.code.as_str() != "dns-check-skipped"),
        "{f:?}"
    );
    let servfail: Vec<_> = f
        .iter()
        .filter(|f| f.code.as_str() == "dns-server-failure")
        .collect();
    assert_eq!(servfail.len(), 2, "{f:?}");
    assert_eq!(
        serde_json::to_value(servfail[0]).unwrap()["severity"],
        "warn"
    );
    assert!(format!("{:?}", servfail[0]).contains("DNSSEC"), "{f:?}");
    // The resolver is still used for other names.
    assert_eq!(r.check_caa("api.good.example.test").status, Status::Ok);
    let refused = r.check_cname("_v.refused.example.test", "_t.acm-validations.aws");
    assert_eq!(refused.status, Status::Error, "{refused:?}");
    assert!(refused.detail.contains("REFUSED"), "{refused:?}");
}
