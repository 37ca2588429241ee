/**
 * A small page that behaves like LibreChat's SPA where sign-in is concerned, so the browser walk
 * can run in CI, where there is no LibreChat source. Reproduced from LibreChat v0.8.7's client:
 * - AuthContext: on start, `POST /api/auth/refresh` (cookies sent); a token -> logged in (and
 *   the redirect kept in sessionStorage is honoured); no token -> client-side navigation to
 *   `/login?redirect_to=<where you were>`; the refresh repeats (LibreChat: when the access token
 *   runs out; here every `refreshMs`);
 * - Login.tsx: keeps `redirect_to` in sessionStorage, reads `/api/config`, and when
 *   `openidLoginEnabled && openidAutoRedirect && serverDomain` (and no `?redirect=false`) sets
 *   `window.location.href = serverDomain + '/oauth/openid'`; otherwise shows the login form,
 *   which posts to `/api/auth/login`;
 * - logout: `POST /api/auth/logout` with the access token; a `redirect` in the answer is
 *   followed with `window.location.replace`.
 * The account menu has LibreChat's markup (`[data-testid=nav-user]`, then the menu item "Log out"),
 * so one browser walk drives both this page and the real SPA.
 */
export function spaHtml(refreshMs: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>LibreChat (stand-in)</title>
<style>body{font-family:sans-serif;max-width:44em;margin:2em auto}#who{font-weight:bold}</style></head>
<body><div id="root">Loading…</div><script>
const KEY = 'post_login_redirect_to';
const root = document.getElementById('root');
let token = '';
let currentId = '';
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
async function refresh() {
  try {
    const r = await fetch('/api/auth/refresh', { method: 'POST', credentials: 'include' });
    const text = await r.text();
    try { return JSON.parse(text); } catch { return null; }
  } catch { return null; }
}
function toLogin() {
  const here = location.pathname + location.search;
  const target = here === '/' || here.startsWith('/login') ? '/login' : '/login?redirect_to=' + encodeURIComponent(here);
  history.pushState({}, '', target);
  loginPage();
}
async function loginPage() {
  const params = new URLSearchParams(location.search);
  if (params.get('redirect_to')) sessionStorage.setItem(KEY, params.get('redirect_to'));
  const cfg = await (await fetch('/api/config')).json();
  if (cfg.openidLoginEnabled && cfg.openidAutoRedirect && cfg.serverDomain && params.get('redirect') !== 'false') {
    root.innerHTML = '<p>Redirecting to ' + esc(cfg.openidLabel || 'OpenID') + '…</p>';
    window.location.href = cfg.serverDomain + '/oauth/openid';
    return;
  }
  root.innerHTML = '<h1>Welcome back</h1><form id="login-form"><input name="email" placeholder="Email"><input name="password" type="password" placeholder="Password"><button>Continue</button></form><p id="login-error"></p>';
  document.getElementById('login-form').onsubmit = async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(new FormData(e.target));
    const r = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (data.token) { token = data.token; chatPage(data.user); }
    else document.getElementById('login-error').textContent = data.message || ('login failed: ' + r.status);
  };
}
function chatPage(user) {
  currentId = String(user._id || user.id || '');
  const stored = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  if (stored && stored.startsWith('/') && !stored.startsWith('//') && location.pathname + location.search !== stored) history.replaceState({}, '', stored);
  else if (location.pathname.startsWith('/login')) history.replaceState({}, '', '/c/new');
  root.innerHTML = '<h1>Chat</h1><p>Signed in as <span id="who">' + esc(user.name) + '</span> (<span id="email">' + esc(user.email) + '</span>), role <span id="role">' + esc(user.role) + '</span>, at <span id="path">' + esc(location.pathname + location.search) + '</span></p><button data-testid="nav-user" aria-label="Account settings">' + esc(user.name) + '</button><div id="menu" role="menu" hidden><div role="menuitem" id="logout" tabindex="0">Log out</div></div>';
  document.querySelector('[data-testid="nav-user"]').onclick = () => { document.getElementById('menu').hidden = false; };
  document.getElementById('logout').onclick = async () => {
    const r = await fetch('/api/auth/logout', { method: 'POST', credentials: 'include', headers: { authorization: 'Bearer ' + token } });
    const data = await r.json().catch(() => ({}));
    token = '';
    if (data.redirect) { window.location.replace(data.redirect); return; }
    toLogin();
  };
}
async function start() {
  if (location.pathname.startsWith('/login')) return loginPage();
  const data = await refresh();
  if (data && data.token) { token = data.token; chatPage(data.user); schedule(); }
  else toLogin();
}
function schedule() {
  setTimeout(async () => {
    const data = await refresh();
    if (data && data.token) { token = data.token; if (data.user && String(data.user._id || data.user.id || '') !== currentId) chatPage(data.user); schedule(); }
    else { token = ''; toLogin(); }
  }, ${Math.max(250, Math.floor(refreshMs))});
}
start();
</script></body></html>`;
}
