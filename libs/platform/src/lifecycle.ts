import type { Logger } from './logger';

export type Closer = () => Promise<void>;

/**
 * Things to close, in reverse order of opening: stop taking HTTP requests and messages first,
 * finish what is in flight, then close the connections they used.
 */
export class Lifecycle {
  private readonly closers: { name: string; close: Closer }[] = [];
  private closing?: Promise<void>;

  onClose(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  close(logger?: Logger): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of this.closers.reverse()) {
        try {
          await close();
        } catch (error) {
          logger?.warn({ err: error, component: name }, 'error while closing');
        }
      }
    })();
    return this.closing;
  }
}

/**
 * Runs a service process: starts it, and on SIGTERM or SIGINT closes everything gracefully
 * within `graceMs`, then exits.
 */
export async function runProcess(logger: Logger, start: (lifecycle: Lifecycle) => Promise<void>, graceMs = 25_000): Promise<void> {
  const lifecycle = new Lifecycle();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, graceMs);
    timer.unref();
    lifecycle.close(logger).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await start(lifecycle);
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    await lifecycle.close(logger);
    process.exit(1);
  }
}
