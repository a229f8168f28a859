// A dataset: metadata, verified signature and version, preview (rows, chart, map), the
// usage policy in plain words with its ODRL one click away, and a request for access.

import { h, api, fill, notice, local, number, when, short, table, purposeSelect, isOperator, link, scroller, prose, DEFAULT_PURPOSE } from './ui.js';
import { drawMap, wktPoint } from './map.js';
import { lineChart } from './chart.js';
import { signIn } from './app.js';

export async function render(main, params) {
  let [peer, id] = params;
  if (params.length === 1) { id = params[0]; peer = (await api('/api/node')).peer_id; }
  // The same purpose as the catalogue it was opened from, so both say the same about it.
  const asked = new URLSearchParams(location.search).get('purpose') || DEFAULT_PURPOSE;
  const d = await api(`/api/console/datasets/${encodeURIComponent(peer)}/${encodeURIComponent(id)}?purpose=${encodeURIComponent(asked)}`);
  const overview = await api('/api/console/overview');
  const meta = [
    ['Publisher', d.publisher_name],
    ['Identifier', d.identifier],
    ['Themes', (d.themes || []).map(local).join(', ') || '–'],
    ['Keywords', (d.keywords || []).join(', ') || '–'],
    ['Licence', d.licence ? h('a', { href: d.licence }, d.licence) : 'none given'],
    ['Access rights', d.access_rights ? local(d.access_rights).toLowerCase() : '–'],
    ['Update frequency', d.update_frequency ? local(d.update_frequency).toLowerCase() : '–'],
    ['Spatial coverage', d.bbox ? `${number(d.bbox.min_lon, 3)}, ${number(d.bbox.min_lat, 3)} – ${number(d.bbox.max_lon, 3)}, ${number(d.bbox.max_lat, 3)}` : (d.places || []).join(', ') || '–'],
    ['Temporal coverage', d.temporal ? `${when(d.temporal[0])} – ${when(d.temporal[1])}` : '–'],
    ['Statistics', `${number(d.triples, 0)} triples, ${(d.classes || []).length} classes, ${(d.properties || []).length} properties`],
    ['Web page', d.landing_page ? h('a', { href: d.landing_page }, d.landing_page) : '–'],
    ['Identifier in the consortium', h('code', {}, d.iri)],
  ];
  const sig = d.signature;
  const quality = d.quality;
  const requestBox = h('div', { id: 'request' });
  const section = (id, title, ...body) => h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
  fill(main,
    h('p', {}, link('/catalogue', '← Catalogue')),
    h('h1', {}, d.title),
    h('p', {}, d.description),
    h('p', {}, h('span', { class: `badge b-${d.usable.state}` }, { now: 'You may use it now', aggregates: 'Aggregates only', agreement: 'After an agreement', no: 'Not available' }[d.usable.state]), ' ', h('span', { class: 'muted' }, prose(d.usable.reason))),
    h('div', { class: 'grid cols-2' },
      section('about', 'About this dataset', h('dl', { class: 'meta' }, meta.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
      h('div', {},
        section('policy', 'Who may use it, and how',
          d.policy ? [
            h('ul', { class: 'policy' }, d.policy.sentences.map((s) => h('li', {}, s))),
            d.policy.has_unknown_terms ? notice('notice', 'Some terms of this policy are unknown to this node; the sentences say what they mean for you: nothing is granted by them.') : null,
            h('details', {}, h('summary', {}, 'Show the ODRL policy'), h('pre', { class: 'odrl', tabindex: 0 }, d.policy.turtle)),
          ] : h('p', {}, 'No usage policy: nothing may be done with this dataset remotely.'),
          d.own ? null : requestBox),
        section('signature', 'Signature',
          sig ? h('dl', { class: 'meta' },
            h('dt', {}, 'Catalogue version'), h('dd', {}, `v${sig.catalog_version}`),
            h('dt', {}, 'Signed by'), h('dd', {}, h('code', { title: sig.publisher }, short(sig.publisher)), ' ', h('code', {}, sig.signer_did_key ? short(sig.signer_did_key) : '')),
            h('dt', {}, 'Signed at'), h('dd', {}, when(sig.signed_at)),
            h('dt', {}, 'Proof'), h('dd', {}, sig.cryptosuite),
            h('dt', {}, 'Verified'), h('dd', {}, h('span', { class: 'ok' }, '✓ '), `by ${sig.verified_by}`)) : h('p', {}, 'Not held.')),
        section('quality', `Metadata quality: ${quality.score} of ${quality.max} (${quality.rating})`,
          h('ul', {}, quality.checks.map((c) => h('li', {}, h('span', { class: c.passed ? 'ok' : 'bad' }, c.passed ? '✓ ' : '✗ '), `${c.dimension}: ${c.indicator} (${c.points})`)))))),
    section('preview', 'Preview', h('div', { id: 'preview-body' }, h('p', { class: 'muted' }, 'Loading a preview…'))));
  if (!d.own) renderRequest(requestBox, d, asked);
  loadPreview(d, overview.tile_url);
}

function renderRequest(box, d, asked) {
  if (d.access_rights && d.access_rights.endsWith('NON_PUBLIC')) return;
  if (!isOperator()) {
    fill(box, h('h3', {}, 'Request access'),
      h('p', {}, 'Agreements are made in this node\'s name: ', h('button', { type: 'button', class: 'secondary', onclick: () => signIn(box, () => renderRequest(box, d, asked), 'Requesting access signs an agreement with this node\'s key.') }, 'sign in as operator'), ' to request one.'));
    return;
  }
  // The purpose the catalogue was filtered by, when the dataset was opened from it.
  const purpose = purposeSelect('request-purpose', asked);
  const result = h('div', { id: 'request-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', id: 'request-access' }, 'Request access');
  fill(box, h('h3', {}, 'Request access'),
    h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault(); button.disabled = true; fill(result, h('p', { class: 'muted' }, 'Negotiating with the provider…'));
      try {
        const a = await api('/api/agreements', { method: 'POST', json: { provider: d.publisher, dataset: d.identifier, purpose: purpose.querySelector('select').value } });
        fill(result, notice('success', h('strong', {}, `Agreement ${a.status}`), ` (id ${a.id}), valid until ${when(a.valid_until)}, for ${local(a.purpose)}. Both sides signed it.`));
      } catch (err) {
        fill(result, notice('error', h('strong', {}, 'The provider refused: '), err.message));
      } finally { button.disabled = false; }
    } }, purpose, h('div', { class: 'field' }, button)), result);
}

