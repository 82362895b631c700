import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorBody } from '../errors';
import { isTransient } from '../failures';
import type { Logger } from '../logger';

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

type AnyError = Partial<FastifyError> & { status?: number; getStatus?: () => number; message?: string };

/** What any error raised while serving a request answers: `{code, message, correlationId}`. */
export function errorAnswer(error: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (error instanceof AppError) return { status: error.status, code: error.code, message: error.message, details: error.details };
  const e = (error ?? {}) as AnyError;
  if (e.validation) {
    const details = e.validation.map((v) => ({ path: v.instancePath || '/', message: v.message, params: v.params }));
    return { status: 400, code: 'REQUEST.VALIDATION_FAILED', message: `${e.validationContext ?? 'request'} is invalid: ${e.message}`, details };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'REQUEST.PAYLOAD_TOO_LARGE', message: 'the request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'REQUEST.MALFORMED_JSON', message: 'the JSON body is empty' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'REQUEST.MALFORMED_JSON', message: 'the body is not valid JSON' };
  }
  // Fastify's own errors reach the filter wrapped by Nest as HTTP exceptions that keep the status.
  const status = typeof e.getStatus === 'function' ? e.getStatus() : e.statusCode;
  switch (status) {
    case 404:
      return { status: 404, code: 'REQUEST.NOT_FOUND', message: 'no such route' };
    case 413:
      return { status: 413, code: 'REQUEST.PAYLOAD_TOO_LARGE', message: 'the request body is too large' };
    case 415:
      return { status: 415, code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' };
    case 400:
      return { status: 400, code: 'REQUEST.MALFORMED_JSON', message: 'the body is not valid JSON' };
  }
  if (isTransient(error)) return { status: 503, code: 'SERVICE.UNAVAILABLE', message: 'a service this request needs is unavailable; retry shortly' };
  if (error instanceof SyntaxError) return { status: 400, code: 'REQUEST.MALFORMED_JSON', message: 'the body is not valid JSON' };
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): FastifyReply {
  const { status, code, message, details } = errorAnswer(error);
  if (status >= 500) logger.error({ err: error, correlationId: request.id, url: request.url }, 'request failed');
  const body: ErrorBody = {
    code,
    message: status === 404 && code === 'REQUEST.NOT_FOUND' ? `no route ${request.method} ${request.url}` : message,
    correlationId: request.id,
  };
  if (details !== undefined) body.details = details;
  return reply.status(status).send(body);
}
