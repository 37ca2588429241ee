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
const CSS = `
*{box-sizing:border-box}
body{margin:0;height:100vh;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#0d0d0d;background:#fff}
#root{height:100%}
.center{height:100%;display:grid;place-items:center;color:#5d5d5d}
.app{display:flex;height:100%}
.side{width:260px;flex:none;background:#f9f9f9;border-right:1px solid #ececec;display:flex;flex-direction:column;padding:10px}
.new{display:flex;align-items:center;gap:8px;padding:10px 12px;border-radius:10px;font-weight:600;color:#0d0d0d;text-decoration:none}
.new:hover,.conv:hover,.nav-user:hover{background:#ececec}
.new .logo{width:26px;height:26px;border-radius:50%;background:#0d0d0d;color:#fff;display:grid;place-items:center;font-size:13px}
.label{font-size:12px;color:#8f8f8f;font-weight:600;margin:18px 12px 6px}
.conv{display:block;padding:8px 12px;border-radius:8px;color:#0d0d0d;text-decoration:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.conv.on{background:#ececec}
.grow{flex:1}
.nav-user{display:flex;align-items:center;gap:10px;width:100%;padding:8px;border:0;border-radius:10px;background:none;font:inherit;font-weight:600;text-align:left;cursor:pointer}
.avatar{width:32px;height:32px;border-radius:50%;flex:none;display:grid;place-items:center;color:#fff;background:#9a5b2a;font-size:13px;font-weight:700}
.menu{position:relative}
.menu [role=menu]{position:absolute;bottom:calc(100% + 6px);left:0;right:0;background:#fff;border:1px solid #e3e3e3;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.12);padding:6px}
.menu [role=menu] .mail{padding:8px 10px;color:#5d5d5d;font-size:13px;border-bottom:1px solid #eee;margin-bottom:4px;word-break:break-all}
.menu [role=menuitem]{padding:9px 10px;border-radius:8px;cursor:pointer}
.menu [role=menuitem]:hover{background:#f3f3f3}
.main{flex:1;display:flex;flex-direction:column;min-width:0}
.top{display:flex;align-items:center;gap:10px;padding:12px 20px;font-weight:600;font-size:17px}
.top small{font-weight:500;color:#8f8f8f;font-size:13px;border:1px solid #e3e3e3;border-radius:999px;padding:1px 8px}
.body{flex:1;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:24px;text-align:center}
.body h1{font-size:28px;font-weight:600;margin:0 0 18px;letter-spacing:-.01em}
.facts{max-width:560px;border:1px solid #ececec;border-radius:14px;padding:14px 18px;color:#5d5d5d;font-size:14px;background:#fcfcfc}
.facts b{color:#0d0d0d}
.composer{max-width:760px;width:calc(100% - 40px);margin:0 auto 22px;border:1px solid #e3e3e3;border-radius:24px;padding:14px 18px;color:#8f8f8f;box-shadow:0 2px 12px rgba(0,0,0,.04)}
.note{font-size:12px;color:#8f8f8f;text-align:center;margin:-12px 0 14px}
.login{max-width:360px;margin:12vh auto 0;padding:0 20px;text-align:center}
.login h1{font-size:28px;font-weight:600}
.login input{display:block;width:100%;margin:0 0 12px;padding:12px 14px;border:1px solid #d9d9d9;border-radius:10px;font:inherit}
.login button{width:100%;padding:12px;border:0;border-radius:10px;background:#10a37f;color:#fff;font:inherit;font-weight:600;cursor:pointer}
@media (max-width:720px){.app{flex-direction:column}.side{width:auto;flex-direction:row;align-items:center;border-right:0;border-bottom:1px solid #ececec;padding:6px 10px}.side .label,.side .conv{display:none}.nav-user{width:auto}.menu [role=menu]{top:calc(100% + 6px);bottom:auto;left:auto;width:240px;z-index:2}.top{display:none}.body h1{font-size:23px}}
`;

export function spaHtml(refreshMs: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>LibreChat (stand-in)</title>
<style>${CSS}</style></head>
<body><div id="root"><div class="center">Loading…</div></div><script>
const KEY = 'post_login_redirect_to';
const root = document.getElementById('root');
let token = '';
let currentId = '';
let timer;
let leaving = false;
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
    root.innerHTML = '<div class="center">Redirecting to ' + esc(cfg.openidLabel || 'OpenID') + '…</div>';
    window.location.href = cfg.serverDomain + '/oauth/openid';
    return;
  }
  root.innerHTML = '<div class="login"><h1>Welcome back</h1><form id="login-form"><input name="email" placeholder="Email address"><input name="password" type="password" placeholder="Password"><button>Continue</button></form><p id="login-error"></p></div>';
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
  const first = String(user.name || '').split(' ')[0];
  const initials = String(user.name || '?').split(/\\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
  root.innerHTML = '<div class="app"><aside class="side"><a class="new" href="/c/new"><span class="logo">✦</span>New chat</a>'
    + '<div class="label">Today</div><a class="conv on" href="/c/new">Welcome to shinegold Chat</a>'
    + '<div class="grow"></div><div class="menu"><div id="menu" role="menu" hidden><div class="mail">' + esc(user.email) + '</div><div role="menuitem" id="logout" tabindex="0">Log out</div></div>'
    + '<button class="nav-user" data-testid="nav-user" aria-label="Account settings"><span class="avatar">' + esc(initials) + '</span>' + esc(user.name) + '</button></div></aside>'
    + '<section class="main"><div class="top">LibreChat <small>stand-in</small></div><div class="body"><h1>How can I help you today, ' + esc(first) + '?</h1>'
    + '<p class="facts">Signed in through shinegold.com as <b id="who">' + esc(user.name) + '</b> (<span id="email">' + esc(user.email) + '</span>), role <b id="role">' + esc(user.role) + '</b>, at <span id="path">' + esc(location.pathname + location.search) + '</span></p></div>'
    + '<div class="composer">Message LibreChat…</div><p class="note">The chat stand-in of the demo: sign-in is real, messages are not sent.</p></section></div>';
  document.querySelector('[data-testid="nav-user"]').onclick = () => { const m = document.getElementById('menu'); m.hidden = !m.hidden; };
  document.getElementById('logout').onclick = async () => {
    // Logging out: this page's periodic refresh (LibreChat refreshes only at start and when its
    // access token is refused) must not start a second navigation, to the login, that would
    // cancel the one to the main site's logout (seen under load in the browser walk).
    leaving = true;
    clearTimeout(timer);
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
  timer = setTimeout(async () => {
    if (leaving) return;
    const data = await refresh();
    if (leaving) return;
    if (data && data.token) { token = data.token; if (data.user && String(data.user._id || data.user.id || '') !== currentId) chatPage(data.user); schedule(); }
    else { token = ''; toLogin(); }
  }, ${Math.max(250, Math.floor(refreshMs))});
}
start();
</script></body></html>`;
}
