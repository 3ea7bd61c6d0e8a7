//! Readers: CSV (UTF-8 or Windows-1251, `,` `;` or tab), XLSX, GeoJSON. Each gives a stream of
//! records in the flat layout of [`crate::flat`], or the file-level problems that stop it.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1251};
use geo::InteriorPoint;
use qaita_model::geometry::footprint_from_geometry;
use qaita_model::{DecimalSeparator, Location, Origin, Problem, RecordResult};

use crate::flat::Header;

/// File formats Qaita reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    GeoJson,
}

impl Format {
    /// Guess from the file extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_lowercase().as_str() {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Xlsx),
            "geojson" | "json" => Some(Format::GeoJson),
            _ => None,
        }
    }
}

/// Text encodings of CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 if the bytes are valid UTF-8 (or have a BOM), else Windows-1251.
    #[default]
    Auto,
    Utf8,
    /// Cyrillic Windows code page, common in Kazakh government exports.
    Windows1251,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Auto => "auto",
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1251 => "windows-1251",
        }
    }
}

/// How to read a file; `None` fields are detected.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: TextEncoding,
    pub delimiter: Option<u8>,
    pub decimal: Option<DecimalSeparator>,
    /// XLSX sheet; the first sheet if `None`.
    pub sheet: Option<String>,
}

/// An opened input: its records and what was detected.
pub struct Input {
    pub records: Box<dyn Iterator<Item = RecordResult> + Send>,
    /// Number of data rows, for progress bars.
    pub rows: u64,
    pub encoding: TextEncoding,
}

/// Open `path` and return its records, or the problems that prevent reading it at all.
pub fn read(path: &Path, format: Format, options: &ReadOptions) -> Result<Input, Vec<Problem>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| vec![Problem::whole_file(&file, format!("cannot read: {e}"))])?;
    read_bytes(&file, &bytes, format, options)
}

/// Like [`read`], for content already in memory; `file` names it in problems.
pub fn read_bytes(
    file: &str,
    bytes: &[u8],
    format: Format,
    options: &ReadOptions,
) -> Result<Input, Vec<Problem>> {
    match format {
        Format::Csv => read_csv(file, bytes, options),
        Format::Xlsx => read_xlsx(file, bytes.to_vec(), options),
        Format::GeoJson => read_geojson(file, bytes, options),
    }
}

/// Decode CSV bytes to text, reporting the encoding used.
pub fn decode(
    file: &str,
    bytes: &[u8],
    encoding: TextEncoding,
) -> Result<(String, TextEncoding), Vec<Problem>> {
    let (text, used) = match encoding {
        TextEncoding::Utf8 => {
            let (text, _, errors) = UTF_8.decode(bytes);
            if errors {
                let at = std::str::from_utf8(bytes)
                    .err()
                    .map(|e| e.valid_up_to())
                    .unwrap_or(0);
                return Err(vec![Problem::whole_file(
                    file,
                    format!(
                        "not valid UTF-8 (byte {at}); if it comes from Excel in Russian or Kazakh, try --encoding windows-1251"
                    ),
                )]);
            }
            (text.into_owned(), TextEncoding::Utf8)
        }
        TextEncoding::Windows1251 => (
            WINDOWS_1251
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            TextEncoding::Windows1251,
        ),
        TextEncoding::Auto => match Encoding::for_bom(bytes) {
            Some((enc, _)) => (
                enc.decode_with_bom_removal(bytes).0.into_owned(),
                TextEncoding::Utf8,
            ),
            None => match std::str::from_utf8(bytes) {
                Ok(text) => (text.to_string(), TextEncoding::Utf8),
                Err(_) => (
                    WINDOWS_1251
                        .decode_without_bom_handling(bytes)
                        .0
                        .into_owned(),
                    TextEncoding::Windows1251,
                ),
            },
        },
    };
    Ok((text.trim_start_matches('\u{feff}').to_string(), used))
}

/// The delimiter of a CSV file: whichever of `,` `;` tab is most frequent in the header line.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

