import { once } from 'node:events';
import type { Request, Response, Router } from 'express';
import { withDeadline } from '../deadline';
import { createUsage, UsageAnswer } from '../credits/usage-request';
import type { ShinegoldSSO } from '../index';

/**
 * `POST /api/auth/sso/usage` (mounted under LibreChat's /api/auth, next to the lifecycle
 * endpoint): the main site's signed `usage_token`, as a form field or in a JSON body. Answers
 * 200 with the rows streamed (NDJSON or CSV, `no-store`), or 400/503 JSON `{ ok: false, code }`.
 * The answer starts within the deadline; the rows then stream at the client's pace.
 */
export function createUsageRouter(sso: ShinegoldSSO): Router {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const express = require('express');
  const usage = createUsage({ verifier: sso.verifier, store: sso.store, audit: sso.audit, clock: sso.clock });
  const router: Router = express.Router();
  const parse = (parser: Function) => (req: Request, res: Response, next: (err?: unknown) => void) =>
    parser(req, res, (err?: unknown) => (err ? res.status(400).set('Cache-Control', 'no-store').json({ ok: false, error: 'invalid_request', code: 'SG_USAGE_TOKEN_INVALID' }) : next()));
  router.post('/sso/usage', parse(express.urlencoded({ extended: false, limit: '32kb' })), parse(express.json({ limit: '32kb' })), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const answer = await withDeadline(usage.handle(req.body?.usage_token)).catch(
      (e: { code?: string }): UsageAnswer => ({ status: 503, body: { ok: false, error: 'temporarily_unavailable', code: e?.code ?? 'SG_DB_UNAVAILABLE' } }),
    );
    if (answer.status !== 200) {
      if (answer.status === 503) res.set('Retry-After', '5');
      return res.status(answer.status).json(answer.body);
    }
    res.status(200).set('Content-Type', answer.contentType);
    try {
      for await (const line of answer.lines) {
        if (res.destroyed) break;
        if (!res.write(line)) await once(res, 'drain');
      }
      res.end();
    } catch {
      res.destroy(); // a cut CSV: the client sees the stream end without its last rows
    }
  });
  return router;
}
