// Query: a SPARQL editor, on this node, the whole consortium (federated) or one member;
// results as a table, line or bar chart, or a map; CSV/JSON download; a shareable link;
// and, for federated queries, the plan: who was asked, requests, rows, what was skipped.

import { h, api, fill, notice, token, isResearcher, local, number, table, purposeSelect, short, scroller, prose } from './ui.js';
import { sparqlEditor } from './editor.js';
import { lineChart, barChart } from './chart.js';
import { drawMap, wktPoint } from './map.js';

const EXAMPLE = `PREFIX sosa: <http://www.w3.org/ns/sosa/>
SELECT ?property (COUNT(?o) AS ?observations) (ROUND(AVG(?v) * 10) / 10 AS ?mean)
WHERE { ?o sosa:observedProperty ?property ; sosa:hasSimpleResult ?v }
GROUP BY ?property ORDER BY ?property`;

export async function render(main, _, params) {
  const overview = await api('/api/console/overview');
  const editor = sparqlEditor(params.get('query') || EXAMPLE);
  const mode = h('select', { id: 'mode' },
    h('option', { value: 'local' }, 'This node'),
    h('option', { value: 'federated', selected: params.get('mode') === 'federated' }, 'Federated: the whole consortium'),
    overview.members.filter((m) => !m.local).map((m) => h('option', { value: m.peer_id, selected: params.get('mode') === m.peer_id }, `One member: ${m.organisation}`)));
  const purpose = purposeSelect('query-purpose', params.get('purpose') || 'https://w3id.org/dpv#ScientificResearch');
  const output = h('div', { id: 'results', 'aria-live': 'polite' });
  const run = h('button', { type: 'submit', id: 'run' }, 'Run query');
  const share = h('button', { type: 'button', class: 'secondary', onclick: async () => {
    const url = new URL('/query', location.origin);
    url.searchParams.set('query', editor.value); url.searchParams.set('mode', mode.value); url.searchParams.set('purpose', purpose.querySelector('select').value);
    history.replaceState(null, '', url.pathname + url.search);
    try { await navigator.clipboard.writeText(url.toString()); share.textContent = 'Link copied'; } catch { share.textContent = 'Link in the address bar'; }
  } }, 'Share link');
  fill(main, h('h1', {}, 'Query'),
    h('form', { class: 'card', onsubmit: async (e) => { e.preventDefault(); run.disabled = true; try { await execute(editor.value, mode.value, purpose.querySelector('select').value, output, overview); } finally { run.disabled = false; } } },
      editor,
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'mode' }, 'Ask'), mode), purpose, h('div', { class: 'field' }, run), h('div', { class: 'field' }, share))),
    output);
  if (params.get('query') && params.get('run') !== 'no') execute(editor.value, mode.value, purpose.querySelector('select').value, output, overview);
}

async function execute(query, mode, purpose, output, overview) {
  fill(output, h('p', { class: 'muted' }, 'Running…'));
  const started = performance.now();
  let results; let plan = null;
  try {
    if (mode === 'local' || mode === 'federated') {
      const url = mode === 'federated' ? `/sparql?federated=true&purpose=${encodeURIComponent(purpose)}` : '/sparql';
      const headers = { 'Content-Type': 'application/sparql-query', Accept: 'application/sparql-results+json' };
      if (token()) headers.Authorization = `Bearer ${token()}`;
      const response = await fetch(url, { method: 'POST', headers, body: query });
      const text = await response.text();
      if (!response.ok) throw new Error(text.trim());
      results = JSON.parse(text);
      plan = results.federation || null;
    } else {
      if (!isResearcher()) throw new Error('Asking one member acts with this node\'s identity and agreements: sign in with a researcher role first.');
      const answer = await api('/api/remote/sparql', { method: 'POST', json: { provider: mode, query, purpose } });
      if (answer.status === 'denied') throw new Error(`The member refused: ${answer.reason}`);
      results = answer.results;
      const member = overview.members.find((m) => m.peer_id === mode);
      plan = { status: answer.status, mode: 'one member', sources: [{ member: mode, name: member ? member.organisation : mode, status: answer.status, requests: 1, rows: answer.rows }], skipped: [] };
    }
  } catch (err) { fill(output, notice('error', err.message)); return; }
  const vars = results.head ? results.head.vars : [];
  const rows = results.results ? results.results.bindings : [];
  const took = performance.now() - started;
  fill(output,
    plan ? planView(plan) : null,
    h('section', { class: 'card', 'aria-labelledby': 'results-title' },
      h('h2', { id: 'results-title' }, `${rows.length} result${rows.length === 1 ? '' : 's'}`, h('span', { class: 'muted' }, ` in ${number(took, 0)} ms`)),
      views(vars, rows),
      h('p', { class: 'row' },
        h('button', { type: 'button', class: 'secondary', onclick: () => download('results.csv', 'text/csv', toCsv(vars, rows)) }, 'Download CSV'),
        h('button', { type: 'button', class: 'secondary', onclick: () => download('results.json', 'application/sparql-results+json', JSON.stringify({ head: { vars }, results: { bindings: rows } }, null, 2)) }, 'Download JSON'))));
}

