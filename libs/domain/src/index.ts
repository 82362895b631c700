import type { EventDraft } from '@licensing/events';

/**
 * The vocabulary every service's domain code shares. No framework, no I/O: domain functions
 * take a state and 'now' and return a decision or a refusal; the edges turn them into writes,
 * events and HTTP answers.
 */

/**
 * An expected business refusal: a stable code (`CONTEXT.REASON`) and a message for people.
 * `kind` says what the caller did wrong; the HTTP edge maps it to a status.
 */
export interface Refusal {
  refused: true;
  kind: 'invalid' | 'not-found' | 'conflict' | 'unprocessable';
  code: string;
  message: string;
  details?: unknown;
}

export const refuse = (kind: Refusal['kind'], code: string, message: string, details?: unknown): Refusal => ({
  refused: true,
  kind,
  code,
  message,
  ...(details === undefined ? {} : { details }),
});

export const isRefusal = (value: unknown): value is Refusal => typeof value === 'object' && value !== null && (value as Refusal).refused === true;

/**
 * What a command decides about one aggregate. Without `state` nothing is written (a refusal or
 * a no-op). The version convention: an aggregate's `version` counts its saved changes, from 1
 * for the first; events that carry a version carry the one this write gives the aggregate.
 */
export interface Decision<S, R> {
  state?: S;
  events?: EventDraft[];
  result: R;
}

/**
 * The one partner-id rule of every service (HTTP paths, tokens, what a pool or a wallet is
 * keyed by): a letter or digit, then letters, digits, dot, underscore or dash; 1–100 in all. So
 * `..` or `-x` can never name a pool that nobody can read.
 */
export const PARTNER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const isPartnerId = (value: unknown): value is string => typeof value === 'string' && PARTNER_ID_PATTERN.test(value);
