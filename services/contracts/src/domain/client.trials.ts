import { isRefusal, refuse, type Decision, type Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type DeviceDeactivatedV1,
  type EventDraft,
  type TrialEndedV1,
  type TrialExtendedV1,
  type TrialStartedV1,
} from '@licensing/events';
import {
  draft,
  emptyService,
  endContracts,
  findService,
  todayOf,
  withService,
  type ChangeContext,
  type Client,
  type Service,
  type SkuLookup,
} from './client.model';
import { byMostRecentlySeen, licensesInForce, type Contract, type Device } from './contract.rules';
import { ContractsCodes } from './contracts.errors';
import { addDays, type CalendarDay } from './dates';
import { convertTrial, extendTrial, startTrial, TRIAL_BLOCK_DAYS, TRIAL_MAX_DEVICES } from './trial.rules';

const runningTrialOf = (service: Service | undefined, today: CalendarDay): Contract | undefined =>
  service?.contracts.find((c) => c.trial !== null && !c.cancelled && today < c.endsOn);

/** C10: a trial edition for 30 days and up to 250 devices, without the pool; not within 90 days of the last trial of it. */
export function startTrialOf(
  client: Client | null,
  sku: string,
  contractId: string,
  lookup: SkuLookup,
  ctx: ChangeContext,
): Decision<Client, Contract> | Refusal {
  if (!client) return refuse('not-found', ContractsCodes.clientNotFound, 'no such client');
  const facts = lookup(sku);
  if (!facts) return refuse('invalid', ContractsCodes.unknownSku, `the catalog has no ${sku}`);
  if (facts.retired) return refuse('invalid', ContractsCodes.skuRetired, `${sku} is retired`);
  if (facts.kind !== 'product' || !facts.trialEdition) return refuse('invalid', ContractsCodes.notATrialEdition, `${sku} is not a trial edition`);
  const today = todayOf(ctx);
  const current = findService(client, sku);
  const running = runningTrialOf(current, today);
  if (running) return refuse('conflict', ContractsCodes.trialRunning, `a trial of ${sku} runs until ${running.endsOn}`, { endsOn: running.endsOn });
  const contract = startTrial(contractId, sku, TRIAL_MAX_DEVICES, client.trials, today);
  if (isRefusal(contract)) return contract;
  const base =
    current ?? emptyService(sku, { sku, familyCode: facts.familyCode ?? '', trialEdition: true }, facts.managementModels?.[0] ?? 'self', false);
  const state = withService(client, { ...base, contracts: [...base.contracts, contract] }, ctx);
  const data: TrialStartedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku,
    contractId,
    maxDevices: TRIAL_MAX_DEVICES,
    startsOn: contract.startsOn,
    endsOn: contract.endsOn,
    startedAt: ctx.now.toISOString(),
  };
  return { state, events: [draft(state, ContractsEvents.trialStarted, data, ctx)], result: contract };
}

/** C10: one 30-day extension while the trial runs. */
export function extendTrialOf(client: Client | null, sku: string, ctx: ChangeContext): Decision<Client, Contract> | Refusal {
  if (!client) return refuse('not-found', ContractsCodes.clientNotFound, 'no such client');
  const service = findService(client, sku);
  const today = todayOf(ctx);
  const contract = service?.contracts.filter((c) => c.trial !== null).at(-1);
  if (!service || !contract) {
    // A trial the lifecycle has already moved to the history ended: the same answer as just before the sweep.
    const ended = service?.ended.filter((c) => c.trial !== null).at(-1);
    return ended
      ? refuse('conflict', ContractsCodes.trialEnded, `the trial ${ended.contractId} ended on ${ended.endedOn}`)
      : refuse('not-found', ContractsCodes.trialNotFound, `the client has no trial of ${sku}`);
  }
  const extended = extendTrial(contract, today);
  if (isRefusal(extended)) return extended;
  const state = withService(
    client,
    { ...service, contracts: service.contracts.map((c) => (c.contractId === contract.contractId ? extended : c)) },
    ctx,
  );
  const data: TrialExtendedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku,
    contractId: contract.contractId,
    endsOn: extended.endsOn,
    extendedAt: ctx.now.toISOString(),
  };
  return { state, events: [draft(state, ContractsEvents.trialExtended, data, ctx)], result: extended };
}

