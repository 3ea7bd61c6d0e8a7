//! `qaita variogram` and `qaita crossval`: variography and estimator validation on a sampling
//! campaign, before (or instead of) a full `qaita estimate`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use qaita_app::estimate::{self as app, direction_vector};

use crate::estimate::{
    Method, SamplingArgs, SearchArgs, VariogramArgs, failed, request, variogram_svg,
};
use crate::exit;
use crate::output::{print_json, right, table};

#[derive(Args)]
pub struct VariogramCmdArgs {
    #[command(flatten)]
    sampling: SamplingArgs,
    #[command(flatten)]
    variogram: VariogramArgs,
    /// Save the fitted model as JSON (for `estimate --variogram` and `crossval --variogram`).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Write the chart of experimental points and model (SVG).
    #[arg(long)]
    chart: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct CrossvalArgs {
    #[command(flatten)]
    sampling: SamplingArgs,
    #[command(flatten)]
    variogram: VariogramArgs,
    #[command(flatten)]
    search: SearchArgs,
    /// Estimators to compare.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "ok,sk,idw,nn"
    )]
    methods: Vec<Method>,
    #[arg(long)]
    json: bool,
}

pub fn variogram_cmd(args: VariogramCmdArgs) -> Result<u8> {
    let (request, inputs) = request(&args.sampling, &args.variogram, None)?;
    let (data, v) = match app::prepare(&request, &inputs, None) {
        Ok(prepared) => prepared,
        Err(e) => return failed(e),
    };
    if let Some(path) = &args.save {
        std::fs::write(path, serde_json::to_string_pretty(&v.model)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.chart {
        let svg = variogram_svg(
            &format!("{}: variogram of {}", data.label, args.sampling.value),
            &v,
            args.variogram.lags,
        )?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let result = serde_json::json!({
        "samples": data.report, "crs": format!("EPSG:{}", data.projection.epsg),
        "unit": data.unit.symbol(), "dimension": if data.three_d { 3 } else { 2 },
        "lag": v.lag, "experimental": v.experimental, "model": v.model,
        "source": v.source, "weighted_sse": v.weighted_sse,
    });
    if args.json {
        print_json(&result)?;
        return Ok(exit::OK);
    }
    println!(
        "{}: {} {} in {}, EPSG:{}",
        data.label,
        data.points.len(),
        data.kind(),
        data.unit,
        data.projection.epsg
    );
    for (name, bins) in &v.experimental {
        println!("{name}:");
        let mut t = table(&["lag (m)", "semivariance", "model", "pairs"]);
        let dir = direction_vector(name);
        for b in bins {
            t.add_row(vec![
                right(format!("{:.1}", b.distance)),
                right(format!("{:.5}", b.gamma)),
                right(format!(
                    "{:.5}",
                    v.model.gamma([
                        b.distance * dir[0],
                        b.distance * dir[1],
                        b.distance * dir[2]
                    ])
                )),
                right(b.pairs.to_string()),
            ]);
        }
        println!("{t}");
    }
    println!("model: {}", v.describe());
    if let Some(sse) = v.weighted_sse {
        println!("weighted SSE: {sse:.6}");
    }
    Ok(exit::OK)
}

pub fn crossval(args: CrossvalArgs) -> Result<u8> {
    let (request, inputs) = request(&args.sampling, &args.variogram, Some(&args.search))?;
    let (data, v) = match app::prepare(&request, &inputs, None) {
        Ok(prepared) => prepared,
        Err(e) => return failed(e),
    };
    let methods: Vec<app::Method> = args.methods.iter().map(|m| (*m).into()).collect();
    let cv = match app::cross_validate(&data, &v, &request, &methods) {
        Ok(cv) => cv,
        Err(e) => return failed(e),
    };
    let nb = cv.neighbourhood;
    let results: Vec<(Method, qaita_geostat::kriging::CrossValidation)> = args
        .methods
        .iter()
        .copied()
        .zip(cv.results.into_iter().map(|(_, r)| r))
        .collect();
    if args.json {
        print_json(&serde_json::json!({
            "samples": data.report, "variogram": v.model, "neighbourhood": nb,
            "unit": data.unit.symbol(),
            "results": results.iter().map(|(m, cv)| serde_json::json!({"method": m, "cross_validation": cv})).collect::<Vec<_>>(),
        }))?;
        return Ok(exit::OK);
    }
    println!(
        "{}: leave-one-out over {} samples; variogram {}; {}..{} neighbours within {:.0} m",
        data.label,
        data.points.len(),
        v.describe(),
        nb.min,
        nb.max,
        nb.radius
    );
    let mut t = table(&[
        "method",
        "estimated",
        "failed",
        "mean error",
        "RMSE",
        "mean std. sq. error",
    ]);
    for (m, cv) in &results {
        t.add_row(vec![
            comfy_table::Cell::new(format!("{m:?}").to_lowercase()),
            right(cv.estimated.to_string()),
            right(cv.failed.to_string()),
            right(format!("{:.4} {}", cv.mean_error, data.unit)),
            right(format!("{:.4} {}", cv.rmse, data.unit)),
            right(if cv.mean_standardised_squared_error.is_nan() {
                "-".to_string()
            } else {
                format!("{:.2}", cv.mean_standardised_squared_error)
            }),
        ]);
    }
    println!("{t}");
    Ok(exit::OK)
}
