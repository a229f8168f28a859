// KPIs: saved SPARQL queries with a title, unit and target; each member's value side by
// side ("compare across the consortium"), asked through the node-to-node query protocol.

import { h, api, fill, notice, number, table, short, purposeSelect, isEditor, isResearcher } from './ui.js';
import { barChart } from './chart.js';
import { meets } from './home.js';

export async function render(main) {
  const kpis = await api('/api/console/kpis');
  const purpose = purposeSelect('kpi-purpose', 'https://w3id.org/dpv#PublicBenefit');
  fill(main, h('h1', {}, 'Key performance indicators'),
    h('p', {}, 'Each indicator is a SPARQL query kept as RDF on this node. "Compare" asks every member the same query; each member answers under its own usage policies.'),
    purpose,
    kpis.length ? kpis.map((kpi) => card(kpi, purpose)) : notice('notice', 'This node keeps no KPIs yet.'),
    isEditor() ? addForm() : null);
}

function card(kpi, purpose) {
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', 'data-kpi': kpi.id, onclick: async () => {
    button.disabled = true; fill(out, h('p', { class: 'muted' }, 'Asking every member…'));
    try {
      const values = await api(`/api/console/kpis/${encodeURIComponent(kpi.id)}/compare?purpose=${encodeURIComponent(purpose.querySelector('select').value)}`, { method: 'POST' });
      fill(out,
        barChart(values.filter((v) => v.value !== null).map((v) => ({ label: v.name, value: v.value })), { label: `${kpi.title} per member (${kpi.unit})`, target: kpi.target }),
        table(['Member', { label: `Value (${kpi.unit})`, num: true }, 'Answer', ''], values.map((v) => [v.name, number(v.value, 2), (v.status === 'complete' && v.value === null ? 'no such data' : v.status) + (v.reason ? `: ${v.reason}` : ''), meets({ ...kpi, value: v.value })]), `${kpi.title} per member`));
    } catch (err) { fill(out, notice('error', err.message)); } finally { button.disabled = false; }
  } }, 'Compare across the consortium');
  const compare = isResearcher() ? button
    : h('p', { class: 'muted', 'data-kpi-signin': kpi.id }, 'Comparing asks every member with this node\'s identity and agreements: sign in with a researcher role to compare.');
  return h('section', { class: 'card', 'aria-labelledby': `kpi-${kpi.id}` },
    h('h2', { id: `kpi-${kpi.id}` }, kpi.title),
    h('p', {}, kpi.description),
    h('p', {}, h('strong', {}, `This node: ${number(kpi.value, 2)} ${kpi.unit}`), kpi.target === null ? '' : ` · target: ${kpi.direction} ${number(kpi.target, 2)} `, meets(kpi), kpi.error ? notice('error', kpi.error) : null),
    h('details', {}, h('summary', {}, 'Query'), h('pre', { class: 'odrl', tabindex: 0 }, kpi.query)),
    compare, out);
}

function addForm() {
  const field = (id, label, attrs = {}) => h('div', { class: 'field' }, h('label', { for: id }, label), h(attrs.tag || 'input', { id, ...attrs, tag: null }));
  const result = h('div', { 'aria-live': 'polite' });
  return h('form', { class: 'card', 'aria-labelledby': 'add-kpi', onsubmit: async (e) => {
    e.preventDefault();
    const v = (id) => document.getElementById(id).value;
    try {
      await api('/api/console/kpis', { method: 'POST', json: { id: v('k-id'), title: v('k-title'), unit: v('k-unit'), description: v('k-desc'), target: v('k-target') === '' ? null : Number(v('k-target')), direction: v('k-dir'), query: v('k-query') } });
      location.reload();
    } catch (err) { fill(result, notice('error', err.message)); }
  } }, h('h2', { id: 'add-kpi' }, 'Add an indicator'),
  h('div', { class: 'row' }, field('k-id', 'Id', { required: true, pattern: '[a-z0-9-]+' }), field('k-title', 'Title', { required: true }), field('k-unit', 'Unit', { required: true }), field('k-target', 'Target', { type: 'number', step: 'any' }),
    h('div', { class: 'field' }, h('label', { for: 'k-dir' }, 'Good when'), h('select', { id: 'k-dir' }, h('option', { value: 'below' }, 'below target'), h('option', { value: 'above' }, 'above target')))),
  field('k-desc', 'Description'),
  field('k-query', 'SPARQL query (binds ?value)', { tag: 'textarea', rows: 5, required: true }),
  h('button', { type: 'submit' }, 'Save'), result);
}
