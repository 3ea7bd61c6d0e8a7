//! Writers: CSV (UTF-8 or Windows-1251) and GeoJSON in the flat import layout, so an export
//! imports back unchanged; GeoPackage for QGIS/GDAL; rejects files for `--rejects`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use encoding_rs::WINDOWS_1251;
use geozero::{CoordDimensions, ToWkb};
use qaita_model::{Commodity, FigureField, Problem, StoredTmf, Tmf};

use crate::flat::{export_columns, export_row};
use crate::read::{Format, ReadOptions, TextEncoding, decode};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("GeoPackage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("geometry: {0}")]
    Geometry(String),
    #[error(
        "Windows-1251 cannot represent {character:?} in {external_id}, column {column}; export in UTF-8 instead"
    )]
    Unencodable {
        external_id: String,
        column: String,
        character: char,
    },
}

/// CSV in the import layout. Windows-1251 output fails, naming the object and column, if a
/// value holds a character that code page lacks (the Kazakh letters ә, ғ, қ, ң, ө, ұ, ү, һ, і).
pub fn write_csv(
    out: impl Write,
    tmfs: &[&Tmf],
    encoding: TextEncoding,
    delimiter: u8,
) -> Result<(), ExportError> {
    let columns = export_columns(tmfs);
    let mut buffer = Vec::new();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(&mut buffer);
        writer.write_record(&columns)?;
        for tmf in tmfs {
            let row = export_row(tmf, &columns);
            if encoding == TextEncoding::Windows1251 {
                for (cell, column) in row.iter().zip(&columns) {
                    let (_, _, unmappable) = WINDOWS_1251.encode(cell);
                    if unmappable {
                        let character = cell
                            .chars()
                            .find(|c| WINDOWS_1251.encode(&c.to_string()).2)
                            .unwrap_or('?');
                        return Err(ExportError::Unencodable {
                            external_id: tmf.external_id.clone(),
                            column: column.clone(),
                            character,
                        });
                    }
                }
            }
            writer.write_record(&row)?;
        }
        writer.flush()?;
    }
    let bytes = match encoding {
        TextEncoding::Windows1251 => {
            let text =
                String::from_utf8(buffer).map_err(|e| ExportError::Geometry(e.to_string()))?;
            WINDOWS_1251.encode(&text).0.into_owned()
        }
        _ => buffer,
    };
    let mut out = out;
    out.write_all(&bytes)?;
    Ok(())
}

/// GeoJSON FeatureCollection: footprint (or point) geometry, flat import-layout properties.
pub fn write_geojson(out: impl Write, tmfs: &[&Tmf]) -> Result<(), ExportError> {
    let columns = export_columns(tmfs);
    let features: Vec<geojson::Feature> = tmfs
        .iter()
        .map(|tmf| {
            let value = match &tmf.footprint {
                Some(f) => geojson::GeometryValue::from(f),
                None => geojson::GeometryValue::new_point([tmf.location.lon, tmf.location.lat]),
            };
            let mut properties = geojson::JsonObject::new();
            for (column, cell) in columns.iter().zip(export_row(tmf, &columns)) {
                if column == "footprint" || cell.is_empty() {
                    continue; // the geometry carries it; empty cells mean "unknown"
                }
                properties.insert(column.clone(), serde_json::Value::String(cell));
            }
            geojson::Feature {
                geometry: Some(geojson::Geometry::new(value)),
                properties: Some(properties),
                ..geojson::Feature::default()
            }
        })
        .collect();
    let collection = geojson::FeatureCollection {
        features,
        bbox: None,
        foreign_members: None,
    };
    serde_json::to_writer(out, &collection)?;
    Ok(())
}

/// Grade columns of the GeoPackage: canonical units per commodity (% for base metals, g/t for
/// precious metals, ppm for trace and rare metals) so QGIS can style by a number.
fn gpkg_grade_unit(c: &Commodity) -> (&'static str, f64) {
    match c.code() {
        "Au" | "Ag" | "Pt" | "Pd" | "PGM" => ("gpt", 1e6),
        "TREO" | "REE" | "Sc" | "Ga" | "V" | "U" | "In" | "Ge" | "Li" | "Nb" | "Ta" | "Y"
        | "Re" | "Mo" | "W" | "Co" => ("ppm", 1e6),
        _ => ("pct", 1e2),
    }
}

