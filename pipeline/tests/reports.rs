//! The reports: one per organisation, the public report's disclosure control over generated
//! data, escaping of submitter text, snapshots over the samples, and (with Chromium, run by
//! `ci/test`) each report opened in a real headless browser.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{contract, files_below, local, orgs, run_batch, workspace};

use baseline::validate::Limits;

/// The samples run for each of their periods into `out`, so that trends have three points.
fn run_samples(out: &Path) -> PathBuf {
    let samples = workspace().join("data-samples");
    let contract = contract();
    for period in ["2026-08", "2026-09", "2026-10"] {
        run_batch(
            local(&samples.join("landing")),
            local(out),
            Some(period),
            orgs(&samples.join("reference/organisations.csv"), &contract),
            Limits::default(),
        );
    }
    out.join("2026-10/reports")
}

/// An organisation of the samples with a rejected measure on its accepted return: its page
/// has outcomes, advice and issues.
fn org_with_issues(out: &Path) -> String {
    let issues = csv_rows(&read(&out.join("2026-10/validation/issues.csv")));
    let status = csv_rows(&read(&out.join("2026-10/tables/org_status.csv")));
    issues
        .iter()
        .filter(|i| i["code"] == "invalid_value" && i["file"].contains("_return."))
        .map(|i| i["org_code"].clone())
        .find(|code| {
            status
                .iter()
                .any(|s| &s["org_code"] == code && s["status"] != "not_submitted")
        })
        .expect("the samples have an accepted return with an invalid value")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn every_organisation_gets_a_page_that_says_what_to_do() {
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    let status = csv_rows(&read(&out.path().join("2026-10/tables/org_status.csv")));
    let mut pages = files_below(&reports.join("orgs"));
    pages.sort();
    let mut expected: Vec<String> = status
        .iter()
        .map(|r| format!("{}.html", r["org_code"]))
        .collect();
    expected.sort();
    assert_eq!(
        pages, expected,
        "one page per organisation of the reference table"
    );
    // Each page is marked for its own organisation and national bodies.
    for row in &status {
        let page = read(&reports.join(format!("orgs/{}.html", row["org_code"])));
        let name = row["org_name"].replace('\'', "&#x27;");
        assert!(
            page.contains(&format!("for {name} and national bodies only")),
            "{}",
            row["org_code"]
        );
    }

    let silent = status
        .iter()
        .find(|r| r["status"] == "not_submitted")
        .unwrap();
    let page = read(&reports.join(format!("orgs/{}.html", silent["org_code"])));
    assert!(
        page.contains("No return from"),
        "a non-submitter is told so"
    );
    assert!(
        !page.contains("id=\"outcomes\""),
        "and shown no outcome table"
    );

    // An organisation with rejected measures sees each issue with what to change, and the
    // advice of its unmet standards.
    let issues = csv_rows(&read(&out.path().join("2026-10/validation/issues.csv")));
    let bad = issues
        .iter()
        .find(|i| i["code"] == "invalid_value")
        .unwrap();
    let page = read(&reports.join(format!("orgs/{}.html", bad["org_code"])));
    let message = bad["message"]
        .replace('\'', "&#x27;")
        .replace('"', "&quot;");
    assert!(
        page.contains(&message),
        "the issue's message is on the page"
    );
    assert!(page.contains("Write the value in the measure&#x27;s format"));
    let outcomes = csv_rows(&read(&out.path().join("2026-10/tables/outcomes.csv")));
    let unmet = outcomes
        .iter()
        .find(|o| {
            o["org_code"] == bad["org_code"]
                && ["not_met", "partially_met", "not_assessed"].contains(&o["outcome"].as_str())
        })
        .expect("the organisation has a standard to act on");
    assert!(page.contains(&format!("{}:", unmet["standard_id"])));
}

#[test]
fn peer_medians_are_hidden_for_fewer_than_five_peers() {
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    // The samples have one ambulance trust: it has no peer to compare with.
    let orgs_csv = csv_rows(&read(
        &workspace().join("data-samples/reference/organisations.csv"),
    ));
    let status = csv_rows(&read(&out.path().join("2026-10/tables/org_status.csv")));
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &orgs_csv {
        *by_type.entry(o["org_type"].as_str()).or_default() += 1;
    }
    let lonely = status
        .iter()
        .find(|s| by_type[s["org_type"].as_str()] < 5 && s["status"] != "not_submitted")
        .expect("a submitting organisation of a small type");
    let page = read(&reports.join(format!("orgs/{}.html", lonely["org_code"])));
    assert!(page.contains("[c] fewer than 5 peers"));
    let crowded = status
        .iter()
        .find(|s| s["org_type"] == "gp_practice" && s["status"] != "not_submitted")
        .unwrap();
    let page = read(&reports.join(format!("orgs/{}.html", crowded["org_code"])));
    assert!(!page.contains("[c] fewer than 5 peers"));
}

/// Generated organisations in small numbers, so that many groups are small.
fn generated_run(out: &Path, organisations: usize, seed: u64) -> PathBuf {
    let contract = contract();
    let plan =
        baseline::generate::Plan::small(seed, organisations, 0.1, "2026-10".parse().unwrap(), 1);
    let root = out.join("generated");
    baseline::generate::generate(&plan, &contract.dictionary, &root).unwrap();
    run_batch(
        local(&root.join("landing")),
        local(&out.join("out")),
        Some("2026-10"),
        orgs(&root.join("reference/organisations.csv"), &contract),
        Limits::default(),
    );
    root
}

#[test]
fn the_public_report_names_no_organisation_and_no_hidden_figure_can_be_recovered() {
    for (organisations, seed) in [(90, 7), (150, 11)] {
        let dir = tempfile::tempdir().unwrap();
        let root = generated_run(dir.path(), organisations, seed);
        let reports = dir.path().join("out/2026-10/reports");
        let mut public = vec![(
            "public.html".to_string(),
            read(&reports.join("public.html")),
        )];
        for f in files_below(&reports.join("public")) {
            public.push((f.clone(), read(&reports.join("public").join(&f))));
        }
        assert_eq!(public.len(), 5, "the page and its four downloads");

        // No organisation code or name anywhere, as a word.
        let reference = csv_rows(&read(&root.join("reference/organisations.csv")));
        let word = |text: &str, w: &str| {
            text.match_indices(w).any(|(i, _)| {
                let before = text[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                let after = text[i + w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                before && after
            })
        };
        for org in &reference {
            for (file, text) in &public {
                assert!(
                    !word(text, &org["org_code"]),
                    "{file} shows the code {}",
                    org["org_code"]
                );
                assert!(
                    !text.contains(&org["org_name"]),
                    "{file} names {}",
                    org["org_name"]
                );
            }
        }

        // Standards by group: groups of fewer than 5 are hidden, and no line of groups and
        // its national total has exactly one hidden figure.
        let gaps = csv_rows(&read(&dir.path().join("out/2026-10/tables/gaps.csv")));
        let size = |id: &str, kind: &str, code: &str| {
            gaps.iter()
                .find(|g| {
                    g["standard_id"] == id && g["group_kind"] == kind && g["group_code"] == code
                })
                .map_or(0, |g| g["orgs"].parse::<u64>().unwrap())
        };
        let rows = csv_rows(
            &public
                .iter()
                .find(|(f, _)| f == "standards_by_group.csv")
                .unwrap()
                .1,
        );
        let mut hidden_small = 0;
        let mut lines: BTreeMap<(String, String), Vec<bool>> = BTreeMap::new();
        for r in &rows {
            let n = size(&r["standard_id"], &r["group_kind"], &r["group_code"]);
            let hidden = r["orgs"] == "[c]";
            if n < 5 {
                assert!(hidden, "a group of {n} is shown: {r:?}");
                hidden_small += 1;
            } else if !hidden {
                assert_eq!(r["orgs"], n.to_string(), "{r:?}");
            }
            if hidden {
                for column in ["met", "partially_met", "not_met", "not_assessed", "pct_met"] {
                    assert_eq!(r[column], "[c]", "{r:?}");
                }
            }
            let kinds: &[&str] = if r["group_kind"] == "national" {
                &["region", "org_type"]
            } else {
                &[r["group_kind"].as_str()][..]
            };
            for kind in kinds {
                lines
                    .entry((r["standard_id"].clone(), kind.to_string()))
                    .or_default()
                    .push(hidden);
            }
        }
        assert!(
            hidden_small > 0,
            "the generated data has small groups to hide"
        );
        for (line, hidden) in &lines {
            assert_ne!(
                hidden.iter().filter(|h| **h).count(),
                1,
                "{line:?} has one hidden figure"
            );
        }

        // The cross table of returns: every row and column, totals included.
        let response = csv_rows(&public.iter().find(|(f, _)| f == "response.csv").unwrap().1);
        let mut by_region: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
        let mut by_type: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
        for r in &response {
            let hidden = r["orgs"] == "[c]";
            let orgs_in_cell = reference
                .iter()
                .filter(|o| {
                    (r["region_code"] == "national" || o["region_code"] == r["region_code"])
                        && (r["org_type"] == "all" || o["org_type"] == r["org_type"])
                })
                .count();
            if (1..5).contains(&orgs_in_cell) {
                assert!(hidden, "a cell of {orgs_in_cell} is shown: {r:?}");
            }
            by_region
                .entry(r["region_code"].as_str())
                .or_default()
                .push(hidden);
            by_type
                .entry(r["org_type"].as_str())
                .or_default()
                .push(hidden);
        }
        for (line, hidden) in by_region.iter().chain(&by_type) {
            assert_ne!(
                hidden.iter().filter(|h| **h).count(),
                1,
                "{line} has one hidden cell"
            );
        }

        let status = csv_rows(
            &public
                .iter()
                .find(|(f, _)| f == "status_by_region.csv")
                .unwrap()
                .1,
        );
        assert_ne!(
            status
                .iter()
                .filter(|r| r["organisations"] == "[c]")
                .count(),
            1
        );
    }
}

/// A run over one clean CSV return of the samples made hostile: script and markup in a
/// measure name and a value, a formula in another name. Returns the organisation's code.
fn hostile_run(dir: &Path) -> String {
    let landing = dir.join("landing");
    std::fs::create_dir_all(&landing).unwrap();
    // A CSV return of the samples with no planted fault, made hostile.
    let samples = workspace().join("data-samples");
    let faulty = read(&samples.join("faults.csv"));
    let name = files_below(&samples.join("landing/2026-10"))
        .into_iter()
        .find(|f| f.ends_with("_return.csv") && !f.contains('/') && !faulty.contains(f.as_str()))
        .expect("a clean CSV return");
    let org = name.split('_').next().unwrap().to_string();
    let mut text = read(&samples.join("landing/2026-10").join(&name));
    let submitted = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .to_string();
    text.push_str(&format!(
        "{org},2026-10,{submitted},<script>alert('measure')</script>,1,\n"
    ));
    text.push_str(&format!(
        "{org},2026-10,{submitted},=HYPERLINK(\"http://x\"),1,\n"
    ));
    let total = text
        .lines()
        .find(|l| l.contains(",endpoints_total,"))
        .unwrap()
        .to_string();
    let hostile = format!(
        "{},\"<img src=x onerror=alert('value')>\",",
        total.rsplitn(3, ',').nth(2).unwrap()
    );
    text = text.replacen(&total, &hostile, 1);
    std::fs::write(landing.join(&name), &text).unwrap();
    let contract = contract();
    run_batch(
        local(&landing),
        local(&dir.join("out")),
        Some("2026-10"),
        orgs(
            &workspace().join("data-samples/reference/organisations.csv"),
            &contract,
        ),
        Limits::default(),
    );
    org
}

#[test]
fn submitter_text_is_escaped_in_reports_and_neutralised_in_spreadsheets() {
    let dir = tempfile::tempdir().unwrap();
    let org = hostile_run(dir.path());
    let run = dir.path().join("out/2026-10");
    let page = read(&run.join(format!("reports/orgs/{org}.html")));
    assert!(
        page.contains("&lt;script&gt;alert("),
        "the hostile measure name is shown, escaped"
    );
    assert!(
        page.contains("&lt;img src=x onerror="),
        "the hostile value is shown, escaped"
    );
    for report in files_below(&run.join("reports"))
        .iter()
        .filter(|f| f.ends_with(".html"))
    {
        let html = read(&run.join("reports").join(report));
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{report} carries markup from a submitter"
        );
    }
    let issues = read(&run.join("validation/issues.csv"));
    assert!(
        issues.contains("\"'=HYPERLINK("),
        "the CSV cell is neutralised:\n{issues}"
    );

    // In the workbook, text is a text cell, never a formula: the submitter's text is kept as
    // written, with no neutralising prefix to strip.
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(run.join("reports/analyst.xlsx")).unwrap();
    let mut hostile_as_text = 0;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            if let calamine::Data::String(s) = cell.2 {
                assert!(!s.starts_with("'="), "{name}: a prefix was stored: {s}");
                hostile_as_text += usize::from(s.starts_with("=HYPERLINK("));
            }
        }
        let formulas = book.worksheet_formula(&name).unwrap();
        assert_eq!(
            formulas.used_cells().count(),
            0,
            "no cell of {name} is a formula"
        );
    }
    assert!(hostile_as_text > 0, "the hostile text is kept as text");
}

