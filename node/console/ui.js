// Small DOM and API helpers shared by every page (no framework: the pages render once per
// navigation and patch a few nodes when live data arrives).

const SVG = 'http://www.w3.org/2000/svg';

/** Creates an element: h('a', {href: '/'}, 'Home'). Attributes starting with `on` are listeners. */
export function h(tag, attrs, ...children) {
  const svg = ['svg', 'g', 'circle', 'rect', 'path', 'line', 'text', 'title', 'polyline', 'image', 'desc'].includes(tag);
  const el = svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// The key predates personal tokens; it holds whichever token the person signed in with.
const TOKEN = 'hanse.adminToken';

/** The token of this browser tab's session (personal, OIDC or admin.token), if signed in. */
export const token = () => sessionStorage.getItem(TOKEN);
export const setToken = (t) => { session = null; return t ? sessionStorage.setItem(TOKEN, t) : sessionStorage.removeItem(TOKEN); };

/** Who the node says the caller is (`/api/console/session`), once loaded. */
let session = null;
export async function loadSession() {
  session = await api('/api/console/session');
  return session;
}
export const currentSession = () => session;
/** Whether the signed-in person is the node's operator (the node decides; the page only asks). */
export const isOperator = () => !!(session && session.operator);
/** Whether the signed-in person may act with the node's agreements. */
export const isResearcher = () => !!(session && session.researcher);
/** Whether the signed-in person may write data (KPIs among it). */
export const isEditor = () => !!(session && session.editor);

/** An API error with the node's message. */
export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** Fetches JSON from the node, with the operator's token when signed in. */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token()) headers.set('Authorization', `Bearer ${token()}`);
  if (options.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    options.body = JSON.stringify(options.json);
  }
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new ApiError(response.status, text || `${response.status} ${response.statusText}`);
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

/** The last segment of an IRI, for labels. */
export function local(iri) {
  if (!iri) return '';
  const m = String(iri).match(/[^/#]+[/#]?$/);
  return m ? m[0].replace(/[/#]$/, '') : iri;
}

/** `12D3KooW…abcd` */
export const short = (peer) => (peer && peer.length > 16 ? `${peer.slice(0, 8)}…${peer.slice(-6)}` : peer || '');

export function number(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString('en-GB', { maximumFractionDigits: digits });
}

export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' }) + ' UTC';
}

/** A message box. */
export const notice = (kind, ...text) => h('div', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, ...text.map((t) => typeof t === 'string' ? prose(t) : t));

/** The node's messages mark commands and names with `backticks`: shown as code, not as backticks. */
export function prose(text) {
  return String(text ?? '').split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

/** Replaces the children of `el`. */
export function fill(el, ...children) { el.replaceChildren(); for (const c of children.flat(Infinity)) if (c) el.append(c); return el; }

/** A link handled by the console's router. */
export const link = (href, ...children) => h('a', { href, 'data-link': true }, ...children);

/** A table from column names and rows of cells (strings or nodes). */
/** A scrolling box around `child`: focusable, so keyboard users can scroll it, and named. */
export function scroller(child) {
  const caption = child.querySelector && child.querySelector('caption');
  return h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption ? caption.textContent : 'Scrolling content' }, child);
}

export function table(columns, rows, caption) {
  return h('table', {},
    caption ? h('caption', { class: 'sr' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label || c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell, i) => h('td', { class: columns[i] && columns[i].num ? 'num' : null }, cell))))));
}

/** The purpose the catalogue, a dataset page and an access request start from (the demo's offers permit it). */
export const DEFAULT_PURPOSE = 'https://w3id.org/dpv#AcademicResearch';

export const PURPOSES = [
  ['https://w3id.org/dpv#ScientificResearch', 'Scientific research'],
  ['https://w3id.org/dpv#AcademicResearch', 'Academic research'],
  ['https://w3id.org/dpv#PublicBenefit', 'Public benefit'],
  ['https://w3id.org/dpv#ResearchAndDevelopment', 'Research and development'],
  ['https://w3id.org/dpv#ServiceProvision', 'Service provision'],
  ['https://w3id.org/dpv#CommercialPurpose', 'Commercial purpose'],
];

/** A labelled select of DPV purposes. */
export function purposeSelect(id, selected) {
  return h('div', { class: 'field' },
    h('label', { for: id }, 'Purpose'),
    h('select', { id }, PURPOSES.map(([v, l]) => h('option', { value: v, selected: v === selected }, l))));
}

/** Reads a Server-Sent Events stream with fetch (so the token travels in a header, never a URL). */
export async function events(path, onEvent, signal) {
  const headers = { Accept: 'text/event-stream' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(path, { headers, signal });
  if (!response.ok || !response.body) throw new ApiError(response.status, await response.text());
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message'; const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  }
}
