// civicmap's map page: Sanming's township cells coloured by how well the
// grassroots CPPCC platforms cover them, with the gaps a planner works from.
//
// The geometry comes from the server's vector tiles (/tiles.json); everything
// that depends on the chosen kinds and radius comes from GraphQL and is painted
// onto the tiles' township features with feature state, so changing a control
// costs one GraphQL request and no tile reload.
import { Map, NavigationControl, ScaleControl } from './lib/maplibre-gl.mjs';
import { basemapOf, tilesOf } from './basemap.js';

const KINDS = {
  LIAISON_GROUP: { zh: '乡镇联络组', en: 'Liaison group', colour: '#2d6fb7' },
  WORKSTATION: { zh: '委员工作站', en: 'Workstation', colour: '#7b3fa0' },
  SECTOR_HALL: { zh: '界别议政厅', en: 'Sector hall', colour: '#d08b00' },
};
// The same colours as app.css's custom properties.
const COLOURS = {
  covered: '#3a9d6e', uncovered: '#e4572e', nodata: '#c9ccd1', county: '#2f3a45', seat: '#8e44ad', inactive: '#8a8f96',
  turned: '#7ee081', turnedLine: '#0b6e2e',
};
const TOWNSHIP_KINDS = { SUBDISTRICT: '街道 subdistrict', TOWN: '镇 town', TOWNSHIP: '乡 township' };
const HOST_TYPES = {
  PUBLIC_UNIT: 'public unit', TOWNSHIP: 'township government', SUBDISTRICT: 'subdistrict office',
  VILLAGE_COMMUNITY: 'village or community', ENTERPRISE: "member's enterprise", SECTOR_BODY: "sector's own body",
};
// The tiles' source and its township layer, for feature state.
const SOURCE = 'civicmap';
const TOWNSHIPS = { source: SOURCE, sourceLayer: 'townships' };
// Chinese labels are drawn by the browser from these local fonts; the server's
// glyph PBFs are empty (see web/glyphs.go).
const CJK_FONTS = "'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'PingFang SC', 'Microsoft YaHei', sans-serif";

const $ = (sel) => document.querySelector(sel);

// ---- GraphQL -------------------------------------------------------------

async function graphql(query, variables = {}) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

const START_QUERY = `{
  dataset { attribution licence loadedAt }
  townships(first: 500) {
    nodes { code name kind lon lat positionQuality boundaryQuality county { code name } }
  }
}`;

// One round trip per change of the controls: the totals, every township's
// status for painting, and the worklist.
// With what-if platforms, the same question carries them (hypothetical): a
// township whose nearest would be one keeps its real nearest and gets
// nearestHypothetical, so "turned green" is covered with no real platform in reach.
const COVERAGE_QUERY = `query Coverage($kinds: [PlatformKind!]!, $radius: Float!, $hypo: [HypotheticalPlatform!]) {
  coverage(kinds: $kinds, radiusMetres: $radius, hypothetical: $hypo) {
    totals { townships covered uncovered unknownPosition ratio }
    townships { township { code } status nearest { distanceMetres platform { id name kind } } nearestHypothetical { index kind distanceMetres } }
  }
  uncoveredTownships(kinds: $kinds, radiusMetres: $radius, hypothetical: $hypo, first: 500) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { township { code } nearest { distanceMetres platform { id name kind provenance } } nearestHypothetical { index kind distanceMetres } }
  }
}`;

// The CSV takes every page of the worklist, not only the 500 the page shows.
const WORKLIST_QUERY = `query Worklist($kinds: [PlatformKind!]!, $radius: Float!, $hypo: [HypotheticalPlatform!], $after: String) {
  uncoveredTownships(kinds: $kinds, radiusMetres: $radius, hypothetical: $hypo, first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { township { code name county { name } } nearest { distanceMetres platform { name } } nearestHypothetical { index kind distanceMetres } }
  }
}`;

// Every platform, for the search box: asked for on the first search.
const PLATFORMS_QUERY = `query Platforms($after: String) {
  platforms(first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id externalId name kind lon lat township { code name county { name } } }
  }
}`;

const QUALITY_QUERY = `{
  dataQuality {
    sourceDate platforms townships illustrative illustrativeRatio
    counts { reason records }
    items(first: 500) { totalCount nodes { reason recordId code name message distanceMetres relatedCodes
      platform { id lon lat } township { code name county { name } } } }
  }
}`;

const PLATFORM_QUERY = `query Platform($id: ID!) {
  platform(id: $id) {
    id name kind hostName hostType status provenance positionQuality sourceNote address establishedOn lon lat
    organiser { name }
    sector { name nameEn }
    township { code name county { name } }
  }
}`;

const TOWNSHIP_QUERY = `query Township($code: String!) {
  township(code: $code) {
    code name kind positionQuality boundaryQuality sourceNote lon lat
    county { name }
    platforms(first: 100) { totalCount nodes { id name kind status provenance } }
  }
}`;

// ---- small DOM helpers -----------------------------------------------------

// el builds an element; text goes in as text nodes, never as HTML.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  node.append(...children.flat().filter((c) => c != null && c !== false).flatMap((c) => (typeof c === 'string' ? zh(c) : [c])));
  return node;
}

