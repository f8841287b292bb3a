// map.mjs drives the map page in headless Debian chromium as a person would,
// and checks it against the GraphQL API.
//
//   node web/e2e/map.mjs http://127.0.0.1:8080 testdata/artefacts
//
// It writes map.png, map-gap.png and map-platform.png (1280×800: the start,
// after clicking the first gap, after clicking a platform) and map-phone.png
// and map-phone-full.png (375×812), and graphiql.png into the directory,
// prints one line per check and timings, and exits 1 on the first failure.
// cmd/civicmap/map_test.go runs it against a test server.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

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
}

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