struct CsvRecords {
    file: String,
    reader: csv::Reader<Cursor<Vec<u8>>>,
    header: Header,
    decimal: DecimalSeparator,
    record: csv::StringRecord,
    done: bool,
}

impl Iterator for CsvRecords {
    type Item = RecordResult;

    fn next(&mut self) -> Option<RecordResult> {
        while !self.done {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = self.record.position().map_or(0, |p| p.line() as usize);
                    let origin = Origin {
                        file: self.file.clone(),
                        row: line,
                        unit: "row",
                    };
                    if self.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let cells: Vec<&str> = self.record.iter().collect();
                    return Some(match self.header.record(&cells, &origin, self.decimal) {
                        Ok(r) => Ok((origin, r)),
                        Err(p) => Err((origin, p)),
                    });
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    let origin = Origin {
                        file: self.file.clone(),
                        row: line,
                        unit: "row",
                    };
                    // Only malformed-record errors let the reader go on to the next row.
                    self.done = !matches!(
                        e.kind(),
                        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                    );
                    return Some(Err((
                        origin.clone(),
                        vec![Problem::at(&origin, None, format!("unreadable CSV: {e}"))],
                    )));
                }
            }
        }
        None
    }
}

fn read_csv(file: &str, bytes: &[u8], options: &ReadOptions) -> Result<Input, Vec<Problem>> {
    let (text, encoding) = decode(file, bytes, options.encoding)?;
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    // Semicolon-separated files are what Excel writes where the decimal separator is a comma.
    let decimal = options.decimal.unwrap_or(if delimiter == b';' {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    });
    let rows = text
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        .saturating_sub(1) as u64;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Cursor::new(text.into_bytes()));
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| {
            vec![Problem::whole_file(
                file,
                format!("cannot read the header row: {e}"),
            )]
        })?
        .iter()
        .map(str::to_string)
        .collect();
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err(vec![Problem::whole_file(file, "empty file: no header row")]);
    }
    let header = Header::parse(file, &names)?;
    let records = CsvRecords {
        file: file.to_string(),
        reader,
        header,
        decimal,
        record: csv::StringRecord::new(),
        done: false,
    };
    Ok(Input {
        records: Box::new(records),
        rows,
        encoding,
    })
}

pub(crate) fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{day:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

fn read_xlsx(file: &str, bytes: Vec<u8>, options: &ReadOptions) -> Result<Input, Vec<Problem>> {
    let whole = |reason: String| vec![Problem::whole_file(file, reason)];
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| whole(format!("not a readable spreadsheet: {e}")))?;
    let sheet = match &options.sheet {
        Some(s) => s.clone(),
        None => workbook
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| whole("the workbook has no sheet".into()))?,
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| whole(format!("sheet '{sheet}': {e}")))?;
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows();
    let names: Vec<String> = rows
        .next()
        .ok_or_else(|| whole(format!("sheet '{sheet}' is empty")))?
        .iter()
        .map(cell_text)
        .collect();
    let header = Header::parse(file, &names)?;
    let decimal = options.decimal.unwrap_or_default();
    let file = file.to_string();
    let records: Vec<RecordResult> = rows
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !cell_text(c).trim().is_empty()))
        .map(|(i, cells)| {
            // Spreadsheet row numbers as the user sees them: header is start_row + 1.
            let origin = Origin {
                file: file.clone(),
                row: start_row + i + 2,
                unit: "row",
            };
            let texts: Vec<String> = cells.iter().map(cell_text).collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            match header.record(&refs, &origin, decimal) {
                Ok(r) => Ok((origin, r)),
                Err(p) => Err((origin, p)),
            }
        })
        .collect();
    let n = records.len() as u64;
    Ok(Input {
        records: Box::new(records.into_iter()),
        rows: n,
        encoding: TextEncoding::Utf8,
    })
}

