//! Units of measure: parsing, dimension checks and normalisation.
//!
//! Figures are stored as entered (`value` + `unit`) so that an export gives back what was
//! imported; [`Quantity::canonical`] converts to the canonical unit of the dimension
//! (t, m3, m2, t/m3, mass fraction, currency unit) for arithmetic.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a unit measures. Two units convert into each other only within one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Mass,
    Volume,
    Area,
    Density,
    /// Mass fraction: %, g/t, ppm.
    Grade,
    MoneyKzt,
    MoneyUsd,
}

impl Dimension {
    /// Human description with examples, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Dimension::Mass => "a mass (t, kt, Mt, Gt)",
            Dimension::Volume => "a volume (m3, thousand m3, Mm3)",
            Dimension::Area => "an area (m2, ha, km2)",
            Dimension::Density => "a density (t/m3, g/cm3, kg/m3)",
            Dimension::Grade => "a grade (%, g/t, ppm, ppb)",
            Dimension::MoneyKzt => "an amount in tenge (KZT, thousand KZT, mln KZT, bn KZT)",
            Dimension::MoneyUsd => "an amount in US dollars (USD, thousand USD, mln USD, bn USD)",
        }
    }
}

macro_rules! units {
    ($( $variant:ident => $symbol:literal, $dim:ident, $factor:expr, [$($alias:literal),*] );* $(;)?) => {
        /// A unit of measure known to Qaita. Anything else is rejected at parse time.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Unit { $($variant),* }

        impl Unit {
            /// All units, for documentation and tests.
            pub const ALL: &'static [Unit] = &[$(Unit::$variant),*];

            /// The canonical symbol, as written on export.
            pub fn symbol(self) -> &'static str {
                match self { $(Unit::$variant => $symbol),* }
            }

            pub fn dimension(self) -> Dimension {
                match self { $(Unit::$variant => Dimension::$dim),* }
            }

            /// Multiply a value in this unit by this factor to get the canonical unit of the dimension.
            pub fn factor(self) -> f64 {
                match self { $(Unit::$variant => $factor),* }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self { $(Unit::$variant => &[$($alias),*]),* }
            }
        }
    };
}

units! {
    Tonne => "t", Mass, 1.0, ["т", "tonne", "tonnes", "tons", "тонн", "тонна"];
    Kilotonne => "kt", Mass, 1e3, ["thousand t", "тыс. т", "тыс.т", "тыс т", "мың т"];
    Megatonne => "Mt", Mass, 1e6, ["million t", "mln t", "млн т", "млн. т", "млн.т"];
    Gigatonne => "Gt", Mass, 1e9, ["bn t", "billion t", "млрд т", "млрд. т", "млрд.т"];
    Kilogram => "kg", Mass, 1e-3, ["кг"];
    CubicMetre => "m3", Volume, 1.0, ["m³", "м3", "м³", "cu m"];
    ThousandCubicMetre => "thousand m3", Volume, 1e3, ["th m3", "тыс. м3", "тыс.м3", "тыс м3", "тыс. м³"];
    MillionCubicMetre => "Mm3", Volume, 1e6, ["million m3", "mln m3", "млн м3", "млн. м3", "млн м³"];
    SquareMetre => "m2", Area, 1.0, ["m²", "м2", "м²", "sq m"];
    Hectare => "ha", Area, 1e4, ["га"];
    SquareKilometre => "km2", Area, 1e6, ["km²", "км2", "км²", "sq km"];
    TonnePerCubicMetre => "t/m3", Density, 1.0, ["t/m³", "т/м3", "т/м³"];
    GramPerCubicCentimetre => "g/cm3", Density, 1.0, ["g/cm³", "г/см3", "г/см³"];
    KilogramPerCubicMetre => "kg/m3", Density, 1e-3, ["kg/m³", "кг/м3", "кг/м³"];
    Percent => "%", Grade, 1e-2, ["pct", "percent", "wt%", "mass%"];
    GramPerTonne => "g/t", Grade, 1e-6, ["г/т", "gpt"];
    KilogramPerTonne => "kg/t", Grade, 1e-3, ["кг/т"];
    PartsPerMillion => "ppm", Grade, 1e-6, ["мг/кг", "mg/kg"];
    PartsPerBillion => "ppb", Grade, 1e-9, ["мкг/кг"];
    Tenge => "KZT", MoneyKzt, 1.0, ["₸", "тенге", "теңге", "tenge"];
    ThousandTenge => "thousand KZT", MoneyKzt, 1e3, ["th KZT", "тыс. тенге", "тыс тенге", "мың теңге"];
    MillionTenge => "mln KZT", MoneyKzt, 1e6, ["million KZT", "млн тенге", "млн. тенге", "млн теңге"];
    BillionTenge => "bn KZT", MoneyKzt, 1e9, ["billion KZT", "млрд тенге", "млрд. тенге", "млрд теңге"];
    Dollar => "USD", MoneyUsd, 1.0, ["$", "US$", "us dollars"];
    ThousandDollar => "thousand USD", MoneyUsd, 1e3, ["th USD", "k USD", "тыс. долл. США"];
    MillionDollar => "mln USD", MoneyUsd, 1e6, ["million USD", "$M", "US$M", "млн долл. США"];
    BillionDollar => "bn USD", MoneyUsd, 1e9, ["billion USD", "$B", "US$B", "млрд долл. США"];
}

