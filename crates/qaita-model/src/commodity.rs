//! Commodities: chemical elements (Cu, Au), oxides (Cr2O3, TiO2) and named groups (TREO).
//!
//! The list is open: any element symbol or formula made of element symbols is accepted, so a new
//! commodity needs no code change, while typos such as "Cuu" are still rejected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const ELEMENTS: &[&str] = &[
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",
];

/// Named groups reported as one figure.
const GROUPS: &[(&str, &str)] = &[
    ("TREO", "total rare-earth oxides"),
    ("REE", "rare-earth elements"),
    ("PGM", "platinum-group metals"),
];

/// Critical and rare metals of Kazakhstan's rare and rare-earth metals roadmap.
const CRITICAL: &[&str] = &[
    "TREO", "REE", "Sc", "Ga", "V", "In", "Ge", "Nb", "Ta", "Li", "Co", "W", "Mo", "Re", "Y", "La",
    "Ce", "Nd",
];

/// A commodity code in its canonical spelling ("Cu", "Cr2O3", "TREO").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Commodity(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a commodity: use an element symbol (Cu, Au), an oxide formula (Cr2O3, TiO2) or TREO, REE, PGM"
)]
pub struct UnknownCommodity(pub String);

fn is_formula(text: &str) -> bool {
    // A sequence of element symbols each followed by an optional count: Cr2O3, Fe2O3, TiO2, V2O5.
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut parts = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_uppercase() {
            return false;
        }
        let two = i + 1 < bytes.len() && bytes[i + 1].is_ascii_lowercase();
        let symbol = &text[i..if two { i + 2 } else { i + 1 }];
        if !ELEMENTS.contains(&symbol) {
            return false;
        }
        i += symbol.len();
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        parts += 1;
    }
    parts > 0
}

impl Commodity {
    pub fn code(&self) -> &str {
        &self.0
    }

    /// Whether the commodity is on the critical / rare-metal list of the national roadmap.
    pub fn is_critical(&self) -> bool {
        CRITICAL.contains(&self.0.as_str())
    }
}

impl FromStr for Commodity {
    type Err = UnknownCommodity;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Some((code, _)) = GROUPS
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(text))
        {
            return Ok(Commodity((*code).to_string()));
        }
        if is_formula(text) {
            return Ok(Commodity(text.to_string()));
        }
        // "CU", "cu", "CR2O3": recover the canonical case when it is unambiguous.
        let recased: String = {
            let mut out = String::new();
            let chars: Vec<char> = text.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                if c.is_ascii_alphabetic() {
                    let pair = chars
                        .get(i + 1)
                        .filter(|n| n.is_ascii_alphabetic())
                        .map(|n| format!("{}{}", c.to_ascii_uppercase(), n.to_ascii_lowercase()));
                    match pair {
                        Some(p) if ELEMENTS.contains(&p.as_str()) => {
                            out.push_str(&p);
                            i += 2;
                            continue;
                        }
                        _ => out.push(c.to_ascii_uppercase()),
                    }
                } else {
                    out.push(c);
                }
                i += 1;
            }
            out
        };
        // Only single elements and oxides (with digits) are recased: "cuu" must not become "CuU".
        let plausible =
            ELEMENTS.contains(&recased.as_str()) || recased.chars().any(|c| c.is_ascii_digit());
        if plausible && is_formula(&recased) {
            Ok(Commodity(recased))
        } else {
            Err(UnknownCommodity(text.to_string()))
        }
    }
}

impl fmt::Display for Commodity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Commodity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Commodity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_elements_oxides_and_groups() {
        for code in [
            "Cu", "Au", "U", "V", "Cr2O3", "TiO2", "V2O5", "TREO", "Sc", "Ga", "Fe2O3",
        ] {
            assert_eq!(code.parse::<Commodity>().unwrap().code(), code);
        }
        assert_eq!("cu".parse::<Commodity>().unwrap().code(), "Cu");
        assert_eq!("CR2O3".parse::<Commodity>().unwrap().code(), "Cr2O3");
        assert_eq!("treo".parse::<Commodity>().unwrap().code(), "TREO");
    }

    #[test]
    fn rejects_typos() {
        for bad in ["Cuu", "cuu", "Xx", "", "2O", "Cu-Zn", "gold"] {
            assert!(bad.parse::<Commodity>().is_err(), "{bad}");
        }
    }

    #[test]
    fn knows_critical_metals() {
        assert!("Sc".parse::<Commodity>().unwrap().is_critical());
        assert!(!"Cu".parse::<Commodity>().unwrap().is_critical());
    }
}
