// Browser tests of the web console: Debian's chromium driven by playwright-core, axe-core
// for accessibility (the test contexts bypass the console's CSP only to inject axe). Run by
// `cargo test` (tests/tests/e2e/console.rs) against an in-process demo consortium;
// configuration comes from the environment:
//   HANSE_CITY (a city's URL), HANSE_RESEARCH (the university's URL), HANSE_TOKEN (the
//   university's admin token), HANSE_RESEARCHER_TOKEN (the personal token of its researcher
//   alice), HANSE_CITY_TOKEN (the city's admin token), HANSE_UTILITY_PEER (the utility's PeerId), HANSE_MEMBERS
//   (organisations, `|`-separated), HANSE_TRANSPORT (expected count of TRAN datasets),
//   HANSE_SCREENSHOTS (a folder to write page screenshots to, optional).
// Prints one line per check and a closing "N passed, M failed"; exits non-zero on failure.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const env = (name) => { const v = process.env[name]; if (!v) throw new Error(`${name} is not set`); return v; };
const CITY = env('HANSE_CITY'); const RESEARCH = env('HANSE_RESEARCH'); const TOKEN = env('HANSE_TOKEN');
const RESEARCHER = env('HANSE_RESEARCHER_TOKEN'); const CITY_TOKEN = env('HANSE_CITY_TOKEN');
const UTILITY = env('HANSE_UTILITY_PEER'); const MEMBERS = env('HANSE_MEMBERS').split('|');
const TRANSPORT = Number(env('HANSE_TRANSPORT')); const SHOTS = process.env.HANSE_SCREENSHOTS;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const T = 30_000;

let passed = 0; let failed = 0;
const results = [];
function check(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  results.push(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  console.log(results.at(-1));
}

const browser = await chromium.launch({ executablePath: process.env.HANSE_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
const errors = [];

async function open(context, url, name) {
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => !document.querySelector('main p.muted') || document.querySelector('main h1'), null, { timeout: T });
  return page;
}

async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const r = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })));
  const serious = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(`axe: ${name} has no serious or critical violations`, serious.length === 0, serious.map((v) => `${v.id} (${v.impact}, ${v.nodes}×): ${v.help}`).join('; ') || `${r.length} minor`);
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

