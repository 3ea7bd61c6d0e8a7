//! What changed between two versions of a TMF, field by field, for the audit trail.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::tmf::Tmf;

/// One changed field: its name and the values before and after (JSON, `null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

fn flatten(tmf: Option<&Tmf>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Some(tmf) = tmf else { return out };
    let Ok(Value::Object(map)) = serde_json::to_value(tmf) else {
        return out;
    };
    for (key, value) in map {
        if key == "figures" {
            // Figures are keyed by field and origin so that a new source shows as an addition.
            for figure in value.as_array().into_iter().flatten() {
                let p = &figure["provenance"];
                let key = format!(
                    "figure {} [{}{}]",
                    figure["field"].as_str().unwrap_or("?"),
                    p["source"].as_str().unwrap_or("?"),
                    p["date"]
                        .as_str()
                        .map(|d| format!(", {d}"))
                        .unwrap_or_default()
                );
                out.insert(key, figure.clone());
            }
        } else {
            out.insert(key, value);
        }
    }
    out
}

/// Fields that differ between `before` and `after` (either may be absent: creation, deletion).
pub fn diff(before: Option<&Tmf>, after: Option<&Tmf>) -> Vec<FieldChange> {
    let before = flatten(before);
    let after = flatten(after);
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let b = before.get(key).cloned().unwrap_or(Value::Null);
            let a = after.get(key).cloned().unwrap_or(Value::Null);
            (a != b).then(|| FieldChange {
                field: key.clone(),
                before: b,
                after: a,
            })
        })
        .collect()
}
