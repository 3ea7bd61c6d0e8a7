//! The TMF object: identity, classification, location and figures with provenance.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

use crate::commodity::Commodity;
use crate::provenance::Provenance;
use crate::units::{Dimension, Quantity};
use crate::vocab::{Family, Kind, LegalClass, Region, Status};

pub use crate::geometry::KAZAKHSTAN_BBOX;

/// A location must lie in Kazakhstan (swapped lon/lat and projected coordinates fail here).
pub fn validate_location(Location { lon, lat }: Location) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let [min_lon, min_lat, max_lon, max_lat] = KAZAKHSTAN_BBOX;
    if !(lon.is_finite() && (min_lon..=max_lon).contains(&lon)) {
        errors.push(FieldError::new(
            "lon",
            format!(
                "{lon} is outside Kazakhstan ({min_lon}..{max_lon} degrees east; lon/lat swapped?)"
            ),
        ));
    }
    if !(lat.is_finite() && (min_lat..=max_lat).contains(&lat)) {
        errors.push(FieldError::new(
            "lat",
            format!("{lat} is outside Kazakhstan ({min_lat}..{max_lat} degrees north)"),
        ));
    }
    errors
}

/// Which quantity a figure gives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FigureField {
    Area,
    Volume,
    Tonnage,
    Density,
    Grade(Commodity),
}

impl FigureField {
    /// The dimension a figure of this field must have.
    pub fn dimension(&self) -> Dimension {
        match self {
            FigureField::Area => Dimension::Area,
            FigureField::Volume => Dimension::Volume,
            FigureField::Tonnage => Dimension::Mass,
            FigureField::Density => Dimension::Density,
            FigureField::Grade(_) => Dimension::Grade,
        }
    }

    /// Column name in flat files: `tonnage`, `grade_Cu`.
    pub fn column(&self) -> String {
        match self {
            FigureField::Grade(c) => format!("grade_{c}"),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for FigureField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FigureField::Area => f.write_str("area"),
            FigureField::Volume => f.write_str("volume"),
            FigureField::Tonnage => f.write_str("tonnage"),
            FigureField::Density => f.write_str("density"),
            FigureField::Grade(c) => write!(f, "grade:{c}"),
        }
    }
}

impl FromStr for FigureField {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let lower = text.to_lowercase();
        if let Some(code) = text
            .strip_prefix("grade:")
            .or_else(|| text.strip_prefix("grade_"))
        {
            return code
                .parse()
                .map(FigureField::Grade)
                .map_err(|e: crate::commodity::UnknownCommodity| e.to_string());
        }
        match lower.as_str() {
            "area" => Ok(FigureField::Area),
            "volume" => Ok(FigureField::Volume),
            "tonnage" | "mass" => Ok(FigureField::Tonnage),
            "density" => Ok(FigureField::Density),
            _ => Err(format!(
                "'{text}' is not a figure field (area, volume, tonnage, density, grade_<commodity>)"
            )),
        }
    }
}

impl Serialize for FigureField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FigureField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One figure for one field, with where it came from. Several figures for the same field may
/// coexist (sources disagree); exactly one of them is current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub field: FigureField,
    pub value: f64,
    pub unit: crate::units::Unit,
    pub provenance: Provenance,
    pub current: bool,
}

impl Figure {
    pub fn quantity(&self) -> Quantity {
        Quantity::new(self.value, self.unit)
    }

    /// Value in the canonical unit (t, m3, m2, t/m3, mass fraction).
    pub fn canonical(&self) -> f64 {
        self.quantity().canonical()
    }
}

/// Names in the three languages of the registry. `name` is the Latin-script name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Names {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_ru: Option<String>,
}

/// A point in WGS84 (EPSG:4326), longitude first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
}

/// A technogenic mineral formation as held in the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tmf {
    /// Key of the source inventory; imports upsert on it.
    pub external_id: String,
    /// Further identifiers by scheme (operator's code, ecological permit number, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_ids: BTreeMap<String, String>,
    #[serde(flatten)]
    pub names: Names,
    pub kind: Kind,
    pub family: Family,
    pub region: Region,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// `None`: no known owner (most TMFs in Kazakhstan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Enterprise or deposit the material came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_enterprise: Option<String>,
    pub location: Location,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::geometry::optional_geojson"
    )]
    pub footprint: Option<MultiPolygon<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulation_from: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulation_to: Option<i32>,
    pub status: Status,
    pub legal_class: LegalClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard_notes: Option<String>,
    #[serde(default)]
    pub figures: Vec<Figure>,
}

