import { InjectConfig, InjectLogger, type Logger } from '@licensing/platform';
import { Deadlines } from '@licensing/service-kit';
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { ContractsConfig } from '../../contracts.config';
import { LIFECYCLE_QUEUE, type LifecycleJob } from '../../infrastructure/contracts.queues';
import { RunLifecycleHandler } from './run-lifecycle.handler';

const SWEEP = 'lifecycle-sweep';

/** A client's reminder (the day something of it falls due) and the periodic sweep; both re-read the client (DESIGN §4). */
@Processor(LIFECYCLE_QUEUE, { concurrency: 4 })
export class LifecycleProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly handler: RunLifecycleHandler,
    @InjectQueue(LIFECYCLE_QUEUE) private readonly queue: Queue,
    @InjectConfig() private readonly config: ContractsConfig,
    @InjectLogger() logger: Logger,
    private readonly deadlines: Deadlines,
  ) {
    super();
    this.log = logger.child({ component: 'contracts-lifecycle' });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.deadlines.repeat(this.queue, SWEEP, { every: this.config.lifecycleSweepMs }, SWEEP, {});
  }

  async process(job: Job<LifecycleJob>): Promise<{ clients: number }> {
    if (job.name === SWEEP) return { clients: await this.handler.sweep(this.log) };
    await this.handler.check(job.data.partnerId, job.data.clientId, this.log);
    return { clients: 1 };
  }
}
