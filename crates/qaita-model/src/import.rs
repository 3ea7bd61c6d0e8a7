//! Import rules, independent of file format and storage: a parsed row ([`ImportRecord`]) is
//! merged onto the stored TMF with the same external id, and the whole file becomes an
//! [`ImportPlan`] that is either applied in one transaction or not at all.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use geo_types::MultiPolygon;
use serde::Serialize;

use crate::provenance::Provenance;
use crate::tmf::{FieldError, Figure, FigureField, Location, Names, Tmf};
use crate::units::Quantity;
use crate::vocab::{Family, Kind, LegalClass, Region, Status};

/// Where a record came from, for error messages: file and row (CSV line, sheet row, feature number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    /// What the user sees: the CSV line or spreadsheet row number, or the GeoJSON feature number (1-based).
    pub row: usize,
    /// "row" or "feature".
    pub unit: &'static str,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.file, self.unit, self.row)
    }
}

/// One thing wrong with an input: file, row, field and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    /// "row" (CSV line or sheet row, header = 1) or "feature" (GeoJSON, 1-based).
    pub unit: &'static str,
    pub row: Option<usize>,
    pub field: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn at(origin: &Origin, field: Option<&str>, reason: impl Into<String>) -> Self {
        Problem {
            file: origin.file.clone(),
            unit: origin.unit,
            row: Some(origin.row),
            field: field.map(str::to_string),
            reason: reason.into(),
        }
    }

    pub fn whole_file(file: &str, reason: impl Into<String>) -> Self {
        Problem {
            file: file.to_string(),
            unit: "file",
            row: None,
            field: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(row) = self.row {
            write!(f, ": {} {row}", self.unit)?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field '{field}'")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// A row of an import file after parsing: every attribute optional (absent means "keep what is
/// stored"), figures with their provenance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportRecord {
    pub external_id: String,
    pub other_ids: BTreeMap<String, String>,
    pub name: Option<String>,
    pub name_kk: Option<String>,
    pub name_ru: Option<String>,
    pub kind: Option<Kind>,
    pub family: Option<Family>,
    pub region: Option<Region>,
    pub operator: Option<String>,
    pub owner: Option<String>,
    pub source_enterprise: Option<String>,
    pub location: Option<Location>,
    pub footprint: Option<MultiPolygon<f64>>,
    pub accumulation_from: Option<i32>,
    pub accumulation_to: Option<i32>,
    pub status: Option<Status>,
    pub legal_class: Option<LegalClass>,
    pub hazard_notes: Option<String>,
    pub figures: Vec<(FigureField, Quantity, Provenance)>,
}

/// A record stream item: a parsed record, or a row the reader could not parse with its problems.
pub type RecordResult = Result<(Origin, ImportRecord), (Origin, Vec<Problem>)>;

/// What happens to the current figure when an import brings a figure from another source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CurrentPolicy {
    /// The imported figure becomes current; older ones are kept beside it.
    #[default]
    ImportedBecomesCurrent,
    /// The stored current figure stays current; the imported one is kept beside it.
    KeepCurrent,
}

fn overlay<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(v) = value {
        *target = v.clone();
    }
}

fn overlay_opt<T: Clone>(target: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        target.clone_from(value);
    }
}

