//! A simulated web on loopback, for judging the schedule rather than the
//! raw speed: many hosts, each on an address of its own (127.1.x.y, so that
//! IP-literal URLs work for tools without `--resolve`), with host sizes
//! spread like a real link list's (Zipf-like), a latency of their own
//! (log-normal), and the hosts that make the real web slow: some that never
//! accept a connection, some that accept and never answer, some on TLS,
//! some that answer 429 when their rate is exceeded, and paths whose HEAD
//! answer is wrong. Everything is drawn from a seed, so every run, and every
//! tool, faces the same web.
//!
//! The server logs each answered request (when it arrived, when it was
//! answered, how late the answer was against the host's latency), so a run
//! can be judged against the lower bound its politeness limits allow
//! ([`Plan::lower_bound`]) and shown as requests in flight over time.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::runtime::Runtime;

/// What a simulated web looks like.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: &'static str,
    pub seed: u64,
    /// Hosts, and URLs spread over them.
    pub hosts: usize,
    pub urls: usize,
    /// Host sizes: the host of rank r gets a share ∝ 1 / r^zipf (0: equal).
    pub zipf: f64,
    /// The first hosts, set rather than drawn (the rest share the other
    /// URLs).
    pub fixed: Vec<Fixed>,
    /// Latency per request: log-normal with this median and spread (σ of
    /// its logarithm), capped.
    pub median_latency: Duration,
    pub latency_sigma: f64,
    pub max_latency: Duration,
    /// Shares of hosts that never accept a connection, that accept and
    /// never answer, that speak TLS, and that answer 429 above `rate`.
    pub dead: f64,
    pub hanging: f64,
    pub tls: f64,
    pub rate_limited: f64,
    /// Requests per second a rate-limited host takes.
    pub rate: f64,
    /// Shares of URLs that are 404, 301 (to a 200), and 405 to HEAD but
    /// 200 to GET; the rest are 200.
    pub missing: f64,
    pub moved: f64,
    pub head_hostile: f64,
}

impl Spec {
    /// The web the issue describes: 1,000 hosts, 20,000 URLs, median 80 ms
    /// with a tail to 2 s, 2% dead, 1% hanging, a fifth on TLS, a few
    /// rate-limited, some HEAD-hostile paths.
    pub fn web() -> Spec {
        Spec {
            name: "web mix",
            seed: 1,
            hosts: 1000,
            urls: 20_000,
            zipf: 1.0,
            fixed: Vec::new(),
            median_latency: Duration::from_millis(80),
            latency_sigma: 0.9,
            max_latency: Duration::from_secs(2),
            dead: 0.02,
            hanging: 0.01,
            tls: 0.2,
            rate_limited: 0.01,
            rate: 10.0,
            missing: 0.04,
            moved: 0.05,
            head_hostile: 0.03,
        }
    }

    /// 100 hosts of 50 URLs, 10 of them dead.
    pub fn dead_hosts() -> Spec {
        Spec {
            name: "dead-host mix",
            seed: 2,
            hosts: 100,
            urls: 5_000,
            zipf: 0.0,
            dead: 0.10,
            hanging: 0.0,
            tls: 0.0,
            rate_limited: 0.0,
            ..Spec::web()
        }
    }

    /// One host with 10,000 URLs among 1,000 hosts of 5.
    pub fn big_host() -> Spec {
        Spec {
            name: "one big host",
            seed: 3,
            hosts: 1001,
            urls: 15_000,
            zipf: 0.0,
            fixed: vec![Fixed::urls(10_000)],
            dead: 0.0,
            hanging: 0.0,
            rate_limited: 0.0,
            ..Spec::web()
        }
    }

    /// 20 hosts of 50 URLs, every one rate-limited: the 429s each tool
    /// receives when it works rate-limited hosts as hard as the politeness
    /// limits let it, which the web mix does not show for a tool too slow
    /// to reach their limits there.
    pub fn rate_limited_hosts() -> Spec {
        Spec {
            name: "rate-limited hosts",
            seed: 4,
            hosts: 20,
            urls: 1_000,
            zipf: 0.0,
            dead: 0.0,
            hanging: 0.0,
            rate_limited: 1.0,
            ..Spec::web()
        }
    }

