//! Human-readable tables. JSON output is serde's, unchanged.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use qaita_model::StoredTmf;
use qaita_model::stats::{Stats, Summary};
use qaita_model::units::format_tonnes;
use qaita_risk::proximity::{Proximity, ProximityConfig};
use qaita_store::AuditEntry;
use serde::Serialize;

use qaita_app::proximity::ProximityRow;

pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    use std::io::Write;
    // Stdout is line-buffered; pretty JSON of a million objects would be millions of writes.
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.iter().map(Cell::new));
    t
}

pub(crate) fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

pub fn print_list(tmfs: &[StoredTmf]) {
    let mut t = table(&[
        "id",
        "external id",
        "name",
        "kind",
        "region",
        "status",
        "tonnage",
        "commodities",
        "owner",
    ]);
    for s in tmfs {
        let tmf = &s.tmf;
        t.add_row(vec![
            right(s.id),
            Cell::new(&tmf.external_id),
            Cell::new(&tmf.names.name),
            Cell::new(tmf.kind.code()),
            Cell::new(tmf.region.label_en()),
            Cell::new(tmf.status.code()),
            right(
                tmf.tonnage_t()
                    .map(format_tonnes)
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::new(
                tmf.commodities()
                    .iter()
                    .map(|c| c.code())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Cell::new(tmf.owner.as_deref().unwrap_or("unknown")),
        ]);
    }
    println!("{t}");
    println!("{} TMFs", tmfs.len());
}

/// Contained commodity in a readable unit: kg below a tonne (precious metals), else t, kt, Mt.
fn contained_text(_code: &str, tonnes: f64) -> String {
    if tonnes < 1.0 {
        format!("{:.1} kg", tonnes * 1000.0)
    } else {
        format_tonnes(tonnes)
    }
}

pub fn print_show(stored: &StoredTmf, proximity: &Proximity) {
    let tmf = &stored.tmf;
    println!(
        "{} — {} (id {}, version {})",
        tmf.external_id, tmf.names.name, stored.id, stored.version
    );
    let mut t = table(&["attribute", "value"]);
    let rows: Vec<(&str, String)> = vec![
        ("name (kk)", or_dash(tmf.names.name_kk.as_deref())),
        ("name (ru)", or_dash(tmf.names.name_ru.as_deref())),
        (
            "kind",
            format!("{} ({})", tmf.kind.label_en(), tmf.family.label_en()),
        ),
        ("region", tmf.region.label_en().to_string()),
        ("status", tmf.status.label_en().to_string()),
        ("legal class", tmf.legal_class.label_en().to_string()),
        (
            "owner",
            tmf.owner.clone().unwrap_or_else(|| "unknown".into()),
        ),
        ("operator", or_dash(tmf.operator.as_deref())),
        (
            "source enterprise",
            or_dash(tmf.source_enterprise.as_deref()),
        ),
        (
            "location",
            format!(
                "{:.5} E, {:.5} N{}",
                tmf.location.lon,
                tmf.location.lat,
                if tmf.footprint.is_some() {
                    " (with footprint)"
                } else {
                    ""
                }
            ),
        ),
        (
            "accumulated",
            match (tmf.accumulation_from, tmf.accumulation_to) {
                (Some(a), Some(b)) => format!("{a}-{b}"),
                (Some(a), None) => format!("since {a}"),
                (None, Some(b)) => format!("until {b}"),
                (None, None) => "-".into(),
            },
        ),
        ("hazard notes", or_dash(tmf.hazard_notes.as_deref())),
    ];
    for (k, v) in rows {
        t.add_row(vec![Cell::new(k), Cell::new(v)]);
    }
    for (scheme, id) in &tmf.other_ids {
        t.add_row(vec![Cell::new(format!("id ({scheme})")), Cell::new(id)]);
    }
    println!("{t}");
    let mut figures = table(&[
        "figure",
        "value",
        "current",
        "source",
        "date",
        "method",
        "confidence",
        "illustrative",
    ]);
    let mut sorted: Vec<_> = tmf.figures.iter().collect();
    sorted.sort_by(|a, b| a.field.cmp(&b.field).then(b.current.cmp(&a.current)));
    for f in sorted {
        figures.add_row(vec![
            Cell::new(f.field.column()),
            right(f.quantity()),
            Cell::new(if f.current { "yes" } else { "" }),
            Cell::new(&f.provenance.source),
            Cell::new(
                f.provenance
                    .date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::new(or_dash(f.provenance.method.as_deref())),
            Cell::new(f.provenance.confidence.code()),
            Cell::new(if f.provenance.illustrative {
                "yes"
            } else {
                "no"
            }),
        ]);
    }
    println!("{figures}");
    let contained: Vec<String> = tmf
        .commodities()
        .into_iter()
        .filter_map(|c| {
            Some(format!(
                "{} {}",
                c,
                contained_text(c.code(), tmf.contained_t(c)?)
            ))
        })
        .collect();
    if !contained.is_empty() {
        println!(
            "contained (current tonnage x current grade): {}",
            contained.join(", ")
        );
    }
    if let Some(n) = &proximity.nearest {
        println!(
            "nearest settlement: {} (pop. {}), {:.2} km from its centre, {}",
            n.name,
            n.population,
            n.centre_distance_km,
            if n.inside {
                "inside its modelled built-up area".to_string()
            } else {
                format!("{:.2} km from its edge", n.edge_distance_km)
            }
        );
        let within: Vec<String> = proximity
            .population_within
            .iter()
            .map(|p| format!("{:.0} within {} km", p.population, p.radius_km))
            .collect();
        println!("people: {}", within.join(", "));
    }
    let other = tmf.figures.iter().filter(|f| !f.current).count();
    if other > 0 {
        println!(
            "{other} non-current figure(s) from other sources are kept beside the current ones"
        );
    }
}

pub fn print_history(stored: &StoredTmf, history: &[AuditEntry]) {
    println!(
        "{} — {}: {} change(s)",
        stored.tmf.external_id,
        stored.tmf.names.name,
        history.len()
    );
    for entry in history {
        println!(
            "#{} {} v{} {} by {}{}",
            entry.id,
            entry.at,
            entry.version,
            entry.action,
            entry.actor,
            entry
                .context
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
        if entry.action == "create" {
            println!("    created with {} fields", entry.changes.len());
            continue;
        }
        for change in &entry.changes {
            let show = |v: &serde_json::Value| -> String {
                let s = match v {
                    serde_json::Value::Null => "-".to_string(),
                    serde_json::Value::String(s) => s.clone(),
                    // A figure: its value and unit, and whether it is the current one.
                    serde_json::Value::Object(o) if o.contains_key("unit") => format!(
                        "{} {}{}",
                        o["value"],
                        o["unit"].as_str().unwrap_or(""),
                        if o["current"].as_bool() == Some(true) {
                            " (current)"
                        } else {
                            ""
                        }
                    ),
                    other => other.to_string(),
                };
                if s.chars().count() > 80 {
                    format!("{}…", s.chars().take(80).collect::<String>())
                } else {
                    s
                }
            };
            println!(
                "    {}: {} -> {}",
                change.field,
                show(&change.before),
                show(&change.after)
            );
        }
    }
}

fn summary_row(name: &str, s: &Summary) -> Vec<Cell> {
    let p = &s.provenance;
    let dated = if p.current_figures == 0 {
        0.0
    } else {
        100.0 * p.with_date as f64 / p.current_figures as f64
    };
    vec![
        Cell::new(name),
        right(s.objects),
        right(format_tonnes(s.tonnage_t)),
        right(s.owner_unknown),
        right(format!("{dated:.0}%")),
        right(p.illustrative),
        right(p.objects_with_conflicting_figures),
    ]
}

pub fn print_stats(stats: &Stats) {
    let columns = |first: &'static str| {
        [
            first,
            "objects",
            "tonnage",
            "owner unknown",
            "figures dated",
            "illustrative figures",
            "conflicting",
        ]
    };
    let mut national = table(&columns(""));
    national.add_row(summary_row("Kazakhstan", &stats.national));
    println!("{national}");
    let mut regions = table(&columns("region"));
    for (region, s) in &stats.by_region {
        regions.add_row(summary_row(region.label_en(), s));
    }
    println!("{regions}");
    let mut kinds = table(&columns("kind"));
    for (kind, s) in &stats.by_kind {
        kinds.add_row(summary_row(kind.label_en(), s));
    }
    println!("{kinds}");
    // Contained commodity nationally and per region, one column per commodity.
    let mut commodities: Vec<_> = stats.national.contained.keys().collect();
    commodities.sort_by_key(|c| {
        let usual = qaita_io::flat::USUAL_COMMODITIES
            .iter()
            .position(|u| *u == c.code());
        (usual.unwrap_or(usize::MAX), c.code().to_string())
    });
    let mut header = vec!["contained".to_string()];
    header.extend(commodities.iter().map(|c| c.code().to_string()));
    let mut contained = Table::new();
    contained.load_preset(UTF8_FULL_CONDENSED);
    contained.set_header(header);
    let row = |name: &str, summary: &Summary| {
        let mut cells = vec![Cell::new(name)];
        cells.extend(commodities.iter().map(|c| {
            right(
                summary
                    .contained
                    .get(*c)
                    .map_or("-".to_string(), |v| contained_text(c.code(), v.tonnes)),
            )
        }));
        cells
    };
    contained.add_row(row("Kazakhstan", &stats.national));
    for (region, summary) in &stats.by_region {
        contained.add_row(row(region.label_en(), summary));
    }
    println!("{contained}");
    let conf: Vec<String> = stats
        .national
        .provenance
        .by_confidence
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!("current figures by confidence: {}", conf.join(", "));
}

pub fn print_proximity(rows: &[ProximityRow], config: &ProximityConfig, source: &str) {
    let mut header: Vec<String> = [
        "id",
        "external id",
        "name",
        "nearest settlement",
        "from centre",
        "from edge",
    ]
    .map(String::from)
    .to_vec();
    header.extend(config.radii_km.iter().map(|r| format!("pop. ≤{r} km")));
    header.push(format!("≤{} km", config.near_km));
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    for r in rows {
        let p = &r.proximity;
        let mut cells = vec![right(r.id), Cell::new(&r.external_id), Cell::new(&r.name)];
        match &p.nearest {
            Some(n) => cells.extend([
                Cell::new(format!("{} ({})", n.name, n.population)),
                right(format!("{:.2} km", n.centre_distance_km)),
                right(if n.inside {
                    "inside".into()
                } else {
                    format!("{:.2} km", n.edge_distance_km)
                }),
            ]),
            None => cells.extend([Cell::new("-"), Cell::new("-"), Cell::new("-")]),
        }
        cells.extend(
            p.population_within
                .iter()
                .map(|w| right(format!("{:.0}", w.population))),
        );
        cells.push(Cell::new(if p.near_settlement { "YES" } else { "" }));
        t.add_row(cells);
    }
    println!("{t}");
    println!(
        "{} TMFs; settlements: {source}; built-up area modelled at {} people/km²",
        rows.len(),
        config.urban_density_per_km2
    );
}
