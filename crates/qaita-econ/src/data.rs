//! Economic data: price deck, exchange rate, MET rates, processing routes. Data lives in CSV
//! files under `data/econ/` (bundled, replaceable by the user); this module parses their text.

use std::collections::BTreeMap;

use qaita_model::{Commodity, Kind};
use serde::{Deserialize, Serialize};

/// Grams in a troy ounce.
pub const GRAMS_PER_TROY_OUNCE: f64 = 31.103_476_8;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file}: row {row}: {reason}")]
    Row {
        file: String,
        row: usize,
        reason: String,
    },
    #[error("{file}: {0}", file = .1)]
    Csv(csv::Error, String),
}

/// A price scenario of the deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    Low,
    Base,
    High,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::Low, Scenario::Base, Scenario::High];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Low => "low",
            Scenario::Base => "base",
            Scenario::High => "high",
        }
    }
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "low" => Ok(Scenario::Low),
            "base" => Ok(Scenario::Base),
            "high" => Ok(Scenario::High),
            other => Err(format!(
                "'{other}' is not a price scenario (low, base, high)"
            )),
        }
    }
}

/// A price with its unit, scenarios, volatility and provenance.
#[derive(Debug, Clone, Serialize)]
pub struct CommodityPrice {
    /// As written in the deck: USD/t, USD/kg or USD/oz.
    pub unit: String,
    pub low: f64,
    pub base: f64,
    pub high: f64,
    /// Annual volatility of the log price, for Monte Carlo.
    pub volatility: f64,
    pub date: String,
    pub source: String,
}

impl CommodityPrice {
    fn per_unit(&self, scenario: Scenario) -> f64 {
        match scenario {
            Scenario::Low => self.low,
            Scenario::Base => self.base,
            Scenario::High => self.high,
        }
    }

    /// USD per tonne of the commodity.
    pub fn usd_per_t(&self, scenario: Scenario) -> f64 {
        self.per_unit(scenario) * unit_to_tonnes_factor(&self.unit)
    }

    /// USD per troy ounce (for the precious-metal MET scale).
    pub fn usd_per_oz(&self, scenario: Scenario) -> f64 {
        self.usd_per_t(scenario) * GRAMS_PER_TROY_OUNCE / 1e6
    }
}

fn unit_to_tonnes_factor(unit: &str) -> f64 {
    match unit {
        "USD/kg" => 1e3,
        "USD/oz" => 1e6 / GRAMS_PER_TROY_OUNCE,
        _ => 1.0, // USD/t, checked at parse time
    }
}

/// Commodity prices and the exchange rate, per scenario.
#[derive(Debug, Clone, Serialize)]
pub struct PriceDeck {
    pub prices: BTreeMap<Commodity, CommodityPrice>,
    /// KZT per USD: low, base, high.
    pub kzt_per_usd: [f64; 3],
    pub fx_source: String,
}

/// One CSV row: column name to trimmed cell.
type Record = BTreeMap<String, String>;

fn records(file: &str, text: &str) -> Result<Vec<(usize, Record)>, DataError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| DataError::Csv(e, file.into()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DataError::Csv(e, file.into()))?;
        let row = record.position().map_or(0, |p| p.line() as usize);
        out.push((
            row,
            headers
                .iter()
                .cloned()
                .zip(record.iter().map(|s| s.trim().to_string()))
                .collect(),
        ));
    }
    Ok(out)
}

fn field<'a>(
    file: &str,
    row: usize,
    r: &'a BTreeMap<String, String>,
    name: &str,
) -> Result<&'a str, DataError> {
    r.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DataError::Row {
            file: file.into(),
            row,
            reason: format!("missing '{name}'"),
        })
}

fn number(
    file: &str,
    row: usize,
    r: &BTreeMap<String, String>,
    name: &str,
) -> Result<f64, DataError> {
    let text = field(file, row, r, name)?;
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| DataError::Row {
            file: file.into(),
            row,
            reason: format!("'{name}' = '{text}' is not a number"),
        })
}

fn commodity(file: &str, row: usize, r: &BTreeMap<String, String>) -> Result<Commodity, DataError> {
    field(file, row, r, "commodity")?.parse().map_err(
        |e: qaita_model::commodity::UnknownCommodity| DataError::Row {
            file: file.into(),
            row,
            reason: e.to_string(),
        },
    )
}

fn share(
    file: &str,
    row: usize,
    r: &BTreeMap<String, String>,
    name: &str,
) -> Result<f64, DataError> {
    let v = number(file, row, r, name)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(DataError::Row {
            file: file.into(),
            row,
            reason: format!("'{name}' = {v} must be between 0 and 1"),
        })
    }
}

