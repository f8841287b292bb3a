// civicmap's map page: Sanming's township cells coloured by how well the
// grassroots CPPCC platforms cover them, with the gaps a planner works from.
//
// The geometry comes from the server's vector tiles (/tiles.json); everything
// that depends on the chosen kinds and radius comes from GraphQL and is painted
// onto the tiles' township features with feature state, so changing a control
// costs one GraphQL request and no tile reload.
import { Map, NavigationControl, ScaleControl } from './lib/maplibre-gl.mjs';

const KINDS = {
  LIAISON_GROUP: { zh: '乡镇联络组', en: 'Liaison group', colour: '#2d6fb7' },
  WORKSTATION: { zh: '委员工作站', en: 'Workstation', colour: '#7b3fa0' },
  SECTOR_HALL: { zh: '界别议政厅', en: 'Sector hall', colour: '#d08b00' },
};
// The same colours as app.css's custom properties.
const COLOURS = { covered: '#3a9d6e', uncovered: '#e4572e', nodata: '#c9ccd1', county: '#2f3a45', seat: '#8e44ad', inactive: '#8a8f96' };
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
const COVERAGE_QUERY = `query Coverage($kinds: [PlatformKind!]!, $radius: Float!) {
  coverage(kinds: $kinds, radiusMetres: $radius) {
    totals { townships covered uncovered unknownPosition ratio }
    townships { township { code } status nearest { distanceMetres platform { id name kind } } }
  }
  uncoveredTownships(kinds: $kinds, radiusMetres: $radius, first: 500) {
    totalCount
    nodes { township { code } nearest { distanceMetres platform { id name kind provenance } } }
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
  node.append(...children.flat().filter((c) => c != null && c !== false));
  return node;
}

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
  request: 0, // the latest coverage request; older answers are dropped
};

function chosenKinds() {
  return [...document.querySelectorAll('input[name=kind]:checked')].map((i) => i.value);
}

function radiusMetres() {
  return Number($('#radius').value);
}

// The controls live in the URL's hash too, so a view can be shared and survives a reload.
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const kinds = (p.get('kinds') ?? '').split(',').filter((k) => k in KINDS);
  if (kinds.length) {
    for (const box of document.querySelectorAll('input[name=kind]')) box.checked = kinds.includes(box.value);
  }
  const r = Number(p.get('r'));
  if (p.has('r') && r >= 0 && r <= 50000) $('#radius').value = String(r);
}

function writeHash() {
  history.replaceState(null, '', `#kinds=${chosenKinds().join(',')}&r=${radiusMetres()}`);
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
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#e9edf1' } },
      { id: 'counties-fill', type: 'fill', source: SOURCE, 'source-layer': 'counties', paint: { 'fill-color': '#f6f6f2' } },
      {
        id: 'townships-fill', type: 'fill', source: SOURCE, 'source-layer': 'townships',
        paint: {
          'fill-color': ['match', ['feature-state', 'status'], 'COVERED', COLOURS.covered, 'UNCOVERED', COLOURS.uncovered, COLOURS.nodata],
          'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.8, 0.5],
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
    ],
  };
}

