/**
 * The demo's look: one stylesheet and the page frame of the main-site stand-in, plain HTML and
 * CSS (no script, no font or image fetched: the mark is drawn in CSS). The refusal page of the
 * add-on (librechat/refusal-page.ts) uses the same palette, type and card shapes.
 */
export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const PALETTE = {
  ink: '#1d2330',
  muted: '#5b6475',
  line: '#e7e2d8',
  page: '#f8f6f1',
  card: '#ffffff',
  gold: '#b7831f',
  goldLight: '#f3d58a',
} as const;

export const CSS = `
:root{--ink:${PALETTE.ink};--muted:${PALETTE.muted};--line:${PALETTE.line};--page:${PALETTE.page};--card:${PALETTE.card};--gold:${PALETTE.gold};--gold-l:${PALETTE.goldLight}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--page)}
a{color:inherit}
.top{background:var(--card);border-bottom:1px solid var(--line)}
.bar{max-width:1040px;margin:0 auto;padding:12px 24px;display:flex;align-items:center;gap:24px}
.brand{display:flex;align-items:center;gap:10px;font-weight:700;font-size:19px;letter-spacing:-.01em;text-decoration:none}
.brand small{font:inherit;color:var(--muted);font-weight:500}
.mark{width:30px;height:30px;border-radius:50%;flex:none;background:radial-gradient(circle at 34% 30%,#fff6d8 0,#f3d58a 22%,#d9a437 55%,#8f6314 100%);box-shadow:inset 0 0 0 1px rgba(0,0,0,.08),0 1px 2px rgba(0,0,0,.12)}
.nav{display:flex;gap:20px;color:var(--muted);font-size:15px}
.nav a{text-decoration:none}
.nav a:hover{color:var(--ink)}
.spacer{flex:1}
.account{position:relative}
.account summary{list-style:none;cursor:pointer;display:flex;align-items:center;gap:10px;padding:4px 12px 4px 4px;border:1px solid var(--line);border-radius:999px;background:var(--card);font-size:15px;font-weight:600}
.account summary::-webkit-details-marker{display:none}
.account summary::after{content:"";width:7px;height:7px;border-right:2px solid var(--muted);border-bottom:2px solid var(--muted);transform:rotate(45deg) translate(-2px,-2px);margin-left:2px}
.account[open] summary{border-color:#cfc6b3}
.menu{position:absolute;right:0;top:calc(100% + 8px);width:280px;background:var(--card);border:1px solid var(--line);border-radius:14px;box-shadow:0 18px 40px rgba(29,35,48,.14);padding:8px;z-index:5}
.menu .who{display:flex;gap:12px;align-items:center;padding:10px 10px 14px;border-bottom:1px solid var(--line);margin-bottom:6px}
.menu .who b{display:block;font-size:15px}
.menu .who div span{display:block;color:var(--muted);font-size:13px;word-break:break-all}
.menu a{display:block;padding:9px 10px;border-radius:8px;text-decoration:none;font-size:15px}
.menu a:hover{background:var(--page)}
.avatar{width:34px;height:34px;border-radius:50%;flex:none;display:grid;place-items:center;font-weight:700;font-size:13px;color:#fff;background:#3b4a6b;letter-spacing:.02em}
.avatar.big{width:52px;height:52px;font-size:18px}
.a0{background:#7b4b94}.a1{background:#2f6f6a}.a2{background:#9a5b2a}.a3{background:#3b4a6b}
main{flex:1;width:100%;max-width:1040px;margin:0 auto;padding:48px 24px}
h1{font-size:34px;line-height:1.15;letter-spacing:-.02em;margin:0 0 10px}
h2{font-size:20px;margin:0 0 6px;letter-spacing:-.01em}
.lead{font-size:18px;color:var(--muted);margin:0 0 28px;max-width:36em}
.status{display:inline-block;font-size:14px;color:var(--muted);background:var(--card);border:1px solid var(--line);border-radius:999px;padding:5px 12px;margin:0 0 18px}
.status::before{content:"";display:inline-block;vertical-align:1px;margin-right:8px;width:8px;height:8px;border-radius:50%;background:#b9b2a3}
.status.on::before{background:#2f9e62}
.status b{color:var(--ink)}
.card{background:var(--card);border:1px solid var(--line);border-radius:16px;padding:24px;box-shadow:0 1px 2px rgba(29,35,48,.04)}
.hero{display:grid;grid-template-columns:1.2fr 1fr;gap:28px;align-items:center}
.product{display:flex;flex-direction:column;gap:14px}
.product .icon{width:44px;height:44px;border-radius:12px;background:linear-gradient(135deg,#f3d58a,#c8922a);display:grid;place-items:center;color:#3a2706;font-weight:800;font-size:20px}
.muted{color:var(--muted)}
.features{display:grid;grid-template-columns:repeat(3,1fr);gap:16px;margin-top:48px}
.features h3{font-size:16px;margin:0 0 4px}
.features p{margin:0;color:var(--muted);font-size:15px}
.btn{display:inline-flex;align-items:center;justify-content:center;gap:8px;padding:11px 20px;border-radius:10px;border:1px solid transparent;font:inherit;font-weight:600;font-size:15px;cursor:pointer;text-decoration:none;line-height:1.2}
.btn.primary{background:var(--ink);color:#fff}
.btn.primary:hover{background:#000}
.btn.gold{background:linear-gradient(180deg,#e3b34f,#c18b22);color:#2b1d03;border-color:#b27d1b}
.btn.gold:hover{filter:brightness(1.04)}
.btn.ghost{background:var(--card);border-color:var(--line);color:var(--ink)}
.row{display:flex;gap:12px;flex-wrap:wrap;align-items:center}
.users{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:16px;margin:24px 0 0;padding:0;border:0}
.user{display:flex;flex-direction:column;gap:14px}
.user .id{display:flex;gap:12px;align-items:center}
.user .id b{display:block;font-size:16px}
.user .id div span{display:block;color:var(--muted);font-size:13px}
.chips{display:flex;gap:6px;flex-wrap:wrap;min-height:24px}
.chip{font-size:12px;font-weight:600;padding:3px 9px;border-radius:999px;background:#f1ede4;color:#5b5142}
.chip.admin{background:#fbecc7;color:#7a5508}
.chip.vip{background:#e6e9f5;color:#34406a}
.user .btn{width:100%}
.notice{display:flex;gap:10px;align-items:flex-start;background:#fff8e6;border:1px solid #f0dfae;color:#5d4712;border-radius:12px;padding:12px 14px;margin:0 0 20px;font-size:15px}
.narrow{max-width:560px}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:13px}
footer .bar{padding:18px 24px}
@media (max-width:720px){.hero,.features{grid-template-columns:1fr}.nav{display:none}h1{font-size:28px}main{padding:32px 18px}.bar{padding:12px 18px}}
`;