#[test]
fn the_sample_reports_match_their_snapshots() {
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    let status = csv_rows(&read(&out.path().join("2026-10/tables/org_status.csv")));
    let silent = &status
        .iter()
        .find(|r| r["status"] == "not_submitted")
        .unwrap()["org_code"];
    // Every link within a page lands on something.
    for page in ["national.html", "public.html"] {
        let html = read(&reports.join(page));
        for target in html
            .split("href=\"#")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
        {
            assert!(
                html.contains(&format!("id=\"{target}\"")),
                "{page}: #{target} leads nowhere"
            );
        }
    }
    // The stylesheet is the same in every page: snapshot it once, not in each report.
    let strip = |html: String| {
        let (start, end) = (
            html.find("<style>").unwrap(),
            html.find("</style>").unwrap(),
        );
        format!(
            "{}<style>…</style>{}",
            &html[..start],
            &html[end + "</style>".len()..]
        )
    };
    insta::assert_snapshot!("national", strip(read(&reports.join("national.html"))));
    insta::assert_snapshot!("public", strip(read(&reports.join("public.html"))));
    insta::assert_snapshot!(
        "org_with_issues",
        strip(read(
            &reports.join(format!("orgs/{}.html", org_with_issues(out.path())))
        ))
    );
    insta::assert_snapshot!(
        "org_without_return",
        strip(read(&reports.join(format!("orgs/{silent}.html"))))
    );
}

