//! The flat (one row per TMF) layout shared by CSV, XLSX and GeoJSON properties.
//!
//! Columns (case-insensitive, any order): `external_id` (required), `name`, `name_kk`, `name_ru`,
//! `kind`, `family`, `region`, `operator`, `owner`, `source_enterprise`, `lon`, `lat`,
//! `footprint` (WKT or GeoJSON), `area`, `volume`, `tonnage`, `density`, `grade_<commodity>`,
//! `accumulation_from`, `accumulation_to`, `status`, `legal_class`, `hazard_notes`, `id_<scheme>`,
//! and the row's provenance `source`, `source_date`, `method`, `confidence`, `illustrative`,
//! `source_note`. A figure column may override the row's provenance with
//! `<column>_source`, `<column>_source_date`, ... A unit may be named in the header
//! (`tonnage [Mt]`) or in the cell (`14.5 Mt`).

use std::collections::BTreeMap;

use qaita_model::geometry::parse_footprint;
use qaita_model::{
    Confidence, DecimalSeparator, FigureField, ImportRecord, Location, Origin, Problem, Provenance,
    Quantity, SourceDate, Tmf, Unit,
};

/// Attribute columns, in export order.
pub const ATTRIBUTE_COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "name_kk",
    "name_ru",
    "kind",
    "family",
    "region",
    "operator",
    "owner",
    "source_enterprise",
    "lon",
    "lat",
    "footprint",
];

/// Columns after the figures, in export order.
pub const TRAILING_COLUMNS: &[&str] = &[
    "accumulation_from",
    "accumulation_to",
    "status",
    "legal_class",
    "hazard_notes",
];

/// Provenance parts: the row-level column name and the suffix of a per-figure override.
pub const PROVENANCE_PARTS: &[&str] = &[
    "source",
    "source_date",
    "method",
    "confidence",
    "illustrative",
    "source_note",
];

/// Grade columns written first, in this order; others follow alphabetically.
pub const USUAL_COMMODITIES: &[&str] = &[
    "Cu", "Zn", "Pb", "Au", "Ag", "Fe", "Cr2O3", "Mn", "TREO", "Sc", "Ga", "V", "U", "TiO2", "P2O5",
];