/// One thing wrong with a TMF, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl Tmf {
    /// The current figure of a field, if any.
    pub fn current(&self, field: &FigureField) -> Option<&Figure> {
        self.figures.iter().find(|f| f.current && &f.field == field)
    }

    /// Current tonnage in tonnes.
    pub fn tonnage_t(&self) -> Option<f64> {
        self.current(&FigureField::Tonnage).map(Figure::canonical)
    }

    /// Current grade as a mass fraction.
    pub fn grade_fraction(&self, commodity: &Commodity) -> Option<f64> {
        self.current(&FigureField::Grade(commodity.clone()))
            .map(Figure::canonical)
    }

    /// Commodities with a current grade, sorted.
    pub fn commodities(&self) -> Vec<&Commodity> {
        let mut out: Vec<&Commodity> = self
            .figures
            .iter()
            .filter(|f| f.current)
            .filter_map(|f| match &f.field {
                FigureField::Grade(c) => Some(c),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Tonnes of contained commodity: current tonnage times current grade.
    pub fn contained_t(&self, commodity: &Commodity) -> Option<f64> {
        Some(self.tonnage_t()? * self.grade_fraction(commodity)?)
    }

    /// Whether an owner is recorded.
    pub fn owner_known(&self) -> bool {
        self.owner.as_deref().is_some_and(|o| !o.trim().is_empty())
    }

    /// Every rule a stored TMF must satisfy; all violations, not just the first.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.external_id.trim().is_empty() {
            errors.push(FieldError::new("external_id", "must not be empty"));
        }
        if self.names.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        errors.extend(validate_location(self.location));
        if let Some(footprint) = &self.footprint {
            errors.extend(
                crate::geometry::validate_footprint(footprint)
                    .into_iter()
                    .map(|r| FieldError::new("footprint", r)),
            );
        }
        if let (Some(from), Some(to)) = (self.accumulation_from, self.accumulation_to)
            && from > to
        {
            errors.push(FieldError::new(
                "accumulation_to",
                format!("{to} is before accumulation_from {from}"),
            ));
        }
        for year in [self.accumulation_from, self.accumulation_to]
            .into_iter()
            .flatten()
        {
            if !(1800..=2200).contains(&year) {
                errors.push(FieldError::new(
                    "accumulation_from",
                    format!("{year} is not a plausible year"),
                ));
            }
        }
        let mut fields: BTreeMap<&FigureField, usize> = BTreeMap::new();
        for (i, figure) in self.figures.iter().enumerate() {
            let name = figure.field.column();
            if figure.unit.dimension() != figure.field.dimension() {
                errors.push(FieldError::new(
                    &name,
                    format!(
                        "unit {} is {}, expected {}",
                        figure.unit,
                        figure.unit.dimension().describe(),
                        figure.field.dimension().describe()
                    ),
                ));
            }
            if !figure.value.is_finite() || figure.value < 0.0 {
                errors.push(FieldError::new(
                    &name,
                    format!("{} must be a non-negative number", figure.value),
                ));
            }
            if figure.field == FigureField::Density && figure.value == 0.0 {
                errors.push(FieldError::new(&name, "density must be greater than zero"));
            }
            if matches!(figure.field, FigureField::Grade(_)) && figure.canonical() > 1.0 {
                errors.push(FieldError::new(
                    &name,
                    format!("{} {} is more than 100%", figure.value, figure.unit),
                ));
            }
            if figure.provenance.source.trim().is_empty() {
                errors.push(FieldError::new(&name, "figure has no source"));
            }
            if self.figures[..i]
                .iter()
                .any(|o| o.field == figure.field && o.provenance.same_origin(&figure.provenance))
            {
                errors.push(FieldError::new(
                    &name,
                    "two figures from the same source, date and method",
                ));
            }
            *fields.entry(&figure.field).or_default() += usize::from(figure.current);
        }
        for (field, current) in fields {
            if current != 1 {
                errors.push(FieldError::new(
                    field.column(),
                    format!("{current} figures marked current, expected exactly one"),
                ));
            }
        }
        errors
    }
}
