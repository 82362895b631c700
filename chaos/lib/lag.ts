import { testKafkaClient } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import type { ChaosPlatform } from './platform';
import { consumerLag } from './settle';

export interface LagSample {
  at: number;
  /** Messages behind, per consumer group (its name without the deployment's prefix), summed over its topics. */
  behind: Record<string, number>;
}

/**
 * Every few seconds during the load, how far each consumer group is behind: which consumer a
 * fault held up, and how long its backlog took to drain. A sample that fails (Kafka away) is
 * skipped.
 */
export class LagSampler {
  readonly samples: LagSample[] = [];
  private timer?: NodeJS.Timeout;
  private admin?: Admin;
  private running?: Promise<void>;

  constructor(
    private readonly platform: ChaosPlatform,
    private readonly everyMs = 5000,
  ) {}

  async start(): Promise<void> {
    this.admin = testKafkaClient('operator', this.platform.urls).admin();
    await this.admin.connect();
    this.timer = setInterval(() => {
      this.running ??= this.sample().finally(() => (this.running = undefined));
    }, this.everyMs);
  }

  private async sample(): Promise<void> {
    if (!this.admin) return;
    try {
      const at = Date.now();
      const behind: Record<string, number> = {};
      for (const { group, lag } of await consumerLag(this.admin, this.platform.names.prefix)) {
        const name = group.slice(this.platform.names.prefix.length);
        behind[name] = (behind[name] ?? 0) + lag;
      }
      this.samples.push({ at, behind });
    } catch {
      // Kafka away: no sample this time
    }
  }

  /** Safe to call more than once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
