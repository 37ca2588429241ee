/**
 * The page chat shows a person who is refused for a reason they (or their admin) can act on,
 * instead of sending them back to the main-site login, where a site that forwards logged-in
 * people would send them straight back again (a loop on a blank page).
 *
 * `renderRefusalPage` is a pure function of its input: HTML with every value escaped, one
 * inline stylesheet allowed by its hash (REFUSAL_PAGE_CSP, also set in a meta tag), no script,
 * no font, image or stylesheet fetched, readable on a phone. Links are only http(s) URLs or
 * same-origin paths. It looks like the main site (the demo's shinegold.com): the same palette,
 * type and card.
 *
 * `REFUSAL_TEXTS`: what each refusal a person can act on means to them, in plain words.
 */
import { createHash } from 'node:crypto';

export interface RefusalPageInput {
  /** The deployment's name, as people know it (e.g. "shinegold Chat"). */
  deploymentName: string;
  heading: string;
  /** What happened, in one or two sentences. */
  sentence: string;
  /** What to do about it, in plain words. */
  whatToDo: string;
  /** The main site (a link back there). */
  mainSiteUrl: string;
  /** An optional help page (support, FAQ). */
  helpUrl?: string;
  /** An optional "try again" link (e.g. the login entry). */
  retryUrl?: string;
  /** The refusal code, shown small, for support. */
  code: string;
  /** The page language (BCP 47), default en. */
  lang?: string;
}

export interface RefusalTexts {
  heading: string;
  sentence: string;
  whatToDo: string;
}

/** The refusals a person can act on, each in their words. */
export type RefusalTextCode =
  | 'SG_ROLE_REQUIRED'
  | 'SG_USER_BANNED'
  | 'SG_USER_DISABLED'
  | 'SG_ACCOUNT_LINKED_ELSEWHERE'
  | 'SG_LINK_REFUSED'
  | 'SG_EMAIL_MISSING'
  | 'SG_TOKEN_DUPLICATE_COOKIE'
  | 'SG_TOKEN_LOGGED_OUT'
  | 'SG_MFA_REQUIRED'
  | 'SG_BOUNCE_LIMIT';

export const REFUSAL_TEXTS: Readonly<Record<RefusalTextCode, Readonly<RefusalTexts>>> = Object.freeze({
  SG_ROLE_REQUIRED: {
    heading: 'Chat is not open to your account',
    sentence: 'You are signed in to shinegold.com, but your account does not have the access this chat requires.',
    whatToDo: 'Ask your shinegold.com administrator to give your account access to chat, then open chat again.',
  },
  SG_USER_BANNED: {
    heading: 'Your access to chat is suspended',
    sentence: 'Your shinegold.com account has been blocked from using this chat.',
    whatToDo: 'If you think this is a mistake, contact shinegold.com support.',
  },
  SG_USER_DISABLED: {
    heading: 'Your chat account is closed',
    sentence: 'The chat account that belonged to your shinegold.com account has been closed.',
    whatToDo: 'Contact shinegold.com support if you need to use chat again.',
  },
  SG_ACCOUNT_LINKED_ELSEWHERE: {
    heading: 'Your email address is used by another account',
    sentence: 'A chat account with your email address belongs to a different shinegold.com account.',
    whatToDo: 'Sign in to shinegold.com with the account you use for chat, or ask support to sort out the two accounts.',
  },
  SG_LINK_REFUSED: {
    heading: 'Your existing chat account could not be connected',
    sentence: 'A chat account with your email address already exists, and it cannot be joined to your shinegold.com account automatically.',
    whatToDo: 'Confirm your email address on shinegold.com and try again, or ask your administrator to connect the two accounts.',
  },
  SG_EMAIL_MISSING: {
    heading: 'Your account needs an email address',
    sentence: 'Chat needs an email address to set up your account, and your shinegold.com account does not have one it can use.',
    whatToDo: 'Add or confirm an email address in your shinegold.com profile, then open chat again.',
  },
  SG_TOKEN_DUPLICATE_COOKIE: {
    heading: 'Your browser holds two sign-ins',
    sentence: 'Your browser sent two different shinegold.com sign-ins for this site, so chat cannot tell which one is you. This page has removed both from this browser.',
    whatToDo: 'Sign out of shinegold.com and sign in again, then open chat.',
  },
  SG_TOKEN_LOGGED_OUT: {
    heading: 'You were signed out',
    sentence: 'You signed out of shinegold.com everywhere a moment ago, so this sign-in no longer counts.',
    whatToDo: 'Sign in to shinegold.com again, then open chat.',
  },
  SG_MFA_REQUIRED: {
    heading: 'The admin area needs your second sign-in step',
    sentence: "Chat's admin area opens only after you have confirmed your shinegold.com sign-in with your second step, such as a code from your phone.",
    whatToDo: 'Sign out of shinegold.com, sign in again with your second step, then come back to chat.',
  },
  SG_BOUNCE_LIMIT: {
    heading: 'We could not sign you in',
    sentence: 'shinegold.com sent you back to chat several times without a sign-in that chat could use.',
    whatToDo: 'Sign in on shinegold.com, then open chat again. If this keeps happening, contact support.',
  },
});

/** For any other refusal. */
export const REFUSAL_FALLBACK: Readonly<RefusalTexts> = Object.freeze({
  heading: 'We could not sign you in',
  sentence: 'Something went wrong while chat was checking your shinegold.com sign-in.',
  whatToDo: 'Try again in a moment. If it keeps happening, contact support and mention the reference below.',
});

