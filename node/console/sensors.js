// Sensors: a map of the node's sensors with their latest values, a live chart per sensor
// and property (server-sent events from the ingest writer), per-source ingest status, and
// for operators the dead letters with their reasons and a replay button.

import { h, api, fill, notice, local, number, when, table, isOperator, events, scroller } from './ui.js';
import { drawMap } from './map.js';
import { lineChart } from './chart.js';

export async function render(main) {
  const [overview, sensors, status] = await Promise.all([api('/api/console/overview'), api('/api/console/sensors'), api('/api/ingest/status')]);
  let selected = sensors[0] ? { entity: sensors[0].entity, property: Object.keys(sensors[0].values)[0] } : null;
  let series = [];
  const mapBox = h('div', {}); const chartBox = h('div', { id: 'live-chart' }); const liveStatus = h('p', { class: 'muted', id: 'live-status', role: 'status' }, 'Connecting to the live stream…');
  const picker = h('select', { id: 'sensor-pick' });
  const drawMapNow = () => fill(mapBox, drawMap(sensors.map((s) => ({
    kind: 'point', lon: s.lon, lat: s.lat, selected: selected && s.entity === selected.entity,
    label: `${s.label || local(s.entity)}: ${Object.entries(s.values).map(([p, v]) => `${local(p)} ${number(v, 2)}`).join(', ')}`,
    onSelect: () => choose(s.entity, Object.keys(s.values)[0]),
  })), { label: `Map of ${sensors.length} sensors with their latest values`, tileUrl: overview.tile_url }));
  const drawChart = () => {
    if (!selected) return fill(chartBox, notice('notice', 'No sensor with readings yet.'));
    const s = sensors.find((x) => x.entity === selected.entity);
    fill(chartBox, h('h3', {}, `${s ? s.label || local(s.entity) : local(selected.entity)} · ${local(selected.property)}`),
      series.length ? lineChart([{ name: local(selected.property), points: series.map((p) => [p.time, p.value]) }], { label: `Live ${local(selected.property)} of ${s ? s.label || local(s.entity) : ''}` }) : h('p', { class: 'muted' }, 'No readings yet.'));
  };
  async function choose(entity, property) {
    selected = { entity, property };
    picker.value = `${entity} ${property}`;
    series = await api(`/api/console/sensors/series?entity=${encodeURIComponent(entity)}&property=${encodeURIComponent(property)}`);
    drawMapNow(); drawChart();
  }
  for (const s of sensors) for (const p of Object.keys(s.values)) picker.append(h('option', { value: `${s.entity} ${p}` }, `${s.label || local(s.entity)} · ${local(p)}`));
  picker.addEventListener('change', () => { const [e, p] = picker.value.split(' '); choose(e, p); });
  const latest = table(['Sensor', 'Values', 'Observed'], sensors.map((s) => [s.label || local(s.entity), Object.entries(s.values).map(([p, v]) => `${local(p)} ${number(v, 2)}`).join(', '), when(s.observed)]), 'Latest values');
  const sources = table(['Source', 'Format', 'Transport', 'Connected', { label: 'Stored', num: true }, { label: 'Dead letters', num: true }, 'Last stored', 'Last error'],
    status.map((s) => [s.source, s.format, s.transports.join(', '), s.mqtt_connected === null ? '–' : s.mqtt_connected ? h('span', { class: 'ok' }, 'yes') : h('span', { class: 'bad' }, 'no'),
      number(s.messages_stored, 0), number(s.dead_letters_waiting, 0), when(s.last_stored_at), s.last_error ? `${s.last_error.reason}` : '–']), 'Ingest sources');
  const letters = h('div', { id: 'dead-letters' });
  fill(main, h('h1', {}, 'Sensors'),
    sensors.length ? null : notice('notice', 'No live sensor is visible to you on this node.'),
    h('div', { class: 'grid cols-2' },
      h('section', { 'aria-labelledby': 'map-title' }, h('h2', { id: 'map-title' }, 'Where'), mapBox),
      h('section', { 'aria-labelledby': 'chart-title' }, h('h2', { id: 'chart-title' }, 'Live readings'),
        h('div', { class: 'field' }, h('label', { for: 'sensor-pick' }, 'Sensor and property'), picker), chartBox, liveStatus)),
    h('section', { 'aria-labelledby': 'latest-title' }, h('h2', { id: 'latest-title' }, 'Latest values'), scroller(latest)),
    h('section', { 'aria-labelledby': 'sources-title' }, h('h2', { id: 'sources-title' }, 'Ingest sources'), scroller(sources)),
    h('section', { 'aria-labelledby': 'letters-title' }, h('h2', { id: 'letters-title' }, 'Dead letters'), letters));
  drawMapNow();
  if (selected) await choose(selected.entity, selected.property); else drawChart();
  renderLetters(letters);
  const abort = new AbortController();
  let received = 0;
  events('/api/console/live', (event, data) => {
    if (event !== 'readings') return;
    for (const r of JSON.parse(data)) {
      const s = sensors.find((x) => x.entity === r.entity);
      if (s && r.value !== null) { s.values[r.property] = r.value; s.observed = r.time; }
      if (selected && r.entity === selected.entity && r.property === selected.property && r.value !== null) {
        series.push({ time: r.time, value: r.value }); if (series.length > 500) series.shift(); received++;
        drawChart();
      }
    }
    fill(liveStatus, `Live: ${received} new reading${received === 1 ? '' : 's'} for this chart since the page opened.`);
  }, abort.signal).then(() => fill(liveStatus, 'The live stream ended; reload to reconnect.')).catch((err) => { if (err.name !== 'AbortError') fill(liveStatus, `Live stream: ${err.message}`); });
  fill(liveStatus, 'Live: waiting for the next reading…');
  return () => abort.abort();
}

async function renderLetters(box) {
  if (!isOperator()) { fill(box, h('p', {}, 'Operators see refused messages and their reasons here, and can replay them.')); return; }
  const letters = await api('/api/ingest/dead-letters?limit=100');
  const result = h('div', { 'aria-live': 'polite' });
  fill(box,
    letters.length ? scroller(table(['Id', 'Source', 'Received', 'Reason', 'Topic'], letters.map((l) => [String(l.id), l.source, when(l.received_at), l.reason, l.topic]), 'Dead letters')) : h('p', {}, 'No dead letters.'),
    h('p', {}, h('button', { type: 'button', disabled: !letters.length, onclick: async () => {
      try { const r = await api('/api/ingest/dead-letters/replay', { method: 'POST' }); fill(result, notice('success', `Replayed: ${JSON.stringify(r)}`)); renderLetters(box); } catch (err) { fill(result, notice('error', err.message)); }
    } }, 'Replay all with the current mappings')), result);
}
