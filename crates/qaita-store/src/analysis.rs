//! Stored analyses of a TMF (valuations, resource estimates): one row per run with method,
//! parameters and result as JSON, numbered as versions per TMF and kind; never overwritten.

use serde::Serialize;

use crate::db::Val;
use crate::{Store, StoreError, now};

/// A stored analysis of one TMF (a valuation, a resource estimate), one version of it.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub id: i64,
    pub tmf_id: i64,
    /// "valuation", "resource_estimate", ...
    pub kind: String,
    pub created_at: String,
    pub actor: String,
    /// What computed it (engine and model).
    pub method: String,
    pub parameters: serde_json::Value,
    pub result: serde_json::Value,
    /// 1 for the first analysis of this kind on this TMF, then 2, 3, ...
    pub version: i64,
}

impl Store {
    /// Store a new version of an analysis of `tmf_id`; returns its id. `headline` is the number
    /// listings sort by (P50 NPV for a valuation).
    #[allow(clippy::too_many_arguments)]
    pub fn add_analysis(
        &mut self,
        tmf_id: i64,
        kind: &str,
        actor: &str,
        method: &str,
        parameters: &serde_json::Value,
        result: &serde_json::Value,
        headline: Option<f64>,
    ) -> Result<i64, StoreError> {
        let (parameters, result, at) = (parameters.to_string(), result.to_string(), now());
        self.conn.insert_returning_id(
            "INSERT INTO analysis (tmf_id, kind, created_at, actor, method, parameters, result, headline) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[Val::Int(tmf_id), Val::Text(kind), Val::Text(&at), Val::Text(actor), Val::Text(method), Val::Text(&parameters), Val::Text(&result), headline.filter(|v| v.is_finite()).into()],
        )
    }

    /// Every version of one kind of analysis of a TMF, oldest first.
    pub fn analyses(&mut self, tmf_id: i64, kind: &str) -> Result<Vec<Analysis>, StoreError> {
        let rows = self.conn.query(
            "SELECT id, tmf_id, kind, created_at, actor, method, parameters, result FROM analysis WHERE tmf_id = ? AND kind = ? ORDER BY id",
            &[Val::Int(tmf_id), Val::Text(kind)],
            |r| {
                Ok(Analysis {
                    id: r.int(0)?,
                    tmf_id: r.int(1)?,
                    kind: r.text(2)?.unwrap_or_default(),
                    created_at: r.text(3)?.unwrap_or_default(),
                    actor: r.text(4)?.unwrap_or_default(),
                    method: r.text(5)?.unwrap_or_default(),
                    parameters: serde_json::from_str(&r.text(6)?.unwrap_or_default())?,
                    result: serde_json::from_str(&r.text(7)?.unwrap_or_default())?,
                    version: 0,
                })
            },
        )?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, a)| Analysis {
                version: i as i64 + 1,
                ..a
            })
            .collect())
    }
}