// The page's language is English; Chinese runs are marked lang="zh" so that
// screen readers and fonts treat them as Chinese.
const HAN = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+/g;
function zh(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(HAN)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const span = document.createElement('span');
    span.lang = 'zh';
    span.textContent = m[0];
    out.push(span);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
// The same for HTML that MapLibre's attribution control takes (already escaped).
const zhHTML = (html) => html.replace(HAN, (m) => `<span lang="zh">${m}</span>`);

const escapeHTML = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const km = (metres) => (metres === 0 ? 'inside the cell' : `${(metres / 1000).toFixed(1)} km`);
const kindName = (kind) => `${KINDS[kind].zh} ${KINDS[kind].en}`;

function showError(err) {
  console.error(err);
  $('#ratio').replaceChildren(el('span', { class: 'error' }, `Could not load: ${err.message}`));
}

// ---- state -------------------------------------------------------------------

const state = {
  townships: new globalThis.Map(), // code → township from START_QUERY
  coverage: new globalThis.Map(), // code → { status, nearest } for the current controls
  selected: null, // code of the highlighted township
  platform: null, // global ID of the platform whose details show
  request: 0, // the latest coverage request; older answers are dropped
  hypothetical: [], // what-if platforms: { kind, lon, lat }
  placing: false, // the what-if mode: a click on the map adds or removes one
  platforms: null, // every platform, for search, once asked for
};
const MAX_HYPOTHETICAL = 100;

function chosenKinds() {
  return [...document.querySelectorAll('input[name=kind]:checked')].map((i) => i.value);
}

function radiusMetres() {
  return Number($('#radius').value);
}

// The view lives in the URL's hash, so it can be shared, survives a reload and
// follows edits of the hash in an open tab:
//   #kinds=WORKSTATION,SECTOR_HALL&r=5000&c=117.6390,26.2636&z=9.50&t=350403100
// kinds and r the controls, c the centre (lon,lat) and z the zoom, t the
// selected township or p the selected platform (global ID), w the what-if
// platforms (kind letter L, W or S, lon, lat; separated by ';').
const KIND_LETTER = { LIAISON_GROUP: 'L', WORKSTATION: 'W', SECTOR_HALL: 'S' };
const LETTER_KIND = Object.fromEntries(Object.entries(KIND_LETTER).map(([k, v]) => [v, k]));

function parseHash(hash = location.hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const out = {};
  const kinds = (p.get('kinds') ?? '').split(',').filter((k) => k in KINDS);
  if (kinds.length) out.kinds = kinds;
  const r = Number(p.get('r'));
  if (p.has('r') && Number.isFinite(r) && r >= 0 && r <= 50000) out.radius = r;
  const c = (p.get('c') ?? '').split(',').map(Number);
  if (c.length === 2 && c.every(Number.isFinite) && Math.abs(c[0]) <= 180 && Math.abs(c[1]) <= 90) out.center = c;
  const z = Number(p.get('z'));
  if (p.has('z') && Number.isFinite(z) && z >= 0 && z <= 22) out.zoom = z;
  if (/^\d{9}$/.test(p.get('t') ?? '')) out.township = p.get('t');
  else if (p.get('p')) out.platform = p.get('p');
  if (p.has('w')) {
    out.hypothetical = p.get('w').split(';').map((w) => w.split(',')).filter(([k, lon, lat]) => k in LETTER_KIND
      && Math.abs(Number(lon)) <= 180 && Math.abs(Number(lat)) <= 90 && lon !== '' && lat !== '')
      .slice(0, MAX_HYPOTHETICAL).map(([k, lon, lat]) => ({ kind: LETTER_KIND[k], lon: Number(lon), lat: Number(lat) }));
  } else out.hypothetical = [];
  return out;
}

// applyControls sets the kinds and radius of a parsed hash; it reports whether they changed.
function applyControls(h) {
  const before = `${chosenKinds()}|${radiusMetres()}`;
  if (h.kinds) for (const box of document.querySelectorAll('input[name=kind]')) box.checked = h.kinds.includes(box.value);
  if (h.radius != null) $('#radius').value = String(h.radius);
  showRadius();
  return before !== `${chosenKinds()}|${radiusMetres()}`;
}

function hashOf(map) {
  const parts = [`kinds=${chosenKinds().join(',')}`, `r=${radiusMetres()}`];
  if (map) {
    const c = map.getCenter();
    parts.push(`c=${c.lng.toFixed(4)},${c.lat.toFixed(4)}`, `z=${map.getZoom().toFixed(2)}`);
  }
  if (state.platform) parts.push(`p=${encodeURIComponent(state.platform)}`);
  else if (state.selected) parts.push(`t=${state.selected}`);
  if (state.hypothetical.length) {
    parts.push(`w=${state.hypothetical.map((h) => `${KIND_LETTER[h.kind]},${h.lon.toFixed(5)},${h.lat.toFixed(5)}`).join(';')}`);
  }
  return `#${parts.join('&')}`;
}

// writeHash keeps the URL (and the share link) on what the page shows.
// replaceState fires no hashchange, so the page never follows its own writes.
function writeHash(map) {
  const hash = hashOf(map);
  if (hash !== location.hash) history.replaceState(null, '', hash);
  $('#share-link').href = location.href;
}

function showRadius() {
  const r = radiusMetres();
  $('#radius-out').value = r === 0 ? '0 km (inside the cell)' : `${(r / 1000).toFixed(1)} km`;
}

// ---- the map -----------------------------------------------------------------

function mapStyle(tilejson) {
  const kindColour = ['match', ['get', 'kind'], ...Object.entries(KINDS).flatMap(([k, v]) => [k, v.colour]), '#555'];
  const active = ['==', ['get', 'status'], 'ACTIVE'];
  return {
    version: 8,
    glyphs: `${location.origin}/glyphs/{fontstack}/{range}.pbf`,
    sources: {
      [SOURCE]: {
        type: 'vector',
        tiles: tilejson.tiles,
        minzoom: tilejson.minzoom,
        maxzoom: tilejson.maxzoom,
        bounds: tilejson.bounds,
        attribution: tilejson.attribution,
      },
      // Township seats from GraphQL: one label per township, where tiles would
      // repeat a polygon's label in every tile it crosses.
      seats: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      // What-if platforms, drawn from state.hypothetical.
      hypothetical: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      // The platform whose details show, ringed whatever the chosen kinds.
      'selected-platform': { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#e9edf1' } },
      { id: 'counties-fill', type: 'fill', source: SOURCE, 'source-layer': 'counties', paint: { 'fill-color': '#f6f6f2' } },
      {
        id: 'townships-fill', type: 'fill', source: SOURCE, 'source-layer': 'townships',
        paint: {
          'fill-color': ['case', ['boolean', ['feature-state', 'turned'], false], COLOURS.turned,
            ['match', ['feature-state', 'status'], 'COVERED', COLOURS.covered, 'UNCOVERED', COLOURS.uncovered, COLOURS.nodata]],
          'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.8, ['boolean', ['feature-state', 'turned'], false], 0.75, 0.5],
        },
      },
      // Cells are dashed while APPROXIMATE (derived), solid once OFFICIAL.
      {
        id: 'townships-line-approximate', type: 'line', source: SOURCE, 'source-layer': 'townships',
        filter: ['==', ['get', 'boundary_quality'], 'APPROXIMATE'],
        paint: { 'line-color': '#4b5563', 'line-opacity': 0.7, 'line-width': 1, 'line-dasharray': [2, 2] },
      },
      {
        id: 'townships-line-official', type: 'line', source: SOURCE, 'source-layer': 'townships',
        filter: ['==', ['get', 'boundary_quality'], 'OFFICIAL'],
        paint: { 'line-color': '#4b5563', 'line-opacity': 0.9, 'line-width': 1 },
      },
      // A cell drawn around an approximate seat is itself doubly uncertain: flag it.
      {
        id: 'townships-seat-approximate', type: 'line', source: SOURCE, 'source-layer': 'townships',
        filter: ['==', ['get', 'position_quality'], 'APPROXIMATE'],
        layout: { 'line-cap': 'round' },
        paint: { 'line-color': COLOURS.seat, 'line-width': 3, 'line-dasharray': [0.1, 2] },
      },
      // What if: the cells only a hypothetical platform covers get a bold outline too.
      {
        id: 'townships-turned', type: 'line', source: SOURCE, 'source-layer': 'townships',
        paint: { 'line-color': COLOURS.turnedLine, 'line-width': 2.5, 'line-opacity': ['case', ['boolean', ['feature-state', 'turned'], false], 1, 0] },
      },
      { id: 'counties-line', type: 'line', source: SOURCE, 'source-layer': 'counties', paint: { 'line-color': COLOURS.county, 'line-width': 1.6 } },
      {
        id: 'townships-selected', type: 'line', source: SOURCE, 'source-layer': 'townships',
        paint: { 'line-color': '#111', 'line-width': 3, 'line-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 1, 0] },
      },
      {
        id: 'township-labels', type: 'symbol', source: 'seats', minzoom: 7,
        layout: {
          'text-field': ['get', 'name'], 'text-font': ['Noto Sans Regular'], 'text-size': ['interpolate', ['linear'], ['zoom'], 8, 11, 12, 14],
          'text-anchor': 'top', 'text-offset': [0, 0.5], 'text-padding': 4,
        },
        paint: { 'text-color': '#1f2328', 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 1.4 },
      },
      // A platform whose position is APPROXIMATE (placed in its township, not
      // at its door) gets a soft halo: the dot says roughly where, not exactly.
      {
        id: 'platforms-approximate', type: 'circle', source: SOURCE, 'source-layer': 'platforms',
        filter: ['==', ['get', 'position_quality'], 'APPROXIMATE'],
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 7, 12, 16],
          'circle-color': ['case', active, kindColour, COLOURS.inactive],
          'circle-opacity': 0.22,
          'circle-blur': 0.6,
        },
      },
      // REAL platforms are solid dots; ILLUSTRATIVE ones are rings, so nobody
      // mistakes an example record for a real platform.
      {
        id: 'platforms', type: 'circle', source: SOURCE, 'source-layer': 'platforms',
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 3.5, 12, 7],
          'circle-color': ['case', ['==', ['get', 'provenance'], 'ILLUSTRATIVE'], 'rgba(255,255,255,0.85)', ['case', active, kindColour, COLOURS.inactive]],
          'circle-stroke-color': ['case', ['==', ['get', 'provenance'], 'ILLUSTRATIVE'], ['case', active, kindColour, COLOURS.inactive], '#ffffff'],
          'circle-stroke-width': ['case', ['==', ['get', 'provenance'], 'ILLUSTRATIVE'], 2.2, 1.5],
        },
      },
      {
        id: 'selected-platform', type: 'circle', source: 'selected-platform',
        paint: { 'circle-radius': 12, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111', 'circle-stroke-width': 3 },
      },
      {
        id: 'hypothetical', type: 'circle', source: 'hypothetical',
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 6, 12, 10],
          'circle-color': kindColour, 'circle-opacity': 0.9,
          'circle-stroke-color': '#111', 'circle-stroke-width': 2, 'circle-stroke-opacity': 0.9,
        },
      },
      {
        id: 'hypothetical-label', type: 'symbol', source: 'hypothetical',
        layout: { 'text-field': ['get', 'label'], 'text-font': ['Noto Sans Regular'], 'text-size': 11, 'text-allow-overlap': true },
        paint: { 'text-color': '#fff' },
      },
    ],
  };
}

