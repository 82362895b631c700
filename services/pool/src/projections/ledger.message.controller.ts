import type { CloudEvent } from '@licensing/events';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { movementsOf, STOCK_EVENTS } from '../domain/ledger';
import { LedgerRepository } from './ledger.repository';

/** The ledger's consumer group (`pool-ledger`): it lags or is rebuilt on its own. */
export const LEDGER_GROUP = 'ledger';

/** Builds the movement ledger from the pool's own stock events (pool.events). */
@Controller()
export class LedgerMessageController {
  constructor(private readonly ledger: LedgerRepository) {}

  @EventPattern([...STOCK_EVENTS], { group: LEDGER_GROUP })
  record(@Payload() event: CloudEvent): Promise<void> {
    return this.ledger.record(movementsOf(event));
  }
}