/// Why a unit or quantity could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitError {
    #[error("unknown unit '{0}'")]
    Unknown(String),
    #[error("unit '{0}' is ambiguous ({1})")]
    Ambiguous(String, &'static str),
    #[error("unit {unit} is {found}, expected {expected}", found = .unit.dimension().describe(), expected = .expected.describe())]
    WrongDimension { unit: Unit, expected: Dimension },
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("no unit given in '{0}'")]
    Missing(String),
    #[error("header unit {header} and cell unit {cell} measure different things")]
    Conflict { header: Unit, cell: Unit },
}

fn normalise_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl FromStr for Unit {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = normalise_spaces(text.trim());
        // "mt" could be metric tonne or megatonne; "MT" is often metric tonne in English reports.
        if text == "mt" || text == "MT" {
            return Err(UnitError::Ambiguous(
                text,
                "write t for tonnes or Mt for million tonnes",
            ));
        }
        for &unit in Unit::ALL {
            if unit.symbol() == text || unit.aliases().contains(&text.as_str()) {
                return Ok(unit);
            }
        }
        // Case-insensitive second pass, except where case carries meaning (Mt/mt, Mm3/mm3).
        let lower = text.to_lowercase();
        let mut found = None;
        for &unit in Unit::ALL {
            let candidates = std::iter::once(unit.symbol()).chain(unit.aliases().iter().copied());
            if candidates.into_iter().any(|c| c.to_lowercase() == lower) {
                if found.is_some() {
                    return Err(UnitError::Unknown(text));
                }
                found = Some(unit);
            }
        }
        match found {
            Some(Unit::Megatonne | Unit::MillionCubicMetre) if text.starts_with('m') => {
                Err(UnitError::Ambiguous(
                    text,
                    "milli- and mega- differ only by case: write Mt or Mm3",
                ))
            }
            Some(unit) => Ok(unit),
            None => Err(UnitError::Unknown(text)),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.symbol())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How decimal numbers are written in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalSeparator {
    #[default]
    Point,
    /// "14,5" as in Russian and Kazakh spreadsheets.
    Comma,
}

/// Parse a plain number, tolerating thin/non-breaking spaces as thousands separators.
pub fn parse_number(text: &str, decimal: DecimalSeparator) -> Result<f64, UnitError> {
    let compact: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\''))
        .collect();
    let normalised = match decimal {
        DecimalSeparator::Point => compact,
        DecimalSeparator::Comma => {
            if compact.contains('.') && compact.contains(',') {
                return Err(UnitError::NotANumber(text.trim().to_string()));
            }
            compact.replace(',', ".")
        }
    };
    let value: f64 = normalised
        .parse()
        .map_err(|_| UnitError::NotANumber(text.trim().to_string()))?;
    if !value.is_finite() {
        return Err(UnitError::NotANumber(text.trim().to_string()));
    }
    Ok(value)
}

/// A value with its unit, as entered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: Unit,
}

impl Quantity {
    pub fn new(value: f64, unit: Unit) -> Self {
        Quantity { value, unit }
    }

    /// Value in the canonical unit of its dimension (t, m3, m2, t/m3, mass fraction, KZT, USD).
    pub fn canonical(&self) -> f64 {
        self.value * self.unit.factor()
    }

    /// Read "14.5 Mt", "0,35 %" or "2 000 000 т". `header_unit` is the unit named in the
    /// column header (e.g. `tonnage [Mt]`), used when the cell has none.
    pub fn parse(
        text: &str,
        header_unit: Option<Unit>,
        decimal: DecimalSeparator,
    ) -> Result<Quantity, UnitError> {
        let text = text.trim();
        let split = text
            .char_indices()
            .find(|&(_, c)| {
                !(c.is_ascii_digit()
                    || matches!(
                        c,
                        '.' | ','
                            | '-'
                            | '+'
                            | 'e'
                            | 'E'
                            | ' '
                            | '\u{a0}'
                            | '\u{202f}'
                            | '\u{2009}'
                            | '\''
                    ))
            })
            .map(|(i, _)| i)
            .unwrap_or(text.len());
        // 'e' may start a unit only if it is not an exponent; our units never start with e/E.
        let (number, unit_text) = text.split_at(split);
        if number.trim().is_empty() {
            return Err(UnitError::NotANumber(text.to_string()));
        }
        let value = parse_number(number, decimal)?;
        let unit_text = unit_text.trim();
        let unit = if unit_text.is_empty() {
            header_unit.ok_or_else(|| UnitError::Missing(text.to_string()))?
        } else {
            let cell_unit: Unit = unit_text.parse()?;
            if let Some(header) = header_unit
                && header.dimension() != cell_unit.dimension()
            {
                return Err(UnitError::Conflict {
                    header,
                    cell: cell_unit,
                });
            }
            cell_unit
        };
        Ok(Quantity { value, unit })
    }