try {
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });

  // Home: every member, and the first page's weight and time to first render.
  const home = await open(visitor, `${CITY}/`, 'home');
  await home.waitForSelector('table tbody tr');
  const text = await home.textContent('main');
  const missing = MEMBERS.filter((m) => !text.includes(m));
  check('home shows every member', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : `${MEMBERS.length} members`);
  const dots = await home.locator('svg.map circle.pt').count();
  check('home map shows members with a location', dots >= 3, `${dots} markers`);
  const perf = await home.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    return { transfer: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0), decoded: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0), fcp: paint ? paint.startTime : null, load: nav.loadEventEnd };
  });
  check('first page transfers under 400 KB', perf.transfer < 400 * 1024, `${(perf.transfer / 1024).toFixed(1)} KB transferred (${(perf.decoded / 1024).toFixed(1)} KB decoded), first contentful paint ${perf.fcp?.toFixed(0)} ms, load ${perf.load.toFixed(0)} ms`);
  await axe(home, 'home'); await shot(home, 'home');

  // Catalogue: a facet narrows the federated catalogue to the right count.
  const cat = await open(visitor, `${CITY}/catalogue`, 'catalogue');
  await cat.waitForSelector('[data-total]');
  const before = Number(await cat.getAttribute('[data-total]', 'data-total'));
  await cat.click('button[data-facet="theme"][data-value="TRAN"]');
  await cat.waitForFunction((n) => Number(document.querySelector('[data-total]')?.dataset.total) === n, TRANSPORT);
  const after = Number(await cat.getAttribute('[data-total]', 'data-total'));
  const shown = await cat.locator('article.result').count();
  check('the theme facet narrows the catalogue to the right count', after === TRANSPORT && after < before && shown === Math.min(after, 20), `${before} → ${after} (expected ${TRANSPORT}), ${shown} listed`);
  await axe(cat, 'catalogue'); await shot(cat, 'catalogue');

  // A public dataset through its HTTP(S) IRI: the browser gets the page, with a preview.
  const pub = await open(visitor, `${CITY}/dataset/air-quality`, 'dataset (public)');
  await pub.waitForSelector('#preview-body svg.chart, #preview-body .error, #preview-body .notice');
  const previewRows = await pub.locator('#preview-body table tbody tr').count();
  const previewPoints = Number(await pub.getAttribute('#preview-body svg.chart', 'data-points').catch(() => 0));
  const previewMarkers = await pub.locator('#preview-body svg.map circle.pt').count();
  check('a public dataset\'s HTTP(S) IRI opens its page with a preview', previewRows > 0 && previewPoints > 0 && previewMarkers > 0, `${previewRows} triples, chart of ${previewPoints} points, ${previewMarkers} map markers`);
  await axe(pub, 'dataset (public)'); await shot(pub, 'dataset-public');

  // A restricted dataset: the policy in plain words, then an access request.
  const seen = await open(visitor, `${RESEARCH}/members/${UTILITY}/datasets/consumption`, 'dataset (visitor)');
  await seen.waitForSelector('ul.policy li');
  const policy = await seen.textContent('ul.policy');
  check('the restricted dataset states its policy in plain words', /research role/.test(policy) && /31 December 2027/.test(policy) && /groups of at least 10/.test(policy), policy.slice(0, 160));
  await axe(seen, 'dataset (visitor)');
  // The operator's tabs start signed in (the console keeps the token per tab).
  const operator = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await operator.addInitScript((t) => sessionStorage.setItem('hanse.adminToken', t), TOKEN);
  const ds = await open(operator, `${RESEARCH}/members/${UTILITY}/datasets/consumption`, 'dataset');
  await ds.waitForSelector('#request-access');
  await ds.click('#request-access');
  await ds.waitForSelector('#request-result .success, #request-result .error');
  const answer = await ds.textContent('#request-result');
  check('an access request returns an agreement', /Agreement FINALIZED/.test(answer), answer.trim().slice(0, 160));
  await ds.waitForSelector('#preview-body table, #preview-body .notice, #preview-body .error');
  await axe(ds, 'dataset (operator, after a request)'); await shot(ds, 'dataset');

  // Query: a table and a chart; a federated query shows its plan.
  const local = await open(visitor, `${CITY}/query`, 'query (city)');
  await local.click('#run');
  await local.waitForSelector('#results table tbody tr');
  const rows = await local.locator('#results table tbody tr').count();
  await local.click('button[role=tab]:has-text("Bar chart")');
  const bars = await local.locator('#results svg.chart rect').count();
  check('a SPARQL query renders a table and a chart', rows > 0 && bars > 0, `${rows} rows, ${bars} bars`);
  await axe(local, 'query');
  const q = await open(operator, `${RESEARCH}/query`, 'query');
  /* the university asks the consortium */
  await q.selectOption('#mode', 'federated');
  await q.click('#run');
  await q.waitForSelector('#plan table tbody tr');
  const planRows = await q.locator('#plan table tbody tr').count();
  const planText = await q.textContent('#plan');
  check('a federated query shows its plan', planRows >= 3 && /complete|partial/.test(planText), `${planRows} members asked; ${/Not asked/.test(planText) ? 'skipped datasets listed' : 'nothing skipped'}`);
  await axe(q, 'query (federated plan)'); await shot(q, 'query');

  // Sensors: markers, and a chart that gains a point while ingest runs.
  const s = await open(visitor, `${CITY}/sensors`, 'sensors');
  await s.waitForSelector('#live-chart svg.chart');
  const markers = await s.locator('svg.map circle.pt').count();
  const first = Number(await s.getAttribute('#live-chart svg.chart', 'data-points'));
  await s.waitForFunction((n) => Number(document.querySelector('#live-chart svg.chart')?.dataset.points) > n, first, { timeout: 45_000 });
  const then = Number(await s.getAttribute('#live-chart svg.chart', 'data-points'));
  check('the sensor map shows markers and the chart gains a point while ingest runs', markers > 0 && then > first, `${markers} markers, chart ${first} → ${then} points`);
  await axe(s, 'sensors'); await shot(s, 'sensors');

  // KPIs: a visitor sees the values over open data; comparing across the consortium acts
  // with the node's identity, so it is offered to signed-in researchers only.
  const kv = await open(visitor, `${CITY}/kpis`, 'kpis (visitor)');
  await kv.waitForSelector('[data-kpi-signin="no2-mean"]');
  check('a visitor is asked to sign in before comparing a KPI', await kv.locator('button[data-kpi]').count() === 0);
  const cityOperator = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await cityOperator.addInitScript((t) => sessionStorage.setItem('hanse.adminToken', t), CITY_TOKEN);
  const k = await open(cityOperator, `${CITY}/kpis`, 'kpis');
  await k.click('button[data-kpi="no2-mean"]');
  await k.waitForSelector('section:has(button[data-kpi="no2-mean"]) table tbody tr');
  const kpiRows = await k.locator('section:has(button[data-kpi="no2-mean"]) table tbody tr').count();
  check('a KPI compares across the consortium', kpiRows === MEMBERS.length, `${kpiRows} members`);
  await axe(k, 'kpis'); await shot(k, 'kpis');

  // Operator pages: a sign-in without the token, data with it.
  const a = await open(visitor, `${CITY}/access`, 'access (visitor)');
  await a.waitForSelector('#admin-token');
  const tables = await a.locator('main table').count();
  check('an operator page without the token shows a sign-in, not data', tables === 0);
  await axe(a, 'access (sign-in)'); await shot(a, 'sign-in');
  // A person signs in with a personal token: the session names her and her roles.
  const person = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const pa = await open(person, `${RESEARCH}/access`, 'access (researcher)');
  await pa.fill('#admin-token', RESEARCHER);
  await pa.click('main form button[type=submit]');
  await pa.waitForSelector('main table');
  const who = await pa.textContent('#session');
  check('a researcher signs in with a personal token and sees the agreements', /alice/.test(who) && /researcher/.test(who), who.trim());
  const acc = await open(operator, `${RESEARCH}/access`, 'access');
  await acc.waitForSelector('main table');
  await axe(acc, 'access'); await shot(acc, 'access');
  const au = await open(operator, `${RESEARCH}/audit`, 'audit');
  await au.waitForSelector('#verify-chain');
  await au.click('#verify-chain');
  await au.waitForSelector('#verify-result .success, #verify-result .error');
  check('the audit chain verifies from the console', /verifies/.test(await au.textContent('#verify-result')));
  await axe(au, 'audit'); await shot(au, 'audit');

  check('no console errors on any page', errors.length === 0, errors.slice(0, 5).join(' | '));
} catch (err) {
  check('the browser run completed', false, err.stack || String(err));
} finally {
  await browser.close();
}
console.log(`console: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
