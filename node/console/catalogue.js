// The catalogue: own and federated datasets with full-text search, facets, an area filter
// on the map, sort, counts, and whether this node may use each dataset.

import { h, api, fill, link, number, notice, local, purposeSelect, prose, DEFAULT_PURPOSE } from './ui.js';
import { drawMap } from './map.js';
import { navigate } from './app.js';

const FACETS = [['theme', 'Theme'], ['publisher', 'Publisher'], ['licence', 'Licence'], ['access', 'Access rights'], ['format', 'Format'], ['keyword', 'Keyword'], ['frequency', 'Update frequency']];
const USE = { now: 'You may use it now', aggregates: 'Aggregates only, under an agreement', agreement: 'After an agreement', no: 'Not available' };

export function datasetHref(d, purpose) { return `/members/${encodeURIComponent(d.publisher)}/datasets/${encodeURIComponent(d.identifier)}${purpose ? `?purpose=${encodeURIComponent(purpose)}` : ''}`; }

export async function render(main, _, params) {
  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) { if (v === null || v === '') next.delete(k); else next.set(k, v); }
    next.delete('page');
    if (changes.page) next.set('page', changes.page);
    navigate(`/catalogue${next.toString() ? `?${next}` : ''}`);
  };
  const query = new URLSearchParams(params);
  if (!query.get('purpose')) query.set('purpose', DEFAULT_PURPOSE);
  const [result, overview] = await Promise.all([api(`/api/console/catalogue?${query}`), api('/api/console/overview')]);
  const q = h('input', { id: 'q', type: 'search', value: params.get('q') || '', placeholder: 'air quality, parking…' });
  const purpose = purposeSelect('purpose', query.get('purpose'));
  purpose.querySelector('select').addEventListener('change', (e) => go({ purpose: e.target.value }));
  const sort = h('select', { id: 'sort', onchange: (e) => go({ sort: e.target.value }) },
    [['relevance', 'Relevance'], ['title', 'Title'], ['publisher', 'Publisher'], ['quality', 'Metadata quality'], ['size', 'Size']].map(([v, l]) => h('option', { value: v, selected: (params.get('sort') || 'relevance') === v }, l)));
  const facets = FACETS.map(([name, title]) => {
    const values = (result.facets[name] || []).slice(0, 12);
    if (!values.length) return null;
    const active = params.get(name);
    return h('div', { class: 'facet' }, h('h3', { id: `f-${name}` }, title),
      h('ul', { 'aria-labelledby': `f-${name}` }, values.map((v) => h('li', {},
        h('button', { type: 'button', 'aria-pressed': String(active === v.value), 'data-facet': name, 'data-value': v.value, onclick: () => go({ [name]: active === v.value ? null : v.value }) },
          `${v.label} (${v.count})`)))));
  });
  const area = params.get('bbox') ? params.get('bbox').split(',').map(Number) : null;
  const boxes = result.results.filter((d) => d.bbox).map((d) => ({ kind: 'box', minLon: d.bbox.min_lon, minLat: d.bbox.min_lat, maxLon: d.bbox.max_lon, maxLat: d.bbox.max_lat, label: d.title }));
  const map = drawMap(boxes, { label: 'Spatial coverage of the results; drag to filter by area', tileUrl: overview.tile_url, onArea: (b) => go({ bbox: b.join(',') }), area });
  const results = result.results.map((d) => h('article', { class: 'result' },
    h('h3', {}, link(datasetHref(d, query.get('purpose')), d.title)),
    h('p', { class: 'muted' }, d.publisher_name, ' · ', (d.themes || []).map(local).join(', ') || 'no theme', ' · ', d.access_rights ? local(d.access_rights).toLowerCase() : '', ' · ', `${number(d.triples, 0)} triples`),
    h('p', {}, d.description),
    h('p', {}, h('span', { class: `badge b-${d.usable.state}`, title: d.usable.reason }, USE[d.usable.state]), ' ', h('span', { class: 'muted' }, prose(d.usable.reason)),
      ' · ', h('span', {}, `Metadata quality ${d.quality.score}/${d.quality.max} (${d.quality.rating})`))));
  const active = [...FACETS.map(([n]) => n), 'q', 'bbox'].filter((n) => params.get(n));
  fill(main,
    h('h1', {}, 'Catalogue'),
    h('p', { class: 'muted' }, 'Datasets of this node and of every member, from their signed catalogues.'),
    h('form', { class: 'row', role: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: q.value.trim() }); } },
      h('div', { class: 'field' }, h('label', { for: 'q' }, 'Search'), q),
      h('div', { class: 'field' }, h('label', { for: 'sort' }, 'Sort by'), sort),
      purpose,
      h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Search'))),
    h('div', { class: 'layout' },
      h('aside', { 'aria-label': 'Filters' }, facets,
        active.length ? h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => navigate('/catalogue') }, 'Clear filters')) : null),
      h('section', { 'aria-label': 'Results' },
        h('p', { id: 'count', role: 'status' }, h('strong', { 'data-total': result.total }, `${result.total} dataset${result.total === 1 ? '' : 's'}`),
          area ? [' in the selected area ', h('button', { type: 'button', class: 'secondary', onclick: () => go({ bbox: null }) }, 'Clear area')] : ''),
        map,
        result.total ? results : notice('notice', 'No dataset matches.'),
        result.total > result.size ? h('p', {}, `Page ${result.page} of ${Math.ceil(result.total / result.size)} `,
          result.page > 1 ? h('button', { type: 'button', class: 'secondary', onclick: () => go({ page: result.page - 1 }) }, 'Previous') : null, ' ',
          result.page * result.size < result.total ? h('button', { type: 'button', class: 'secondary', onclick: () => go({ page: result.page + 1 }) }, 'Next') : null) : null)));
}
