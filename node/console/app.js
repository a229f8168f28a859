// The console's shell: client-side routes over the node's real URLs (so a dataset's HTTP
// IRI opens its page), signing in (a personal token, the issuer's sign-in page or the
// operator's admin.token; kept in session storage, never in a URL), and page loading.

import { h, api, token, setToken, loadSession, currentSession, fill, notice } from './ui.js';

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
export function signIn(container, done, why = 'This page needs you to sign in.') {
  const input = h('input', { id: 'admin-token', type: 'password', autocomplete: 'current-password', required: true, size: 40 });
  const status = h('div');
  const issuer = currentSession() && currentSession().oidc_sign_in
    ? h('p', {}, h('a', { class: 'button', href: `/auth/login?back=${encodeURIComponent(location.pathname)}` }, 'Sign in with your organisation'), ' or use a token:')
    : null;
  const form = h('form', { class: 'card', 'aria-labelledby': 'signin-title', onsubmit: async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    try {
      const session = await loadSession();
      if (session.kind === 'visitor' || session.kind === 'source') throw new Error('not a person');
      renderSession(); done();
    } catch (err) {
      setToken(null); await loadSession().catch(() => {}); renderSession();
      fill(status, notice('error', 'This node does not know that token (or it expired).'));
    }
  } },
  h('h2', { id: 'signin-title' }, 'Sign in'),
  h('p', {}, why, ' Use your personal token (from ', h('code', {}, 'hanse user add'), '), or the node\'s ', h('code', {}, 'admin.token'), ' if you operate it. It is kept for this browser tab only.'),
  issuer,
  h('div', { class: 'field' }, h('label', { for: 'admin-token' }, 'Token'), input),
  h('button', { type: 'submit' }, 'Sign in'), status);
  fill(container, form);
  return form;
}

function renderSession() {
  const el = document.getElementById('session');
  const session = currentSession();
  if (token() && session && session.kind !== 'visitor') {
    const who = session.kind === 'operator' ? 'Operator' : session.name;
    const roles = session.roles.length ? ` (${session.roles.join(', ')})` : '';
    fill(el, h('span', {}, who, roles), h('button', { type: 'button', onclick: async () => { setToken(null); await loadSession().catch(() => {}); renderSession(); route(); } }, 'Sign out'));
  } else {
    fill(el, h('button', { type: 'button', onclick: () => {
      const main = document.getElementById('main');
      signIn(main, () => route(), 'Signed-in people see what their roles allow: restricted data, agreements, the audit log.');
    } }, 'Sign in'));
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
// A token the node no longer accepts (expired, revoked) is dropped rather than retried.
loadSession().catch(() => { setToken(null); return loadSession(); }).catch(() => {}).finally(() => { renderSession(); route(); });
api('/health').then((h) => { document.getElementById('footer').textContent = `hanse ${h.version} · open-data portal and operator console`; }).catch(() => {});
