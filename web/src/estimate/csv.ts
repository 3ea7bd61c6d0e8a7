// Reading a CSV's header in the browser, to offer the value columns before uploading.

/** Splits one CSV line (comma or semicolon, double quotes). */
export function splitLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** The column name without its unit: "Cr2O3 [%]" -> "Cr2O3" (the value the API takes). */
export const bareName = (header: string): string => header.replace(/\s*[[(][^\])]*[\])]\s*$/, '').trim();

const COORDINATES = new Set(['x', 'y', 'z', 'lon', 'lat', 'east', 'north', 'easting', 'northing', 'elevation', 'from', 'to', 'depth', 'at', 'azimuth', 'dip', 'length', 'hole', 'id']);
const NUMBER = /^[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?(\s*[%a-zA-Z/]+)?$/;

export interface CsvHead {
  headers: string[];
  /** Columns whose sampled cells are all numbers (units allowed), coordinates and depths left out. */
  numeric: string[];
  rows: number;
}

/** Header and numeric columns from the first rows of a CSV file. */
export async function readHead(file: Blob, sampleRows = 200): Promise<CsvHead> {
  const text = (await file.text()).replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) return { headers: [], numeric: [], rows: 0 };
  const sep = (lines[0].match(/;/g) || []).length > (lines[0].match(/,/g) || []).length ? ';' : ',';
  const headers = splitLine(lines[0], sep);
  const body = lines.slice(1, 1 + sampleRows).map((l) => splitLine(l, sep));
  const numeric = headers.filter((hd, i) => {
    if (COORDINATES.has(bareName(hd).toLowerCase())) return false;
    const cells = body.map((r) => r[i] ?? '').filter((c) => c !== '');
    return cells.length > 0 && cells.filter((c) => NUMBER.test(c)).length >= cells.length * 0.9;
  });
  return { headers, numeric, rows: lines.length - 1 };
}