impl PriceDeck {
    /// Parse `prices.csv` and `fx.csv` texts.
    pub fn parse(prices: &str, fx: &str) -> Result<PriceDeck, DataError> {
        let file = "prices.csv";
        let mut out = BTreeMap::new();
        for (row, r) in records(file, prices)? {
            let unit = field(file, row, &r, "unit")?.to_string();
            if !["USD/t", "USD/kg", "USD/oz"].contains(&unit.as_str()) {
                return Err(DataError::Row {
                    file: file.into(),
                    row,
                    reason: format!("unit '{unit}' must be USD/t, USD/kg or USD/oz"),
                });
            }
            let price = CommodityPrice {
                unit,
                low: number(file, row, &r, "low")?,
                base: number(file, row, &r, "base")?,
                high: number(file, row, &r, "high")?,
                volatility: number(file, row, &r, "volatility")?,
                date: field(file, row, &r, "date")?.to_string(),
                source: field(file, row, &r, "source")?.to_string(),
            };
            if !(price.low > 0.0 && price.low <= price.base && price.base <= price.high) {
                return Err(DataError::Row {
                    file: file.into(),
                    row,
                    reason: "prices must satisfy 0 < low <= base <= high".into(),
                });
            }
            out.insert(commodity(file, row, &r)?, price);
        }
        let fx_rows = records("fx.csv", fx)?;
        let (row, r) = fx_rows
            .iter()
            .find(|(_, r)| r.get("pair").map(String::as_str) == Some("KZT/USD"))
            .ok_or_else(|| DataError::Row {
                file: "fx.csv".into(),
                row: 1,
                reason: "no KZT/USD row".into(),
            })?;
        Ok(PriceDeck {
            prices: out,
            kzt_per_usd: [
                number("fx.csv", *row, r, "low")?,
                number("fx.csv", *row, r, "base")?,
                number("fx.csv", *row, r, "high")?,
            ],
            fx_source: field("fx.csv", *row, r, "source")?.to_string(),
        })
    }

    pub fn kzt_per_usd(&self, scenario: Scenario) -> f64 {
        self.kzt_per_usd[scenario as usize]
    }
}

/// Mineral extraction tax rates and corporate income tax, as dated data.
#[derive(Debug, Clone, Serialize)]
pub struct TaxRegime {
    /// Flat MET rates by commodity.
    pub met_rates: BTreeMap<Commodity, f64>,
    /// Progressive precious-metal rates: (price from, USD/oz; rate), ascending.
    pub precious: BTreeMap<Commodity, Vec<(f64, f64)>>,
    /// Coefficient on MET for TMF material that is technogenic subsoil (Tax Code 2025 Art. 783).
    pub tmf_coefficient: f64,
    pub cit_rate: f64,
    /// Straight-line tax depreciation of initial capital, years.
    pub depreciation_years: usize,
    /// Years a tax loss may be carried forward.
    pub loss_carry_forward_years: usize,
}

impl TaxRegime {
    /// Parse `met-rates.csv` and `met-precious.csv`; CIT 20%, TMF coefficient 0.1 (domain.md).
    pub fn parse(met_rates: &str, precious: &str) -> Result<TaxRegime, DataError> {
        let mut rates = BTreeMap::new();
        for (row, r) in records("met-rates.csv", met_rates)? {
            rates.insert(
                commodity("met-rates.csv", row, &r)?,
                share("met-rates.csv", row, &r, "rate")?,
            );
        }
        let mut scales: BTreeMap<Commodity, Vec<(f64, f64)>> = BTreeMap::new();
        for (row, r) in records("met-precious.csv", precious)? {
            let c = commodity("met-precious.csv", row, &r)?;
            let band = (
                number("met-precious.csv", row, &r, "price_from_usd_per_oz")?,
                share("met-precious.csv", row, &r, "rate")?,
            );
            scales.entry(c).or_default().push(band);
        }
        for bands in scales.values_mut() {
            bands.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(TaxRegime {
            met_rates: rates,
            precious: scales,
            tmf_coefficient: 0.1,
            cit_rate: 0.20,
            depreciation_years: 10,
            loss_carry_forward_years: 10,
        })
    }

    /// MET rate for a commodity at a price (USD/oz matters only for progressive metals).
    pub fn met_rate(&self, commodity: &Commodity, usd_per_oz: f64) -> f64 {
        if let Some(bands) = self.precious.get(commodity) {
            return bands
                .iter()
                .rev()
                .find(|(from, _)| usd_per_oz >= *from)
                .map_or(0.0, |(_, rate)| *rate);
        }
        self.met_rates.get(commodity).copied().unwrap_or(0.0)
    }
}

/// A processing route with its costs and recoveries.
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    pub name: String,
    pub kinds: Vec<Kind>,
    pub opex_usd_per_t: f64,
    /// Capital per tonne of annual capacity at the reference capacity.
    pub capex_usd_per_tpa: f64,
    pub reference_capacity_tpa: f64,
    /// Capex scales as capacity^exponent (six-tenths-rule style economies of scale).
    pub scale_exponent: f64,
    /// Sustaining capital per year as a share of initial capital.
    pub sustaining_capex_share: f64,
    pub closure_usd_per_t: f64,
    pub water_m3_per_t: f64,
    /// Revenue per tonne of feed sold as material (slag/ash aggregate), before payable share.
    pub material_price_usd_per_t: f64,
    pub material_payable_share: f64,
    /// Commodity -> (recovery, payability).
    pub recoveries: BTreeMap<Commodity, (f64, f64)>,
    pub source: String,
}

