//! The TMF registry: the `tmf` rows (document plus derived columns for filters and GIS),
//! listings with filters, sort and paging, imports planned by `qaita_model::ImportPlanner`,
//! create/update/soft delete with optimistic locking, and the audit trail with its history.

use std::collections::HashMap;
use std::sync::LazyLock;

use rayon::prelude::*;

use qaita_model::diff::{FieldChange, diff};
use qaita_model::import::PlanCounts;
use qaita_model::{
    Change, Commodity, CurrentPolicy, ImportPlanner, Kind, LegalClass, Problem, RecordResult,
    Region, Status, StoredTmf, Tmf,
};
use serde::{Deserialize, Serialize};

use crate::db::{Backend, Row, Val};
use crate::{Store, StoreError, now};

/// A longitude/latitude box in WGS84 degrees, edges included.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

impl std::str::FromStr for BBox {
    type Err = String;

    /// `min_lon,min_lat,max_lon,max_lat` in degrees.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let numbers: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("'{s}' is not min_lon,min_lat,max_lon,max_lat (four numbers)"))?;
        let [min_lon, min_lat, max_lon, max_lat] = numbers[..] else {
            return Err(format!(
                "'{s}' is not min_lon,min_lat,max_lon,max_lat (four numbers)"
            ));
        };
        if !numbers.iter().all(|v| v.is_finite())
            || !(-180.0..=180.0).contains(&min_lon)
            || !(-180.0..=180.0).contains(&max_lon)
            || !(-90.0..=90.0).contains(&min_lat)
            || !(-90.0..=90.0).contains(&max_lat)
        {
            return Err(format!("bbox '{s}' lies outside -180..180, -90..90"));
        }
        if min_lon > max_lon || min_lat > max_lat {
            return Err(format!("bbox '{s}' has a minimum above its maximum"));
        }
        Ok(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }
}

/// What a listing is ordered by; ties are broken by id, and missing values come last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Registry id (insertion order).
    #[default]
    Id,
    ExternalId,
    Name,
    Region,
    Kind,
    Tonnage,
    /// P50 NPV of the latest valuation (its deterministic NPV when it has no Monte Carlo).
    Npv,
}

impl SortKey {
    pub const NAMES: [&str; 7] = [
        "id",
        "external_id",
        "name",
        "region",
        "kind",
        "tonnage",
        "npv",
    ];