/// Merge a record onto the stored TMF (or create one). Empty input cells never erase stored
/// values; figures from a new source are added beside the old ones.
pub fn merge(
    existing: Option<&Tmf>,
    record: &ImportRecord,
    policy: CurrentPolicy,
) -> Result<Tmf, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut tmf = match existing {
        Some(tmf) => tmf.clone(),
        None => {
            let missing = |field: &str, errors: &mut Vec<FieldError>| {
                errors.push(FieldError::new(field, "required for a new TMF"));
            };
            if record.name.is_none() {
                missing("name", &mut errors);
            }
            if record.kind.is_none() {
                missing("kind", &mut errors);
            }
            if record.region.is_none() {
                missing("region", &mut errors);
            }
            if record.location.is_none() {
                missing("lon/lat", &mut errors);
            }
            let family = record
                .family
                .or_else(|| record.kind.and_then(Kind::default_family));
            if family.is_none() && record.kind.is_some() {
                errors.push(FieldError::new("family", "required when kind is 'other'"));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            Tmf {
                external_id: record.external_id.clone(),
                other_ids: BTreeMap::new(),
                names: Names {
                    name: record.name.clone().unwrap_or_default(),
                    name_kk: None,
                    name_ru: None,
                },
                kind: record.kind.unwrap_or(Kind::Other),
                family: family.unwrap_or(Family::Processing),
                region: record.region.unwrap_or(Region::Astana),
                operator: None,
                owner: None,
                source_enterprise: None,
                location: record.location.unwrap_or(Location { lon: 0.0, lat: 0.0 }),
                footprint: None,
                accumulation_from: None,
                accumulation_to: None,
                status: Status::Unknown,
                legal_class: LegalClass::Undetermined,
                hazard_notes: None,
                figures: Vec::new(),
            }
        }
    };
    tmf.other_ids
        .extend(record.other_ids.iter().map(|(k, v)| (k.clone(), v.clone())));
    overlay(&mut tmf.names.name, &record.name);
    overlay_opt(&mut tmf.names.name_kk, &record.name_kk);
    overlay_opt(&mut tmf.names.name_ru, &record.name_ru);
    overlay(&mut tmf.kind, &record.kind);
    if record.kind.is_some() && record.family.is_none() && existing.is_some() {
        // A changed kind brings its family along unless the row says otherwise.
        if let Some(f) = tmf.kind.default_family() {
            tmf.family = f;
        }
    }
    overlay(&mut tmf.family, &record.family);
    overlay(&mut tmf.region, &record.region);
    overlay_opt(&mut tmf.operator, &record.operator);
    overlay_opt(&mut tmf.owner, &record.owner);
    overlay_opt(&mut tmf.source_enterprise, &record.source_enterprise);
    overlay(&mut tmf.location, &record.location);
    overlay_opt(&mut tmf.footprint, &record.footprint);
    overlay_opt(&mut tmf.accumulation_from, &record.accumulation_from);
    overlay_opt(&mut tmf.accumulation_to, &record.accumulation_to);
    overlay(&mut tmf.status, &record.status);
    overlay(&mut tmf.legal_class, &record.legal_class);
    overlay_opt(&mut tmf.hazard_notes, &record.hazard_notes);

    for (field, quantity, provenance) in &record.figures {
        let has_field = tmf.figures.iter().any(|f| &f.field == field);
        let make_current = policy == CurrentPolicy::ImportedBecomesCurrent || !has_field;
        let same = tmf
            .figures
            .iter()
            .position(|f| &f.field == field && f.provenance.same_origin(provenance));
        let index = match same {
            Some(i) => {
                let figure = &mut tmf.figures[i];
                figure.value = quantity.value;
                figure.unit = quantity.unit;
                figure.provenance = provenance.clone();
                i
            }
            None => {
                tmf.figures.push(Figure {
                    field: field.clone(),
                    value: quantity.value,
                    unit: quantity.unit,
                    provenance: provenance.clone(),
                    current: false,
                });
                tmf.figures.len() - 1
            }
        };
        if make_current {
            for (i, f) in tmf.figures.iter_mut().enumerate() {
                if &f.field == field {
                    f.current = i == index;
                }
            }
        }
    }
    let errors = tmf.validate();
    if errors.is_empty() {
        Ok(tmf)
    } else {
        Err(errors)
    }
}

/// A TMF as stored: the registry's stable id, a version for optimistic locking, timestamps.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StoredTmf {
    pub id: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub tmf: Tmf,
}

