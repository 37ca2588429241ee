import { isIP } from 'node:net';
import { parse as parseHost } from 'tldts';
import type { ShinegoldConfig } from '../config/schema';
import { fail, Finding, isLocalHost, ok, warn } from './finding';

export interface CookieCheckInput {
  config: ShinegoldConfig;
  /** The Domain the main site sets on its cookie (`.shinegold.com`); undefined when not given. */
  cookieDomain?: string;
  env?: Record<string, string | undefined>;
}

/** `host` is `domain` or a subdomain of it, on a label boundary (`evilshinegold.com` is not). */
export function domainCovers(domain: string, host: string): boolean {
  const d = domain.toLowerCase().replace(/^\./, '');
  const h = host.toLowerCase();
  return h === d || h.endsWith(`.${d}`);
}

/**
 * The longest common parent of two host names, in labels (`a.shinegold.com`, `shinegold.com`
 * -> `shinegold.com`). Used only to suggest a Domain; whether two hosts are one site is
 * `registrableDomain`'s answer.
 */
export function sharedParent(a: string, b: string): string {
  const x = a.toLowerCase().split('.').reverse();
  const y = b.toLowerCase().split('.').reverse();
  const common: string[] = [];
  for (let i = 0; i < Math.min(x.length, y.length) && x[i] === y[i]; i++) common.push(x[i]);
  return common.reverse().join('.');
}

/**
 * The registrable domain ("site", eTLD+1) of a host by the Public Suffix List, its private
 * section included as browsers include it (`a.github.io` and `b.github.io` are two sites):
 * `chat.shinegold.co.uk` -> `shinegold.co.uk`. Undefined for an IP address or a bare suffix.
 */
export function registrableDomain(host: string): string | undefined {
  const r = parseHost(host, { allowPrivateDomains: true });
  return r.isIp ? undefined : (r.domain ?? undefined);
}

/** Two hosts under one registrable domain (an IP address or a bare suffix is nobody's site). */
const sameSite = (a: string, b: string) => {
  const site = registrableDomain(a);
  return site !== undefined && site === registrableDomain(b);
};

/** Whether browsers refuse a cookie Domain because it is a public suffix (`com`, `co.uk`, `github.io`). */
const isPublicSuffix = (d: string) => parseHost(d, { allowPrivateDomains: true }).publicSuffix === d;

const VALID_HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/;
/** An allowlist entry as `URL.host` spells it: a host name or a bracketed IPv6 address, with an optional port. */
const isHostEntry = (h: string) => VALID_HOST.test(h) || /^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(h);

/**
 * Whether the main site's cookie can reach chat at all, and safely: the cookie domain covers
 * the chat host and the main site may set it; Secure needs https; SameSite=Lax holds only while
 * the main site and chat are one site; return URLs stay on hosts that get the cookie.
 */
