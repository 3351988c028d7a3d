//! Real servers' habits that are not faults: what curl accepts, headcheck
//! accepts, and says what happened when it cannot.

mod support;

use support::{RawServer, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one request head; its method and path, or `None` when the
/// connection ends first.
async fn read_head(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => buf.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let mut words = head.split_whitespace();
    Some((words.next()?.to_string(), words.next()?.to_string()))
}

/// A server behind a load balancer that closes idle kept-alive connections:
/// it answers the first request of each connection with `answer` (method,
/// path) and keeps the connection open, then reads the next request and
/// closes without a word, as if the close had crossed it on the wire.
fn closing_after_one(answer: fn(&str, &str) -> String) -> RawServer {
    RawServer::start(move |mut stream| async move {
        let Some((method, path)) = read_head(&mut stream).await else {
            return;
        };
        let _ = stream.write_all(answer(&method, &path).as_bytes()).await;
        let _ = read_head(&mut stream).await;
        let _ = stream.shutdown().await;
    })
}

fn ok(_: &str, _: &str) -> String {
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_string()
}

#[test]
fn a_request_dropped_on_a_stale_kept_alive_connection_is_sent_again() {
    let server = closing_after_one(ok);
    let urls: Vec<String> = (0..30).map(|i| server.url(&format!("/page/{i}"))).collect();
    let mut args = vec!["--method", "head", "--per-host", "2"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, stderr, code) = run(&args);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert!(
        csv.col("result").iter().all(|r| *r == "ok"),
        "{:?}",
        csv.rows
    );
    // Sent again at once: not a retry.
    assert!(
        csv.col("attempts").iter().all(|a| *a == "1"),
        "{:?}",
        csv.rows
    );
}

#[test]
fn a_get_confirmation_on_a_connection_closed_after_a_405_is_sent_again() {
    // A HEAD answered 405 without `Connection: close`, the connection closed
    // a moment later: the GET that confirms it must not die with it.
    let server = closing_after_one(|method, _| match method {
        "HEAD" => "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".to_string(),
        _ => ok(method, ""),
    });
    let (csv, stderr, code) = run(&[&server.url("/head-hostile")]);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "method"), "GET");
    assert_eq!(csv.get(0, "status"), "200");
}

#[test]
fn a_redirect_hop_on_a_connection_closed_after_the_301_is_sent_again() {
    let server = closing_after_one(|_, path| match path {
        "/old" => "HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n"
            .to_string(),
        _ => ok("", path),
    });
    let (csv, stderr, code) = run(&["--method", "head", &server.url("/old")]);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "final_url"), server.url("/new"));
}
