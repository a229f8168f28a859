// A SPARQL editor: a textarea with a highlighted copy underneath (keywords, variables,
// IRIs, prefixed names, strings, numbers, comments), and a button that adds common prefixes.

import { h } from './ui.js';

const KEYWORDS = /^(SELECT|CONSTRUCT|DESCRIBE|ASK|WHERE|FROM|NAMED|PREFIX|BASE|OPTIONAL|FILTER|UNION|MINUS|GRAPH|SERVICE|SILENT|BIND|VALUES|AS|GROUP|BY|ORDER|ASC|DESC|HAVING|LIMIT|OFFSET|DISTINCT|REDUCED|COUNT|SUM|AVG|MIN|MAX|SAMPLE|GROUP_CONCAT|EXISTS|NOT|IN|a|STR|LANG|DATATYPE|IRI|BOUND|IF|COALESCE|REGEX|CONTAINS|STRSTARTS|STRENDS|ROUND|YEAR|MONTH|DAY|HOURS|NOW|isNumeric|isIRI|isLiteral|SUBSTR|LCASE|UCASE|INSERT|DELETE|DATA|true|false)$/i;

export const PREFIXES = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  sosa: 'http://www.w3.org/ns/sosa/',
  geo: 'http://www.opengis.net/ont/geosparql#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  sdm: 'https://smartdatamodels.org/dataModel.Environment/',
};

function escape(text) { return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]); }

/** The query as highlighted HTML (escaped). */
export function highlight(text) {
  const pattern = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(<[^<>\s]*>)|([?$][A-Za-z_][\w]*)|([A-Za-z][\w-]*:[\w-]*)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_]+)/g;
  let out = ''; let last = 0; let m;
  while ((m = pattern.exec(text))) {
    out += escape(text.slice(last, m.index));
    const [all, com, str, iri, v, pfx, num, word] = m;
    const cls = com ? 'com' : str ? 'str' : iri ? 'iri' : v ? 'var' : pfx ? 'pfx' : num ? 'num' : word && KEYWORDS.test(word) ? 'kw' : null;
    out += cls ? `<span class="tok-${cls}">${escape(all)}</span>` : escape(all);
    last = m.index + all.length;
  }
  return out + escape(text.slice(last)) + '\n';
}

/** An editor; `editor.value` reads and sets the query. */
export function sparqlEditor(initial, { id = 'query-text', label = 'SPARQL query' } = {}) {
  const pre = h('pre', { 'aria-hidden': 'true' });
  const area = h('textarea', { id, spellcheck: 'false', rows: 12, autocapitalize: 'off', autocomplete: 'off' });
  const sync = () => { pre.innerHTML = highlight(area.value); pre.scrollTop = area.scrollTop; };
  area.addEventListener('input', sync);
  area.addEventListener('scroll', sync);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey) { e.preventDefault(); area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end'); sync(); }
  });
  area.value = initial; sync();
  const addPrefixes = h('button', { type: 'button', class: 'secondary', onclick: () => {
    const missing = Object.entries(PREFIXES).filter(([p]) => !new RegExp(`PREFIX\\s+${p}:`, 'i').test(area.value));
    area.value = missing.map(([p, iri]) => `PREFIX ${p}: <${iri}>\n`).join('') + area.value; sync(); area.focus();
  } }, 'Add common prefixes');
  const root = h('div', {}, h('label', { for: id }, label), h('div', { class: 'editor' }, pre, area), h('div', { class: 'row' }, addPrefixes));
  Object.defineProperty(root, 'value', { get: () => area.value, set: (v) => { area.value = v; sync(); } });
  root.textarea = area;
  return root;
}
