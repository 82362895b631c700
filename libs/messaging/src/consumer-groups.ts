import { Injectable } from '@nestjs/common';
import type { GroupSettings } from './cloud-events.transport';

/** Settings of a service's consumer groups, given by the modules that own their handlers. */
@Injectable()
export class ConsumerGroups {
  private readonly settings = new Map<string, GroupSettings>();

  set(group: string, settings: GroupSettings): void {
    this.settings.set(group, settings);
  }

  get(group: string): GroupSettings {
    return this.settings.get(group) ?? {};
  }
}