/// What an import does to one TMF.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Create(Box<Tmf>),
    Update {
        id: i64,
        version: i64,
        before: Box<Tmf>,
        after: Box<Tmf>,
    },
    Unchanged {
        id: i64,
    },
}

/// One record's outcome in a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    pub origin: Origin,
    pub change: Change,
}

/// Everything an import would do, and every problem that stops it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    pub changes: Vec<PlannedChange>,
    /// Records that could not be merged, with their problems (for `--rejects`).
    pub rejected: Vec<(Origin, Vec<Problem>)>,
    /// All problems, parse problems included, in input order.
    pub problems: Vec<Problem>,
}

/// Counts for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub rejected: usize,
}

impl ImportPlan {
    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts {
            rejected: self.rejected.len(),
            ..PlanCounts::default()
        };
        for c in &self.changes {
            match c.change {
                Change::Create(_) => counts.create += 1,
                Change::Update { .. } => counts.update += 1,
                Change::Unchanged { .. } => counts.unchanged += 1,
            }
        }
        counts
    }
}

/// Plans an import chunk by chunk, so that files of millions of rows stream through memory.
/// It remembers external ids across chunks to reject a duplicate anywhere in the file.
#[derive(Debug, Default)]
pub struct ImportPlanner {
    policy: CurrentPolicy,
    seen: HashMap<String, usize>,
}

impl ImportPlanner {
    pub fn new(policy: CurrentPolicy) -> Self {
        ImportPlanner {
            policy,
            seen: HashMap::new(),
        }
    }

