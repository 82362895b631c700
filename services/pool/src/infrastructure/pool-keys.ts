import type { StockLine } from '@licensing/events';
import { digestOf, type OnceCheck } from '@licensing/persistence';
import type { AssignmentOutcome, PastUse } from '../domain/pool.aggregate';
import { mergeLines } from '../domain/stock-rules';

/** The collection of every business id a pool used (DESIGN §4: once, ever), beside the pools' windows. */
export const POOL_KEYS = 'pool_keys';

/** A business id, scoped to its partner's pool: an order, an assignment, a credit (`source/creditId`). */
export const poolKey = {
  order: (partnerId: string, orderId: string) => `${partnerId}/order/${orderId}`,
  assignment: (partnerId: string, assignmentId: string) => `${partnerId}/assignment/${assignmentId}`,
  credit: (partnerId: string, source: string, creditId: string) => `${partnerId}/credit/${source}/${creditId}`,
};

/** The body an assignment id stands for: the client and the merged lines. */
export const assignmentDigest = (clientId: string, lines: readonly StockLine[]): string => digestOf({ clientId, lines: mergeLines(lines) });

/** The body a credit key stands for: its merged lines. */
export const creditDigest = (lines: readonly StockLine[]): string => digestOf(mergeLines(lines));

/** What domain code is told of an id the records know (undefined: they do not). */
export const pastUse = <O>(check: OnceCheck<O>): PastUse<O> | undefined =>
  check.seen ? { sameBody: check.sameBody, outcome: check.outcome } : undefined;

export type { AssignmentOutcome };
