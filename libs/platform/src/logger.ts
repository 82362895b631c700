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
