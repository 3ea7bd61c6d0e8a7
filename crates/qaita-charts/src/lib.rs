//! Charts as SVG text, drawn with plotters and an embedded font (DejaVu Sans), so they look the
//! same on a machine without fonts. No I/O: callers write the returned string where they want.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

static FONT: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("cannot load the embedded font")]
    Font,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("nothing to draw: {0}")]
    Empty(&'static str),
}

fn font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    REGISTERED
        .get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok())
        .then_some(())
        .ok_or(ChartError::Font)
}

fn draw<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

const BAR: RGBColor = RGBColor(46, 109, 164);
const ACCENT: RGBColor = RGBColor(200, 82, 0);
/// Colours of successive series.
const PALETTE: [RGBColor; 4] = [BAR, ACCENT, RGBColor(90, 160, 90), RGBColor(130, 90, 170)];

/// The series legend, drawn the same way on every chart.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 14))
        .draw()
        .map_err(draw)
}

/// A histogram of equal-width bins `(lower edge, count)`, with labelled vertical markers
/// (e.g. P10, P50, P90).
pub fn histogram_svg(
    title: &str,
    x_label: &str,
    bins: &[(f64, usize)],
    markers: &[(String, f64)],
) -> Result<String, ChartError> {
    font()?;
    if bins.is_empty() {
        return Err(ChartError::Empty("no bins"));
    }
    let width = if bins.len() > 1 {
        bins[1].0 - bins[0].0
    } else {
        1.0
    };
    let (x0, x1) = (bins[0].0, bins[bins.len() - 1].0 + width);
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 1.0, x0 + 1.0)
    };
    let y_max = bins.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(draw)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0f64..y_max)
            .map_err(draw)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("count")
            .label_style((FAMILY, 14))
            .draw()
            .map_err(draw)?;
        chart
            .draw_series(bins.iter().map(|(lo, n)| {
                Rectangle::new([(*lo, 0.0), (*lo + width * 0.95, *n as f64)], BAR.filled())
            }))
            .map_err(draw)?;
        for (label, x) in markers {
            chart
                .draw_series(LineSeries::new(
                    [(*x, 0.0), (*x, y_max * 0.95)],
                    ACCENT.stroke_width(2),
                ))
                .map_err(draw)?;
            chart
                .draw_series([Text::new(
                    label.clone(),
                    (*x, y_max * 0.97),
                    (FAMILY, 14).into_font().color(&ACCENT),
                )])
                .map_err(draw)?;
        }
        root.present().map_err(draw)?;
    }
    Ok(svg)
}

/// A tornado chart: for each driver, a bar from its low-case to its high-case value around
/// `base`, widest first (as given).
pub fn tornado_svg(
    title: &str,
    x_label: &str,
    base: f64,
    bars: &[(String, f64, f64)],
) -> Result<String, ChartError> {
    font()?;
    if bars.is_empty() {
        return Err(ChartError::Empty("no drivers"));
    }
    let lo = bars.iter().map(|b| b.1.min(b.2)).fold(base, f64::min);
    let hi = bars.iter().map(|b| b.1.max(b.2)).fold(base, f64::max);
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let n = bars.len() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 120 + 36 * bars.len() as u32))
            .into_drawing_area();
        root.fill(&WHITE).map_err(draw)?;
        let (labels, plot) = root.split_horizontally(190);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FAMILY, 22))
            .margin(15)
            .x_label_area_size(45)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..n)
            .map_err(draw)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .disable_y_mesh()
            .disable_y_axis()
            .label_style((FAMILY, 14))
            .draw()
            .map_err(draw)?;
        for (i, (_, low, high)) in bars.iter().enumerate() {
            let y = n - i as f64 - 1.0;
            chart
                .draw_series([Rectangle::new(
                    [(*low, y + 0.15), (base, y + 0.85)],
                    ACCENT.filled(),
                )])
                .map_err(draw)?;
            chart
                .draw_series([Rectangle::new(
                    [(base, y + 0.15), (*high, y + 0.85)],
                    BAR.filled(),
                )])
                .map_err(draw)?;
        }
        chart
            .draw_series(LineSeries::new(
                [(base, 0.0), (base, n)],
                BLACK.stroke_width(1),
            ))
            .map_err(draw)?;
        // Driver names beside the bars, aligned with the plotting area's rows.
        let (_, height) = labels.dim_in_pixel();
        let top = 15 + 30; // margin + caption
        let row = (height as i32 - top - 45 - 15) as f64 / n;
        for (i, (name, _, _)) in bars.iter().enumerate() {
            let y = top + (row * (i as f64 + 0.5)) as i32 - 7;
            labels
                .draw(&Text::new(name.clone(), (10, y), (FAMILY, 14)))
                .map_err(draw)?;
        }
        root.present().map_err(draw)?;
    }
    Ok(svg)
}