export interface Person {
  key: string;
  name: string;
  email: string;
  roles: string[];
}

export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('') || '?';

/** A stable colour per person, from their key. */
export const tone = (key: string) => `a${[...key].reduce((n, c) => n + c.charCodeAt(0), 0) % 4}`;

export const avatar = (p: Person, big = false) => `<span class="avatar ${tone(p.key)}${big ? ' big' : ''}" aria-hidden="true">${esc(initials(p.name))}</span>`;

export interface Frame {
  title: string;
  /** The person logged in on the main site, if any. */
  who?: Person;
  chatLink: string;
  body: string;
}

/** The main site's page: header (brand, links, account menu or sign-in), content, footer. */
export function frame({ title, who, chatLink, body }: Frame): string {
  const account = who
    ? `<details class="account"><summary>${avatar(who)}<span>${esc(who.name.split(' ')[0])}</span></summary>
  <div class="menu" role="menu"><div class="who">${avatar(who, true)}<div><b>${esc(who.name)}</b><span>${esc(who.email)}</span></div></div>
  <a role="menuitem" href="${esc(chatLink)}">Open chat</a>
  <a role="menuitem" href="/">Your account</a>
  <a role="menuitem" id="main-logout" href="/logout">Log out</a></div></details>`
    : `<a class="btn primary" href="/login">Sign in</a>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
<header class="top"><div class="bar"><a class="brand" href="/"><span class="mark" aria-hidden="true"></span><span>shinegold<small>.com</small></span></a>
<nav class="nav"><a href="/">Home</a><a href="${esc(chatLink)}">Chat</a></nav><span class="spacer"></span>${account}</div></header>
<main>${body}</main>
<footer><div class="bar">shinegold.com demo · a stand-in for the main site, with fictional people · signing in sets the shared sign-in cookie that chat trusts</div></footer>
</body></html>`;
}
