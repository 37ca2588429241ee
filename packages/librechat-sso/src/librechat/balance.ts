import { existsSync, readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { ShinegoldConfig } from '../config/schema';
import type { Env } from './environment';

/**
 * Whether LibreChat keeps balances at all, read as LibreChat v0.8.7 reads it: the `balance:`
 * section of librechat.yaml when there is one (`enabled` defaults to false there), else the
 * legacy CHECK_BALANCE variable (data-schemas AppService, packages/api getBalanceConfig).
 * With balances off LibreChat neither checks nor debits them, so the credits sync has no effect.
 *
 * librechat.yaml's `balance:` is one setting for everyone: LibreChat v0.8.7 has no per-role
 * balance in the file (per-role values exist only as its admin panel's stored config overrides,
 * which the add-on does not write; docs/credits.md).
 */
export interface LibreChatBalance {
  enabled: boolean;
  /** Where the answer came from. */
  source: 'librechat.yaml balance.enabled' | 'CHECK_BALANCE' | 'default';
  autoRefill: boolean;
  startBalance?: number;
}

export function readLibreChatBalance(path: string, env: Env): LibreChatBalance {
  let doc: Record<string, any> | undefined;
  try {
    doc = existsSync(path) ? (yaml.load(readFileSync(path, 'utf8')) as Record<string, any>) : undefined;
  } catch {
    doc = undefined; // an unreadable file is reported by the section's own check
  }
  const b = doc && typeof doc.balance === 'object' && doc.balance !== null ? (doc.balance as Record<string, unknown>) : undefined;
  if (b) {
    return {
      enabled: b.enabled === true,
      source: 'librechat.yaml balance.enabled',
      autoRefill: b.autoRefillEnabled === true,
      ...(typeof b.startBalance === 'number' ? { startBalance: b.startBalance } : {}),
    };
  }
  const legacy = env.CHECK_BALANCE?.trim().toLowerCase() === 'true';
  const start = env.START_BALANCE ? parseInt(env.START_BALANCE, 10) : NaN;
  return { enabled: legacy, source: env.CHECK_BALANCE !== undefined ? 'CHECK_BALANCE' : 'default', autoRefill: false, ...(Number.isFinite(start) ? { startBalance: start } : {}) };
}

/** Warnings for a credits section LibreChat's balance settings make pointless or surprising. */
export function creditsWarnings(config: Pick<ShinegoldConfig, 'credits'>, balance: LibreChatBalance): string[] {
  if (!config.credits) return [];
  const out: string[] = [];
  if (!balance.enabled) {
    const why = balance.source === 'default' ? "librechat.yaml has no balance: section (and CHECK_BALANCE is not true)" : balance.source === 'CHECK_BALANCE' ? 'CHECK_BALANCE is not true and librechat.yaml has no balance: section' : 'balance.enabled is not true in librechat.yaml';
    out.push(`shinegold.credits is set but LibreChat's balance is off (${why}): the credits sync writes balances LibreChat never checks or debits, so it has no effect. Set balance: { enabled: true } in librechat.yaml.`);
  } else if (balance.autoRefill) {
    out.push("shinegold.credits is set and LibreChat's balance.autoRefillEnabled is true: LibreChat then adds refillAmount on its own schedule on top of the main site's points, until the next set. Turn auto-refill off if the main site's points are the whole balance.");
  }
  return out;
}
