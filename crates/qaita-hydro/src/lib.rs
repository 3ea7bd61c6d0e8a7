//! Hydrology for Qaita's flood early warning: the GR4J daily rainfall-runoff model exactly as
//! airGR computes it ([`gr4j`]), Oudin potential evapotranspiration ([`pet`]), the
//! goodness-of-fit criteria hydrologists judge a simulation by ([`metrics`]) and airGR-style
//! Michel calibration ([`calibrate`]), flood frequency ([`frequency`]) and warning rules over
//! ensemble forecasts with their hindcast skill ([`warning`]).
//!
//! Pure computation over plain slices: no I/O, no database. Flows and rain are in mm per day
//! over the catchment; temperatures in °C.
//!
//! Invariant: a run split anywhere and restarted from the saved [`gr4j::State`] gives the same
//! flows as one continuous run (to the bit: the same operations in the same order).

pub mod calibrate;
pub mod forecast;
pub mod frequency;
pub mod gr4j;
pub mod metrics;
pub mod pet;
pub mod warning;