// withBasemap adds the optional basemap (basemap.js) to style, under the
// cells.
function withBasemap(style, basemap) {
  if (!basemap) return style;
  if (basemap.problem) {
    $('#basemap-problem').textContent = basemap.problem;
    $('#basemap-problem').hidden = false;
    return style;
  }
  style.sources.basemap = {
    type: 'raster', tiles: tilesOf(basemap), tileSize: 256, maxzoom: 18,
    attribution: basemap.attribution ? zhHTML(escapeHTML(basemap.attribution)) : undefined,
  };
  style.layers.splice(1, 0, { id: 'basemap', type: 'raster', source: 'basemap' });
  // The counties' opaque fill would hide it: let it show through.
  style.layers.find((l) => l.id === 'counties-fill').paint['fill-opacity'] = 0.35;
  return style;
}

function createMap(tilejson, view) {
  const [w, s, e, n] = tilejson.bounds;
  const style = mapStyle(tilejson);
  // The tiles' attribution names the sources and the licence: said once, here.
  style.sources[SOURCE].attribution = zhHTML(tilejson.attribution);
  const map = new Map({
    container: 'mapview',
    style: withBasemap(style, basemapOf()),
    ...(view.center ? { center: view.center, zoom: view.zoom ?? 10 } : { bounds: [[w, s], [e, n]], fitBoundsOptions: { padding: 20 } }),
    localIdeographFontFamily: CJK_FONTS,
    // Printing reads the map's canvas, which WebGL would otherwise clear.
    canvasContextAttributes: { preserveDrawingBuffer: true },
    // compact (an ⓘ button) only where the map is narrow: the sources' text is long.
    attributionControl: {},
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'top-left');
  return map;
}

function setPlatformFilter(map) {
  const chosen = ['in', ['get', 'kind'], ['literal', chosenKinds()]];
  map.setFilter('platforms', chosen);
  map.setFilter('platforms-approximate', ['all', chosen, ['==', ['get', 'position_quality'], 'APPROXIMATE']]);
}

function select(map, code) {
  if (state.selected) map.setFeatureState({ ...TOWNSHIPS, id: Number(state.selected) }, { selected: false });
  state.selected = code;
  state.platform = null;
  ringPlatform(map, null);
  if (code) map.setFeatureState({ ...TOWNSHIPS, id: Number(code) }, { selected: true });
  for (const b of document.querySelectorAll('#gaps-list button')) {
    b.setAttribute('aria-current', String(b.dataset.code === code));
  }
  writeHash(map);
}

function ringPlatform(map, p) {
  map.getSource('selected-platform')?.setData({
    type: 'FeatureCollection',
    features: p?.lon != null ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: {} }] : [],
  });
}

