import type { EventDraft, FamilyUpdatedV1 } from '@licensing/events';
import { CatalogEvents } from '@licensing/events';
import { refuse, type Refusal } from '@licensing/domain';

export interface Family {
  code: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export function familyEvent(family: Family, version: number): EventDraft<FamilyUpdatedV1> {
  return {
    type: CatalogEvents.familyUpdated,
    subject: family.code,
    data: { code: family.code, name: family.name, version, updatedAt: family.updatedAt },
  };
}

export function createFamily(existing: Family | null, code: string, name: string, now: Date): Family | Refusal {
  if (existing) return refuse('conflict', 'CATALOG.FAMILY_EXISTS', `family ${code} already exists`);
  const at = now.toISOString();
  return { code, name, createdAt: at, updatedAt: at };
}

export function renameFamily(family: Family | null, code: string, name: string, now: Date): Family | Refusal {
  if (!family) return refuse('not-found', 'CATALOG.FAMILY_NOT_FOUND', `no family ${code}`);
  return { ...family, name, updatedAt: now.toISOString() };
}
