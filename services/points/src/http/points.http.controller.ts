import { correlationIdOf, errorResponses, requirePartnerAccess, requireRole, Roles } from '@licensing/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestedLine } from '../domain/pricing';
import type { ExchangeView, PointsService } from '../points.service';
import * as s from './points.schemas';

type PartnerParams = { partnerId: string };
type ExchangeParams = PartnerParams & { exchangeId: string };

const partnerOf = (request: FastifyRequest) => (request.params as PartnerParams).partnerId;

// Hooks must be async functions: Fastify waits for a callback from a sync one. Access checks run
// onRequest (before body validation) except the exchange, whose rule depends on the parsed query.
const pointsAdmin = async (request: FastifyRequest) => requireRole(request.principal, Roles.pointsAdmin);
const reader = async (request: FastifyRequest) => requirePartnerAccess(request.principal, partnerOf(request), 'read', Roles.pointsAdmin);
const owner = async (request: FastifyRequest) => requirePartnerAccess(request.principal, partnerOf(request), 'write');
/** A quote changes nothing, so whoever may read the wallet may ask for one. */
const exchanger = async (request: FastifyRequest) => ((request.query as { dryRun?: boolean }).dryRun ? reader(request) : owner(request));

const readErrors = errorResponses(400, 401, 403, 404);
const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415, 422);

/** `Prefer: wait=N` (RFC 7240), capped; 0 when absent. */
export function preferredWaitMs(prefer: string | undefined, maxSeconds: number): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer ?? '');
  return match?.[1] ? Math.min(Number(match[1]), maxSeconds) * 1000 : 0;
}

const locationOf = (e: ExchangeView) => `/partners/${encodeURIComponent(e.partnerId)}/points/exchanges/${e.exchangeId}`;

/** 200 once final, 202 while pending (with Location to poll); Preference-Applied when a wait was honoured. */
function sendExchange(
  reply: FastifyReply,
  exchange: ExchangeView & { warnings?: unknown[] },
  waitMs: number,
  finalStatus: number,
  pendingStatus: number,
) {
  if (waitMs > 0) reply.header('preference-applied', `wait=${waitMs / 1000}`);
  reply.header('location', locationOf(exchange));
  return reply.status(exchange.status === 'pending' ? pendingStatus : finalStatus).send(exchange);
}

