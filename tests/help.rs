//! The help a newcomer reads first: `-h` fits a screen, `--help` groups
//! every option under a heading and shows examples.

mod support;

use support::headcheck;

fn help(flag: &str) -> String {
    let output = headcheck().arg(flag).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8(output.stdout).unwrap()
}

/// The options listed under each heading, in order.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            sections.push((line.trim_end_matches(':').to_string(), Vec::new()));
        } else if let Some((_, options)) = sections.last_mut() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('-') && line.len() - trimmed.len() <= 6 {
                options.push(trimmed.split_whitespace().next().unwrap().to_string());
            }
        }
    }
    sections
}

const HEADINGS: [&str; 6] = [
    "Inputs",
    "Checking",
    "Politeness",
    "Request",
    "Reports",
    "Output",
];

#[test]
fn short_help_fits_a_screen_with_headings_and_examples() {
    let text = help("-h");
    assert!(
        text.lines().count() <= 50,
        "{} lines:\n{text}",
        text.lines().count()
    );
    let names: Vec<String> = sections(&text).into_iter().map(|(name, _)| name).collect();
    for heading in HEADINGS {
        assert!(names.iter().any(|n| n == heading), "{heading} in {names:?}");
    }
    assert!(
        text.contains("Examples:\n  headcheck urls.txt -o report.csv"),
        "{text}"
    );
    assert!(
        text.contains("a workbook"),
        "the description names every format"
    );
}

#[test]
fn long_help_groups_every_option_and_shows_examples() {
    let text = help("--help");
    let sections = sections(&text);
    for heading in HEADINGS {
        let options = &sections.iter().find(|(name, _)| name == heading).unwrap().1;
        assert!(options.len() >= 3, "{heading}: {options:?}");
    }
    // Only -h and -V are left in a flat list.
    let ungrouped = &sections
        .iter()
        .find(|(name, _)| name == "Options")
        .unwrap()
        .1;
    assert_eq!(ungrouped, &["-h,", "-V,"], "{text}");
    for option in [
        "--timeout",
        "--per-host",
        "--stall-after",
        "--resolve",
        "--bom",
    ] {
        assert!(
            sections
                .iter()
                .any(|(_, options)| options.iter().any(|o| o.starts_with(option))),
            "{option} is listed"
        );
    }
    assert!(text.contains("Examples:"), "{text}");
    assert!(text.contains("Exit status:"), "{text}");
}

#[test]
fn the_readme_quotes_a_token_so_that_the_shell_expands_it() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        !readme.contains("'Authorization: Bearer $"),
        "single quotes keep $TOKEN literal"
    );
}