function createMap(tilejson, dataset) {
  const [w, s, e, n] = tilejson.bounds;
  const map = new Map({
    container: 'mapview',
    style: mapStyle(tilejson),
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 20 },
    localIdeographFontFamily: CJK_FONTS,
    // compact (an ⓘ button) only where the map is narrow: the sources' text is long.
    attributionControl: { customAttribution: escapeHTML(`Licence: ${dataset.licence}`) },
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
  if (code) map.setFeatureState({ ...TOWNSHIPS, id: Number(code) }, { selected: true });
  for (const b of document.querySelectorAll('#gaps-list button')) {
    b.setAttribute('aria-current', String(b.dataset.code === code));
  }
}

function flyToTownship(map, code) {
  const t = state.townships.get(code);
  if (!t || t.lon == null) return;
  map.flyTo({ center: [t.lon, t.lat], zoom: Math.max(map.getZoom(), 10.5), essential: true });
  // On a phone the map is above the panel: bring it into view.
  if (matchMedia('(max-width: 700px)').matches) map.getContainer().scrollIntoView({ behavior: 'smooth' });
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
  const [data] = await Promise.all([graphql(COVERAGE_QUERY, { kinds, radius }), refreshTiles(map)]);
  if (mine !== state.request) return; // the controls changed meanwhile

  state.coverage.clear();
  for (const t of data.coverage.townships) {
    state.coverage.set(t.township.code, t);
    // Townships with UNKNOWN position have no cell in the tiles.
    if (t.status !== 'UNKNOWN_POSITION') map.setFeatureState({ ...TOWNSHIPS, id: Number(t.township.code) }, { status: t.status });
  }
  setPlatformFilter(map);

  const c = data.coverage.totals;
  $('[data-testid=covered-count]').textContent = c.covered;
  $('[data-testid=uncovered-count]').textContent = c.uncovered;
  $('[data-testid=unknown-count]').textContent = c.unknownPosition;
  $('#ratio').textContent = c.ratio == null ? '' :
    `${(c.ratio * 100).toFixed(0)}% of the ${c.covered + c.uncovered} townships with a known position are covered by ${kinds.map((k) => KINDS[k].en.toLowerCase() + 's').join(' or ')}.`;
  renderGaps(map, data.uncoveredTownships);
  // What the page now shows, for anyone (and the browser test) to check.
  Object.assign(totals.dataset, { state: 'ready', kinds: kinds.join(','), radius: String(radius) });
  if (state.selected && !$('#details').hidden && $('#details').dataset.type === 'township') showTownship(map, state.selected);
}

function renderGaps(map, conn) {
  const items = conn.nodes.map((node) => {
    const t = state.townships.get(node.township.code);
    const nearest = node.nearest;
    return el('li', {},
      el('button', {
        type: 'button', dataset: { code: t.code }, 'aria-current': String(t.code === state.selected),
        onclick: () => { select(map, t.code); flyToTownship(map, t.code); showTownship(map, t.code); },
      },
      el('span', { class: 'dist' }, nearest ? km(nearest.distanceMetres) : 'none'),
      t.name, ' ', el('span', { class: 'county-name' }, t.county.name),
      nearest && el('div', { class: 'meta' }, `nearest: ${nearest.platform.name}`)));
  });
  $('#gaps-list').replaceChildren(...items);
  $('#gaps-h').textContent = `Gaps: ${conn.totalCount} uncovered townships, farthest first`;
  if (conn.totalCount === 0) $('#gaps-list').replaceChildren(el('li', { class: 'help' }, 'None: every township with a known position is covered.'));
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
  details('platform', [p.name, p.provenance === 'ILLUSTRATIVE' && el('span', { class: 'tag illustrative' }, 'illustrative')],
    ['Kind', kindName(p.kind)],
    p.sector && ['Sector', `${p.sector.name} ${p.sector.nameEn}`],
    ['Host', `${p.hostName} (${HOST_TYPES[p.hostType] ?? p.hostType})`],
    ['Organiser', p.organiser.name],
    ['Township', el('button', { class: 'link', type: 'button', onclick: () => { select(map, p.township.code); showTownship(map, p.township.code); } },
      `${p.township.name} · ${p.township.county.name}`)],
    p.address && ['Address', p.address],
    p.establishedOn && ['Established', p.establishedOn],
    ['Status', p.status === 'ACTIVE' ? 'active' : `${p.status.toLowerCase()}: does not count for coverage`],
    ['Provenance', p.provenance === 'REAL' ? 'real: named in the source article' : 'illustrative: an example record written by civicmap, not a real platform'],
    ['Position', p.positionQuality === 'REAL' ? 'geocoded' : p.positionQuality.toLowerCase()],
    ['Source', p.sourceNote]);
}

async function showTownship(map, code) {
  const { township: t } = await graphql(TOWNSHIP_QUERY, { code });
  const cov = state.coverage.get(code);
  const status = { COVERED: 'covered', UNCOVERED: 'uncovered', UNKNOWN_POSITION: 'position unknown: a data gap' }[cov?.status] ?? '…';
  const platforms = t.platforms.nodes.map((p) => el('li', {},
    el('button', { class: 'link', type: 'button', onclick: () => showPlatform(map, p.id) },
      `${KINDS[p.kind].zh} ${p.name}`, p.provenance === 'ILLUSTRATIVE' && el('span', { class: 'tag illustrative' }, 'illustrative'),
      p.status !== 'ACTIVE' && el('span', { class: 'tag warn' }, p.status.toLowerCase()))));
  details('township', [t.name, t.positionQuality !== 'REAL' && el('span', { class: 'tag warn' }, `seat ${t.positionQuality.toLowerCase()}`)],
    ['County', t.county.name],
    ['Kind', TOWNSHIP_KINDS[t.kind] ?? t.kind],
    ['Coverage', `${status} (${chosenKinds().map((k) => KINDS[k].en.toLowerCase()).join(', ')}, ${km(radiusMetres()).replace('inside the cell', '0 km')})`],
    cov?.nearest && ['Nearest', `${cov.nearest.platform.name}, ${km(cov.nearest.distanceMetres)}`],
    ['Seat', t.positionQuality === 'REAL' ? 'geocoded' : t.positionQuality === 'APPROXIMATE' ? 'approximate' : 'unknown: no seat, no cell'],
    ['Cell', t.boundaryQuality == null ? 'none' : t.boundaryQuality === 'OFFICIAL' ? 'official boundary' : 'approximate: derived from the seats, not an official boundary'],
    ['Platforms', t.platforms.totalCount ? el('ul', {}, platforms) : 'none'],
    ['Source', t.sourceNote]);
}

// ---- start -------------------------------------------------------------------------------

async function start() {
  readHash();
  showRadius();
  const [tilejson, start] = await Promise.all([
    fetch('/tiles.json').then((r) => { if (!r.ok) throw new Error(`/tiles.json: ${r.status}`); return r.json(); }),
    graphql(START_QUERY),
  ]);
  for (const t of start.townships.nodes) state.townships.set(t.code, t);
  renderDataGaps();
  $('#dataset').textContent = `${start.dataset.attribution} Licence: ${start.dataset.licence}.`;

  const map = createMap(tilejson, start.dataset);
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

  const refresh = () => refreshCoverage(map).catch(showError);
  for (const box of document.querySelectorAll('input[name=kind]')) {
    box.addEventListener('click', (ev) => {
      // Coverage needs at least one kind: the last box stays checked.
      if (!chosenKinds().length) ev.preventDefault();
    });
    box.addEventListener('change', () => { writeHash(); refresh(); });
  }
  const radius = $('#radius');
  radius.addEventListener('input', showRadius);
  // A drag fires change once, on release: one request per choice.
  radius.addEventListener('change', () => { showRadius(); writeHash(); refresh(); });

  map.on('click', (ev) => {
    const box = [[ev.point.x - 6, ev.point.y - 6], [ev.point.x + 6, ev.point.y + 6]];
    const platform = map.queryRenderedFeatures(box, { layers: ['platforms'] })[0];
    if (platform) { showPlatform(map, platform.properties.gid).catch(showError); return; }
    const township = map.queryRenderedFeatures(ev.point, { layers: ['townships-fill'] })[0];
    if (township) {
      select(map, township.properties.code);
      showTownship(map, township.properties.code).catch(showError);
    }
  });
  for (const layer of ['platforms', 'townships-fill']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  $('#details .close').addEventListener('click', () => { $('#details').hidden = true; select(map, null); });

  await refresh();
  followChanges(refresh);
}

start().catch(showError);
