import { allEventSchemas, contextOf, dataschemaOf, topicOf } from '@licensing/events';
import { Authenticator, createHttpApp, createLogger, Metrics } from '@licensing/platform';
import type { FastifyInstance } from 'fastify';
import envelopeSchema from '../libs/events/src/envelope.schema.json';
import { CATALOG_API_DESCRIPTION } from '../services/catalog/src/catalog.app';
import { registerCatalogRoutes } from '../services/catalog/src/http/catalog.http.controller';
import { registerPointsRoutes } from '../services/points/src/http/points.http.controller';
import { POINTS_API_DESCRIPTION } from '../services/points/src/points.app';
import { registerPoolRoutes } from '../services/pool/src/http/pool.http.controller';
import { POOL_API_DESCRIPTION } from '../services/pool/src/pool.app';

type Register = (app: FastifyInstance) => void;

/** Each service's routes, registered on the shared HTTP edge without any connection. */
const services: Record<string, { description: string; register: Register }> = {
  catalog: { description: CATALOG_API_DESCRIPTION, register: (app) => registerCatalogRoutes(app, undefined as never) },
  pool: { description: POOL_API_DESCRIPTION, register: (app) => registerPoolRoutes(app, undefined as never) },
  points: { description: POINTS_API_DESCRIPTION, register: (app) => registerPointsRoutes(app, undefined as never, { maxWaitSeconds: 20 }) },
};

export async function openApiDocuments(): Promise<Record<string, unknown>> {
  const documents: Record<string, unknown> = {};
  for (const [service, { description, register }] of Object.entries(services)) {
    const app = await createHttpApp({
      service,
      description,
      logger: createLogger(service, 'silent'),
      metrics: new Metrics(service),
      authenticator: new Authenticator({ secret: 'x'.repeat(32), issuer: 'licensing', audience: 'licensing-api' }),
      readiness: {},
    });
    register(app);
    await app.ready();
    documents[service] = app.swagger();
    await app.close();
  }
  return documents;
}

/** The event catalog: one channel per topic, one message per event type and version. */
export function asyncApiDocument(): Record<string, unknown> {
  const byContext = new Map<string, { type: string; schema: Record<string, unknown> }[]>();
  for (const schema of allEventSchemas) {
    const type = schema.$id.replace('licensing:schemas:', '');
    const context = contextOf(type);
    byContext.set(context, [...(byContext.get(context) ?? []), { type, schema }]);
  }
  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const [context, events] of [...byContext].sort(([a], [b]) => a.localeCompare(b))) {
    const topic = topicOf(context as never);
    channels[topic] = {
      address: topic,
      description: `Events of the ${context} service, keyed by ${context === 'catalog' ? 'sku' : 'partnerId'}; failed messages of its consumers go to ${topic}.dlq.`,
      messages: Object.fromEntries(events.map(({ type }) => [type, { $ref: `#/components/messages/${type}` }])),
    };
    operations[`publish-${context}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${topic}` },
      messages: events.map(({ type }) => ({ $ref: `#/channels/${topic}/messages/${type}` })),
    };
    for (const { type, schema } of events) {
      const { $id: _id, $schema: _s, ...data } = schema as Record<string, unknown>;
      messages[type] = {
        name: type,
        title: schema.title,
        summary: schema.description,
        contentType: 'application/cloudevents+json',
        headers: { type: 'object', properties: { 'content-type': { const: 'application/cloudevents+json; charset=UTF-8' } } },
        payload: {
          allOf: [{ $ref: '#/components/schemas/envelope' }],
          properties: { type: { const: type }, dataschema: { const: dataschemaOf(type) }, data },
        },
      };
    }
  }
  const { $id: _id, $schema: _s, ...envelope } = envelopeSchema as Record<string, unknown>;
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Licensing platform events',
      version: '1.0.0',
      description:
        'Every message is a CloudEvents 1.0 event in structured JSON mode. Types are `<context>.<past-tense-name>.v<N>`; a version only grows by optional fields, a breaking change is a new version published beside the old one.',
    },
    defaultContentType: 'application/cloudevents+json',
    channels,
    operations,
    components: { schemas: { envelope }, messages },
  };
}
