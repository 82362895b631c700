import { eachConcurrently, InjectClock, InjectConfig, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import type { ContractsConfig } from '../../contracts.config';
import { clientKey } from '../../domain/client.aggregate';
import { tick, type TickResult } from '../../domain/client.lifecycle';
import { formatDay } from '../../domain/dates';
import { ClientRepository } from '../../infrastructure/client.repository';

const SWEEP_PAGE = 200;
const SWEEP_CONCURRENCY = 16;

/**
 * Contract ends, grace, expiry, reminders, trial ends and auto-renewals (C3, C9, C10, C11): the
 * client's reminder job or the sweep re-reads the document and does what has fallen due by
 * today, by the platform clock (DESIGN §4, §8).
 */
@Injectable()
export class RunLifecycleHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
    @InjectConfig() private readonly config: ContractsConfig,
  ) {}

  /** What fell due for one client; nothing when nothing did. */
  async check(partnerId: string, clientId: string, logger: Logger): Promise<TickResult | undefined> {
    const outcome = await this.clients.decide<TickResult | undefined>(clientKey(partnerId, clientId), this.clock, {}, (client, ctx) =>
      client ? tick(client, this.clients.lifecyclePolicy, this.config.assignmentTimeoutMs, ctx) : { result: undefined },
    );
    const result = outcome.result;
    if (result && (result.expired.length || result.enteredGrace.length || result.autoRenewals.length || result.trialsEnded || result.reminders)) {
      logger.info({ partnerId, clientId, ...result }, 'client lifecycle: what fell due was done');
    }
    return result;
  }

  /** Every client with something due by today, a page at a time; returns how many were looked at. */
  async sweep(logger: Logger): Promise<number> {
    const today = formatDay(this.clock());
    let seen = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.clients.dueBy(today, SWEEP_PAGE, after);
      // Each client is its own document: SWEEP_CONCURRENCY of them are saved at once.
      await eachConcurrently(page, SWEEP_CONCURRENCY, ({ partnerId, clientId }) => this.check(partnerId, clientId, logger));
      seen += page.length;
      const last = page.at(-1);
      if (page.length < SWEEP_PAGE || !last) return seen;
      after = clientKey(last.partnerId, last.clientId);
    }
  }
}