/// The public report states itself as a statistical release does: its pre-announced date and
/// the next one (from the dictionary's release day), who produces it and how to reach them;
/// its charts name standards in plain words, not codes.
#[test]
fn the_public_release_states_its_dates_contact_and_plain_names() {
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    let html = read(&reports.join("public.html"));
    let contract = contract();
    let publication = &contract.dictionary.publication;
    let day = publication.release_day_of_following_month;
    assert!(
        html.contains(&format!(
            "<dt>Release date</dt><dd>{day} November 2026</dd>"
        )),
        "the release date of October 2026's figures"
    );
    assert!(html.contains(&format!(
        "<dt>Next release</dt><dd>{day} December 2026 (November 2026)</dd>"
    )));
    assert!(html.contains(&format!("<dd>{}</dd>", publication.publisher)));
    assert!(html.contains(&format!("href=\"mailto:{}\"", publication.contact)));
    let chart = |id: &str| {
        let start = html
            .find(&format!("<figure class=\"chart-figure\" id=\"{id}\""))
            .unwrap();
        html[start..start + html[start..].find("</svg>").unwrap()].to_string()
    };
    let (standards, trends) = (chart("standards"), chart("trends"));
    let catalogue = baseline::run::catalogue_for(
        &workspace().join("schemas/standards"),
        &contract,
        "2026-10".parse().unwrap(),
    )
    .unwrap();
    for s in catalogue.standards.iter().map(|c| &c.standard) {
        let short = s.short.replace('&', "&amp;");
        assert!(standards.contains(&format!(">{short}</text>")), "{}", s.id);
        assert!(
            !standards.contains(&format!(">{}</text>", s.id)),
            "{}",
            s.id
        );
        if s.critical && s.id != "MEDDEV-ISOLATION" {
            assert!(trends.contains(&format!(">{short}</text>")), "{}", s.id);
        }
    }
}

