import { answerOperation, errorResponses } from '@licensing/platform';

import type { FastifyReply } from 'fastify';
import type { ExchangeView } from '../points.views';

/** What the points routes share in their OpenAPI description. */
export const readErrors = errorResponses(400, 401, 403, 404);
export const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415, 422);

const locationOf = (e: ExchangeView) => `/partners/${encodeURIComponent(e.partnerId)}/points/exchanges/${e.exchangeId}`;

/** 200 once final, `pendingStatus` while pending, with Location to poll; Preference-Applied when a wait was honoured. */
export function answerExchange<E extends ExchangeView>(reply: FastifyReply, exchange: E, waitMs: number, pendingStatus: 200 | 202): E {
  return answerOperation(reply, exchange, { pending: exchange.status === 'pending', location: locationOf(exchange), waitMs, pendingStatus });
}