/** The texts for a code, or the fallback for a code without its own. */
export function refusalTexts(code: string): Readonly<RefusalTexts> {
  return Object.prototype.hasOwnProperty.call(REFUSAL_TEXTS, code) ? REFUSAL_TEXTS[code as RefusalTextCode] : REFUSAL_FALLBACK;
}

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An absolute http(s) URL or a same-origin path, else nothing (never `javascript:` and the like). */
export function safeHref(url: string | undefined): string | undefined {
  if (typeof url !== 'string' || url.trim() === '') return undefined;
  const u = url.trim();
  if (u.startsWith('/') && !u.startsWith('//') && !u.startsWith('/\\')) return u;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
};

/** The palette, type and card of the demo's main site (packages/sandbox/src/look.ts). */
const CSS = [
  ':root{--ink:#1d2330;--muted:#5b6475;--line:#e7e2d8;--page:#f8f6f1;--card:#fff;--gold:#b7831f}',
  '*{box-sizing:border-box}',
  'html{-webkit-text-size-adjust:100%}',
  'body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:32px 18px;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--page)}',
  '.brand{display:flex;align-items:center;gap:10px;font-weight:700;font-size:18px;letter-spacing:-.01em;margin:0 0 18px;max-width:560px;width:100%;overflow-wrap:anywhere}',
  '.mark{width:28px;height:28px;border-radius:50%;flex:none;background:radial-gradient(circle at 34% 30%,#fff6d8 0,#f3d58a 22%,#d9a437 55%,#8f6314 100%);box-shadow:inset 0 0 0 1px rgba(0,0,0,.08),0 1px 2px rgba(0,0,0,.12)}',
  '.card{max-width:560px;width:100%;background:var(--card);border:1px solid var(--line);border-radius:16px;padding:32px;box-shadow:0 1px 2px rgba(29,35,48,.04),0 12px 32px rgba(29,35,48,.06)}',
  '.badge{display:inline-block;width:44px;height:44px;border-radius:12px;background:#fbecc7;color:#7a5508;font-weight:800;font-size:22px;line-height:44px;text-align:center;margin:0 0 16px}',
  'h1{font-size:26px;line-height:1.2;letter-spacing:-.02em;margin:0 0 10px;overflow-wrap:anywhere}',
  'p{margin:0 0 16px;overflow-wrap:anywhere}',
  '.what{color:var(--muted)}',
  '.todo{background:#fff8e6;border:1px solid #f0dfae;color:#4d3b0f;border-radius:12px;padding:14px 16px;margin:0 0 24px}',
  '.todo b{display:block;font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#7a5508;margin:0 0 4px}',
  '.actions{display:flex;flex-wrap:wrap;gap:12px}',
  '.btn{display:inline-flex;align-items:center;justify-content:center;padding:11px 20px;border-radius:10px;border:1px solid transparent;font-weight:600;font-size:15px;line-height:1.2;text-decoration:none}',
  '.primary{background:var(--ink);color:#fff}',
  '.ghost{background:var(--card);border-color:var(--line);color:var(--ink)}',
  '.ref{max-width:560px;width:100%;margin:16px 0 0;font-size:13px;color:var(--muted);text-align:center}',
  '.ref code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#efebe2;border-radius:6px;padding:2px 6px;color:var(--ink)}',
  '@media (max-width:520px){.card{padding:24px 20px}h1{font-size:22px}.actions .btn{flex:1 1 100%}}',
].join('');

/** Content-Security-Policy for the page: nothing but its own inline stylesheet. Send it as a header too. */
export const REFUSAL_PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const META_CSP = REFUSAL_PAGE_CSP.replace(/; frame-ancestors 'none'$/, ''); // not allowed in a meta tag

export function renderRefusalPage(input: RefusalPageInput): string {
  const lang = typeof input.lang === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(input.lang) ? input.lang : 'en';
  const main = safeHref(input.mainSiteUrl);
  const retry = safeHref(input.retryUrl);
  const help = safeHref(input.helpUrl);
  const mainLabel = main && hostOf(main) ? `Go to ${hostOf(main)}` : 'Go to the main site';
  const actions = [
    main && `<a class="btn primary" href="${esc(main)}">${esc(mainLabel)}</a>`,
    retry && `<a class="btn ghost" href="${esc(retry)}">Try again</a>`,
    help && `<a class="btn ghost" href="${esc(help)}">Get help</a>`,
  ].filter(Boolean);
  return `<!doctype html>
<html lang="${esc(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(META_CSP)}">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>${esc(input.heading)} · ${esc(input.deploymentName)}</title>
<style>${CSS}</style></head>
<body>
<div class="brand"><span class="mark" aria-hidden="true"></span><span>${esc(input.deploymentName)}</span></div>
<main class="card">
<span class="badge" aria-hidden="true">!</span>
<h1>${esc(input.heading)}</h1>
<p class="what">${esc(input.sentence)}</p>
<div class="todo"><b>What you can do</b>${esc(input.whatToDo)}</div>
${actions.length ? `<div class="actions">${actions.join('')}</div>` : ''}
</main>
<p class="ref">Reference for support: <code>${esc(input.code)}</code></p>
</body></html>
`;
}
