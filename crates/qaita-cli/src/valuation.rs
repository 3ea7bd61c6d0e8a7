//! `qaita value` and `qaita policy`: shells over qaita-app's valuation and qaita-econ.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use comfy_table::Cell;
use qaita_app::valuation::{
    EconOptions, ValueOptions, ValueResult, assumptions, irr_text, load, musd, value_one,
};
use qaita_econ::data::Scenario;
use qaita_econ::montecarlo::McResult;
use qaita_econ::policy::{PolicyRow, sweep};
use qaita_model::StoredTmf;
use qaita_store::Store;

use crate::output::{print_json, right, table};
use crate::util::{filter, find, not_found};
use crate::{EconArgs, PolicyArgs, ValueArgs, exit};

fn print_one(r: &ValueResult) {
    let v = &r.valuation;
    println!(
        "{} — {}: route {}, {} prices, MET coefficient {}, {:.0} kt/yr for {} years, discount rate {:.1}% real",
        r.external_id,
        r.name,
        v.route,
        v.scenario.name(),
        v.met_coefficient,
        v.capacity_tpa / 1e3,
        v.operating_years,
        v.discount_rate * 100.0
    );
    let mut t = table(&["measure", "value"]);
    let mut rows = vec![
        (
            "NPV".to_string(),
            format!("{} M USD ({:.1} bn KZT)", musd(v.npv_usd), v.npv_kzt / 1e9),
        ),
        ("IRR".into(), irr_text(&v.irr)),
        (
            "payback".into(),
            v.payback_years.map_or("never".into(), |y| {
                format!("{y} years from start of construction")
            }),
        ),
        (
            "NPV per tonne".into(),
            format!("{:.2} USD/t", v.npv_per_t_usd),
        ),
        (
            "break-even prices".into(),
            v.break_even_price_factor
                .map_or("none below 50x the deck".into(), |k| {
                    format!("{:.0}% of the deck", k * 100.0)
                }),
        ),
        (
            "initial capital".into(),
            format!("{} M USD", musd(v.capex_usd)),
        ),
        (
            "revenue / MET / CIT (life)".into(),
            format!(
                "{} / {} / {} M USD",
                musd(v.revenue_usd),
                musd(v.met_usd),
                musd(v.cit_usd)
            ),
        ),
        ("water".into(), format!("{:.1} Mm3", v.water_m3 / 1e6)),
    ];
    for (c, t) in &v.produced_t {
        rows.push((
            format!("{c} produced"),
            qaita_model::units::format_tonnes(*t),
        ));
    }
    if let Some(mc) = &r.montecarlo {
        rows.push((
            format!("Monte Carlo ({} paths, seed {})", mc.paths, mc.seed),
            format!(
                "P10 {} / P50 {} / P90 {} M USD; P(NPV>0) {:.0}%",
                musd(mc.p10_usd),
                musd(mc.p50_usd),
                musd(mc.p90_usd),
                mc.probability_positive * 100.0
            ),
        ));
    }
    for (name, npv) in &r.alternatives {
        rows.push((format!("route {name}"), format!("NPV {} M USD", musd(*npv))));
    }
    for (k, val) in rows {
        t.add_row(vec![Cell::new(k), Cell::new(val)]);
    }
    println!("{t}");
    let mut years = table(&[
        "year",
        "processed kt",
        "revenue",
        "opex",
        "MET",
        "CIT",
        "capex",
        "closure",
        "cash flow (M USD)",
    ]);
    for y in &v.years {
        years.add_row(vec![
            right(y.year),
            right(format!("{:.0}", y.processed_t / 1e3)),
            right(musd(y.revenue_usd)),
            right(musd(y.opex_usd)),
            right(musd(y.met_usd)),
            right(musd(y.cit_usd)),
            right(musd(y.capex_usd)),
            right(musd(y.closure_usd)),
            right(musd(y.cash_flow_usd)),
        ]);
    }
    println!("{years}");
    let mut tornado = table(&[
        "driver",
        "low case",
        "NPV (M USD)",
        "high case",
        "NPV (M USD)",
    ]);
    for b in &r.tornado {
        tornado.add_row(vec![
            Cell::new(&b.driver),
            Cell::new(&b.low_label),
            right(musd(b.npv_low_usd)),
            Cell::new(&b.high_label),
            right(musd(b.npv_high_usd)),
        ]);
    }
    println!("{tornado}");
    println!("tonnes and grades: {}; data: {}", r.basis, r.data);
}

impl EconArgs {
    fn options(&self) -> EconOptions {
        EconOptions {
            discount_rate: self.discount_rate,
            capacity: self.capacity,
            avoided_payment: self.avoided_payment,
        }
    }
}