fn gpkg_blob(geometry: geo_types::Geometry<f64>) -> Result<Vec<u8>, ExportError> {
    use geo::BoundingRect;
    let envelope = match &geometry {
        geo_types::Geometry::Point(_) => Vec::new(),
        g => g
            .bounding_rect()
            .map(|r| vec![r.min().x, r.max().x, r.min().y, r.max().y])
            .unwrap_or_default(),
    };
    geometry
        .to_gpkg_wkb(CoordDimensions::xy(), Some(4326), envelope)
        .map_err(|e| ExportError::Geometry(e.to_string()))
}

/// GeoPackage 1.2 with two layers: `tmf` (points, every attribute and current figure in
/// canonical units) and `tmf_footprint` (multipolygons). Replaces an existing file.
pub fn write_gpkg(path: &Path, tmfs: &[&StoredTmf]) -> Result<(), ExportError> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA application_id = 1196444487;
         PRAGMA user_version = 10200;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES
           ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
           ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
           ('WGS 84 geodetic', 4326, 'EPSG', 4326,
            'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]',
            'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
           description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
           srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));",
    )?;
    let mut commodities: Vec<&Commodity> = tmfs.iter().flat_map(|s| s.tmf.commodities()).collect();
    commodities.sort();
    commodities.dedup();
    let grade_columns: Vec<(String, &Commodity, f64)> = commodities
        .iter()
        .map(|c| {
            let (unit, factor) = gpkg_grade_unit(c);
            (format!("{}_{unit}", c.code().to_lowercase()), *c, factor)
        })
        .collect();
    let mut create = String::from(
        "CREATE TABLE tmf (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, qaita_id INTEGER NOT NULL, external_id TEXT NOT NULL,
         name TEXT NOT NULL, name_kk TEXT, name_ru TEXT, kind TEXT NOT NULL, family TEXT NOT NULL, region TEXT NOT NULL,
         operator TEXT, owner TEXT, owner_known BOOLEAN NOT NULL, source_enterprise TEXT, status TEXT NOT NULL,
         legal_class TEXT NOT NULL, accumulation_from INTEGER, accumulation_to INTEGER, hazard_notes TEXT,
         tonnage_t REAL, volume_m3 REAL, area_m2 REAL, density_t_m3 REAL",
    );
    for (column, _, _) in &grade_columns {
        create.push_str(&format!(", {column} REAL"));
    }
    create.push_str(
        ", tonnage_source TEXT, tonnage_source_date TEXT, tonnage_confidence TEXT, illustrative BOOLEAN NOT NULL,
         conflicting_figures INTEGER NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)",
    );
    let tx = conn.transaction()?;
    tx.execute_batch(&create)?;
    tx.execute_batch(
        "CREATE TABLE tmf_footprint (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON, qaita_id INTEGER NOT NULL,
         external_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, region TEXT NOT NULL)",
    )?;
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut footprint_bounds = bounds;
    {
        let placeholders = vec!["?"; 29 + grade_columns.len()].join(",");
        let mut insert = tx.prepare(&format!("INSERT INTO tmf VALUES (NULL,{placeholders})"))?;
        let mut insert_footprint =
            tx.prepare("INSERT INTO tmf_footprint VALUES (NULL,?,?,?,?,?,?)")?;
        for stored in tmfs {
            let tmf = &stored.tmf;
            let (lon, lat) = (tmf.location.lon, tmf.location.lat);
            bounds = [
                bounds[0].min(lon),
                bounds[1].min(lat),
                bounds[2].max(lon),
                bounds[3].max(lat),
            ];
            let canonical = |field: FigureField| tmf.current(&field).map(|f| f.canonical());
            let tonnage = tmf.current(&FigureField::Tonnage);
            let conflicting = tmf.figures.iter().filter(|f| !f.current).count() as i64;
            let illustrative = tmf.figures.iter().any(|f| f.provenance.illustrative);
            let mut values: Vec<rusqlite::types::Value> = vec![
                gpkg_blob(geo_types::Geometry::Point(geo_types::Point::new(lon, lat)))?.into(),
                stored.id.into(),
                tmf.external_id.clone().into(),
                tmf.names.name.clone().into(),
                tmf.names.name_kk.clone().into(),
                tmf.names.name_ru.clone().into(),
                tmf.kind.code().to_string().into(),
                tmf.family.code().to_string().into(),
                tmf.region.code().to_string().into(),
                tmf.operator.clone().into(),
                tmf.owner.clone().into(),
                tmf.owner_known().into(),
                tmf.source_enterprise.clone().into(),
                tmf.status.code().to_string().into(),
                tmf.legal_class.code().to_string().into(),
                tmf.accumulation_from.map(i64::from).into(),
                tmf.accumulation_to.map(i64::from).into(),
                tmf.hazard_notes.clone().into(),
                canonical(FigureField::Tonnage).into(),
                canonical(FigureField::Volume).into(),
                canonical(FigureField::Area).into(),
                canonical(FigureField::Density).into(),
            ];
            for (_, commodity, factor) in &grade_columns {
                values.push(tmf.grade_fraction(commodity).map(|g| g * factor).into());
            }
            values.extend([
                tonnage.map(|f| f.provenance.source.clone()).into(),
                tonnage
                    .and_then(|f| f.provenance.date.map(|d| d.to_string()))
                    .into(),
                tonnage
                    .map(|f| f.provenance.confidence.code().to_string())
                    .into(),
                illustrative.into(),
                conflicting.into(),
                stored.version.into(),
                stored.updated_at.clone().into(),
            ]);
            insert.execute(rusqlite::params_from_iter(values))?;
            if let Some(footprint) = &tmf.footprint {
                use geo::BoundingRect;
                if let Some(r) = footprint.bounding_rect() {
                    footprint_bounds = [
                        footprint_bounds[0].min(r.min().x),
                        footprint_bounds[1].min(r.min().y),
                        footprint_bounds[2].max(r.max().x),
                        footprint_bounds[3].max(r.max().y),
                    ];
                }
                insert_footprint.execute(rusqlite::params![
                    gpkg_blob(geo_types::Geometry::MultiPolygon(footprint.clone()))?,
                    stored.id,
                    tmf.external_id,
                    tmf.names.name,
                    tmf.kind.code(),
                    tmf.region.code(),
                ])?;
            }
        }
    }
    let finite = |b: [f64; 4]| -> [Option<f64>; 4] { b.map(|v| v.is_finite().then_some(v)) };
    for (table, description, geometry_type, b) in [
        (
            "tmf",
            "Technogenic mineral formations of Kazakhstan (Qaita registry)",
            "POINT",
            finite(bounds),
        ),
        (
            "tmf_footprint",
            "Footprints of technogenic mineral formations (Qaita registry)",
            "MULTIPOLYGON",
            finite(footprint_bounds),
        ),
    ] {
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
             VALUES (?, 'features', ?, ?, ?, ?, ?, ?, 4326)",
            rusqlite::params![table, table, description, b[0], b[1], b[2], b[3]],
        )?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)",
            rusqlite::params![table, geometry_type],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Write the rejected rows of `input` to `out` with a `reject_reason` column, in the input's
