//! Test support: in-process HTTP servers on 127.0.0.1 and a way to run the
//! real binary and read its report.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Empty, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// When the request arrived.
    pub at: std::time::Instant,
}

impl Seen {
    /// The Host header without its port.
    pub fn host(&self) -> &str {
        let host = self.header("host").unwrap_or_default();
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Wait = Pin<Box<dyn Future<Output = ()> + Send>>;
type Body = BoxBody<Bytes, Infallible>;

/// What the server answers.
pub struct Reply {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Body,
    wait: Option<Wait>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Empty::new().boxed(),
            wait: None,
        }
    }

    pub fn ok() -> Reply {
        Reply::status(200)
    }

    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("location", location)
    }

    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Reply {
        self.headers
            .push((name.to_string(), value.as_ref().to_vec()));
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Reply {
        self.body = Full::new(body.into()).boxed();
        self
    }

    /// A body of `total` bytes produced lazily; `sent` counts what the
    /// server actually produced.
    pub fn huge_body(mut self, total: u64, sent: Arc<std::sync::atomic::AtomicU64>) -> Reply {
        const CHUNK: usize = 64 * 1024;
        let chunk = Bytes::from(vec![b'x'; CHUNK]);
        let chunks = total / CHUNK as u64;
        let stream = futures::stream::iter(0..chunks).map(move |_| {
            sent.fetch_add(CHUNK as u64, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, Infallible>(Frame::data(chunk.clone()))
        });
        self.body = BodyExt::boxed(StreamBody::new(stream));
        self.header("content-length", (chunks * CHUNK as u64).to_string())
    }

    /// A body sent piece by piece as the test hands the pieces over; it ends
    /// when the sender is dropped.
    pub fn streamed(mut self, pieces: tokio::sync::mpsc::UnboundedReceiver<Bytes>) -> Reply {
        let stream = futures::stream::unfold(pieces, |mut pieces| async move {
            let piece = pieces.recv().await?;
            Some((Ok::<_, Infallible>(Frame::data(piece)), pieces))
        });
        self.body = BodyExt::boxed(StreamBody::new(stream));
        self
    }

    /// Answer only once `until` completes.
    pub fn after(mut self, until: impl Future<Output = ()> + Send + 'static) -> Reply {
        self.wait = Some(Box::pin(until));
        self
    }

    /// Never answer.
    pub fn hang() -> Reply {
        Reply::ok().after(std::future::pending())
    }
}

pub type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// An HTTP/1.1 server on 127.0.0.1:0 with its own runtime; it stops when
/// dropped.
pub struct Server {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    runtime: Option<Runtime>,
}

impl Server {
    /// A plain HTTP server.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        Server::launch(Arc::new(handler), None)
    }

    /// An HTTPS server with a freshly generated self-signed certificate for
    /// `host` (so clients reject it unless told to accept any certificate).
    pub fn start_tls(
        host: &str,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let certified = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
        let cert = certified.cert.der().clone();
        let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
            certified.signing_key.serialize_der().into(),
        );
        let config = tokio_rustls::rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        Server::launch(Arc::new(handler), Some(acceptor))
    }

    fn launch(handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::clone(&seen);
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&log);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve_http(stream, handler, log).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve_http(stream, handler, log).await;
                            }
                        }
                    }
                });
            }
        });
        Server {
            addr,
            seen,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request seen so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests seen for one path.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

/// Serves HTTP/1.1 on one connection, logging each request.
async fn serve_http<S>(stream: S, handler: Handler, log: Arc<Mutex<Vec<Seen>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
        let handler = Arc::clone(&handler);
        let log = Arc::clone(&log);
        async move {
            let seen = Seen {
                method: req.method().to_string(),
                path: req
                    .uri()
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                headers: req
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                at: std::time::Instant::now(),
            };
            log.lock().unwrap().push(seen.clone());
            let reply = handler(&seen);
            if let Some(wait) = reply.wait {
                wait.await;
            }
            let mut response = Response::builder().status(reply.status);
            for (name, value) in reply.headers {
                response = response.header(name, value);
            }
            Ok::<_, Infallible>(response.body(reply.body).unwrap())
        }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A TCP server that hands each connection to `serve` (for servers that do
/// not speak proper HTTP).
pub struct RawServer {
    pub addr: SocketAddr,
    runtime: Option<Runtime>,
}

impl RawServer {
    pub fn start<F, Fut>(serve: F) -> RawServer
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let serve = Arc::new(serve);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream));
            }
        });
        RawServer {
            addr,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// gzip-compresses `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A `<urlset>` listing `urls`.
pub fn urlset(urls: &[String]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{}\">\n",
        headcheck::input::SITEMAP_NAMESPACE
    );
    for url in urls {
        xml.push_str(&format!("  <url><loc>{url}</loc></url>\n"));
    }
    xml.push_str("</urlset>\n");
    xml
}