pub fn value(store: &mut Store, actor: &str, args: ValueArgs) -> Result<u8> {
    let data = load(args.econ.econ_data.as_deref())?;
    let scenario: Scenario = args.scenario.parse().map_err(|e: String| anyhow!(e))?;
    let econ = args.econ.options();
    let a = assumptions(&econ, scenario, args.met_coefficient)?;
    let options = ValueOptions {
        route: args.route.clone(),
        paths: args.paths,
        seed: args.seed,
    };
    let targets: Vec<StoredTmf> = match (&args.id, args.all) {
        (Some(id), _) => match find(store, id)? {
            Some(s) => vec![s],
            None => return Ok(not_found(id)),
        },
        (None, true) => store.list(&filter(&args.filter)?)?,
        (None, false) => bail!("give a TMF id or --all"),
    };
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    for stored in &targets {
        let estimate = store
            .analyses(stored.id, qaita_app::document::RESOURCE_ESTIMATE)?
            .pop();
        match value_one(stored, estimate.as_ref(), &data, &a, &options)? {
            Some(r) => results.push(r),
            None => skipped.push(stored.tmf.external_id.clone()),
        }
    }
    if !args.no_store {
        for r in &results {
            qaita_app::valuation::store_result(store, r, &data, &econ, &a, &options, actor, None)?;
        }
    }
    if let Some(dir) = &args.charts {
        for r in &results {
            write_valuation_charts(dir, r)?;
        }
    }
    if args.json {
        print_json(&serde_json::json!({"valuations": results, "not_valued": skipped}))?;
    } else if args.all {
        let mut t = table(&[
            "id",
            "external id",
            "name",
            "route",
            "NPV",
            "IRR",
            "P10",
            "P50",
            "P90",
            "P(NPV>0)",
            "MET coef.",
        ]);
        for r in &results {
            let v = &r.valuation;
            let mc = r.montecarlo.as_ref();
            let m = |f: fn(&McResult) -> f64| mc.map_or("-".to_string(), |mc| musd(f(mc)));
            t.add_row(vec![
                right(r.id),
                Cell::new(&r.external_id),
                Cell::new(&r.name),
                Cell::new(&v.route),
                right(musd(v.npv_usd)),
                right(irr_text(&v.irr)),
                right(m(|x| x.p10_usd)),
                right(m(|x| x.p50_usd)),
                right(m(|x| x.p90_usd)),
                right(mc.map_or("-".into(), |mc| {
                    format!("{:.0}%", mc.probability_positive * 100.0)
                })),
                right(v.met_coefficient),
            ]);
        }
        println!("{t}");
        println!(
            "{} TMFs valued (NPV and percentiles in M USD, {} prices); data: {}",
            results.len(),
            scenario.name(),
            data.source
        );
    } else {
        results.iter().for_each(print_one);
    }
    if !skipped.is_empty() && !args.json {
        eprintln!(
            "not valued (no tonnage, or no route fits the kind and commodities): {}",
            skipped.join(", ")
        );
    }
    Ok(exit::OK)
}

pub fn policy(store: &mut Store, args: PolicyArgs) -> Result<u8> {
    let data = load(args.econ.econ_data.as_deref())?;
    let scenarios: Vec<Scenario> = args
        .scenarios
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, String>>()
        .map_err(|e| anyhow!(e))?;
    if let Some(c) = args.coefficients.iter().find(|c| !(0.0..=1.0).contains(*c)) {
        bail!("MET coefficient {c} must be between 0 and 1");
    }
    let a = assumptions(&args.econ.options(), Scenario::Base, None)?;
    let projects = qaita_app::valuation::projects(store, &filter(&args.filter)?)?;
    let rows = sweep(
        &projects,
        &data.routes,
        &data.deck,
        &data.tax,
        &a,
        &args.coefficients,
        &scenarios,
    );
    if let Some(path) = &args.csv {
        write_policy_csv(path, &rows)?;
    }
    if let Some(dir) = &args.charts {
        write_policy_charts(dir, &rows, &args.coefficients, &scenarios)?;
    }
    if args.json {
        print_json(
            &serde_json::json!({"objects": projects.len(), "data": data.source, "rows": rows}),
        )?;
        return Ok(exit::OK);
    }
    let mut t = table(&[
        "scenario",
        "MET coef.",
        "viable",
        "of",
        "reprocessed Mt",
        "NPV (M USD)",
        "MET (M USD)",
        "CIT (M USD)",
        "taxes PV (M USD)",
        "main products",
    ]);
    for r in &rows {
        let mut products: Vec<(&qaita_model::Commodity, &f64)> = r.produced_t.iter().collect();
        products.sort_by(|a, b| b.1.total_cmp(a.1));
        let main: Vec<String> = products
            .iter()
            .take(3)
            .map(|(c, t)| format!("{c} {}", qaita_model::units::format_tonnes(**t)))
            .collect();
        t.add_row(vec![
            Cell::new(r.scenario.name()),
            right(r.met_coefficient),
            right(r.viable),
            right(r.objects),
            right(format!("{:.1}", r.tonnes_reprocessed / 1e6)),
            right(musd(r.npv_usd)),
            right(musd(r.met_usd)),
            right(musd(r.cit_usd)),
            right(musd(r.tax_pv_usd)),
            Cell::new(main.join(", ")),
        ]);
    }
    println!("{t}");
    println!(
        "{} TMFs with a tonnage; each coefficient applied to every TMF as if it were technogenic subsoil; viable = best route NPV > 0 at {:.0}% real. Data: {}",
        projects.len(),
        a.discount_rate * 100.0,
        data.source
    );
    Ok(exit::OK)
}