/// Opens the national, public and one organisation's report in Debian's Chromium (installed
/// and located by `ci/test`): no console error, no request off the machine, no script run,
/// every chart drawn with a size, chart text readable at 390 px, no table wider than the page at
/// 1280 px and the first column of a table kept in view when it scrolls on a phone; the
/// screenshots are kept under the target folder.
#[test]
#[ignore = "needs Chromium and playwright-core; run by ci/test"]
fn the_reports_open_cleanly_in_a_headless_browser() {
    let node_path =
        std::env::var("BASELINE_NODE_PATH").expect("BASELINE_NODE_PATH (set by ci/test)");
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    let org_page = format!("orgs/{}.html", org_with_issues(out.path()));
    let hostile = tempfile::tempdir().unwrap();
    let hostile_org = hostile_run(hostile.path());
    let hostile_page = hostile
        .path()
        .join(format!("out/2026-10/reports/orgs/{hostile_org}.html"));
    // An organisation with an improvement plan, as the plans table names it.
    let plans =
        common::read_csv(&std::fs::read(out.path().join("2026-10/tables/plans.csv")).unwrap());
    let with_plan = &plans
        .iter()
        .find(|r| r[0] == "2026-10")
        .expect("the samples have plans")[1];
    let pages = [
        reports.join("national.html"),
        reports.join("public.html"),
        reports.join(&org_page),
        hostile_page,
        reports.join(format!("orgs/{with_plan}.html")),
    ];
    let output = std::process::Command::new("node")
        .arg(workspace().join("ci/browser-check.js"))
        .arg(&shots)
        .args(&pages)
        .env("NODE_PATH", node_path)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), pages.len());
    for r in &results {
        let file = r["file"].as_str().unwrap();
        for key in ["console_errors", "page_errors", "dialogs", "requests"] {
            assert_eq!(
                r[key].as_array().unwrap().len(),
                0,
                "{file}: {key}: {}",
                r[key]
            );
        }
        assert_eq!(r["scripts"], 0, "{file} has a script");
        if let Some(px) = r["min_chart_text_px_390"].as_f64() {
            assert!(px >= 9.0, "{file}: chart text {px} px high on a phone");
        }
        assert_eq!(
            r["wide_tables_1280"],
            serde_json::json!([]),
            "{file}: tables wider than the page at 1280 px"
        );
        let scrolled = r["scrolled_tables_390"].as_array().unwrap();
        if file.ends_with("national.html") {
            assert!(!scrolled.is_empty(), "{file}: no table scrolls at 390 px");
        }
        for t in scrolled {
            assert!(
                t["first_column_shift_px"].as_f64().unwrap() < 1.0,
                "{file}: the first column scrolls out of view: {t}"
            );
        }
        assert!(r["title"].as_str().unwrap().contains("October 2026"));
        let charts = r["charts"].as_array().unwrap();
        if !file.contains("/orgs/") {
            assert!(charts.len() >= 3, "{file}: {charts:?}");
        }
        for c in charts {
            assert!(
                c["width"].as_f64().unwrap() > 0.0 && c["height"].as_f64().unwrap() > 0.0,
                "{file}: {c}"
            );
        }
        let shot = r["screenshot"].as_str().unwrap();
        assert!(
            std::fs::metadata(shot).unwrap().len() > 10_000,
            "{shot} is a real screenshot"
        );
        let pdf = std::fs::read(r["pdf"].as_str().unwrap()).unwrap();
        assert!(
            pdf.starts_with(b"%PDF") && pdf.len() > 10_000,
            "{file} prints to PDF"
        );
    }
}