    /// A web whose length is set by a slow mid-size host and by the global
    /// limit rather than by its busiest host: the web of issue 19, where a
    /// host of 83 URLs answers in 2 s over TLS (about 23 s at 8 in flight
    /// from the start), the largest (2,666 URLs at 40 ms) needs 15 s at 8,
    /// and the rest, with latencies to 300 ms, keep the global slots busy
    /// for about as long. Any schedule that starts the slow host late, or
    /// starves the big one, adds directly to the run.
    pub fn slow_host() -> Spec {
        Spec {
            name: "slow-host mix",
            seed: 5,
            zipf: 0.6,
            fixed: vec![
                Fixed {
                    urls: 2_666,
                    latency: Some(Duration::from_millis(40)),
                    tls: Some(false),
                },
                Fixed {
                    urls: 83,
                    latency: Some(Duration::from_secs(2)),
                    tls: Some(true),
                },
            ],
            max_latency: Duration::from_millis(300),
            ..Spec::web()
        }
    }

    /// The same web, `factor` times smaller in URLs (at least one a host).
    pub fn scaled(mut self, factor: usize) -> Spec {
        let factor = factor.max(1);
        self.urls = (self.urls / factor).max(self.hosts);
        for host in &mut self.fixed {
            host.urls = (host.urls / factor).max(1);
        }
        self
    }
}

/// A host set by the scenario: its URLs, and its latency and TLS where set
/// (else drawn as for the others).
#[derive(Debug, Clone, Copy)]
pub struct Fixed {
    pub urls: usize,
    pub latency: Option<Duration>,
    pub tls: Option<bool>,
}

impl Fixed {
    pub fn urls(urls: usize) -> Fixed {
        Fixed {
            urls,
            latency: None,
            tls: None,
        }
    }
}

/// How a host behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Live,
    /// Listens, never accepts: connections hang until the connect timeout.
    NoAccept,
    /// Accepts and reads, never answers.
    Hanging,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub ip: Ipv4Addr,
    pub behaviour: Behaviour,
    pub tls: bool,
    pub latency: Duration,
    /// Requests per second above which it answers 429.
    pub rate: Option<f64>,
    /// A rate-limited host that announces its quota with every answer
    /// (`RateLimit-Limit`, `-Remaining`, `-Reset`), as API gateways and
    /// many frameworks' limiters do; the others say nothing until 429.
    pub announces: bool,
    pub urls: usize,
}

impl Host {
    /// What a new connection costs before its first request is read: a
    /// round trip, two with TLS (as the server makes it wait).
    pub fn set_up(&self) -> Duration {
        self.latency * if self.tls { 2 } else { 1 }
    }
}

/// What a URL answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ok,
    Missing,
    Moved,
    HeadHostile,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Ok => "ok",
            Kind::Missing => "missing",
            Kind::Moved => "moved",
            Kind::HeadHostile => "head405",
        }
    }

    /// Requests a careful checker needs: HEAD, plus GET to confirm a 404 or
    /// a 405, or the hop of a redirect.
    fn requests(self) -> u32 {
        match self {
            Kind::Ok => 1,
            Kind::Missing | Kind::Moved | Kind::HeadHostile => 2,
        }
    }
}

/// A drawn web: its hosts and its URLs in list order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: Spec,
    pub hosts: Vec<Host>,
    /// (host, kind, number), in list order.
    pub urls: Vec<(usize, Kind, usize)>,
}

/// The politeness a run is judged under.
#[derive(Debug, Clone, Copy)]
pub struct Politeness {
    pub concurrency: usize,
    pub per_host: usize,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

/// The least wall time any schedule within the politeness limits needs, and
/// which limit sets it.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// Σ of every URL's unavoidable time / the global limit.
    pub total: Duration,
    /// The busiest host's Σ / the per-host limit.
    pub busiest_host: Duration,
    /// A rate-limited host's requests / its rate.
    pub rate: Duration,
    /// The longest single unavoidable wait (a dead host's timeout).
    pub single: Duration,
}

impl Bound {
    pub fn value(&self) -> Duration {
        self.total
            .max(self.busiest_host)
            .max(self.rate)
            .max(self.single)
    }

    /// Which limit sets the bound.
    pub fn limit(&self) -> &'static str {
        let value = self.value();
        if value == self.single {
            "one timeout"
        } else if value == self.rate {
            "a host's rate"
        } else if value == self.busiest_host {
            "the busiest host"
        } else {
            "the global limit"
        }
    }
}

