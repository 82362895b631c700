import { Controller, Get, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { Metrics } from '../metrics';
import { Readiness } from '../readiness';
import { Access } from './access';

/** Liveness, readiness (every dependency) and Prometheus metrics; no token needed, not in the API docs. */
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  @Access({ public: true })
  @RouteSchema({ hide: true })
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  @Get('health/ready')
  @Access({ public: true })
  @RouteSchema({ hide: true })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.readiness.report();
    await reply.status(report.status === 'ready' ? 200 : 503).send(report);
  }

  @Get('metrics')
  @Access({ public: true })
  @RouteSchema({ hide: true })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
