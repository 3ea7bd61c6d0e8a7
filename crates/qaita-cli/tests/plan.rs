//! End-to-end tests of the planning commands (`rank`, `roadmap`, `scenario`, `schedule`,
//! `report`) on the demo registry, through the built binary.

use std::path::PathBuf;
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        env.ok(&["demo"]);
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn qaita(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_qaita"))
            .args(args)
            .env("QAITA_DB", self.path("qaita.db"))
            .env("QAITA_USER", "tester")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.qaita(args);
        assert!(
            out.status.success(),
            "qaita {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn svgs(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".svg"))
            .collect();
        names.sort();
        names
    }
}

#[test]
fn rank_prints_explained_scores_and_writes_charts() {
    let env = Env::new();
    let table = env.ok(&[
        "rank", "--paths", "200", "--top", "10", "--charts", "charts",
    ]);
    assert!(
        table.contains("KZ-TMF-") && table.contains("stability"),
        "{table}"
    );
    assert!(env.svgs("charts").contains(&"rank-scores.svg".to_string()));
    let json = env.json(&["rank", "--paths", "200", "--json"]);
    let rows = json["ranking"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 78);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["rank"], i + 1);
        let parts: f64 = row["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["contribution"].as_f64().unwrap())
            .sum();
        assert!((parts - row["score"].as_f64().unwrap()).abs() < 1e-9);
    }
    // The Shymkent lead slag lies inside the city: full settlement-proximity score.
    let shymkent = rows
        .iter()
        .find(|r| r["external_id"] == "KZ-TMF-0034")
        .unwrap();
    let proximity = shymkent["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["indicator"] == "settlement_proximity")
        .unwrap();
    assert_eq!(proximity["score"], 1.0);
}

#[test]
fn roadmap_lists_residential_tmfs_and_rare_metal_candidates() {
    let env = Env::new();
    let out = env.ok(&["roadmap", "--paths", "200", "--charts", "charts"]);
    assert!(out.contains("residential-area removal programme"), "{out}");
    assert!(out.contains("rare and rare-earth metals roadmap"), "{out}");
    let svgs = env.svgs("charts");
    assert!(svgs.contains(&"removal-net.svg".to_string()), "{svgs:?}");
    assert!(
        svgs.contains(&"roadmap-timeline.svg".to_string()),
        "{svgs:?}"
    );
    let json = env.json(&["roadmap", "--paths", "200", "--json"]);
    let residential = json["residential"]["rows"].as_array().unwrap();
    assert!(
        residential
            .iter()
            .any(|r| r["external_id"] == "KZ-TMF-0034")
    );
    let candidates = json["rare_metals"]["candidates"].as_array().unwrap();
    // The Pavlodar red mud field holds Sc, Ga, TREO and V.
    let red_mud = candidates
        .iter()
        .find(|c| c["external_id"] == "KZ-TMF-0022")
        .unwrap();
    assert!(red_mud["route"].as_str().unwrap().starts_with("red mud"));
}

