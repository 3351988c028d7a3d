//! The benchmark's parts: a fast local HTTP/1.1 server and URL list
//! generators, and a simulated web ([`web`]). The runner (`main.rs`) puts
//! them together with headcheck.

pub mod web;

pub mod server {
    //! A keep-alive HTTP/1.1 server (hyper) on loopback addresses, answering
    //! by path: `/ok/…` 200, `/missing/…` 404, `/moved/N` 301 to `/ok/N`,
    //! `/hang/…` never, the pages of a generated site ([`Server::site`],
    //! `/site/N`, and `/` for page 0), and any document registered with
    //! [`Server::serve`].

    use std::collections::HashMap;
    use std::convert::Infallible;
    use std::net::{IpAddr, SocketAddr};
    use std::sync::{Arc, RwLock};

    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response, StatusCode};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;
    use tokio::runtime::Runtime;

    type Documents = Arc<RwLock<HashMap<String, Bytes>>>;
    type Site = Arc<RwLock<Option<crate::generate::Site>>>;

    /// Runs until dropped.
    pub struct Server {
        pub addrs: Vec<SocketAddr>,
        documents: Documents,
        site: Site,
        runtime: Option<Runtime>,
    }

    impl Server {
        /// Listens on port 0 of each of `ips` (e.g. 127.0.0.1 … 127.0.0.5),
        /// served by `threads` worker threads.
        pub fn start(ips: &[IpAddr], threads: usize) -> std::io::Result<Server> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .thread_name("bench-server")
                .enable_all()
                .build()?;
            let documents: Documents = Arc::default();
            let site: Site = Arc::default();
            let mut addrs = Vec::new();
            for ip in ips {
                let listener = runtime.block_on(TcpListener::bind((*ip, 0)))?;
                addrs.push(listener.local_addr()?);
                runtime.spawn(accept(listener, Arc::clone(&documents), Arc::clone(&site)));
            }
            Ok(Server {
                addrs,
                documents,
                site,
                runtime: Some(runtime),
            })
        }

        /// Serves `site`'s pages at `/site/N`, made as they are asked for.
        pub fn site(&self, site: crate::generate::Site) {
            *self
                .site
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(site);
        }

        /// Serves `body` at `path` (with GET; HEAD gets the headers).
        pub fn serve(&self, path: &str, body: impl Into<Bytes>) {
            self.documents
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(path.to_string(), body.into());
        }

        /// `host:port` of each address, for URLs.
        pub fn hosts(&self) -> Vec<String> {
            self.addrs.iter().map(SocketAddr::to_string).collect()
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            if let Some(runtime) = self.runtime.take() {
                runtime.shutdown_background();
            }
        }
    }

    async fn accept(listener: TcpListener, documents: Documents, site: Site) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let documents = Arc::clone(&documents);
            let site = Arc::clone(&site);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let documents = Arc::clone(&documents);
                    let site = Arc::clone(&site);
                    async move { Ok::<_, Infallible>(answer(req.uri().path(), &documents, &site).await) }
                });
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    async fn answer(path: &str, documents: &Documents, site: &Site) -> Response<Full<Bytes>> {
        let response = |status: StatusCode| {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = status;
            response
        };
        if path.starts_with("/ok/") {
            let mut ok = Response::new(Full::new(Bytes::from_static(b"ok\n")));
            ok.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain"),
            );
            return ok;
        }
        if path.starts_with("/missing/") {
            return response(StatusCode::NOT_FOUND);
        }
        if let Some(n) = path.strip_prefix("/moved/") {
            let mut moved = response(StatusCode::MOVED_PERMANENTLY);
            if let Ok(location) = hyper::header::HeaderValue::from_str(&format!("/ok/{n}")) {
                moved
                    .headers_mut()
                    .insert(hyper::header::LOCATION, location);
            }
            return moved;
        }
        // The site's home page is its page 0 (`/`), so that crawlers that
        // stay below their start URL crawl it all.
        let page = match path {
            "/" => Some(0),
            _ => path.strip_prefix("/site/").and_then(|n| n.parse().ok()),
        };
        if let Some(page) = page {
            let site = site
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(body) = site.as_ref().and_then(|site| site.page(page)) {
                let mut page = Response::new(Full::new(Bytes::from(body)));
                page.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
                );
                return page;
            }
            return response(StatusCode::NOT_FOUND);
        }
        if path.starts_with("/hang/") {
            // Never answers; the future is dropped when the client gives up.
            std::future::pending::<()>().await;
        }
        let document = documents
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(path)
            .cloned();
        match document {
            Some(body) => Response::new(Full::new(body)),
            None => response(StatusCode::NOT_FOUND),
        }
    }
}

pub mod generate {
    //! URL lists: distinct paths spread round-robin over the hosts, with a
    //! fixed mix of answers.