/// A `<sitemapindex>` listing `sitemaps`.
pub fn sitemap_index(sitemaps: &[String]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{}\">\n",
        headcheck::input::SITEMAP_NAMESPACE
    );
    for sitemap in sitemaps {
        xml.push_str(&format!("  <sitemap><loc>{sitemap}</loc></sitemap>\n"));
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// `--resolve` arguments sending each of `hosts` to `server`.
pub fn resolve_all(server: &Server, hosts: &[&str]) -> Vec<String> {
    hosts
        .iter()
        .flat_map(|host| {
            [
                "--resolve".to_string(),
                format!("{host}:{}:127.0.0.1", server.port()),
            ]
        })
        .collect()
}

/// A server that answers 404 for paths starting with `/gone` and 200 for
/// every other path.
pub fn gone_or_ok() -> Server {
    Server::start(|seen| {
        if seen.path.starts_with("/gone") {
            Reply::status(404)
        } else {
            Reply::ok()
        }
    })
}

/// A 127.0.0.1 port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The real binary, with a clean environment for proxies.
pub fn headcheck() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("headcheck").unwrap();
    for var in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        // Annotations are tested on purpose, not by accident of the
        // environment the tests run in.
        "GITHUB_ACTIONS",
    ] {
        cmd.env_remove(var);
    }
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

/// One parsed CSV report.
#[derive(Debug)]
pub struct Csv {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn parse(text: &[u8]) -> Csv {
        let mut reader = csv::Reader::from_reader(text);
        let headers = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        Csv { headers, rows }
    }

    fn column(&self, name: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.headers))
    }

    /// The value of `column` in row `row`.
    pub fn get(&self, row: usize, column: &str) -> &str {
        &self.rows[row][self.column(column)]
    }

    /// One column, all rows.
    pub fn col(&self, column: &str) -> Vec<&str> {
        let i = self.column(column);
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }

    /// All rows with `column` emptied: for comparing runs whose timings
    /// differ.
    pub fn rows_without(&self, column: &str) -> Vec<Vec<String>> {
        let i = self.column(column);
        self.rows
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row[i].clear();
                row
            })
            .collect()
    }

    /// The row whose `url` is `url`.
    pub fn row(&self, url: &str) -> usize {
        let i = self.column("url");
        self.rows
            .iter()
            .position(|r| r[i] == url)
            .unwrap_or_else(|| panic!("no row for {url}"))
    }
}

/// Starts headcheck with `args` and returns it with its standard output, to
/// be read while it runs.
pub fn spawn<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("headcheck"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// Runs headcheck with `args`, returning the CSV report, stderr and exit
/// status.
pub fn run(args: &[&str]) -> (Csv, String, i32) {
    let output = headcheck().args(args).output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "headcheck panicked: {stderr}");
    (Csv::parse(&output.stdout), stderr, code)
}

/// Runs headcheck in `dir` with `args`, returning the CSV report, stderr
/// and exit status.
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> (Csv, String, i32) {
    let output = headcheck().current_dir(dir).args(args).output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "headcheck panicked: {stderr}");
    (Csv::parse(&output.stdout), stderr, code)
}

/// A listening socket on 127.0.0.1 that never accepts, its accept queue
/// filled, so that the kernel drops every further SYN and a client waits
/// for its connect timeout, as with a host behind a silent firewall.
pub struct NeverAccepting {
    pub addr: SocketAddr,
    _listener: TcpListener,
    _held: Vec<std::net::TcpStream>,
    _runtime: Runtime,
}

impl NeverAccepting {
    pub fn start() -> NeverAccepting {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(0).unwrap()
        });
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        for _ in 0..8 {
            match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300))
            {
                Ok(stream) => held.push(stream),
                Err(_) => break,
            }
        }
        NeverAccepting {
            addr,
            _listener: listener,
            _held: held,
            _runtime: runtime,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A server whose `/hang…` paths answer only once `fast` other requests
/// have been answered (`/warm` aside, which answers at once and does not
/// count): a hanging URL that a run must not wait for. If the run waited,
/// the hanging requests would time out instead.
pub fn hang_until_answered(fast: usize) -> Server {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let answered = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(tokio::sync::Notify::new());
    Server::start(move |seen| {
        if seen.path == "/warm" {
            return Reply::ok();
        }
        if seen.path.starts_with("/hang") {
            let (count, done) = (Arc::clone(&answered), Arc::clone(&all_done));
            return Reply::ok().after(async move {
                while count.load(Ordering::SeqCst) < fast {
                    done.notified().await;
                }
            });
        }
        if answered.fetch_add(1, Ordering::SeqCst) + 1 == fast {
            all_done.notify_waiters();
        }
        Reply::ok()
    })
}

/// A runtime of the test's own for the library (the server has another).
pub fn engine_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A checker with the library's defaults, as another program makes one.
pub fn library_checker() -> headcheck::check::Checker {
    use headcheck::check::{CheckOptions, Checker, LimitOptions, Limits};
    Checker::new(
        CheckOptions::default(),
        Limits::new(LimitOptions::default()),
    )
    .unwrap()
}