export function checkCookie({ config, cookieDomain, env = process.env }: CookieCheckInput): Finding[] {
  const out: Finding[] = [];
  const chat = new URL(config.session.chatOrigin);
  const login = new URL(config.session.loginUrl);
  const chatHost = chat.hostname.toLowerCase();
  const loginHost = login.hostname.toLowerCase();
  const name = config.cookieName;
  const production = env.NODE_ENV === 'production';

  // Domain
  const d = cookieDomain?.trim().toLowerCase().replace(/^\./, '');
  if (!d) {
    out.push(
      warn('cookie.domain', `The cookie domain the main site uses is not known, so whether ${name} reaches ${chatHost} was not checked.`,
        'Run again with --cookie-domain .shinegold.com (or SHINEGOLD_COOKIE_DOMAIN), the Domain attribute the main site sets.'),
    );
  } else if (!VALID_HOST.test(d) || d.includes(':')) {
    out.push(fail('cookie.domain', `The cookie domain ${JSON.stringify(cookieDomain)} is not a host name.`, 'Give the bare parent domain, e.g. .shinegold.com (no scheme, port, path or wildcard).'));
  } else if (d !== 'localhost' && isPublicSuffix(d)) {
    const kind = d.includes('.') ? 'a public suffix (like co.uk: many unrelated sites share it)' : 'a top-level domain';
    const suggestion = registrableDomain(loginHost) ?? (sharedParent(chatHost, loginHost) || 'shinegold.com');
    out.push(fail('cookie.domain', `The cookie domain .${d} is ${kind}; browsers refuse such cookies.`, `Set the cookie on the main site's own parent domain, e.g. .${suggestion}.`));
  } else if (isIP(chatHost)) {
    out.push(fail('cookie.domain', `Chat is reached by IP address ${chatHost}; a cookie with a Domain attribute is never sent to an IP address.`, 'Serve chat under a host name below the main site\'s domain (e.g. chat.shinegold.com) and set session.chatOrigin to it.'));
  } else if (!domainCovers(d, chatHost)) {
    out.push(
      fail('cookie.domain', `A cookie for Domain=.${d} is never sent to the chat host ${chatHost}.`,
        `Set the cookie on a parent of the chat host (Domain=.${sharedParent(chatHost, loginHost) || chatHost}), or serve chat under .${d}.`),
    );
  } else if (!domainCovers(d, loginHost)) {
    out.push(
      fail('cookie.domain', `The main site (${loginHost}, from session.loginUrl) cannot set a cookie for Domain=.${d}: a site can only set cookies for its own host or a parent of it.`,
        `Use a Domain that is a parent of both ${loginHost} and ${chatHost}.`),
    );
  } else {
    out.push(ok('cookie.domain', `A cookie for Domain=.${d} set by ${loginHost} is sent to the chat host ${chatHost}.`));
  }

  // Cookie name prefixes carry rules of their own (RFC 6265bis §4.1.3).
  if (name.startsWith('__Host-')) {
    out.push(fail('cookie.name', `The cookie ${name} has the __Host- prefix, which forbids a Domain attribute: it can never be shared with ${chatHost}.`, 'Use a __Secure- prefix or none for a cookie shared across subdomains.'));
  } else if (name.startsWith('__Secure-') && chat.protocol !== 'https:') {
    out.push(fail('cookie.name', `The cookie ${name} has the __Secure- prefix, which needs https, but chat is at ${config.session.chatOrigin}.`, 'Serve chat over https (see deploy/nginx).'));
  }

  // Secure
  if (chat.protocol === 'https:') {
    out.push(ok('cookie.secure', `Chat is served over https (${config.session.chatOrigin}), so a Secure cookie reaches it.`));
  } else if (isLocalHost(chatHost)) {
    out.push(ok('cookie.secure', `Chat is on ${chatHost} over http: fine for local development only.`));
  } else {
    const msg = `Chat is served over plain http (${config.session.chatOrigin}): a Secure cookie is never sent to it, and an insecure one can be read on the network.`;
    const fix = 'Serve chat over https (see deploy/nginx) and set session.chatOrigin / DOMAIN_CLIENT to the https origin.';
    out.push(production ? fail('cookie.secure', msg, fix) : warn('cookie.secure', msg, fix));
  }
  if (login.protocol !== chat.protocol && !isLocalHost(loginHost)) {
    out.push(warn('cookie.scheme', `The main-site login (${login.origin}) and chat (${chat.origin}) use different schemes; browsers treat them as different sites for SameSite.`, 'Serve both over https.'));
  }

  // SameSite=Lax: one site means one registrable domain (Public Suffix List).
  const parent = sharedParent(chatHost, loginHost);
  const site = registrableDomain(chatHost);
  if (loginHost === chatHost || sameSite(chatHost, loginHost) || (parent === 'localhost' && isLocalHost(chatHost))) {
    out.push(ok('cookie.samesite', `The main site (${loginHost}) and chat (${chatHost}) are one site (${site ?? (parent || chatHost)}), so a SameSite=Lax cookie is sent to chat.`));
  } else {
    out.push(
      fail('cookie.samesite', `The main site (${loginHost}) and chat (${chatHost}) are different sites: the main site cannot set a cookie chat receives, and SameSite=Lax withholds it from cross-site requests.`,
        'Serve chat on a subdomain of the main site (chat.<main-site domain>) and set session.loginUrl to the main site\'s login page.'),
    );
  }

  // Return hosts: where the main site may send the browser back after login.
  const hosts = config.session.allowedReturnHosts;
  const bad = hosts.filter((h) => !isHostEntry(h));
  if (bad.length) {
    out.push(fail('cookie.return-hosts', `session.allowedReturnHosts has entries that are not host names and never match: ${bad.join(', ')}.`, 'List exact host names (with :port if not the default), without scheme, path or wildcard.'));
  }
  if (!hosts.includes(chat.host.toLowerCase())) {
    out.push(warn('cookie.return-hosts', `session.allowedReturnHosts (${hosts.join(', ') || 'empty'}) does not include the chat host ${chat.host}: absolute return URLs to chat are refused.`, `Add ${chat.host} to session.allowedReturnHosts (or leave the option out: it defaults to the chat host).`));
  }
  const outside = hosts.filter((h) => isHostEntry(h) && h !== chat.host.toLowerCase() && (d ? !domainCovers(d, h.replace(/:\d+$/, '')) : !sameSite(h.replace(/:\d+$/, ''), chatHost)));
  if (outside.length) {
    out.push(warn('cookie.return-hosts', `session.allowedReturnHosts lets the login send the browser to ${outside.join(', ')}, which ${d ? `Domain=.${d} does not cover` : 'is another site than chat'}.`, 'Keep only hosts that receive the main-site cookie, so the allowlist cannot serve as an open redirect.'));
  }
  if (!bad.length && hosts.includes(chat.host.toLowerCase()) && !outside.length) {
    out.push(ok('cookie.return-hosts', `Return URLs are allowed to ${hosts.join(', ')}.`));
  }
  return out;
}
