import { allEventSchemas, contextOf, topicOf } from '@licensing/events';
import { describeApi, schemaUrlOf } from '@licensing/service-kit';
import envelopeSchema from '../libs/events/src/envelope.schema.json';
import { CATALOG_API_DESCRIPTION, catalogConfig, CatalogModule } from '../services/catalog/src/catalog.module';
import { CONTRACTS_API_DESCRIPTION, contractsConfig, ContractsModule } from '../services/contracts/src/contracts.module';
import { POINTS_API_DESCRIPTION, pointsConfig, PointsModule } from '../services/points/src/points.module';
import { POOL_API_DESCRIPTION, poolConfig, PoolModule } from '../services/pool/src/pool.module';

/** Enough configuration to build each service's module; nothing connects (Nest preview mode). */
const env = {
  KAFKA_BROKERS: '127.0.0.1:9',
  MONGO_URL: 'mongodb://127.0.0.1:9',
  REDIS_URL: 'redis://127.0.0.1:9',
  AUTH_JWT_SECRET: 'x'.repeat(32),
  LOG_LEVEL: 'silent',
  POINTS_MAX_WAIT_SECONDS: '20',
};

/** Each service's OpenAPI document, from its controllers' route schemas. */
export async function openApiDocuments(): Promise<Record<string, unknown>> {
  const catalog = catalogConfig(env);
  const pool = poolConfig(env);
  const points = pointsConfig(env);
  const contracts = contractsConfig(env);
  return {
    catalog: await describeApi(CatalogModule.forRole(catalog), catalog, CATALOG_API_DESCRIPTION),
    pool: await describeApi(PoolModule.forRole(pool), pool, POOL_API_DESCRIPTION),
    points: await describeApi(PointsModule.forRole(points), points, POINTS_API_DESCRIPTION),
    contracts: await describeApi(ContractsModule.forRole(contracts), contracts, CONTRACTS_API_DESCRIPTION),
  };
}

/** The event catalog: one channel per topic, one message per event type and version. */
export function asyncApiDocument(): Record<string, unknown> {
  // Each producer serves its schemas (GET /schemas/<type>) at EVENT_SCHEMAS_URL; the document names the local platform's (npm start).
  const producers: Record<string, { eventSchemasUrl: string }> = {
    catalog: catalogConfig(env),
    pool: poolConfig(env),
    points: pointsConfig(env),
    contracts: contractsConfig(env),
  };
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
      const url = schemaUrlOf(producers[context] as { eventSchemasUrl: string }, type);
      messages[type] = {
        name: type,
        title: schema.title,
        summary: schema.description,
        contentType: 'application/cloudevents+json',
        headers: { type: 'object', properties: { 'content-type': { const: 'application/cloudevents+json; charset=UTF-8' } } },
        payload: {
          allOf: [{ $ref: '#/components/schemas/envelope' }],
          properties: {
            type: { const: type },
            dataschema: {
              type: 'string',
              format: 'uri',
              description: `The URL of the data's JSON Schema: the producer's EVENT_SCHEMAS_URL and the type, here ${url}. Events published before schemas were served carry licensing:schemas:${type}, which names the same schema.`,
              examples: [url],
            },
            data: { $id: url, ...data },
          },
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
        'Every message is a CloudEvents 1.0 event in structured JSON mode. Types are `<context>.<past-tense-name>.v<N>`; a version only grows by optional fields, a breaking change is a new version published beside the old one. Each event names its JSON Schema as `dataschema`, a URL its producer serves without a token (`GET /schemas/<type>`, ETag and Cache-Control); each message below has that schema as `data`, with the same `$id` (the local platform of `npm start`: another deployment has its own EVENT_SCHEMAS_URL). Topics, keys, ordering and versioning: docs/events.md.',
    },
    defaultContentType: 'application/cloudevents+json',
    channels,
    operations,
    components: { schemas: { envelope }, messages },
  };
}