#[test]
fn schedule_milp_is_never_worse_than_greedy_and_respects_the_budget() {
    let env = Env::new();
    // Budget and capacities tight enough to bind: Karaganda gets less than the others.
    let json = env.json(&[
        "schedule",
        "--paths",
        "200",
        "--budget-musd",
        "150",
        "--capacity-mt",
        "4",
        "--region-capacity",
        "karaganda=2",
        "--residential-first",
        "--json",
    ]);
    let c = &json["comparison"];
    assert!(c["violations"].as_array().unwrap().is_empty());
    let milp = c["milp"]["objective_value"].as_f64().unwrap();
    let greedy = c["greedy"]["objective_value"].as_f64().unwrap();
    assert!(milp >= greedy - 1e-6 * greedy.abs(), "{milp} < {greedy}");
    let mut binding = false;
    for schedule in [&c["milp"], &c["greedy"]] {
        for used in schedule["capex_by_year"].as_object().unwrap().values() {
            assert!(used.as_f64().unwrap() <= 150e6 * (1.0 + 1e-6));
        }
        for (region, years) in schedule["regional_tonnes"].as_object().unwrap() {
            let limit = if region == "karaganda" { 2e6 } else { 4e6 };
            for (year, t) in years.as_object().unwrap() {
                let t = t.as_f64().unwrap();
                assert!(t <= limit * (1.0 + 1e-6), "{region} {year}: {t} t");
                binding |= t > 0.9 * limit;
            }
        }
    }
    assert!(
        binding,
        "no capacity came close to its limit: the test proves nothing"
    );
    // Each TMF starts at most once, within the horizon.
    let starts = c["milp"]["starts"].as_array().unwrap();
    let mut ids: Vec<&str> = starts
        .iter()
        .map(|x| x["external_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), starts.len());
    assert!(
        starts
            .iter()
            .all(|x| (2026..=2050).contains(&x["year"].as_i64().unwrap()))
    );
    let bad = env.qaita(&[
        "schedule",
        "--paths",
        "0",
        "--precedence",
        "KZ-NOPE:KZ-TMF-0001",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--precedence: no TMF 'KZ-NOPE'"),
        "{stderr}"
    );
    let out = env.ok(&["schedule", "--paths", "200", "--charts", "charts"]);
    assert!(
        out.contains("MILP (HiGHS)") && out.contains("greedy by rank"),
        "{out}"
    );
    assert!(
        env.svgs("charts")
            .contains(&"schedule-capex.svg".to_string())
    );
}

#[test]
fn scenarios_run_from_2025_to_2050_with_sources() {
    let env = Env::new();
    let out = env.ok(&["scenario", "--paths", "0", "--charts", "charts"]);
    assert!(out.contains("bau") && out.contains("met-0.1") && out.contains("targets"));
    assert!(out.contains("Atameken"), "{out}");
    assert!(
        env.svgs("charts")
            .contains(&"scenario-stock.svg".to_string())
    );
    let json = env.json(&["scenario", "--paths", "0", "--json"]);
    let results = json["scenarios"]["results"].as_array().unwrap();
    for r in results {
        let years = r["years"].as_array().unwrap();
        assert_eq!(years.first().unwrap()["year"], 2025);
        assert_eq!(years.last().unwrap()["year"], 2050);
    }
}

#[test]
fn reports_are_written_as_html_and_pdf() {
    let env = Env::new();
    env.ok(&["report", "national", "--paths", "200", "--out", "out"]);
    let pdf = std::fs::read(env.path("out/national.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let html = std::fs::read_to_string(env.path("out/national.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("National ranking"));
    // pdftoppm (poppler-utils, installed by scripts/setup.sh) renders every page.
    let out = Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(env.path("out/national.pdf"))
        .arg(env.path("out/page"))
        .output()
        .expect("pdftoppm (poppler-utils) is needed: bash scripts/setup.sh installs it");
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pages = std::fs::read_dir(env.path("out"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("page")
            })
            .count();
        assert!(pages >= 3, "{pages} pages rendered");
    }
    env.ok(&[
        "report",
        "tmf",
        "KZ-TMF-0012",
        "--paths",
        "200",
        "--out",
        "out",
    ]);
    assert!(env.path("out/KZ-TMF-0012.pdf").exists());
    let sheet = std::fs::read_to_string(env.path("out/KZ-TMF-0012.html")).unwrap();
    assert!(sheet.contains("Donskoy") && sheet.contains("How the score is made"));
    let missing = env.qaita(&["report", "tmf", "KZ-NOPE", "--out", "out"]);
    assert_eq!(missing.status.code(), Some(4));
}

#[test]
fn a_bad_ranking_file_names_file_field_and_reason() {
    let env = Env::new();
    let file = env.path("weights.json");
    std::fs::write(&file, r#"{"criteria": 3}"#).unwrap();
    let out = env.qaita(&["rank", "--ranking", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("weights.json: field 'criteria'"),
        "{stderr}"
    );
}
