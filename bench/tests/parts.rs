//! The benchmark's server answers as documented, and the generators produce
//! the documented mix. (Timings are never asserted: they are what the
//! benchmark measures.)

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use headcheck_bench::generate::{self, STANDARD, WITH_HANGS};
use headcheck_bench::server::Server;

#[test]
fn server_answers_by_path() {
    let server = Server::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], 1).unwrap();
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client_runtime.block_on(ask(&server));
}

async fn ask(server: &Server) {
    server.serve("/doc.xml", "<urlset/>");
    let host = &server.hosts()[0];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let head = |path: &str| client.head(format!("http://{host}{path}")).send();
    assert_eq!(head("/ok/1").await.unwrap().status(), 200);
    assert_eq!(head("/missing/2").await.unwrap().status(), 404);
    let moved = head("/moved/3").await.unwrap();
    assert_eq!(moved.status(), 301);
    assert_eq!(moved.headers()["location"], "/ok/3");
    let doc = client
        .get(format!("http://{host}/doc.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.text().await.unwrap(), "<urlset/>");
    assert_eq!(head("/elsewhere").await.unwrap().status(), 404);
}

#[test]
fn standard_mix_is_90_5_5_with_distinct_urls_over_all_hosts() {
    let hosts: Vec<String> = (1..=5).map(|i| format!("127.0.0.{i}:8000")).collect();
    let n = 100_000;
    let mut counts = std::collections::HashMap::new();
    let mut urls = HashSet::new();
    let mut per_host = std::collections::HashMap::new();
    for i in 0..n {
        *counts.entry(generate::kind(i, STANDARD)).or_insert(0u64) += 1;
        let url = generate::url(i, &hosts, STANDARD);
        *per_host
            .entry(url.split('/').nth(2).unwrap().to_string())
            .or_insert(0u64) += 1;
        assert!(urls.insert(url));
    }
    let share = |kind| counts.get(kind).copied().unwrap_or(0) as f64 / n as f64;
    assert!((share("ok") - 0.90).abs() < 0.01, "{counts:?}");
    assert!((share("missing") - 0.05).abs() < 0.01, "{counts:?}");
    assert!((share("moved") - 0.05).abs() < 0.01, "{counts:?}");
    assert_eq!(share("hang"), 0.0);
    assert_eq!(per_host.len(), 5);
    assert!(per_host.values().all(|&c| c == n / 5));
}

#[test]
fn hang_mix_takes_one_percent_from_the_200s() {
    let n = 100_000;
    let hangs = (0..n)
        .filter(|i| generate::kind(*i, WITH_HANGS) == "hang")
        .count();
    let share = hangs as f64 / n as f64;
    assert!((share - 0.01).abs() < 0.003, "{share}");
}

#[test]
fn list_and_sitemap_hold_the_urls() {
    let hosts = vec!["127.0.0.1:9".to_string()];
    let mut list = Vec::new();
    generate::list(&mut list, 3, &hosts, STANDARD).unwrap();
    let lines: Vec<String> = String::from_utf8(list)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 3);
    let xml = generate::sitemap(3, &hosts, STANDARD);
    assert!(xml.starts_with("<?xml"));
    for line in &lines {
        assert!(xml.contains(&format!("<loc>{line}</loc>")));
    }
}

mod web {
    //! The simulated web's hosts behave as `web.rs` documents.

    use std::net::Ipv4Addr;
    use std::time::Duration;

    use headcheck_bench::web::{Behaviour, Host, Kind, Plan, Spec, WebServer};

    fn host(behaviour: Behaviour, tls: bool, rate: Option<f64>, last: u8) -> Host {
        Host {
            ip: Ipv4Addr::new(127, 1, 250, last),
            behaviour,
            tls,
            latency: Duration::from_millis(2),
            rate,
            announces: rate.is_some(),
            urls: 1,
        }
    }

    /// Five hosts: plain, TLS, rate-limited to one request per 1000 s (and
    /// announcing it), never accepting, and hanging.
    fn plan() -> Plan {
        Plan {
            spec: Spec::web(),
            hosts: vec![
                host(Behaviour::Live, false, None, 1),
                host(Behaviour::Live, true, None, 2),
                host(Behaviour::Live, false, Some(0.001), 3),
                host(Behaviour::NoAccept, false, None, 4),
                host(Behaviour::Hanging, false, None, 5),
            ],
            urls: vec![
                (0, Kind::Ok, 0),
                (1, Kind::Ok, 1),
                (2, Kind::Ok, 2),
                (3, Kind::Ok, 3),
                (4, Kind::Ok, 4),
            ],
        }
    }

    #[test]
    fn hosts_answer_refuse_and_hang_as_planned() {
        let plan = plan();
        let server = WebServer::start(&plan, 1).unwrap();
        let urls = server.urls(&plan);
        assert!(urls[0].starts_with("http://127.1.250.1:"));
        assert!(urls[1].starts_with("https://127.1.250.2:"));
        server.begin();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .danger_accept_invalid_certs(true)
                .timeout(Duration::from_secs(2))
                .no_proxy()
                .build()
                .unwrap();
            let head = |url: String| client.head(url).send();
            let base = urls[0].trim_end_matches("/ok/0");
            let plain = head(urls[0].clone()).await.unwrap();
            assert_eq!(plain.status(), 200);
            assert!(!plain.headers().contains_key("ratelimit-remaining"));
            assert_eq!(
                head(format!("{base}/missing/9")).await.unwrap().status(),
                404
            );
            let moved = head(format!("{base}/moved/9")).await.unwrap();
            assert_eq!(moved.status(), 301);
            assert_eq!(moved.headers()["location"], "/ok/9");
            assert_eq!(
                head(format!("{base}/head405/9")).await.unwrap().status(),
                405
            );
            let get = client
                .get(format!("{base}/head405/9"))
                .send()
                .await
                .unwrap();
            assert_eq!(get.status(), 200);
            assert_eq!(head(urls[1].clone()).await.unwrap().status(), 200, "TLS");
            let first = head(urls[2].clone()).await.unwrap();
            assert_eq!(first.status(), 200);
            // Its one token taken: none left, full again in 1000 s.
            assert_eq!(first.headers()["ratelimit-limit"], "1");
            assert_eq!(first.headers()["ratelimit-remaining"], "0");
            assert_eq!(first.headers()["ratelimit-reset"], "1000");
            let limited = head(urls[2].clone()).await.unwrap();
            assert_eq!(limited.status(), 429);
            assert_eq!(limited.headers()["retry-after"], "1");
            assert_eq!(limited.headers()["ratelimit-remaining"], "0");
            let hanging = head(urls[4].clone()).await.unwrap_err();
            assert!(hanging.is_timeout(), "{hanging}");
        });
        // The dead host's backlog is full: a connection is never accepted.
        let dead = server.addrs[3];
        let refused = std::net::TcpStream::connect_timeout(&dead, Duration::from_millis(300));
        assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        let log = server.take();
        assert_eq!(log.records.len(), 8, "{:?}", log.records);
        assert_eq!(log.count(429), 1);
        assert_eq!(log.hung, 1);
    }
}

/// The launcher that measures each tool reports the tool's own peak memory,
/// not that of the process that started it: run from a process holding
/// 256 MiB, `true` still measures a few MiB.
#[test]
fn the_launcher_measures_the_tools_own_memory() {
    let held: Vec<u8> = vec![1; 256 << 20];
    let file = std::env::temp_dir().join(format!("bench-rusage-test-{}", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_headcheck-bench"))
        .arg("--rusage-into")
        .arg(&file)
        .arg("true")
        .status()
        .unwrap();
    assert!(status.success());
    let written = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    let numbers: Vec<u64> = written
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let [max_rss_kib, _cpu_micros] = numbers[..] else {
        panic!("unexpected usage {written:?}");
    };
    assert!(
        max_rss_kib > 0 && max_rss_kib < 64 << 10,
        "{max_rss_kib} KiB"
    );
    assert_eq!(
        held.iter().map(|&b| usize::from(b)).sum::<usize>(),
        256 << 20
    );
}
