import type { FastifyReply } from 'fastify';

/** `Prefer: wait=N` (RFC 7240) in milliseconds, capped at `maxSeconds`; 0 when absent. */
export function preferredWaitMs(prefer: string | undefined, maxSeconds: number): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer ?? '');
  return match?.[1] ? Math.min(Number(match[1]), maxSeconds) * 1000 : 0;
}

/**
 * The answer of a long-running operation (a saga): 200 once it is final, `pendingStatus` while
 * it is not, with `Location` to poll, and `Preference-Applied` when a wait was honoured.
 */
export function answerOperation<T>(
  reply: FastifyReply,
  body: T,
  op: { pending: boolean; location: string; waitMs: number; pendingStatus: 200 | 202 },
): T {
  if (op.waitMs > 0) reply.header('preference-applied', `wait=${op.waitMs / 1000}`);
  reply.header('location', op.location);
  reply.status(op.pending ? op.pendingStatus : 200);
  return body;
}
