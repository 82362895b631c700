import type { EventDraft, ModuleUpdatedV1 } from '@licensing/events';
import { CatalogEvents } from '@licensing/events';
import { refuse, type Refusal } from '@licensing/domain';
import { MONTHLY_TERM } from './catalog.rules';

/** The module as it is published, with when it was created and retired. */
export interface Module extends Omit<ModuleUpdatedV1, 'version'> {
  createdAt: string;
  retiredAt: string | null;
}

export type ModuleDraft = Pick<Module, 'sku' | 'name' | 'terms' | 'pointsPricePerMonth'>;
export type ModulePatch = Partial<Omit<ModuleDraft, 'sku'>>;

function checkShape(m: Omit<ModuleDraft, 'sku'>): Refusal | undefined {
  if (m.terms.length === 0) return refuse('invalid', 'CATALOG.NO_TERMS', 'a module must allow at least one term');
  const monthly = m.terms.includes(MONTHLY_TERM);
  if (monthly && m.pointsPricePerMonth === null)
    return refuse('invalid', 'CATALOG.MONTHLY_NEEDS_POINTS_PRICE', 'a module sold monthly needs a points price');
  if (!monthly && m.pointsPricePerMonth !== null)
    return refuse('invalid', 'CATALOG.POINTS_PRICE_NEEDS_MONTHLY', 'a points price applies to monthly licenses');
  return undefined;
}

export function moduleEvent(module: Module, version: number): EventDraft<ModuleUpdatedV1> {
  const { createdAt: _c, retiredAt: _r, ...data } = module;
  return { type: CatalogEvents.moduleUpdated, subject: module.sku, data: { ...data, version } };
}

export function createModule(existing: Module | null, draft: ModuleDraft, now: Date): Module | Refusal {
  if (existing) return refuse('conflict', 'CATALOG.MODULE_EXISTS', `module ${draft.sku} already exists`);
  const refusal = checkShape(draft);
  if (refusal) return refusal;
  const at = now.toISOString();
  return { ...draft, terms: [...new Set(draft.terms)].sort((a, b) => a - b), status: 'active', createdAt: at, updatedAt: at, retiredAt: null };
}

export function updateModule(module: Module | null, sku: string, patch: ModulePatch, now: Date): Module | Refusal {
  if (!module) return refuse('not-found', 'CATALOG.MODULE_NOT_FOUND', `no module ${sku}`);
  if (module.status === 'retired') return refuse('conflict', 'CATALOG.MODULE_RETIRED', `module ${sku} is retired and cannot change`);
  const next = { ...module, ...patch };
  const refusal = checkShape(next);
  if (refusal) return refusal;
  return { ...next, terms: [...new Set(next.terms)].sort((a, b) => a - b), updatedAt: now.toISOString() };
}

export function retireModule(module: Module | null, sku: string, now: Date): Module | Refusal {
  if (!module) return refuse('not-found', 'CATALOG.MODULE_NOT_FOUND', `no module ${sku}`);
  if (module.status === 'retired') return refuse('conflict', 'CATALOG.MODULE_RETIRED', `module ${sku} is already retired`);
  const at = now.toISOString();
  return { ...module, status: 'retired', updatedAt: at, retiredAt: at };
}