    /// Plan one chunk of records against the stored TMFs with the same external ids.
    /// `parse_problems` are the rows of the chunk the reader could not turn into records.
    pub fn plan_chunk(
        &mut self,
        records: Vec<(Origin, ImportRecord)>,
        parse_problems: Vec<(Origin, Vec<Problem>)>,
        existing: &HashMap<String, StoredTmf>,
    ) -> ImportPlan {
        let mut plan = ImportPlan::default();
        let mut outcomes: Vec<(Origin, Result<Change, Vec<Problem>>)> =
            Vec::with_capacity(records.len());
        for (origin, record) in records {
            if let Some(first) = self.seen.get(&record.external_id) {
                let reason = format!(
                    "external_id '{}' already appears on row {first} of this file",
                    record.external_id
                );
                outcomes.push((
                    origin.clone(),
                    Err(vec![Problem::at(&origin, Some("external_id"), reason)]),
                ));
                continue;
            }
            self.seen.insert(record.external_id.clone(), origin.row);
            let stored = existing.get(&record.external_id);
            let outcome = match merge(stored.map(|s| &s.tmf), &record, self.policy) {
                Err(errors) => Err(errors
                    .into_iter()
                    .map(|e| Problem::at(&origin, Some(&e.field), e.reason))
                    .collect()),
                Ok(after) => Ok(match stored {
                    None => Change::Create(Box::new(after)),
                    Some(s) if s.tmf == after => Change::Unchanged { id: s.id },
                    Some(s) => Change::Update {
                        id: s.id,
                        version: s.version,
                        before: Box::new(s.tmf.clone()),
                        after: Box::new(after),
                    },
                }),
            };
            outcomes.push((origin, outcome));
        }
        outcomes.extend(parse_problems.into_iter().map(|(o, p)| (o, Err(p))));
        outcomes.sort_by_key(|(o, _)| o.row);
        for (origin, outcome) in outcomes {
            match outcome {
                Ok(change) => plan.changes.push(PlannedChange { origin, change }),
                Err(problems) => {
                    plan.problems.extend(problems.iter().cloned());
                    plan.rejected.push((origin, problems));
                }
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Unit;
    use crate::vocab::Confidence;

    fn provenance(source: &str, date: &str) -> Provenance {
        Provenance {
            source: source.into(),
            date: Some(date.parse().unwrap()),
            method: None,
            confidence: Confidence::Medium,
            illustrative: true,
            note: None,
        }
    }

    fn record() -> ImportRecord {
        ImportRecord {
            external_id: "KZ-1".into(),
            name: Some("Donskoy tailings".into()),
            kind: Some(Kind::Tailings),
            region: Some(Region::Aktobe),
            location: Some(Location {
                lon: 58.44,
                lat: 50.25,
            }),
            figures: vec![(
                FigureField::Tonnage,
                Quantity::new(14.5, Unit::Megatonne),
                provenance("company", "2024"),
            )],
            ..ImportRecord::default()
        }
    }

    #[test]
    fn new_record_gets_defaults_and_one_current_figure() {
        let tmf = merge(None, &record(), CurrentPolicy::default()).unwrap();
        assert_eq!(tmf.family, Family::Processing);
        assert_eq!(tmf.status, Status::Unknown);
        assert_eq!(tmf.tonnage_t(), Some(14.5e6));
    }

    #[test]
    fn missing_required_fields_are_all_listed() {
        let errors = merge(
            None,
            &ImportRecord {
                external_id: "X".into(),
                ..ImportRecord::default()
            },
            CurrentPolicy::default(),
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "kind", "region", "lon/lat"]);
    }

    #[test]
    fn conflicting_figures_are_kept_side_by_side() {
        let first = merge(None, &record(), CurrentPolicy::default()).unwrap();
        let mut other = ImportRecord {
            external_id: "KZ-1".into(),
            ..ImportRecord::default()
        };
        other.figures.push((
            FigureField::Tonnage,
            Quantity::new(12.0, Unit::Megatonne),
            provenance("inventory", "2018"),
        ));
        let kept = merge(Some(&first), &other, CurrentPolicy::KeepCurrent).unwrap();
        assert_eq!(kept.figures.len(), 2);
        assert_eq!(kept.tonnage_t(), Some(14.5e6));
        let replaced = merge(Some(&first), &other, CurrentPolicy::ImportedBecomesCurrent).unwrap();
        assert_eq!(replaced.figures.len(), 2);
        assert_eq!(replaced.tonnage_t(), Some(12e6));
        // Empty cells keep the stored name.
        assert_eq!(replaced.names.name, "Donskoy tailings");
    }

    #[test]
    fn same_source_updates_in_place() {
        let first = merge(None, &record(), CurrentPolicy::default()).unwrap();
        let mut again = record();
        again.figures[0].1 = Quantity::new(15.0, Unit::Megatonne);
        let second = merge(Some(&first), &again, CurrentPolicy::default()).unwrap();
        assert_eq!(second.figures.len(), 1);
        assert_eq!(second.tonnage_t(), Some(15e6));
    }

    #[test]
    fn plan_classifies_and_rejects_duplicates() {
        let origin = |row| Origin {
            file: "f.csv".into(),
            row,
            unit: "row",
        };
        let stored = StoredTmf {
            id: 7,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            tmf: merge(None, &record(), CurrentPolicy::default()).unwrap(),
        };
        let existing = HashMap::from([("KZ-1".to_string(), stored)]);
        let mut new = record();
        new.external_id = "KZ-2".into();
        let mut planner = ImportPlanner::new(CurrentPolicy::default());
        let plan = planner.plan_chunk(
            vec![(origin(2), record()), (origin(3), new.clone())],
            vec![],
            &existing,
        );
        assert_eq!(
            plan.counts(),
            PlanCounts {
                create: 1,
                update: 0,
                unchanged: 1,
                rejected: 0
            }
        );
        let plan = planner.plan_chunk(vec![(origin(4), new)], vec![], &existing);
        assert_eq!(
            plan.counts(),
            PlanCounts {
                create: 0,
                update: 0,
                unchanged: 0,
                rejected: 1
            }
        );
        assert_eq!(
            plan.problems[0].to_string(),
            "f.csv: row 4: field 'external_id': external_id 'KZ-2' already appears on row 3 of this file"
        );
    }
}
