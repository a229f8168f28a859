// The console's shell: client-side routes over the node's real URLs (so a dataset's HTTP
// IRI opens its page), the operator's sign-in (token in session storage, never in a URL),
// and page loading.

import { h, api, token, setToken, fill, notice } from './ui.js';

const ROUTES = [
  [/^\/$/, 'home.js', 'Home'],
  [/^\/(catalogue|catalog)$/, 'catalogue.js', 'Catalogue'],
  [/^\/dataset\/([^/]+)$/, 'dataset.js', 'Dataset'],
  [/^\/members\/([^/]+)\/datasets\/([^/]+)$/, 'dataset.js', 'Dataset'],
  [/^\/query$/, 'query.js', 'Query'],
  [/^\/sensors$/, 'sensors.js', 'Sensors'],
  [/^\/kpis$/, 'kpis.js', 'KPIs'],
  [/^\/access$/, 'operator.js', 'Access'],
  [/^\/audit$/, 'operator.js', 'Audit'],
];

let cleanup = null;

/** Shows a sign-in form in `container`; `done()` runs after a successful sign-in. */
export function signIn(container, done, why = 'This page is for the node\'s operators.') {
  const input = h('input', { id: 'admin-token', type: 'password', autocomplete: 'current-password', required: true, size: 40 });
  const status = h('div');
  const form = h('form', { class: 'card', 'aria-labelledby': 'signin-title', onsubmit: async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    try {
      const session = await api('/api/console/session');
      if (!session.operator) throw new Error('not an operator');
      renderSession(); done();
    } catch (err) {
      setToken(null); renderSession();
      fill(status, notice('error', 'That is not this node\'s admin token.'));
    }
  } },
  h('h2', { id: 'signin-title' }, 'Sign in'),
  h('p', {}, why, ' Sign in with the node\'s admin token (the ', h('code', {}, 'admin.token'), ' file in the node directory). It is kept for this browser tab only.'),
  h('div', { class: 'field' }, h('label', { for: 'admin-token' }, 'Admin token'), input),
  h('button', { type: 'submit' }, 'Sign in'), status);
  fill(container, form);
  return form;
}

function renderSession() {
  const el = document.getElementById('session');
  if (token()) {
    fill(el, h('span', {}, 'Operator'), h('button', { type: 'button', onclick: () => { setToken(null); renderSession(); route(); } }, 'Sign out'));
  } else {
    fill(el, h('button', { type: 'button', onclick: () => {
      const main = document.getElementById('main');
      signIn(main, () => route(), 'Operators see agreements, the audit log, dead letters and restricted data.');
    } }, 'Operator sign-in'));
  }
}

export async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('#nav a')) {
    const href = a.getAttribute('href');
    const current = href === '/' ? path === '/' : path.startsWith(href) || (href === '/catalogue' && /^\/(dataset|members|catalog)/.test(path));
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const found = ROUTES.find(([re]) => re.test(path));
  if (!found) { fill(main, h('h1', {}, 'Not found'), h('p', {}, 'The console has no page here.')); return; }
  const [re, module, title] = found;
  document.title = `${title} · hanse`;
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const page = await import(`./${module}`);
    const result = await page.render(main, path.match(re).slice(1).map(decodeURIComponent), new URLSearchParams(location.search));
    if (typeof result === 'function') cleanup = result;
  } catch (err) {
    fill(main, h('h1', {}, title), notice('error', err.message || String(err)));
  }
}

export function navigate(href) {
  history.pushState(null, '', href);
  route();
  document.getElementById('main').focus();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || a.target) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);
renderSession();
api('/health').then((h) => { document.getElementById('footer').textContent = `hanse ${h.version} · open-data portal and operator console`; }).catch(() => {});
route();
