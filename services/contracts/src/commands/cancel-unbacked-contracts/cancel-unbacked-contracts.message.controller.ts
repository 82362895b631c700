import { PoolEvents, type CloudEvent, type CommitRejectedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CancelUnbackedContractsHandler } from './cancel-unbacked-contracts.handler';

@Controller()
export class CancelUnbackedContractsMessageController {
  constructor(private readonly handler: CancelUnbackedContractsHandler) {}

  @EventPattern(PoolEvents.commitRejected)
  commitRejected(@Payload() event: CloudEvent<CommitRejectedV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.execute(event, ctx.logger);
  }
}