    pub fn parse(name: &str) -> Option<SortKey> {
        Some(match name {
            "id" => SortKey::Id,
            "external_id" => SortKey::ExternalId,
            "name" => SortKey::Name,
            "region" => SortKey::Region,
            "kind" => SortKey::Kind,
            "tonnage" => SortKey::Tonnage,
            "npv" => SortKey::Npv,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::ExternalId => "external_id",
            SortKey::Name => "name",
            SortKey::Region => "region",
            SortKey::Kind => "kind",
            SortKey::Tonnage => "tonnage_t",
            SortKey::Npv => "npv_usd",
        }
    }
}

/// The latest valuation's headline of the TMF in the current row, as column `npv_usd`.
const NPV_COLUMN: &str = "(SELECT a.headline FROM analysis a WHERE a.tmf_id = tmf.id AND a.kind = 'valuation' ORDER BY a.id DESC LIMIT 1) AS npv_usd";

/// Filters for listing TMFs; `None` means any.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TmfFilter {
    pub region: Option<Region>,
    pub kind: Option<Kind>,
    pub commodity: Option<Commodity>,
    pub status: Option<Status>,
    pub legal_class: Option<LegalClass>,
    pub owner_known: Option<bool>,
    /// Only TMFs whose point location lies in the box.
    pub bbox: Option<BBox>,
    /// Case-insensitive text in ids, names (all languages), operator, owner or source enterprise.
    pub text: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Lower-cased searchable text of a TMF (see [`TmfFilter::text`]).
fn search_text(tmf: &Tmf) -> String {
    let mut parts = vec![tmf.external_id.as_str(), tmf.names.name.as_str()];
    parts.extend(tmf.names.name_kk.as_deref());
    parts.extend(tmf.names.name_ru.as_deref());
    parts.extend(tmf.operator.as_deref());
    parts.extend(tmf.owner.as_deref());
    parts.extend(tmf.source_enterprise.as_deref());
    parts.extend(tmf.other_ids.values().map(String::as_str));
    parts.join("\n").to_lowercase()
}

impl TmfFilter {
    fn where_clause(&self, backend: Backend) -> (String, Vec<Param>) {
        let mut sql = String::from(" WHERE deleted_at IS NULL");
        let mut params = Vec::new();
        let mut eq = |column: &str, value: Option<&'static str>| {
            if let Some(v) = value {
                sql.push_str(&format!(" AND {column} = ?"));
                params.push(Param::Static(v));
            }
        };
        eq("region", self.region.map(|r| r.code()));
        eq("kind", self.kind.map(|k| k.code()));
        eq("status", self.status.map(|s| s.code()));
        eq("legal_class", self.legal_class.map(|l| l.code()));
        if let Some(c) = &self.commodity {
            sql.push_str(" AND commodities LIKE ?");
            params.push(Param::Text(format!("% {} %", c.code())));
        }
        match self.owner_known {
            Some(true) => sql.push_str(" AND owner IS NOT NULL AND owner <> ''"),
            Some(false) => sql.push_str(" AND (owner IS NULL OR owner = '')"),
            None => {}
        }
        if let Some(text) = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            // LIKE's wildcards in the user's text are literal.
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push_str(" AND search_text LIKE ? ESCAPE '\\'");
            params.push(Param::Text(format!("%{escaped}%")));
        }
        if let Some(b) = self.bbox {
            // The index narrows (R*Tree on SQLite, GiST on PostGIS); the exact test on the
            // columns keeps the edges exact (the R*Tree stores 32-bit floats).
            match backend {
                Backend::Sqlite => sql.push_str(
                    " AND id IN (SELECT id FROM tmf_rtree WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?)",
                ),
                Backend::Postgres => sql.push_str(
                    " AND geom && ST_MakeEnvelope(?::float8 - 1e-9, ?::float8 - 1e-9, ?::float8 + 1e-9, ?::float8 + 1e-9, 4326)",
                ),
            }
            match backend {
                Backend::Sqlite => params.extend([
                    Param::Real(b.min_lon),
                    Param::Real(b.max_lon),
                    Param::Real(b.min_lat),
                    Param::Real(b.max_lat),
                ]),
                Backend::Postgres => params.extend([
                    Param::Real(b.min_lon),
                    Param::Real(b.min_lat),
                    Param::Real(b.max_lon),
                    Param::Real(b.max_lat),
                ]),
            }
            sql.push_str(" AND lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?");
            params.extend([
                Param::Real(b.min_lon),
                Param::Real(b.max_lon),
                Param::Real(b.min_lat),
                Param::Real(b.max_lat),
            ]);
        }
        (sql, params)
    }

    /// ORDER BY and LIMIT/OFFSET, appended to `sql` with their parameters.
    fn order_and_page(&self, sql: &mut String, params: &mut Vec<Param>) {
        let direction = if self.descending { "DESC" } else { "ASC" };
        let column = self.sort.column();
        sql.push_str(&format!(" ORDER BY {column} {direction} NULLS LAST, id"));
        if self.limit.is_some() || self.offset.is_some() {
            sql.push_str(" LIMIT ? OFFSET ?");
            params.push(Param::Int(self.limit.unwrap_or(i64::MAX)));
            params.push(Param::Int(self.offset.unwrap_or(0)));
        }
    }
}

/// An owned query parameter, for SQL assembled from a filter.
enum Param {
    Static(&'static str),
    Text(String),
    Real(f64),
    Int(i64),
}

impl Param {
    fn val(&self) -> Val<'_> {
        match self {
            Param::Static(s) => Val::Text(s),
            Param::Text(s) => Val::Text(s),
            Param::Real(v) => Val::Real(*v),
            Param::Int(v) => Val::Int(*v),
        }
    }
}

fn vals(params: &[Param]) -> Vec<Val<'_>> {
    params.iter().map(Param::val).collect()
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub policy: CurrentPolicy,
    /// Report what would change; write nothing.
    pub dry_run: bool,
    /// Write the valid records and report the invalid ones (for `--rejects`) instead of writing nothing.
    pub keep_valid: bool,
    /// Who is importing (user name), recorded in the audit trail.
    pub actor: String,
    /// Why (file name, ticket), recorded in the audit trail.
    pub context: String,
    /// Records planned and written per round trip; bounds memory on large files.
    pub chunk_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            policy: CurrentPolicy::default(),
            dry_run: false,
            keep_valid: false,
            actor: "unknown".into(),
            context: String::new(),
            chunk_size: 20_000,
        }
    }
}