    use std::io::{self, Write};

    /// Out of every 100 URLs: how many are 404s, 301s (to a 200) and hangs;
    /// the rest are 200s.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Mix {
        pub missing: u64,
        pub moved: u64,
        pub hang: u64,
    }

    /// 90% 200, 5% 404, 5% 301 to a 200.
    pub const STANDARD: Mix = Mix {
        missing: 5,
        moved: 5,
        hang: 0,
    };

    /// The standard mix with 1% of URLs hanging (taken from the 200s).
    pub const WITH_HANGS: Mix = Mix {
        missing: 5,
        moved: 5,
        hang: 1,
    };

    /// The kind of answer URL `i` gets.
    pub fn kind(i: u64, mix: Mix) -> &'static str {
        // Spread the kinds over the list rather than in blocks: bucket by a
        // multiplicative hash of i.
        let bucket = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % 100;
        if bucket < mix.hang {
            "hang"
        } else if bucket < mix.hang + mix.missing {
            "missing"
        } else if bucket < mix.hang + mix.missing + mix.moved {
            "moved"
        } else {
            "ok"
        }
    }

    /// URL number `i`.
    pub fn url(i: u64, hosts: &[String], mix: Mix) -> String {
        let host = &hosts[(i % hosts.len() as u64) as usize];
        format!("http://{host}/{}/{i}", kind(i, mix))
    }

    /// Writes `n` URLs, one per line.
    pub fn list(out: &mut impl Write, n: u64, hosts: &[String], mix: Mix) -> io::Result<()> {
        for i in 0..n {
            writeln!(out, "{}", url(i, hosts, mix))?;
        }
        Ok(())
    }

    /// A `<urlset>` of `n` URLs.
    pub fn sitemap(n: u64, hosts: &[String], mix: Mix) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for i in 0..n {
            xml.push_str("  <url><loc>");
            xml.push_str(&url(i, hosts, mix));
            xml.push_str("</loc><lastmod>2026-11-24</lastmod></url>\n");
        }
        xml.push_str("</urlset>\n");
        xml
    }

    /// A generated web site for crawling: `pages` pages at `/site/N` on its
    /// host, each with ~50 links: a navigation bar shared by every page, its
    /// children in a tree of 20 (every page is at most 5 levels from
    /// `/site/0`), links to pages of other hosts, and some dead links.
    #[derive(Debug, Clone)]
    pub struct Site {
        pub pages: u64,
        /// `host:port` of the other hosts it links to.
        pub others: Vec<String>,
    }

    /// Children per page, and links in the navigation bar.
    pub const FANOUT: u64 = 20;

    impl Site {
        /// The distinct URLs a crawl of the whole site checks: its pages,
        /// their dead links, the style sheet, and the other hosts' URLs.
        pub fn distinct_urls(&self) -> u64 {
            let mut elsewhere = std::collections::HashSet::new();
            for n in 0..self.pages {
                for i in 0..self.others.len() as u64 {
                    elsewhere.insert((i, (n * 7 + i) % 5000));
                }
            }
            let dead_elsewhere = self.pages.min(500);
            // Its pages and `/` (page 0 again, the start), their dead links,
            // the style sheet, the other hosts' URLs.
            2 * self.pages + 2 + elsewhere.len() as u64 + dead_elsewhere
        }

        /// Page `n`'s HTML, if it is one of the site's.
        pub fn page(&self, n: u64) -> Option<String> {
            if n >= self.pages {
                return None;
            }
            let mut html = String::with_capacity(4096);
            html.push_str("<!doctype html>\n<html><head><title>Page</title>\n");
            html.push_str(
                "<link rel=\"stylesheet\" href=\"/ok/style.css\">\n</head><body>\n<nav>\n",
            );
            for i in 0..FANOUT {
                html.push_str(&format!("<a href=\"/site/{i}\">section {i}</a>\n"));
            }
            html.push_str("</nav>\n<main>\n");
            for child in (n * FANOUT + 1)..=(n * FANOUT + FANOUT) {
                if child < self.pages {
                    html.push_str(&format!(
                        "<p><a href=\"/site/{child}\">page {child}</a></p>\n"
                    ));
                }
            }
            for (i, other) in self.others.iter().enumerate() {
                let ok = (n * 7 + i as u64) % 5000;
                html.push_str(&format!(
                    "<a href=\"http://{other}/ok/{ok}\">elsewhere</a>\n"
                ));
            }
            // Dead: a page of the site, and one elsewhere.
            html.push_str(&format!("<a href=\"/missing/{n}\">gone</a>\n"));
            if let Some(other) = self.others.first() {
                html.push_str(&format!(
                    "<a href=\"http://{other}/missing/{}\">gone too</a>\n",
                    n % 500
                ));
            }
            html.push_str("</main></body></html>\n");
            Some(html)
        }
    }
}