impl Plan {
    pub fn new(spec: Spec) -> Plan {
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let sizes = sizes(&spec);
        let count = |share: f64| (share * spec.hosts as f64).round() as usize;
        // Dead and hanging hosts are drawn from all but the ten largest, so
        // that one draw does not decide the whole run; rate limits go to
        // hosts large enough to exceed them (ranks 20 to 60), but not so
        // large that their rate alone sets the run's length; in a web of
        // rate-limited hosts alone, to every live host.
        let small: Vec<usize> = (10.min(spec.hosts)..spec.hosts).collect();
        let mut picks = small.clone();
        rng.shuffle(&mut picks);
        let dead: Vec<usize> = picks.iter().copied().take(count(spec.dead)).collect();
        let hanging: Vec<usize> = picks
            .iter()
            .copied()
            .skip(dead.len())
            .take(count(spec.hanging))
            .collect();
        let ranks = if spec.rate_limited >= 1.0 {
            0..spec.hosts
        } else {
            20.min(spec.hosts)..spec.hosts.min(60)
        };
        let mut large: Vec<usize> = ranks
            .filter(|h| !dead.contains(h) && !hanging.contains(h))
            .collect();
        rng.shuffle(&mut large);
        let limited: Vec<usize> = large.into_iter().take(count(spec.rate_limited)).collect();
        // Every other rate-limited host by size announces its quota, so that
        // both kinds have large hosts, which are the ones a fast client
        // pushes past their limit.
        let mut announcing = limited.clone();
        announcing.sort_by_key(|&h| std::cmp::Reverse(sizes[h]));
        let announcing: Vec<usize> = announcing.into_iter().step_by(2).collect();
        let hosts: Vec<Host> = sizes
            .iter()
            .enumerate()
            .map(|(i, &urls)| {
                let behaviour = if dead.contains(&i) {
                    Behaviour::NoAccept
                } else if hanging.contains(&i) {
                    Behaviour::Hanging
                } else {
                    Behaviour::Live
                };
                // Drawn for every host, so that setting one leaves the
                // others' draws as they were.
                let (tls, latency) = (rng.f64() < spec.tls, latency(&spec, &mut rng));
                let fixed = spec.fixed.get(i);
                Host {
                    ip: host_ip(i),
                    behaviour,
                    tls: fixed.and_then(|f| f.tls).unwrap_or(tls),
                    latency: fixed.and_then(|f| f.latency).unwrap_or(latency),
                    rate: limited.contains(&i).then_some(spec.rate),
                    announces: announcing.contains(&i),
                    urls,
                }
            })
            .collect();
        let mut urls = Vec::with_capacity(spec.urls);
        for (host, &size) in sizes.iter().enumerate() {
            for _ in 0..size {
                let draw = rng.f64();
                let kind = if draw < spec.missing {
                    Kind::Missing
                } else if draw < spec.missing + spec.moved {
                    Kind::Moved
                } else if draw < spec.missing + spec.moved + spec.head_hostile {
                    Kind::HeadHostile
                } else {
                    Kind::Ok
                };
                let number = urls.len();
                urls.push((host, kind, number));
            }
        }
        rng.shuffle(&mut urls);
        Plan { spec, hosts, urls }
    }

    /// The lower bound on the wall time of any schedule that keeps to
    /// `politeness`, where a dead or hanging host costs one timeout (its
    /// other URLs then need no request), every other URL its requests
    /// times its host's latency, and each connection its set-up.
    pub fn lower_bound(&self, politeness: &Politeness) -> Bound {
        let (per_host, requests) = self.host_work(politeness);
        let single = self
            .hosts
            .iter()
            .zip(&per_host)
            .filter(|(host, _)| host.behaviour != Behaviour::Live)
            .map(|(_, &wait)| wait)
            .max()
            .unwrap_or_default();
        let total: Duration = per_host.iter().sum();
        let busiest_host = self
            .host_bounds(politeness)
            .into_iter()
            .max()
            .unwrap_or_default();
        let rate = self
            .hosts
            .iter()
            .zip(&requests)
            .filter_map(|(host, &n)| Some(Duration::from_secs_f64(f64::from(n) / host.rate?)))
            .max()
            .unwrap_or_default();
        let longest_url = self
            .urls
            .iter()
            .filter(|(host, ..)| self.hosts[*host].behaviour == Behaviour::Live)
            .map(|&(host, kind, _)| {
                let host = &self.hosts[host];
                host.set_up() + host.latency * kind.requests()
            })
            .max()
            .unwrap_or_default();
        Bound {
            total: total / politeness.concurrency.max(1) as u32,
            busiest_host,
            rate,
            single: single.max(longest_url),
        }
    }

