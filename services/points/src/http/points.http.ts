import { errorResponses } from '@licensing/platform';
import type { FastifyReply } from 'fastify';
import type { ExchangeView } from '../points.views';

/** What the points routes share in their OpenAPI description. */
export const readErrors = errorResponses(400, 401, 403, 404);
export const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415, 422);

/** `Prefer: wait=N` (RFC 7240), capped; 0 when absent. */
export function preferredWaitMs(prefer: string | undefined, maxSeconds: number): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer ?? '');
  return match?.[1] ? Math.min(Number(match[1]), maxSeconds) * 1000 : 0;
}

const locationOf = (e: ExchangeView) => `/partners/${encodeURIComponent(e.partnerId)}/points/exchanges/${e.exchangeId}`;

/** 200 once final, `pendingStatus` while pending, with Location to poll; Preference-Applied when a wait was honoured. */
export function answerExchange<E extends ExchangeView>(reply: FastifyReply, exchange: E, waitMs: number, pendingStatus: 200 | 202): E {
  if (waitMs > 0) reply.header('preference-applied', `wait=${waitMs / 1000}`);
  reply.header('location', locationOf(exchange));
  reply.status(exchange.status === 'pending' ? pendingStatus : 200);
  return exchange;
}