/// What a column holds.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    Attribute(&'static str),
    Figure(FigureField, Option<Unit>),
    RowProvenance(&'static str),
    FigureProvenance(FigureField, &'static str),
    OtherId(String),
    /// Written by `--rejects`; ignored when a rejects file is fixed and imported again.
    Ignored,
}

/// The columns of a file, understood.
#[derive(Debug, Clone)]
pub struct Header {
    roles: Vec<Role>,
    pub names: Vec<String>,
}

fn figure_column(name: &str) -> Option<FigureField> {
    match name {
        "area" | "volume" | "tonnage" | "density" => name.parse().ok(),
        _ => {
            let code = name.strip_prefix("grade_")?;
            code.parse().ok().map(FigureField::Grade)
        }
    }
}

impl Header {
    /// Understand a header row; every unknown or malformed column is a problem.
    pub fn parse(file: &str, names: &[String]) -> Result<Header, Vec<Problem>> {
        let mut roles = Vec::with_capacity(names.len());
        let mut problems = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, raw) in names.iter().enumerate() {
            let raw = raw.trim().trim_start_matches('\u{feff}');
            let (name, unit) = match raw.find('[') {
                Some(open) if raw.ends_with(']') => (
                    raw[..open].trim(),
                    Some(raw[open + 1..raw.len() - 1].trim()),
                ),
                _ => (raw, None),
            };
            // Grade codes keep their case (Cr2O3); everything else is case-insensitive.
            let lower = match name
                .strip_prefix("grade_")
                .or_else(|| name.strip_prefix("GRADE_"))
            {
                Some(code) => format!("grade_{code}"),
                None => name.to_lowercase(),
            };
            let column_problem = |reason: String| Problem {
                file: file.to_string(),
                unit: "column",
                row: Some(i + 1),
                field: Some(raw.to_string()),
                reason,
            };
            if let Some(first) = seen.insert(lower.clone(), i + 1) {
                problems.push(column_problem(format!(
                    "column '{name}' appears twice (columns {first} and {})",
                    i + 1
                )));
            }
            let role = if let Some(attr) = ATTRIBUTE_COLUMNS
                .iter()
                .chain(TRAILING_COLUMNS)
                .find(|c| **c == lower)
            {
                Role::Attribute(attr)
            } else if let Some(part) = PROVENANCE_PARTS.iter().find(|p| **p == lower) {
                Role::RowProvenance(part)
            } else if let Some(field) = figure_column(&lower) {
                let unit = match unit.map(str::parse::<Unit>) {
                    None => None,
                    Some(Ok(u)) if u.dimension() == field.dimension() => Some(u),
                    Some(Ok(u)) => {
                        problems.push(column_problem(format!(
                            "unit {u} is {}, expected {}",
                            u.dimension().describe(),
                            field.dimension().describe()
                        )));
                        None
                    }
                    Some(Err(e)) => {
                        problems.push(column_problem(e.to_string()));
                        None
                    }
                };
                Role::Figure(field, unit)
            } else if let Some((field, part)) = PROVENANCE_PARTS.iter().find_map(|part| {
                let prefix = lower.strip_suffix(&format!("_{part}"))?;
                figure_column(prefix).map(|f| (f, *part))
            }) {
                Role::FigureProvenance(field, part)
            } else if let Some(scheme) = lower.strip_prefix("id_").filter(|s| !s.is_empty()) {
                Role::OtherId(scheme.to_string())
            } else if lower == "reject_reason" {
                Role::Ignored
            } else if lower.starts_with("grade_") {
                problems.push(column_problem(format!(
                    "'{}' is not a commodity",
                    &name[6..]
                )));
                Role::Ignored
            } else {
                problems.push(column_problem(format!(
                    "unknown column '{name}' (see the import format in the README: external_id, name, kind, region, lon, lat, tonnage, grade_<commodity>, source, ...)"
                )));
                Role::Ignored
            };
            if unit.is_some() && !matches!(role, Role::Figure(..)) {
                problems.push(column_problem(format!("column '{name}' takes no unit")));
            }
            roles.push(role);
        }
        if !roles.contains(&Role::Attribute("external_id")) {
            problems.push(Problem::whole_file(
                file,
                "no 'external_id' column: every row needs the key it is upserted on",
            ));
        }
        if problems.is_empty() {
            Ok(Header {
                roles,
                names: names.to_vec(),
            })
        } else {
            Err(problems)
        }
    }

    /// Turn one row's cells into a record, or list every problem in it.
    pub fn record(
        &self,
        cells: &[&str],
        origin: &Origin,
        decimal: DecimalSeparator,
    ) -> Result<ImportRecord, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut record = ImportRecord::default();
        let mut row_prov: BTreeMap<&str, &str> = BTreeMap::new();
        let mut figure_prov: BTreeMap<(&FigureField, &str), &str> = BTreeMap::new();
        let mut figures: Vec<(FigureField, Quantity)> = Vec::new();
        let mut lon = None;
        let mut lat = None;
        if cells.len() > self.roles.len() {
            problems.push(Problem::at(
                origin,
                None,
                format!(
                    "{} cells but only {} columns",
                    cells.len(),
                    self.roles.len()
                ),
            ));
        }
        for (role, cell) in self
            .roles
            .iter()
            .zip(cells.iter().copied().chain(std::iter::repeat("")))
        {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let mut fail = |field: &str, reason: String| {
                problems.push(Problem::at(origin, Some(field), reason))
            };
            let text = || Some(cell.to_string());
            match role {
                Role::Ignored => {}
                Role::OtherId(scheme) => {
                    record.other_ids.insert(scheme.clone(), cell.to_string());
                }
                Role::RowProvenance(part) => {
                    row_prov.insert(part, cell);
                }
                Role::FigureProvenance(field, part) => {
                    figure_prov.insert((field, part), cell);
                }
                Role::Figure(field, header_unit) => {
                    match Quantity::parse(cell, *header_unit, decimal)
                        .and_then(|q| q.expect(field.dimension()))
                    {
                        Ok(q) => figures.push((field.clone(), q)),
                        Err(e) => fail(&field.column(), format!("'{cell}': {e}")),
                    }
                }
                Role::Attribute(name) => match *name {
                    "external_id" => record.external_id = cell.to_string(),
                    "name" => record.name = text(),
                    "name_kk" => record.name_kk = text(),
                    "name_ru" => record.name_ru = text(),
                    "operator" => record.operator = text(),
                    "owner" => record.owner = text(),
                    "source_enterprise" => record.source_enterprise = text(),
                    "hazard_notes" => record.hazard_notes = text(),
                    "kind" => {
                        record.kind = cell.parse().map_err(|e| fail(name, format!("{e}"))).ok()
                    }
                    "family" => {
                        record.family = cell.parse().map_err(|e| fail(name, format!("{e}"))).ok()
                    }
                    "region" => {
                        record.region = cell.parse().map_err(|e| fail(name, format!("{e}"))).ok()
                    }
                    "status" => {
                        record.status = cell.parse().map_err(|e| fail(name, format!("{e}"))).ok()
                    }
                    "legal_class" => {
                        record.legal_class =
                            cell.parse().map_err(|e| fail(name, format!("{e}"))).ok()
                    }
                    "lon" | "lat" => match qaita_model::units::parse_number(cell, decimal) {
                        Ok(v) if *name == "lon" => lon = Some(v),
                        Ok(v) => lat = Some(v),
                        Err(e) => fail(name, e.to_string()),
                    },
                    "accumulation_from" | "accumulation_to" => match cell.parse::<i32>() {
                        Ok(y) if *name == "accumulation_from" => record.accumulation_from = Some(y),
                        Ok(y) => record.accumulation_to = Some(y),
                        Err(_) => fail(name, format!("'{cell}' is not a year")),
                    },
                    "footprint" => match parse_footprint(cell) {
                        Ok(f) => record.footprint = Some(f),
                        Err(e) => fail(name, e),
                    },
                    other => fail(other, "column not handled".into()),
                },
            }
        }
        if record.external_id.is_empty() {
            problems.push(Problem::at(
                origin,
                Some("external_id"),
                "empty: every row needs an external id",
            ));
        }
        match (lon, lat) {
            (Some(lon), Some(lat)) => record.location = Some(Location { lon, lat }),
            (None, None) => {}
            _ if problems
                .iter()
                .any(|p| matches!(p.field.as_deref(), Some("lon" | "lat"))) => {}
            (Some(_), None) => {
                problems.push(Problem::at(origin, Some("lat"), "lon given without lat"))
            }
            (None, Some(_)) => {
                problems.push(Problem::at(origin, Some("lon"), "lat given without lon"))
            }
        }
        // The row's provenance is read once; a figure with overrides gets its own.
        let row_provenance =
            (!figures.is_empty()).then(|| build_provenance(|p| row_prov.get(p).copied()));
        if let Some(Err((part, reason))) = &row_provenance
            && *part != "source"
        {
            problems.push(Problem::at(origin, Some(part), reason.clone()));
        }
        for (field, quantity) in figures {
            let column = field.column();
            let overridden = PROVENANCE_PARTS
                .iter()
                .any(|p| figure_prov.contains_key(&(&field, *p)));
            let provenance = if overridden {
                build_provenance(|p| {
                    figure_prov
                        .get(&(&field, p))
                        .or_else(|| row_prov.get(p))
                        .copied()
                })
                .map_err(|(part, reason)| {
                    Problem::at(origin, Some(&format!("{column}_{part}")), reason)
                })
            } else {
                match &row_provenance {
                    Some(Ok(p)) => Ok(p.clone()),
                    Some(Err((part, reason))) if *part == "source" => {
                        Err(Problem::at(origin, Some(&column), reason.clone()))
                    }
                    _ => continue, // already reported once for the row
                }
            };
            match provenance {
                Ok(p) => record.figures.push((field, quantity, p)),
                Err(problem) => problems.push(problem),
            }
        }
        if let Some(location) = record.location {
            problems.extend(
                qaita_model::tmf::validate_location(location)
                    .into_iter()
                    .map(|e| Problem::at(origin, Some(&e.field), e.reason)),
            );
        }
        if problems.is_empty() {
            Ok(record)
        } else {
            Err(problems)
        }
    }
}

