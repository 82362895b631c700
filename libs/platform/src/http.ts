import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type FastifySchemaCompiler,
} from 'fastify';
import type { Authenticator, Principal } from './auth';
import { AppError, type ErrorBody } from './errors';
import { checkReadiness, type HealthCheck } from './health';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export interface HttpAppOptions {
  service: string;
  version?: string;
  description: string;
  logger: Logger;
  metrics: Metrics;
  authenticator: Authenticator;
  readiness: Record<string, HealthCheck>;
  /** Largest accepted body in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. */
  bodyLimit?: number;
}

const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PUBLIC_PREFIXES = ['/health/', '/metrics', '/docs'];

/** The one error shape, for OpenAPI responses. */
export const errorBodySchema = {
  type: 'object',
  required: ['code', 'message', 'correlationId'],
  properties: {
    code: { type: 'string', examples: ['CATALOG.UNKNOWN_FAMILY'] },
    message: { type: 'string' },
    correlationId: { type: 'string' },
    details: {},
  },
} as const;

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: `error (${s})`, ...errorBodySchema }]));

export const correlationIdOf = (request: FastifyRequest): string => request.id;

/**
 * The HTTP edge every service shares: correlation ids, bearer authentication, strict
 * validation (bodies are never coerced; unknown fields are refused where schemas say so), one
 * error format, OpenAPI at /docs, health and Prometheus metrics.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    logController: new LogController({
      requestIdLogLabel: 'correlationId',
      disableRequestLogging: true,
    }),
    requestIdHeader: false,
    genReqId: (req) => {
      const header = req.headers[CORRELATION_HEADER];
      return typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
    },
    return503OnClosing: true,
  });

  // Bodies keep their JSON types (a string is never an integer); path and query strings are
  // coerced, since everything there arrives as text.
  const strictAjv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    coerceTypes: false,
    useDefaults: true,
  });
  const coercingAjv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    coerceTypes: 'array',
    useDefaults: true,
  });
  addFormats(strictAjv);
  addFormats(coercingAjv);
  const compile: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
    (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
  app.setValidatorCompiler(compile);

  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode >= 500) request.log.error({ status: reply.statusCode, url: request.url }, 'request failed');
  });
  app.decorateRequest('principal');
  // onRequest, before body validation: a request without a valid token gets 401, never a 400
  // that would tell an anonymous caller about the body.
  app.addHook('onRequest', async (request) => {
    if (PUBLIC_PREFIXES.some((p) => request.url.startsWith(p))) return;
    request.principal = await options.authenticator.authenticate(request.headers.authorization);
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const body = (status: number, code: string, message: string, details?: unknown) => {
      const payload: ErrorBody = { code, message, correlationId: request.id };
      if (details !== undefined) payload.details = details;
      return reply.status(status).send(payload);
    };
    if (error instanceof AppError) return body(error.status, error.code, error.message, error.details);
    if (error.validation) {
      const details = error.validation.map((v) => ({
        path: v.instancePath || '/',
        message: v.message,
        params: v.params,
      }));
      return body(400, 'REQUEST.VALIDATION_FAILED', `${error.validationContext ?? 'request'} is invalid: ${error.message}`, details);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return body(413, 'REQUEST.PAYLOAD_TOO_LARGE', 'the request body is too large');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return body(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'send application/json');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return body(400, 'REQUEST.MALFORMED_JSON', 'the JSON body is empty');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return body(400, 'REQUEST.MALFORMED_JSON', 'the body is not valid JSON');
      default:
        if (error instanceof SyntaxError || error.statusCode === 400) return body(400, 'REQUEST.MALFORMED_JSON', 'the body is not valid JSON');
        request.log.error({ err: error }, 'unhandled error');
        return body(500, 'INTERNAL', 'internal error');
    }
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      code: 'REQUEST.NOT_FOUND',
      message: `no route ${request.method} ${request.url}`,
      correlationId: request.id,
    });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `${options.service} service`,
        description: options.description,
        version: options.version ?? '1.0.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/health/live', { schema: { hide: true } }, async () => ({
    status: 'live',
  }));
  app.get('/health/ready', { schema: { hide: true } }, async (_request, reply) => {
    const report = await checkReadiness(options.readiness);
    return reply.status(report.status === 'ready' ? 200 : 503).send(report);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
  return app;
}
