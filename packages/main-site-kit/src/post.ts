import type { KitOptions } from './types';

/** POSTs one signed token to a chat endpoint as a form field (how chat's signed endpoints take them). */
export function postToken(opts: KitOptions, path: string, field: string, token: string): Promise<Response> {
  const f = opts.fetch ?? fetch;
  return f(new URL(path, opts.chatOrigin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ [field]: token }).toString(),
  });
}
