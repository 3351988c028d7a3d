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

/// A server that answers each request with the bytes `answer` gives for its
/// path, then closes the connection.
fn answering(answer: fn(&str) -> Vec<u8>) -> RawServer {
    RawServer::start(move |mut stream| async move {
        let Some((_, path)) = read_head(&mut stream).await else {
            return;
        };
        let _ = stream.write_all(&answer(&path)).await;
        let _ = stream.shutdown().await;
    })
}

/// A response head with `fields` (already CRLF-terminated lines) and no body.
fn response(status: &str, fields: &[u8]) -> Vec<u8> {
    let mut bytes =
        format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: 0\r\n").into_bytes();
    bytes.extend_from_slice(fields);
    bytes.extend_from_slice(b"\r\n");
    bytes
}

fn redirect_to(location: &[u8]) -> Vec<u8> {
    let mut field = b"Location: ".to_vec();
    field.extend_from_slice(location);
    field.extend_from_slice(b"\r\n");
    response("302 Found", &field)
}

#[test]
fn a_location_with_raw_non_ascii_bytes_is_percent_encoded_and_followed() {
    let server = answering(|path| match path {
        "/utf8" => redirect_to("/dest/ü".as_bytes()),
        "/latin1" => redirect_to(b"/dest/caf\xe9"),
        "/spaced" => redirect_to(b"/dest/two words"),
        _ if path.starts_with("/dest/") => response("200 OK", b""),
        _ => response("404 Not Found", b""),
    });
    let (csv, stderr, code) = run(&[
        &server.url("/utf8"),
        &server.url("/latin1"),
        &server.url("/spaced"),
    ]);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert_eq!(csv.col("result"), ["ok", "ok", "ok"]);
    assert_eq!(
        csv.col("final_url"),
        [
            server.url("/dest/%C3%BC"),
            server.url("/dest/caf%E9"),
            server.url("/dest/two%20words"),
        ]
    );
}

#[test]
fn a_location_too_long_to_request_says_so() {
    let server = answering(|path| match path {
        "/long" => redirect_to(format!("/{}", "x".repeat(64 * 1024)).as_bytes()),
        _ => response("200 OK", b""),
    });
    let (csv, _, code) = run(&[&server.url("/long")]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    let error = csv.get(0, "error");
    assert!(
        error.starts_with("redirect to a URL too long to request (") && error.ends_with(" bytes)"),
        "{error}"
    );
}

#[test]
fn a_redirect_with_an_empty_location_is_reported_not_followed() {
    let server = answering(|path| match path {
        "/empty" => redirect_to(b""),
        "/blank" => redirect_to(b"   "),
        _ => response("200 OK", b""),
    });
    let (csv, _, code) = run(&[&server.url("/empty"), &server.url("/blank")]);
    assert_eq!(code, 1);
    assert_eq!(csv.col("result"), ["broken", "broken"]);
    assert_eq!(csv.col("status"), ["302", "302"]);
    assert_eq!(csv.col("redirects"), ["0", "0"]);
    assert_eq!(csv.col("error"), ["", ""]);
}

#[test]
fn a_response_with_150_header_fields_is_read() {
    let server = answering(|_| {
        let fields: String = (0..150).map(|i| format!("X-Field-{i}: {i}\r\n")).collect();
        response("200 OK", fields.as_bytes())
    });
    let (csv, stderr, code) = run(&["--capture", "X-Field-149", &server.url("/many")]);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "x-field-149"), "149");
}

#[test]
fn an_obsolete_folded_header_is_read() {
    // RFC 9112 §5.2: a user agent must accept obs-fold; curl's tests fold a
    // Set-Cookie the same way.
    let server = answering(|_| {
        response(
            "200 OK",
            b"X-Fold: a\r\n b\r\nSet-Cookie: id=1;\r\n\tpath=/\r\n",
        )
    });
    let (csv, stderr, code) = run(&["--capture", "X-Fold", &server.url("/folded")]);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert_eq!(csv.get(0, "result"), "ok");
    let folded = csv.get(0, "x-fold");
    assert!(
        folded.starts_with('a') && folded.ends_with('b'),
        "{folded:?}"
    );
}

