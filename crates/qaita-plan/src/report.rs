//! Reports as documents: a small document model (sections of paragraphs, lists, tables and SVG
//! charts) rendered to standalone HTML and to PDF with typst (fonts embedded, nothing read from
//! the machine). Builders turn the planner's results into the national report and into a fact
//! sheet per TMF.

use qaita_model::units::format_tonnes;
use qaita_model::{Figure, FigureField};
use serde::Serialize;
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

use crate::PlanError;
use crate::config::DataSource;
use crate::input::PlanTmf;
use crate::rank::Ranking;
use crate::removal::RemovalProgramme;
use crate::roadmap::Roadmap;
use crate::scenario::Scenarios;
use crate::schedule::{Comparison, ScheduleSettings};

static FONT: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans.ttf");
static TEMPLATE: &str = include_str!("report.typ");

/// A report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub title: String,
    pub subtitle: String,
    /// Shown on every page (e.g. "ILLUSTRATIVE DATA").
    pub label: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// A piece of a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    List {
        items: Vec<String>,
    },
    Table {
        caption: String,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Chart {
        caption: String,
        /// File name the chart is written under (`rank-scores.svg`).
        file: String,
        #[serde(skip)]
        svg: String,
    },
}

fn paragraph(text: impl Into<String>) -> Block {
    Block::Paragraph { text: text.into() }
}

