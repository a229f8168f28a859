// Maps without a tile server: GeoJSON-like points and boxes drawn as SVG over a plain
// background in Web Mercator, with optional tiles from the node's configured tile URL.

import { h } from './ui.js';

const W = 800;
const H = 420;

const mx = (lon) => (lon + 180) / 360;
const my = (lat) => {
  const r = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2;
};
const unx = (x) => x * 360 - 180;
const uny = (y) => (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;

/**
 * Draws `features` ({kind: 'point', lon, lat, label, selected, onSelect} or
 * {kind: 'box', minLon, minLat, maxLon, maxLat, label}). `onArea(bbox)` turns on area
 * selection by dragging; `tileUrl` ({z}/{x}/{y}) draws tiles behind.
 */
export function drawMap(features, { label = 'Map', tileUrl = null, onArea = null, area = null, names = false } = {}) {
  const lons = []; const lats = [];
  for (const f of features) {
    if (f.kind === 'point') { lons.push(f.lon); lats.push(f.lat); } else { lons.push(f.minLon, f.maxLon); lats.push(f.minLat, f.maxLat); }
  }
  if (area) { lons.push(area[0], area[2]); lats.push(area[1], area[3]); }
  if (!lons.length) { lons.push(2.5, 7.5); lats.push(49.5, 53.5); }
  let [x0, x1] = [mx(Math.min(...lons)), mx(Math.max(...lons))];
  let [y0, y1] = [my(Math.max(...lats)), my(Math.min(...lats))];
  const minSpan = mx(0.05) - mx(0);
  const padX = Math.max((x1 - x0) * 0.15, minSpan); const padY = Math.max((y1 - y0) * 0.15, minSpan);
  x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
  const s = Math.min(W / (x1 - x0), H / (y1 - y0));
  const ox = (W - (x1 - x0) * s) / 2 - x0 * s;
  const oy = (H - (y1 - y0) * s) / 2 - y0 * s;
  const px = (lon) => mx(lon) * s + ox;
  const py = (lat) => my(lat) * s + oy;
  // Selectable points are buttons: their map is a group, not an image (no nested controls).
  const interactive = features.some((f) => f.onSelect);
  const svg = h('svg', { class: 'map', viewBox: `0 0 ${W} ${H}`, role: interactive ? 'group' : 'img', 'aria-label': label },
    h('title', {}, label), h('rect', { class: 'land', x: 0, y: 0, width: W, height: H }));
  if (tileUrl) {
    const z = Math.max(0, Math.min(18, Math.round(Math.log2(s / 256))));
    const n = 2 ** z; const size = s / n;
    const tx0 = Math.max(0, Math.floor(((0 - ox) / s) * n)); const tx1 = Math.min(n - 1, Math.floor(((W - ox) / s) * n));
    const ty0 = Math.max(0, Math.floor(((0 - oy) / s) * n)); const ty1 = Math.min(n - 1, Math.floor(((H - oy) / s) * n));
    if ((tx1 - tx0 + 1) * (ty1 - ty0 + 1) <= 64) {
      for (let tx = tx0; tx <= tx1; tx++) for (let ty = ty0; ty <= ty1; ty++) {
        svg.append(h('image', { href: tileUrl.replace('{z}', z).replace('{x}', tx).replace('{y}', ty), x: (tx / n) * s + ox, y: (ty / n) * s + oy, width: size + 0.5, height: size + 0.5 }));
      }
    }
  }
  // A graticule gives a sense of place on the plain background.
  const step = niceStep(unx((W - ox) / s) - unx(-ox / s));
  for (let lon = Math.ceil(unx(-ox / s) / step) * step; lon < unx((W - ox) / s); lon += step) {
    svg.append(h('line', { x1: px(lon), x2: px(lon), y1: 0, y2: H, stroke: '#c9d3dd', 'stroke-width': 0.6 }));
    if (px(lon) < W - 44) svg.append(h('text', { x: px(lon) + 3, y: H - 4 }, `${lon.toFixed(step < 1 ? 2 : 0)}°E`));
  }
  for (let lat = Math.ceil(uny((H - oy) / s) / step) * step; lat < uny(-oy / s); lat += step) {
    svg.append(h('line', { x1: 0, x2: W, y1: py(lat), y2: py(lat), stroke: '#c9d3dd', 'stroke-width': 0.6 }));
    if (py(lat) > 14 && py(lat) < H - 20) svg.append(h('text', { x: 3, y: py(lat) - 3 }, `${lat.toFixed(step < 1 ? 2 : 0)}°N`));
  }
  for (const f of features.filter((f) => f.kind === 'box')) {
    svg.append(h('rect', { class: 'box', x: px(f.minLon), y: py(f.maxLat), width: Math.max(6, px(f.maxLon) - px(f.minLon)), height: Math.max(6, py(f.minLat) - py(f.maxLat)) }, h('title', {}, f.label || '')));
  }
  for (const f of features.filter((f) => f.kind === 'point')) {
    const dot = h('circle', { class: `pt${f.selected ? ' sel' : ''}`, cx: px(f.lon), cy: py(f.lat), r: f.r || 7, 'data-label': f.label || '' }, h('title', {}, f.label || ''));
    if (f.onSelect) {
      dot.setAttribute('tabindex', '0'); dot.setAttribute('role', 'button'); dot.setAttribute('aria-label', f.label || 'point');
      dot.addEventListener('click', () => f.onSelect(f));
      dot.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); f.onSelect(f); } });
    }
    svg.append(dot);
    if (names && f.name) svg.append(h('text', { x: px(f.lon) + 10, y: py(f.lat) + 4 }, f.name));
  }
  if (area) {
    svg.append(h('rect', { class: 'sel', x: px(area[0]), y: py(area[3]), width: px(area[2]) - px(area[0]), height: py(area[1]) - py(area[3]) }));
  }
  if (onArea) {
    let start = null; let band = null;
    const at = (e) => { const r = svg.getBoundingClientRect(); return [((e.clientX - r.left) / r.width) * W, ((e.clientY - r.top) / r.height) * H]; };
    svg.addEventListener('pointerdown', (e) => { start = at(e); band = h('rect', { class: 'sel', x: start[0], y: start[1], width: 0, height: 0 }); svg.append(band); svg.setPointerCapture(e.pointerId); });
    svg.addEventListener('pointermove', (e) => {
      if (!start) return; const [x, y] = at(e);
      band.setAttribute('x', Math.min(x, start[0])); band.setAttribute('y', Math.min(y, start[1]));
      band.setAttribute('width', Math.abs(x - start[0])); band.setAttribute('height', Math.abs(y - start[1]));
    });
    svg.addEventListener('pointerup', (e) => {
      if (!start) return; const [x, y] = at(e); const a = start; start = null;
      if (Math.abs(x - a[0]) < 4 || Math.abs(y - a[1]) < 4) { band.remove(); return; }
      const lonOf = (vx) => unx((vx - ox) / s); const latOf = (vy) => uny((vy - oy) / s);
      onArea([lonOf(Math.min(x, a[0])), latOf(Math.max(y, a[1])), lonOf(Math.max(x, a[0])), latOf(Math.min(y, a[1]))].map((v) => Number(v.toFixed(4))));
    });
  }
  return svg;
}

function niceStep(span) {
  for (const step of [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 45]) if (span / step <= 8) return step;
  return 90;
}

/** `POINT(lon lat)` → [lon, lat]. */
export function wktPoint(wkt) {
  const m = /POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)/i.exec(wkt || '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}