function planView(plan) {
  return h('section', { class: 'card', id: 'plan', 'aria-labelledby': 'plan-title' },
    h('h2', { id: 'plan-title' }, `Federated plan: ${plan.status}`),
    table(['Member', 'Status', { label: 'Requests', num: true }, { label: 'Rows', num: true }, { label: 'Time (ms)', num: true }],
      (plan.sources || []).map((s) => [s.name || short(s.member), s.status + (s.reason ? `: ${s.reason}` : ''), String(s.requests ?? ''), String(s.rows ?? ''), s.millis === undefined ? '' : String(s.millis)]), 'Members asked'),
    (plan.skipped || []).length ? [h('h3', {}, 'Not asked'), h('ul', {}, plan.skipped.map((s) => h('li', {}, `${s.name} · ${s.dataset}: `, prose(s.reason))))] : null);
}

function cell(b) { return b ? (b.type === 'uri' ? b.value : b.value) : ''; }
const numeric = (rows, v) => rows.length > 0 && rows.every((r) => r[v] && r[v].type === 'literal' && r[v].value !== '' && !Number.isNaN(Number(r[v].value)));

function views(vars, rows) {
  const numbers = vars.filter((v) => numeric(rows, v));
  const labels = vars.filter((v) => !numbers.includes(v));
  const wkt = vars.find((v) => rows.some((r) => r[v] && wktPoint(r[v].value)));
  const lat = vars.find((v) => /^lat/i.test(v)); const lon = vars.find((v) => /^(lon|lng|long)/i.test(v));
  const body = h('div', {});
  const tabs = [['Table', () => scroller(table(vars, rows.map((r) => vars.map((v) => (r[v] && r[v].type === 'uri' ? h('span', { title: r[v].value }, local(r[v].value)) : cell(r[v])))), 'Results'))]];
  if (numbers.length && rows.length) {
    const x = labels[0] || null; const y = numbers[x ? 0 : 1] || numbers[0];
    tabs.push(['Bar chart', () => barChart(rows.slice(0, 40).map((r, i) => ({ label: x ? local(cell(r[x])) : String(i + 1), value: Number(cell(r[y])) })), { label: `${y} by ${x || 'row'}` })]);
    const xs = x && rows.every((r) => r[x] && !Number.isNaN(Date.parse(r[x].value))) ? x : (numbers.length > 1 ? numbers[0] : null);
    tabs.push(['Line chart', () => lineChart([{ name: y, points: rows.map((r, i) => [xs ? (numbers.includes(xs) ? Number(cell(r[xs])) : cell(r[xs])) : i, Number(cell(r[y]))]) }], { label: `${y} over ${xs || 'rows'}` })]);
  }
  if (wkt || (lat && lon)) {
    tabs.push(['Map', () => drawMap(rows.map((r) => {
      const p = wkt ? wktPoint(r[wkt] && r[wkt].value) : [Number(cell(r[lon])), Number(cell(r[lat]))];
      return p ? { kind: 'point', lon: p[0], lat: p[1], label: vars.map((v) => local(cell(r[v]))).join(' · '), r: 5 } : null;
    }).filter(Boolean), { label: 'Results on a map' })]);
  }
  const buttons = tabs.map(([name, view], i) => h('button', { type: 'button', role: 'tab', 'aria-selected': String(i === 0), onclick: (e) => {
    for (const b of e.target.parentNode.children) b.setAttribute('aria-selected', String(b === e.target));
    fill(body, view());
  } }, name));
  fill(body, tabs[0][1]());
  return [h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Result views' }, buttons), body];
}

function toCsv(vars, rows) {
  const q = (s) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return [vars.join(','), ...rows.map((r) => vars.map((v) => q(cell(r[v]))).join(','))].join('\r\n') + '\r\n';
}

function download(name, type, text) {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a); a.click(); a.remove();
}
