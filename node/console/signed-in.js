// The end of signing in through the organisation's issuer: the node's callback page carries
// the access token in a meta element; keep it for this tab as the console keeps any token,
// then go back to the page the person came from.

import { setToken } from './ui.js';

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content');
const token = meta('hanse-token');
const back = meta('hanse-back') || '/';
if (token) setToken(token);
location.replace(back.startsWith('/') && !back.startsWith('//') ? back : '/');
