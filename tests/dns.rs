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
            "zones": ["test", "example.test", "good.example.test", "stale.example.test", "hostile.test", "acm-validations.aws"],
            "records": [
                ["example.test", "NS", "ns.example.test"],
                ["ns.example.test", "A", "127.0.0.2"],
                ["good.example.test", "NS", "ns-1.awsdns-01.org"],
                ["good.example.test", "NS", "ns-2.awsdns-02.net"],
                ["stale.example.test", "NS", "ns-1.awsdns-01.org"],
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
                ["stale.example.test", "NS", "ns-10.awsdns-10.com"]
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
    assert_eq!(f[0].code, "zone-delegation-mismatch");
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
    let codes: Vec<&str> = findings(&checks).iter().map(|f| f.code).collect();
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
    assert_eq!(f[0].code, "dns-check-skipped");
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
