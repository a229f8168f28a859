// Line and bar charts as SVG, with text alternatives for screen readers.

import { h, number } from './ui.js';

const W = 720; const H = 300; const L = 56; const R = 16; const T = 16; const B = 42;
export const COLOURS = ['#1d4e89', '#c2410c', '#1e6b3a', '#7a1fa2', '#8a5300', '#0b6e77', '#a12622', '#4d5a6a'];

function axes(svg, min, max) {
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = min + ((max - min) * i) / ticks; const y = T + (H - T - B) * (1 - i / ticks);
    svg.append(h('line', { class: 'grid', x1: L, x2: W - R, y1: y, y2: y }));
    svg.append(h('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, number(v, 2)));
  }
  svg.append(h('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  svg.append(h('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
}

function range(values) {
  let min = Math.min(...values); let max = Math.max(...values);
  if (!Number.isFinite(min)) { min = 0; max = 1; }
  if (min > 0 && min < max * 0.5) min = 0;
  if (min === max) { min -= 1; max += 1; }
  return [min, max];
}

/**
 * A line chart of `series` ([{name, points: [[x (number or ISO time), y], …]}]).
 * Returns the SVG; its `data-points` attribute counts the points drawn.
 */
export function lineChart(series, { label = 'Line chart' } = {}) {
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => toX(x)); const ys = all.map(([, y]) => y);
  const [ymin, ymax] = range(ys);
  const xmin = Math.min(...xs); const xmax = Math.max(...xs) === xmin ? xmin + 1 : Math.max(...xs);
  const sx = (x) => L + ((toX(x) - xmin) / (xmax - xmin)) * (W - L - R);
  const sy = (y) => T + (1 - (y - ymin) / (ymax - ymin)) * (H - T - B);
  const svg = h('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${label}: ${all.length} points`, 'data-points': all.length },
    h('title', {}, label));
  axes(svg, ymin, ymax);
  const isTime = all.length && typeof all[0][0] === 'string';
  for (const [x, anchor] of [[xmin, 'start'], [(xmin + xmax) / 2, 'middle'], [xmax, 'end']]) {
    const text = isTime ? new Date(x).toISOString().slice(5, 16).replace('T', ' ') : number(x, 2);
    svg.append(h('text', { x: L + ((x - xmin) / (xmax - xmin)) * (W - L - R), y: H - B + 16, 'text-anchor': anchor }, text));
  }
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => toX(a[0]) - toX(b[0]));
    // A gap far wider than the usual step (a sensor that was silent) is left open, not bridged.
    const steps = pts.slice(1).map((p, j) => toX(p[0]) - toX(pts[j][0])).sort((a, b) => a - b);
    const usual = steps.length ? steps[Math.floor(steps.length / 2)] : 0;
    let run = [];
    const flush = () => {
      if (run.length > 1) svg.append(h('polyline', { class: 'line', stroke: COLOURS[i % COLOURS.length], points: run.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ') }));
      else if (run.length === 1 && pts.length > 60) svg.append(h('circle', { cx: sx(run[0][0]), cy: sy(run[0][1]), r: 2.5, fill: COLOURS[i % COLOURS.length] }));
      run = [];
    };
    pts.forEach((p, j) => { if (j && usual > 0 && toX(p[0]) - toX(pts[j - 1][0]) > usual * 10) flush(); run.push(p); });
    flush();
    for (const [x, y] of pts.length <= 60 ? pts : []) svg.append(h('circle', { cx: sx(x), cy: sy(y), r: 2.5, fill: COLOURS[i % COLOURS.length] }));
  });
  return svg;
}

function toX(x) { return typeof x === 'string' ? Date.parse(x) : Number(x); }

/** A bar chart of [{label, value}]; an optional `target` draws a dashed line. */
export function barChart(bars, { label = 'Bar chart', target = null } = {}) {
  const values = bars.map((b) => b.value).filter((v) => Number.isFinite(v));
  const [ymin0, ymax0] = range(target === null ? values : [...values, target]);
  const ymin = Math.min(0, ymin0); const ymax = ymax0;
  const sy = (y) => T + (1 - (y - ymin) / (ymax - ymin)) * (H - T - B);
  const svg = h('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${label}: ${bars.map((b) => `${b.label} ${number(b.value, 2)}`).join(', ')}`, 'data-bars': bars.length },
    h('title', {}, label));
  axes(svg, ymin, ymax);
  const slot = (W - L - R) / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const x = L + i * slot + slot * 0.15; const w = slot * 0.7;
    if (Number.isFinite(b.value)) {
      svg.append(h('rect', { x, y: sy(Math.max(0, b.value)), width: w, height: Math.abs(sy(b.value) - sy(0)), fill: COLOURS[i % COLOURS.length] }, h('title', {}, `${b.label}: ${number(b.value, 2)}`)));
    }
    const fit = Math.max(6, Math.floor(slot / 7));
    svg.append(h('text', { x: x + w / 2, y: H - B + 16, 'text-anchor': 'middle' }, b.label.length > fit ? `${b.label.slice(0, fit - 1)}…` : b.label));
  });
  if (target !== null) svg.append(h('line', { x1: L, x2: W - R, y1: sy(target), y2: sy(target), stroke: '#a12622', 'stroke-dasharray': '6 4', 'stroke-width': 1.5 }));
  return svg;
}