async function loadPreview(d, tileUrl) {
  const body = document.getElementById('preview-body');
  let p;
  try { p = await api(`/api/console/datasets/${encodeURIComponent(d.publisher)}/${encodeURIComponent(d.identifier)}/preview`); } catch (err) { fill(body, notice('error', err.message)); return; }
  if (p.refused) { fill(body, notice('notice', p.refused)); return; }
  const parts = [];
  const bindings = (r) => (r && r.results ? r.results.bindings : null);
  const series = bindings(p.series);
  if (series && series.length) {
    // One line per property: the mean over the dataset's sensors at each time.
    const sums = {};
    for (const b of series) {
      const at = ((sums[local(b.property.value)] ||= {})[b.time.value] ||= [0, 0]);
      at[0] += Number(b.value.value); at[1] += 1;
    }
    const byProperty = Object.fromEntries(Object.entries(sums).map(([name, times]) => [name, Object.entries(times).map(([t, [sum, n]]) => [t, sum / n])]));
    parts.push(h('h3', {}, 'Latest observations (mean over its sensors)'), lineChart(Object.entries(byProperty).map(([name, points]) => ({ name, points })), { label: `Latest observations of ${d.title}` }),
      h('p', { class: 'legend' }, Object.keys(byProperty).map((n, i) => h('span', {}, h('span', { class: 'swatch', style: `background:${['#1d4e89', '#c2410c', '#1e6b3a', '#7a1fa2'][i % 4]}` }), n))));
  }
  const points = (bindings(p.points) || []).map((b) => ({ p: wktPoint(b.wkt.value), label: local(b.feature.value) })).filter((x) => x.p);
  if (points.length) parts.push(h('h3', {}, 'Where'), drawMap(points.map((x) => ({ kind: 'point', lon: x.p[0], lat: x.p[1], label: x.label, r: 5 })), { label: `${points.length} locations of ${d.title}`, tileUrl }));
  const rows = bindings(p.rows);
  if (rows && rows.length) {
    parts.push(h('h3', {}, 'First triples'), scroller(table(['Subject', 'Predicate', 'Object'], rows.map((b) => [b.subject.value, local(b.predicate.value), b.object.value]), 'First triples')));
  }
  const errors = Object.entries(p).filter(([, r]) => r && r.error);
  if (errors.length && errors.every(([, r]) => /aggregation-only/.test(r.error))) {
    parts.push(notice('notice', 'This dataset answers aggregate queries only (GROUP BY with aggregates over large enough groups), so there is no row-level preview. Try such a query on the Query page.'));
  } else for (const [name, r] of errors) parts.push(notice('error', `${name}: ${r.error}`));
  fill(body, parts.length ? parts : notice('notice', 'The dataset has no data yet.'));
}
