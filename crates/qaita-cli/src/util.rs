//! Helpers every command group shares: finding a TMF by id, saying it is missing, and the
//! registry filter from the command line. A leaf: it imports no sibling module.

use anyhow::{Result, anyhow};
use qaita_model::{Commodity, StoredTmf};
use qaita_store::{Store, TmfFilter};

use crate::FilterArgs;

/// The TMF with this registry id or external id.
pub(crate) fn find(store: &mut Store, id: &str) -> Result<Option<StoredTmf>> {
    if let Ok(number) = id.parse::<i64>()
        && let Some(found) = store.get(number)?
    {
        return Ok(Some(found));
    }
    Ok(store.get_by_external_id(id)?)
}

/// Say that no TMF has this id; the exit code for it.
pub(crate) fn not_found(id: &str) -> u8 {
    eprintln!("error: no TMF with id or external id '{id}'");
    crate::exit::NOT_FOUND
}

/// The registry filter the filter flags describe.
pub(crate) fn filter(args: &FilterArgs) -> Result<TmfFilter> {
    fn parse<T: std::str::FromStr>(value: &Option<String>) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        value
            .as_deref()
            .map(|v| v.parse::<T>().map_err(|e| anyhow!("{e}")))
            .transpose()
    }
    Ok(TmfFilter {
        region: parse(&args.region)?,
        kind: parse(&args.kind)?,
        commodity: parse::<Commodity>(&args.commodity)?,
        status: parse(&args.status)?,
        legal_class: parse(&args.legal_class)?,
        owner_known: args.owner_known,
        bbox: parse(&args.bbox)?,
        text: args.search.clone(),
        ..TmfFilter::default()
    })
}
