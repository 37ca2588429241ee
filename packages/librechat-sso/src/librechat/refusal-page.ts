/**
 * PLACEHOLDER until the styled renderer lands (same exports): the page that tells a refused
 * person why. Pure; every value escaped.
 */
export interface RefusalPageInput {
  deploymentName: string;
  heading: string;
  sentence: string;
  whatToDo: string;
  mainSiteUrl: string;
  helpUrl?: string;
  retryUrl?: string;
  code: string;
  lang?: string;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderRefusalPage(i: RefusalPageInput): string {
  return `<!doctype html><html lang="${esc(i.lang ?? 'en')}"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(i.heading)} · ${esc(i.deploymentName)}</title>
<body><main><h1>${esc(i.heading)}</h1><p>${esc(i.sentence)}</p><p>${esc(i.whatToDo)}</p>
<p><a href="${esc(i.mainSiteUrl)}">Go to the main site</a>${i.retryUrl ? ` · <a href="${esc(i.retryUrl)}">Try again</a>` : ''}${i.helpUrl ? ` · <a href="${esc(i.helpUrl)}">Get help</a>` : ''}</p>
<p><small>${esc(i.deploymentName)} · ${esc(i.code)}</small></p></main></body></html>`;
}

export const REFUSAL_TEXTS: Record<string, { heading: string; sentence: string; whatToDo: string }> = {
  GENERIC: { heading: 'We could not sign you in', sentence: 'Something about your sign-in is not right.', whatToDo: 'Sign in on the main site again, or ask for help.' },
};
