import { createPublicKey, KeyObject } from 'node:crypto';
import type { ProviderConfig } from '../config/schema';
import { HMAC_ALGS, HMAC_MIN_BYTES } from '../config/schema';
import { algorithmsForPublicKey } from '../config/keys';
import { fail, Finding, ok, warn } from './finding';

/**
 * Static key material of one provider: HMAC secrets and PEM public keys (a JWKS is checked by
 * `checkJwks`). Secrets are described by length only, never shown.
 */
export function checkStaticKeys(provider: ProviderConfig, env: Record<string, string | undefined>): Finding[] {
  if (provider.keys.kind === 'secret') return checkSecrets(provider, provider.keys.secrets, env);
  if (provider.keys.kind === 'pem') return checkPems(provider, provider.keys.pems);
  return [];
}

/** A short description of a public key (type, size or curve) for messages. */
export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `${key.asymmetricKeyType.toUpperCase()} ${d.modulusLength} bits`;
  if (key.asymmetricKeyType === 'ec') return `EC ${d.namedCurve}`;
  return String(key.asymmetricKeyType);
}

/** RSA below 2048 bits is breakable in practice (NIST SP 800-131A disallows it since 2013). */
export const RSA_MIN_BITS = 2048;

/** Findings about one public key against the provider's allowlist; `label` names it. */
export function checkPublicKey(provider: ProviderConfig, key: KeyObject, label: string, id: string): Finding[] {
  const out: Finding[] = [];
  const algs = algorithmsForPublicKey(key);
  const usable = algs.filter((a) => provider.algorithms.includes(a));
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < RSA_MIN_BITS) {
    out.push(fail(id, `${label} is an RSA key of ${bits} bits.`, `Have the main site sign with an RSA key of at least ${RSA_MIN_BITS} bits (or EC P-256 / Ed25519) and publish its public key.`));
  }
  if (usable.length === 0) {
    out.push(
      warn(
        id,
        `${label} (${describeKey(key)}) can verify ${algs.join(', ') || 'no JWT algorithm'}, none of which provider ${provider.name} allows (${provider.algorithms.join(', ')}); tokens signed with it are refused.`,
        `Remove this key, or add its algorithm to providers[${provider.name}].algorithms if the main site really signs with it.`,
      ),
    );
  } else if (out.length === 0) {
    out.push(ok(id, `${label} (${describeKey(key)}) verifies ${usable.join(', ')}.`));
  }
  return out;
}

function checkSecrets(provider: ProviderConfig, secrets: readonly Buffer[], env: Record<string, string | undefined>): Finding[] {
  const out: Finding[] = [];
  const names = [`${provider.envPrefix}_JWT_SECRET`, `${provider.envPrefix}_JWT_SECRET_PREVIOUS`];
  secrets.forEach((s, i) => {
    const id = `keys.${provider.name}.secret`;
    const allows = HMAC_ALGS.filter((a) => s.length >= HMAC_MIN_BYTES[a]);
    const tooShort = provider.algorithms.filter((a) => s.length < (HMAC_MIN_BYTES[a] ?? 0));
    if (allows.length === 0 || tooShort.length > 0) {
      out.push(
        fail(id, `${names[i]} is ${s.length} bytes; ${tooShort.join(', ') || 'HS256'} needs at least ${HMAC_MIN_BYTES[tooShort[0] ?? 'HS256']} bytes.`,
          `Generate a new secret with \`openssl rand -base64 48\`, set it on the main site and in chat (rotate with ${names[1]}).`),
      );
    } else if (new Set(s).size < 8) {
      out.push(warn(id, `${names[i]} is ${s.length} bytes but uses fewer than 8 distinct characters; it is probably not random.`, 'Generate the secret with `openssl rand -base64 48` instead of typing one.'));
    } else {
      out.push(ok(id, `${names[i]} is ${s.length} bytes; it allows ${allows.join(', ')} (provider ${provider.name} accepts ${provider.algorithms.join(', ')}).`));
    }
    // Sharing LibreChat's own signing secrets would let a main-site token pass as a chat session and back.
    for (const own of ['JWT_SECRET', 'JWT_REFRESH_SECRET']) {
      if (env[own] && Buffer.from(env[own]!, 'utf8').equals(s)) {
        out.push(fail(`keys.${provider.name}.secret-reuse`, `${names[i]} is the same as LibreChat's ${own}.`, `Give the main site its own secret; LibreChat's ${own} must stay known to LibreChat only.`));
      }
    }
  });
  if (secrets.length > 1) {
    out.push(
      warn(`keys.${provider.name}.rotation`, `${names[1]} is set: tokens signed with the previous secret are still accepted.`,
        `Remove ${names[1]} once the rotation is over (after the longest token lifetime, at most maxTokenAgeSeconds = ${provider.maxTokenAgeSec}).`),
    );
  }
  return out;
}

function checkPems(provider: ProviderConfig, pems: readonly string[]): Finding[] {
  const out: Finding[] = [];
  let usable = 0;
  pems.forEach((pem, i) => {
    const id = `keys.${provider.name}.pem`;
    const label = `${provider.envPrefix}_JWT_PUBLIC_KEY block ${i + 1}`;
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (e) {
      out.push(fail(id, `${label} does not parse (${(e as Error).message}).`, 'Paste the public key exactly as exported (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----).'));
      return;
    }
    const found = checkPublicKey(provider, key, label, id);
    if (found.every((f) => f.status === 'ok')) usable++;
    out.push(...found);
  });
  if (usable === 0) {
    out.push(fail(`keys.${provider.name}.usable`, `No public key of provider ${provider.name} can verify a token it accepts.`, `Set ${provider.envPrefix}_JWT_PUBLIC_KEY to the public key the main site signs with, and its algorithm in providers[${provider.name}].algorithms.`));
  }
  return out;
}