/// One record's outcome, for `--dry-run` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeSummary {
    pub row: usize,
    pub external_id: String,
    /// create, update or unchanged.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// What an import did (or would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub counts: PlanCounts,
    /// Every problem in every rejected record, in file order.
    pub problems: Vec<Problem>,
    /// Rows (or feature numbers) that were rejected.
    pub rejected_rows: Vec<usize>,
    /// True when the changes are in the database.
    pub committed: bool,
    pub dry_run: bool,
    /// The first changes in file order (capped, so a million-row report stays small).
    pub changes: Vec<ChangeSummary>,
}

/// How many change lines an import report keeps.
pub const REPORT_CHANGES: usize = 1000;

/// One audit record: who changed what, when, with the fields that changed.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub tmf_id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub context: Option<String>,
    /// Version of the TMF after this change.
    pub version: i64,
    pub changes: Vec<FieldChange>,
}

/// Location columns only, for spatial work on large registries without parsing documents.
#[derive(Debug, Clone, Serialize)]
pub struct LocatedTmf {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// GeoJSON geometry text of the footprint.
    pub footprint: Option<String>,
}

/// A listed TMF with its document still as JSON text (see [`Store::list_raw`]).
#[derive(Debug, Clone)]
pub struct RawTmf {
    pub id: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The TMF document (serialised [`Tmf`]).
    pub doc: String,
    pub lon: f64,
    pub lat: f64,
    /// GeoJSON geometry text of the footprint.
    pub footprint: Option<String>,
    pub tonnage_t: Option<f64>,
    pub owner_known: bool,
    /// The latest valuation's P50 NPV (deterministic NPV without Monte Carlo), USD.
    pub npv_usd: Option<f64>,
    pub external_id: String,
    pub name: String,
    pub name_kk: Option<String>,
    pub name_ru: Option<String>,
    /// Vocabulary codes.
    pub kind: String,
    pub region: String,
    pub status: String,
    pub legal_class: String,
}

fn raw_from_row(r: &Row<'_>) -> Result<RawTmf, StoreError> {
    Ok(RawTmf {
        id: r.int(0)?,
        version: r.int(1)?,
        created_at: r.text(2)?.unwrap_or_default(),
        updated_at: r.text(3)?.unwrap_or_default(),
        doc: r.text(4)?.unwrap_or_default(),
        lon: r.real(5)?.unwrap_or(f64::NAN),
        lat: r.real(6)?.unwrap_or(f64::NAN),
        footprint: r.text(7)?,
        tonnage_t: r.real(8)?,
        owner_known: r.text(9)?.is_some_and(|o| !o.trim().is_empty()),
        npv_usd: r.real(10)?,
        external_id: r.text(11)?.unwrap_or_default(),
        name: r.text(12)?.unwrap_or_default(),
        name_kk: r.text(13)?,
        name_ru: r.text(14)?,
        kind: r.text(15)?.unwrap_or_default(),
        region: r.text(16)?.unwrap_or_default(),
        status: r.text(17)?.unwrap_or_default(),
        legal_class: r.text(18)?.unwrap_or_default(),
    })
}

/// Parsed records and unparsable rows of one chunk of an import.
type Chunk = (
    Vec<(qaita_model::Origin, qaita_model::ImportRecord)>,
    Vec<(qaita_model::Origin, Vec<Problem>)>,
);

const TMF_COLUMNS: &str = "id, version, created_at, updated_at, doc";

fn stored_from_row(row: &Row<'_>) -> Result<StoredTmf, StoreError> {
    let doc = row.text(4)?.unwrap_or_default();
    Ok(StoredTmf {
        id: row.int(0)?,
        version: row.int(1)?,
        created_at: row.text(2)?.unwrap_or_default(),
        updated_at: row.text(3)?.unwrap_or_default(),
        tmf: serde_json::from_str(&doc)?,
    })
}

fn commodities_column(tmf: &Tmf) -> String {
    let mut s = String::from(" ");
    for c in tmf.commodities() {
        s.push_str(c.code());
        s.push(' ');
    }
    s
}

