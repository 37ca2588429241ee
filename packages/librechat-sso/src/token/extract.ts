import { SsoRefusal } from '../errors';
import { peekSubject } from './peek';

/**
 * Where the main site's token can come from. The core never sees an HTTP request: adapters
 * hand it the raw Cookie and Authorization header values.
 */
export interface TokenSource {
  cookieHeader?: string | undefined;
  authorization?: string | undefined;
}

export interface ExtractOptions {
  cookieName: string;
  acceptBearer: boolean;
}

/** Parses a Cookie header into name -> first value, without decoding surprises. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    // First occurrence wins, as browsers send the most specific (longest path) cookie first.
    if (name && !out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        out.set(name, value);
      }
    }
  }
  return out;
}

/**
 * Every value a Cookie header gives one name, in the order the browser sent them. A browser
 * sends a name more than once when cookies of that name exist for several paths or domains:
 * any host under the parent domain can set one (cookie tossing), so for the main site's cookie
 * this is never resolved by picking one.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  const out: string[] = [];
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out.push(decodeURIComponent(value));
    } catch {
      out.push(value);
    }
  }
  return out;
}

/**
 * Returns the token and where it came from, or undefined when none is presented.
 * Refused: the main site's cookie sent more than once (SG_TOKEN_DUPLICATE_COOKIE: another host
 * under the parent domain planted one; chat never picks), and a cookie with a different Bearer
 * token at once (SG_TOKEN_AMBIGUOUS): a request must not be able to choose which identity it is
 * judged by.
 */
export function extractToken(
  src: TokenSource,
  opts: ExtractOptions,
): { token: string; from: 'cookie' | 'bearer' } | undefined {
  const cookies = cookieValues(src.cookieHeader, opts.cookieName).filter((v) => v !== '');
  if (cookies.length > 1) {
    throw new SsoRefusal('SG_TOKEN_DUPLICATE_COOKIE', { count: cookies.length, unverified: cookies.map((c) => peekSubject(c) ?? null) });
  }
  const cookie = cookies[0];
  let bearer: string | undefined;
  if (opts.acceptBearer && src.authorization) {
    const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(src.authorization);
    if (m) bearer = m[1];
  }
  if (cookie && bearer && cookie !== bearer) throw new SsoRefusal('SG_TOKEN_AMBIGUOUS');
  if (cookie) return { token: cookie, from: 'cookie' };
  if (bearer) return { token: bearer, from: 'bearer' };
  return undefined;
}