/// own format family (CSV for CSV and XLSX inputs, GeoJSON for GeoJSON), so they can be fixed
/// and imported again.
pub fn write_rejects(
    input: &Path,
    format: Format,
    options: &ReadOptions,
    rejected: &BTreeMap<usize, Vec<Problem>>,
    out: &Path,
) -> Result<(), ExportError> {
    let reason = |row: usize| -> String {
        rejected[&row]
            .iter()
            .map(|p| match &p.field {
                Some(f) => format!("{f}: {}", p.reason),
                None => p.reason.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let file = input.display().to_string();
    let bytes = std::fs::read(input)?;
    match format {
        Format::GeoJson => {
            let mut collection: geojson::FeatureCollection = serde_json::from_slice(&bytes)?;
            collection.features = collection
                .features
                .into_iter()
                .enumerate()
                .filter(|(i, _)| rejected.contains_key(&(i + 1)))
                .map(|(i, mut f)| {
                    f.properties
                        .get_or_insert_with(Default::default)
                        .insert("reject_reason".into(), reason(i + 1).into());
                    f
                })
                .collect();
            serde_json::to_writer(std::fs::File::create(out)?, &collection)?;
        }
        Format::Csv => {
            let (text, _) = decode(&file, &bytes, options.encoding)
                .map_err(|p| ExportError::Geometry(p[0].to_string()))?;
            let delimiter =
                options
                    .delimiter
                    .unwrap_or(if text.lines().next().unwrap_or("").contains(';') {
                        b';'
                    } else {
                        b','
                    });
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut writer = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_path(out)?;
            let mut header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
            header.push("reject_reason".into());
            writer.write_record(&header)?;
            for record in reader.records() {
                let record = match record {
                    Ok(r) => r,
                    Err(_) => continue,
                };
                let line = record.position().map_or(0, |p| p.line() as usize);
                if rejected.contains_key(&line) {
                    let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
                    cells.resize(header.len() - 1, String::new());
                    cells.push(reason(line));
                    writer.write_record(&cells)?;
                }
            }
            writer.flush()?;
        }
        Format::Xlsx => {
            use calamine::Reader;
            let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
                .map_err(|e| ExportError::Geometry(e.to_string()))?;
            let sheet = match &options.sheet {
                Some(s) => s.clone(),
                None => book.sheet_names().first().cloned().unwrap_or_default(),
            };
            let range = book
                .worksheet_range(&sheet)
                .map_err(|e| ExportError::Geometry(e.to_string()))?;
            let start_row = range.start().map_or(0, |(r, _)| r as usize);
            let mut writer = csv::WriterBuilder::new().flexible(true).from_path(out)?;
            for (i, cells) in range.rows().enumerate() {
                // Same numbering as the reader: the header is sheet row start_row + 1.
                let row = start_row + i + 1;
                let mut texts: Vec<String> = cells.iter().map(crate::read::cell_text).collect();
                if i == 0 {
                    texts.push("reject_reason".into());
                } else if rejected.contains_key(&row) {
                    texts.push(reason(row));
                } else {
                    continue;
                }
                writer.write_record(&texts)?;
            }
            writer.flush()?;
        }
    }
    Ok(())
}

/// A table in GSLIB's Geo-EAS format (title line, number of variables, one name per line, then
/// space-separated rows), as GSLIB programs, SGeMS and most mining packages read it; values that
/// are not finite become GSLIB's `-999` missing code.
pub fn write_gslib(
    mut out: impl Write,
    title: &str,
    names: &[&str],
    rows: impl IntoIterator<Item = Vec<f64>>,
) -> std::io::Result<()> {
    writeln!(out, "{}", title.replace(['\n', '\r'], " "))?;
    writeln!(out, "{}", names.len())?;
    for name in names {
        writeln!(out, "{name}")?;
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| {
                if v.is_finite() {
                    format!("{v}")
                } else {
                    "-999".to_string()
                }
            })
            .collect();
        writeln!(out, "{}", cells.join(" "))?;
    }
    out.flush()
}

#[cfg(test)]
mod gslib_tests {
    #[test]
    fn gslib_has_header_names_and_missing_codes() {
        let mut out = Vec::new();
        super::write_gslib(
            &mut out,
            "blocks",
            &["x", "grade"],
            [vec![1.5, 0.25], vec![2.0, f64::NAN]],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "blocks\n2\nx\ngrade\n1.5 0.25\n2 -999\n"
        );
    }
}