/// Provenance from its parts; the error names the part ("source", "source_date", ...).
fn build_provenance<'a>(
    part: impl Fn(&str) -> Option<&'a str>,
) -> Result<Provenance, (&'static str, String)> {
    let source = part("source").ok_or((
        "source",
        "figure has no source: fill the 'source' column".to_string(),
    ))?;
    let date = part("source_date")
        .map(str::parse::<SourceDate>)
        .transpose()
        .map_err(|e| ("source_date", e.to_string()))?;
    let confidence = part("confidence")
        .map(str::parse::<Confidence>)
        .transpose()
        .map_err(|e| ("confidence", e.to_string()))?;
    let illustrative = part("illustrative")
        .map(parse_bool)
        .transpose()
        .map_err(|e| ("illustrative", e))?;
    Ok(Provenance {
        source: source.to_string(),
        date,
        method: part("method").map(str::to_string),
        confidence: confidence.unwrap_or(Confidence::Unverified),
        illustrative: illustrative.unwrap_or(false),
        note: part("source_note").map(str::to_string),
    })
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "да" | "иә" => Ok(true),
        "false" | "no" | "n" | "0" | "нет" | "жоқ" => Ok(false),
        other => Err(format!("'{other}' is not true/false")),
    }
}

/// The columns an export of `tmfs` needs: fixed attributes, each grade present, provenance, and
/// per-figure provenance overrides only where a figure's provenance differs from its row's.
pub fn export_columns(tmfs: &[&Tmf]) -> Vec<String> {
    let mut grades: Vec<String> = Vec::new();
    let mut fields_with_override: Vec<FigureField> = Vec::new();
    let mut other_ids: Vec<String> = Vec::new();
    for tmf in tmfs {
        let row = row_provenance(tmf);
        for f in tmf.figures.iter().filter(|f| f.current) {
            if let FigureField::Grade(c) = &f.field
                && !grades.iter().any(|g| g == c.code())
            {
                grades.push(c.code().to_string());
            }
            if Some(&f.provenance) != row && !fields_with_override.contains(&f.field) {
                fields_with_override.push(f.field.clone());
            }
        }
        for scheme in tmf.other_ids.keys() {
            if !other_ids.contains(scheme) {
                other_ids.push(scheme.clone());
            }
        }
    }
    grades.sort_by_key(|g| {
        (
            USUAL_COMMODITIES
                .iter()
                .position(|u| u == g)
                .unwrap_or(usize::MAX),
            g.clone(),
        )
    });
    fields_with_override.sort();
    other_ids.sort();
    let mut columns: Vec<String> = ATTRIBUTE_COLUMNS.iter().map(|s| s.to_string()).collect();
    columns.extend(["area", "volume", "tonnage", "density"].map(String::from));
    columns.extend(grades.iter().map(|g| format!("grade_{g}")));
    columns.extend(TRAILING_COLUMNS.iter().map(|s| s.to_string()));
    columns.extend(other_ids.iter().map(|s| format!("id_{s}")));
    columns.extend(PROVENANCE_PARTS.iter().map(|s| s.to_string()));
    for field in &fields_with_override {
        columns.extend(
            PROVENANCE_PARTS
                .iter()
                .map(|p| format!("{}_{p}", field.column())),
        );
    }
    columns
}