fn table(caption: impl Into<String>, header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        caption: caption.into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

fn charts(
    blocks: &mut Vec<Block>,
    charts: Vec<(String, String)>,
    caption: &dyn Fn(&str) -> String,
) {
    for (file, svg) in charts {
        blocks.push(Block::Chart {
            caption: caption(&file),
            file,
            svg,
        });
    }
}

impl Document {
    /// Every chart of the document as `(file name, SVG)`.
    pub fn charts(&self) -> Vec<(&str, &str)> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Chart { file, svg, .. } => Some((file.as_str(), svg.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Standalone HTML with the charts inline.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str(&format!("<title>{}</title>\n", esc(&self.title)));
        h.push_str(
            "<style>body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;font-size:14px}\
             table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:12px}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}\
             th{background:#eef2f6}caption{caption-side:bottom;font-style:italic;padding:4px;text-align:left}\
             .label{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;font-weight:bold}\
             figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{font-style:italic;font-size:12px}</style>\n",
        );
        h.push_str("</head>\n<body>\n");
        h.push_str(&format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p class=\"label\">{}</p>\n",
            esc(&self.title),
            esc(&self.subtitle),
            esc(&self.label)
        ));
        for s in &self.sections {
            h.push_str(&format!("<h2>{}</h2>\n", esc(&s.heading)));
            for b in &s.blocks {
                match b {
                    Block::Paragraph { text } => h.push_str(&format!("<p>{}</p>\n", esc(text))),
                    Block::List { items } => {
                        h.push_str("<ul>\n");
                        for i in items {
                            h.push_str(&format!("<li>{}</li>\n", esc(i)));
                        }
                        h.push_str("</ul>\n");
                    }
                    Block::Table {
                        caption,
                        header,
                        rows,
                    } => {
                        h.push_str(&format!(
                            "<table>\n<caption>{}</caption>\n<tr>",
                            esc(caption)
                        ));
                        for c in header {
                            h.push_str(&format!("<th>{}</th>", esc(c)));
                        }
                        h.push_str("</tr>\n");
                        for r in rows {
                            h.push_str("<tr>");
                            for c in r {
                                h.push_str(&format!("<td>{}</td>", esc(c)));
                            }
                            h.push_str("</tr>\n");
                        }
                        h.push_str("</table>\n");
                    }
                    Block::Chart { caption, svg, .. } => {
                        // The SVG is ours (plotters output); drop an XML declaration if any.
                        let body = svg.trim_start_matches(|c| c != '<');
                        let body = match body.strip_prefix("<?xml") {
                            Some(rest) => rest.split_once("?>").map_or(body, |x| x.1),
                            None => body,
                        };
                        h.push_str(&format!(
                            "<figure>\n{body}\n<figcaption>{}</figcaption>\n</figure>\n",
                            esc(caption)
                        ));
                    }
                }
            }
        }
        h.push_str("</body>\n</html>\n");
        h
    }

    /// PDF typeset by typst with the embedded DejaVu Sans font.
    pub fn to_pdf(&self) -> Result<Vec<u8>, PlanError> {
        let json = serde_json::to_vec(self).map_err(|e| PlanError::Typeset(e.to_string()))?;
        let mut files: Vec<(String, Vec<u8>)> = vec![("data.json".to_string(), json)];
        for (file, svg) in self.charts() {
            files.push((format!("charts/{file}"), svg.as_bytes().to_vec()));
        }
        let engine = TypstEngine::builder()
            .main_file(TEMPLATE)
            .fonts([FONT])
            .with_static_file_resolver(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
            .build();
        let doc: PagedDocument = engine
            .compile()
            .output
            .map_err(|e| PlanError::Typeset(e.to_string()))?;
        typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errors| {
            PlanError::Typeset(
                errors
                    .iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn musd(v: f64) -> String {
    format!("{:.1}", v / 1e6)
}

fn opt_musd(v: Option<f64>) -> String {
    v.map_or("-".into(), musd)
}

fn people(v: f64) -> String {
    format!("{v:.0}")
}

fn source_line(name: &str, p: &DataSource) -> String {
    format!(
        "{name}: {} ({}; confidence {}{}){}",
        p.source,
        p.date,
        p.confidence,
        if p.illustrative { "; illustrative" } else { "" },
        p.note.as_ref().map_or(String::new(), |n| format!(". {n}"))
    )
}

/// Everything the national report shows.
pub struct NationalInputs<'a> {
    pub tmfs: &'a [PlanTmf],
    pub ranking: &'a Ranking,
    pub removal: &'a RemovalProgramme,
    pub roadmap: &'a Roadmap,
    pub scenarios: &'a Scenarios,
    pub schedule: &'a Comparison,
    pub schedule_settings: &'a ScheduleSettings,
    /// Date and data the report was made from ("2026-11-24, registry qaita.db").
    pub made_from: String,
    /// Label on every page.
    pub label: String,
    /// Rows in the long tables.
    pub top: usize,
}

fn group_cell(row: &crate::rank::RankRow, group: &str) -> String {
    format!("{:.3}", row.groups.get(group).copied().unwrap_or(0.0))
}

fn ranking_section(r: &Ranking, top: usize) -> Result<Section, PlanError> {
    let mut blocks = vec![paragraph(
        "Each TMF's score is the weighted sum of normalised indicators (0..1). The weights below are rescaled to sum to 1; a missing value scores 0. The group columns give the points each criterion group adds to the score.",
    )];
    blocks.push(table(
        "Criteria, weights and normalisation",
        &["group", "indicator", "weight", "normalisation"],
        r.weights
            .iter()
            .map(|(g, i, w, n)| {
                vec![
                    g.to_string(),
                    i.clone(),
                    format!("{w:.3}"),
                    serde_json::to_value(n)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    ));
    blocks.push(table(
        format!("National ranking, top {}", top.min(r.rows.len())),
        &[
            "rank",
            "ID",
            "name",
            "region",
            "score",
            "econ.",
            "expos.",
            "hazard",
            "strat.",
            "conf.",
            "legal",
            "rank P5-P95",
        ],
        r.rows
            .iter()
            .take(top)
            .map(|row| {
                vec![
                    row.rank.to_string(),
                    row.external_id.clone(),
                    row.name.clone(),
                    row.region.label_en().to_string(),
                    format!("{:.3}", row.score),
                    group_cell(row, "economic"),
                    group_cell(row, "exposure"),
                    group_cell(row, "hazard"),
                    group_cell(row, "strategic"),
                    group_cell(row, "confidence"),
                    group_cell(row, "legal"),
                    row.stability
                        .map_or("-".into(), |s| format!("{}-{}", s.rank_p05, s.rank_p95)),
                ]
            })
            .collect(),
    ));
    if let Some(s) = &r.stability {
        blocks.push(paragraph(format!(
            "Stability: {} draws (seed {}) with every weight multiplied by a factor uniform in [{:.2}, {:.2}] and rescaled. Spearman correlation with the base ranking: mean {:.3}, minimum {:.3}; on average {:.0}% of the base top {} stay in the top {}.",
            s.draws,
            s.seed,
            1.0 - s.perturbation,
            1.0 + s.perturbation,
            s.spearman_mean,
            s.spearman_min,
            s.top_overlap_mean * 100.0,
            s.top,
            s.top
        )));
    }
    if !r.notes.is_empty() {
        blocks.push(Block::List {
            items: r.notes.clone(),
        });
    }
    charts(&mut blocks, crate::rank::charts(r, top.min(20))?, &|f| {
        if f.contains("stability") {
            "Rank percentiles under perturbed weights".into()
        } else {
            "Score by criterion group".into()
        }
    });
    Ok(Section {
        heading: "1. National ranking".into(),
        blocks,
    })
}

fn removal_section(p: &RemovalProgramme) -> Result<Section, PlanError> {
    let mut blocks = vec![paragraph(format!(
        "{} TMFs lie inside a settlement or within {} km of its edge. Most urgent first (inside a settlement, then urgency = exposure and hazard). The removal option is reprocessing when its NPV (P50) beats relocation to an engineered facility. Net: {} M USD ({} reprocessed, {} relocated); {} people at risk within the hazard radius (counted per TMF); {} of material.",
        p.rows.len(),
        p.near_km,
        musd(p.net_total_usd),
        p.reprocess_count,
        p.relocate_count,
        people(p.population_at_risk_total),
        format_tonnes(p.tonnes_total)
    ))];
    blocks.push(table(
        "Residential-area removal programme (USD in millions; negative = cost)",
        &[
            "#",
            "ID",
            "name",
            "settlement",
            "inside / edge km",
            "people at risk",
            "hazard",
            "GISTM class",
            "urgency",
            "tonnage",
            "reprocess NPV",
            "relocation cost",
            "option",
            "net",
        ],
        p.rows
            .iter()
            .map(|r| {
                vec![
                    r.order.to_string(),
                    r.external_id.clone(),
                    r.name.clone(),
                    r.settlement.clone().unwrap_or_else(|| "-".into()),
                    if r.inside_settlement {
                        "inside".into()
                    } else {
                        r.edge_distance_km.map_or("-".into(), |d| format!("{d:.2}"))
                    },
                    people(r.population_at_risk),
                    format!("{:.2}", r.hazard_index),
                    r.consequence_class.label().into(),
                    format!("{:.2}", r.urgency),
                    r.tonnage_t.map_or("-".into(), format_tonnes),
                    opt_musd(r.reprocess_npv_usd),
                    opt_musd(r.relocation_cost_usd.map(|c| -c)),
                    format!("{:?}", r.option).to_lowercase(),
                    opt_musd(r.net_usd),
                ]
            })
            .collect(),
    ));
    charts(&mut blocks, crate::removal::charts(p)?, &|_| {
        "Value of reprocessing against the cost of relocation, most urgent first".into()
    });
    Ok(Section {
        heading: "2. Removal of TMFs from residential areas".into(),
        blocks,
    })
}

fn roadmap_section(r: &Roadmap, top: usize) -> Result<Section, PlanError> {
    let mut blocks = vec![table(
        "Contained rare and critical metals in the registry (tonnes as reported: oxide for TREO, element otherwise)",
        &[
            "commodity",
            "rare earth",
            "contained",
            "TMFs",
            "largest region",
        ],
        r.totals
            .iter()
            .filter(|t| t.contained_t > 0.0)
            .map(|t| {
                let largest = t
                    .by_region
                    .iter()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or("-".into(), |(g, v)| {
                        format!("{} ({})", g.label_en(), format_tonnes(*v))
                    });
                vec![
                    t.commodity.to_string(),
                    if t.rare_earth {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    format_tonnes(t.contained_t),
                    t.tmfs.to_string(),
                    largest,
                ]
            })
            .collect(),
    )];
    blocks.push(table(
        format!(
            "Candidates by national rank ({} in all, first {} shown)",
            r.candidates.len(),
            top.min(r.candidates.len())
        ),
        &[
            "rank",
            "ID",
            "name",
            "region",
            "contained",
            "route",
            "TRL",
            "timeline",
            "production",
        ],
        r.candidates
            .iter()
            .take(top)
            .map(|c| {
                vec![
                    c.national_rank.map_or("-".into(), |r| r.to_string()),
                    c.external_id.clone(),
                    c.name.clone(),
                    c.region.label_en().into(),
                    c.commodities
                        .iter()
                        .map(|(k, v)| format!("{k} {}", format_tonnes(*v)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    c.route.clone(),
                    c.trl.to_string(),
                    {
                        let mut steps: Vec<String> = c.delay_reasons.clone();
                        steps.extend(
                            c.phases
                                .iter()
                                .map(|p| format!("{} {}-{}", p.name, p.from_year, p.to_year)),
                        );
                        steps.join("; ")
                    },
                    c.production_from.to_string(),
                ]
            })
            .collect(),
    ));
    let all = crate::roadmap::charts(r)?;
    // The timeline and the three commodities with most TMFs; the rest are in the chart folder.
    let mut by_tmfs: Vec<&crate::roadmap::CommodityTotal> =
        r.totals.iter().filter(|t| t.contained_t > 0.0).collect();
    by_tmfs.sort_by_key(|t| std::cmp::Reverse(t.tmfs));
    let keep: Vec<String> = by_tmfs
        .iter()
        .take(3)
        .map(|t| format!("roadmap-{}.svg", t.commodity))
        .chain(["roadmap-timeline.svg".to_string()])
        .collect();
    charts(
        &mut blocks,
        all.into_iter().filter(|(f, _)| keep.contains(f)).collect(),
        &|f| {
            if f.contains("timeline") {
                "Candidates in development and in production by year".into()
            } else {
                "Contained metal by region".into()
            }
        },
    );
    Ok(Section {
        heading: "3. Rare and rare-earth metals roadmap".into(),
        blocks,
    })
}

fn scenario_section(s: &Scenarios) -> Result<Section, PlanError> {
    let g = &s.generation;
    let mut blocks = vec![paragraph(format!(
        "Start stock {} to {} bn t (base {}) in {}: each published figure carried to {} with the base generation net of today's reprocessing. Generation {}-{} Mt/yr (base {}; {}, {}, confidence {}). Today about {:.0}% reprocessed ({}, {}).",
        fmt_bn(s.start_stock_t[0]),
        fmt_bn(s.start_stock_t[2]),
        fmt_bn(s.start_stock_t[1]),
        s.base_year,
        s.base_year,
        g.low,
        g.high,
        g.base,
        g.source,
        g.date,
        g.confidence,
        s.reprocessed_share.value * 100.0,
        s.reprocessed_share.source,
        s.reprocessed_share.date
    ))];
    blocks.push(table(
        "Published stock figures",
        &[
            "figure",
            "year",
            "source",
            "confidence",
            "carried to base year",
        ],
        s.start_stock_estimates
            .iter()
            .map(|(v, f)| {
                vec![
                    format!("{} bn t", f.value_bn_t),
                    f.year.to_string(),
                    f.source.clone(),
                    f.confidence.clone(),
                    format!("{} bn t", fmt_bn(*v)),
                ]
            })
            .collect(),
    ));
    let at = |r: &crate::scenario::ScenarioResult, year: i32| {
        r.years
            .iter()
            .find(|y| y.year == year)
            .map_or("-".into(), |y| {
                format!(
                    "{} ({}-{})",
                    fmt_bn(y.stock_t[1]),
                    fmt_bn(y.stock_t[0]),
                    fmt_bn(y.stock_t[2])
                )
            })
    };
    blocks.push(table(
        "Stock by scenario, bn t: base (low-high)",
        &[
            "scenario",
            "2030",
            "2040",
            "2050",
            "reprocessed 2026-2050",
            "of which projects",
        ],
        s.results
            .iter()
            .map(|r| {
                vec![
                    format!("{}: {}", r.name, r.label),
                    at(r, 2030),
                    at(r, 2040),
                    at(r, s.end_year),
                    format!("{} bn t", fmt_bn(r.reprocessed_total_t)),
                    format_tonnes(r.projects_total_t),
                ]
            })
            .collect(),
    ));
    charts(&mut blocks, crate::scenario::charts(s)?, &|f| {
        if f.contains("stock") {
            "National stock by scenario".into()
        } else {
            "Tonnes reprocessed per year".into()
        }
    });
    Ok(Section {
        heading: "4. National stock and flow scenarios".into(),
        blocks,
    })
}

fn fmt_bn(t: f64) -> String {
    format!("{:.2}", t / 1e9)
}

fn objective_text(v: f64, o: crate::schedule::Objective) -> String {
    match o {
        crate::schedule::Objective::Npv => format!("{} M USD", musd(v)),
        crate::schedule::Objective::Tonnes => format_tonnes(v),
        crate::schedule::Objective::Exposure => format!("{v:.0} person-years"),
    }
}

fn schedule_section(
    c: &Comparison,
    s: &ScheduleSettings,
    top: usize,
) -> Result<Section, PlanError> {
    let mut blocks = vec![Block::List {
        items: vec![
            format!("objective: {:?} (maximised)", s.objective).to_lowercase(),
            format!("start years {}-{}", s.first_year, s.last_year),
            format!(
                "capital budget {} M USD per year",
                musd(s.annual_budget_usd)
            ),
            format!(
                "regional processing capacity {} Mt/yr (unless set per region)",
                s.default_capacity_tpa / 1e6
            ),
            format!(
                "residential first: {}; explicit precedence pairs: {}",
                if s.residential_first { "yes" } else { "no" },
                s.precedence.len()
            ),
            format!(
                "solver {} ({}), time limit {} s, gap tolerance {:.2}%",
                c.solver,
                c.status,
                s.time_limit_s,
                s.mip_rel_gap * 100.0
            ),
        ],
    }];
    blocks.push(table(
        "MILP against greedy by rank",
        &[
            "method",
            "objective",
            "projects",
            "capital",
            "tonnes in horizon",
            "time",
            "gap",
        ],
        [
            (&c.milp, c.solve_seconds, format!("{:.3}%", c.gap * 100.0)),
            (&c.greedy, c.greedy_seconds, "-".into()),
        ]
        .iter()
        .map(|(sched, secs, gap)| {
            vec![
                sched.method.clone(),
                objective_text(sched.objective_value, sched.objective),
                sched.starts.len().to_string(),
                format!("{} M USD", musd(sched.capex_by_year.values().sum())),
                format_tonnes(sched.tonnes_by_year.values().sum()),
                format!("{secs:.2} s"),
                gap.clone(),
            ]
        })
        .collect(),
    ));
    if !c.violations.is_empty() {
        blocks.push(Block::List {
            items: c.violations.clone(),
        });
    }
    blocks.push(table(
        format!(
            "MILP schedule (first {} starts)",
            top.min(c.milp.starts.len())
        ),
        &["start", "ID", "region", "capital, M USD", "objective value"],
        c.milp
            .starts
            .iter()
            .take(top)
            .map(|x| {
                vec![
                    x.year.to_string(),
                    x.external_id.clone(),
                    x.region.label_en().into(),
                    musd(x.capex_usd),
                    objective_text(x.objective_value, c.milp.objective),
                ]
            })
            .collect(),
    ));
    charts(&mut blocks, crate::schedule::charts(c, s)?, &|f| {
        if f.contains("capex") {
            "Capital committed by year".into()
        } else {
            "Tonnes reprocessed by year".into()
        }
    });
    Ok(Section {
        heading: "5. Reprocessing schedule".into(),
        blocks,
    })
}

/// The national report.
pub fn national(i: &NationalInputs<'_>) -> Result<Document, PlanError> {
    let tonnage: f64 = i.tmfs.iter().filter_map(|t| t.tonnage_t).sum();
    let top5: Vec<String> = i
        .ranking
        .rows
        .iter()
        .take(5)
        .map(|r| format!("{} {}", r.external_id, r.name))
        .collect();
    let summary = Section {
        heading: "Summary".into(),
        blocks: vec![Block::List {
            items: vec![
                format!(
                    "{} TMFs in the registry, {} of recorded tonnage; {} valued",
                    i.tmfs.len(),
                    format_tonnes(tonnage),
                    i.tmfs.iter().filter(|t| t.valuation.is_some()).count()
                ),
                format!("highest priority: {}", top5.join("; ")),
                format!(
                    "{} TMFs in or within {} km of settlements; removing them all nets {} M USD",
                    i.removal.rows.len(),
                    i.removal.near_km,
                    musd(i.removal.net_total_usd)
                ),
                format!(
                    "{} rare-metal candidates; the first in production from {}",
                    i.roadmap.candidates.len(),
                    i.roadmap
                        .candidates
                        .iter()
                        .map(|c| c.production_from)
                        .min()
                        .map_or("-".into(), |y| y.to_string())
                ),
                format!(
                    "optimised schedule: {} against {} for greedy by rank ({}, gap {:.3}%)",
                    objective_text(i.schedule.milp.objective_value, i.schedule.milp.objective),
                    objective_text(
                        i.schedule.greedy.objective_value,
                        i.schedule.greedy.objective
                    ),
                    i.schedule.solver,
                    i.schedule.gap * 100.0
                ),
            ],
        }],
    };
    let sources = Section {
        heading: "Sources and assumptions".into(),
        blocks: vec![Block::List {
            items: vec![
                source_line("ranking weights and hazard rules", &i.ranking.provenance),
                source_line("relocation costs", &i.removal.provenance),
                source_line("rare-metal routes", &i.roadmap.provenance),
                source_line("national stock", &i.scenarios.provenance),
                "Valuations: each TMF's latest stored valuation, or one computed for this report (not stored), as listed per TMF in the fact sheets.".into(),
                "Exposure: settlements from GeoNames (CC-BY 4.0) modelled as disks of uniform density; population at risk is the population within the hazard radius, a proxy for GISTM 2020's population at risk.".into(),
            ],
        }],
    };
    Ok(Document {
        title: "Technogenic mineral formations of Kazakhstan: national priorities and roadmap"
            .into(),
        subtitle: format!("Qaita national report; {}", i.made_from),
        label: i.label.clone(),
        sections: vec![
            summary,
            ranking_section(i.ranking, i.top)?,
            removal_section(i.removal)?,
            roadmap_section(i.roadmap, i.top)?,
            scenario_section(i.scenarios)?,
            schedule_section(i.schedule, i.schedule_settings, i.top)?,
            sources,
        ],
    })
}

/// Everything a TMF's fact sheet shows.
pub struct FactSheetInputs<'a> {
    pub tmf: &'a PlanTmf,
    /// Every figure with its provenance (current and conflicting).
    pub figures: &'a [Figure],
    pub ranking: &'a Ranking,
    pub removal: Option<&'a RemovalProgramme>,
    pub roadmap: Option<&'a Roadmap>,
    pub schedule: Option<&'a Comparison>,
    pub made_from: String,
    pub label: String,
}

fn figure_value(f: &Figure) -> String {
    match f.field {
        FigureField::Tonnage => {
            format!("{} {} ({})", f.value, f.unit, format_tonnes(f.canonical()))
        }
        _ => format!("{} {}", f.value, f.unit),
    }
}

/// A TMF's fact sheet.
pub fn fact_sheet(i: &FactSheetInputs<'_>) -> Result<Document, PlanError> {
    let t = i.tmf;
    let row = i
        .ranking
        .row(t.id)
        .ok_or_else(|| PlanError::Setting(format!("{} is not in the ranking", t.external_id)))?;
    let mut sections = Vec::new();
    sections.push(Section {
        heading: "Identity".into(),
        blocks: vec![table(
            "Registry record",
            &["attribute", "value"],
            vec![
                vec!["registry id".into(), t.id.to_string()],
                vec!["external id".into(), t.external_id.clone()],
                vec!["region".into(), t.region.label_en().into()],
                vec!["kind".into(), t.kind.label_en().into()],
                vec!["status".into(), t.status.label_en().into()],
                vec!["legal class".into(), t.legal_class.label_en().into()],
                vec![
                    "owner".into(),
                    if t.owner_known {
                        "known".into()
                    } else {
                        "unknown".into()
                    },
                ],
                vec![
                    "tonnage".into(),
                    t.tonnage_t.map_or("-".into(), format_tonnes),
                ],
                vec![
                    "resource estimate".into(),
                    t.resource_class.map_or("none".into(), |c| c.code().into()),
                ],
                vec![
                    "hazard notes".into(),
                    t.hazard_notes.clone().unwrap_or_else(|| "-".into()),
                ],
            ],
        )],
    });
    sections.push(Section {
        heading: "Figures and their sources".into(),
        blocks: vec![table(
            "Every figure held, current and from other sources",
            &[
                "field",
                "value",
                "current",
                "source",
                "date",
                "method",
                "confidence",
            ],
            i.figures
                .iter()
                .map(|f| {
                    vec![
                        f.field.column(),
                        figure_value(f),
                        if f.current { "yes".into() } else { "no".into() },
                        f.provenance.source.clone(),
                        f.provenance.date.map_or("-".into(), |d| d.to_string()),
                        f.provenance.method.clone().unwrap_or_else(|| "-".into()),
                        format!(
                            "{}{}",
                            f.provenance.confidence.code(),
                            if f.provenance.illustrative {
                                ", illustrative"
                            } else {
                                ""
                            }
                        ),
                    ]
                })
                .collect(),
        )],
    });
    let contained: Vec<String> = t
        .contained_t
        .iter()
        .map(|(c, v)| format!("{c} {}", format_tonnes(*v)))
        .collect();
    if !contained.is_empty() {
        sections
            .last_mut()
            .expect("just pushed")
            .blocks
            .push(paragraph(format!(
                "Contained (tonnage x grade): {}",
                contained.join(", ")
            )));
    }
    let mut blocks = vec![paragraph(format!(
        "National rank {} of {} with score {:.3}{}.",
        row.rank,
        i.ranking.rows.len(),
        row.score,
        row.stability.map_or(String::new(), |s| format!(
            "; under perturbed weights its rank stays within {}-{} (P5-P95) and it stays in the top {} in {:.0}% of draws",
            s.rank_p05,
            s.rank_p95,
            i.ranking.stability.as_ref().map_or(0, |x| x.top),
            s.top_probability * 100.0
        ))
    ))];
    blocks.push(table(
        "How the score is made",
        &[
            "group",
            "indicator",
            "raw value",
            "score 0..1",
            "weight",
            "points",
        ],
        row.parts
            .iter()
            .map(|p| {
                vec![
                    p.group.into(),
                    p.indicator.clone(),
                    p.raw.map_or("missing".into(), |v| {
                        if v.abs() >= 1e4 {
                            format!("{v:.3e}")
                        } else {
                            format!("{v:.3}")
                        }
                    }),
                    format!("{:.3}", p.score),
                    format!("{:.3}", p.weight),
                    format!("{:.4}", p.contribution),
                ]
            })
            .collect(),
    ));
    let groups: Vec<String> = row.groups.keys().map(|g| g.to_string()).collect();
    let median = |g: &str| {
        let mut v: Vec<f64> = i
            .ranking
            .rows
            .iter()
            .map(|r| r.groups.get(g).copied().unwrap_or(0.0))
            .collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    blocks.push(Block::Chart {
        caption: "Points by criterion group, this TMF against the national median".into(),
        file: format!("{}-score.svg", file_stem(&t.external_id)),
        svg: qaita_charts::grouped_bars_svg(
            &format!("{}: score by criterion group", t.external_id),
            "points",
            &groups,
            &[
                (
                    t.external_id.clone(),
                    groups.iter().map(|g| row.groups[g.as_str()]).collect(),
                ),
                (
                    "national median".into(),
                    groups.iter().map(|g| median(g)).collect(),
                ),
            ],
        )?,
    });
    sections.push(Section {
        heading: "Priority".into(),
        blocks,
    });
    let p = &t.proximity;
    let h = &row.hazard;
    sections.push(Section {
        heading: "Exposure and hazard".into(),
        blocks: vec![
            paragraph(format!(
                "Nearest settlement: {}{}; {}. Population within: {}. Hazard index {:.2}; GISTM 2020 consequence class (population-at-risk proxy, {:.0} people): {}.",
                p.nearest_settlement.clone().unwrap_or_else(|| "none within reach".into()),
                p.nearest_population.map_or(String::new(), |n| format!(" (population {n})")),
                if p.inside_settlement {
                    "inside its modelled built-up area".to_string()
                } else {
                    p.edge_distance_km
                        .map_or("distance unknown".into(), |d| format!("{d:.2} km from its edge"))
                },
                p.population_within
                    .iter()
                    .map(|(r, n)| format!("{r} km: {n:.0}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                h.index,
                h.population_at_risk,
                h.consequence_class.label()
            )),
            table(
                "Hazard factors",
                &["factor", "adds"],
                h.factors
                    .iter()
                    .map(|(f, v)| vec![f.clone(), format!("{v:+.2}")])
                    .collect(),
            ),
        ],
    });
    sections.push(Section {
        heading: "Economics".into(),
        blocks: vec![match &t.valuation {
            None => paragraph(
                "No valuation: no tonnage, or no processing route fits its kind and commodities.",
            ),
            Some(v) => table(
                format!("Valuation ({})", v.basis),
                &["measure", "value"],
                vec![
                    vec!["route".into(), v.route.clone()],
                    vec![
                        "NPV (deterministic)".into(),
                        format!("{} M USD", musd(v.npv_usd)),
                    ],
                    vec![
                        "NPV P10 / P50 / P90".into(),
                        format!(
                            "{} / {} / {} M USD",
                            opt_musd(v.npv_p10_usd),
                            opt_musd(v.npv_p50_usd),
                            opt_musd(v.npv_p90_usd)
                        ),
                    ],
                    vec![
                        "P(NPV > 0)".into(),
                        v.probability_positive
                            .map_or("-".into(), |p| format!("{:.0}%", p * 100.0)),
                    ],
                    vec![
                        "initial capital".into(),
                        format!("{} M USD", musd(v.capex_usd)),
                    ],
                    vec![
                        "capacity".into(),
                        format!("{} /yr", format_tonnes(v.capacity_tpa)),
                    ],
                    vec![
                        "discount rate, MET coefficient".into(),
                        format!(
                            "{:.1}% real, {}",
                            v.discount_rate * 100.0,
                            v.met_coefficient
                        ),
                    ],
                ],
            ),
        }],
    });
    let mut programme = Vec::new();
    if let Some(r) = i.removal.and_then(|p| p.rows.iter().find(|r| r.id == t.id)) {
        programme.push(format!(
            "Residential removal programme: number {} of {}; option {:?}, net {} M USD.",
            r.order,
            i.removal.map_or(0, |p| p.rows.len()),
            r.option,
            opt_musd(r.net_usd)
        ));
    }
    if let Some(c) = i
        .roadmap
        .and_then(|r| r.candidates.iter().find(|c| c.id == t.id))
    {
        programme.push(format!(
            "Rare-metal roadmap: {} (TRL {}); {}; production from {}.",
            c.route,
            c.trl,
            c.phases
                .iter()
                .map(|p| format!("{} {}-{}", p.name, p.from_year, p.to_year))
                .collect::<Vec<_>>()
                .join(", "),
            c.production_from
        ));
    }
    if let Some(c) = i.schedule {
        let start = |s: &crate::schedule::Schedule| {
            s.starts
                .iter()
                .find(|x| x.id == t.id)
                .map_or("not scheduled".to_string(), |x| {
                    format!("starts {}", x.year)
                })
        };
        programme.push(format!(
            "Reprocessing schedule: {} ({}); greedy by rank: {}.",
            start(&c.milp),
            c.milp.method,
            start(&c.greedy)
        ));
    }
    if programme.is_empty() {
        programme
            .push("Not in the removal programme, the rare-metal roadmap or the schedule.".into());
    }
    sections.push(Section {
        heading: "In the national programmes".into(),
        blocks: vec![Block::List { items: programme }],
    });
    Ok(Document {
        title: format!("{}: {}", t.external_id, t.name),
        subtitle: format!("Qaita fact sheet; {}", i.made_from),
        label: i.label.clone(),
        sections,
    })
}

/// A file-name-safe form of an id.
pub fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document {
            title: "Test <report>".into(),
            subtitle: "sub".into(),
            label: "ILLUSTRATIVE".into(),
            sections: vec![Section {
                heading: "One".into(),
                blocks: vec![
                    paragraph("Text with # and * and $ and \"quotes\" & <tags>"),
                    Block::List {
                        items: vec!["a".into(), "b".into()],
                    },
                    table("T", &["x", "y"], vec![vec!["1".into(), "ä".into()]]),
                    Block::Chart {
                        caption: "c".into(),
                        file: "c.svg".into(),
                        svg: qaita_charts::grouped_bars_svg(
                            "bars",
                            "M USD",
                            &["a".into()],
                            &[("s".into(), vec![1.0])],
                        )
                        .unwrap(),
                    },
                ],
            }],
        }
    }

    #[test]
    fn html_escapes_text_and_inlines_charts() {
        let html = sample().to_html();
        assert!(html.contains("Test &lt;report&gt;"));
        assert!(html.contains("&amp; &lt;tags&gt;"));
        assert!(html.contains("<svg") && html.contains("<figcaption>c</figcaption>"));
        assert!(html.contains("<td>ä</td>"));
    }

    #[test]
    fn pdf_is_typeset_with_markup_characters_kept_as_text() {
        let pdf = sample().to_pdf().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() > 5000);
    }
}