/// Guards: the public report hid a national figure of fewer than 5 organisations in one table
/// and showed it in the standards chart, its data table, the trends and `trends.csv`. Every
/// figure of the page and its downloads now goes through one decision.
#[test]
fn a_small_national_figure_is_hidden_everywhere_it_appears() {
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    let mut small: Vec<(String, String)> = Vec::new();
    for period in ["2026-08", "2026-09", "2026-10"] {
        let gaps = csv_rows(&read(&out.path().join(period).join("tables/gaps.csv")));
        for g in gaps.iter().filter(|g| g["group_kind"] == "national") {
            let orgs: u64 = g["orgs"].parse().unwrap();
            if orgs < 5 {
                small.push((period.to_string(), g["standard_id"].clone()));
            }
        }
    }
    assert!(
        !small.is_empty(),
        "the samples have a small national figure"
    );
    let trends = csv_rows(&read(&reports.join("public/trends.csv")));
    for row in &trends {
        let hidden = row["orgs"] == "[c]";
        let listed = small.contains(&(row["period"].clone(), row["standard_id"].clone()));
        assert_eq!(hidden, listed, "{row:?}");
        if hidden {
            assert!(row["met"] == "[c]" && row["pct_met"] == "[c]", "{row:?}");
        } else {
            assert!(row["orgs"].parse::<u64>().unwrap() >= 5, "{row:?}");
        }
    }
    let page = read(&reports.join("public.html"));
    let current: Vec<&str> = small
        .iter()
        .filter(|(p, _)| p == "2026-10")
        .map(|(_, id)| id.as_str())
        .collect();
    for id in &current {
        for table in ["standards-data", "trends-data", "by-region", "by-org_type"] {
            let start = page.find(&format!("<table id=\"{table}\"")).unwrap();
            let end = start + page[start..].find("</table>").unwrap();
            let row = page[start..end]
                .split("<tr>")
                .find(|r| r.contains(&format!("<th scope=\"row\">{id}")))
                .unwrap_or_else(|| panic!("{table} has a row for {id}"));
            let last_cell = row.rsplit("<td class=\"num\">").next().unwrap();
            assert!(
                !row.contains('%') || table.starts_with("by-"),
                "{table}: {row}"
            );
            assert!(
                last_cell.starts_with("[c]"),
                "{table}: the England figure of {id} is hidden: {row}"
            );
        }
        let by_group = csv_rows(&read(&reports.join("public/standards_by_group.csv")));
        let england = by_group
            .iter()
            .find(|r| r["standard_id"] == *id && r["group_kind"] == "national")
            .unwrap();
        assert_eq!(england["orgs"], "[c]");
    }
}

