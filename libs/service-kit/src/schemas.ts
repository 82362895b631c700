import { createHash } from 'node:crypto';
import { allEventSchemas, contextOf, schemaTypeOf, type JsonSchema } from '@licensing/events';
import { Access, InjectConfig, notFound, type PlatformConfig } from '@licensing/platform';
import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** The URL a reader fetches an event type's schema from: the producer's EVENT_SCHEMAS_URL and the type. */
export const schemaUrlOf = (config: Pick<PlatformConfig, 'eventSchemasUrl'>, type: string): string => `${config.eventSchemasUrl}/${type}`;

interface Served {
  body: string;
  etag: string;
}

/**
 * The JSON Schemas of the events this service publishes, at the URL each event names as its
 * `dataschema` (docs/events.md): `GET /schemas` lists them, `GET /schemas/<type>` answers one, its
 * `$id` being that URL. No token (a data pipeline reads them); cacheable: an ETag (a strong one,
 * the body's digest) answered 304 on If-None-Match, and five minutes of Cache-Control, as a
 * version's schema may still grow by optional fields.
 */
@Controller('schemas')
export class SchemasController {
  private readonly served = new Map<string, Served>();

  constructor(@InjectConfig() private readonly config: PlatformConfig) {
    const own = allEventSchemas.filter((schema) => contextOf(schemaTypeOf(schema)) === config.service);
    for (const schema of own) {
      const type = schemaTypeOf(schema);
      const body = JSON.stringify({ ...schema, $id: schemaUrlOf(config, type) } satisfies JsonSchema);
      this.served.set(type, { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` });
    }
  }

  @Get()
  @Access({ public: true })
  @RouteSchema({ hide: true })
  list(): { items: { type: string; url: string }[] } {
    return { items: [...this.served.keys()].sort().map((type) => ({ type, url: schemaUrlOf(this.config, type) })) };
  }

  @Get(':type')
  @Access({ public: true })
  @RouteSchema({ hide: true })
  async one(@Param('type') type: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const served = this.served.get(type);
    if (!served) throw notFound('SCHEMAS.NOT_FOUND', `this service publishes no event type ${type}; GET /schemas lists those it does`);
    void reply.header('etag', served.etag).header('cache-control', 'public, max-age=300');
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === served.etag)) {
      await reply.status(304).send();
      return;
    }
    await reply.header('content-type', 'application/schema+json').send(served.body);
  }
}