/// The provenance written in a row's `source`, `source_date`, ... columns: the tonnage figure's,
/// else the first current figure's.
fn row_provenance(tmf: &Tmf) -> Option<&Provenance> {
    tmf.current(&FigureField::Tonnage)
        .or_else(|| tmf.figures.iter().find(|f| f.current))
        .map(|f| &f.provenance)
}

fn provenance_cell(p: &Provenance, part: &str) -> String {
    match part {
        "source" => p.source.clone(),
        "source_date" => p.date.map(|d| d.to_string()).unwrap_or_default(),
        "method" => p.method.clone().unwrap_or_default(),
        "confidence" => p.confidence.code().to_string(),
        "illustrative" => p.illustrative.to_string(),
        "source_note" => p.note.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// One TMF's cells for `columns` (from [`export_columns`]); current figures only.
pub fn export_row(tmf: &Tmf, columns: &[String]) -> Vec<String> {
    let row_prov = row_provenance(tmf);
    columns
        .iter()
        .map(|column| {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            match column.as_str() {
                "external_id" => tmf.external_id.clone(),
                "name" => tmf.names.name.clone(),
                "name_kk" => opt(&tmf.names.name_kk),
                "name_ru" => opt(&tmf.names.name_ru),
                "kind" => tmf.kind.code().to_string(),
                "family" => tmf.family.code().to_string(),
                "region" => tmf.region.code().to_string(),
                "operator" => opt(&tmf.operator),
                "owner" => opt(&tmf.owner),
                "source_enterprise" => opt(&tmf.source_enterprise),
                "lon" => tmf.location.lon.to_string(),
                "lat" => tmf.location.lat.to_string(),
                "footprint" => tmf
                    .footprint
                    .as_ref()
                    .map(|f| {
                        use wkt::ToWkt;
                        f.wkt_string()
                    })
                    .unwrap_or_default(),
                "accumulation_from" => tmf
                    .accumulation_from
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                "accumulation_to" => tmf
                    .accumulation_to
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                "status" => tmf.status.code().to_string(),
                "legal_class" => tmf.legal_class.code().to_string(),
                "hazard_notes" => opt(&tmf.hazard_notes),
                other => {
                    if let Some(part) = PROVENANCE_PARTS.iter().find(|p| **p == other) {
                        return row_prov
                            .map(|p| provenance_cell(p, part))
                            .unwrap_or_default();
                    }
                    if let Some(field) = figure_column(other) {
                        return tmf
                            .current(&field)
                            .map(|f| f.quantity().to_string())
                            .unwrap_or_default();
                    }
                    if let Some(scheme) = other.strip_prefix("id_") {
                        return tmf.other_ids.get(scheme).cloned().unwrap_or_default();
                    }
                    for part in PROVENANCE_PARTS {
                        if let Some(field) = other
                            .strip_suffix(&format!("_{part}"))
                            .and_then(figure_column)
                        {
                            return tmf
                                .current(&field)
                                .map(|f| provenance_cell(&f.provenance, part))
                                .unwrap_or_default();
                        }
                    }
                    String::new()
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Result<Header, Vec<Problem>> {
        Header::parse(
            "t.csv",
            &names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    fn origin() -> Origin {
        Origin {
            file: "t.csv".into(),
            row: 2,
            unit: "row",
        }
    }

    #[test]
    fn unknown_and_duplicate_columns_are_reported() {
        let problems = header(&["external_id", "tonage", "name", "NAME", "grade_Xx"]).unwrap_err();
        let reasons: Vec<_> = problems.iter().map(|p| p.reason.clone()).collect();
        assert!(
            reasons[0].contains("unknown column 'tonage'"),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("appears twice"));
        assert!(reasons[2].contains("not a commodity"));
    }

    #[test]
    fn header_units_apply_and_cell_units_win() {
        let h = header(&["external_id", "tonnage [Mt]", "grade_Cu", "source"]).unwrap();
        let r = h
            .record(
                &["A", "14,5", "0,3 %", "x"],
                &origin(),
                DecimalSeparator::Comma,
            )
            .unwrap();
        assert_eq!(r.figures[0].1.canonical(), 14.5e6);
        assert_eq!(r.figures[1].1.canonical(), 0.003);
        let r = h
            .record(
                &["A", "900 kt", "", "x"],
                &origin(),
                DecimalSeparator::Point,
            )
            .unwrap();
        assert_eq!(r.figures[0].1.canonical(), 9e5);
    }

    #[test]
    fn every_bad_cell_is_listed_with_its_field() {
        let h = header(&[
            "external_id",
            "kind",
            "region",
            "lon",
            "lat",
            "tonnage",
            "grade_Au",
            "source_date",
        ])
        .unwrap();
        let problems = h
            .record(
                &[
                    "A",
                    "tailngs",
                    "Narnia",
                    "x",
                    "50",
                    "12 m3",
                    "3 g/t",
                    "yesterday",
                ],
                &origin(),
                DecimalSeparator::Point,
            )
            .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.clone().unwrap()).collect();
        assert_eq!(fields, ["kind", "region", "lon", "tonnage", "grade_Au"]);
        assert!(problems[3].reason.contains("expected a mass"));
        assert!(problems[4].reason.contains("no source"));
    }
}
