//! Scale-out: `--shard K/N` splits a list by host, and `headcheck merge`
//! puts the shard reports back together as one run's report.

mod support;

use std::collections::{HashMap, HashSet};
use std::io::Write;

use support::{Csv, Server, gone_or_ok, headcheck};

const HOSTS: usize = 50;
const URLS: usize = 10_000;

/// The name of test host `n`: `h07.test`, resolved to 127.0.0.1.
fn host(n: usize) -> String {
    format!("h{n:02}.test")
}

/// A list of 10,000 URLs over 50 `.test` hosts (every 13th a 404), with an
/// invalid line, a mailto: and a repeat mixed in.
fn big_list(dir: &std::path::Path, server: &Server) -> String {
    let path = dir.join("urls.txt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let port = server.port();
    for i in 0..URLS {
        let name = host(i % HOSTS);
        let page = if i % 13 == 0 { "gone" } else { "page" };
        writeln!(file, "http://{name}:{port}/{page}/{i}").unwrap();
        if i == 500 {
            // A repeat of line 2's URL.
            let again = host(1);
            writeln!(file, "not a url\nmailto:someone@{again}").unwrap();
            writeln!(file, "http://{again}:{port}/page/1").unwrap();
        }
    }
    file.flush().unwrap();
    path.to_str().unwrap().to_string()
}

fn resolve_args(server: &Server) -> Vec<String> {
    let port = server.port();
    (0..HOSTS)
        .flat_map(|h| {
            [
                "--resolve".to_string(),
                format!("{}:{port}:127.0.0.1", host(h)),
            ]
        })
        .collect()
}

/// Runs headcheck and returns stdout, stderr and the exit status.
fn run(args: &[String], env: Option<(&str, &str)>) -> (Vec<u8>, String, i32) {
    let mut command = headcheck();
    command.args(args);
    if let Some((name, value)) = env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.stdout, stderr, output.status.code().unwrap_or(-1))
}

/// The counts line of a summary, without time and rate.
fn counts(stderr: &str) -> String {
    let first = stderr.lines().next().unwrap_or_default();
    first.split_once(": ").map_or("", |(_, c)| c).to_string()
}

#[test]
fn shards_hold_every_row_once_and_merge_reproduces_the_run() {
    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    let list = big_list(dir.path(), &server);
    let common: Vec<String> = ["-c", "128", "--per-host", "32", "--capture", "content-type"]
        .iter()
        .map(|s| s.to_string())
        .chain(resolve_args(&server))
        .chain([list.clone()])
        .collect();

    let (whole, whole_stderr, whole_code) = run(&common, None);
    let whole = Csv::parse(&whole);
    assert_eq!(
        whole.rows.len(),
        URLS + 2,
        "10,000 URLs, an invalid line, a mailto"
    );
    assert_eq!(whole_code, 1);

    let n = 3;
    let mut shard_paths = Vec::new();
    let mut hosts_seen: HashMap<String, usize> = HashMap::new();
    let mut union = Vec::new();
    for k in 1..=n {
        let path = dir.path().join(format!("shard-{k}.csv"));
        let mut args = common.clone();
        args.extend(["--shard".into(), format!("{k}/{n}")]);
        args.extend(["-o".into(), path.to_str().unwrap().to_string()]);
        let (_, stderr, _) = run(&args, None);
        let shard = Csv::parse(&std::fs::read(&path).unwrap());
        assert!(!shard.rows.is_empty(), "shard {k} is empty: {stderr}");
        for url in shard.col("url") {
            if let Ok(parsed) = url::Url::parse(url)
                && let Some(host) = parsed.host_str()
            {
                let owner = *hosts_seen.entry(host.to_string()).or_insert(k);
                assert_eq!(owner, k, "{host} is in shards {owner} and {k}");
            }
        }
        union.extend(shard.rows_without("elapsed_ms"));
        shard_paths.push(path);
    }
    assert_eq!(hosts_seen.len(), HOSTS);
    // Every row of the unsharded run, exactly once.
    let whole_rows = whole.rows_without("elapsed_ms");
    assert_eq!(union.len(), whole_rows.len());
    let union_set: HashSet<_> = union.iter().collect();
    assert_eq!(union_set.len(), union.len(), "a row is in two shards");
    assert_eq!(union_set, whole_rows.iter().collect::<HashSet<_>>());

    // Merged: the same rows in the same order, summary and exit status.
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(shard_paths.iter().map(|p| p.to_str().unwrap().to_string()));
    let (merged, merged_stderr, merged_code) = run(&args, None);
    let merged = Csv::parse(&merged);
    assert_eq!(merged.headers, whole.headers);
    assert_eq!(merged.rows_without("elapsed_ms"), whole_rows);
    assert_eq!(counts(&merged_stderr), counts(&whole_stderr));
    assert!(
        merged_stderr.contains(&format!("{} URLs: ", URLS + 2)),
        "{merged_stderr}"
    );
    assert_eq!(merged_code, whole_code);
}