function flyTo(map, lon, lat, zoom) {
  map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), zoom), essential: true });
  if (matchMedia('(max-width: 700px)').matches) map.getContainer().scrollIntoView({ behavior: 'smooth' });
}

// choosePlatform flies to a platform and shows it (search, data quality, a shared link).
async function choosePlatform(map, id, { fly = true } = {}) {
  const p = await showPlatform(map, id);
  if (fly && p.lon != null) flyTo(map, p.lon, p.lat, 13);
}

function chooseTownship(map, code, { fly = true } = {}) {
  select(map, code);
  if (fly) flyToTownship(map, code);
  return showTownship(map, code);
}

function flyToTownship(map, code) {
  const t = state.townships.get(code);
  if (!t || t.lon == null) return;
  // On a phone the map is above the panel: flyTo brings it into view.
  flyTo(map, t.lon, t.lat, 10.5);
}

// ---- coverage ------------------------------------------------------------------

// The tile URLs carry the data version. Asking /tiles.json again (a 304 while
// nothing changed) with each coverage request keeps the dots and cells in step
// with the counts after someone edits the directory while the page is open.
async function refreshTiles(map) {
  const res = await fetch('/tiles.json', { cache: 'no-cache' });
  if (!res.ok) throw new Error(`/tiles.json: ${res.status}`);
  const { tiles } = await res.json();
  const source = map.getSource(SOURCE);
  if (tiles[0] !== source.tiles[0]) source.setTiles(tiles);
}

// ---- live updates --------------------------------------------------------------

// The directory can change while a planner has the page open. The page follows
// the change feed (platformChanged, graphql-transport-ws on /graphql) and
// redraws coverage, gaps and tiles a moment after changes stop arriving: an
// import sends thousands, and one redraw is enough. A lost socket is reopened
// with a growing delay, resuming after the last change seen, so none is missed.
function followChanges(onChange) {
  let after = null;
  let delay = 1000;
  let timer;
  const open = () => {
    const url = new URL('/graphql', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, 'graphql-transport-ws');
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init' }));
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      switch (msg.type) {
        case 'connection_ack':
          delay = 1000;
          ws.send(JSON.stringify({
            id: 'changes', type: 'subscribe',
            payload: { query: 'subscription($after: String) { platformChanged(after: $after) { cursor } }', variables: { after } },
          }));
          break;
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'next':
          after = msg.payload?.data?.platformChanged?.cursor ?? after;
          clearTimeout(timer);
          timer = setTimeout(onChange, 300);
          break;
      }
    };
    ws.onclose = () => {
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 60_000);
    };
  };
  open();
}

async function refreshCoverage(map) {
  const kinds = chosenKinds();
  const radius = radiusMetres();
  const mine = ++state.request;
  const totals = $('#totals');
  totals.dataset.state = 'loading';
  const hypo = state.hypothetical.length ? state.hypothetical.map(({ kind, lon, lat }) => ({ kind, lon, lat })) : null;
  const [data] = await Promise.all([graphql(COVERAGE_QUERY, { kinds, radius, hypo }), refreshTiles(map)]);
  if (mine !== state.request) return; // the controls changed meanwhile

  state.coverage.clear();
  const turned = [];
  for (const t of data.coverage.townships) {
    // Turned green: covered only because of a what-if platform, since the
    // real nearest (kept as it is) is out of reach.
    t.turned = t.status === 'COVERED' && t.nearestHypothetical != null && (t.nearest == null || t.nearest.distanceMetres > radius);
    if (t.turned) turned.push(t.township.code);
    state.coverage.set(t.township.code, t);
    // Townships with UNKNOWN position have no cell in the tiles.
    if (t.status !== 'UNKNOWN_POSITION') map.setFeatureState({ ...TOWNSHIPS, id: Number(t.township.code) }, { status: t.status, turned: t.turned });
  }
  state.worklist = data.uncoveredTownships;
  renderWhatIf(turned);
  setPlatformFilter(map);

  const c = data.coverage.totals;
  $('[data-testid=covered-count]').textContent = c.covered;
  $('[data-testid=uncovered-count]').textContent = c.uncovered;
  $('[data-testid=unknown-count]').textContent = c.unknownPosition;
  $('#ratio').textContent = c.ratio == null ? '' :
    `${(c.ratio * 100).toFixed(0)}% of the ${c.covered + c.uncovered} townships with a known position are covered by ${kinds.map((k) => KINDS[k].en.toLowerCase() + 's').join(' or ')}.`;
  renderGaps(map, data.uncoveredTownships);
  // What the page now shows, for anyone (and the browser test) to check.
  Object.assign(totals.dataset, { state: 'ready', kinds: kinds.join(','), radius: String(radius), hypothetical: String(state.hypothetical.length), turned: String(turned.length) });
  if (state.selected && !$('#details').hidden && $('#details').dataset.type === 'township') showTownship(map, state.selected);
}

