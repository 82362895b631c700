import { InjectConfig, InjectLogger, type Logger } from '@licensing/platform';
import { Deadlines } from '@licensing/service-kit';
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { ContractsConfig } from '../../contracts.config';
import { ASSIGNMENT_TIMEOUTS_QUEUE, type AssignmentTimeoutJob } from '../../infrastructure/contracts.queues';
import { TimeOutAssignmentsHandler } from './time-out-assignments.handler';

const SWEEP = 'assignment-sweep';

/** Reminders to look at one client once an assignment's deadline has come, and the periodic sweep; both re-read the clients (DESIGN §4). */
@Processor(ASSIGNMENT_TIMEOUTS_QUEUE, { concurrency: 4 })
export class AssignmentTimeoutsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly handler: TimeOutAssignmentsHandler,
    @InjectQueue(ASSIGNMENT_TIMEOUTS_QUEUE) private readonly queue: Queue,
    @InjectConfig() private readonly config: ContractsConfig,
    @InjectLogger() logger: Logger,
    private readonly deadlines: Deadlines,
  ) {
    super();
    this.log = logger.child({ component: 'contracts-jobs' });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.deadlines.repeat(this.queue, SWEEP, { every: this.config.assignmentSweepMs }, SWEEP, {});
  }

  async process(job: Job<AssignmentTimeoutJob>): Promise<{ timedOut: number }> {
    if (job.name === SWEEP) return { timedOut: await this.handler.sweep(this.log) };
    return { timedOut: await this.handler.check(job.data.partnerId, job.data.clientId, this.log) };
  }
}
