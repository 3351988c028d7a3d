//! The README's scale-out recipes, run as written: `xargs -P` over
//! `--shard`, and a Kubernetes Indexed Job's command for every index, each
//! followed by `headcheck merge`. Their merged report must equal one
//! unsharded run's.

mod support;

use std::path::Path;
use std::process::Command;

use support::{Csv, Server, gone_or_ok, headcheck};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The README's indented command block that starts with a line starting
/// with `prefix`: its lines.
fn command_block(readme: &str, prefix: &str) -> Vec<String> {
    let lines: Vec<&str> = readme.lines().collect();
    let start = lines
        .iter()
        .position(|line| {
            line.strip_prefix("    ")
                .is_some_and(|l| l.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no README command starting with {prefix}"));
    lines[start..]
        .iter()
        .map_while(|line| line.strip_prefix("    "))
        .map(str::to_string)
        .collect()
}

/// A shell in `dir` whose PATH finds the headcheck under test first.
fn shell(dir: &Path, script: &str) -> Command {
    let binary = assert_cmd::cargo::cargo_bin("headcheck");
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("sh");
    command
        .current_dir(dir)
        .env("PATH", path)
        .args(["-c", script]);
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "GITHUB_ACTIONS",
    ] {
        command.env_remove(var);
    }
    command
}

/// `urls.txt` in `dir`: pages of the server, some broken, with lines that
/// have no host (spread over the shards by their text).
fn list(dir: &Path, server: &Server) {
    let mut text = String::new();
    for i in 0..60 {
        let page = if i % 9 == 0 { "gone" } else { "page" };
        text.push_str(&format!("{}\n", server.url(&format!("/{page}/{i}"))));
        if i % 10 == 0 {
            text.push_str(&format!("not a url {i}\nmailto:user{i}@a.test\n"));
        }
    }
    std::fs::write(dir.join("urls.txt"), text).unwrap();
}

/// The unsharded report of `list` (as the recipe names it, since the
/// `source` column says so), without timings.
fn unsharded(dir: &Path, list: &str) -> Vec<Vec<String>> {
    let output = headcheck().current_dir(dir).arg(list).output().unwrap();
    Csv::parse(&output.stdout).rows_without("elapsed_ms")
}

#[test]
fn the_xargs_recipe_works_as_written() {
    let readme = readme();
    let recipe = command_block(&readme, "printf '%s\\n' 1 2 3 4 | xargs -P 4 ");
    assert_eq!(recipe.len(), 2, "run, then merge: {recipe:?}");
    assert!(recipe[1].starts_with("headcheck merge "), "{recipe:?}");
    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    list(dir.path(), &server);

    let script = format!("{} && {}", recipe[0], recipe[1]);
    let output = shell(dir.path(), &script).output().unwrap();
    assert!(
        output.status.code() == Some(1),
        "the merged run fails on its 404s: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for k in 1..=4 {
        assert!(dir.path().join(format!("shard-{k}.csv")).exists());
    }
    let merged = Csv::parse(&std::fs::read(dir.path().join("report.csv")).unwrap());
    assert!(merged.rows_without("elapsed_ms") == unsharded(dir.path(), "urls.txt"));
}

#[test]
fn the_kubernetes_recipe_works_as_written() {
    let readme = readme();
    // The container's shell command: the YAML line and its continuation.
    let start = readme
        .find("- headcheck /data/urls.txt --shard auto/")
        .expect("the Indexed Job recipe");
    let command: String = readme[start + 2..]
        .lines()
        .take(2)
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let completions: u64 = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions: "))
        .unwrap()
        .parse()
        .unwrap();
    let merge = readme
        .lines()
        .find_map(|l| {
            let at = l.find("`headcheck merge /data/")?;
            Some(l[at + 1..].split('`').next()?.to_string())
        })
        .expect("the merge command after the Indexed Job");

    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    list(dir.path(), &server);
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let data = dir.path().to_str().unwrap();
    for index in 0..completions {
        let output = shell(dir.path(), &command.replace("/data", data))
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "pod {index}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = shell(dir.path(), &merge.replace("/data", data))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the 404s fail the merge");
    let merged = Csv::parse(&std::fs::read(dir.path().join("report.csv")).unwrap());
    let list = format!("{data}/urls.txt");
    assert!(merged.rows_without("elapsed_ms") == unsharded(dir.path(), &list));
}
