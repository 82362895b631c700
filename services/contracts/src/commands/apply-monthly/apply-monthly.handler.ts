import type { CloudEvent, MonthlyRenewedV1, StockExpiredV1 } from '@licensing/events';
import { InjectClock, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey } from '../../domain/client.aggregate';
import { lapseCandidates, lapseMonthly, pickLapsed, renewMonthly } from '../../domain/client.monthly';
import { formatDay } from '../../domain/dates';
import { ClientRepository } from '../../infrastructure/client.repository';

/**
 * M4 as the contracts see it: monthly contracts run to the next 1st when points renew their
 * licenses, and the newest enter grace when licenses assigned to them lapse (C9). One partner
 * event touches several client documents: each is written once per event id, so a redelivery
 * (even after a crash half-way) finishes the work without doing any of it twice.
 */
@Injectable()
export class ApplyMonthlyHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async renewed(event: CloudEvent<MonthlyRenewedV1>, logger: Logger): Promise<void> {
    const { partnerId, month, renewalId, lines } = event.data;
    const skus = [...new Set(lines.map((l) => l.sku))];
    let renewed = 0;
    for (const { clientId } of await this.clients.withMonthly(partnerId, skus)) {
      const outcome = await this.clients.decideOnEvent<string[]>(event, clientKey(partnerId, clientId), this.clock, [], (client, ctx) =>
        renewMonthly(client, month, skus, renewalId, ctx),
      );
      if (!outcome.duplicate) renewed += outcome.result.length;
    }
    logger.info({ partnerId, month, renewed }, 'monthly contracts renewed with points');
  }

  /** The pool took lapsed monthly licenses out of `assigned`: as many licenses of the newest contracts enter grace. */
  async lapsed(event: CloudEvent<StockExpiredV1>, logger: Logger): Promise<void> {
    const { partnerId, month } = event.data;
    const taken = new Map<string, number>();
    for (const m of event.data.movements) if (m.assigned < 0) taken.set(m.sku, (taken.get(m.sku) ?? 0) + -m.assigned);
    if (taken.size === 0) return;
    const today = formatDay(this.clock());
    const refs = await this.clients.withMonthly(partnerId, [...taken.keys()]);
    const docs = (await Promise.all(refs.map((r) => this.clients.get(partnerId, r.clientId)))).filter((d) => d !== null);
    const picks = new Map<string, number>();
    for (const [sku, count] of taken) {
      const candidates = docs.flatMap((d) => lapseCandidates(d.state, sku, event.id, today));
      for (const [contractId, n] of pickLapsed(candidates, count)) picks.set(contractId, n);
    }
    const byClient = new Set(
      docs
        .filter((d) => d.state.services.some((s) => [...s.contracts, ...s.modules.flatMap((m) => m.contracts)].some((c) => picks.has(c.contractId))))
        .map((d) => d.state.clientId),
    );
    let lapsed = 0;
    for (const clientId of byClient) {
      const outcome = await this.clients.decideOnEvent<string[]>(event, clientKey(partnerId, clientId), this.clock, [], (client, ctx) =>
        lapseMonthly(client, event.id, month, picks, ctx),
      );
      if (!outcome.duplicate) lapsed += outcome.result.length;
    }
    logger.warn(
      { partnerId, month, lapsed, licenses: Object.fromEntries(taken) },
      'monthly licenses lapsed: the newest contracts on them entered grace',
    );
  }
}
