import { isRefusal, type Refusal } from '@licensing/domain';

/**
 * An expected refusal: a stable machine-readable `code` (CONTEXT.REASON), an HTTP status and a
 * message for people. Anything else thrown is a bug and answers 500 INTERNAL.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details);
export const unauthorized = (message = 'a valid bearer token is required') => new AppError(401, 'AUTH.UNAUTHENTICATED', message);
export const forbidden = (message = 'this token may not do that') => new AppError(403, 'AUTH.FORBIDDEN', message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);

export interface ErrorBody {
  code: string;
  message: string;
  correlationId: string;
  details?: unknown;
}

const statusOfKind: Record<Refusal['kind'], number> = { invalid: 400, 'not-found': 404, conflict: 409, unprocessable: 422 };

export const toAppError = (refusal: Refusal): AppError => new AppError(statusOfKind[refusal.kind], refusal.code, refusal.message, refusal.details);

/** Returns the value, or throws the refusal as an HTTP error. */
export function orThrow<T>(value: T | Refusal): T {
  if (isRefusal(value)) throw toAppError(value);
  return value;
}