impl Route {
    /// Initial capital for a plant of `capacity_tpa`.
    pub fn capex_usd(&self, capacity_tpa: f64) -> f64 {
        self.capex_usd_per_tpa
            * self.reference_capacity_tpa
            * (capacity_tpa / self.reference_capacity_tpa).powf(self.scale_exponent)
    }

    pub fn applies_to(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// Parse `routes.csv` and `route-recoveries.csv`.
pub fn parse_routes(routes: &str, recoveries: &str) -> Result<Vec<Route>, DataError> {
    let file = "routes.csv";
    let mut out: Vec<Route> = Vec::new();
    for (row, r) in records(file, routes)? {
        let kinds = field(file, row, &r, "kinds")?
            .split(';')
            .map(|k| {
                k.parse::<Kind>().map_err(|e| DataError::Row {
                    file: file.into(),
                    row,
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Route {
            name: field(file, row, &r, "route")?.to_string(),
            kinds,
            opex_usd_per_t: number(file, row, &r, "opex_usd_per_t")?,
            capex_usd_per_tpa: number(file, row, &r, "capex_usd_per_tpa")?,
            reference_capacity_tpa: number(file, row, &r, "reference_capacity_tpa")?,
            scale_exponent: number(file, row, &r, "scale_exponent")?,
            sustaining_capex_share: share(file, row, &r, "sustaining_capex_share")?,
            closure_usd_per_t: number(file, row, &r, "closure_usd_per_t")?,
            water_m3_per_t: number(file, row, &r, "water_m3_per_t")?,
            material_price_usd_per_t: number(file, row, &r, "material_price_usd_per_t")?,
            material_payable_share: share(file, row, &r, "material_payable_share")?,
            recoveries: BTreeMap::new(),
            source: field(file, row, &r, "source")?.to_string(),
        });
    }
    let file = "route-recoveries.csv";
    for (row, r) in records(file, recoveries)? {
        let name = field(file, row, &r, "route")?;
        let route = out
            .iter_mut()
            .find(|x| x.name == name)
            .ok_or_else(|| DataError::Row {
                file: file.into(),
                row,
                reason: format!("unknown route '{name}'"),
            })?;
        route.recoveries.insert(
            commodity(file, row, &r)?,
            (
                share(file, row, &r, "recovery")?,
                share(file, row, &r, "payability")?,
            ),
        );
    }
    Ok(out)
}

/// The economic data bundled with Qaita (illustrative, dated; see `data/econ/`).
pub mod bundled {
    pub const PRICES: &str = include_str!("../../../data/econ/prices.csv");
    pub const FX: &str = include_str!("../../../data/econ/fx.csv");
    pub const MET_RATES: &str = include_str!("../../../data/econ/met-rates.csv");
    pub const MET_PRECIOUS: &str = include_str!("../../../data/econ/met-precious.csv");
    pub const ROUTES: &str = include_str!("../../../data/econ/routes.csv");
    pub const ROUTE_RECOVERIES: &str = include_str!("../../../data/econ/route-recoveries.csv");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        let deck = PriceDeck::parse(bundled::PRICES, bundled::FX).unwrap();
        let au = &deck.prices[&"Au".parse().unwrap()];
        assert!((au.usd_per_oz(Scenario::Base) - 2600.0).abs() < 1e-9);
        assert!(
            (deck.prices[&"TREO".parse().unwrap()].usd_per_t(Scenario::Base) - 9000.0).abs() < 1e-9
        );
        let tax = TaxRegime::parse(bundled::MET_RATES, bundled::MET_PRECIOUS).unwrap();
        assert_eq!(tax.met_rate(&"Cu".parse().unwrap(), 0.0), 0.0855);
        assert_eq!(tax.met_rate(&"Au".parse().unwrap(), 1900.0), 0.075);
        assert_eq!(tax.met_rate(&"Au".parse().unwrap(), 3100.0), 0.11);
        let routes = parse_routes(bundled::ROUTES, bundled::ROUTE_RECOVERIES).unwrap();
        assert!(routes.iter().any(|r| r.name == "flotation" && r.recoveries.contains_key(&"Cu".parse().unwrap())));
    }

    #[test]
    fn bad_rows_are_named() {
        let err = PriceDeck::parse(
            "commodity,unit,low,base,high,volatility,date,source\nCu,USD/lb,1,2,3,0.2,2026,x\n",
            bundled::FX,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "prices.csv: row 2: unit 'USD/lb' must be USD/t, USD/kg or USD/oz"
        );
        let err = PriceDeck::parse(
            "commodity,unit,low,base,high,volatility,date,source\nCu,USD/t,3,2,1,0.2,2026,x\n",
            bundled::FX,
        )
        .unwrap_err();
        assert!(err.to_string().contains("low <= base <= high"));
    }
}
