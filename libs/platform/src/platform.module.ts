import { Global, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Authenticator } from './auth';
import type { PlatformConfig } from './config';
import { HealthController } from './http/health.controller';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { Readiness } from './readiness';

/** The typed configuration of the process, read once from the environment at start. */
export const SERVICE_CONFIG = 'SERVICE_CONFIG';
export const InjectConfig = () => Inject(SERVICE_CONFIG);
/** The process's pino logger. */
export const LOGGER = 'LOGGER';
export const InjectLogger = () => Inject(LOGGER);

/**
 * 'Now' for business decisions (DESIGN.md §8): handlers read it and pass it to domain code,
 * which never reads the system clock itself.
 */
export type Clock = () => Date;
export const CLOCK = 'CLOCK';
export const InjectClock = () => Inject(CLOCK);

/** Config, logs, the one metrics registry, authentication, readiness, and the health routes. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: PlatformConfig, logger: Logger): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: Metrics, useValue: new Metrics(config.service) },
        { provide: Authenticator, useValue: new Authenticator(config.auth) },
        Readiness,
      ],
      exports: [SERVICE_CONFIG, LOGGER, Metrics, Authenticator, Readiness],
    };
  }
}
