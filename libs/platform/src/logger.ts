import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; `correlationId` is bound by the request or message being handled. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Nest's own messages (start-up, errors it catches) as the same JSON lines. */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

/**
 * Logs a recurring condition once per window and key, then how often it came back meanwhile: a
 * dependency that is away makes every client complain on every retry, and the log should say so
 * in a few lines, not thousands.
 */
export class LogThrottle {
  private readonly seen = new Map<string, { until: number; repeated: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 30_000,
  ) {}

  log(level: 'error' | 'warn' | 'info' | 'debug', key: string, fields: object, message: string): void {
    const now = Date.now();
    const entry = this.seen.get(key);
    if (entry && now < entry.until) {
      entry.repeated++;
      return;
    }
    this.seen.set(key, { until: now + this.windowMs, repeated: 0 });
    this.logger[level]({ ...fields, ...(entry?.repeated ? { repeated: entry.repeated, windowMs: this.windowMs } : {}) }, message);
  }
}

/** What tells one error condition from another in a throttle key: its code, else its message. */
export const errorKey = (error: unknown): string => {
  const e = error as { code?: unknown; name?: string; message?: string } | null;
  return String(e?.code ?? `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`).slice(0, 200);
};