/// A small list of 40 URLs, each on a host of its own, for the quicker
/// tests.
fn small_site() -> (Server, tempfile::TempDir, Vec<String>) {
    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("urls.txt");
    let mut text = String::new();
    for i in 0..40 {
        let page = if i == 7 { "gone" } else { "page" };
        // A host each: shards go by host and port, and the port is new in
        // every run, so with a few hosts a shard was now and then empty.
        let name = host(i % HOSTS);
        text.push_str(&format!("http://{name}:{}/{page}/{i}\n", server.port()));
    }
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["--capture".to_string(), String::new()];
    args.extend(resolve_args(&server));
    args.push(path.to_str().unwrap().to_string());
    (server, dir, args)
}

#[test]
fn auto_takes_the_shard_from_the_kubernetes_index() {
    let (_server, _dir, args) = small_site();
    let mut second = args.clone();
    second.extend(["--shard".into(), "2/3".into()]);
    let mut auto = args.clone();
    auto.extend(["--shard".into(), "auto/3".into()]);
    let (by_number, _, _) = run(&second, None);
    let (by_index, _, _) = run(&auto, Some(("JOB_COMPLETION_INDEX", "1")));
    let urls = |out: &[u8]| Csv::parse(out).col("url").join("\n");
    assert!(!Csv::parse(&by_number).rows.is_empty());
    assert_eq!(urls(&by_index), urls(&by_number));

    for (shard, index) in [
        ("auto/3", None),
        ("auto/3", Some("3")),
        ("0/3", None),
        ("2", None),
    ] {
        let mut bad = args.clone();
        bad.extend(["--shard".into(), shard.into()]);
        let env = index.map(|i| ("JOB_COMPLETION_INDEX", i));
        let (_, stderr, code) = run(&bad, env);
        assert_eq!(code, 2, "--shard {shard} with {index:?}: {stderr}");
        assert!(stderr.contains("--shard"), "{stderr}");
    }
}

#[test]
fn merge_reads_json_lines_and_refuses_reports_that_differ() {
    let (_server, dir, args) = small_site();
    let mut paths = Vec::new();
    for k in 1..=2 {
        let path = dir.path().join(format!("s{k}.jsonl"));
        let mut shard = args.clone();
        shard.extend(["--shard".into(), format!("{k}/2")]);
        shard.extend(["-o".into(), path.to_str().unwrap().into()]);
        run(&shard, None);
        paths.push(path.to_str().unwrap().to_string());
    }
    let (whole, _, _) = run(&args, None);
    let out = dir.path().join("merged.csv");
    let mut merge = vec!["merge".to_string()];
    merge.extend(paths.iter().cloned());
    merge.extend(["-o".into(), out.to_str().unwrap().into()]);
    let (_, stderr, code) = run(&merge, None);
    assert_eq!(code, 1, "the 404 fails the merged run too: {stderr}");
    let merged = Csv::parse(&std::fs::read(&out).unwrap());
    let whole = Csv::parse(&whole);
    assert_eq!(
        merged.rows_without("elapsed_ms"),
        whole.rows_without("elapsed_ms")
    );

    // A report with other columns cannot be merged in.
    let other = dir.path().join("other.csv");
    let mut different = args.clone();
    different.extend(["--capture".into(), "server".into()]);
    different.extend(["-o".into(), other.to_str().unwrap().into()]);
    run(&different, None);
    let mut merge = vec!["merge".to_string(), paths[0].clone()];
    merge.push(other.to_str().unwrap().into());
    let (_, stderr, code) = run(&merge, None);
    assert_eq!(code, 2);
    assert!(stderr.contains("columns differ"), "{stderr}");

    let not_a_report = dir.path().join("x.csv");
    std::fs::write(&not_a_report, "name,age\nx,1\n").unwrap();
    let (_, stderr, code) = run(
        &["merge".into(), not_a_report.to_str().unwrap().into()],
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("not a headcheck report"), "{stderr}");
}