function trialEnded(
  client: Client,
  service: Service,
  trial: Contract,
  endedOn: CalendarDay,
  ctx: ChangeContext,
  converted?: { to: string; moved: number },
): EventDraft {
  const data: TrialEndedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku: service.sku,
    contractId: trial.contractId,
    converted: converted !== undefined,
    ...(converted ? { convertedTo: converted.to } : {}),
    movedDevices: converted?.moved ?? 0,
    endedOn,
    blockedUntil: addDays(endedOn, TRIAL_BLOCK_DAYS),
    endedAt: ctx.now.toISOString(),
  };
  return draft(client, ContractsEvents.trialEnded, data, ctx);
}

function deactivated(
  client: Client,
  sku: string,
  devices: readonly Device[],
  reason: DeviceDeactivatedV1['reason'],
  licensesLeft: number,
  ctx: ChangeContext,
): EventDraft[] {
  if (devices.length === 0) return [];
  const data: DeviceDeactivatedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku,
    deviceIds: devices.map((d) => d.deviceId),
    reason,
    licensesLeft,
    deactivatedAt: ctx.now.toISOString(),
  };
  return [draft(client, ContractsEvents.deviceDeactivated, data, ctx)];
}

/** C10: trials whose end has come end; their devices lose their license; the 90-day block starts at their end. */
export function endDueTrials(client: Client, ctx: ChangeContext): { state: Client; events: EventDraft[] } {
  const today = todayOf(ctx);
  let state = client;
  const events: EventDraft[] = [];
  for (const service of client.services) {
    const due = service.contracts.filter((c) => c.trial !== null && today >= c.endsOn);
    if (due.length === 0) continue;
    const after = endContracts(service, new Set(due.map((c) => c.contractId)), 'expired', today);
    const still = licensesInForce(after.contracts, today);
    const lost = still > 0 ? [] : service.devices;
    state = withService(state, { ...after, devices: still > 0 ? service.devices : [] }, ctx);
    state = { ...state, trials: [...state.trials, ...due.map((c) => ({ sku: service.sku, endsOn: c.endsOn }))] };
    events.push(...due.map((c) => trialEnded(state, service, c, c.endsOn, ctx)));
    events.push(...deactivated(state, service.sku, byMostRecentlySeen(lost).reverse(), 'trial-ended', 0, ctx));
  }
  return { state, events };
}

/**
 * C10: a paid product of the trial's family, activated while the trial runs, converts it: the
 * trial ends today and its devices move to the paid service, most recently seen first, up to
 * the licenses it has free; the others lose their license.
 */
export function convertTrials(client: Client, paidSku: string, ctx: ChangeContext): { state: Client; events: EventDraft[] } {
  const today = todayOf(ctx);
  const paid = findService(client, paidSku);
  if (!paid) return { state: client, events: [] };
  let state = client;
  const events: EventDraft[] = [];
  for (const service of client.services) {
    if (!service.trialEdition || service.familyCode !== paid.familyCode) continue;
    const trial = runningTrialOf(service, today);
    if (!trial) continue;
    const target = findService(state, paidSku) as Service;
    const free = Math.max(0, licensesInForce(target.contracts, today) - target.devices.length);
    const conversion = convertTrial(
      trial,
      service.devices.filter((d) => !target.devices.some((t) => t.deviceId === d.deviceId)),
      free,
      today,
    );
    if (isRefusal(conversion)) continue;
    const ended = endContracts(service, new Set([trial.contractId]), 'expired', today);
    state = withService(
      state,
      { ...ended, ended: ended.ended.map((c) => (c.contractId === trial.contractId ? { ...c, endsOn: today } : c)), devices: [] },
      ctx,
    );
    state = withService(state, { ...target, devices: [...target.devices, ...conversion.moved] }, ctx);
    state = { ...state, trials: [...state.trials, { sku: service.sku, endsOn: today }] };
    events.push(trialEnded(state, service, trial, today, ctx, { to: paidSku, moved: conversion.moved.length }));
    events.push(...deactivated(state, service.sku, [...conversion.left].reverse(), 'trial-converted', 0, ctx));
  }
  return { state, events };
}