    /// Check the unit measures `expected`.
    pub fn expect(self, expected: Dimension) -> Result<Quantity, UnitError> {
        if self.unit.dimension() == expected {
            Ok(self)
        } else {
            Err(UnitError::WrongDimension {
                unit: self.unit,
                expected,
            })
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit)
    }
}

/// Format a canonical mass in tonnes with a readable unit (t, kt, Mt, Gt).
pub fn format_tonnes(tonnes: f64) -> String {
    let abs = tonnes.abs();
    if abs >= 1e9 {
        format!("{:.2} Gt", tonnes / 1e9)
    } else if abs >= 1e6 {
        format!("{:.2} Mt", tonnes / 1e6)
    } else if abs >= 1e3 {
        format!("{:.1} kt", tonnes / 1e3)
    } else {
        format!("{tonnes:.1} t")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_masses_and_normalises() {
        let q = Quantity::parse("14.5 Mt", None, DecimalSeparator::Point).unwrap();
        assert_eq!(q.unit, Unit::Megatonne);
        assert_eq!(q.canonical(), 14_500_000.0);
        let q = Quantity::parse("14,5 млн т", None, DecimalSeparator::Comma).unwrap();
        assert_eq!(q.canonical(), 14_500_000.0);
        let q = Quantity::parse("2 000 000", Some(Unit::Tonne), DecimalSeparator::Point).unwrap();
        assert_eq!(q.canonical(), 2_000_000.0);
        let q = Quantity::parse("960 kt", None, DecimalSeparator::Point).unwrap();
        assert_eq!(q.canonical(), 960_000.0);
    }

    #[test]
    fn parses_grades() {
        assert!(
            (Quantity::parse("0.35 %", None, DecimalSeparator::Point)
                .unwrap()
                .canonical()
                - 0.0035)
                .abs()
                < 1e-15
        );
        assert!(
            (Quantity::parse("1.2 g/t", None, DecimalSeparator::Point)
                .unwrap()
                .canonical()
                - 1.2e-6)
                .abs()
                < 1e-18
        );
        assert_eq!(
            Quantity::parse("1.2 г/т", None, DecimalSeparator::Point)
                .unwrap()
                .unit,
            Unit::GramPerTonne
        );
        assert_eq!(
            Quantity::parse("450 ppm", None, DecimalSeparator::Point)
                .unwrap()
                .unit,
            Unit::PartsPerMillion
        );
        assert_eq!(
            Quantity::parse("1.5e3 ppm", None, DecimalSeparator::Point)
                .unwrap()
                .value,
            1500.0
        );
    }

    #[test]
    fn rejects_unknown_missing_ambiguous_and_mismatched() {
        assert!(matches!(
            Quantity::parse("12 furlongs", None, DecimalSeparator::Point),
            Err(UnitError::Unknown(_))
        ));
        assert!(matches!(
            Quantity::parse("12", None, DecimalSeparator::Point),
            Err(UnitError::Missing(_))
        ));
        assert!(matches!(
            Quantity::parse("12 mt", None, DecimalSeparator::Point),
            Err(UnitError::Ambiguous(..))
        ));
        assert!(matches!(
            Quantity::parse("abc t", None, DecimalSeparator::Point),
            Err(UnitError::NotANumber(_))
        ));
        assert!(matches!(
            Quantity::parse("12 m3", Some(Unit::Tonne), DecimalSeparator::Point),
            Err(UnitError::Conflict { .. })
        ));
        let err = Quantity::parse("12 m3", None, DecimalSeparator::Point)
            .unwrap()
            .expect(Dimension::Mass)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unit m3 is a volume (m3, thousand m3, Mm3), expected a mass (t, kt, Mt, Gt)"
        );
    }

    #[test]
    fn every_symbol_and_alias_parses_back_to_its_unit() {
        for &unit in Unit::ALL {
            assert_eq!(unit.symbol().parse::<Unit>().unwrap(), unit, "{unit}");
            for alias in unit.aliases() {
                assert_eq!(alias.parse::<Unit>().unwrap(), unit, "{alias}");
            }
        }
    }

    #[test]
    fn money_units_keep_their_currency() {
        let q = Quantity::parse("137 mln USD", None, DecimalSeparator::Point).unwrap();
        assert_eq!(q.unit.dimension(), Dimension::MoneyUsd);
        assert_eq!(q.canonical(), 137e6);
        assert!(q.expect(Dimension::MoneyKzt).is_err());
    }
}
