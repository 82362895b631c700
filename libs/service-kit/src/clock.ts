import { EventEmitter } from 'node:events';
import { Access, badRequest, conflict, InjectConfig, InjectLogger, Roles, type Logger, type PlatformConfig } from '@licensing/platform';
import { Body, Controller, Get, HttpCode, Injectable, Post, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { redisOptions } from './redis';

const DURATION = /^([1-9][0-9]{0,5})([dhms])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
/** How often a process re-reads the offset, in case it missed an announcement. */
const REFRESH_MS = 5000;
/** Raises the stored offset to ARGV[1], never lowers it. */
const RAISE_OFFSET =
  "local v = tonumber(redis.call('GET', KEYS[1]) or '0') if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 0";

/** `30d`, `12h`, `90m`, `45s` in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/**
 * The platform clock (DESIGN §8). In production it is the system clock. With
 * `CLOCK_MODE=shared` (development, tests) it is the system clock plus an offset kept in Redis
 * under the deployment's `CLOCK_KEY`, shared by all its services, that only moves forward. An
 * advance is announced on a Redis channel, so every process sees it at once and runs its sweeps.
 */
@Injectable()
export class PlatformClock implements OnModuleInit, OnApplicationShutdown {
  private offsetMs = 0;
  private readonly advanced = new EventEmitter();
  private redis?: Redis;
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  get shared(): boolean {
    return this.config.clockMode === 'shared';
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  /** Called after the offset grew, in this process, whoever moved it. */
  onAdvance(listener: (offsetMs: number) => void): void {
    this.advanced.on('advance', listener);
  }

  async onModuleInit(): Promise<void> {
    if (!this.shared) return;
    const options = { ...redisOptions(this.config.redisUrl), maxRetriesPerRequest: 1, lazyConnect: true };
    this.redis = new Redis(options);
    this.subscriber = new Redis(options);
    for (const client of [this.redis, this.subscriber]) client.on('error', (error: Error) => this.logger.debug({ err: error }, 'clock redis error'));
    await Promise.all([this.redis.connect(), this.subscriber.connect()]);
    this.subscriber.on('message', (_channel: string, message: string) => this.observe(Number(message)));
    await this.subscriber.subscribe(this.channel);
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
    this.redis?.disconnect();
  }

  /** Moves the deployment's clock forward by `ms`; refused on the system clock. */
  async advance(ms: number): Promise<Date> {
    if (!this.shared || !this.redis)
      throw conflict('CLOCK.NOT_SHARED', 'the clock moves only in a development or test deployment (CLOCK_MODE=shared)');
    const offset = await this.redis.incrby(this.config.clockKey, ms);
    this.observe(offset);
    await this.redis.publish(this.channel, String(offset));
    this.logger.info({ offsetMs: offset, now: this.now().toISOString() }, 'platform clock advanced');
    return this.now();
  }

  private get channel(): string {
    return `${this.config.clockKey}:advanced`;
  }

  private async refresh(): Promise<void> {
    if (!this.redis) return;
    const stored = Number((await this.redis.get(this.config.clockKey)) ?? 0);
    this.observe(stored);
    // A Redis that came back empty lost the offset; the processes still running put it back.
    if (stored < this.offsetMs) await this.redis.eval(RAISE_OFFSET, 1, this.config.clockKey, String(this.offsetMs));
  }

  /** Offsets only grow: an old announcement or a stale read never moves the clock back. */
  private observe(offset: number): void {
    if (!Number.isFinite(offset) || offset <= this.offsetMs) return;
    this.offsetMs = offset;
    this.advanced.emit('advance', offset);
  }
}

const clockView = (clock: PlatformClock) => ({ mode: clock.shared ? 'shared' : 'system', now: clock.now().toISOString(), offsetMs: clock.offset });
const clockSchema = {
  type: 'object',
  properties: { mode: { type: 'string', enum: ['system', 'shared'] }, now: { type: 'string', format: 'date-time' }, offsetMs: { type: 'integer' } },
} as const;

/** `GET /admin/clock` and `POST /admin/clock {advance: "30d"}`, for the clock-admin role, on every service. */
@Controller('admin/clock')
export class ClockController {
  constructor(private readonly clock: PlatformClock) {}

  @Get()
  @Access({ role: Roles.clockAdmin })
  @RouteSchema({
    tags: ['platform clock'],
    summary: 'The platform clock: its mode, now, and how far it has been moved',
    response: { 200: clockSchema },
  })
  read() {
    return clockView(this.clock);
  }

  @Post()
  @HttpCode(200)
  @Access({ role: Roles.clockAdmin })
  @RouteSchema({
    tags: ['platform clock'],
    summary: 'Move the clock of this deployment forward (never back); every deadline that falls due is handled within seconds',
    description: '409 CLOCK.NOT_SHARED on the system clock (CLOCK_MODE=system, as in production).',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['advance'],
      properties: { advance: { type: 'string', pattern: DURATION.source, description: 'a duration: 30d, 12h, 90m or 45s' } },
    },
    response: { 200: clockSchema },
  })
  async advance(@Body() body: { advance: string }) {
    const ms = parseDuration(body.advance);
    if (ms === undefined) throw badRequest('CLOCK.BAD_DURATION', 'advance must be a duration such as 30d, 12h, 90m or 45s');
    await this.clock.advance(ms);
    return clockView(this.clock);
  }
}
