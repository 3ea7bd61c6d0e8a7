// The map: offline Natural Earth base layers, every TMF in a clustered GeoJSON source, a colour
// switcher (kind / value / proximity) with its legend, and HTML markers for cluster counts (the
// style has no glyphs, so no symbol layers).
import { GeoJSONSource, Map as MlMap, Marker, NavigationControl, Popup, setWorkerUrl } from 'maplibre-gl';
import type { ExpressionSpecification, LayerSpecification, MapGeoJSONFeature, StyleSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import base from '../geo/kz-base.json';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { filterParams, label, loadFeatures, tmfName, vocabTerms } from '../state';
import { usd } from '../format';
import type { TmfCollection } from '../types';

setWorkerUrl(workerUrl);

export type ColourMode = 'kind' | 'value' | 'proximity';
const MODE_KEY = 'qaita.mapColour';

export const KIND_COLOURS: Record<string, string> = {
  tailings: '#1f77b4',
  slag: '#d62728',
  ash: '#7f7f7f',
  waste_rock: '#8c564b',
  off_balance_ore: '#ff7f0e',
  sludge: '#e377c2',
  phosphogypsum: '#bcbd22',
  cake_clinker: '#9467bd',
  other: '#17becf',
};
const VALUE_NONE = '#bdbdbd';
const VALUE_STEPS: { from: number; colour: string }[] = [
  { from: -Infinity, colour: '#d73027' },
  { from: 0, colour: '#fee08b' },
  { from: 1e7, colour: '#a6d96a' },
  { from: 1e8, colour: '#1a9850' },
  { from: 1e9, colour: '#00441b' },
];
const NEAR = '#e6550d';
const FAR = '#3182bd';
const NEAR_KM = 1;

const KZ_BOUNDS: [[number, number], [number, number]] = [
  [46.4, 40.5],
  [87.4, 55.5],
];

function colourExpression(mode: ColourMode): ExpressionSpecification {
  if (mode === 'kind') {
    const pairs = Object.entries(KIND_COLOURS).flat();
    return ['match', ['get', 'kind'], ...pairs, '#444444'] as unknown as ExpressionSpecification;
  }
  if (mode === 'value') {
    const steps: unknown[] = ['step', ['get', 'npv_usd'], VALUE_STEPS[0].colour];
    for (const s of VALUE_STEPS.slice(1)) steps.push(s.from, s.colour);
    return ['case', ['==', ['typeof', ['get', 'npv_usd']], 'number'], steps, VALUE_NONE] as unknown as ExpressionSpecification;
  }
  return ['case', ['==', ['get', 'near_settlement'], true], NEAR, FAR];
}
const RADIUS: ExpressionSpecification = ['interpolate', ['linear'], ['ln', ['max', ['coalesce', ['get', 'tonnage_t'], 1e5], 1e5]], 11.5, 5, 21, 15];

function tileConfig(): { url: string; attribution: string } | null {
  const p = new URLSearchParams(location.search);
  const url = p.get('tiles');
  if (!url || !/^https?:\/\/|^\//.test(url)) return null;
  return { url, attribution: p.get('tiles_attribution') || '' };
}

function buildStyle(mode: ColourMode): StyleSpecification {
  const tiles = tileConfig();
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#cfe0ea' } }];
  if (tiles) layers.push({ id: 'raster', type: 'raster', source: 'raster' });
  layers.push(
    { id: 'neighbours', type: 'fill', source: 'neighbours', paint: { 'fill-color': '#ebe8e1', 'fill-outline-color': '#c5bfb2', 'fill-opacity': tiles ? 0.3 : 1 } },
    { id: 'country-fill', type: 'fill', source: 'country', paint: { 'fill-color': '#fbfaf5', 'fill-opacity': tiles ? 0.35 : 1 } },
    {
      id: 'regions-fill',
      type: 'fill',
      source: 'regions',
      paint: { 'fill-color': '#e9e2cf', 'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.6, 0] },
    },
    { id: 'regions-line', type: 'line', source: 'regions', paint: { 'line-color': '#a99f88', 'line-width': 0.9, 'line-dasharray': [3, 2] } },
    { id: 'country-line', type: 'line', source: 'country', filter: ['!', ['has', 'part_of']], paint: { 'line-color': '#5f5646', 'line-width': 1.8 } },
    { id: 'footprint-fill', type: 'fill', source: 'footprint', paint: { 'fill-color': '#b5651d', 'fill-opacity': 0.25 } },
    { id: 'footprint-line', type: 'line', source: 'footprint', paint: { 'line-color': '#8a4b12', 'line-width': 1.5 } },
    {
      id: 'tmf-clusters',
      type: 'circle',
      source: 'tmfs',
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': '#2c3e50',
        'circle-opacity': 0.88,
        'circle-radius': ['step', ['get', 'point_count'], 13, 5, 16, 15, 20, 40, 25],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      },
    },
    {
      id: 'tmf-points',
      type: 'circle',
      source: 'tmfs',
      filter: ['!', ['has', 'point_count']],
      paint: { 'circle-color': colourExpression(mode), 'circle-radius': RADIUS, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.2, 'circle-opacity': 0.92 },
    },
    {
      id: 'tmf-selected',
      type: 'circle',
      source: 'tmfs',
      filter: ['==', ['get', 'id'], -1],
      paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-radius': ['+', RADIUS, 4], 'circle-stroke-color': '#111111', 'circle-stroke-width': 2.5 },
    },
  );
  return {
    version: 8,
    sources: {
      ...(tiles ? { raster: { type: 'raster', tiles: [tiles.url], tileSize: 256, attribution: tiles.attribution } } : {}),
      neighbours: { type: 'geojson', data: base.neighbours as GeoJSON.FeatureCollection },
      country: { type: 'geojson', data: base.country as GeoJSON.FeatureCollection, attribution: 'Natural Earth' },
      regions: { type: 'geojson', data: base.regions as GeoJSON.FeatureCollection, promoteId: 'code' },
      footprint: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      tmfs: {
        type: 'geojson',
        data: { type: 'FeatureCollection', features: [] },
        cluster: true,
        clusterRadius: 32,
        clusterMaxZoom: 8,
        clusterProperties: { near: ['+', ['case', ['==', ['get', 'near_settlement'], true], 1, 0]] },
      },
    },
    layers,
  };
}

let map: MlMap | null = null;
let root: HTMLElement;
let mapEl: HTMLElement;
let legendEl: HTMLElement;
let countEl: HTMLElement;
let modeSelect: HTMLSelectElement;
let mode: ColourMode = ((): ColourMode => {
  try {
    const m = localStorage.getItem(MODE_KEY);
    if (m === 'kind' || m === 'value' || m === 'proximity') return m;
  } catch {
    /* storage unavailable */
  }
  return 'kind';
})();
let current: TmfCollection = { type: 'FeatureCollection', features: [] };
let openTmf: (id: number) => void = () => {};
const clusterMarkers = new Map<number, { marker: Marker; el: HTMLElement }>();
let tip: Popup | null = null;
let hoveredRegion: string | number | null = null;
let loadSeq = 0;
let dataSeq = 0;
let mapReady: Promise<void>;
let userMoved = false;
let countTimer: ReturnType<typeof setTimeout> | undefined;

export function mountMap(container: HTMLElement, onOpen: (id: number) => void): void {
  openTmf = onOpen;
  root = container;
  mapEl = h('div', { class: 'map-canvas', testid: 'map', role: 'region', dataset: { state: 'loading', featureCount: '0', renderedCount: '0' } });
  countEl = h('div', { class: 'map-count', testid: 'map-count', 'aria-live': 'polite' });
  modeSelect = h('select', { testid: 'map-style', onchange: () => setMode(modeSelect.value as ColourMode) });
  legendEl = h('div', { class: 'legend', testid: 'map-legend' });
  const reset = h('button', { type: 'button', class: 'link-button', testid: 'map-reset-view', onclick: () => { userMoved = false; map?.fitBounds(KZ_BOUNDS, { padding: 24 }); } });
  const panel = h('div', { class: 'map-panel' }, countEl, h('label', { class: 'map-style' }, h('span', { class: 'map-style-label' }), modeSelect), legendEl, reset);
  root.append(mapEl, panel);

  map = new MlMap({
    container: mapEl,
    style: buildStyle(mode),
    bounds: KZ_BOUNDS,
    fitBoundsOptions: { padding: 24 },
    maxBounds: base.window.length === 4 ? [[base.window[0], base.window[1]], [base.window[2], base.window[3]]] : undefined,
    renderWorldCopies: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    attributionControl: { compact: true },
    maplibreLogo: false,
  });
  const m = map;
  m.touchZoomRotate.disableRotation();
  m.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  for (const ev of ['dragstart', 'zoomstart'] as const) m.on(ev, (e: { originalEvent?: unknown }) => { if (e.originalEvent) userMoved = true; });
  tip = new Popup({ closeButton: false, closeOnClick: false, offset: 12, className: 'map-tip', maxWidth: '280px' });

  // Ready once the style (and so the sources) exist; 'load' alone waits for every tile, which a
  // failing optional raster tile server can hold back.
  mapReady = new Promise((resolve) => {
    const ready = () => {
      if (!m.getSource('tmfs')) return;
      m.off('style.load', ready);
      m.off('styledata', ready);
      resolve();
    };
    m.on('style.load', ready);
    m.on('styledata', ready);
    m.once('load', ready);
  });
  m.on('click', 'tmf-clusters', async (e) => {
    const f = e.features?.[0];
    if (!f) return;
    const zoom = await (m.getSource('tmfs') as GeoJSONSource).getClusterExpansionZoom(f.properties.cluster_id as number);
    m.easeTo({ center: (f.geometry as GeoJSON.Point).coordinates as [number, number], zoom: Math.min(zoom + 0.2, 12) });
  });
  m.on('click', 'tmf-points', (e) => {
    const f = e.features?.[0];
    if (f) openTmf(Number(f.properties.id));
  });
  for (const layer of ['tmf-clusters', 'tmf-points']) {
    m.on('mouseenter', layer, () => (m.getCanvas().style.cursor = 'pointer'));
    m.on('mouseleave', layer, () => {
      m.getCanvas().style.cursor = '';
      tip?.remove();
    });
  }
  m.on('mousemove', (e) => {
    const hit = m.queryRenderedFeatures(e.point, { layers: ['tmf-points', 'tmf-clusters', 'regions-fill'] });
    const tmf = hit.find((f) => f.layer.id === 'tmf-points');
    const cluster = hit.find((f) => f.layer.id === 'tmf-clusters');
    const region = hit.find((f) => f.layer.id === 'regions-fill');
    setHoveredRegion(region?.id ?? null);
    if (tmf) showTip(e.lngLat, tipForTmf(tmf));
    else if (cluster) showTip(e.lngLat, h('div', null, t('cluster_title', { n: cluster.properties.point_count })));
    else if (region) showTip(e.lngLat, tipForRegion(region));
    else tip?.remove();
  });
  m.on('mouseout', () => {
    tip?.remove();
    setHoveredRegion(null);
  });
  m.on('render', () => {
    updateClusterMarkers();
    // Count once rendering pauses ('idle' alone never comes while a raster tile server fails).
    clearTimeout(countTimer);
    countTimer = setTimeout(countRendered, 150);
  });
  m.on('idle', countRendered);
  renderChrome();
  void refreshMap();
}

function setHoveredRegion(id: string | number | null): void {
  if (!map || id === hoveredRegion) return;
  if (hoveredRegion !== null) map.setFeatureState({ source: 'regions', id: hoveredRegion }, { hover: false });
  hoveredRegion = id;
  if (id !== null) map.setFeatureState({ source: 'regions', id }, { hover: true });
}

function showTip(at: { lng: number; lat: number }, content: HTMLElement): void {
  if (!map || !tip) return;
  tip.setLngLat(at).setDOMContent(content);
  if (!tip.isOpen()) tip.addTo(map);
}

function tipForTmf(f: MapGeoJSONFeature): HTMLElement {
  const p = f.properties as Record<string, unknown>;
  const name = tmfName({ name: String(p.name), name_kk: (p.name_kk as string) || null, name_ru: (p.name_ru as string) || null });
  let extra = '';
  if (mode === 'kind') extra = label('kind', String(p.kind));
  else if (mode === 'value') extra = typeof p.npv_usd === 'number' ? `NPV P50: ${usd(p.npv_usd)}` : t('value_none');
  else extra = p.near_settlement === true ? t('near_yes', { km: NEAR_KM }) : t('near_no');
  return h('div', null, h('strong', null, name), h('div', { class: 'muted' }, `${p.external_id} · ${extra}`));
}

function tipForRegion(f: MapGeoJSONFeature): HTMLElement {
  const p = f.properties as Record<string, unknown>;
  let includes: string[] = [];
  try {
    includes = typeof p.includes === 'string' ? JSON.parse(p.includes) : ((p.includes as string[]) || []);
  } catch {
    includes = [];
  }
  const name = label('region', String(p.code));
  return h('div', null, h('strong', null, name), includes.length ? h('div', { class: 'muted' }, `+ ${includes.map((c) => label('region', c)).join(', ')}`) : null);
}

function updateClusterMarkers(): void {
  if (!map || !map.getSource('tmfs') || !map.isSourceLoaded('tmfs')) return;
  const seen = new Set<number>();
  for (const f of map.querySourceFeatures('tmfs')) {
    const p = f.properties;
    if (!p?.cluster) continue;
    const id = p.cluster_id as number;
    if (seen.has(id)) continue;
    seen.add(id);
    let entry = clusterMarkers.get(id);
    const text = String(p.point_count);
    if (!entry) {
      const el = h('div', { class: 'cluster-count', testid: 'cluster-marker', 'aria-hidden': 'true' }, text);
      const marker = new Marker({ element: el }).setLngLat((f.geometry as GeoJSON.Point).coordinates as [number, number]);
      entry = { marker, el };
      clusterMarkers.set(id, entry);
    }
    entry.el.textContent = text;
    entry.el.classList.toggle('has-near', mode === 'proximity' && Number(p.near) > 0);
    entry.el.title = t('cluster_title', { n: text });
    if (!entry.marker.getElement().isConnected) entry.marker.addTo(map);
  }
  for (const [id, entry] of clusterMarkers) {
    if (!seen.has(id)) {
      entry.marker.remove();
      clusterMarkers.delete(id);
    }
  }
}

/** Counts TMFs actually drawn (clusters by their size + single points), for the tests and the counter. */
function countRendered(): void {
  // Only for the data of the latest request, once its source has been processed.
  if (!map || dataSeq !== loadSeq || !map.getSource('tmfs') || !map.isSourceLoaded('tmfs')) return;
  const clusters = new Map<number, number>();
  const points = new Set<number>();
  for (const f of map.queryRenderedFeatures({ layers: ['tmf-clusters', 'tmf-points'] })) {
    if (f.properties.cluster) clusters.set(f.properties.cluster_id as number, Number(f.properties.point_count));
    else points.add(Number(f.properties.id));
  }
  const rendered = [...clusters.values()].reduce((a, b) => a + b, 0) + points.size;
  mapEl.dataset.renderedCount = String(rendered);
  mapEl.dataset.clusters = String(clusters.size);
  mapEl.dataset.state = 'ready';
}

/** Reloads the TMFs for the current filters; `fit` moves the map to them (after a filter change). */
export async function refreshMap(fit = false): Promise<void> {
  if (!map) return;
  const seq = ++loadSeq;
  mapEl.dataset.state = 'loading';
  countEl.textContent = t('loading');
  let fc: TmfCollection;
  try {
    fc = await loadFeatures();
  } catch (e) {
    countEl.textContent = t('error', { msg: (e as Error).message });
    mapEl.dataset.state = 'error';
    return;
  }
  if (seq !== loadSeq) return;
  current = fc;
  await mapReady;
  if (seq !== loadSeq) return;
  (map.getSource('tmfs') as GeoJSONSource).setData(fc as unknown as GeoJSON.FeatureCollection);
  dataSeq = seq;
  mapEl.dataset.featureCount = String(fc.features.length);
  renderChrome();
  if (fit) fitTo(fc);
  map.once('idle', countRendered);
  map.triggerRepaint();
}

function fitTo(fc: TmfCollection): void {
  if (!map || !fc.features.length) return;
  if (!Object.keys(filterParams()).length) {
    map.fitBounds(KZ_BOUNDS, { padding: 24, duration: 0 });
    return;
  }
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of fc.features) {
    const [x, y] = f.geometry.coordinates;
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  map.fitBounds([[x0, y0], [x1, y1]], { padding: 60, maxZoom: 8, duration: 0 });
}

export function setMode(m: ColourMode): void {
  mode = m;
  try {
    localStorage.setItem(MODE_KEY, m);
  } catch {
    /* storage unavailable */
  }
  const ml = map;
  if (ml) void mapReady.then(() => ml.setPaintProperty('tmf-points', 'circle-color', colourExpression(m)));
  mapEl.dataset.colour = m;
  renderChrome();
  updateClusterMarkers();
}

/** Rings the selected TMF and draws its footprint when it has one. */
export function selectOnMap(id: number | null, footprint?: GeoJSON.Geometry | null): void {
  const m = map;
  if (!m) return;
  void mapReady.then(() => {
    m.setFilter('tmf-selected', ['==', ['get', 'id'], id ?? -1]);
    const features: GeoJSON.Feature[] = id !== null && footprint ? [{ type: 'Feature', properties: { id }, geometry: footprint }] : [];
    (m.getSource('footprint') as GeoJSONSource).setData({ type: 'FeatureCollection', features });
  });
}

/** Centres the map on a TMF (its footprint when known) in the part the drawer leaves visible. */
export function focusOnMap(lon: number, lat: number, drawerWidth = 0, footprint?: GeoJSON.Geometry | null): void {
  const m = map;
  if (!m) return;
  userMoved = true;
  void mapReady.then(() => {
    let [x0, y0, x1, y1] = [lon, lat, lon, lat];
    const visit = (c: unknown): void => {
      if (Array.isArray(c) && typeof c[0] === 'number') {
        x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1] as number); x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1] as number);
      } else if (Array.isArray(c)) c.forEach(visit);
    };
    if (footprint && 'coordinates' in footprint) visit(footprint.coordinates);
    const camera = m.cameraForBounds([[x0, y0], [x1, y1]], { padding: { top: 60, bottom: 60, left: 60, right: drawerWidth + 60 }, maxZoom: footprint ? 13 : 9 });
    if (camera) m.easeTo({ ...camera, bearing: 0, pitch: 0 });
  });
}