function renderGaps(map, conn) {
  const items = conn.nodes.map((node) => {
    const t = state.townships.get(node.township.code);
    const { distance, name } = nearestOf(node);
    return el('li', {},
      el('button', {
        type: 'button', dataset: { code: t.code }, 'aria-current': String(t.code === state.selected),
        onclick: () => { chooseTownship(map, t.code).catch(showError); },
      },
      el('span', { class: 'dist' }, distance != null ? km(distance) : 'none'),
      t.name, ' ', el('span', { class: 'county-name' }, t.county.name),
      name && el('div', { class: 'meta' }, `nearest: ${name}`)));
  });
  $('#gaps-list').replaceChildren(...items);
  $('#gaps-h').textContent = `Gaps: ${conn.totalCount} uncovered townships, farthest first`;
  if (conn.totalCount === 0) $('#gaps-list').replaceChildren(el('li', { class: 'help' }, 'None: every township with a known position is covered.'));
}

// nearestOf is a worklist item's nearest platform, real or what-if.
function nearestOf(node) {
  const h = node.nearestHypothetical;
  if (h) return { distance: h.distanceMetres, name: `what-if ${KINDS[h.kind].en.toLowerCase()} #${h.index + 1}` };
  if (node.nearest) return { distance: node.nearest.distanceMetres, name: node.nearest.platform.name };
  return { distance: null, name: '' };
}

// Data gaps do not change with the controls: townships with no known position,
// and those whose seat is approximate.
function renderDataGaps() {
  const items = [];
  for (const t of state.townships.values()) {
    if (t.positionQuality === 'UNKNOWN') {
      items.push(el('li', {}, `${t.name} `, el('span', { class: 'county-name' }, t.county.name),
        el('div', { class: 'meta' }, 'Position unknown: no seat and no cell, so it is neither covered nor uncovered.')));
    } else if (t.positionQuality === 'APPROXIMATE') {
      items.push(el('li', {}, `${t.name} `, el('span', { class: 'county-name' }, t.county.name),
        el('div', { class: 'meta' }, 'Seat position approximate (purple dotted outline): its cell is doubly uncertain.')));
    }
  }
  $('#data-gaps-list').replaceChildren(...items);
}

// ---- details -------------------------------------------------------------------------

