// The estimate's block model on a small MapLibre map: one fill per block (`blocks_geojson`,
// WGS84) coloured by grade (a continuous ramp) or by resource class, with its legend. Offline
// style like the registry's map: GeoJSON sources only, no glyphs, no tiles.
import { GeoJSONSource, Map as MlMap, NavigationControl, setWorkerUrl } from 'maplibre-gl';
import type { ExpressionSpecification, StyleSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import base from '../geo/kz-base.json';
import { h, replace } from '../dom';
import { t, tMaybe } from '../i18n';
import { num } from '../format';

setWorkerUrl(workerUrl);

export type BlockColour = 'grade' | 'class';
export const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
export const CLASS_COLOURS: Record<string, string> = { measured: '#1a9850', indicated: '#fdae61', inferred: '#d73027', unclassified: '#bdbdbd' };
const NONE = '#9e9e9e';

let map: MlMap | null = null;
let el: HTMLElement | null = null;
let ready: Promise<void> = Promise.resolve();
let data: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };
let range: [number, number] = [0, 1];
let seq = 0;

function style(): StyleSpecification {
  return {
    version: 8,
    sources: {
      country: { type: 'geojson', data: base.country as GeoJSON.FeatureCollection, attribution: 'Natural Earth' },
      blocks: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } },
      { id: 'country-fill', type: 'fill', source: 'country', paint: { 'fill-color': '#fbfaf5' } },
      { id: 'blocks-fill', type: 'fill', source: 'blocks', paint: { 'fill-color': NONE, 'fill-opacity': 0.9 } },
      { id: 'blocks-line', type: 'line', source: 'blocks', minzoom: 15, paint: { 'line-color': '#ffffff', 'line-width': 0.3 } },
    ],
  };
}

/** The map's element (created once, kept across re-renders of the result). */
export function blocksMapElement(): HTMLElement {
  if (!el) el = h('div', { class: 'estimate-map', testid: 'estimate-map', role: 'region', 'aria-label': t('es_map'), dataset: { state: 'empty', featureCount: '0', renderedCount: '0' } });
  return el;
}

function ensureMap(): MlMap {
  if (map) return map;
  const m = new MlMap({
    container: blocksMapElement(),
    style: style(),
    center: [66.9, 48.0],
    zoom: 4,
    renderWorldCopies: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    attributionControl: { compact: true },
    maplibreLogo: false,
  });
  m.touchZoomRotate.disableRotation();
  m.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  ready = new Promise((resolve) => {
    const ok = () => {
      if (!m.getSource('blocks')) return;
      m.off('styledata', ok);
      resolve();
    };
    m.on('styledata', ok);
    m.on('load', ok);
  });
  map = m;
  return m;
}

function colourExpression(mode: BlockColour): ExpressionSpecification {
  if (mode === 'class') {
    return ['match', ['get', 'category'], ...Object.entries(CLASS_COLOURS).flat(), NONE] as unknown as ExpressionSpecification;
  }
  const [lo, hi0] = range;
  const hi = hi0 > lo ? hi0 : lo + 1e-9;
  const stops: unknown[] = [];
  RAMP.forEach((c, i) => stops.push(lo + ((hi - lo) * i) / (RAMP.length - 1), c));
  return ['case', ['==', ['typeof', ['get', 'estimate']], 'number'], ['interpolate', ['linear'], ['get', 'estimate'], ...stops], NONE] as unknown as ExpressionSpecification;
}

/** Shows the blocks (replacing any shown before) and fits the view to them. */
export async function showBlocks(fc: GeoJSON.FeatureCollection, mode: BlockColour): Promise<void> {
  const my = ++seq;
  const m = ensureMap();
  data = { type: 'FeatureCollection', features: fc.features.map((f, i) => ({ ...f, id: i })) };
  const grades = data.features.map((f) => f.properties?.estimate).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  range = grades.length ? [Math.min(...grades), Math.max(...grades)] : [0, 1];
  const e = blocksMapElement();
  e.dataset.state = 'loading';
  e.dataset.featureCount = String(data.features.length);
  await ready;
  if (my !== seq) return;
  m.resize();
  (m.getSource('blocks') as GeoJSONSource).setData(data);
  setColour(mode);
  const b = bounds(data);
  if (b) m.fitBounds(b, { padding: 24, duration: 0 });
  m.once('idle', () => {
    if (my !== seq) return;
    countRendered();
    e.dataset.state = 'ready';
  });
}

function countRendered(): void {
  if (!map || !el) return;
  const ids = new Set(map.queryRenderedFeatures({ layers: ['blocks-fill'] }).map((f) => f.id));
  el.dataset.renderedCount = String(ids.size);
}

export function setColour(mode: BlockColour): void {
  if (!map || !map.getLayer('blocks-fill')) return;
  map.setPaintProperty('blocks-fill', 'fill-color', colourExpression(mode));
  blocksMapElement().dataset.colour = mode;
}

export function resizeBlocksMap(): void {
  map?.resize();
}

function bounds(fc: GeoJSON.FeatureCollection): [[number, number], [number, number]] | null {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of fc.features) {
    const g = f.geometry;
    const rings = g.type === 'Polygon' ? g.coordinates : g.type === 'MultiPolygon' ? g.coordinates.flat() : [];
    for (const ring of rings) for (const [x, y] of ring) {
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return Number.isFinite(x0) ? [[x0, y0], [x1, y1]] : null;
}

/** The legend of the colouring shown. */
export function legend(mode: BlockColour, unit: string, commodity: string): HTMLElement {
  const box = h('div', { class: 'legend estimate-legend', testid: 'estimate-legend', dataset: { mode } });
  if (mode === 'grade') {
    replace(
      box,
      h('div', { class: 'legend-title' }, t('es_legend_grade', { c: commodity, unit })),
      h('div', { class: 'legend-ramp', testid: 'legend-ramp', style: { background: `linear-gradient(to right, ${RAMP.join(', ')})` } }),
      h('div', { class: 'legend-ramp-labels' }, h('span', { testid: 'legend-min' }, num(range[0], 2)), h('span', { testid: 'legend-max' }, num(range[1], 2))),
      h('div', { class: 'legend-note' }, h('span', { class: 'swatch', style: { background: NONE } }), ' ', t('es_not_estimated')),
    );
  } else {
    const counts = new Map<string, number>();
    for (const f of data.features) {
      const c = String(f.properties?.category ?? 'unclassified');
      counts.set(c, (counts.get(c) || 0) + 1);
    }
    replace(
      box,
      h('div', { class: 'legend-title' }, t('es_legend_class')),
      h(
        'ul',
        null,
        Object.keys(CLASS_COLOURS)
          .filter((c) => counts.has(c))
          .map((c) => h('li', { testid: 'legend-item', dataset: { category: c } }, h('span', { class: 'swatch', style: { background: CLASS_COLOURS[c] } }), ` ${tMaybe(`es_cat_${c}`, c)} (${num(counts.get(c) || 0)})`)),
      ),
    );
  }
  return box;
}
