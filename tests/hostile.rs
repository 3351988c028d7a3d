//! Hostile and faulty servers: each gives a row with a clear error, never a
//! panic, and the rest of the run goes on.

mod support;

use support::{RawServer, Reply, Server, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the end of the request head (or the connection ends).
async fn read_request(stream: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A server that reads each request, sends `answer` as it is, and closes.
fn answering(answer: Vec<u8>) -> RawServer {
    let answer = std::sync::Arc::new(answer);
    RawServer::start(move |mut stream| {
        let answer = std::sync::Arc::clone(&answer);
        async move {
            read_request(&mut stream).await;
            let _ = stream.write_all(&answer).await;
            let _ = stream.shutdown().await;
        }
    })
}

/// The first row is an error that says the response was malformed.
fn assert_malformed(csv: &support::Csv) {
    assert_eq!(csv.get(0, "result"), "error");
    assert!(
        csv.get(0, "error").starts_with("malformed response"),
        "{:?}",
        csv.rows
    );
}

#[test]
fn connection_reset_after_the_request_is_an_error() {
    let server = RawServer::start(|mut stream| async move {
        read_request(&mut stream).await;
        // SO_LINGER 0: closing sends a RST instead of a FIN.
        let _ = stream.set_zero_linger();
        drop(stream);
    });
    let (csv, _, code) = run(&[&server.url("/reset")]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "connection reset");
    assert_eq!(
        csv.get(0, "method"),
        "GET",
        "HEAD's reset was confirmed with GET"
    );
}

#[test]
fn connection_closed_without_an_answer_is_an_error() {
    let server = RawServer::start(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream.shutdown().await;
    });
    let (csv, _, _) = run(&[&server.url("/closed")]);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "connection closed before a response");
}

#[test]
fn silent_server_times_out_and_the_run_goes_on() {
    let silent = RawServer::start(|mut stream| async move {
        read_request(&mut stream).await;
        std::future::pending::<()>().await;
    });
    let good = Server::start(|_| Reply::ok());
    let (csv, _, code) = run(&[
        "--timeout",
        "1",
        "--retries",
        "0",
        &silent.url("/never"),
        &good.url("/fine"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(csv.col("result"), ["error", "ok"]);
    assert_eq!(csv.get(0, "error"), "timeout after 1s");
}

#[test]
fn garbage_instead_of_http_is_a_malformed_response() {
    let server = answering(b"\x00\x01\x02SSH-2.0-OpenSSH\xff\xfe garbage\r\n\r\n".to_vec());
    let (csv, _, code) = run(&[&server.url("/garbage")]);
    assert_eq!(code, 1);
    assert_malformed(&csv);
}

#[test]
fn a_100_kb_header_is_read_and_captured() {
    let big = "v".repeat(100 * 1024);
    let value = big.clone();
    let server = Server::start(move |_| Reply::ok().header("x-big", &value));
    let (csv, _, code) = run(&["--capture", "x-big", &server.url("/big")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(csv.get(0, "x-big"), big);
}

#[test]
fn a_thousand_headers_give_an_error_row() {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..1000 {
        head.push_str(&format!("x-h{i}: {}\r\n", "y".repeat(90)));
    }
    head.push_str("content-length: 0\r\n\r\n");
    let server = answering(head.into_bytes());
    let (csv, _, _) = run(&[&server.url("/many")]);
    assert_malformed(&csv);
}

#[test]
fn header_values_that_are_not_utf8_are_captured_lossily() {
    let server = Server::start(|_| Reply::ok().header("x-bin", b"caf\xe9 \xff"));
    let (csv, _, code) = run(&["--capture", "x-bin", &server.url("/bin")]);
    assert_eq!(code, 0);
    assert_eq!(csv.get(0, "x-bin"), "caf\u{fffd} \u{fffd}");
}

#[test]
fn a_20_hop_chain_needs_max_redirects_20() {
    let server = Server::start(|seen| {
        let n: u32 = seen.path.trim_start_matches("/hop").parse().unwrap_or(0);
        if n == 20 {
            Reply::ok()
        } else {
            Reply::redirect(302, &format!("/hop{}", n + 1))
        }
    });
    let (csv, _, _) = run(&[&server.url("/hop0")]);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "too many redirects (more than 10)");
    let (csv, _, _) = run(&["--max-redirects", "20", &server.url("/hop0")]);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "redirects"), "20");
    assert_eq!(csv.get(0, "final_url"), server.url("/hop20"));
}

#[test]
fn redirect_without_a_usable_location_is_reported() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/nowhere" => Reply::status(302),
        _ => Reply::redirect(301, "http://[not-an-ip/"),
    });
    let (csv, _, _) = run(&[&server.url("/nowhere"), &server.url("/bad")]);
    // A 3xx without Location is a final answer: not accepted, so broken.
    assert_eq!(csv.get(0, "result"), "broken");
    assert_eq!(csv.get(0, "status"), "302");
    assert_eq!(csv.get(1, "result"), "error");
    assert!(
        csv.get(1, "error")
            .starts_with("redirect with an invalid Location")
    );
}

#[test]
fn hostile_servers_never_lose_a_row() {
    // Many faults in one run: every URL still gets its row, in order.
    let reset = RawServer::start(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream.set_zero_linger();
    });
    let garbage = answering(b"HTTP/9.9 abc\r\n\r\n".to_vec());
    let good = Server::start(|seen| match seen.path.as_str() {
        "/loop" => Reply::redirect(302, "/loop"),
        _ => Reply::ok(),
    });
    let mut urls = Vec::new();
    for i in 0..30 {
        urls.push(reset.url(&format!("/r{i}")));
        urls.push(garbage.url(&format!("/g{i}")));
        urls.push(good.url(&format!("/ok{i}")));
    }
    urls.push(good.url("/loop"));
    let mut args = vec!["--retries", "0"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, _) = run(&args);
    assert_eq!(csv.col("url"), urls);
}