/// Column values derived from a TMF, shared by insert and update.
struct Columns {
    footprint: Option<String>,
    commodities: String,
    doc: String,
    search_text: String,
}

/// The `tmf` columns written from a document, in the order of [`Columns::values`].
const DATA_COLUMNS: [&str; 17] = [
    "name",
    "name_kk",
    "name_ru",
    "kind",
    "family",
    "region",
    "status",
    "legal_class",
    "operator",
    "owner",
    "lon",
    "lat",
    "footprint",
    "tonnage_t",
    "commodities",
    "doc",
    "search_text",
];

static INSERT_TMF: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO tmf (external_id, {}, version, created_at, updated_at) VALUES (?, {}, 1, ?, ?)",
        DATA_COLUMNS.join(", "),
        vec!["?"; DATA_COLUMNS.len()].join(", ")
    )
});

static UPDATE_TMF: LazyLock<String> = LazyLock::new(|| {
    let assignments: Vec<String> = DATA_COLUMNS.iter().map(|c| format!("{c} = ?")).collect();
    format!(
        "UPDATE tmf SET {}, version = version + 1, updated_at = ?, deleted_at = NULL WHERE id = ? AND version = ?",
        assignments.join(", ")
    )
});

impl Columns {
    /// Values for [`DATA_COLUMNS`].
    fn values<'a>(&'a self, tmf: &'a Tmf) -> Vec<Val<'a>> {
        vec![
            Val::Text(&tmf.names.name),
            tmf.names.name_kk.as_deref().into(),
            tmf.names.name_ru.as_deref().into(),
            Val::Text(tmf.kind.code()),
            Val::Text(tmf.family.code()),
            Val::Text(tmf.region.code()),
            Val::Text(tmf.status.code()),
            Val::Text(tmf.legal_class.code()),
            tmf.operator.as_deref().into(),
            tmf.owner.as_deref().into(),
            Val::Real(tmf.location.lon),
            Val::Real(tmf.location.lat),
            self.footprint.as_deref().into(),
            tmf.tonnage_t().into(),
            Val::Text(&self.commodities),
            Val::Text(&self.doc),
            Val::Text(&self.search_text),
        ]
    }

    fn of(tmf: &Tmf) -> Result<Self, StoreError> {
        Ok(Columns {
            footprint: tmf
                .footprint
                .as_ref()
                .map(|f| qaita_model::geometry::to_geojson(f).to_string()),
            commodities: commodities_column(tmf),
            doc: serde_json::to_string(tmf)?,
            search_text: search_text(tmf),
        })
    }
}

impl Store {
    pub fn get(&mut self, id: i64) -> Result<Option<StoredTmf>, StoreError> {
        let sql = format!("SELECT {TMF_COLUMNS} FROM tmf WHERE id = ? AND deleted_at IS NULL");
        Ok(self
            .conn
            .query(&sql, &[Val::Int(id)], stored_from_row)?
            .into_iter()
            .next())
    }

    pub fn get_by_external_id(
        &mut self,
        external_id: &str,
    ) -> Result<Option<StoredTmf>, StoreError> {
        let sql = format!("SELECT {TMF_COLUMNS} FROM tmf WHERE external_id = ?");
        Ok(self
            .conn
            .query(&sql, &[Val::Text(external_id)], stored_from_row)?
            .into_iter()
            .next())
    }

