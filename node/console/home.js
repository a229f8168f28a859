// Home: who this node is, the consortium's members on a map and in a list, KPIs, health.

import { h, api, fill, link, short, number, table, notice, scroller } from './ui.js';
import { drawMap } from './map.js';

export async function render(main) {
  const [o, kpis] = await Promise.all([api('/api/console/overview'), api('/api/console/kpis').catch(() => [])]);
  const tile = (n, l) => h('div', { class: 'tile' }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, l));
  const k = o.kpis;
  const located = o.members.filter((m) => m.location);
  const map = drawMap(located.map((m) => ({ kind: 'point', lon: m.location[0], lat: m.location[1], label: `${m.organisation} (${m.role})`, name: m.name })), {
    label: `Map of ${located.length} of the consortium's ${o.members.length} members`, tileUrl: o.tile_url, names: true,
  });
  const rows = o.members.map((m) => [
    h('span', {}, m.organisation, m.local ? h('span', { class: 'muted' }, ' (this node)') : null),
    m.role,
    h('code', { title: m.peer_id }, short(m.peer_id)),
    m.catalog_version === null ? '–' : `v${m.catalog_version}`,
    h('span', { class: m.verification === 'verified' ? 'ok' : 'bad' }, m.verification === 'verified' ? '✓ verified' : m.verification),
    m.connected ? 'yes' : 'no',
    String(m.datasets),
    m.location ? '' : h('span', { class: 'muted' }, 'no location published'),
  ]);
  const health = Object.entries(o.health).flatMap(([key, v]) => [h('dt', {}, HEALTH[key] || key.replaceAll('_', ' ')), h('dd', {}, healthValue(key, v))]);
  fill(main,
    h('h1', {}, o.organisation),
    h('div', { class: 'grid cols-2' },
      h('section', { class: 'card', 'aria-labelledby': 'who' },
        h('h2', { id: 'who' }, 'This node'),
        h('dl', { class: 'meta' },
          h('dt', {}, 'Name'), h('dd', {}, o.name),
          h('dt', {}, 'Role'), h('dd', {}, o.role),
          h('dt', {}, 'Consortium'), h('dd', {}, o.consortium || 'none (running alone)'),
          h('dt', {}, 'PeerId'), h('dd', {}, h('code', {}, o.peer_id)),
          h('dt', {}, 'did:key'), h('dd', {}, h('code', {}, o.did_key)),
          h('dt', {}, 'Version'), h('dd', {}, o.version))),
      h('section', { class: 'card', 'aria-labelledby': 'health' },
        h('h2', { id: 'health' }, 'Health'), h('dl', { class: 'meta' }, health),
        h('p', {}, 'Harvest this node\'s open catalogue (DCAT-AP 3.0.1) at ', h('a', { href: '/catalog', type: 'text/turtle' }, '/catalog'), ' (Turtle, JSON-LD or RDF/XML by content negotiation).'))),
    h('section', { 'aria-labelledby': 'kpis' },
      h('h2', { id: 'kpis' }, 'Key figures'),
      h('div', { class: 'tiles' },
        tile(number(k.datasets, 0), 'datasets'),
        tile(number(k.observations_today, 0), 'observations today'),
        tile(`${k.sources_healthy} / ${k.sources}`, 'sources healthy'),
        tile(number(k.agreements_active, 0), 'agreements active'),
        tile(number(k.queries_served, 0), 'queries served'))),
    kpis.length ? h('section', { 'aria-labelledby': 'local-kpis' },
      h('h2', { id: 'local-kpis' }, 'Indicators on this node\'s data'),
      table(['Indicator', { label: 'Value', num: true }, 'Unit', 'Target', ''], kpis.map((kpi) => [
        kpi.title, number(kpi.value, 2), kpi.unit,
        kpi.target === null ? '–' : `${kpi.direction} ${number(kpi.target, 2)}`,
        meets(kpi)]), 'Indicators'),
      h('p', {}, link('/kpis', 'Compare across the consortium'))) : null,
    h('section', { 'aria-labelledby': 'members' },
      h('h2', { id: 'members' }, `Members (${o.members.length})`),
      o.members.length ? map : notice('notice', 'This node is not in a consortium.'),
      scroller(table(['Organisation', 'Role', 'PeerId', 'Catalogue', 'Signature', 'Connected', 'Datasets', ''], rows, 'Members'))));
}

const HEALTH = {
  status: 'Status', uptime_secs: 'Up for', peers_connected: 'Members connected', catalog_version: 'Catalogue version',
  catalog_rejections: 'Catalogues refused', dead_letters_waiting: 'Dead letters waiting',
};

function healthValue(key, v) {
  if (v === null || v === undefined) return '–';
  if (key === 'uptime_secs') {
    const s = Number(v);
    return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} days`;
  }
  if (key === 'catalog_version') return `v${v}`;
  if (key === 'status') return h('span', { class: v === 'ok' ? 'ok' : 'bad' }, String(v));
  return String(v);
}

export function meets(kpi) {
  if (kpi.value === null || kpi.value === undefined || kpi.target === null) return '';
  const good = kpi.direction === 'above' ? kpi.value >= kpi.target : kpi.value <= kpi.target;
  return h('span', { class: good ? 'ok' : 'bad' }, good ? 'meets target' : 'misses target');
}