fn write_policy_csv(path: &Path, rows: &[PolicyRow]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    w.write_record([
        "scenario",
        "met_coefficient",
        "objects",
        "viable",
        "tonnes_reprocessed",
        "npv_usd",
        "met_usd",
        "cit_usd",
        "tax_pv_usd",
    ])?;
    for r in rows {
        w.write_record([
            r.scenario.name().to_string(),
            r.met_coefficient.to_string(),
            r.objects.to_string(),
            r.viable.to_string(),
            r.tonnes_reprocessed.to_string(),
            r.npv_usd.to_string(),
            r.met_usd.to_string(),
            r.cit_usd.to_string(),
            r.tax_pv_usd.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_chart(
    dir: &Path,
    name: &str,
    svg: Result<String, qaita_charts::ChartError>,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, svg?).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("chart: {}", path.display());
    Ok(())
}

fn write_valuation_charts(dir: &Path, r: &ValueResult) -> Result<()> {
    let stem = r.external_id.replace(['/', '\\', ' '], "_");
    if let Some(mc) = &r.montecarlo {
        let bins: Vec<(f64, usize)> = mc.histogram.iter().map(|(lo, n)| (lo / 1e6, *n)).collect();
        let markers = [
            ("P10", mc.p10_usd),
            ("P50", mc.p50_usd),
            ("P90", mc.p90_usd),
        ]
        .map(|(l, v)| (l.to_string(), v / 1e6));
        let title = format!("{}: NPV distribution, {} paths", r.external_id, mc.paths);
        write_chart(
            dir,
            &format!("{stem}-npv.svg"),
            qaita_charts::histogram_svg(&title, "NPV, M USD", &bins, &markers),
        )?;
    }
    let bars: Vec<(String, f64, f64)> = r
        .tornado
        .iter()
        .map(|b| {
            (
                format!("{} ({} / {})", b.driver, b.low_label, b.high_label),
                b.npv_low_usd / 1e6,
                b.npv_high_usd / 1e6,
            )
        })
        .collect();
    let title = format!("{}: NPV sensitivity", r.external_id);
    write_chart(
        dir,
        &format!("{stem}-tornado.svg"),
        qaita_charts::tornado_svg(&title, "NPV, M USD", r.valuation.npv_usd / 1e6, &bars),
    )
}

fn write_policy_charts(
    dir: &Path,
    rows: &[PolicyRow],
    coefficients: &[f64],
    scenarios: &[Scenario],
) -> Result<()> {
    let categories: Vec<String> = coefficients.iter().map(|c| format!("MET x {c}")).collect();
    let series = |f: &dyn Fn(&PolicyRow) -> f64| -> Vec<(String, Vec<f64>)> {
        scenarios
            .iter()
            .map(|s| {
                let values = coefficients
                    .iter()
                    .map(|c| {
                        rows.iter()
                            .find(|r| r.scenario == *s && r.met_coefficient == *c)
                            .map_or(0.0, f)
                    })
                    .collect();
                (format!("{} prices", s.name()), values)
            })
            .collect()
    };
    write_chart(
        dir,
        "policy-viable.svg",
        qaita_charts::grouped_bars_svg(
            "Viable TMFs by MET coefficient",
            "TMFs with NPV > 0",
            &categories,
            &series(&|r| r.viable as f64),
        ),
    )?;
    write_chart(
        dir,
        "policy-npv.svg",
        qaita_charts::grouped_bars_svg(
            "Total NPV of viable TMFs",
            "M USD",
            &categories,
            &series(&|r| r.npv_usd / 1e6),
        ),
    )?;
    write_chart(
        dir,
        "policy-taxes.svg",
        qaita_charts::grouped_bars_svg(
            "MET + CIT, present value",
            "M USD",
            &categories,
            &series(&|r| r.tax_pv_usd / 1e6),
        ),
    )
}