/// The public report's plan tables: a group of fewer than 5 organisations with an unmet
/// critical standard or a plan shows `[c]`, and no table hides exactly one group (which
/// England's total would give away).
#[test]
fn public_plan_figures_are_under_disclosure_control() {
    let out = tempfile::tempdir().unwrap();
    let reports = run_samples(out.path());
    let tables = out.path().join("2026-10/tables");
    let csv = |name: &str| common::read_csv(&std::fs::read(tables.join(name)).unwrap());
    let contract = contract();
    let catalogue = baseline::run::catalogue_for(
        &workspace().join("schemas/standards"),
        &contract,
        "2026-10".parse().unwrap(),
    )
    .unwrap();
    let critical: std::collections::BTreeSet<String> = catalogue
        .standards
        .iter()
        .filter(|s| s.standard.critical)
        .map(|s| s.standard.id.clone())
        .collect();
    // Organisations counted: an unmet critical standard, or a plan this period.
    let mut counted: std::collections::BTreeSet<String> = csv("outcomes.csv")[1..]
        .iter()
        .filter(|r| critical.contains(&r[2]) && contract.plan.is_gap(&r[3]))
        .map(|r| r[1].clone())
        .collect();
    counted.extend(
        csv("plans.csv")[1..]
            .iter()
            .filter(|r| r[0] == "2026-10")
            .map(|r| r[1].clone()),
    );
    let reference = common::read_csv(
        &std::fs::read(workspace().join("data-samples/reference/organisations.csv")).unwrap(),
    );
    let mut per_region: BTreeMap<String, u64> = BTreeMap::new();
    for org in &reference[1..] {
        if counted.contains(&org[0]) {
            *per_region.entry(org[4].clone()).or_default() += 1;
        }
    }
    let html = read(&reports.join("public.html"));
    let table = &html[html.find(r#"<table id="plans-by-region">"#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let rows: Vec<Vec<String>> = table
        .split("<tr>")
        .skip(2)
        .map(|r| {
            r.split(['<', '>'])
                .filter(|t| {
                    !t.trim().is_empty()
                        && !t.starts_with("th")
                        && !t.starts_with("td")
                        && !t.starts_with('/')
                })
                .map(str::to_string)
                .collect()
        })
        .collect();
    let mut hidden = 0;
    for row in &rows[..rows.len() - 1] {
        let orgs = per_region.get(&row[0]).copied().unwrap_or(0);
        let shown = row[1] != "[c]";
        hidden += usize::from(!shown);
        if orgs > 0 && orgs < 5 {
            assert!(
                !shown,
                "{} has {orgs} organisations but shows {row:?}",
                row[0]
            );
        }
    }
    assert!(hidden > 0, "the samples have a small region: {rows:?}");
    assert_ne!(
        hidden, 1,
        "one hidden region could be worked out from England"
    );
}

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The JSON documents of a folder, by file name.
fn json_files(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                json_file(&p),
            )
        })
        .collect()
}

