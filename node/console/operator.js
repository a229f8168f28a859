// Operators' pages: agreements on both sides (state, purpose, validity, uses, revoke) and
// the signed audit log with filters and chain verification. Without the token: a sign-in.

import { h, api, fill, notice, local, short, when, table, isOperator, isResearcher, scroller } from './ui.js';
import { signIn } from './app.js';

export async function render(main) {
  const page = location.pathname.startsWith('/audit') ? audit : access;
  const title = page === audit ? 'Audit log' : 'Access and agreements';
  const allowed = page === audit ? isOperator() : isResearcher();
  if (!allowed) {
    fill(main, h('h1', {}, title));
    const box = h('div', {}); main.append(box);
    signIn(box, () => render(main), page === audit ? 'The audit log is for the node\'s operators.' : 'Agreements are for people with a researcher role and the node\'s operators.');
    return;
  }
  await page(main);
}

async function access(main) {
  const agreements = await api('/api/agreements');
  const result = h('div', { 'aria-live': 'polite' });
  const row = (a) => [
    h('code', { title: a.id }, a.id.slice(0, 8)), a.dataset, a.provider_side ? `provider → ${short(a.consumer)}` : `consumer ← ${short(a.provider)}`,
    local(a.purpose), a.status, when(a.valid_until), String(a.uses ?? 0),
    a.provider_side && a.status === 'FINALIZED' ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
      const reason = prompt('Why is it revoked? (sent to the consumer)', 'revoked by the provider');
      if (reason === null) return;
      try { await api(`/api/agreements/${a.id}/revoke`, { method: 'POST', json: { reason } }); access(main); } catch (err) { fill(result, notice('error', err.message)); }
    } }, 'Revoke') : (a.terminated ? `ended: ${a.terminated[1]}` : ''),
  ];
  const cols = ['Id', 'Dataset', 'Side', 'Purpose', 'State', 'Valid until', 'Uses', ''];
  const given = agreements.filter((a) => a.provider_side); const held = agreements.filter((a) => !a.provider_side);
  fill(main, h('h1', {}, 'Access and agreements'), result,
    h('section', { 'aria-labelledby': 'given' }, h('h2', { id: 'given' }, `Granted by this node (${given.length})`), given.length ? scroller(table(cols, given.map(row), 'Agreements granted')) : h('p', {}, 'None.')),
    h('section', { 'aria-labelledby': 'held' }, h('h2', { id: 'held' }, `Held by this node (${held.length})`), held.length ? scroller(table(cols, held.map(row), 'Agreements held')) : h('p', {}, 'None.')));
}

async function audit(main) {
  const entries = await api('/api/audit?limit=1000');
  const filters = { requester: '', dataset: '', decision: '' };
  const body = h('div', {});
  const verifyResult = h('div', { 'aria-live': 'polite', id: 'verify-result' });
  const draw = () => {
    const shown = entries.filter((e) => (!filters.requester || e.requester.includes(filters.requester)) && (!filters.dataset || e.dataset.includes(filters.dataset)) && (!filters.decision || e.decision === filters.decision));
    fill(body, h('p', { role: 'status' }, `${shown.length} of ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`),
      scroller(table(['#', 'Time', 'Requester', 'Dataset', 'Purpose', 'Decision', 'Reason', 'Rows'],
        shown.slice(-500).reverse().map((e) => [String(e.seq), when(e.time), h('code', { title: e.requester }, short(e.requester)), e.dataset, e.purpose ? local(e.purpose) : '–',
          h('span', { class: e.decision === 'allow' ? 'ok' : 'bad' }, e.decision), e.reason, e.rows === null || e.rows === undefined ? '–' : String(e.rows)]), 'Audit entries')));
  };
  const input = (key, label) => h('div', { class: 'field' }, h('label', { for: `audit-${key}` }, label), h('input', { id: `audit-${key}`, type: 'search', oninput: (e) => { filters[key] = e.target.value.trim(); draw(); } }));
  fill(main, h('h1', {}, 'Audit log'),
    h('p', {}, 'Every decision this node took on another member\'s request, hash-chained and signed with the node key.'),
    h('div', { class: 'row' }, input('requester', 'Requester'), input('dataset', 'Dataset'),
      h('div', { class: 'field' }, h('label', { for: 'audit-decision' }, 'Decision'), h('select', { id: 'audit-decision', onchange: (e) => { filters.decision = e.target.value; draw(); } }, h('option', { value: '' }, 'any'), h('option', { value: 'allow' }, 'allow'), h('option', { value: 'deny' }, 'deny'))),
      h('div', { class: 'field' }, h('button', { type: 'button', id: 'verify-chain', onclick: async () => {
        try { const r = await api('/api/audit/verify'); fill(verifyResult, notice('success', `The chain verifies: ${r.entries} ${r.entries === 1 ? 'entry' : 'entries'}, each signed and linked to the one before.`)); } catch (err) { fill(verifyResult, notice('error', `The chain does not verify: ${err.message}`)); }
      } }, 'Verify chain'))),
    verifyResult, body);
  draw();
}
