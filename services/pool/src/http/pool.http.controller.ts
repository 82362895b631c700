import { errorResponses, requirePartnerAccess } from '@licensing/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LedgerMovement } from '../domain/ledger';
import type { PurchaseOrder } from '../domain/pool.aggregate';
import type { PoolService } from '../pool.service';
import * as s from './pool.schemas';

type PartnerParams = { partnerId: string };

/** A partner's token reaches only its own pool; support reads any pool and changes nothing. Checked on
 * request, before the body is validated: a stranger learns nothing about the body. */
const access = (mode: 'read' | 'write') => async (request: FastifyRequest) =>
  requirePartnerAccess(request.principal, (request.params as PartnerParams).partnerId, mode);

const readErrors = errorResponses(400, 401, 403, 404);
const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415);

const movementView = ({ _id, partnerId: _p, index: _i, at, ...m }: LedgerMovement) => ({ id: _id, ...m, at: at.toISOString() });

export function registerPoolRoutes(app: FastifyInstance, pool: PoolService): void {
  app.post(
    '/partners/:partnerId/pool/purchases',
    {
      onRequest: access('write'),
      schema: {
        tags: ['pool'],
        summary: 'Buy licenses into the pool (P2); taken once per orderId',
        description:
          '201 when the order adds stock; 200 with duplicate true when the same order was taken before; 409 POOL.ORDER_CONFLICT for the same orderId with other lines.',
        params: s.partnerParams,
        body: s.purchaseBody,
        response: { 200: s.purchaseSchema, 201: s.purchaseSchema, ...writeErrors },
      },
    },
    async (request, reply) => {
      const answer = await pool.purchase((request.params as PartnerParams).partnerId, request.body as PurchaseOrder, request.id);
      return reply.status(answer.duplicate ? 200 : 201).send(answer);
    },
  );

  app.get(
    '/partners/:partnerId/pool',
    {
      onRequest: access('read'),
      schema: {
        tags: ['pool'],
        summary: 'The stock per sku and term (available, reserved, assigned), thresholds and open reservations; with asOf, the stock at that time',
        params: s.partnerParams,
        querystring: s.poolQuery,
        response: { 200: s.poolOrAsOfSchema, ...readErrors },
      },
    },
    async (request) => {
      const { partnerId } = request.params as PartnerParams;
      const { asOf } = request.query as { asOf?: string };
      return asOf === undefined ? pool.getPool(partnerId) : pool.stockAsOf(partnerId, new Date(asOf));
    },
  );

  app.get(
    '/partners/:partnerId/pool/movements',
    {
      onRequest: access('read'),
      schema: {
        tags: ['pool'],
        summary: 'The movement ledger (P4): every change with its reason, reference, correlation id and time, oldest first',
        params: s.partnerParams,
        querystring: s.movementsQuery,
        response: { 200: s.movementPageSchema, ...readErrors },
      },
    },
    async (request) => {
      const { partnerId } = request.params as PartnerParams;
      const q = request.query as { sku?: string; from?: string; to?: string; limit: number; cursor?: string };
      const page = await pool.movements(partnerId, {
        sku: q.sku,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: q.limit,
        cursor: q.cursor,
      });
      return { items: page.items.map(movementView), nextCursor: page.nextCursor };
    },
  );

  app.put(
    '/partners/:partnerId/pool/thresholds/:sku',
    {
      onRequest: access('write'),
      schema: {
        tags: ['pool'],
        summary: 'Set the low-stock threshold of a sku (all terms together)',
        params: s.thresholdParams,
        body: s.thresholdBody,
        response: { 200: s.poolSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { partnerId, sku } = request.params as PartnerParams & { sku: string };
      return pool.setThreshold(partnerId, sku, (request.body as { threshold: number }).threshold, request.id);
    },
  );

  app.delete(
    '/partners/:partnerId/pool/thresholds/:sku',
    {
      onRequest: access('write'),
      schema: {
        tags: ['pool'],
        summary: 'Remove the low-stock threshold of a sku',
        params: s.thresholdParams,
        response: { 200: s.poolSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { partnerId, sku } = request.params as PartnerParams & { sku: string };
      return pool.setThreshold(partnerId, sku, null, request.id);
    },
  );
}