/// A property's value, by name, from an OSCAL object's `props`.
fn oscal_prop(object: &serde_json::Value, name: &str) -> Option<String> {
    object["props"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap().to_string())
}

#[test]
fn oscal_exports_state_the_outcomes_and_keep_each_action_id() {
    let out = tempfile::tempdir().unwrap();
    run_samples(out.path());
    let oscal = |period: &str| out.path().join(period).join("exports/oscal");
    let catalog = json_file(&oscal("2026-10").join("catalog.json"));
    let statements: Vec<String> = catalog["catalog"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["parts"][0]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statements.len(), 12, "one control per standard");

    // One document per accepted return; each finding is the outcome of outcomes.csv.
    let outcomes = csv_rows(&read(&out.path().join("2026-10/tables/outcomes.csv")));
    let results = json_files(&oscal("2026-10").join("assessment-results"));
    let accepted = csv_rows(&read(&out.path().join("2026-10/tables/org_status.csv")))
        .iter()
        .filter(|s| s["status"] != "not_submitted")
        .count();
    assert_eq!(results.len(), accepted);
    let mut findings = 0;
    for (name, document) in &results {
        let org = name.trim_end_matches(".json");
        let result = &document["assessment-results"]["results"][0];
        for finding in result["findings"].as_array().unwrap() {
            let target = finding["target"]["target-id"].as_str().unwrap();
            assert!(
                statements.iter().any(|s| s == target),
                "{target} is in the catalog"
            );
            let standard = target.trim_end_matches("_smt");
            let row = outcomes
                .iter()
                .find(|o| o["org_code"] == org && o["standard_id"] == standard)
                .unwrap_or_else(|| panic!("{org} {standard} is in outcomes.csv"));
            let satisfied = matches!(row["outcome"].as_str(), "met" | "not_applicable");
            let state = finding["target"]["status"]["state"].as_str().unwrap();
            assert_eq!(state == "satisfied", satisfied, "{org} {standard}: {state}");
            let observation = result["observations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["uuid"] == finding["related-observations"][0]["observation-uuid"])
                .expect("the finding's observation is in the document");
            assert_eq!(oscal_prop(observation, "outcome").unwrap(), row["outcome"]);
            assert_eq!(
                oscal_prop(observation, "value").unwrap_or_default(),
                row["value"]
            );
            findings += 1;
        }
    }
    let of_documents = outcomes
        .iter()
        .filter(|o| results.contains_key(&format!("{}.json", o["org_code"])))
        .count();
    assert_eq!(findings, of_documents, "one finding per outcome row");

    // An action keeps its UUID from one period to the next; the documents do not.
    let item_ids = |period: &str| -> BTreeMap<(String, String), String> {
        let mut ids = BTreeMap::new();
        for (name, document) in json_files(&oscal(period).join("poam")) {
            let org = name.trim_end_matches(".json").to_string();
            let items = &document["plan-of-action-and-milestones"]["poam-items"];
            for item in items.as_array().unwrap() {
                let action = oscal_prop(item, "action-id").unwrap();
                ids.insert(
                    (org.clone(), action),
                    item["uuid"].as_str().unwrap().to_string(),
                );
            }
        }
        ids
    };
    let (september, october) = (item_ids("2026-09"), item_ids("2026-10"));
    let kept: Vec<_> = october
        .iter()
        .filter(|(key, _)| september.contains_key(*key))
        .collect();
    assert!(kept.len() > 10, "the samples carry actions across periods");
    for (key, id) in kept {
        assert_eq!(&september[key], id, "{key:?} keeps its UUID");
    }
    let unique: std::collections::BTreeSet<_> = october.values().collect();
    assert_eq!(unique.len(), october.len(), "no two actions share a UUID");
    let poam_uuid = |period: &str| {
        let (_, first) = json_files(&oscal(period).join("poam")).pop_first().unwrap();
        first["plan-of-action-and-milestones"]["uuid"].clone()
    };
    assert_ne!(poam_uuid("2026-09"), poam_uuid("2026-10"));
}

/// A trestle workspace holding `documents` as (model folder, name, path). Its folder's name
/// has no leading dot: trestle misreads such paths.
fn trestle_workspace(trestle: &Path, documents: &[(&str, String, PathBuf)]) -> tempfile::TempDir {
    let root = tempfile::Builder::new()
        .prefix("trestle-")
        .tempdir()
        .unwrap();
    let init = std::process::Command::new(trestle)
        .arg("init")
        .current_dir(root.path())
        .output()
        .unwrap();
    assert!(init.status.success(), "trestle init: {init:?}");
    for (model, name, path) in documents {
        let dir = root.path().join(model).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        // catalogs/NAME/catalog.json, assessment-results/NAME/assessment-results.json, ...
        let file = if *model == "catalogs" {
            "catalog"
        } else {
            model
        };
        std::fs::copy(path, dir.join(format!("{file}.json"))).unwrap();
    }
    root
}

fn trestle_validate(trestle: &Path, root: &Path) -> std::process::Output {
    std::process::Command::new(trestle)
        .args(["validate", "-a"])
        .current_dir(root)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs compliance-trestle from PyPI; run by ci/test"]
fn oscal_exports_pass_compliance_trestle() {
    let trestle = PathBuf::from(
        std::env::var("BASELINE_TRESTLE").expect("BASELINE_TRESTLE (set by ci/test)"),
    );
    let out = tempfile::tempdir().unwrap();
    run_samples(out.path());
    let oscal = out.path().join("2026-10/exports/oscal");
    let mut documents = vec![("catalogs", "mcs".to_string(), oscal.join("catalog.json"))];
    for (folder, model) in [
        ("assessment-results", "assessment-results"),
        ("poam", "plan-of-action-and-milestones"),
    ] {
        for name in json_files(&oscal.join(folder)).into_keys() {
            let path = oscal.join(folder).join(&name);
            documents.push((model, name.trim_end_matches(".json").to_string(), path));
        }
    }
    assert!(documents.len() > 60, "{} documents", documents.len());
    let root = trestle_workspace(&trestle, &documents);
    let valid = trestle_validate(&trestle, root.path());
    let log = String::from_utf8_lossy(&valid.stdout) + String::from_utf8_lossy(&valid.stderr);
    assert!(valid.status.success(), "{log}");
    assert_eq!(
        log.matches("VALID: Model").count(),
        documents.len(),
        "{log}"
    );

    // The validator does reject a document that breaks the model: a finding whose state
    // OSCAL does not allow.
    let broken = root.path().join("broken.json");
    let text = read(&documents[1].2).replacen("\"state\":\"", "\"state\":\"maybe-", 1);
    assert!(text.contains("maybe-"));
    std::fs::write(&broken, text).unwrap();
    let bad = trestle_workspace(
        &trestle,
        &[("assessment-results", "broken".to_string(), broken)],
    );
    assert!(!trestle_validate(&trestle, bad.path()).status.success());
}
