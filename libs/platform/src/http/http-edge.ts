import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import secureJson from 'secure-json-parse';
import { Authenticator } from '../auth';
import { badRequest } from '../errors';
import type { Metrics } from '../metrics';
import { authorize, isPublic, type AccessRule } from './access';

const CORRELATION_HEADER = 'x-correlation-id';
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

/** An RFC 3339 date-time that names a real instant: no 24:00, no leap second, no 30 February. */
export function isStrictDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && !Number.isNaN(Date.parse(text));
}
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Paths that never need a token, whether or not a route matched (the docs UI serves many). */
const PUBLIC_PREFIXES = ['/health/', '/metrics', '/docs'];

/** Fastify as every service runs it: correlation ids, a 64 KiB body limit, 503 while closing. */
export function httpAdapter(bodyLimit = 64 * 1024): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const header = req.headers[CORRELATION_HEADER];
      return typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
    },
    return503OnClosing: true,
    // Long path parameters reach the route's schema (400 with the one error shape) instead of
    // the router's own 414; a malformed URL (`%zz`) answers in the same shape too.
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      void reply.status(400).send({ code: 'REQUEST.MALFORMED_URL', message: `the URL is not valid: ${error.message}`, correlationId: request.id });
    },
  });
}

export interface HttpEdgeOptions {
  service: string;
  description: string;
  version?: string;
  metrics: Metrics;
  authenticator: Authenticator;
}

/**
 * The HTTP edge every service shares, on the Nest application's Fastify instance, before its
 * routes are registered: strict validation (bodies keep their JSON types; path and query
 * strings are coerced), authentication and access rules before validation, one error shape,
 * latency metrics, OpenAPI at /docs. Errors, wherever raised (hooks, validation, handlers,
 * unknown routes), reach Nest's exception handler and so the global ErrorsFilter.
 */
export async function configureHttpEdge(app: NestFastifyApplication, options: HttpEdgeOptions): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const ajv = (coerceTypes: boolean | 'array') => {
    const instance = new Ajv({ allErrors: true, removeAdditional: false, coerceTypes, useDefaults: true });
    addFormats(instance);
    // ajv-formats lets a leap second (23:59:60) and impossible days through, which then parse to
    // an invalid Date: every date-time input is strict RFC 3339 or refused.
    instance.addFormat('date-time', { type: 'string', validate: isStrictDateTime });
    return instance;
  };
  const strict = ajv(false);
  const coercing = ajv('array');
  const compile: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
  fastify.setValidatorCompiler(compile);

  // JSON bodies parsed here so each refusal says what is wrong: not JSON, empty, or carrying a
  // key that would poison a prototype.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(badRequest('REQUEST.MALFORMED_JSON', 'the JSON body is empty'));
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(
        error instanceof SyntaxError && !/prototype property/.test(error.message)
          ? badRequest('REQUEST.MALFORMED_JSON', `the body is not valid JSON: ${error.message}`)
          : badRequest('REQUEST.FORBIDDEN_KEY', 'the body may not contain a __proto__ or constructor.prototype key'),
      );
    }
  });
  fastify.decorateRequest('principal');
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
    const rule = (request.routeOptions.config as { access?: AccessRule } | undefined)?.access;
    if (isPublic(rule) || PUBLIC_PREFIXES.some((p) => request.url.startsWith(p))) return;
    request.principal = await options.authenticator.authenticate(request.headers.authorization);
    authorize(request.principal, rule, request.params, request.method);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    options.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger as never, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `${options.service} service`, description: options.description, version: options.version ?? '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi as never, { routePrefix: '/docs' });
}

/** The OpenAPI document of a configured application (after init). */
export const openApiOf = (app: NestFastifyApplication): unknown =>
  (app.getHttpAdapter().getInstance() as unknown as { swagger(): unknown }).swagger();
