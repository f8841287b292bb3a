// The map page's optional raster basemap, off by default (the page works
// offline). The page's query string names a tile URL template, its
// attribution, and the system its tiles are drawn in:
//
//   /?basemap=https://tile.openstreetmap.org/{z}/{x}/{y}.png&basemapAttribution=© OpenStreetMap contributors
//   /?basemap=https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}&basemapAttribution=© 高德地图&basemapCrs=GCJ02
//
// Everything civicmap draws is WGS84. Amap's tiles are GCJ-02 (国测局坐标),
// 580–640 m off over Sanming: with basemapCrs=GCJ02 each tile the map asks
// for is cut from the Amap tiles at the ground it shows, so the basemap lines
// up with the cells, the dots, the clicks and every coordinate the page
// gives, which all stay WGS84.
import { addProtocol } from './lib/maplibre-gl.mjs';

const SIZE = 256;
const PROTOCOL = 'gcj02';

// basemapOf reads the basemap from the query string: null when none is named
// (or the template is not an http(s) URL with {z}, {x} and {y}); a problem,
// to show, when basemapCrs is not one the page can draw.
export function basemapOf(search = location.search) {
  const p = new URLSearchParams(search);
  const url = p.get('basemap');
  if (!url || !/^https?:\/\//.test(url) || !['{z}', '{x}', '{y}'].every((v) => url.includes(v))) return null;
  const crs = p.get('basemapCrs') ?? 'WGS84';
  if (crs !== 'WGS84' && crs !== 'GCJ02') {
    return { problem: `basemapCrs: want WGS84 or GCJ02, got "${crs}"; Baidu's BD09 tiles are not in Web Mercator, so no basemap is drawn` };
  }
  return { url, attribution: p.get('basemapAttribution') ?? '', crs };
}

// tilesOf returns the tile URLs of the basemap's raster source: its own
// template for WGS84, else tiles of this page's protocol, cut from it.
export function tilesOf(basemap) {
  if (basemap.crs === 'WGS84') return [basemap.url];
  addProtocol(PROTOCOL, (params, abort) => {
    const [z, x, y] = params.url.slice(PROTOCOL.length + 3).split('/').map(Number);
    return gcj02Tile(basemap.url, z, x, y, abort.signal);
  });
  return [`${PROTOCOL}://{z}/{x}/{y}`];
}

// gcj02Tile draws WGS84 tile z/x/y from the GCJ-02 tiles of template: the
// ground at the tile's centre lies where GCJ-02 puts it in Amap's tiles, so
// the tile is the 256-pixel square there, from the up to four tiles it
// crosses. The offset changes by under a metre per kilometre, so one offset
// for the whole tile is off by under 0.1 pixel at its corners, at any zoom.
async function gcj02Tile(template, z, x, y, signal) {
  const n = 2 ** z;
  const [lon, lat] = unproject((x + 0.5) / n, (y + 0.5) / n);
  const [glon, glat] = gcj02FromWGS84(lon, lat);
  const [px, py] = project(lon, lat), [gx, gy] = project(glon, glat);
  const left = x * SIZE + (gx - px) * n * SIZE, top = y * SIZE + (gy - py) * n * SIZE;
  const canvas = new OffscreenCanvas(SIZE, SIZE);
  const ctx = canvas.getContext('2d');
  const parts = [];
  for (let tx = Math.floor(left / SIZE); tx * SIZE < left + SIZE; tx++) {
    for (let ty = Math.floor(top / SIZE); ty * SIZE < top + SIZE; ty++) {
      if (ty < 0 || ty >= n) continue;
      const url = template.replace('{z}', z).replace('{x}', ((tx % n) + n) % n).replace('{y}', ty);
      parts.push(image(url, signal).then((img) => ctx.drawImage(img, tx * SIZE - left, ty * SIZE - top)));
    }
  }
  // A part past the edge of the basemap's coverage may fail; a tile of
  // which none loads is an error, which the map reports.
  const done = await Promise.allSettled(parts);
  if (!done.some((d) => d.status === 'fulfilled')) throw done[0].reason;
  return { data: await createImageBitmap(canvas) };
}

async function image(url, signal) {
  const res = await fetch(url, { signal, mode: 'cors' });
  if (!res.ok) throw new Error(`basemap tile ${url}: ${res.status}`);
  return createImageBitmap(await res.blob());
}

// project and unproject convert between [lon, lat] and Web Mercator's unit
// square: x east from 180°W, y south from 85.05°N, both 0 to 1.
function project(lon, lat) {
  const s = Math.sin((lat * Math.PI) / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

function unproject(x, y) {
  return [x * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI];
}

// gcj02FromWGS84 is the published GCJ-02 offset, the same formula as the
// server's (crs/offset.go); the map test checks the two agree on every
// platform. Outside the formula's box around China there is no offset.
export function gcj02FromWGS84(lon, lat) {
  if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lon, lat];
  const a = 6378245.0, e2 = 0.00669342162296594323;
  const x = lon - 105, y = lat - 35;
  const waves = ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  let dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + waves
    + ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
    + ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  let dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + waves
    + ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
    + ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  const radLat = (lat * Math.PI) / 180;
  const s = Math.sin(radLat);
  const m = 1 - e2 * s * s;
  const sm = Math.sqrt(m);
  dLat = (dLat * 180) / (((a * (1 - e2)) / (m * sm)) * Math.PI);
  dLon = (dLon * 180) / ((a / sm) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}
