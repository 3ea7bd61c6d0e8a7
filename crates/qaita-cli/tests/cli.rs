//! End-to-end tests of the `qaita` binary, as a user runs it (SQLite; the store suite covers
//! PostgreSQL).

use std::path::PathBuf;
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
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
}

fn national(env: &Env) -> serde_json::Value {
    env.json(&["stats", "--json"])["national"].clone()
}

#[test]
fn mixed_good_and_bad_rows_write_nothing_and_list_every_problem() {
    let env = Env::new();
    env.ok(&["demo"]);
    let before = national(&env);
    let file = env.path("mixed.csv");
    std::fs::write(
        &file,
        "external_id,name,kind,region,lon,lat,tonnage,grade_Cu,source,source_date\n\
         NEW-1,Good,tailings,Karaganda,73.1,49.8,1.5 Mt,0.2 %,survey,2025\n\
         NEW-2,Bad unit,tailings,Karaganda,73.1,49.8,1.5 furlongs,0.2 %,survey,2025\n\
         KZ-TMF-0001,Changed but good,tailings,Karaganda,75.035,46.965,700 Mt,0.1 %,survey,2025\n\
         NEW-3,Bad region,slag,Narnia,73.1,49.8,2 Mt,0.2 %,survey,2025\n\
         NEW-4,Swapped,slag,Karaganda,49.8,73.1,2 Mt,0.2 %,survey,2025-13-01\n",
    )
    .unwrap();
    let out = env.qaita(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "row 3: field 'tonnage': '1.5 furlongs': unknown unit 'furlongs'",
        "row 5: field 'region': 'Narnia' is not a known region",
        "row 6: field 'source_date': '2025-13-01' is not a date",
        "row 6: field 'lat': 73.1 is outside Kazakhstan",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert_eq!(
        national(&env),
        before,
        "a rejected import must not change the registry"
    );
    // --json reports the same problems for machines.
    let out = env.qaita(&["import", file.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rejected_rows"], serde_json::json!([3, 5, 6]));
    assert_eq!(report["committed"], false);
    // --rejects imports the valid rows and writes the others with reasons.
    let rejects = env.path("rejects.csv");
    let out = env.qaita(&[
        "import",
        file.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let after = national(&env);
    assert_eq!(
        after["objects"].as_u64(),
        before["objects"].as_u64().map(|n| n + 1)
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected.lines().count(), 4, "{rejected}");
    assert!(rejected.lines().next().unwrap().ends_with(",reject_reason"));
    // The update is audited with its actor and the figure from the new source.
    let history = env.json(&["history", "KZ-TMF-0001", "--json"]);
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(last["actor"], "tester");
    assert!(last["changes"].as_array().unwrap().iter().any(|c| {
        c["field"]
            .as_str()
            .unwrap()
            .starts_with("figure tonnage [survey, 2025]")
    }));
}

fn encode_1251(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(text).0.into_owned()
}

#[test]
fn windows_1251_round_trips_through_import_and_export() {
    let env = Env::new();
    let source = "external_id;name;name_ru;kind;region;owner;lon;lat;tonnage;grade_Pb;source;source_date\n\
                  RU-1;Achisai tailings;Хвосты Ачисайского полиметаллического комбината;хвосты;Туркестанская область;;68,50;43,52;12,5 млн т;0,8 %;Акимат, реестр отходов;15.03.2019\n\
                  RU-2;Tekeli tailings;Текелийское хвостохранилище «Старое»;tailings;Zhetisu;ТОО «Текели»;78,83;44,83;3 200 тыс. т;1,1 %;Акимат, реестр отходов;2019\n";
    let input = env.path("cp1251.csv");
    std::fs::write(&input, encode_1251(source)).unwrap();
    let report = env.json(&["import", input.to_str().unwrap(), "--json"]);
    assert_eq!(report["encoding"], "windows-1251");
    assert_eq!(report["counts"]["create"], 2);
    let shown = env.json(&["show", "RU-1", "--json"]);
    assert_eq!(
        shown["name_ru"],
        "Хвосты Ачисайского полиметаллического комбината"
    );
    assert_eq!(shown["region"], "turkistan");
    assert_eq!(shown["derived"]["tonnage_t"], 12_500_000.0);
    let exported = env.path("export-1251.csv");
    env.ok(&[
        "export",
        exported.to_str().unwrap(),
        "--encoding",
        "windows-1251",
    ]);
    let bytes = std::fs::read(&exported).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "export must really be Windows-1251"
    );
    let text = encoding_rs::WINDOWS_1251.decode(&bytes).0.into_owned();
    assert!(text.contains("Текелийское хвостохранилище «Старое»"));
    assert!(text.contains("ТОО «Текели»"));
    // Import the export into a fresh registry and export again: byte for byte the same.
    let env2 = Env::new();
    let report = env2.json(&["import", exported.to_str().unwrap(), "--json"]);
    assert_eq!(report["counts"]["create"], 2);
    let again = env2.path("again.csv");
    env2.ok(&[
        "export",
        again.to_str().unwrap(),
        "--encoding",
        "windows-1251",
    ]);
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
    // Re-importing the export into the first registry changes nothing.
    let report = env.json(&["import", exported.to_str().unwrap(), "--json"]);
    assert_eq!(report["counts"]["unchanged"], 2);
}

#[test]
fn kazakh_letters_cannot_be_exported_to_windows_1251() {
    let env = Env::new();
    env.ok(&["demo"]);
    let out = env.qaita(&["export", "x.csv", "--encoding", "windows-1251"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Windows-1251 cannot represent"));
}

#[test]
fn geopackage_opens_in_gdal_with_every_object() {
    let env = Env::new();
    env.ok(&["demo"]);
    let gpkg = env.path("tmf.gpkg");
    env.ok(&["export", gpkg.to_str().unwrap()]);
    let objects = national(&env)["objects"].as_u64().unwrap();
    let ogrinfo = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&gpkg)
        .output()
        .expect("ogrinfo (Debian gdal-bin) is needed: scripts/setup.sh installs it");
    let stdout = String::from_utf8_lossy(&ogrinfo.stdout);
    let stderr = String::from_utf8_lossy(&ogrinfo.stderr);
    assert!(ogrinfo.status.success(), "{stderr}");
    assert!(
        !stderr.contains("Warning") && !stderr.contains("ERROR"),
        "ogrinfo complained: {stderr}"
    );
    assert!(
        stdout.contains(&format!("Feature Count: {objects}")),
        "{stdout}"
    );
    assert!(stdout.contains("Layer name: tmf_footprint"));
    assert!(stdout.contains("Geometry: Multi Polygon"));
}

#[test]
fn proximity_flags_the_shymkent_lead_slag() {
    let env = Env::new();
    env.ok(&["demo"]);
    let result = env.json(&["proximity", "--json"]);
    let tmfs = result["tmfs"].as_array().unwrap();
    assert_eq!(
        tmfs.len() as u64,
        national(&env)["objects"].as_u64().unwrap()
    );
    let shymkent = tmfs
        .iter()
        .find(|t| t["name"] == "Shymkent lead plant slag")
        .unwrap();
    assert_eq!(shymkent["near_settlement"], true);
    assert_eq!(shymkent["nearest"]["name"], "Shymkent");
    // Worst first: flagged objects come before all others.
    let flags: Vec<bool> = tmfs
        .iter()
        .map(|t| t["near_settlement"].as_bool().unwrap())
        .collect();
    assert!(flags.windows(2).all(|w| w[0] >= w[1]));
    let only = env.json(&[
        "proximity",
        "--json",
        "--only-near",
        "--radii",
        "2,20",
        "--near-km",
        "0.5",
    ]);
    assert!(
        only["tmfs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["near_settlement"] == true
                && t["population_within"].as_array().unwrap().len() == 2)
    );
}

#[test]
fn geojson_and_csv_exports_import_back_unchanged() {
    let env = Env::new();
    env.ok(&["demo"]);
    for name in ["all.geojson", "all.csv"] {
        let file = env.path(name);
        env.ok(&["export", file.to_str().unwrap()]);
        let report = env.json(&["import", file.to_str().unwrap(), "--json"]);
        assert_eq!(
            report["counts"]["unchanged"],
            national(&env)["objects"],
            "{name}: {report}"
        );
        let fresh = Env::new();
        fresh.json(&["import", file.to_str().unwrap(), "--json"]);
        let (a, b) = (national(&env), national(&fresh));
        assert_eq!(a["objects"], b["objects"]);
        assert_eq!(a["tonnage_t"], b["tonnage_t"]);
        assert_eq!(a["contained"], b["contained"]);
    }
}

#[test]
fn xlsx_import_reports_sheet_rows() {
    let env = Env::new();
    let file = env.path("inventory.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 8]; 3] = [
        [
            "external_id",
            "name",
            "kind",
            "region",
            "lon",
            "lat",
            "tonnage [kt]",
            "source",
        ],
        [
            "X-1",
            "Ekibastuz ash",
            "ash",
            "Pavlodar",
            "75.3",
            "51.7",
            "900",
            "operator",
        ],
        [
            "X-2", "Broken", "ash", "Pavlodar", "75.3", "51.7", "lots", "operator",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if r > 0 => sheet.write_number(r as u32, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32, c as u16, *cell).unwrap(),
            };
        }
    }
    book.save(&file).unwrap();
    let out = env.qaita(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 3: field 'tonnage': 'lots'"));
    let rejects = env.path("rejects.csv");
    env.qaita(&[
        "import",
        file.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    let shown = env.json(&["show", "X-1", "--json"]);
    assert_eq!(shown["derived"]["tonnage_t"], 900_000.0);
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        rejected.contains("X-2") && rejected.contains("reject_reason"),
        "{rejected}"
    );
}

#[test]
fn read_commands_speak_json_and_report_missing_objects() {
    let env = Env::new();
    let init = env.json(&["init", "--json"]);
    assert_eq!(init["backend"], "sqlite");
    env.ok(&["demo"]);
    let list = env.json(&["list", "--json", "--region", "Шымкент қаласы"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let listed = env.json(&[
        "list",
        "--json",
        "--commodity",
        "TREO",
        "--owner-known",
        "false",
    ]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["owner"].is_null())
    );
    let out = env.qaita(&["show", "NO-SUCH-ID"]);
    assert_eq!(out.status.code(), Some(4));
    let out = env.qaita(&["list", "--region", "Atlantis"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a known region"));
    // The demo is idempotent: a second run changes nothing.
    let again = env.json(&["demo", "--json"]);
    assert_eq!(again["imports"][0]["counts"]["unchanged"], list_len(&env));
}

fn list_len(env: &Env) -> serde_json::Value {
    serde_json::json!(env.json(&["list", "--json"]).as_array().unwrap().len())
}

#[test]
fn generated_inventories_import() {
    let env = Env::new();
    let file = env.path("syn.csv");
    env.ok(&[
        "generate",
        "--objects",
        "3000",
        "--seed",
        "4",
        "--out",
        file.to_str().unwrap(),
    ]);
    let report = env.json(&["import", file.to_str().unwrap(), "--json"]);
    assert_eq!(report["counts"]["create"], 3000);
    assert_eq!(national(&env)["objects"], 3000);
}

#[test]
fn valuation_is_printed_stored_and_shown() {
    let env = Env::new();
    env.ok(&["demo"]);
    let text = env.ok(&["value", "KZ-TMF-0034", "--paths", "300"]);
    for expected in ["NPV", "IRR", "P10", "MET coefficient", "discount rate"] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    let result = env.json(&[
        "value",
        "KZ-TMF-0034",
        "--paths",
        "300",
        "--scenario",
        "low",
        "--json",
    ]);
    let v = &result["valuations"][0];
    assert_eq!(v["external_id"], "KZ-TMF-0034");
    let (p10, p50, p90) = (
        v["montecarlo"]["p10_usd"].as_f64().unwrap(),
        v["montecarlo"]["p50_usd"].as_f64().unwrap(),
        v["montecarlo"]["p90_usd"].as_f64().unwrap(),
    );
    assert!(p10 <= p50 && p50 <= p90);
    // The Shymkent slag's legal class is undetermined, so the full MET applies.
    assert_eq!(v["valuation"]["met_coefficient"], 1.0);
    let shown = env.json(&["show", "KZ-TMF-0034", "--json"]);
    assert_eq!(shown["derived"]["valuation_versions"], 2);
    assert_eq!(shown["derived"]["valuation"]["scenario"], "low");
    assert_eq!(
        shown["derived"]["valuation"]["npv_usd"],
        v["valuation"]["npv_usd"]
    );
    // --no-store leaves the versions alone; a bad option is an error naming it.
    env.ok(&["value", "KZ-TMF-0034", "--paths", "0", "--no-store"]);
    assert_eq!(
        env.json(&["show", "KZ-TMF-0034", "--json"])["derived"]["valuation_versions"],
        2
    );
    let out = env.qaita(&["value", "KZ-TMF-0034", "--discount-rate", "8"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--discount-rate"));
    let out = env.qaita(&["value", "KZ-TMF-0034", "--route", "flotation"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not fit"));
}

#[test]
fn every_demo_tmf_is_valued_and_the_policy_sweep_runs() {
    let env = Env::new();
    env.ok(&["demo"]);
    let all = env.json(&["value", "--all", "--paths", "100", "--json", "--no-store"]);
    let valued = all["valuations"].as_array().unwrap().len();
    let skipped = all["not_valued"].as_array().unwrap().len();
    assert_eq!(
        (valued + skipped) as u64,
        national(&env)["objects"].as_u64().unwrap()
    );
    assert!(valued >= 70, "{valued} valued");
    let policy = env.json(&["policy", "--coefficients", "1,0.1", "--json"]);
    let rows = policy["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[1]["viable"].as_u64() >= rows[0]["viable"].as_u64());
    assert!(rows[1]["met_usd"].as_f64() < rows[0]["met_usd"].as_f64());
    let csv = env.path("policy.csv");
    let text = env.ok(&[
        "policy",
        "--scenarios",
        "low,high",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(text.contains("MET coef."));
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().count(),
        1 + 2 * 4
    );
}

#[test]
fn resource_estimate_runs_on_the_demo_campaign_and_is_stored() {
    let env = Env::new();
    env.ok(&["demo"]);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/sampling/");
    let samples = format!("{data}donskoy-auger.csv");
    let truth = format!("{data}donskoy-truth.csv");
    let charts = env.path("charts");
    let blocks = env.path("blocks.csv");
    let text = env.ok(&[
        "estimate",
        "KZ-TMF-0012",
        "--samples",
        &samples,
        "--value",
        "Cr2O3",
        "--truth",
        &truth,
        "--charts",
        charts.to_str().unwrap(),
        "--blocks",
        blocks.to_str().unwrap(),
    ]);
    for expected in [
        "variogram: nugget",
        "cross-validation",
        "Measured + Indicated",
        "against the truth",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
    assert!(
        std::fs::read_to_string(charts.join("KZ-TMF-0012-variogram.svg"))
            .unwrap()
            .contains("<circle")
    );
    assert!(std::fs::read_to_string(&blocks).unwrap().lines().count() > 1000);
    let result = env.json(&[
        "estimate",
        "KZ-TMF-0012",
        "--samples",
        &samples,
        "--value",
        "Cr2O3",
        "--truth",
        &truth,
        "--json",
    ]);
    // The block model carries the registry tonnage (thickness = volume / area, registry density).
    let tonnes = result["blocks"]["tonnes"].as_f64().unwrap();
    assert!((tonnes - 14.5e6).abs() < 0.02 * 14.5e6, "{tonnes}");
    // The estimate is close to the known truth of the simulated field.
    let (bias, rmse) = (
        result["truth_check"]["bias"].as_f64().unwrap(),
        result["truth_check"]["rmse"].as_f64().unwrap(),
    );
    assert!(bias.abs() < 0.5 && rmse < 2.0, "bias {bias}, rmse {rmse}");
    let shown = env.json(&["show", "KZ-TMF-0012", "--json"]);
    assert_eq!(shown["derived"]["resource_estimate"]["version"], 2);
    // Valuation now works on the estimate's tonnes, grade and kriging uncertainty.
    let valued = env.json(&[
        "value",
        "KZ-TMF-0012",
        "--paths",
        "200",
        "--json",
        "--no-store",
    ]);
    let basis = valued["valuations"][0]["basis"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(basis.starts_with("resource estimate v2"), "{basis}");
    assert_eq!(shown["derived"]["resource_estimate"]["commodity"], "Cr2O3");
    // A TMF without a footprint, and projected samples without a CRS, are refused clearly.
    let out = env.qaita(&[
        "estimate",
        "KZ-TMF-0002",
        "--samples",
        &samples,
        "--value",
        "Cr2O3",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no footprint"));
    let projected = env.path("xy.csv");
    std::fs::write(&projected, "x,y,Cu [%]\n1,2,0.3\n").unwrap();
    let out = env.qaita(&[
        "estimate",
        "KZ-TMF-0012",
        "--samples",
        projected.to_str().unwrap(),
        "--value",
        "Cu",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--epsg"));
}

#[test]
fn drillholes_variography_crossval_and_classification() {
    let env = Env::new();
    env.ok(&["demo"]);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/sampling/");
    let (collars, surveys, intervals) = (
        format!("{data}donskoy-collars.csv"),
        format!("{data}donskoy-surveys.csv"),
        format!("{data}donskoy-intervals.csv"),
    );
    let holes = [
        "--collars",
        collars.as_str(),
        "--surveys",
        surveys.as_str(),
        "--intervals",
        intervals.as_str(),
        "--value",
        "Cr2O3",
    ];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .chain(holes.iter())
            .chain(tail)
            .map(|s| s.to_string())
            .collect()
    };
    let run_json = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        env.json(&refs)
    };
    // Variography in 3-D: horizontal and downhole variograms, a saved anisotropic model.
    let model = env.path("model.json");
    let chart = env.path("variogram.svg");
    let v = run_json(with(
        &["variogram"],
        &[
            "--holes-as",
            "3d",
            "--save",
            model.to_str().unwrap(),
            "--chart",
            chart.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(v["dimension"], 3);
    let names: Vec<&str> = v["experimental"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["omnidirectional", "downhole"]);
    let a = &v["model"]["structures"][0]["anisotropy"];
    assert!(
        a["range_vertical"].as_f64().unwrap() < a["range_major"].as_f64().unwrap(),
        "{a}"
    );
    assert!(
        std::fs::read_to_string(&chart)
            .unwrap()
            .contains("downhole")
    );
    // Cross-validation compares the estimators on the whole-hole composites.
    let cv = run_json(with(&["crossval"], &["--json"]));
    let methods: Vec<&str> = cv["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["ok", "sk", "idw", "nn"]);
    for r in cv["results"].as_array().unwrap() {
        assert_eq!(r["cross_validation"]["estimated"], 80, "{r}");
    }
    // 3-D estimate with the saved model and an ellipsoid search, checked against the truth.
    let blocks = env.path("blocks.csv");
    let gslib = env.path("blocks.gslib");
    let truth = format!("{data}donskoy-truth-3d.csv");
    let est = run_json(with(
        &["estimate", "KZ-TMF-0012"],
        &[
            "--holes-as",
            "3d",
            "--variogram",
            model.to_str().unwrap(),
            "--search-ellipsoid",
            "--truth",
            &truth,
            "--blocks",
            blocks.to_str().unwrap(),
            "--gslib",
            gslib.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(est["dimension"], 3);
    assert!(est["blocks"]["count"].as_u64().unwrap() > 5000);
    let rmse = est["truth_check"]["rmse"].as_f64().unwrap();
    assert!(rmse < 2.0, "rmse {rmse}");
    // Thickness from hole depths: the model's tonnes are those of the drilled volume.
    let tonnes = est["blocks"]["tonnes"].as_f64().unwrap();
    assert!((tonnes - 14.5e6).abs() < 0.1 * 14.5e6, "{tonnes}");
    let gslib_text = std::fs::read_to_string(&gslib).unwrap();
    let mut lines = gslib_text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("KZ-TMF-0012 Cr2O3 block model")
    );
    assert_eq!(lines.next(), Some("14"));
    // Re-classification with stricter rules moves tonnes out of Measured, never changes the total.
    let rules = env.path("rules.json");
    std::fs::write(
        &rules,
        r#"{"measured": {"min_slope": 0.95, "min_samples": 20, "max_mean_distance": 150, "max_relative_variance": 0.1, "min_octants": 6},
            "indicated": {"min_slope": 0.5, "min_samples": 6, "max_mean_distance": 500, "max_relative_variance": 0.8}}"#,
    )
    .unwrap();
    let lenient = env.path("lenient.json");
    std::fs::write(
        &lenient,
        r#"{"measured": {"min_slope": 0.8, "min_samples": 12, "max_mean_distance": 1000, "max_relative_variance": 0.5, "min_octants": 2},
            "indicated": {"min_slope": 0.5, "min_samples": 6, "max_mean_distance": 2000, "max_relative_variance": 0.8}}"#,
    )
    .unwrap();
    let loose = env.json(&[
        "classify",
        blocks.to_str().unwrap(),
        "--rules",
        lenient.to_str().unwrap(),
        "--json",
    ]);
    let strict = env.json(&[
        "classify",
        blocks.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--json",
    ]);
    let line = |v: &serde_json::Value, class: &str| {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["class"] == class)
            .unwrap()["tonnes"]
            .as_f64()
            .unwrap()
    };
    assert!(line(&loose, "Measured") > 0.0);
    assert!(line(&strict, "Measured") < line(&loose, "Measured"));
    let total = |v: &serde_json::Value| line(v, "Measured + Indicated") + line(v, "Inferred");
    assert!((total(&strict) - total(&loose)).abs() < 1e-6 * total(&loose));
    // Bad drillhole tables are refused with file, row and field, and nothing is stored.
    let bad = env.path("bad-intervals.csv");
    std::fs::write(
        &bad,
        "HOLEID,FROM,TO,Cr2O3 [%]\nDH-001,0,1.5,30\nDH-001,1,2,31\nNOPE,0,1,20\n",
    )
    .unwrap();
    let out = env.qaita(&[
        "estimate",
        "KZ-TMF-0012",
        "--collars",
        &collars,
        "--intervals",
        bad.to_str().unwrap(),
        "--value",
        "Cr2O3",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad-intervals.csv")
            && stderr.contains("row 3")
            && stderr.contains("overlaps"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 4") && stderr.contains("NOPE has no collar"),
        "{stderr}"
    );
    let shown = env.json(&["show", "KZ-TMF-0012", "--json"]);
    assert_eq!(shown["derived"]["resource_estimate"]["version"], 1);
}

/// Runs `qaita` with `stdin` as standard input.
fn qaita_with_input(env: &Env, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_qaita"))
        .args(args)
        .env("QAITA_DB", env.path("qaita.db"))
        .env("QAITA_USER", "tester")
        .current_dir(env.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn users_and_tokens_are_managed_from_the_command_line() {
    let env = Env::new();
    let added = qaita_with_input(
        &env,
        &["user", "add", "amina", "--role", "editor"],
        "s3cret-pass\n",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    // Too short a password, an unknown role, a duplicate: refused with the reason.
    let short = qaita_with_input(
        &env,
        &["user", "add", "bolat", "--role", "viewer"],
        "short\n",
    );
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    let role = qaita_with_input(
        &env,
        &["user", "add", "bolat", "--role", "king"],
        "long-enough\n",
    );
    assert!(String::from_utf8_lossy(&role.stderr).contains("not a role"));
    let dup = qaita_with_input(
        &env,
        &["user", "add", "amina", "--role", "viewer"],
        "long-enough\n",
    );
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let token = env.ok(&["user", "token", "amina", "--label", "QGIS"]);
    assert!(token.trim().starts_with("qaita_1_"), "{token}");
    let users = env.json(&["user", "list", "--json"]);
    assert_eq!(users[0]["username"], "amina");
    assert_eq!(users[0]["role"], "editor");
    assert_eq!(users[0]["created_by"], "tester");
    // The database holds no secret: not the password, not the token.
    let mut db = std::fs::read(env.path("qaita.db")).unwrap();
    db.extend(std::fs::read(env.path("qaita.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&db);
    assert!(!text.contains("s3cret-pass"));
    assert!(!text.contains(token.trim().trim_start_matches("qaita_1_")));
    env.ok(&["user", "revoke", "amina"]);
    let tokens = env.json(&["user", "tokens", "--json"]);
    assert!(tokens[0]["revoked_at"].is_string());
    assert!(env.json(&["user", "list", "--json"])[0]["revoked_at"].is_string());
}