export function resizeMap(): void {
  if (!map) return;
  map.resize();
  if (!userMoved) map.fitBounds(KZ_BOUNDS, { padding: 24, duration: 0 });
}

/** Switcher, legend and counter in the current language. */
export function renderChrome(): void {
  if (!root) return;
  mapEl.setAttribute('aria-label', t('map_label'));
  mapEl.dataset.colour = mode;
  (root.querySelector('.map-style-label') as HTMLElement).textContent = t('colour_by');
  (root.querySelector('[data-testid="map-reset-view"]') as HTMLElement).textContent = `⤢ ${t('whole_country')}`;
  replace(
    modeSelect,
    (['kind', 'value', 'proximity'] as ColourMode[]).map((m) => h('option', { value: m, selected: m === mode }, t(`style_${m}`))),
  );
  modeSelect.value = mode;
  countEl.textContent = mapEl.dataset.state === 'loading' && !current.features.length ? t('loading') : t('map_count', { n: current.features.length });

  const swatch = (colour: string, text: string, testid?: string) =>
    h('li', { testid }, h('span', { class: 'swatch', style: { background: colour } }), h('span', null, text));
  let items: HTMLElement[];
  if (mode === 'kind') {
    const present = new Set(current.features.map((f) => f.properties.kind));
    const terms = vocabTerms('kind');
    const list = terms.length ? terms : Object.keys(KIND_COLOURS).map((code) => ({ code, label: code }));
    items = list.filter((k) => present.size === 0 || present.has(k.code)).map((k) => swatch(KIND_COLOURS[k.code] || '#444', k.label, 'legend-item'));
  } else if (mode === 'value') {
    const bounds = VALUE_STEPS.map((s) => s.from);
    items = [swatch(VALUE_STEPS[0].colour, t('value_negative'), 'legend-item')];
    for (let i = 1; i < VALUE_STEPS.length; i++) {
      const from = usd(bounds[i]).replace(/^0 USD$/, '0');
      const text = i + 1 < VALUE_STEPS.length ? t('value_range', { from, to: usd(bounds[i + 1]) }) : t('value_above', { from });
      items.push(swatch(VALUE_STEPS[i].colour, text, 'legend-item'));
    }
    items.push(swatch(VALUE_NONE, t('value_none'), 'legend-item'));
  } else {
    items = [swatch(NEAR, t('near_yes', { km: NEAR_KM }), 'legend-item'), swatch(FAR, t('near_no'), 'legend-item')];
  }
  replace(
    legendEl,
    h('div', { class: 'legend-title' }, t('legend')),
    h('ul', null, items),
    h('div', { class: 'legend-note' }, h('span', { class: 'swatch cluster' }), t('legend_cluster')),
    h('div', { class: 'legend-note' }, t('legend_size')),
    h('div', { class: 'legend-note muted' }, t('base_map_note')),
  );
  for (const { el } of clusterMarkers.values()) el.title = t('cluster_title', { n: el.textContent || '' });
}

export function currentFeatures(): TmfCollection {
  return current;
}