#[test]
fn a_password_in_a_url_is_sent_but_never_written() {
    let server = support::Server::start(|seen| match seen.path.as_str() {
        "/moved" => support::Reply::redirect(301, "/loop"),
        "/loop" => support::Reply::redirect(302, "/moved"),
        "/fine" => support::Reply::ok(),
        _ => support::Reply::status(404),
    });
    let with_password = |path: &str| server.url(path).replacen("://", "://user:s3cret@", 1);
    let dir = tempfile::tempdir().unwrap();
    let (json, cache) = (dir.path().join("r.json"), dir.path().join("cache.jsonl"));
    // From a file, so that failing rows are annotated with their line.
    let list = dir.path().join("urls.txt");
    let urls = ["/missing", "/moved", "/fine"].map(with_password);
    std::fs::write(&list, urls.join("\n")).unwrap();
    let output = support::headcheck()
        .env("GITHUB_ACTIONS", "true")
        .args(["--cache", cache.to_str().unwrap(), "-o", "-", "-o"])
        .arg(&json)
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let seen = server.seen();
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some("Basic dXNlcjpzM2NyZXQ=")),
        "the password is sent to its host"
    );
    let written = [
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        std::fs::read_to_string(&json).unwrap(),
        std::fs::read_to_string(&cache).unwrap(),
    ];
    for text in &written {
        assert!(!text.contains("s3cret"), "{text}");
    }
    let csv = support::Csv::parse(&output.stdout);
    let hidden = |path: &str| server.url(path).replacen("://", "://user:***@", 1);
    assert_eq!(csv.get(0, "url"), hidden("/missing"));
    assert!(
        csv.get(1, "error").contains(&hidden("/moved")),
        "{:?}",
        csv.rows
    );
    assert_eq!(csv.get(2, "final_url"), hidden("/fine"));
    // The summary and the annotations name the failing URLs, hidden too.
    assert!(written[1].contains(&hidden("/missing")), "{}", written[1]);
    assert!(written[1].contains("::error"), "{}", written[1]);
}

#[test]
fn a_report_that_would_overwrite_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    let text = "http://127.0.0.1:9/a\n";
    std::fs::write(&list, text).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let cache = dir.path().join("cache.jsonl");
    std::fs::write(&cache, "{\"headcheck_cache\":1}\n").unwrap();
    // The same file under another name counts as the same file.
    let other_name = dir.path().join("sub/../urls.txt");
    for args in [
        vec![list.clone(), "-o".into(), list.clone()],
        vec![list.clone(), "-o".into(), other_name],
        vec![
            list.clone(),
            "--cache".into(),
            cache.clone(),
            "-o".into(),
            cache.clone(),
        ],
    ] {
        let output = support::headcheck().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    assert_eq!(std::fs::read_to_string(&list).unwrap(), text);
    assert_eq!(
        std::fs::read_to_string(&cache).unwrap(),
        "{\"headcheck_cache\":1}\n"
    );
}

#[test]
fn no_proxy_star_sends_ip_literal_urls_direct() {
    let target = support::Server::start(|_| support::Reply::ok());
    let proxy = support::Server::start(|_| support::Reply::status(502));
    let proxy_url = proxy.url("");
    let run_with = |no_proxy: Option<&str>| {
        let mut command = support::headcheck();
        command
            .env("HTTP_PROXY", &proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        if let Some(value) = no_proxy {
            command.env("NO_PROXY", value);
        }
        command.arg(target.url("/direct")).output().unwrap()
    };
    // The proxy is used at all (else this test proves nothing)...
    run_with(None);
    assert!(!proxy.seen().is_empty(), "HTTP_PROXY is in use");
    let proxied = proxy.seen().len();
    let target_before = target.seen().len();
    // ...and not with NO_PROXY=*, as in curl.
    let output = run_with(Some("*"));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        proxy.seen().len(),
        proxied,
        "nothing more through the proxy"
    );
    assert_eq!(target.seen().len(), target_before + 1);
}

/// `text` as PowerShell's `>` writes it: UTF-16LE with a byte-order mark.
fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

#[test]
fn utf16_lists_and_sitemaps_with_a_byte_order_mark_are_decoded() {
    let server = support::Server::start(|_| support::Reply::ok());
    let pages = [server.url("/a"), server.url("/b")];
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, utf16le(&format!("{}\r\n{}\r\n", pages[0], pages[1]))).unwrap();
    let sitemap = dir.path().join("sitemap.xml");
    std::fs::write(&sitemap, utf16le(&support::urlset(&pages))).unwrap();
    for file in [&list, &sitemap] {
        let (csv, stderr, code) = run(&[file.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
        assert_eq!(csv.col("url"), pages);
        assert_eq!(csv.col("result"), ["ok", "ok"]);
    }
}

#[test]
fn a_gz_sitemap_served_with_content_encoding_gzip_is_decompressed_twice() {
    let server = support::Server::start(|seen| match seen.path.as_str() {
        "/sitemap.xml.gz" => {
            let host = seen.header("host").unwrap_or_default();
            let pages = [format!("http://{host}/one"), format!("http://{host}/two")];
            support::Reply::ok()
                .header("content-type", "application/gzip")
                .header("content-encoding", "gzip")
                .body(support::gzip(&support::gzip(
                    support::urlset(&pages).as_bytes(),
                )))
        }
        _ => support::Reply::ok(),
    });
    let (csv, stderr, code) = run(&["--sitemap", &server.url("/sitemap.xml.gz")]);
    assert_eq!(code, 0, "{stderr}\n{:?}", csv.rows);
    assert_eq!(csv.col("url"), [server.url("/one"), server.url("/two")]);
}