    /// Each host's unavoidable time (its URLs' requests times its latency,
    /// and the set-up of as many connections as it may have requests in
    /// flight; a dead or hanging host's one timeout) and its requests.
    fn host_work(&self, politeness: &Politeness) -> (Vec<Duration>, Vec<u32>) {
        let mut per_host = vec![Duration::ZERO; self.hosts.len()];
        let mut requests = vec![0u32; self.hosts.len()];
        for &(host, kind, _) in &self.urls {
            let h = &self.hosts[host];
            if h.behaviour == Behaviour::Live {
                per_host[host] += h.latency * kind.requests();
                requests[host] += kind.requests();
            }
        }
        for (i, host) in self.hosts.iter().enumerate() {
            per_host[i] = match host.behaviour {
                Behaviour::Live => {
                    let connections = politeness.per_host.min(host.urls.max(1)) as u32;
                    per_host[i] += host.set_up() * connections;
                    continue;
                }
                Behaviour::NoAccept => politeness.connect_timeout,
                Behaviour::Hanging => politeness.timeout,
            };
        }
        (per_host, requests)
    }

    /// Each host's least time under the per-host limit: its unavoidable
    /// time over the checks it may run at once.
    pub fn host_bounds(&self, politeness: &Politeness) -> Vec<Duration> {
        let (per_host, _) = self.host_work(politeness);
        per_host
            .iter()
            .zip(&self.hosts)
            .map(|(sum, host)| *sum / (politeness.per_host.min(host.urls.max(1)) as u32))
            .collect()
    }

    /// The index of the live host whose own work under the per-host limit
    /// is the longest.
    pub fn slowest_host(&self, politeness: &Politeness) -> usize {
        let bounds = self.host_bounds(politeness);
        (0..self.hosts.len())
            .filter(|&h| self.hosts[h].behaviour == Behaviour::Live)
            .max_by_key(|&h| (bounds[h], std::cmp::Reverse(h)))
            .unwrap_or(0)
    }

    /// The index of the host with the most URLs.
    pub fn largest_host(&self) -> usize {
        (0..self.hosts.len())
            .max_by_key(|&h| (self.hosts[h].urls, std::cmp::Reverse(h)))
            .unwrap_or(0)
    }
}

/// Host sizes: the fixed ones first; every other host one URL, and the
/// URLs left over shared by a Zipf-like weight (rounded down, the largest
/// host taking the remainder), adding up to `spec.urls` exactly.
fn sizes(spec: &Spec) -> Vec<usize> {
    let fixed: usize = spec.fixed.iter().map(|host| host.urls).sum();
    let rest = spec.hosts.saturating_sub(spec.fixed.len());
    let weights: Vec<f64> = (0..rest)
        .map(|r| 1.0 / ((r + 1) as f64).powf(spec.zipf))
        .collect();
    let sum: f64 = weights.iter().sum();
    let spare = spec.urls.saturating_sub(fixed).saturating_sub(rest);
    let mut sizes: Vec<usize> = spec.fixed.iter().map(|host| host.urls).collect();
    sizes.extend(
        weights
            .iter()
            .map(|w| 1 + (w / sum * spare as f64).floor() as usize),
    );
    let total: usize = sizes.iter().sum();
    if let Some(largest) = sizes.get_mut(spec.fixed.len()) {
        *largest += spec.urls.saturating_sub(total);
    }
    sizes
}

/// A log-normal latency: the median times e^(σ·z), z standard normal
/// (Box–Muller), capped.
fn latency(spec: &Spec, rng: &mut fastrand::Rng) -> Duration {
    let (u1, u2) = (rng.f64().max(f64::MIN_POSITIVE), rng.f64());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    spec.median_latency
        .mul_f64((spec.latency_sigma * z).exp())
        .clamp(Duration::from_millis(2), spec.max_latency)
}

/// Host `i`'s address: 127.1.0.1, 127.1.0.2, … (250 a block).
fn host_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        1 + (i / 62_500) as u8,
        ((i / 250) % 250) as u8,
        (i % 250) as u8 + 1,
    )
}

/// One answered request, in seconds since the run began.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub host: u32,
    pub arrived: f64,
    pub answered: f64,
    pub status: u16,
    /// How much later than its host's latency the answer went out.
    pub late: f64,
}