/// Grouped bars: one group per category (x), one bar per series.
pub fn grouped_bars_svg(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<String, ChartError> {
    font()?;
    if categories.is_empty() || series.is_empty() {
        return Err(ChartError::Empty("no categories or series"));
    }
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.15;
    let y_min = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0, f64::min)
        * 1.15;
    let k = series.len() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(draw)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 22))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..categories.len() as f64, y_min..y_max)
            .map_err(draw)?;
        let names = categories.to_vec();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(categories.len() * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() < 1e-6 {
                    names.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_label)
            .label_style((FAMILY, 14))
            .draw()
            .map_err(draw)?;
        for (s, (name, values)) in series.iter().enumerate() {
            let color = PALETTE[s % PALETTE.len()];
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    let x = i as f64 + 0.1 + 0.8 * s as f64 / k;
                    Rectangle::new([(x, 0.0), (x + 0.8 / k * 0.9, *v)], color.filled())
                }))
                .map_err(draw)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 12, y + 6)], color.filled())
                });
        }
        draw_legend(&mut chart)?;
        root.present().map_err(draw)?;
    }
    Ok(svg)
}

/// One series of an x-y chart: name, points, and whether to draw markers (true) or a line.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub markers: bool,
}

/// An x-y chart of lines and markers (variograms, grade-tonnage curves).
pub fn xy_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<String, ChartError> {
    font()?;
    let all: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if all.is_empty() {
        return Err(ChartError::Empty("no points"));
    }
    let x_max = all.iter().map(|p| p.0).fold(0.0, f64::max).max(1e-9) * 1.05;
    let y_max = all.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(draw)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(draw)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style((FAMILY, 14))
            .draw()
            .map_err(draw)?;
        for (i, s) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let points = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite());
            let drawn = if s.markers {
                chart
                    .draw_series(points.map(|p| Circle::new(p, 4, color.filled())))
                    .map_err(draw)?
            } else {
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))
                    .map_err(draw)?
            };
            drawn.label(s.name.clone()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 4), (x + 12, y + 4)], color.filled())
            });
        }
        draw_legend(&mut chart)?;
        root.present().map_err(draw)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_render_as_svg_with_their_labels() {
        let h = histogram_svg(
            "NPV",
            "M USD",
            &[(0.0, 3), (1.0, 7), (2.0, 2)],
            &[("P50".into(), 1.4)],
        )
        .unwrap();
        assert!(h.starts_with("<svg") && h.contains("P50") && h.contains("<rect"));
        let t = tornado_svg(
            "Sensitivity",
            "NPV",
            10.0,
            &[("Cu price".into(), 5.0, 15.0), ("opex".into(), 8.0, 12.0)],
        )
        .unwrap();
        assert!(t.contains("Cu price") && t.contains("opex"));
        let g = grouped_bars_svg(
            "Viable",
            "TMFs",
            &["1".into(), "0.1".into()],
            &[("base".into(), vec![3.0, 5.0])],
        )
        .unwrap();
        assert!(g.contains("base"));
        assert!(matches!(
            histogram_svg("x", "y", &[], &[]),
            Err(ChartError::Empty(_))
        ));
    }
}
