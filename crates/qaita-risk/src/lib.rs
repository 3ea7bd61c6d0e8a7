//! Risk of TMFs to people: exposure of settlements. Pure computation: no I/O, no database.
//!
//! ```
//! use qaita_model::Settlement;
//! use qaita_risk::proximity::{ProximityConfig, SettlementIndex, Site};
//! let towns = vec![Settlement { id: 1, name: "Shymkent".into(), population: 414_032, lon: 69.6, lat: 42.3 }];
//! let index = SettlementIndex::new(towns, ProximityConfig::default()).unwrap();
//! let p = index.assess(&Site { lon: 69.56, lat: 42.30, footprint: None });
//! assert!(p.near_settlement);
//! ```

pub mod proximity;