/// The server's view of one run.
#[derive(Debug, Default)]
pub struct RunLog {
    pub records: Vec<Record>,
    /// Requests to hanging hosts (never answered).
    pub hung: u64,
}

impl RunLog {
    pub fn count(&self, status: u16) -> usize {
        self.records.iter().filter(|r| r.status == status).count()
    }

    /// Requests in flight (arrived, not yet answered), averaged over each
    /// `bucket` of the run, up to `end` seconds.
    pub fn in_flight(&self, bucket: f64, end: f64, host: Option<u32>) -> Vec<f64> {
        let buckets = (end / bucket).ceil().max(1.0) as usize;
        let mut busy = vec![0.0; buckets];
        for record in &self.records {
            if host.is_some_and(|h| h != record.host) {
                continue;
            }
            let (mut from, to) = (record.arrived, record.answered.min(end));
            while from < to {
                let index = ((from / bucket) as usize).min(buckets - 1);
                let edge = ((index + 1) as f64 * bucket).min(to);
                busy[index] += edge - from;
                from = edge;
                if index == buckets - 1 {
                    break;
                }
            }
        }
        busy.iter().map(|b| b / bucket).collect()
    }

    /// When `host` got its first request and sent its last answer.
    pub fn span(&self, host: u32) -> Option<(f64, f64)> {
        let records = self.records.iter().filter(|r| r.host == host);
        let first = records.clone().map(|r| r.arrived).min_by(f64::total_cmp)?;
        let last = records.map(|r| r.answered).max_by(f64::total_cmp)?;
        Some((first, last))
    }

    /// The 99th percentile and the largest lateness, in seconds: how far
    /// the server fell behind its own latencies.
    pub fn lateness(&self) -> (f64, f64) {
        let mut late: Vec<f64> = self.records.iter().map(|r| r.late).collect();
        if late.is_empty() {
            return (0.0, 0.0);
        }
        late.sort_by(f64::total_cmp);
        let p99 = late[(late.len() * 99 / 100).min(late.len() - 1)];
        (p99, late[late.len() - 1])
    }
}

/// State shared by every connection of one host.
struct HostState {
    index: u32,
    latency: Duration,
    hanging: bool,
    /// (tokens, last refill) for a rate-limited host.
    bucket: Option<(f64, Mutex<(f64, Instant)>)>,
    /// Whether it sends its quota with every answer.
    announces: bool,
}

struct Shared {
    epoch: Mutex<Instant>,
    log: Mutex<Vec<Record>>,
    hung: AtomicU64,
}

/// The simulated web, serving until dropped.
pub struct WebServer {
    /// Each host's `ip:port`.
    pub addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    runtime: Option<Runtime>,
    /// Listeners that never accept, and the connections that fill their
    /// backlog: kept open for the server's life.
    _dead: Vec<(TcpListener, Vec<std::net::TcpStream>)>,
}