#[test]
fn bom_starts_the_csv_and_resume_reads_it_back() {
    let (server, dir, args) = small_site();
    let report = dir.path().join("r.csv");
    let mut first = args.clone();
    first.extend(["--bom".into(), "-o".into(), report.to_str().unwrap().into()]);
    run(&first, None);
    let bytes = std::fs::read(&report).unwrap();
    assert!(bytes.starts_with("\u{feff}url,result,".as_bytes()));
    let requests = server.seen().len();
    let mut again = args.clone();
    again.extend(["--resume".into(), report.to_str().unwrap().into()]);
    let (out, _, _) = run(&again, None);
    assert_eq!(server.seen().len(), requests, "nothing checked again");
    assert_eq!(Csv::parse(&out).rows.len(), 40);
}

#[test]
fn merge_reads_a_report_named_twice_once_and_never_overwrites_one() {
    let (_server, dir, args) = small_site();
    let report = dir.path().join("r.csv");
    let mut whole = args.clone();
    whole.extend(["-o".into(), report.to_str().unwrap().into()]);
    run(&whole, None);
    let text = std::fs::read(&report).unwrap();
    let r = report.to_str().unwrap().to_string();

    // `merge *.csv` after an earlier merge, or a path typed twice.
    let (merged, stderr, code) = run(&["merge".into(), r.clone(), r.clone()], None);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(Csv::parse(&merged).rows, Csv::parse(&text).rows);
    assert!(stderr.contains("is named twice; read once"), "{stderr}");

    let (_, stderr, code) = run(&["merge".into(), r.clone(), "-o".into(), r.clone()], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(std::fs::read(&report).unwrap(), text);
}

#[test]
fn rows_that_are_not_urls_are_in_one_shard_and_merge_as_one_run() {
    let (server, dir, mut args) = small_site();
    // Two lines too long to read, a directory of Markdown whose link is a
    // 404, and a document that cannot be read (/proc/self/mem fails with
    // EIO, even for root).
    let long = dir.path().join("long.txt");
    let line = format!(
        "http://{}:{}/{}",
        host(0),
        server.port(),
        "x".repeat(300_000)
    );
    std::fs::write(&long, format!("{line}\n{line}y\n")).unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    let link = format!("http://{}:{}/gone/doc", host(3), server.port());
    std::fs::write(docs.join("a.md"), format!("See [it]({link}).\n")).unwrap();
    let unreadable = dir.path().join("mem.md");
    std::os::unix::fs::symlink("/proc/self/mem", &unreadable).unwrap();
    for path in [&long, &docs, &unreadable] {
        args.push(path.to_str().unwrap().to_string());
    }

    let (whole, whole_stderr, whole_code) = run(&args, None);
    let whole = Csv::parse(&whole);
    let whole_rows = whole.rows_without("elapsed_ms");
    assert_eq!(whole_rows.len(), 40 + 2 + 1 + 1, "{whole_stderr}");
    assert_eq!(
        whole
            .col("url")
            .iter()
            .filter(|u| **u == "(line too long)")
            .count(),
        2
    );
    assert_eq!(whole_code, 1);

    let n = 3;
    let mut paths = Vec::new();
    for k in 1..=n {
        let path = dir.path().join(format!("shard-{k}.csv"));
        let mut sharded = args.clone();
        sharded.extend(["--shard".into(), format!("{k}/{n}")]);
        sharded.extend(["-o".into(), path.to_str().unwrap().to_string()]);
        run(&sharded, None);
        paths.push(path.to_str().unwrap().to_string());
    }
    let mut merge = vec!["merge".to_string()];
    merge.extend(paths);
    let (merged, merged_stderr, merged_code) = run(&merge, None);
    let merged = Csv::parse(&merged);
    // Each row once (merge orders rows by source, and with several inputs
    // that is not the run's order).
    let sorted = |mut rows: Vec<Vec<String>>| {
        rows.sort();
        rows
    };
    assert_eq!(
        sorted(merged.rows_without("elapsed_ms")),
        sorted(whole_rows)
    );
    assert_eq!(counts(&merged_stderr), counts(&whole_stderr));
    assert_eq!(merged_code, whole_code);
}