function details(type, title, ...rows) {
  const box = $('#details');
  box.dataset.type = type;
  $('#details-body').replaceChildren(el('h3', {}, title), el('dl', {}, ...rows.filter(Boolean).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
  box.hidden = false;
}

async function showPlatform(map, id) {
  const { platform: p } = await graphql(PLATFORM_QUERY, { id });
  if (state.selected) select(map, null);
  state.platform = p.id;
  ringPlatform(map, p);
  writeHash(map);
  details('platform', [p.name, p.provenance === 'ILLUSTRATIVE' && el('span', { class: 'tag illustrative' }, 'illustrative')],
    ['Kind', kindName(p.kind)],
    p.sector && ['Sector', `${p.sector.name} ${p.sector.nameEn}`],
    ['Host', `${p.hostName} (${HOST_TYPES[p.hostType] ?? p.hostType})`],
    ['Organiser', p.organiser.name],
    ['Township', el('button', { class: 'link', type: 'button', onclick: () => { chooseTownship(map, p.township.code, { fly: false }).catch(showError); } },
      `${p.township.name} · ${p.township.county.name}`)],
    p.address && ['Address', p.address],
    p.establishedOn && ['Established', p.establishedOn],
    ['Status', p.status === 'ACTIVE' ? 'active' : `${p.status.toLowerCase()}: does not count for coverage`],
    ['Provenance', p.provenance === 'REAL' ? 'real: named in the source article' : 'illustrative: an example record written by civicmap, not a real platform'],
    ['Position', p.positionQuality === 'REAL' ? 'geocoded' : p.positionQuality.toLowerCase()],
    ['Source', p.sourceNote]);
  return p;
}

async function showTownship(map, code) {
  const { township: t } = await graphql(TOWNSHIP_QUERY, { code });
  const cov = state.coverage.get(code);
  const status = { COVERED: 'covered', UNCOVERED: 'uncovered', UNKNOWN_POSITION: 'position unknown: a data gap' }[cov?.status] ?? '…';
  const platforms = t.platforms.nodes.map((p) => el('li', {},
    el('button', { class: 'link', type: 'button', onclick: () => choosePlatform(map, p.id, { fly: false }).catch(showError) },
      `${KINDS[p.kind].zh} ${p.name}`, p.provenance === 'ILLUSTRATIVE' && el('span', { class: 'tag illustrative' }, 'illustrative'),
      p.status !== 'ACTIVE' && el('span', { class: 'tag warn' }, p.status.toLowerCase()))));
  details('township', [t.name, t.positionQuality !== 'REAL' && el('span', { class: 'tag warn' }, `seat ${t.positionQuality.toLowerCase()}`)],
    ['County', t.county.name],
    ['Kind', TOWNSHIP_KINDS[t.kind] ?? t.kind],
    ['Coverage', `${status} (${chosenKinds().map((k) => KINDS[k].en.toLowerCase()).join(', ')}, ${km(radiusMetres()).replace('inside the cell', '0 km')})`],
    cov?.nearest && ['Nearest', `${cov.nearest.platform.name}, ${km(cov.nearest.distanceMetres)}`],
    cov?.nearestHypothetical && ['What if', `${nearestOf(cov).name}, ${km(cov.nearestHypothetical.distanceMetres)}${cov.turned ? ': covers it' : ''}`],
    ['Seat', t.positionQuality === 'REAL' ? 'geocoded' : t.positionQuality === 'APPROXIMATE' ? 'approximate' : 'unknown: no seat, no cell'],
    ['Cell', t.boundaryQuality == null ? 'none' : t.boundaryQuality === 'OFFICIAL' ? 'official boundary' : 'approximate: derived from the seats, not an official boundary'],
    ['Platforms', t.platforms.totalCount ? el('ul', {}, platforms) : 'none'],
    ['Source', t.sourceNote]);
}

// ---- search ----------------------------------------------------------------------------

// Pinyin initials without a dictionary: the browser's ICU collates Chinese in
// pinyin order ('zh-u-co-pinyin'), so a character's initial is the letter of
// the last of these boundary characters (the first of each letter in that
// order) that it sorts after. A polyphonic character gets the reading ICU
// sorts it by (长 z, 厦 s): right for most names, not all; the project carries no dictionary.
const INITIALS = 'abcdefghjklmnopqrstwxyz';
const BOUNDARIES = ['阿', '芭', '擦', '搭', '蛾', '发', '噶', '哈', '击', '喀', '垃', '妈', '拿', '哦', '啪', '期', '然', '撒', '塌', '挖', '昔', '压', '匝'];
const pinyinCollator = new Intl.Collator('zh-Hans-CN-u-co-pinyin');

export function pinyinInitials(text) {
  let out = '';
  for (const ch of text) {
    if (/[\u3400-\u9fff]/.test(ch)) {
      let letter = '';
      for (let i = 0; i < BOUNDARIES.length && pinyinCollator.compare(ch, BOUNDARIES[i]) >= 0; i++) letter = INITIALS[i];
      out += letter;
    } else if (/[a-z0-9]/i.test(ch)) out += ch.toLowerCase();
  }
  return out;
}
window.pinyinInitials = pinyinInitials;

async function loadPlatforms() {
  if (state.platforms) return state.platforms;
  const all = [];
  let after = null;
  for (;;) {
    const { platforms } = await graphql(PLATFORMS_QUERY, { after });
    all.push(...platforms.nodes);
    if (!platforms.pageInfo.hasNextPage) break;
    after = platforms.pageInfo.endCursor;
  }
  for (const p of all) p.initials = pinyinInitials(p.name);
  state.platforms = all;
  return all;
}

// searchEntries matches a query against townships and platforms: a substring
// of the Chinese name (or a platform's code, e.g. WS-0012), or a prefix or
// substring of the name's pinyin initials. Townships first, then by where the match is.
function searchEntries(query) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const latin = /^[a-z]+$/.test(q);
  const score = (name, initials, extra = '') => {
    const i = name.indexOf(query.trim());
    if (i >= 0) return i;
    if (extra && extra.toLowerCase().includes(q)) return 0;
    if (latin) {
      const j = initials.indexOf(q);
      if (j >= 0) return j + 0.5;
    }
    return -1;
  };
  const out = [];
  for (const t of state.townships.values()) {
    const sc = score(t.name, t.initials);
    if (sc >= 0) out.push({ type: 'township', score: sc, code: t.code, name: t.name, meta: t.county.name });
  }
  for (const p of state.platforms ?? []) {
    const sc = score(p.name, p.initials, p.externalId);
    if (sc >= 0) out.push({ type: 'platform', score: sc + 100, id: p.id, name: p.name, meta: `${KINDS[p.kind].zh} · ${p.township.name}` });
  }
  return out.sort((a, b) => a.score - b.score || a.name.length - b.name.length).slice(0, 30);
}

function setupSearch(map) {
  const input = $('#search-input');
  const list = $('#search-results');
  let results = [];
  let active = -1;
  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); active = -1; };
  const choose = (r) => {
    close();
    input.value = r.name;
    const done = r.type === 'township' ? chooseTownship(map, r.code) : choosePlatform(map, r.id);
    done.catch(showError);
  };
  const render = () => {
    list.replaceChildren(...results.map((r, i) => el('li', {
      role: 'option', id: `search-${i}`, 'aria-selected': String(i === active), dataset: { type: r.type, key: r.code ?? r.id },
      onmousedown: (ev) => { ev.preventDefault(); choose(r); },
    }, r.name, ' ', el('span', { class: 'meta' }, `${r.type === 'township' ? 'township' : 'platform'} · ${r.meta}`))));
    if (!results.length && input.value.trim()) list.replaceChildren(el('li', { class: 'help' }, 'Nothing found.'));
    list.hidden = !input.value.trim();
    input.setAttribute('aria-expanded', String(!list.hidden));
    if (active >= 0) input.setAttribute('aria-activedescendant', `search-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const update = async () => {
    const q = input.value;
    if (!state.platforms) await loadPlatforms().catch(showError);
    if (q !== input.value) return;
    results = searchEntries(q);
    active = results.length ? 0 : -1;
    render();
    list.dataset.state = 'ready';
    list.dataset.query = q;
  };
  input.addEventListener('input', () => { list.dataset.state = 'loading'; update(); });
  input.addEventListener('focus', () => { loadPlatforms().catch(showError); });
  input.addEventListener('blur', close);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (!results.length) return;
      ev.preventDefault();
      active = (active + (ev.key === 'ArrowDown' ? 1 : results.length - 1)) % results.length;
      render();
    } else if (ev.key === 'Enter' && active >= 0) {
      ev.preventDefault();
      choose(results[active]);
    } else if (ev.key === 'Escape') close();
  });
}

// ---- the worklist as CSV ------------------------------------------------------------------

const csvCell = (v) => {
  const s = v == null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

// worklistCSV reads every page of the worklist for the current question
// (with the what-if platforms) and writes it as CSV that Excel opens: UTF-8
// with a byte-order mark, CRLF line ends.
async function worklistCSV() {
  const kinds = chosenKinds();
  const radius = radiusMetres();
  const hypo = state.hypothetical.length ? state.hypothetical.map(({ kind, lon, lat }) => ({ kind, lon, lat })) : null;
  const rows = [['code', 'name', 'county', 'nearest_distance_metres', 'nearest_platform']];
  let after = null;
  for (;;) {
    const { uncoveredTownships: page } = await graphql(WORKLIST_QUERY, { kinds, radius, hypo, after });
    for (const n of page.nodes) {
      const { distance, name } = nearestOf(n);
      rows.push([n.township.code, n.township.name, n.township.county.name, distance == null ? '' : distance.toFixed(0), name]);
    }
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return '\ufeff' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

async function downloadCSV() {
  const text = await worklistCSV();
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const name = `civicmap-gaps-${chosenKinds().join('+')}-${radiusMetres()}m${state.hypothetical.length ? '-whatif' : ''}.csv`;
  const a = el('a', { href: url, download: name, hidden: '' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- what if --------------------------------------------------------------------------------

function drawHypothetical(map) {
  map.getSource('hypothetical').setData({
    type: 'FeatureCollection',
    features: state.hypothetical.map((h, i) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [h.lon, h.lat] }, properties: { index: i, kind: h.kind, label: String(i + 1) },
    })),
  });
}

function renderWhatIf(turned) {
  const n = state.hypothetical.length;
  document.body.classList.toggle('whatif-on', n > 0);
  $('#whatif-clear').disabled = n === 0;
  const mode = state.placing ? 'Placing: click the map to add a platform, click one to remove it.' : 'Off.';
  $('#whatif-status').textContent = n === 0 ? `${mode} At most ${MAX_HYPOTHETICAL}.`
    : `${mode} ${n} hypothetical platform${n === 1 ? '' : 's'}: ${turned.length} township${turned.length === 1 ? '' : 's'} turn green (light green, bold outline).`;
  $('#whatif-list').replaceChildren(...turned.map((code) => {
    const t = state.townships.get(code);
    return el('li', { dataset: { code } }, `${t.name} `, el('span', { class: 'county-name' }, t.county.name));
  }));
}

function setPlacing(map, on) {
  state.placing = on;
  $('#whatif-toggle').setAttribute('aria-pressed', String(on));
  $('#whatif-toggle').textContent = on ? 'Stop placing' : 'Place platforms';
  map.getCanvas().style.cursor = on ? 'crosshair' : '';
  renderWhatIf([...state.coverage.values()].filter((t) => t.turned).map((t) => t.township.code));
}

// whatIfClick adds a hypothetical platform where the map was clicked, or
// removes the one clicked on. It reports whether it handled the click.
function whatIfClick(map, ev, refresh) {
  if (!state.placing) return false;
  const box = [[ev.point.x - 8, ev.point.y - 8], [ev.point.x + 8, ev.point.y + 8]];
  const hit = map.queryRenderedFeatures(box, { layers: ['hypothetical'] })[0];
  if (hit) state.hypothetical.splice(hit.properties.index, 1);
  else if (state.hypothetical.length >= MAX_HYPOTHETICAL) {
    $('#whatif-status').textContent = `At most ${MAX_HYPOTHETICAL} hypothetical platforms: remove one first.`;
    return true;
  } else {
    const kind = $('#whatif-kind').value;
    // A platform counts only for the chosen kinds: choose its kind too.
    const kindBox = document.querySelector(`input[name=kind][value=${kind}]`);
    if (!kindBox.checked) kindBox.checked = true;
    state.hypothetical.push({ kind, lon: Number(ev.lngLat.lng.toFixed(5)), lat: Number(ev.lngLat.lat.toFixed(5)) });
  }
  drawHypothetical(map);
  writeHash(map);
  refresh();
  return true;
}

// ---- data quality -----------------------------------------------------------------------------

const REASONS = {
  OUTSIDE_OWN_CELL: 'Platform outside its own township’s cell',
  TOWNSHIP_SEAT_UNKNOWN: 'Township seat unknown',
  TOWNSHIP_SEAT_APPROXIMATE: 'Township seat approximate',
  POSITION_UNKNOWN: 'Platform position unknown',
  POSITION_APPROXIMATE: 'Platform position approximate',
  DUPLICATE_NAME: 'Duplicate name',
  INVENTED_DATE: 'Date invented (illustrative record)',
  DATE_AFTER_SOURCE: 'Dated after the source article',
  UNSUPPORTED_STATUS: 'Status the source does not support',
};

// The report is costly (it reads every record): asked for when the panel opens.
async function loadQuality(map) {
  const box = $('#quality');
  if (box.dataset.state === 'ready' || box.dataset.state === 'loading') return;
  box.dataset.state = 'loading';
  try {
    const { dataQuality: q } = await graphql(QUALITY_QUERY);
    $('#quality-summary').textContent = `${q.illustrative} of the ${q.platforms} platforms (${(q.illustrativeRatio * 100).toFixed(0)}%) are illustrative records written by civicmap; ${q.items.totalCount} doubts over ${q.platforms} platforms and ${q.townships} townships. Dates are checked against the source article, ${q.sourceDate} at the latest. Click a record to go there.`;
    $('#quality-counts tbody').replaceChildren(...q.counts.map((c) => el('tr', { dataset: { reason: c.reason } },
      el('th', { scope: 'row' }, REASONS[c.reason] ?? c.reason), el('td', {}, String(c.records)))));
    // A page of 500 holds every doubt of a city's directory; a larger one
    // says how many it leaves out.
    const more = q.items.totalCount - q.items.nodes.length;
    const rest = more > 0 ? [el('li', { class: 'meta' }, `${more} more not listed here: page through dataQuality.items (after:) over GraphQL.`)] : [];
    $('#quality-items').replaceChildren(...q.items.nodes.map((it) => el('li', { dataset: { reason: it.reason, code: it.code } },
      el('button', {
        type: 'button', class: 'link',
        onclick: () => {
          const go = it.platform ? choosePlatform(map, it.platform.id, { fly: it.platform.lon != null }) : chooseTownship(map, it.township.code);
          go.then(() => $('#details').scrollIntoView({ block: 'nearest' })).catch(showError);
        },
      },
      el('span', { class: 'tag warn' }, REASONS[it.reason] ?? it.reason), ' ', it.code, ' ', it.name,
      el('div', { class: 'meta' }, it.message)))), ...rest);
    box.dataset.state = 'ready';
  } catch (err) {
    box.dataset.state = 'error';
    $('#quality-summary').replaceChildren(el('span', { class: 'error' }, `Could not load the report: ${err.message}`));
  }
}

// ---- print ------------------------------------------------------------------------------------

// Printing lays the page out on A4 (app.css, @media print): the map on top,
// then the legend and every gap. The map is redrawn at its print size.
function setupPrint(map) {
  const resize = () => { map.resize(); map.triggerRepaint(); };
  matchMedia('print').addEventListener('change', resize);
  addEventListener('beforeprint', resize);
  addEventListener('afterprint', resize);
  $('#print').addEventListener('click', () => print());
}

// ---- start -------------------------------------------------------------------------------

async function start() {
  const initial = parseHash();
  applyControls(initial);
  state.hypothetical = initial.hypothetical;
  const [tilejson, start] = await Promise.all([
    fetch('/tiles.json').then((r) => { if (!r.ok) throw new Error(`/tiles.json: ${r.status}`); return r.json(); }),
    graphql(START_QUERY),
  ]);
  for (const t of start.townships.nodes) {
    t.initials = pinyinInitials(t.name);
    state.townships.set(t.code, t);
  }
  renderDataGaps();
  // The sources and licence are in the map's attribution: said once, there.
  $('#dataset').textContent = `Data loaded ${new Date(start.dataset.loadedAt).toISOString().slice(0, 10)}; its sources and licence are in the map’s corner.`;

  const map = createMap(tilejson, initial);
  // A handle for the browser test and for anyone at the console.
  window.map = map;
  await map.once('load');
  // The compact attribution (narrow maps) opens expanded and would hide a
  // third of a phone's map: start it folded, one tap away.
  const attrib = document.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact');
  if (attrib) {
    attrib.classList.remove('maplibregl-compact-show');
    attrib.removeAttribute('open');
  }

  map.getSource('seats').setData({
    type: 'FeatureCollection',
    features: [...state.townships.values()].filter((t) => t.lon != null).map((t) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [t.lon, t.lat] }, properties: { code: t.code, name: t.name },
    })),
  });
  drawHypothetical(map);

  const refresh = () => refreshCoverage(map).catch(showError);
  for (const box of document.querySelectorAll('input[name=kind]')) {
    box.addEventListener('click', (ev) => {
      // Coverage needs at least one kind: the last box stays checked.
      if (!chosenKinds().length) ev.preventDefault();
    });
    box.addEventListener('change', () => { writeHash(map); refresh(); });
  }
  const radius = $('#radius');
  radius.addEventListener('input', showRadius);
  // A drag fires change once, on release: one request per choice.
  radius.addEventListener('change', () => { showRadius(); writeHash(map); refresh(); });

  map.on('click', (ev) => {
    if (whatIfClick(map, ev, refresh)) return;
    const box = [[ev.point.x - 6, ev.point.y - 6], [ev.point.x + 6, ev.point.y + 6]];
    const platform = map.queryRenderedFeatures(box, { layers: ['platforms'] })[0];
    if (platform) { showPlatform(map, platform.properties.gid).catch(showError); return; }
    const township = map.queryRenderedFeatures(ev.point, { layers: ['townships-fill'] })[0];
    if (township) chooseTownship(map, township.properties.code, { fly: false }).catch(showError);
  });
  for (const layer of ['platforms', 'townships-fill']) {
    map.on('mouseenter', layer, () => { if (!state.placing) map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { if (!state.placing) map.getCanvas().style.cursor = ''; });
  }
  $('#details .close').addEventListener('click', () => { $('#details').hidden = true; select(map, null); writeHash(map); });
  map.on('moveend', () => writeHash(map));

  // What if.
  $('#whatif-toggle').addEventListener('click', () => setPlacing(map, !state.placing));
  $('#whatif-clear').addEventListener('click', () => {
    state.hypothetical = [];
    drawHypothetical(map);
    writeHash(map);
    refresh();
  });

  // Share, CSV, print, search, data quality.
  $('#copy-link').addEventListener('click', async () => {
    writeHash(map);
    try {
      await navigator.clipboard.writeText(location.href);
      $('#copy-link').textContent = 'Copied';
    } catch {
      $('#copy-link').textContent = 'Copy the link above';
    }
    setTimeout(() => { $('#copy-link').textContent = 'Copy link'; }, 2000);
  });
  $('#csv').addEventListener('click', () => downloadCSV().catch(showError));
  setupPrint(map);
  setupSearch(map);
  $('#quality').addEventListener('toggle', () => { if ($('#quality').open) loadQuality(map); });

  // An edit of the hash in an open tab (or a shared link pasted into it) moves the page there.
  addEventListener('hashchange', () => {
    const h = parseHash();
    const controls = applyControls(h);
    const hypo = JSON.stringify(h.hypothetical) !== JSON.stringify(state.hypothetical);
    if (hypo) { state.hypothetical = h.hypothetical; drawHypothetical(map); }
    if (h.center) map.jumpTo({ center: h.center, zoom: h.zoom ?? map.getZoom() });
    else if (h.zoom != null) map.jumpTo({ zoom: h.zoom });
    if (h.township && h.township !== state.selected) chooseTownship(map, h.township, { fly: !h.center }).catch(showError);
    else if (h.platform && h.platform !== state.platform) choosePlatform(map, h.platform, { fly: !h.center }).catch(showError);
    else if (!h.township && !h.platform && (state.selected || state.platform)) { $('#details').hidden = true; select(map, null); }
    if (controls || hypo) refresh();
    writeHash(map);
  });

  // A shared link's selection.
  if (initial.township) chooseTownship(map, initial.township, { fly: !initial.center }).catch(showError);
  else if (initial.platform) choosePlatform(map, initial.platform, { fly: !initial.center }).catch(showError);
  writeHash(map);
  await refresh();
  followChanges(refresh);
}

start().catch(showError);