impl WebServer {
    /// Starts every host of `plan`, served by `threads` worker threads.
    pub fn start(plan: &Plan, threads: usize) -> std::io::Result<WebServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("bench-web")
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            epoch: Mutex::new(Instant::now()),
            log: Mutex::new(Vec::new()),
            hung: AtomicU64::new(0),
        });
        let acceptor = tls_acceptor()?;
        let mut addrs = Vec::new();
        let mut dead = Vec::new();
        for (i, host) in plan.hosts.iter().enumerate() {
            let _guard = runtime.enter();
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(IpAddr::V4(host.ip), 0))?;
            if host.behaviour == Behaviour::NoAccept {
                let listener = socket.listen(0)?;
                let addr = listener.local_addr()?;
                addrs.push(addr);
                dead.push((listener, fill_backlog(addr)));
                continue;
            }
            let listener = socket.listen(1024)?;
            addrs.push(listener.local_addr()?);
            let state = Arc::new(HostState {
                index: i as u32,
                latency: host.latency,
                hanging: host.behaviour == Behaviour::Hanging,
                bucket: host
                    .rate
                    .map(|rate| (rate, Mutex::new((rate.max(1.0), Instant::now())))),
                announces: host.announces,
            });
            let tls = host.tls.then(|| acceptor.clone());
            runtime.spawn(accept(listener, state, Arc::clone(&shared), tls));
        }
        Ok(WebServer {
            addrs,
            shared,
            runtime: Some(runtime),
            _dead: dead,
        })
    }

    /// The list, in order, as URLs.
    pub fn urls(&self, plan: &Plan) -> Vec<String> {
        plan.urls
            .iter()
            .map(|&(host, kind, number)| {
                let scheme = if plan.hosts[host].tls {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{}/{}/{number}", self.addrs[host], kind.path())
            })
            .collect()
    }

    /// Starts a new run: the clock at zero, the log empty.
    pub fn begin(&self) {
        *lock(&self.shared.epoch) = Instant::now();
        lock(&self.shared.log).clear();
        self.shared.hung.store(0, Ordering::Relaxed);
    }

    /// What the server saw since [`WebServer::begin`].
    pub fn take(&self) -> RunLog {
        RunLog {
            records: std::mem::take(&mut *lock(&self.shared.log)),
            hung: self.shared.hung.load(Ordering::Relaxed),
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Fills a never-accepting listener's accept queue, so that the kernel
/// drops every later SYN and clients wait for their connect timeout, as
/// with a host that is down behind a silent firewall.
fn fill_backlog(addr: SocketAddr) -> Vec<std::net::TcpStream> {
    let mut held = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    held
}

/// A self-signed certificate; clients are run with `--insecure`.
fn tls_acceptor() -> std::io::Result<tokio_rustls::TlsAcceptor> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(std::io::Error::other)?;
    let cert = certified.cert.der().clone();
    let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
        certified.signing_key.serialize_der().into(),
    );
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(std::io::Error::other)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn accept(
    listener: TcpListener,
    state: Arc<HostState>,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (state, shared, tls) = (Arc::clone(&state), Arc::clone(&shared), tls.clone());
        tokio::spawn(async move {
            // A new connection costs a round trip (two with TLS) before the
            // first request can be read, as `Host::set_up` tells the bound.
            let handshakes = if tls.is_some() { 2 } else { 1 };
            tokio::time::sleep(state.latency * handshakes).await;
            match tls {
                None => serve(stream, state, shared).await,
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve(stream, state, shared).await;
                    }
                }
            }
        });
    }
}

