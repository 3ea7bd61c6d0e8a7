//! Valuation of TMF reprocessing under Kazakhstan's tax regime. Pure computation: data comes in
//! as text or plain structs, results go out as plain structs; no files, database or HTTP.
//!
//! - [`data`]: price deck, exchange rate, MET rates, processing routes (CSV text, bundled defaults);
//! - [`valuation`]: the yearly cash-flow model, NPV, IRR, payback, break-even, tornado;
//! - [`montecarlo`]: correlated price paths and cost/grade/recovery uncertainty;
//! - [`policy`]: the MET-coefficient sweep over a whole inventory.
//!
//! ```
//! use qaita_econ::finance::{irr_all, npv};
//! let flows = [-100.0, 60.0, 60.0];
//! assert!((npv(0.1, &flows) - 4.1322).abs() < 1e-4);
//! assert_eq!(irr_all(&flows).len(), 1);
//! ```

pub mod data;
pub mod finance;
pub mod montecarlo;
pub mod policy;
pub mod valuation;
