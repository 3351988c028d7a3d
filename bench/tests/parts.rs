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