async fn serve(
    stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    state: Arc<HostState>,
    shared: Arc<Shared>,
) {
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        let (state, shared) = (Arc::clone(&state), Arc::clone(&shared));
        async move { Ok::<_, Infallible>(answer(&request, &state, &shared).await) }
    });
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn answer(
    request: &Request<hyper::body::Incoming>,
    state: &HostState,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let arrived = Instant::now();
    if state.hanging {
        shared.hung.fetch_add(1, Ordering::Relaxed);
        std::future::pending::<()>().await;
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    let path = request.uri().path();
    let (allowed, quota) = take_token(state, arrived);
    if state.announces
        && let Some(Quota {
            limit,
            remaining,
            reset,
        }) = quota
    {
        let headers = response.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", limit),
            ("ratelimit-remaining", remaining),
            ("ratelimit-reset", reset),
        ] {
            headers.insert(name, hyper::header::HeaderValue::from(value));
        }
    }
    let status = if !allowed {
        response.headers_mut().insert(
            hyper::header::RETRY_AFTER,
            hyper::header::HeaderValue::from_static("1"),
        );
        StatusCode::TOO_MANY_REQUESTS
    } else if path.starts_with("/ok/") {
        StatusCode::OK
    } else if path.starts_with("/missing/") {
        StatusCode::NOT_FOUND
    } else if let Some(n) = path.strip_prefix("/moved/") {
        if let Ok(location) = hyper::header::HeaderValue::from_str(&format!("/ok/{n}")) {
            response
                .headers_mut()
                .insert(hyper::header::LOCATION, location);
        }
        StatusCode::MOVED_PERMANENTLY
    } else if path.starts_with("/head405/") && request.method() == Method::HEAD {
        StatusCode::METHOD_NOT_ALLOWED
    } else if path.starts_with("/head405/") {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    *response.status_mut() = status;
    tokio::time::sleep_until((arrived + state.latency).into()).await;
    let answered = Instant::now();
    let epoch = *lock(&shared.epoch);
    let since = |at: Instant| at.saturating_duration_since(epoch).as_secs_f64();
    lock(&shared.log).push(Record {
        host: state.index,
        arrived: since(arrived),
        answered: since(answered),
        status: status.as_u16(),
        late: answered
            .saturating_duration_since(arrived + state.latency)
            .as_secs_f64(),
    });
    response
}

/// A rate-limited host's quota as it announces it: the bucket's size, the
/// whole requests left in it, and the whole seconds (rounded up, as such
/// headers are) until it is full again.
struct Quota {
    limit: u64,
    remaining: u64,
    reset: u64,
}

/// Takes one request from a rate-limited host's bucket (refilled at its
/// rate, holding one second's worth, at least one request): whether it was
/// there, and the quota left (for a rate-limited host).
fn take_token(state: &HostState, now: Instant) -> (bool, Option<Quota>) {
    let Some((rate, bucket)) = &state.bucket else {
        return (true, None);
    };
    let capacity = rate.max(1.0);
    let mut bucket = lock(bucket);
    let (tokens, last) = &mut *bucket;
    *tokens = (*tokens + now.saturating_duration_since(*last).as_secs_f64() * rate).min(capacity);
    *last = now;
    let allowed = *tokens >= 1.0;
    if allowed {
        *tokens -= 1.0;
    }
    let quota = Quota {
        limit: capacity as u64,
        remaining: *tokens as u64,
        reset: ((capacity - *tokens) / rate).ceil() as u64,
    };
    (allowed, Some(quota))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_seeded_and_add_up() {
        let spec = Spec::web().scaled(10);
        let (a, b) = (Plan::new(spec.clone()), Plan::new(spec.clone()));
        assert_eq!(a.urls, b.urls);
        assert_eq!(a.urls.len(), spec.urls);
        assert_eq!(a.hosts.iter().map(|h| h.urls).sum::<usize>(), spec.urls);
        assert_eq!(
            a.hosts
                .iter()
                .filter(|h| h.behaviour == Behaviour::NoAccept)
                .count(),
            20
        );
        assert!(a.hosts[0].urls > 10 * a.hosts[99].urls, "Zipf-like sizes");
        let limited = a.hosts.iter().filter(|h| h.rate.is_some()).count();
        let announcing = a.hosts.iter().filter(|h| h.announces).count();
        assert!(limited > 1 && announcing == limited.div_ceil(2));
        assert!(a.hosts.iter().all(|h| !h.announces || h.rate.is_some()));
        let big = Plan::new(Spec::big_host());
        assert_eq!(big.largest_host(), 0);
        assert_eq!(big.hosts[0].urls, 10_000);
    }

    /// The politeness the benchmark judges every tool under.
    fn politeness() -> Politeness {
        Politeness {
            concurrency: 128,
            per_host: 8,
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn the_bound_counts_a_dead_host_once() {
        let plan = Plan::new(Spec::dead_hosts());
        let politeness = politeness();
        let bound = plan.lower_bound(&politeness);
        assert_eq!(bound.single, Duration::from_secs(10));
        assert!(bound.value() >= bound.total);
    }

    #[test]
    fn the_slow_host_mix_is_bound_by_its_slow_host_and_the_global_limit() {
        let plan = Plan::new(Spec::slow_host());
        let politeness = politeness();
        let bound = plan.lower_bound(&politeness);
        let hosts = plan.host_bounds(&politeness);
        assert_eq!(
            plan.slowest_host(&politeness),
            1,
            "the slow mid-size host sets the per-host bound"
        );
        assert_eq!(plan.hosts[1].urls, 83);
        assert!(plan.hosts[1].tls);
        assert_eq!(plan.largest_host(), 0);
        assert_eq!(bound.value(), bound.busiest_host.max(bound.total));
        let (slow, global) = (bound.busiest_host.as_secs_f64(), bound.total.as_secs_f64());
        assert!(global > 0.75 * slow && global < 1.25 * slow, "{bound:?}");
        assert!(hosts[0] < bound.busiest_host.mul_f64(0.8), "{bound:?}");
    }

    #[test]
    fn in_flight_averages_over_buckets() {
        let log = RunLog {
            records: vec![
                Record {
                    host: 0,
                    arrived: 0.0,
                    answered: 2.0,
                    status: 200,
                    late: 0.0,
                },
                Record {
                    host: 1,
                    arrived: 0.5,
                    answered: 1.0,
                    status: 200,
                    late: 0.0,
                },
            ],
            hung: 0,
        };
        assert_eq!(log.in_flight(1.0, 2.0, None), [1.5, 1.0]);
        assert_eq!(log.in_flight(1.0, 2.0, Some(1)), [0.5, 0.0]);
    }
}