fn property_text(value: &serde_json::Value) -> Result<String, String> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) if o.contains_key("value") && o.contains_key("unit") => {
            format!(
                "{} {}",
                property_text(&o["value"])?,
                property_text(&o["unit"])?
            )
        }
        Value::Object(o) if o.contains_key("type") && o.contains_key("coordinates") => {
            value.to_string()
        }
        other => {
            return Err(format!(
                "unexpected value {other}: give a string, a number or {{\"value\": .., \"unit\": ..}}"
            ));
        }
    })
}

fn read_geojson(file: &str, bytes: &[u8], options: &ReadOptions) -> Result<Input, Vec<Problem>> {
    let whole = |reason: String| vec![Problem::whole_file(file, reason)];
    let collection: geojson::FeatureCollection = serde_json::from_slice(bytes)
        .map_err(|e| whole(format!("not a GeoJSON FeatureCollection: {e}")))?;
    // The header is the union of property names across features, in first-seen order.
    let mut names: Vec<String> = Vec::new();
    for feature in &collection.features {
        for key in feature.properties.iter().flat_map(|p| p.keys()) {
            if !names.contains(key) {
                names.push(key.clone());
            }
        }
    }
    let has_lon = names.iter().any(|n| n.eq_ignore_ascii_case("lon"));
    let has_footprint = names.iter().any(|n| n.eq_ignore_ascii_case("footprint"));
    let mut all_names = names.clone();
    if !has_lon {
        all_names.extend(["lon".to_string(), "lat".to_string()]);
    }
    if !has_footprint {
        all_names.push("footprint".to_string());
    }
    let header = Header::parse(file, &all_names)?;
    let decimal = options.decimal.unwrap_or_default();
    let file = file.to_string();
    let records: Vec<RecordResult> = collection
        .features
        .into_iter()
        .enumerate()
        .map(|(i, feature)| {
            let origin = Origin {
                file: file.clone(),
                row: i + 1,
                unit: "feature",
            };
            let mut problems = Vec::new();
            let mut cells: Vec<String> = names
                .iter()
                .map(|n| {
                    let value = feature.properties.as_ref().and_then(|p| p.get(n));
                    value
                        .map(property_text)
                        .transpose()
                        .unwrap_or_else(|e| {
                            problems.push(Problem::at(&origin, Some(n), e));
                            None
                        })
                        .unwrap_or_default()
                })
                .collect();
            let mut point: Option<Location> = None;
            let mut footprint_text = String::new();
            if let Some(geometry) = &feature.geometry {
                match geo_types::Geometry::<f64>::try_from(geometry) {
                    Ok(geo_types::Geometry::Point(p)) => {
                        point = Some(Location {
                            lon: p.x(),
                            lat: p.y(),
                        })
                    }
                    Ok(g) => match footprint_from_geometry(g) {
                        Ok(fp) => {
                            point = fp.interior_point().map(|p| Location {
                                lon: p.x(),
                                lat: p.y(),
                            });
                            footprint_text =
                                serde_json::to_string(&qaita_model::geometry::to_geojson(&fp))
                                    .unwrap_or_default();
                        }
                        Err(e) => problems.push(Problem::at(&origin, Some("geometry"), e)),
                    },
                    Err(e) => problems.push(Problem::at(
                        &origin,
                        Some("geometry"),
                        format!("unusable geometry: {e}"),
                    )),
                }
            }
            if !has_lon {
                cells.push(point.map(|p| p.lon.to_string()).unwrap_or_default());
                cells.push(point.map(|p| p.lat.to_string()).unwrap_or_default());
            }
            if !has_footprint {
                cells.push(footprint_text);
            }
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            match header.record(&refs, &origin, decimal) {
                Ok(r) if problems.is_empty() => Ok((origin, r)),
                Ok(_) => Err((origin, problems)),
                Err(mut p) => {
                    problems.append(&mut p);
                    Err((origin, problems))
                }
            }
        })
        .collect();
    let n = records.len() as u64;
    Ok(Input {
        records: Box::new(records.into_iter()),
        rows: n,
        encoding: TextEncoding::Utf8,
    })
}
