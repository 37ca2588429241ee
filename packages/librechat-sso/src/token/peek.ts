/**
 * What an unverified token says about whom it names, for audit lines only: the `iss` and `sub`
 * of its payload, cut short. Never used to decide anything; every field is marked unverified by
 * whoever logs it. Never throws.
 */
export function peekSubject(token: string | undefined): { iss?: string; sub?: string } | undefined {
  if (typeof token !== 'string' || token.length > 65536) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return undefined;
  try {
    const p = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const cut = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 128) : undefined);
    const out = { iss: cut(p.iss), sub: cut(p.sub) };
    return out.iss || out.sub ? out : undefined;
  } catch {
    return undefined;
  }
}