    /// Stored TMFs for the given external ids (soft-deleted ones included: an import revives them).
    pub fn find_by_external_ids(
        &mut self,
        ids: &[&str],
    ) -> Result<HashMap<String, StoredTmf>, StoreError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT {TMF_COLUMNS} FROM tmf WHERE external_id IN ({marks})");
            let params: Vec<Val<'_>> = chunk.iter().map(|s| Val::Text(s)).collect();
            for stored in self.conn.query(&sql, &params, stored_from_row)? {
                out.insert(stored.tmf.external_id.clone(), stored);
            }
        }
        Ok(out)
    }

    pub fn list(&mut self, filter: &TmfFilter) -> Result<Vec<StoredTmf>, StoreError> {
        let (where_sql, mut params) = filter.where_clause(self.backend());
        let npv = if filter.sort == SortKey::Npv {
            format!(", {NPV_COLUMN}")
        } else {
            String::new()
        };
        let mut sql = format!("SELECT {TMF_COLUMNS}{npv} FROM tmf{where_sql}");
        filter.order_and_page(&mut sql, &mut params);
        self.conn.query(&sql, &vals(&params), stored_from_row)
    }

    /// Like [`Store::list`], but the documents stay JSON text (nothing parsed), with the
    /// columns a listing shows beside them: what an HTTP server streams.
    pub fn list_raw(&mut self, filter: &TmfFilter) -> Result<Vec<RawTmf>, StoreError> {
        let (where_sql, mut params) = filter.where_clause(self.backend());
        let mut sql = format!(
            "SELECT id, version, created_at, updated_at, doc, lon, lat, footprint, tonnage_t, owner, {NPV_COLUMN}, external_id, name, name_kk, name_ru, kind, region, status, legal_class FROM tmf{where_sql}"
        );
        filter.order_and_page(&mut sql, &mut params);
        self.conn.query(&sql, &vals(&params), raw_from_row)
    }

    /// One page of [`Store::list_raw`] and the number of TMFs matching the filter over all
    /// pages. A first page shorter than the limit is the whole answer, so the count query runs
    /// only when there may be more (bounding-box queries mostly need one query).
    pub fn list_page(&mut self, filter: &TmfFilter) -> Result<(i64, Vec<RawTmf>), StoreError> {
        let rows = self.list_raw(filter)?;
        let offset = filter.offset.unwrap_or(0);
        let complete = offset == 0 && filter.limit.is_none_or(|l| (rows.len() as i64) < l);
        let total = if complete {
            rows.len() as i64
        } else {
            self.count(filter)?
        };
        Ok((total, rows))
    }

    pub fn count(&mut self, filter: &TmfFilter) -> Result<i64, StoreError> {
        let (where_sql, params) = filter.where_clause(self.backend());
        self.conn.query_int(
            &format!("SELECT count(*) FROM tmf{where_sql}"),
            &vals(&params),
        )
    }

    /// Locations of the TMFs matching `filter`, without reading their documents.
    pub fn locations(&mut self, filter: &TmfFilter) -> Result<Vec<LocatedTmf>, StoreError> {
        let (where_sql, params) = filter.where_clause(self.backend());
        let sql = format!(
            "SELECT id, external_id, name, lon, lat, footprint FROM tmf{where_sql} ORDER BY id"
        );
        self.conn.query(&sql, &vals(&params), |r| {
            Ok(LocatedTmf {
                id: r.int(0)?,
                external_id: r.text(1)?.unwrap_or_default(),
                name: r.text(2)?.unwrap_or_default(),
                lon: r.real(3)?.unwrap_or(f64::NAN),
                lat: r.real(4)?.unwrap_or(f64::NAN),
                footprint: r.text(5)?,
            })
        })
    }

    /// The audit trail of one TMF, oldest first.
    pub fn history(&mut self, id: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let parse = |text: Option<String>| -> Result<Option<Tmf>, StoreError> {
            Ok(match text {
                Some(t) => Some(serde_json::from_str(&t)?),
                None => None,
            })
        };
        let sql = "SELECT id, tmf_id, at, actor, action, context, version, before_doc FROM audit WHERE tmf_id = ? ORDER BY id";
        let rows = self.conn.query(sql, &[Val::Int(id)], |r| {
            let entry = AuditEntry {
                id: r.int(0)?,
                tmf_id: r.int(1)?,
                at: r.text(2)?.unwrap_or_default(),
                actor: r.text(3)?.unwrap_or_default(),
                action: r.text(4)?.unwrap_or_default(),
                context: r.text(5)?,
                version: r.int(6)?,
                changes: Vec::new(),
            };
            Ok((entry, r.text(7)?))
        })?;
        let current =
            self.conn
                .query("SELECT doc FROM tmf WHERE id = ?", &[Val::Int(id)], |r| {
                    r.text(0)
                })?;
        // Each row keeps the document before its change; the document after it is the next
        // row's "before", or the current document for the last change.
        let mut befores: Vec<Option<Tmf>> = Vec::with_capacity(rows.len());
        let mut entries = Vec::with_capacity(rows.len());
        for (entry, before) in rows {
            befores.push(parse(before)?);
            entries.push(entry);
        }
        let mut after = parse(current.into_iter().next().flatten())?;
        for (entry, before) in entries.iter_mut().zip(befores).rev() {
            entry.changes = diff(before.as_ref(), after.as_ref());
            after = before;
        }
        Ok(entries)
    }

    /// Search text for rows written before it existed (schema version 3).
    pub(crate) fn fill_search_text(&mut self) -> Result<(), StoreError> {
        loop {
            let rows = self.conn.query(
                "SELECT id, doc FROM tmf WHERE search_text IS NULL LIMIT 5000",
                &[],
                |r| Ok((r.int(0)?, r.text(1)?.unwrap_or_default())),
            )?;
            if rows.is_empty() {
                return Ok(());
            }
            self.conn.begin()?;
            for (id, doc) in rows {
                let tmf: Tmf = serde_json::from_str(&doc)?;
                self.conn.exec(
                    "UPDATE tmf SET search_text = ? WHERE id = ?",
                    &[Val::Text(&search_text(&tmf)), Val::Int(id)],
                )?;
            }
            self.conn.commit()?;
        }
    }

    /// A live (not deleted) TMF by registry id or external id.
    pub fn find(&mut self, key: &str) -> Result<Option<StoredTmf>, StoreError> {
        if let Ok(id) = key.parse::<i64>()
            && let Some(stored) = self.get(id)?
        {
            return Ok(Some(stored));
        }
        let sql =
            format!("SELECT {TMF_COLUMNS} FROM tmf WHERE external_id = ? AND deleted_at IS NULL");
        Ok(self
            .conn
            .query(&sql, &[Val::Text(key)], stored_from_row)?
            .into_iter()
            .next())
    }

    /// Add one TMF (validated by the caller), audited as a creation by `actor`.
    pub fn create(
        &mut self,
        tmf: &Tmf,
        actor: &str,
        context: &str,
    ) -> Result<StoredTmf, StoreError> {
        let columns = Columns::of(tmf)?;
        let at = now();
        self.conn.begin()?;
        let result = (|| {
            let taken = self.conn.query_int(
                "SELECT count(*) FROM tmf WHERE external_id = ?",
                &[Val::Text(&tmf.external_id)],
            )?;
            if taken > 0 {
                return Err(StoreError::Duplicate(format!(
                    "TMF {} (possibly deleted: importing it again revives it)",
                    tmf.external_id
                )));
            }
            let mut params = vec![Val::Text(&tmf.external_id)];
            params.extend(columns.values(tmf));
            params.extend([Val::Text(&at), Val::Text(&at)]);
            let id = self.conn.insert_returning_id(&INSERT_TMF, &params)?;
            self.conn.exec(
                "INSERT INTO audit (tmf_id, at, actor, action, context, version, before_doc) VALUES (?, ?, ?, 'create', ?, 1, NULL)",
                &[Val::Int(id), Val::Text(&at), Val::Text(actor), (!context.is_empty()).then_some(context).into()],
            )?;
            Ok(id)
        })();
        self.finish(result).and_then(|id| {
            self.get(id)?.ok_or_else(|| {
                StoreError::Invariant(format!("created TMF {id} cannot be read back"))
            })
        })
    }

    /// Replace the document of TMF `id` if it is still at `expected_version`, audited as an
    /// update by `actor`. Nothing is written (and the version stays) when nothing changed.
    pub fn update(
        &mut self,
        id: i64,
        expected_version: i64,
        tmf: &Tmf,
        actor: &str,
        context: &str,
    ) -> Result<StoredTmf, StoreError> {
        let columns = Columns::of(tmf)?;
        let at = now();
        self.conn.begin()?;
        let result = (|| {
            let current = self
                .get(id)?
                .ok_or_else(|| StoreError::NotFound(format!("TMF {id}")))?;
            if current.version != expected_version {
                return Err(StoreError::Conflict {
                    id,
                    expected: expected_version,
                });
            }
            if current.tmf == *tmf {
                return Ok(());
            }
            let before_doc = serde_json::to_string(&current.tmf)?;
            let mut params = columns.values(tmf);
            params.extend([Val::Text(&at), Val::Int(id), Val::Int(expected_version)]);
            if self.conn.exec(&UPDATE_TMF, &params)? != 1 {
                return Err(StoreError::Conflict {
                    id,
                    expected: expected_version,
                });
            }
            self.conn.exec(
                "INSERT INTO audit (tmf_id, at, actor, action, context, version, before_doc) VALUES (?, ?, ?, 'update', ?, ?, ?)",
                &[Val::Int(id), Val::Text(&at), Val::Text(actor), (!context.is_empty()).then_some(context).into(), Val::Int(expected_version + 1), Val::Text(&before_doc)],
            )?;
            Ok(())
        })();
        self.finish(result)?;
        self.get(id)?
            .ok_or_else(|| StoreError::NotFound(format!("TMF {id}")))
    }

    /// Mark TMF `id` deleted if it is still at `expected_version`: it leaves listings and
    /// statistics, its rows and history stay, and importing it again revives it.
    pub fn soft_delete(
        &mut self,
        id: i64,
        expected_version: i64,
        actor: &str,
        context: &str,
    ) -> Result<(), StoreError> {
        let at = now();
        self.conn.begin()?;
        let result = (|| {
            let current = self
                .get(id)?
                .ok_or_else(|| StoreError::NotFound(format!("TMF {id}")))?;
            if current.version != expected_version {
                return Err(StoreError::Conflict {
                    id,
                    expected: expected_version,
                });
            }
            let before_doc = serde_json::to_string(&current.tmf)?;
            let changed = self.conn.exec(
                "UPDATE tmf SET deleted_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND deleted_at IS NULL",
                &[Val::Text(&at), Val::Text(&at), Val::Int(id), Val::Int(expected_version)],
            )?;
            if changed != 1 {
                return Err(StoreError::Conflict {
                    id,
                    expected: expected_version,
                });
            }
            self.conn.exec(
                "INSERT INTO audit (tmf_id, at, actor, action, context, version, before_doc) VALUES (?, ?, ?, 'delete', ?, ?, ?)",
                &[Val::Int(id), Val::Text(&at), Val::Text(actor), (!context.is_empty()).then_some(context).into(), Val::Int(expected_version + 1), Val::Text(&before_doc)],
            )?;
            Ok(())
        })();
        self.finish(result)
    }

    /// Import records as one transaction: all or nothing, unless `keep_valid` asks to write the
    /// valid ones and report the rest. `progress` is called with the number of records read.
    pub fn import(
        &mut self,
        records: impl Iterator<Item = RecordResult> + Send,
        options: &ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport {
            counts: PlanCounts::default(),
            problems: Vec::new(),
            rejected_rows: Vec::new(),
            committed: false,
            dry_run: options.dry_run,
            changes: Vec::new(),
        };
        let started_empty = self.conn.query_int(
            "SELECT count(*) FROM (SELECT 1 FROM tmf LIMIT 1) AS any_row",
            &[],
        )? == 0;
        let mut planner = ImportPlanner::new(options.policy);
        let at = now();
        let chunk_size = options.chunk_size.max(1);
        let mut read = 0u64;
        self.conn.begin()?;
        // Reading and parsing the file runs on its own thread, a chunk ahead of planning and
        // writing; the bounded channel keeps at most two chunks in memory.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Chunk>(2);
        let result = std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut records = records;
                loop {
                    let mut chunk: Chunk = (Vec::with_capacity(chunk_size), Vec::new());
                    for item in records.by_ref().take(chunk_size) {
                        match item {
                            Ok(r) => chunk.0.push(r),
                            Err(p) => chunk.1.push(p),
                        }
                    }
                    if chunk.0.is_empty() && chunk.1.is_empty() || sender.send(chunk).is_err() {
                        break;
                    }
                }
            });
            let result = (|| -> Result<(), StoreError> {
                for (parsed, unparsed) in receiver.iter() {
                    read += (parsed.len() + unparsed.len()) as u64;
                    let existing = if started_empty {
                        HashMap::new()
                    } else {
                        let ids: Vec<&str> =
                            parsed.iter().map(|(_, r)| r.external_id.as_str()).collect();
                        self.find_by_external_ids(&ids)?
                    };
                    let plan = planner.plan_chunk(parsed, unparsed, &existing);
                    let counts = plan.counts();
                    report.counts.create += counts.create;
                    report.counts.update += counts.update;
                    report.counts.unchanged += counts.unchanged;
                    report.counts.rejected += counts.rejected;
                    report.problems.extend(plan.problems);
                    report
                        .rejected_rows
                        .extend(plan.rejected.iter().map(|(o, _)| o.row));
                    let writing =
                        !options.dry_run && (options.keep_valid || report.problems.is_empty());
                    // Documents are serialised in parallel; the database writes stay in order.
                    let columns: Vec<Option<Columns>> = if writing {
                        plan.changes
                            .par_iter()
                            .map(|c| match &c.change {
                                Change::Create(tmf) => Columns::of(tmf).map(Some),
                                Change::Update { after, .. } => Columns::of(after).map(Some),
                                Change::Unchanged { .. } => Ok(None),
                            })
                            .collect::<Result<_, _>>()?
                    } else {
                        Vec::new()
                    };
                    let mut columns = columns.into_iter();
                    for planned in plan.changes {
                        let prepared = columns.next().flatten();
                        let summary = self.write_change(planned.change, prepared, &at, options)?;
                        if report.changes.len() < REPORT_CHANGES {
                            report.changes.push(ChangeSummary {
                                row: planned.origin.row,
                                ..summary
                            });
                        }
                    }
                    progress(read);
                }
                Ok(())
            })();
            // Stops the reader early if writing failed.
            drop(receiver);
            result
        });
        let commit = result.is_ok()
            && !options.dry_run
            && (options.keep_valid || report.problems.is_empty());
        if commit {
            self.conn.commit()?;
            report.committed = true;
        } else {
            self.conn.rollback()?;
        }
        result.map(|()| report)
    }

    /// Write one planned change; `prepared` holds its column values, `None` for a dry run.
    fn write_change(
        &mut self,
        change: Change,
        prepared: Option<Columns>,
        at: &str,
        options: &ImportOptions,
    ) -> Result<ChangeSummary, StoreError> {
        let context: Option<&str> =
            (!options.context.is_empty()).then_some(options.context.as_str());
        match change {
            Change::Create(tmf) => {
                let mut id = None;
                if let Some(c) = prepared {
                    let mut params = vec![Val::Text(&tmf.external_id)];
                    params.extend(c.values(&tmf));
                    params.extend([Val::Text(at), Val::Text(at)]);
                    let new_id = self.conn.insert_returning_id(&INSERT_TMF, &params)?;
                    self.conn.exec(
                        "INSERT INTO audit (tmf_id, at, actor, action, context, version, before_doc) VALUES (?, ?, ?, 'create', ?, 1, NULL)",
                        &[Val::Int(new_id), Val::Text(at), Val::Text(&options.actor), context.into()],
                    )?;
                    id = Some(new_id);
                }
                Ok(ChangeSummary {
                    row: 0,
                    external_id: tmf.external_id,
                    action: "create",
                    id,
                    fields: Vec::new(),
                })
            }
            Change::Update {
                id,
                version,
                before,
                after,
            } => {
                let fields = diff(Some(&before), Some(&after))
                    .into_iter()
                    .map(|c| c.field)
                    .collect();
                if let Some(c) = prepared {
                    let before_doc = serde_json::to_string(&before)?;
                    let mut params = c.values(&after);
                    params.extend([Val::Text(at), Val::Int(id), Val::Int(version)]);
                    let changed = self.conn.exec(&UPDATE_TMF, &params)?;
                    if changed != 1 {
                        return Err(StoreError::Conflict {
                            id,
                            expected: version,
                        });
                    }
                    self.conn.exec(
                        "INSERT INTO audit (tmf_id, at, actor, action, context, version, before_doc) VALUES (?, ?, ?, 'update', ?, ?, ?)",
                        &[
                            Val::Int(id),
                            Val::Text(at),
                            Val::Text(&options.actor),
                            context.into(),
                            Val::Int(version + 1),
                            Val::Text(&before_doc),
                        ],
                    )?;
                }
                Ok(ChangeSummary {
                    row: 0,
                    external_id: after.external_id.clone(),
                    action: "update",
                    id: Some(id),
                    fields,
                })
            }
            Change::Unchanged { id } => {
                let external_id = self
                    .conn
                    .query(
                        "SELECT external_id FROM tmf WHERE id = ?",
                        &[Val::Int(id)],
                        |r| Ok(r.text(0)?.unwrap_or_default()),
                    )?
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                Ok(ChangeSummary {
                    row: 0,
                    external_id,
                    action: "unchanged",
                    id: Some(id),
                    fields: Vec::new(),
                })
            }
        }
    }
}
