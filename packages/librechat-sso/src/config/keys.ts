import { createPublicKey, KeyObject } from 'node:crypto';
import { ASYMMETRIC_ALGS, HMAC_ALGS, HMAC_MIN_BYTES, KeySource } from './schema';

/**
 * A provider's key material, from the environment (LibreChat keeps secrets in `.env`): exactly
 * one of `<PREFIX>_JWT_SECRET` (HS, with `_PREVIOUS` for rotation), `<PREFIX>_JWT_PUBLIC_KEY`
 * (one or more PEM blocks) or `<PREFIX>_JWKS_URI`; each may instead be read from a file named by
 * `<NAME>_FILE`. Problems are sentences; a secret is described by its length only, and a URI is
 * never repeated (it may carry credentials).
 */
export type Env = Record<string, string | undefined>;

export interface KeyInputs {
  where: string;
  prefix: string;
  env: Env;
  readFile: (path: string) => string;
  jwks: { cacheSeconds: number; cooldownSeconds: number; timeoutMs: number };
  insecureAllowHttpJwks: boolean;
}

export interface KeyResult {
  keys?: KeySource;
  /** The algorithms the key material can verify. */
  allowed: string[];
  problems: string[];
}

function envValue(problems: string[], env: Env, name: string, readFile: (p: string) => string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) {
    problems.push(`Both ${name} and ${name}_FILE are set; set only one.`);
    return undefined;
  }
  if (file) {
    try {
      return readFile(file).trim();
    } catch (e) {
      problems.push(`${name}_FILE names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}).`);
      return undefined;
    }
  }
  return direct && direct.trim() !== '' ? direct : undefined;
}

/** Splits a string holding one or more PEM blocks. */
export function splitPems(text: string): string[] {
  const blocks = text.replace(/\\n/g, '\n').match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g);
  return blocks ?? [];
}

/** The algorithms a public key can verify, from its type and curve. */
export function algorithmsForPublicKey(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      return [];
    }
    case 'ed25519':
    case 'ed448':
      return ['EdDSA'];
    default:
      return [];
  }
}

const pemLike = (s: string) => /-----BEGIN /.test(s);

export function providerKeys(i: KeyInputs): KeyResult {
  const { where, prefix, env, readFile } = i;
  const problems: string[] = [];
  const secret = envValue(problems, env, `${prefix}_JWT_SECRET`, readFile);
  const previous = envValue(problems, env, `${prefix}_JWT_SECRET_PREVIOUS`, readFile);
  const pemText = envValue(problems, env, `${prefix}_JWT_PUBLIC_KEY`, readFile);
  const jwksUri = envValue(problems, env, `${prefix}_JWKS_URI`, readFile);
  const kinds = [secret && 'secret', pemText && 'public key', jwksUri && 'JWKS URI'].filter(Boolean);
  if (kinds.length === 0) {
    if (problems.length === 0) {
      problems.push(
        `${where} has no key: set exactly one of ${prefix}_JWT_SECRET (HS256/384/512), ${prefix}_JWT_PUBLIC_KEY (PEM) or ${prefix}_JWKS_URI in the environment.`,
      );
    }
    return { allowed: [], problems };
  }
  if (kinds.length > 1) {
    problems.push(`${where} has more than one kind of key (${kinds.join(' and ')}); set exactly one.`);
    return { allowed: [], problems };
  }
  if (secret) {
    const secrets = [secret, ...(previous ? [previous] : [])].map((s) => Buffer.from(s, 'utf8'));
    const shortest = Math.min(...secrets.map((s) => s.length));
    const allowed = HMAC_ALGS.filter((a) => shortest >= HMAC_MIN_BYTES[a]);
    if (allowed.length === 0) {
      problems.push(`${prefix}_JWT_SECRET${previous ? ' (or _PREVIOUS)' : ''} is ${shortest} bytes long; an HMAC key must be at least 32 bytes (HS256).`);
    }
    if (pemLike(secret)) problems.push(`${prefix}_JWT_SECRET looks like a PEM key; public keys go in ${prefix}_JWT_PUBLIC_KEY.`);
    return { keys: { kind: 'secret', secrets }, allowed: [...allowed], problems };
  }
  if (pemText) {
    const pems = splitPems(pemText);
    if (pems.length === 0) {
      problems.push(`${prefix}_JWT_PUBLIC_KEY does not contain a PEM block (-----BEGIN PUBLIC KEY-----...).`);
      return { allowed: [], problems };
    }
    let allowed: string[] = [];
    pems.forEach((pem, n) => {
      if (/PRIVATE KEY/.test(pem)) {
        problems.push(`${prefix}_JWT_PUBLIC_KEY block ${n + 1} is a private key; give chat the public key only.`);
        return;
      }
      try {
        const algs = algorithmsForPublicKey(createPublicKey(pem));
        if (algs.length === 0) problems.push(`${prefix}_JWT_PUBLIC_KEY block ${n + 1} is a key type JWT cannot use.`);
        allowed = [...new Set([...allowed, ...algs])];
      } catch (e) {
        problems.push(`${prefix}_JWT_PUBLIC_KEY block ${n + 1} is not a valid public key (${(e as Error).message}).`);
      }
    });
    return { keys: { kind: 'pem', pems }, allowed, problems };
  }
  let url: URL | undefined;
  try {
    url = new URL(jwksUri!);
  } catch {
    problems.push(`${prefix}_JWKS_URI is not a URL.`);
  }
  if (url && url.protocol !== 'https:' && !(i.insecureAllowHttpJwks && url.protocol === 'http:')) {
    problems.push(`${prefix}_JWKS_URI must use https (got ${url.protocol}//); set ${where}.insecureAllowHttpJwks: true only for a trusted local network.`);
  }
  return {
    keys: {
      kind: 'jwks',
      uri: jwksUri!,
      cacheMaxAgeMs: i.jwks.cacheSeconds * 1000,
      cooldownMs: i.jwks.cooldownSeconds * 1000,
      timeoutMs: i.jwks.timeoutMs,
    },
    allowed: [...ASYMMETRIC_ALGS],
    problems,
  };
}
