//! Controlled vocabularies of the registry: kind, family, region, status, legal class, confidence.
//!
//! Each term has a stable code (stored, exported), an English label, Russian and Kazakh labels,
//! and aliases accepted on import (government exports use Russian or Kazakh wording).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An input term that is not in a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a known {vocabulary}; expected one of: {expected}")]
pub struct UnknownTerm {
    pub vocabulary: &'static str,
    pub given: String,
    pub expected: String,
}

fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .replace(['-', '_', '.'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $label:literal {
            $( $variant:ident => $code:literal, $en:literal, $ru:literal, $kk:literal, [$($alias:literal),*] );* $(;)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// Stable code, as stored and exported.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),* }
            }

            pub fn label_ru(self) -> &'static str {
                match self { $($name::$variant => $ru),* }
            }

            pub fn label_kk(self) -> &'static str {
                match self { $($name::$variant => $kk),* }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($alias),*]),* }
            }
        }

        impl FromStr for $name {
            type Err = UnknownTerm;

            fn from_str(text: &str) -> Result<Self, UnknownTerm> {
                // Codes are what exports write: match them without allocating.
                if let Some(term) = $name::ALL.iter().find(|t| t.code() == text) {
                    return Ok(*term);
                }
                static FOLDED: std::sync::LazyLock<std::collections::HashMap<String, $name>> =
                    std::sync::LazyLock::new(|| {
                        let mut map = std::collections::HashMap::new();
                        for &term in $name::ALL.iter().rev() {
                            let names = [term.code(), term.label_en(), term.label_ru(), term.label_kk()];
                            for name in names.iter().chain(term.aliases()) {
                                map.insert(fold(name), term);
                            }
                        }
                        map
                    });
                FOLDED.get(&fold(text)).copied().ok_or_else(|| UnknownTerm {
                    vocabulary: $label,
                    given: text.trim().to_string(),
                    expected: $name::ALL.iter().map(|t| t.code()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary! {
    /// What the formation is made of (Subsoil Code Art. 13 families, split by material).
    Kind, "kind" {
        Tailings => "tailings", "Tailings", "Хвосты обогащения", "Байыту қалдықтары", ["хвосты", "хвостохранилище", "қалдықтар"];
        Slag => "slag", "Slag", "Шлаки", "Шлактар", ["шлак", "slags"];
        Ash => "ash", "Ash and ash-slag", "Золошлаки", "Күл-шлак", ["ash slag", "ash and slag", "зола", "золоотвал", "күл"];
        WasteRock => "waste_rock", "Waste rock and overburden", "Вскрышные и вмещающие породы", "Аршылған жыныстар", ["overburden", "вскрыша", "вскрышные породы", "вмещающие породы"];
        OffBalanceOre => "off_balance_ore", "Off-balance (low-grade) ore", "Забалансовые руды", "Баланстан тыс кендер", ["low grade ore", "забалансовая руда"];
        Sludge => "sludge", "Sludge and red mud", "Шламы, красный шлам", "Шламдар", ["red mud", "шлам", "красный шлам"];
        Phosphogypsum => "phosphogypsum", "Phosphogypsum", "Фосфогипс", "Фосфогипс", [];
        CakeClinker => "cake_clinker", "Cakes and clinker", "Кеки и клинкер", "Кектер мен клинкер", ["cake", "clinker", "кек", "клинкер"];
        Other => "other", "Other", "Прочие", "Басқа", ["прочее"];
    }
}

vocabulary! {
    /// The industry that produced the waste (mining, processing and metallurgy, energy).
    Family, "family" {
        Mining => "mining", "Mining waste", "Отходы горнодобывающего производства", "Тау-кен өндірісінің қалдықтары", ["горнодобывающие"];
        Processing => "processing", "Processing and metallurgical waste", "Отходы обогащения и металлургии", "Байыту және металлургия қалдықтары", ["processing metallurgical", "metallurgical", "металлургические"];
        Energy => "energy", "Energy waste", "Отходы энергетики", "Энергетика қалдықтары", ["энергетические"];
    }
}

impl Kind {
    /// The family a kind belongs to unless the source says otherwise.
    pub fn default_family(self) -> Option<Family> {
        match self {
            Kind::WasteRock | Kind::OffBalanceOre => Some(Family::Mining),
            Kind::Tailings
            | Kind::Slag
            | Kind::Sludge
            | Kind::Phosphogypsum
            | Kind::CakeClinker => Some(Family::Processing),
            Kind::Ash => Some(Family::Energy),
            Kind::Other => None,
        }
    }
}

vocabulary! {
    /// The 17 oblasts and 3 cities of republican significance (2022 boundaries).
    Region, "region" {
        Abai => "abai", "Abai", "Абайская область", "Абай облысы", ["abay", "область абай", "abai region"];
        Akmola => "akmola", "Akmola", "Акмолинская область", "Ақмола облысы", ["aqmola", "akmola region"];
        Aktobe => "aktobe", "Aktobe", "Актюбинская область", "Ақтөбе облысы", ["aqtobe", "aktobe region"];
        AlmatyRegion => "almaty_region", "Almaty Region", "Алматинская область", "Алматы облысы", ["almaty oblast", "almaty province"];
        Atyrau => "atyrau", "Atyrau", "Атырауская область", "Атырау облысы", ["atyrau region"];
        EastKazakhstan => "east_kazakhstan", "East Kazakhstan", "Восточно-Казахстанская область", "Шығыс Қазақстан облысы", ["вко", "east kazakhstan region"];
        Zhambyl => "zhambyl", "Zhambyl", "Жамбылская область", "Жамбыл облысы", ["jambyl", "zhambyl region"];
        Zhetisu => "zhetisu", "Zhetisu", "Область Жетісу", "Жетісу облысы", ["jetisu", "zhetysu", "жетысуская область", "zhetisu region"];
        WestKazakhstan => "west_kazakhstan", "West Kazakhstan", "Западно-Казахстанская область", "Батыс Қазақстан облысы", ["зко", "west kazakhstan region"];
        Karaganda => "karaganda", "Karaganda", "Карагандинская область", "Қарағанды облысы", ["karagandy", "qaraghandy", "karaganda region"];
        Kostanay => "kostanay", "Kostanay", "Костанайская область", "Қостанай облысы", ["qostanay", "kostanai", "kostanay region"];
        Kyzylorda => "kyzylorda", "Kyzylorda", "Кызылординская область", "Қызылорда облысы", ["qyzylorda", "kyzylorda region"];
        Mangystau => "mangystau", "Mangystau", "Мангистауская область", "Маңғыстау облысы", ["mangistau", "mangystau region"];
        Pavlodar => "pavlodar", "Pavlodar", "Павлодарская область", "Павлодар облысы", ["pavlodar region"];
        NorthKazakhstan => "north_kazakhstan", "North Kazakhstan", "Северо-Казахстанская область", "Солтүстік Қазақстан облысы", ["ско", "north kazakhstan region"];
        Turkistan => "turkistan", "Turkistan", "Туркестанская область", "Түркістан облысы", ["turkestan", "turkistan region"];
        Ulytau => "ulytau", "Ulytau", "Улытауская область", "Ұлытау облысы", ["ulytau region"];
        Astana => "astana", "Astana", "Астана", "Астана қаласы", ["город астана", "г астана", "nur sultan", "нур султан", "astana city"];
        Almaty => "almaty", "Almaty", "Алматы", "Алматы қаласы", ["город алматы", "г алматы", "almaty city"];
        Shymkent => "shymkent", "Shymkent", "Шымкент", "Шымкент қаласы", ["город шымкент", "г шымкент", "shymkent city"];
    }
}

vocabulary! {
    /// Operational state of the formation.
    Status, "status" {
        Active => "active", "Active (receiving waste)", "Действующий", "Жұмыс істейтін", ["operating", "действующее"];
        Inactive => "inactive", "Inactive", "Недействующий", "Жұмыс істемейтін", ["недействующее"];
        Conserved => "conserved", "Conserved", "Законсервирован", "Консервацияланған", ["mothballed", "консервация"];
        Abandoned => "abandoned", "Abandoned (no owner)", "Бесхозный", "Иесіз", ["orphaned", "бесхозяйный"];
        BeingReprocessed => "being_reprocessed", "Being reprocessed", "Перерабатывается", "Қайта өңделуде", ["reprocessing", "переработка"];
        Remediated => "remediated", "Remediated", "Рекультивирован", "Қалпына келтірілген", ["rehabilitated", "рекультивация"];
        Unknown => "unknown", "Unknown", "Неизвестно", "Белгісіз", [];
    }
}

vocabulary! {
    /// The TMF is at the same time "waste" (Ecological Code) and "subsoil" (Subsoil Code).
    LegalClass, "legal class" {
        Waste => "waste", "Waste (Ecological Code)", "Отходы", "Қалдықтар", ["отходы производства"];
        TechnogenicSubsoil => "technogenic_subsoil", "Technogenic subsoil (Subsoil Code)", "Техногенные минеральные образования", "Техногендік минералдық түзілімдер", ["tmf", "тмо", "subsoil"];
        Undetermined => "undetermined", "Undetermined", "Не определено", "Анықталмаған", ["unknown"];
    }
}

vocabulary! {
    /// How far a figure can be trusted.
    Confidence, "confidence" {
        High => "high", "High (measured, audited)", "Высокая", "Жоғары", ["measured"];
        Medium => "medium", "Medium (reported by operator or authority)", "Средняя", "Орташа", ["reported"];
        Low => "low", "Low (estimate, press, unverified)", "Низкая", "Төмен", ["estimate", "estimated"];
        Unverified => "unverified", "Unverified", "Не проверено", "Тексерілмеген", [];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_from_all_languages() {
        assert_eq!(
            "East Kazakhstan".parse::<Region>().unwrap(),
            Region::EastKazakhstan
        );
        assert_eq!(
            "Восточно-Казахстанская область".parse::<Region>().unwrap(),
            Region::EastKazakhstan
        );
        assert_eq!(
            "Шығыс Қазақстан облысы".parse::<Region>().unwrap(),
            Region::EastKazakhstan
        );
        assert_eq!(
            "east_kazakhstan".parse::<Region>().unwrap(),
            Region::EastKazakhstan
        );
        assert_eq!("Almaty".parse::<Region>().unwrap(), Region::Almaty);
        assert_eq!(
            "Almaty Region".parse::<Region>().unwrap(),
            Region::AlmatyRegion
        );
        assert_eq!("Nur-Sultan".parse::<Region>().unwrap(), Region::Astana);
        assert_eq!(Region::ALL.len(), 20);
        let err = "South Kazakhstan".parse::<Region>().unwrap_err();
        assert!(err.to_string().contains("not a known region"));
    }

    #[test]
    fn every_code_and_label_round_trips() {
        for &r in Region::ALL {
            for label in [r.code(), r.label_en(), r.label_ru(), r.label_kk()] {
                assert_eq!(label.parse::<Region>().unwrap(), r, "{label}");
            }
        }
        for &k in Kind::ALL {
            for label in [k.code(), k.label_en(), k.label_ru(), k.label_kk()] {
                assert_eq!(label.parse::<Kind>().unwrap(), k, "{label}");
            }
        }
        for &s in Status::ALL {
            assert_eq!(s.code().parse::<Status>().unwrap(), s);
        }
        for &l in LegalClass::ALL {
            assert_eq!(l.label_ru().parse::<LegalClass>().unwrap(), l);
        }
    }

    #[test]
    fn kinds_have_families() {
        assert_eq!(Kind::Ash.default_family(), Some(Family::Energy));
        assert_eq!(Kind::WasteRock.default_family(), Some(Family::Mining));
        assert_eq!("red mud".parse::<Kind>().unwrap(), Kind::Sludge);
        assert_eq!("хвосты".parse::<Kind>().unwrap(), Kind::Tailings);
    }
}
