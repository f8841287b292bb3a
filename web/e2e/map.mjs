// map.mjs drives the map page in headless Debian chromium as a person would,
// and checks it against the GraphQL API.
//
//   node web/e2e/map.mjs http://127.0.0.1:8080 testdata/artefacts
//
// It writes map.png, map-gap.png and map-platform.png (1280×800: the start,
// after clicking the first gap, after clicking a platform), the planner's
// tools (map-search.png, map-share.png, map-hashchange.png, map-whatif.png,
// map-quality.png, map-print.png and map-print.pdf, map-basemap.png,
// map-basemap-gcj02.png) and
// map-phone.png and map-phone-full.png (375×812), and graphiql.png into the
// directory, prints one line per check and timings, and exits 1 on the first
// failure. Figures that come from the data (gaps, counts) are read from the
// GraphQL API, never written here.
// cmd/civicmap/map_test.go runs it against a test server.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node map.mjs <base-url> <screenshot-dir>');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// Headless WebGL on two shared cores is slow: waits are long, but each waits
// for a real condition, never for a fixed time.
const WAIT = 60_000;
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[${since()}] ${msg}`);

async function graphql(query, variables = {}, key = '') {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key && { Authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function check(cond, msg) {
  if (!cond) throw new Error(`FAIL: ${msg}`);
  log(`ok ${msg}`);
}

// markedTile is a white 256-pixel tile z/x/y with a red disc (radius 6 px)
// where lon, lat falls in Web Mercator: a basemap tile with one landmark.
function markedTile(z, x, y, lon, lat) {
  const n = 2 ** z, size = 256;
  const s = Math.sin((lat * Math.PI) / 180);
  const cx = ((lon + 180) / 360) * n * size - x * size;
  const cy = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n * size - y * size;
  const rgba = Buffer.alloc(size * size * 4, 255);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      if (Math.hypot(px + 0.5 - cx, py + 0.5 - cy) <= 6) rgba.set([255, 0, 0, 255], (py * size + px) * 4);
    }
  }
  return encodePNG(size, size, rgba);
}

// encodePNG encodes RGBA pixels as a PNG (8-bit, no filter).
function encodePNG(width, height, rgba) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter, no interlace
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // Without a GPU, WebGL comes from SwiftShader, a software renderer. Chromium
  // 156 still falls back to it unasked, but that fallback is deprecated (and
  // logs a warning); asking for it keeps the test working when it goes.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});

const problems = []; // console errors, page errors and failed requests, from every page

function watch(page, name) {
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name} console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The map cancels the tiles it no longer needs while it moves: not a failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && new URL(r.url()).pathname.startsWith('/tiles/')) return;
    problems.push(`${name} request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${name} HTTP ${r.status()}: ${r.url()}`); });
  // Offline by default: the page asks nothing of any other server.
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/^https?:$/.test(u.protocol) && u.origin !== new URL(base).origin) foreign.push(`${name}: ${r.url()}`);
  });
}
const foreign = []; // requests to servers other than civicmap, from every page

// langProblems lists the text nodes with Chinese characters that no lang="zh" element holds.
async function langProblems(page) {
  return page.evaluate(() => {
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!/[\u3400-\u9fff]/.test(n.data) || n.parentElement.closest('script, style, noscript')) continue;
      const lang = n.parentElement.closest('[lang]')?.getAttribute('lang') ?? '';
      if (!lang.startsWith('zh')) bad.push(`${n.parentElement.tagName}: ${n.data.trim().slice(0, 40)}`);
    }
    return bad;
  });
}

// occurrences counts how often text appears in the page's text.
async function occurrences(page, text) {
  return page.evaluate((t) => document.body.textContent.split(t).length - 1, text);
}

async function waitReady(page) {
  await page.waitForFunction(() => typeof window.map?.loaded === 'function', null, { timeout: WAIT });
  await page.waitForFunction(() => document.querySelector('[data-testid=totals]')?.dataset.state === 'ready', null, { timeout: WAIT, polling: 100 });
  await waitIdle(page);
}

// waitDetails waits until the details panel shows text.
async function waitDetails(page, text, type) {
  await page.waitForFunction(([t, ty]) => {
    const d = document.querySelector('[data-testid=details]');
    return d && !d.hidden && d.textContent.includes(t) && (!ty || d.dataset.type === ty);
  }, [text, type], { timeout: WAIT, polling: 100 });
}

const featureState = (page, code) => page.evaluate((c) => window.map.getFeatureState({ source: 'civicmap', sourceLayer: 'townships', id: Number(c) }), code);

// The planner's worklist and totals, as GraphQL gives them.
const WORKLIST = `query($kinds: [PlatformKind!]!, $r: Float!, $hypo: [HypotheticalPlatform!]) {
  coverage(kinds: $kinds, radiusMetres: $r, hypothetical: $hypo) { totals { covered uncovered } }
  uncoveredTownships(kinds: $kinds, radiusMetres: $r, hypothetical: $hypo, first: 500) {
    totalCount nodes { township { code name lon lat county { name } } nearest { distanceMetres platform { name } }
      nearestHypothetical { index distanceMetres } } } }`;

function noProblems(when) {
  check(problems.length === 0, `no console errors or failed requests ${when}${problems.length ? ':\n  ' + problems.join('\n  ') : ''}`);
}

// waitIdle waits until the map has drawn everything it has asked for.
async function waitIdle(page) {
  await page.waitForFunction(() => window.map?.loaded && window.map.loaded() && window.map.areTilesLoaded() && !window.map.isMoving(), null, { timeout: WAIT, polling: 100 });
}

// waitCounts waits until the page shows coverage for kinds and radius, and returns its uncovered count.
async function waitCounts(page, kinds, radius) {
  await page.waitForFunction(([k, r]) => {
    const t = document.querySelector('[data-testid=totals]');
    return t.dataset.state === 'ready' && t.dataset.kinds === k && t.dataset.radius === String(r);
  }, [kinds, radius], { timeout: WAIT, polling: 100 });
  return Number(await page.textContent('[data-testid=uncovered-count]'));
}

async function setRadius(page, metres) {
  // A range input cannot be typed into; set it as a drag would and fire its events.
  await page.$eval('#radius', (input, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, metres);
}

let failed = false;
try {
  // ---- desktop -------------------------------------------------------------
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(page, 'desktop');
  const loadStart = Date.now();
  const resp = await page.goto(`${base}/`, { waitUntil: 'load', timeout: WAIT });
  check(resp.status() === 200, `GET / answers 200 (got ${resp.status()})`);
  await page.waitForFunction(() => typeof window.map?.loaded === "function", null, { timeout: WAIT });
  await waitIdle(page);
  const uncovered0 = await waitCounts(page, 'WORKSTATION', 0);
  await waitIdle(page);
  const loadMs = Date.now() - loadStart;
  log(`timing: page load to idle map with coverage ${loadMs} ms`);

  const rendered = await page.evaluate(() => ({
    townships: window.map.queryRenderedFeatures({ layers: ['townships-fill'] }).length,
    painted: window.map.queryRenderedFeatures({ layers: ['townships-fill'] }).filter((f) => f.state.status === 'COVERED' || f.state.status === 'UNCOVERED').length,
    platforms: window.map.queryRenderedFeatures({ layers: ['platforms'] }).length,
    halos: window.map.queryRenderedFeatures({ layers: ['platforms-approximate'] }).map((f) => f.properties.position_quality),
    counties: window.map.queryRenderedFeatures({ layers: ['counties-line'] }).length,
    labels: window.map.queryRenderedFeatures({ layers: ['township-labels'] }).length,
  }));
  check(rendered.townships > 0, `township cells render (${rendered.townships} features)`);
  check(rendered.painted === rendered.townships, `every rendered cell is painted with a coverage status (${rendered.painted}/${rendered.townships})`);
  check(rendered.platforms > 0, `platforms render (${rendered.platforms} features)`);
  check(rendered.halos.length > 0 && rendered.halos.every((q) => q === 'APPROXIMATE'),
    `platforms at approximate positions have a halo (${rendered.halos.length}), and only they`);
  check(rendered.counties > 0, `county boundaries render (${rendered.counties} features)`);
  log(`township labels placed at the start view: ${rendered.labels}`);

  const attribution = await page.textContent('.maplibregl-ctrl-attrib');
  check(/Vonng\/adcode/.test(attribution) && /CC BY 4\.0/.test(attribution), 'attribution shows the data sources and licence');
  const dataGaps = await page.textContent('[data-testid=data-gaps-list]');
  check(dataGaps.includes('方田乡') && dataGaps.includes('青水畲族乡'), 'townships with unknown position are listed as data gaps');
  await page.screenshot({ path: join(outDir, 'map.png') });
  log(`screenshot ${join(outDir, 'map.png')}`);

  // ---- the attribution said once; Chinese marked lang="zh"; no basemap ----------
  check(await occurrences(page, 'Vonng/adcode') === 1 && await occurrences(page, '高德') === 1,
    'the attribution is said once on the page (Vonng/adcode and 高德 each appear once)');
  const noLang = await langProblems(page);
  check(noLang.length === 0 && await page.evaluate(() => document.documentElement.lang) === 'en',
    `every Chinese text on the page is in a lang="zh" element, the page stays lang="en"${noLang.length ? ': ' + noLang.slice(0, 8).join(' | ') : ''}`);
  const style = await page.evaluate(() => ({ sources: Object.keys(window.map.getStyle().sources), raster: window.map.getStyle().layers.filter((l) => l.type === 'raster').length }));
  check(!style.sources.includes('basemap') && style.raster === 0 && foreign.length === 0,
    `no basemap by default, and no request to any other server (sources ${style.sources.join(', ')}; foreign requests: ${foreign.length})`);

  // ---- radius changes the count to what GraphQL says -----------------------------
  const q = `query($r: Float!) { coverage(kinds: [WORKSTATION], radiusMetres: $r) { totals { uncovered } } }`;
  const want0 = (await graphql(q, { r: 0 })).coverage.totals.uncovered;
  check(uncovered0 === want0, `radius 0: the page shows ${uncovered0} uncovered, GraphQL ${want0}`);
  for (const r of [5000, 20000, 0]) {
    const want = (await graphql(q, { r })).coverage.totals.uncovered;
    const t = Date.now();
    await setRadius(page, r);
    const got = await waitCounts(page, 'WORKSTATION', r);
    check(got === want, `radius ${r} m: the page shows ${got} uncovered, GraphQL ${want} (${Date.now() - t} ms)`);
    const gaps = await page.locator('#gaps-list button').count();
    check(gaps === want, `radius ${r} m: the gaps panel lists ${gaps} townships`);
  }

  // ---- clicking the first gap flies there ----------------------------------------
  const first = (await graphql(`{ uncoveredTownships(kinds: [WORKSTATION], first: 1) { nodes { township { code name lon lat } } } }`))
    .uncoveredTownships.nodes[0].township;
  const button = page.locator('#gaps-list button').first();
  check((await button.getAttribute('data-code')) === first.code, `the first gap is the farthest, ${first.name} (${first.code})`);
  await button.click();
  await waitIdle(page);
  const center = await page.evaluate(() => window.map.getCenter().toArray());
  const off = Math.hypot(center[0] - first.lon, center[1] - first.lat);
  check(off < 0.01, `the map flew to ${first.name}: centre [${center.map((v) => v.toFixed(4))}], seat [${first.lon}, ${first.lat}]`);
  const selected = await page.evaluate((code) => window.map.getFeatureState({ source: 'civicmap', sourceLayer: 'townships', id: Number(code) }).selected, first.code);
  check(selected === true, `${first.name} is highlighted`);
  await page.waitForFunction((name) => document.querySelector('[data-testid=details]')?.textContent.includes(name), first.name, { timeout: WAIT });
  check(true, `the details show ${first.name}`);
  await page.screenshot({ path: join(outDir, 'map-gap.png') });
  log(`screenshot ${join(outDir, 'map-gap.png')}`);

  // ---- clicking a platform shows its details -------------------------------------
  // The 12345 hotline centre workstation, a REAL one: zoom to it as a person
  // would, then click its dot.
  const real = (await graphql(`{ platforms(filter: {kinds: [WORKSTATION], provenance: REAL}, first: 1) { nodes { id name lon lat } } }`))
    .platforms.nodes[0];
  await page.evaluate(([lon, lat]) => window.map.jumpTo({ center: [lon, lat], zoom: 13 }), [real.lon, real.lat]);
  await waitIdle(page);
  const target = await page.evaluate((id) => {
    const f = window.map.queryRenderedFeatures({ layers: ['platforms'] }).find((f) => f.properties.gid === id);
    if (!f) return null;
    const p = window.map.project(f.geometry.coordinates);
    return { x: p.x, y: p.y, gid: f.properties.gid };
  }, real.id);
  check(target != null, `the platform ${real.name} renders at its place`);
  const box = await page.locator('#mapview canvas').boundingBox();
  await page.mouse.click(box.x + target.x, box.y + target.y);
  await page.waitForFunction(() => document.querySelector('[data-testid=details]')?.dataset.type === 'platform', null, { timeout: WAIT });
  const detailsText = await page.textContent('[data-testid=details]');
  const { platform } = await graphql(`query($id: ID!) { platform(id: $id) { name hostName organiser { name } } }`, { id: target.gid });
  check(detailsText.includes(platform.name) && detailsText.includes(platform.hostName) && detailsText.includes(platform.organiser.name),
    `clicking a platform shows its details: ${platform.name}, ${platform.hostName}, ${platform.organiser.name}`);
  await page.screenshot({ path: join(outDir, 'map-platform.png') });
  log(`screenshot ${join(outDir, 'map-platform.png')}`);

  // ---- clicking a township cell shows its details --------------------------------
  // An uncovered township at radius 0 has no workstation dot in its cell, so a
  // click on its seat lands on the cell itself.
  const { uncoveredTownships: gaps0 } = await graphql(`{ uncoveredTownships(kinds: [WORKSTATION], first: 2) {
    nodes { township { code name lon lat county { name } } } } }`);
  const cell = gaps0.nodes[1].township;
  await page.evaluate(([lon, lat]) => window.map.jumpTo({ center: [lon, lat], zoom: 12 }), [cell.lon, cell.lat]);
  await waitIdle(page);
  const seat = await page.evaluate(([lon, lat]) => window.map.project([lon, lat]), [cell.lon, cell.lat]);
  await page.mouse.click(box.x + seat.x, box.y + seat.y);
  await page.waitForFunction((name) => {
    const d = document.querySelector('[data-testid=details]');
    return d?.dataset.type === 'township' && d.textContent.includes(name);
  }, cell.name, { timeout: WAIT });
  const cellText = await page.textContent('[data-testid=details]');
  const cellSelected = await page.evaluate((code) => window.map.getFeatureState({ source: 'civicmap', sourceLayer: 'townships', id: Number(code) }).selected, cell.code);
  check(cellText.includes(cell.county.name) && cellSelected === true,
    `clicking the cell of ${cell.name} shows its details (${cell.county.name}) and highlights it`);

  // ---- an edit elsewhere shows without a reload --------------------------------
  // Suspend the only workstation of a township through the API, as an editor
  // on another machine would: the page follows the change feed, so its count,
  // its gaps and its dots change by themselves.
  const key = process.env.CIVICMAP_E2E_KEY;
  check(Boolean(key), 'the test server gave an admin API key (CIVICMAP_E2E_KEY)');
  const before = (await graphql(`{ coverage(kinds: [WORKSTATION]) { totals { uncovered }
    townships { township { name } coveredBy { platform { id } } } } }`)).coverage;
  const alone = before.townships.find((t) => t.coveredBy.length === 1);
  const { platform: ws } = await graphql(`query($id: ID!) { platform(id: $id) { id version externalId kind name
    organiser { code } township { code } hostName hostType sector { code } address lon lat positionQuality
    establishedOn provenance sourceNote } }`, { id: alone.coveredBy[0].platform.id });
  const input = {
    externalId: ws.externalId, kind: ws.kind, name: ws.name, organiserCode: ws.organiser.code,
    townshipCode: ws.township.code, hostName: ws.hostName, hostType: ws.hostType, sectorCode: ws.sector?.code ?? null,
    address: ws.address, lon: ws.lon, lat: ws.lat, positionQuality: ws.positionQuality,
    establishedOn: ws.establishedOn, status: 'SUSPENDED', provenance: ws.provenance, sourceNote: ws.sourceNote,
  };
  const edited = Date.now();
  await graphql(`mutation($id: ID!, $input: PlatformInput!, $v: Int!) {
    updatePlatform(id: $id, input: $input, expectedVersion: $v) { status } }`, { id: ws.id, input, v: ws.version }, key);
  const want = before.totals.uncovered + 1;
  await page.waitForFunction((n) => document.querySelector('[data-testid=uncovered-count]')?.textContent === String(n), want, { timeout: WAIT });
  const gapsNow = await page.textContent('[data-testid=gaps-list]');
  check(gapsNow.includes(alone.township.name),
    `suspending ${ws.name} shows without a reload: ${want} uncovered, ${alone.township.name} among the gaps (${Date.now() - edited} ms)`);
  await page.evaluate(([lon, lat]) => window.map.jumpTo({ center: [lon, lat], zoom: 12 }), [ws.lon, ws.lat]);
  await page.waitForFunction((id) => window.map.queryRenderedFeatures({ layers: ['platforms'] })
    .some((f) => f.properties.gid === id && f.properties.status === 'SUSPENDED'), ws.id, { timeout: WAIT, polling: 200 });
  check(true, `the tiles show ${ws.name} as SUSPENDED (the tile URLs moved to the new data version)`);
  noProblems('on the desktop page');

  // ---- the planner's tools, on a fresh page ---------------------------------------
  const tools = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  watch(tools, 'tools');
  await tools.goto(`${base}/`, { waitUntil: 'load', timeout: WAIT });
  await waitReady(tools);

  // Search: a township by its Chinese name, then by pinyin initials, then a platform.
  const { townships: allT } = await graphql(`{ townships(first: 500) { nodes { code name lon lat county { name } } } }`);
  const located = allT.nodes.filter((t) => t.lon != null);
  const target1 = located[Math.floor(located.length / 2)];
  await tools.fill('[data-testid=search]', target1.name);
  await tools.waitForFunction((q) => document.querySelector('[data-testid=search-results]').dataset.query === q, target1.name, { timeout: WAIT });
  const firstHit = await tools.$eval('[data-testid=search-results] li', (li) => ({ type: li.dataset.type, key: li.dataset.key }));
  check(firstHit.type === 'township' && firstHit.key === target1.code, `search: typing ${target1.name} offers that township first`);
  await tools.press('[data-testid=search]', 'Enter');
  await waitDetails(tools, target1.name, 'township');
  await waitIdle(tools);
  const c1 = await tools.evaluate(() => window.map.getCenter().toArray());
  check(Math.hypot(c1[0] - target1.lon, c1[1] - target1.lat) < 0.01 && (await featureState(tools, target1.code)).selected === true,
    `search: choosing it flies to ${target1.name} and selects it`);
  const xyx = allT.nodes.find((t) => t.name === '溪源乡');
  check(Boolean(xyx), 'the data has 溪源乡 (for the pinyin check)');
  check(await tools.evaluate(() => window.pinyinInitials('溪源乡三明市尤溪县')) === 'xyxsmsyxx', 'pinyin initials from the browser\'s collation: 溪源乡三明市尤溪县 → xyxsmsyxx');
  await tools.fill('[data-testid=search]', 'xyx');
  await tools.waitForFunction(() => document.querySelector('[data-testid=search-results]').dataset.query === 'xyx', null, { timeout: WAIT });
  const pinyinHits = await tools.$$eval('[data-testid=search-results] li', (lis) => lis.map((li) => li.dataset.key));
  check(pinyinHits.includes(xyx.code), `search: typing the initials xyx offers 溪源乡 (${pinyinHits.length} results)`);
  await tools.screenshot({ path: join(outDir, 'map-search.png') });
  log(`screenshot ${join(outDir, 'map-search.png')}`);
  await tools.click(`[data-testid=search-results] li[data-key="${xyx.code}"]`);
  await waitDetails(tools, '溪源乡', 'township');
  check(true, 'search: clicking a result by initials shows 溪源乡');
  const { platforms: realP } = await graphql(`{ platforms(filter: {provenance: REAL}, first: 1) { nodes { id name lon lat } } }`);
  const rp = realP.nodes[0];
  // A part of its name that no other platform's or township's name holds.
  const { platforms: allP } = await graphql(`{ platforms(first: 500) { nodes { id name } } }`);
  const names = [...allP.nodes.filter((p) => p.id !== rp.id).map((p) => p.name), ...allT.nodes.map((t) => t.name)];
  let part = rp.name;
  for (let len = 3; len < rp.name.length && part === rp.name; len++) {
    for (let i = 0; i + len <= rp.name.length; i++) {
      const sub = rp.name.slice(i, i + len);
      if (!names.some((n) => n.includes(sub))) { part = sub; break; }
    }
  }
  await tools.fill('[data-testid=search]', part);
  await tools.waitForFunction((q) => document.querySelector('[data-testid=search-results]').dataset.query === q, part, { timeout: WAIT });
  await tools.click(`[data-testid=search-results] li[data-key="${rp.id}"]`);
  await waitDetails(tools, rp.name, 'platform');
  await waitIdle(tools);
  const c2 = await tools.evaluate(() => window.map.getCenter().toArray());
  check(Math.hypot(c2[0] - rp.lon, c2[1] - rp.lat) < 0.01 && (await tools.evaluate(() => location.hash)).includes(`p=${encodeURIComponent(rp.id)}`),
    `search: typing "${part}" finds the platform ${rp.name}; choosing it flies there, shows it, and the link keeps it`);

  // Share link: kinds, radius, view and selection survive a round trip.
  await tools.check('input[name=kind][value=SECTOR_HALL]');
  await setRadius(tools, 5000);
  const kindsWS = 'WORKSTATION,SECTOR_HALL';
  await waitCounts(tools, kindsWS, 5000);
  await tools.fill('[data-testid=search]', target1.name);
  await tools.waitForFunction((q) => document.querySelector('[data-testid=search-results]').dataset.query === q, target1.name, { timeout: WAIT });
  await tools.press('[data-testid=search]', 'Enter');
  await waitDetails(tools, target1.name, 'township');
  await waitIdle(tools);
  await tools.evaluate(() => window.map.jumpTo({ zoom: 9.25 }));
  await waitIdle(tools);
  const shared = await tools.getAttribute('[data-testid=share-link]', 'href');
  const view = await tools.evaluate(() => ({ c: window.map.getCenter().toArray(), z: window.map.getZoom() }));
  check(/kinds=WORKSTATION,SECTOR_HALL/.test(shared) && /r=5000/.test(shared) && shared.includes(`t=${target1.code}`) && /c=[\d.]+,[\d.]+/.test(shared) && /z=9\.25/.test(shared),
    `the share link keeps kinds, radius, centre, zoom and selection: ${shared}`);
  const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(other, 'shared');
  await other.goto(shared, { waitUntil: 'load', timeout: WAIT });
  await other.waitForFunction(() => typeof window.map?.loaded === 'function', null, { timeout: WAIT });
  const sharedCount = await waitCounts(other, kindsWS, 5000);
  await waitDetails(other, target1.name, 'township');
  await waitIdle(other);
  const wantWS = (await graphql(WORKLIST, { kinds: ['WORKSTATION', 'SECTOR_HALL'], r: 5000 })).coverage.totals.uncovered;
  const view2 = await other.evaluate(() => ({ c: window.map.getCenter().toArray(), z: window.map.getZoom() }));
  check(sharedCount === wantWS && Math.hypot(view2.c[0] - view.c[0], view2.c[1] - view.c[1]) < 0.001 && Math.abs(view2.z - view.z) < 0.01
    && (await featureState(other, target1.code)).selected === true && await other.isChecked('input[value=SECTOR_HALL]'),
    `the shared link opens the same view in a new tab: ${sharedCount} uncovered (GraphQL ${wantWS}), centre, zoom ${view2.z.toFixed(2)}, ${target1.name} selected`);
  await other.screenshot({ path: join(outDir, 'map-share.png') });
  log(`screenshot ${join(outDir, 'map-share.png')}`);
  // An edit of the hash in the open tab.
  const target2 = located[Math.floor(located.length / 3)];
  await other.evaluate(([t]) => { location.hash = `kinds=LIAISON_GROUP,WORKSTATION&r=2000&c=${t.lon},${t.lat}&z=11&t=${t.code}`; }, [target2]);
  const edited2 = await waitCounts(other, 'LIAISON_GROUP,WORKSTATION', 2000);
  await waitDetails(other, target2.name, 'township');
  await waitIdle(other);
  const wantLW = (await graphql(WORKLIST, { kinds: ['LIAISON_GROUP', 'WORKSTATION'], r: 2000 })).coverage.totals.uncovered;
  const view3 = await other.evaluate(() => ({ c: window.map.getCenter().toArray(), z: window.map.getZoom() }));
  check(edited2 === wantLW && Math.hypot(view3.c[0] - target2.lon, view3.c[1] - target2.lat) < 0.001 && Math.abs(view3.z - 11) < 0.01
    && (await featureState(other, target2.code)).selected === true && (await featureState(other, target1.code)).selected !== true
    && await other.isChecked('input[value=LIAISON_GROUP]') && !(await other.isChecked('input[value=SECTOR_HALL]')),
    `editing the hash in the open tab follows it: ${edited2} uncovered (GraphQL ${wantLW}), centre and zoom 11, ${target2.name} selected`);
  await other.screenshot({ path: join(outDir, 'map-hashchange.png') });
  log(`screenshot ${join(outDir, 'map-hashchange.png')}`);
  await other.close();

  // The worklist as CSV, for the question on the page (workstations and halls at 5 km).
  const wl = (await graphql(WORKLIST, { kinds: ['WORKSTATION', 'SECTOR_HALL'], r: 5000 })).uncoveredTownships;
  const [download] = await Promise.all([tools.waitForEvent('download', { timeout: WAIT }), tools.click('[data-testid=csv]')]);
  const csvBytes = readFileSync(await download.path());
  const csv = csvBytes.toString('utf8');
  const lines = csv.replace(/^\ufeff/, '').split('\r\n').filter(Boolean);
  check(csvBytes[0] === 0xef && csvBytes[1] === 0xbb && csvBytes[2] === 0xbf, `the CSV (${download.suggestedFilename()}) starts with a UTF-8 byte-order mark`);
  check(lines[0] === 'code,name,county,nearest_distance_metres,nearest_platform', `the CSV's header: ${lines[0]}`);
  const rowsOK = lines.length - 1 === wl.totalCount && wl.nodes.every((n, i) => {
    const cells = lines[i + 1].split(',');
    return cells[0] === n.township.code && cells[1] === n.township.name && cells[2] === n.township.county.name
      && cells[3] === (n.nearest ? n.nearest.distanceMetres.toFixed(0) : '') && lines[i + 1].includes(n.nearest?.platform.name ?? '');
  });
  check(rowsOK, `the CSV lists the ${wl.totalCount} gaps GraphQL gives, in its order, with code, name, county, metres and nearest platform (first: ${lines[1]})`);

  // Print: A4, the map, the legend and every gap.
  await tools.click('#details .close');
  await tools.emulateMedia({ media: 'print' });
  await tools.waitForFunction(() => window.matchMedia('print').matches, null, { timeout: WAIT });
  await waitIdle(tools);
  const printed = await tools.evaluate(() => {
    const list = document.getElementById('gaps-list');
    const shown = [...list.querySelectorAll('li')].filter((li) => { const r = li.getBoundingClientRect(); return r.height > 0 && getComputedStyle(li).visibility !== 'hidden'; });
    const m = document.getElementById('mapview').getBoundingClientRect();
    const legend = document.getElementById('legend').getBoundingClientRect();
    return { items: shown.length, clipped: list.scrollHeight > list.clientHeight + 1, mapW: m.width, mapH: m.height, legendH: legend.height,
      search: getComputedStyle(document.getElementById('search')).display };
  });
  check(printed.items === wl.totalCount && !printed.clipped && printed.mapH > 300 && printed.legendH > 0 && printed.search === 'none',
    `print: the map (${printed.mapW.toFixed(0)}×${printed.mapH.toFixed(0)} px), the legend and all ${printed.items} of ${wl.totalCount} gaps show, unclipped; the controls do not`);
  await tools.screenshot({ path: join(outDir, 'map-print.png'), fullPage: true });
  await tools.pdf({ path: join(outDir, 'map-print.pdf'), format: 'A4', printBackground: true });
  log(`screenshot ${join(outDir, 'map-print.png')}, ${join(outDir, 'map-print.pdf')}`);
  await tools.emulateMedia({ media: 'screen' });
  await waitIdle(tools);

  // What if: a workstation dropped on the farthest gap turns it green.
  await tools.uncheck('input[name=kind][value=SECTOR_HALL]');
  await waitCounts(tools, 'WORKSTATION', 5000);
  const base5 = (await graphql(WORKLIST, { kinds: ['WORKSTATION'], r: 5000 }));
  const far = base5.uncoveredTownships.nodes[0].township;
  await tools.evaluate(([lon, lat]) => window.map.jumpTo({ center: [lon, lat], zoom: 10 }), [far.lon, far.lat]);
  await waitIdle(tools);
  await tools.click('[data-testid=whatif-toggle]');
  const canvas = await tools.locator('#mapview canvas').boundingBox();
  const at = await tools.evaluate(([lon, lat]) => window.map.project([lon, lat]), [far.lon, far.lat]);
  await tools.mouse.click(canvas.x + at.x, canvas.y + at.y);
  await tools.waitForFunction(() => {
    const t = document.querySelector('[data-testid=totals]').dataset;
    return t.state === 'ready' && t.hypothetical === '1';
  }, null, { timeout: WAIT, polling: 100 });
  const w = new URLSearchParams((await tools.evaluate(() => location.hash)).slice(1)).get('w').split(',');
  const hypo = [{ kind: 'WORKSTATION', lon: Number(w[1]), lat: Number(w[2]) }];
  const what = await graphql(WORKLIST, { kinds: ['WORKSTATION'], r: 5000, hypo });
  const shownNow = Number(await tools.textContent('[data-testid=uncovered-count]'));
  const farState = await featureState(tools, far.code);
  const farListed = await tools.$$eval('#gaps-list button', (bs) => bs.map((b) => b.dataset.code));
  const turnedList = await tools.$$eval('[data-testid=whatif-list] li', (lis) => lis.map((li) => li.dataset.code));
  check(w[0] === 'W' && shownNow === what.coverage.totals.uncovered && shownNow < base5.coverage.totals.uncovered,
    `what if: a workstation dropped at ${far.name} leaves ${shownNow} uncovered (GraphQL with hypothetical: ${what.coverage.totals.uncovered}; before: ${base5.coverage.totals.uncovered})`);
  check(farState.status === 'COVERED' && farState.turned === true && !farListed.includes(far.code) && turnedList.includes(far.code)
    && turnedList.length === base5.coverage.totals.uncovered - what.coverage.totals.uncovered,
    `what if: ${far.name} turns green (painted as turned, off the gap list, among the ${turnedList.length} listed as turning green)`);
  await waitIdle(tools);
  await tools.screenshot({ path: join(outDir, 'map-whatif.png') });
  log(`screenshot ${join(outDir, 'map-whatif.png')}`);
  // A second click on it removes it; clearing restores the plain answer.
  await tools.mouse.click(canvas.x + at.x, canvas.y + at.y);
  await tools.waitForFunction(() => {
    const t = document.querySelector('[data-testid=totals]').dataset;
    return t.state === 'ready' && t.hypothetical === '0';
  }, null, { timeout: WAIT, polling: 100 });
  check(Number(await tools.textContent('[data-testid=uncovered-count]')) === base5.coverage.totals.uncovered, 'what if: clicking the hypothetical platform again removes it');
  await tools.mouse.click(canvas.x + at.x, canvas.y + at.y);
  await tools.mouse.click(canvas.x + at.x + 120, canvas.y + at.y + 40);
  await tools.waitForFunction(() => document.querySelector('[data-testid=totals]').dataset.hypothetical === '2'
    && document.querySelector('[data-testid=totals]').dataset.state === 'ready', null, { timeout: WAIT, polling: 100 });
  await tools.click('[data-testid=whatif-clear]');
  await tools.waitForFunction(() => {
    const t = document.querySelector('[data-testid=totals]').dataset;
    return t.state === 'ready' && t.hypothetical === '0';
  }, null, { timeout: WAIT, polling: 100 });
  const cleared = Number(await tools.textContent('[data-testid=uncovered-count]'));
  check(cleared === base5.coverage.totals.uncovered && (await featureState(tools, far.code)).turned === false
    && (await featureState(tools, far.code)).status === 'UNCOVERED' && !(await tools.evaluate(() => location.hash)).includes('w='),
    `what if: Clear restores ${cleared} uncovered and ${far.name} red`);
  await tools.click('[data-testid=whatif-toggle]');

  // Data quality: the report's counts and items, a click flies to the record.
  const { dataQuality: { counts, items: { totalCount, nodes } } } = await graphql(`{ dataQuality { counts { reason records }
    items(first: 500) { totalCount nodes { reason code name platform { id lon lat } township { code name lon lat } } } } }`);
  const dq = { counts, items: nodes };
  check(totalCount === nodes.length, `data quality: one page holds all ${totalCount} items`);
  await tools.click('#quality summary');
  await tools.waitForFunction(() => document.querySelector('[data-testid=quality]').dataset.state === 'ready', null, { timeout: WAIT, polling: 100 });
  const shownCounts = await tools.$$eval('[data-testid=quality-counts] tr', (trs) => trs.map((tr) => [tr.dataset.reason, Number(tr.querySelector('td').textContent)]));
  const itemCount = await tools.locator('[data-testid=quality-items] li').count();
  check(JSON.stringify(shownCounts) === JSON.stringify(dq.counts.map((c) => [c.reason, c.records])) && itemCount === dq.items.length,
    `data quality: the panel shows every reason's count as GraphQL does (${shownCounts.map(([r, n]) => `${r} ${n}`).join(', ')}) and all ${itemCount} items`);
  const item = dq.items.find((i) => i.reason === 'OUTSIDE_OWN_CELL' && i.platform?.lon != null) ?? dq.items.find((i) => i.platform?.lon != null);
  await tools.click(`[data-testid=quality-items] li[data-reason="${item.reason}"][data-code="${item.code}"] button`);
  await waitDetails(tools, item.name, 'platform');
  await waitIdle(tools);
  const c4 = await tools.evaluate(() => window.map.getCenter().toArray());
  const ringed = await tools.evaluate(() => window.map.queryRenderedFeatures({ layers: ['selected-platform'] }).length);
  check(Math.hypot(c4[0] - item.platform.lon, c4[1] - item.platform.lat) < 0.01 && ringed === 1,
    `data quality: clicking ${item.reason} ${item.code} flies to ${item.name}, rings it on the map (whatever the chosen kinds) and shows it`);
  const noLang2 = await langProblems(tools);
  check(noLang2.length === 0, `with search results, details, what-if and data quality shown, every Chinese text is in a lang="zh" element${noLang2.length ? ': ' + noLang2.slice(0, 8).join(' | ') : ''}`);
  check(await occurrences(tools, 'Vonng/adcode') === 1, 'the attribution is still said once');
  await tools.screenshot({ path: join(outDir, 'map-quality.png') });
  log(`screenshot ${join(outDir, 'map-quality.png')}`);
  check(foreign.length === 0, `no request went to any other server (${foreign.length})`);
  noProblems('with the planner\'s tools');

  // The optional basemap: a raster tile URL template in the query string,
  // here served by this script.
  let tileRequests = 0;
  // A 1×1 pale blue PNG, stretched over each tile.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGO49uQDAAU+AqtQ/WJNAAAAAElFTkSuQmCC', 'base64');
  let gcjTarget = null; // the platform whose GCJ-02 position the /gcj/ tiles mark
  const tileServer = createServer((req, res) => {
    const gcjTile = req.url.match(/^\/gcj\/(\d+)\/(\d+)\/(\d+)\.png$/);
    if (/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(req.url)) {
      tileRequests++;
      res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' });
      res.end(png);
    } else if (gcjTile && gcjTarget) {
      const [z, x, y] = gcjTile.slice(1).map(Number);
      res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' });
      res.end(markedTile(z, x, y, gcjTarget.glon, gcjTarget.glat));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => tileServer.listen(0, '127.0.0.1', resolve));
  const tileURL = `http://127.0.0.1:${tileServer.address().port}/tiles/{z}/{x}/{y}.png`;
  const bm = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(bm, 'basemap');
  await bm.goto(`${base}/?basemap=${encodeURIComponent(tileURL)}&basemapAttribution=${encodeURIComponent('Test tiles © 测试')}`, { waitUntil: 'load', timeout: WAIT });
  await waitReady(bm);
  const bmStyle = await bm.evaluate(() => window.map.getStyle().layers.filter((l) => l.type === 'raster').map((l) => l.source));
  const bmAttrib = await bm.textContent('.maplibregl-ctrl-attrib');
  check(bmStyle.includes('basemap') && tileRequests > 0 && bmAttrib.includes('Test tiles © 测试') && bmAttrib.includes('Vonng/adcode'),
    `basemap on: ?basemap= a tile URL template draws its tiles under the cells (${tileRequests} tile requests) and adds its attribution`);
  await bm.screenshot({ path: join(outDir, 'map-basemap.png') });
  log(`screenshot ${join(outDir, 'map-basemap.png')}`);
  await bm.close();

  // An Amap basemap is GCJ-02: with basemapCrs=GCJ02 its tiles line up with
  // the WGS84 map. This script's GCJ-02 tiles draw a red disc where the
  // server's own conversion puts a platform on an Amap map; the page must
  // show it under the platform's WGS84 position, and without basemapCrs
  // some 600 m off.
  const { platforms: { nodes: all } } = await graphql(`{ platforms(first: 500) {
    nodes { externalId lon lat glon: lon(crs: GCJ02) glat: lat(crs: GCJ02) } } }`);
  const positioned = all.filter((p) => p.lon != null);
  gcjTarget = positioned[0];
  const gcjTemplate = `http://127.0.0.1:${tileServer.address().port}/gcj/{z}/{x}/{y}.png`;
  const amapAt = async (crs) => {
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    watch(page, `basemap ${crs ?? 'with no basemapCrs'}`);
    await page.goto(`${base}/?basemap=${encodeURIComponent(gcjTemplate)}&basemapAttribution=${encodeURIComponent('© 高德地图 (test tiles)')}${crs ? `&basemapCrs=${crs}` : ''}`,
      { waitUntil: 'load', timeout: WAIT });
    await waitReady(page);
    await page.evaluate(([lon, lat]) => {
      for (const l of window.map.getStyle().layers) if (l.id !== 'basemap') window.map.setLayoutProperty(l.id, 'visibility', 'none');
      window.map.jumpTo({ center: [lon, lat], zoom: 14 });
    }, [gcjTarget.lon, gcjTarget.lat]);
    await waitIdle(page);
    return page;
  };
  // redOffset finds the red disc on the map, and says how many pixels it
  // lies from the platform's WGS84 position and from its GCJ-02 one, and
  // the metres of a pixel there.
  const redOffset = (page) => page.evaluate(([lon, lat, glon, glat]) => {
    const src = window.map.getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(src, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0, sx = 0, sy = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] > 200 && px[i + 1] < 60 && px[i + 2] < 60) {
        n++;
        sx += (i / 4) % c.width;
        sy += Math.floor(i / 4 / c.width);
      }
    }
    const ratio = c.width / src.clientWidth;
    const x = sx / n / ratio + 0.5, y = sy / n / ratio + 0.5;
    const off = (p) => Math.hypot(x - p.x, y - p.y);
    const a = window.map.project([lon, lat]), b = window.map.project([glon, glat]);
    const metres = window.map.unproject([a.x, a.y]).distanceTo(window.map.unproject([a.x + 100, a.y])) / 100;
    return { n, fromWGS84: off(a), fromGCJ02: off(b), metres };
  }, [gcjTarget.lon, gcjTarget.lat, gcjTarget.glon, gcjTarget.glat]);
  const gcj = await amapAt('GCJ02');
  const agree = await gcj.evaluate(async (ps) => {
    const { gcj02FromWGS84 } = await import('/static/basemap.js');
    return ps.map((p) => {
      const [x, y] = gcj02FromWGS84(p.lon, p.lat);
      return Math.max(Math.abs(x - p.glon), Math.abs(y - p.glat));
    }).reduce((a, b) => Math.max(a, b), 0);
  }, positioned);
  check(agree < 1e-9, `the page's GCJ-02 offset equals the server's on all ${positioned.length} positioned platforms (largest difference ${agree.toExponential(1)}°)`);
  const aligned = await redOffset(gcj);
  // The screenshot shows the layers again: the mark under the platform's dot.
  await gcj.evaluate(() => {
    for (const l of window.map.getStyle().layers) window.map.setLayoutProperty(l.id, 'visibility', 'visible');
  });
  await waitIdle(gcj);
  await gcj.screenshot({ path: join(outDir, 'map-basemap-gcj02.png') });
  log(`screenshot ${join(outDir, 'map-basemap-gcj02.png')}`);
  await gcj.close();
  const plain = await amapAt(null);
  const unaligned = await redOffset(plain);
  await plain.close();
  check(aligned.n > 50 && aligned.fromWGS84 < 2 && unaligned.n > 50 && unaligned.fromGCJ02 < 2 && unaligned.fromWGS84 * unaligned.metres > 400,
    `basemapCrs=GCJ02: an Amap-style tile's mark for ${gcjTarget.externalId} lies ${aligned.fromWGS84.toFixed(2)} px `
    + `(${(aligned.fromWGS84 * aligned.metres).toFixed(1)} m) from its WGS84 position at zoom 14; without basemapCrs it lies `
    + `${(unaligned.fromWGS84 * unaligned.metres).toFixed(0)} m off, ${unaligned.fromGCJ02.toFixed(2)} px from its GCJ-02 position`);
  const bd = await browser.newPage({ viewport: { width: 800, height: 600 } });
  watch(bd, 'basemap BD09');
  await bd.goto(`${base}/?basemap=${encodeURIComponent(gcjTemplate)}&basemapCrs=BD09`, { waitUntil: 'load', timeout: WAIT });
  await waitReady(bd);
  const bdProblem = await bd.textContent('[data-testid=basemap-problem]');
  const bdRaster = await bd.evaluate(() => window.map.getStyle().layers.filter((l) => l.type === 'raster').length);
  check(bdRaster === 0 && bdProblem.includes('basemapCrs') && await bd.isVisible('[data-testid=basemap-problem]'),
    `basemapCrs=BD09: no basemap, and the page says why ("${bdProblem}")`);
  await bd.close();
  tileServer.close();
  foreign.length = 0; // the basemap's tiles were asked for on purpose
  noProblems('with the basemap');
  await tools.close();

  // ---- phone width ---------------------------------------------------------------
  const phone = await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  watch(phone, 'phone');
  await phone.goto(`${base}/#kinds=WORKSTATION&r=5000`, { waitUntil: 'load', timeout: WAIT });
  await phone.waitForFunction(() => typeof window.map?.loaded === "function", null, { timeout: WAIT });
  const uncoveredPhone = await waitCounts(phone, 'WORKSTATION', 5000);
  await waitIdle(phone);
  const want5 = (await graphql(q, { r: 5000 })).coverage.totals.uncovered;
  check(uncoveredPhone === want5, `phone: the radius from the URL applies (${uncoveredPhone} uncovered, GraphQL ${want5})`);
  const layout = await phone.evaluate(() => {
    const m = document.getElementById('mapview').getBoundingClientRect();
    const p = document.getElementById('panel').getBoundingClientRect();
    return { mapW: m.width, mapH: m.height, panelTop: p.top, mapBottom: m.bottom, scrollW: document.documentElement.scrollWidth };
  });
  check(layout.mapW === 375 && layout.mapH > 300 && layout.panelTop >= layout.mapBottom - 1 && layout.scrollW <= 375,
    `phone: the map fills the width and the panel sits below it (${JSON.stringify(layout)})`);
  await phone.screenshot({ path: join(outDir, 'map-phone.png') });
  await phone.screenshot({ path: join(outDir, 'map-phone-full.png'), fullPage: true });
  log(`screenshots ${join(outDir, 'map-phone.png')}, ${join(outDir, 'map-phone-full.png')}`);
  noProblems('on both pages');

  // ---- GraphiQL runs from the binary, with no network --------------------------
  const ide = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(ide, 'graphiql');
  await ide.goto(`${base}/playground`, { waitUntil: 'load', timeout: WAIT });
  await ide.waitForSelector('.graphiql-execute-button', { timeout: WAIT });
  await ide.click('.graphiql-execute-button');
  await ide.waitForFunction(() => document.querySelector('.result-window')?.textContent.includes('"uncovered"'), null, { timeout: WAIT });
  check(true, 'GraphiQL loads from the server and runs its default query');
  await ide.screenshot({ path: join(outDir, 'graphiql.png') });
  noProblems('in GraphiQL');
} catch (err) {
  failed = true;
  console.log(err.message);
  if (problems.length) console.log(`also seen:\n  ${problems.join('\n  ')}`);
} finally {
  await browser.close();
}
console.log(`map e2e: ${failed ? 'FAILED' : 'passed'} in ${since()}`);
process.exit(failed ? 1 : 0);