export function registerPointsRoutes(app: FastifyInstance, points: PointsService, options: { maxWaitSeconds: number }): void {
  app.get(
    '/partners/:partnerId/points',
    {
      onRequest: reader,
      schema: {
        tags: ['wallet'],
        summary: "A partner's wallet: enrolment, balance, monthly licenses",
        params: s.partnerParams,
        response: { 200: s.walletSchema, ...readErrors },
      },
    },
    async (request) => points.getWallet(partnerOf(request)),
  );

  app.put(
    '/partners/:partnerId/points/enrolment',
    {
      onRequest: pointsAdmin,
      schema: {
        tags: ['wallet'],
        summary: 'Enrol a partner in the MSSP Points programme, or take it out (points-admin)',
        description: 'Idempotent. Leaving keeps the balance frozen: no credits, no exchanges, monthly licenses lapse at the next renewal.',
        params: s.partnerParams,
        body: s.enrolmentBody,
        response: { 200: s.walletSchema, ...writeErrors },
      },
    },
    async (request) => points.setEnrolment(partnerOf(request), (request.body as { enrolled: boolean }).enrolled, correlationIdOf(request)),
  );

  app.post(
    '/partners/:partnerId/points/credits',
    {
      onRequest: pointsAdmin,
      schema: {
        tags: ['wallet'],
        summary: 'Credit points bought or granted (points-admin)',
        description: 'Once per Idempotency-Key: a replay answers 200 with the wallet as it is and `idempotent-replayed: true`.',
        params: s.partnerParams,
        headers: s.creditHeaders,
        body: s.creditBody,
        response: { 201: s.walletSchema, 200: s.walletSchema, ...writeErrors },
      },
    },
    async (request, reply) => {
      const body = request.body as { amount: number; reason: string };
      const creditId = (request.headers as Record<string, string>)['idempotency-key'] as string;
      const { wallet, replayed } = await points.credit(
        partnerOf(request),
        { creditId, amount: body.amount, reason: body.reason },
        correlationIdOf(request),
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(replayed ? 200 : 201).send(wallet);
    },
  );

  app.post(
    '/partners/:partnerId/points/exchanges',
    {
      preHandler: exchanger,
      schema: {
        tags: ['exchanges'],
        summary: 'MSSP Command: exchange points for monthly licenses in the pool, or quote it (?dryRun=true)',
        description:
          'Debits the wallet and asks the pool to credit the licenses (term 1). Answers 202 with Location while pending, 200 once completed or refunded. ' +
          '`Prefer: wait=N` waits up to N seconds for the final state. With ?dryRun=true answers {cost, balanceAfter} and changes nothing.',
        params: s.partnerParams,
        querystring: s.exchangeQuery,
        headers: s.exchangeHeaders,
        body: s.exchangeBody,
        response: {
          200: { ...s.exchangeSchema, properties: { ...s.exchangeSchema.properties, ...s.quoteSchema.properties } },
          202: s.exchangeSchema,
          ...writeErrors,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { lines } = request.body as { lines: RequestedLine[] };
      const headers = request.headers as Record<string, string | undefined>;
      if ((request.query as { dryRun: boolean }).dryRun) return reply.status(200).send(await points.quote(partnerId, lines));
      const { exchange, warnings, replayed } = await points.requestExchange(
        partnerId,
        lines,
        headers['idempotency-key'] ?? null,
        correlationIdOf(request),
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      const waitMs = preferredWaitMs(headers.prefer, options.maxWaitSeconds);
      const current = waitMs > 0 && exchange.status === 'pending' ? await points.waitForExchange(partnerId, exchange.exchangeId, waitMs) : exchange;
      return sendExchange(reply, { ...current, warnings }, waitMs, 200, 202);
    },
  );

  app.get(
    '/partners/:partnerId/points/exchanges/:exchangeId',
    {
      onRequest: reader,
      schema: {
        tags: ['exchanges'],
        summary: 'An exchange and its state (pending, completed, refunded)',
        description: 'Answers 200 with the exchange in any state. `Prefer: wait=N` waits up to N seconds for a final state first.',
        params: s.exchangeParams,
        headers: s.preferHeaders,
        response: { 200: s.exchangeSchema, ...readErrors },
      },
    },
    async (request, reply) => {
      const { partnerId, exchangeId } = request.params as ExchangeParams;
      const waitMs = preferredWaitMs((request.headers as Record<string, string | undefined>).prefer, options.maxWaitSeconds);
      const exchange = waitMs > 0 ? await points.waitForExchange(partnerId, exchangeId, waitMs) : await points.getExchange(partnerId, exchangeId);
      return sendExchange(reply, exchange, waitMs, 200, 200);
    },
  );

  app.get(
    '/partners/:partnerId/points/ledger',
    {
      onRequest: reader,
      schema: {
        tags: ['wallet'],
        summary: 'Every credit, debit, refund and renewal, newest first, paginated by cursor',
        description: 'A projection of the wallet events (eventually consistent, usually within a second). The sum of all amounts is the balance.',
        params: s.partnerParams,
        querystring: s.ledgerQuery,
        response: { 200: s.ledgerSchema, ...readErrors },
      },
    },
    async (request) => {
      const query = request.query as { limit: number; before?: number };
      const page = await points.ledger(partnerOf(request), query.limit, query.before);
      return { items: page.items.map(({ _id, ...entry }) => ({ entryId: _id, ...entry })), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/points/renewals',
    {
      onRequest: pointsAdmin,
      schema: {
        tags: ['renewals'],
        summary: 'Run the monthly renewal (M4) for a month now (points-admin); it also runs by itself on the 1st',
        description: 'Safe to repeat: licenses already paid for the month are not debited again. The current or the next month only.',
        body: s.renewalBody,
        response: { 200: s.renewalSummarySchema, ...writeErrors },
      },
    },
    async (request) => points.renewMonth((request.body as { month: string }).month, correlationIdOf(request)),
  );
}
