import 'reflect-metadata';
import { CloudEventsTransport, OutboxRelay } from '@licensing/messaging';
import {
  Authenticator,
  configureHttpEdge,
  ErrorsFilter,
  httpAdapter,
  LOGGER,
  LogThrottle,
  Metrics,
  NestLogger,
  openApiOf,
  type Logger,
  type PlatformConfig,
} from '@licensing/platform';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Connection, mongo } from 'mongoose';

/** A started service: the Nest application, its Fastify instance (`inject` in tests) and its database. */
export interface RunningService {
  nest: NestFastifyApplication;
  http: FastifyInstance;
  db: mongo.Db;
  get<T>(token: Type<T> | string): T;
  close(): Promise<void>;
}

export const runsApi = (config: PlatformConfig): boolean => config.role !== 'worker';
export const runsWorker = (config: PlatformConfig): boolean => config.role !== 'api';

/**
 * What a process of a role loads: `api` serves HTTP and consumes events (controllers);
 * `worker` runs the BullMQ processors and the outbox sweep. `all` (local runs) both.
 */
export function forRole(
  config: PlatformConfig,
  parts: { controllers?: Type[]; providers?: Provider[]; processors?: Provider[] },
): Pick<DynamicModule, 'controllers' | 'providers'> {
  return {
    controllers: runsApi(config) ? (parts.controllers ?? []) : [],
    providers: [...(parts.providers ?? []), ...(runsWorker(config) ? (parts.processors ?? []) : [])],
  };
}

/**
 * Builds and starts a service for its role. HTTP listens first (health and metrics answer while
 * consumer groups are joined), then the consumers join. `close()` follows Nest's order: HTTP,
 * consumers, then each module's shutdown hook (workers, the relay, the connections).
 */
export async function startService(module: DynamicModule, config: PlatformConfig, description: string): Promise<RunningService> {
  const nest = await NestFactory.create<NestFastifyApplication>(module, httpAdapter(), { bufferLogs: true, bodyParser: false, abortOnError: false });
  const logger = nest.get<Logger>(LOGGER);
  nest.useLogger(new NestLogger(logger.child({ component: 'nest' })));
  try {
    await configureHttpEdge(nest, { service: config.service, description, metrics: nest.get(Metrics), authenticator: nest.get(Authenticator) });
    nest.useGlobalFilters(new ErrorsFilter(logger));
    if (runsApi(config)) nest.connectMicroservice({ strategy: nest.get(CloudEventsTransport) }, { inheritAppConfig: true });
    await nest.listen({ host: config.host, port: config.port });
    if (runsWorker(config)) nest.get(OutboxRelay).start();
    await nest.startAllMicroservices();
  } catch (error) {
    await nest.close().catch(() => undefined);
    throw error;
  }
  const connection = nest.get<Connection>(getConnectionToken(), { strict: false });
  return {
    nest,
    http: nest.getHttpAdapter().getInstance() as unknown as FastifyInstance,
    db: connection.db as mongo.Db,
    get: <T>(token: Type<T> | string) => nest.get<T>(token, { strict: false }),
    close: () => nest.close(),
  };
}

/**
 * What Node itself would print raw goes through the logger as JSON: its warnings (Node prints
 * them from a default 'warning' listener, removed here), and an error nothing caught, after
 * which the process exits as Node would have.
 */
function logProcessEvents(logger: Logger): void {
  const throttle = new LogThrottle(logger.child({ component: 'node' }));
  process.removeAllListeners('warning');
  process.on('warning', (warning) => throttle.log('warn', `warning/${warning.name}/${warning.message}`, { err: warning }, 'node warning'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
}

/**
 * Runs a service process: starts it, and on SIGTERM or SIGINT closes it gracefully within
 * `graceMs`, then exits. Every line it prints is a JSON log line.
 */
export async function runService(logger: Logger, start: () => Promise<RunningService>, graceMs = 25_000): Promise<void> {
  logProcessEvents(logger);
  let service: RunningService | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, graceMs);
    timer.unref();
    (service?.close() ?? Promise.resolve()).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    service = await start();
    logger.info({ address: service.http.server.address() }, 'started');
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

/**
 * A service's OpenAPI document without any server: Nest's preview mode registers the routes
 * but instantiates no provider, so nothing connects.
 */
export async function describeApi(module: DynamicModule, config: PlatformConfig, description: string): Promise<unknown> {
  const nest = await NestFactory.create<NestFastifyApplication>(module, httpAdapter(), { preview: true, logger: false, bodyParser: false });
  await configureHttpEdge(nest, {
    service: config.service,
    description,
    metrics: new Metrics(config.service),
    authenticator: new Authenticator(config.auth),
  });
  await nest.init();
  await nest.getHttpAdapter().getInstance().ready();
  const document = openApiOf(nest);
  await nest.close();
  return document;
}
