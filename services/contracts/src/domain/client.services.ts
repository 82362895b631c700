import { isRefusal, refuse, type Decision, type Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type ContractEndedV1,
  type DeviceActivatedV1,
  type DeviceDeactivatedV1,
  type DeviceRemovedV1,
  type EventDraft,
  type LicenseLine,
  type ManagementModel,
  type ServiceGroupedV1,
} from '@licensing/events';
import { busyRefusal, endingEvents, mergeLines, modulesWith, serviceOf } from './client.sagas';
import {
  contractsOf,
  draft,
  endContracts,
  inForce,
  linesOf,
  todayOf,
  unchanged,
  withService,
  type ChangeContext,
  type Client,
  type Service,
  type SkuLookup,
} from './client.model';
import { activationRefusal, devicesLosingLicense, group, licensesInForce, mergeTerms, recovery, type Contract, type Device } from './contract.rules';
import { ContractsCodes } from './contracts.errors';
import type { CalendarDay } from './dates';

type DeactivationReason = DeviceDeactivatedV1['reason'];

/** C9: when a service's devices exceed its licenses in force, those seen longest ago lose theirs (an event says which). */
export function trimDevices(
  client: Client,
  service: Service,
  reason: DeactivationReason,
  ctx: ChangeContext,
): { service: Service; events: EventDraft[] } {
  const left = licensesInForce(service.contracts, todayOf(ctx));
  const losing = devicesLosingLicense(service.devices, left);
  if (losing.length === 0) return { service, events: [] };
  const gone = new Set(losing.map((d) => d.deviceId));
  const data: DeviceDeactivatedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku: service.sku,
    deviceIds: losing.map((d) => d.deviceId),
    reason,
    licensesLeft: left,
    deactivatedAt: ctx.now.toISOString(),
  };
  return {
    service: { ...service, devices: service.devices.filter((d) => !gone.has(d.deviceId)) },
    events: [draft(client, ContractsEvents.deviceDeactivated, data, ctx)],
  };
}

/** Where a contract is: its service, and whether it is the product's or a module's. */
function locate(client: Client, contractId: string): { service: Service; contract: Contract } | Refusal {
  for (const service of client.services) {
    const contract = contractsOf(service).find((c) => c.contractId === contractId);
    if (contract) return { service, contract };
    const ended = service.ended.find((c) => c.contractId === contractId);
    if (ended)
      return refuse('conflict', ContractsCodes.notCancellable, `contract ${contractId} has ended (${ended.endedReason} on ${ended.endedOn})`);
  }
  return refuse('not-found', ContractsCodes.contractNotFound, `the client has no contract ${contractId}`);
}

/** C5: what cancelling a contract today gives back; the dry run answers exactly this. */
export interface CancellationView {
  contracts: { contractId: string; sku: string; recovered: LicenseLine[] }[];
  recovered: LicenseLine[];
  deactivatedDevices: string[];
  dryRun: boolean;
}

function cancellation(client: Client | null, contractId: string, ctx: ChangeContext) {
  if (!client) return refuse('not-found', ContractsCodes.clientNotFound, 'no such client');
  const found = locate(client, contractId);
  if (isRefusal(found)) return found;
  const { service, contract } = found;
  const today = todayOf(ctx);
  if (contract.trial !== null) return refuse('conflict', ContractsCodes.notCancellable, `contract ${contractId} is a trial: it ends by itself (C10)`);
  if (!inForce(contract, today)) return refuse('conflict', ContractsCodes.notCancellable, `contract ${contractId} has expired`);
  const busy = busyRefusal(client, service.sku, ctx.now);
  if (busy) return busy;
  const isProduct = service.contracts.some((c) => c.contractId === contractId);
  // C7: a product's modules end with the contract they were assigned or grouped with.
  const ending = isProduct ? [contract, ...modulesWith(service, contract).filter((m) => inForce(m, today))] : [contract];
  const after = endContracts(service, new Set(ending.map((c) => c.contractId)), 'cancelled', today);
  const trimmed = trimDevices(client, after, 'contract-cancelled', ctx);
  const view: Omit<CancellationView, 'dryRun'> = {
    contracts: ending.map((c) => ({ contractId: c.contractId, sku: c.sku, recovered: recovery(c, today) })),
    recovered: mergeLines(ending.flatMap((c) => recovery(c, today))),
    // The same devices, in the same order (longest unseen first), as the event the real one publishes.
    deactivatedDevices: trimmed.events.flatMap((e) => (e.data as DeviceDeactivatedV1).deviceIds),
  };
  return { ending, trimmed, view };
}

/** C5: the dry run of a cancellation: exactly what the real one would credit today. */
export function previewCancellation(client: Client | null, contractId: string, ctx: ChangeContext): CancellationView | Refusal {
  const found = cancellation(client, contractId, ctx);
  return isRefusal(found) ? found : { ...found.view, dryRun: true };
}

/** C5: cancels a contract (and, for a product, its modules): recovered licenses go back to the pool with their terms. */
export function cancelContract(client: Client | null, contractId: string, ctx: ChangeContext): Decision<Client, CancellationView> | Refusal {
  const found = cancellation(client, contractId, ctx);
  if (isRefusal(found) || !client) return found as Refusal;
  const { ending, trimmed, view } = found;
  const state = withService(client, trimmed.service, ctx);
  return {
    state,
    events: [...endingEvents(client, ending, 'cancelled', 'cancel', ctx, { cause: 'cancellation' }), ...trimmed.events],
    result: { ...view, dryRun: false },
  };
}

/** C6: the grouped contracts of a service, its modules' too, with the end date they get. */
export interface GroupingView {
  sku: string;
  contract: { contractId: string; licenses: number; lines: { termMonths: number; quantity: number }[]; startsOn: CalendarDay; endsOn: CalendarDay };
  replaced: string[];
  modules: { sku: string; contractId: string; licenses: number; replaced: string[] }[];
  dryRun: boolean;
}

function grouping(client: Client | null, sku: string, contractId: string, ctx: ChangeContext) {
  const service = serviceOf(client, sku);
  if (isRefusal(service) || !client) return service as Refusal;
  const today = todayOf(ctx);
  const busy = busyRefusal(client, sku, ctx.now);
  if (busy) return busy;
  const grouped = group(
    service.contracts.filter((c) => inForce(c, today)),
    contractId,
    today,
  );
  if (isRefusal(grouped)) return grouped;
  const modules = service.modules
    .map((m, i) => {
      const parts = m.contracts.filter((c) => inForce(c, today));
      const contract: Contract = {
        contractId: `${contractId}-m${i + 1}`,
        sku: m.sku,
        licenses: parts.reduce((total, c) => total + c.licenses, 0),
        lines: mergeTerms(parts.flatMap((c) => c.lines)),
        startsOn: today,
        endsOn: grouped.contract.endsOn,
        trial: null,
        cancelled: false,
        withContract: contractId,
      };
      return { sku: m.sku, parts, contract };
    })
    .filter((m) => m.parts.length > 0);
  return { service, grouped, modules };
}

const groupingView = (sku: string, found: Exclude<ReturnType<typeof grouping>, Refusal>, dryRun: boolean): GroupingView => ({
  sku,
  contract: {
    contractId: found.grouped.contract.contractId,
    licenses: found.grouped.contract.licenses,
    lines: found.grouped.contract.lines,
    startsOn: found.grouped.contract.startsOn,
    endsOn: found.grouped.contract.endsOn,
  },
  replaced: found.grouped.replaced,
  modules: found.modules.map((m) => ({
    sku: m.sku,
    contractId: m.contract.contractId,
    licenses: m.contract.licenses,
    replaced: m.parts.map((p) => p.contractId),
  })),
  dryRun,
});

export function previewGrouping(client: Client | null, sku: string, contractId: string, ctx: ChangeContext): GroupingView | Refusal {
  const found = grouping(client, sku, contractId, ctx);
  return isRefusal(found) ? found : groupingView(sku, found, true);
}

/** C6: the service's contracts in force become one (its modules' too, ending with it); the parts end as `grouped`. */
export function groupService(client: Client | null, sku: string, contractId: string, ctx: ChangeContext): Decision<Client, GroupingView> | Refusal {
  const found = grouping(client, sku, contractId, ctx);
  if (isRefusal(found) || !client) return found as Refusal;
  const { service, grouped, modules } = found;
  const today = todayOf(ctx);
  const replacedIds = new Set([...grouped.replaced, ...modules.flatMap((m) => m.parts.map((p) => p.contractId))]);
  const parts = contractsOf(service).filter((c) => replacedIds.has(c.contractId));
  const ended = endContracts(service, replacedIds, 'grouped', today);
  const next: Service = {
    ...ended,
    contracts: [...ended.contracts, grouped.contract],
    modules: [
      ...ended.modules.filter((m) => !modules.some((g) => g.sku === m.sku)),
      ...modules.map((g) => ({ sku: g.sku, contracts: [...(ended.modules.find((m) => m.sku === g.sku)?.contracts ?? []), g.contract] })),
    ],
  };
  const state = withService(client, next, ctx);
  const at = ctx.now.toISOString();
  const data: ServiceGroupedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku,
    contractId: grouped.contract.contractId,
    replaced: grouped.replaced,
    startsOn: grouped.contract.startsOn,
    endsOn: grouped.contract.endsOn,
    lines: linesOf(grouped.contract),
    modules: modules.map((m) => ({
      sku: m.sku,
      contractId: m.contract.contractId,
      replaced: m.parts.map((p) => p.contractId),
      lines: linesOf(m.contract),
    })),
    groupedAt: at,
  };
  const events: EventDraft[] = [draft(state, ContractsEvents.serviceGrouped, data, ctx)];
  for (const part of parts) {
    const into =
      part.sku === sku ? grouped.contract.contractId : (modules.find((m) => m.sku === part.sku)?.contract.contractId ?? grouped.contract.contractId);
    const endedEvent: ContractEndedV1 = {
      partnerId: client.partnerId,
      clientId: client.clientId,
      sku: part.sku,
      contractId: part.contractId,
      reason: 'grouped',
      lines: linesOf(part),
      unassigned: [],
      groupedInto: into,
      endedOn: today,
      endedAt: at,
    };
    events.push(draft(state, ContractsEvents.contractEnded, endedEvent, ctx));
  }
  return { state, events, result: groupingView(sku, found, false) };
}

/** PATCH of a service: auto-renew (C3) and the management model, only one the product allows. */
export function updateService(
  client: Client | null,
  sku: string,
  patch: { autoRenew?: boolean; managementModel?: ManagementModel },
  lookup: SkuLookup,
  ctx: ChangeContext,
): Decision<Client, Service> | Refusal {
  const service = serviceOf(client, sku);
  if (isRefusal(service) || !client) return service as Refusal;
  if (patch.autoRenew === true && service.trialEdition) {
    return refuse('invalid', ContractsCodes.trialNotRenewable, `${sku} is a trial edition: it is not renewed`);
  }
  const models = lookup(sku)?.managementModels;
  if (patch.managementModel && models && !models.includes(patch.managementModel)) {
    return refuse('invalid', ContractsCodes.managementModelNotAllowed, `${sku} cannot be ${patch.managementModel}-managed`, {
      managementModels: models,
    });
  }
  const next: Service = {
    ...service,
    ...(patch.autoRenew === undefined ? {} : { autoRenew: patch.autoRenew }),
    ...(patch.managementModel ? { managementModel: patch.managementModel } : {}),
  };
  if (next.autoRenew === service.autoRenew && next.managementModel === service.managementModel) return unchanged(service);
  return { state: withService(client, next, ctx), result: next };
}

/** C8: a device's agent takes a license of the service; never more devices than licenses in force. Again: nothing changes. */
export function activateDevice(
  client: Client | null,
  sku: string,
  deviceId: string,
  ctx: ChangeContext,
): Decision<Client, { device: Device; created: boolean }> | Refusal {
  const service = serviceOf(client, sku);
  if (isRefusal(service) || !client) return service as Refusal;
  const existing = service.devices.find((d) => d.deviceId === deviceId);
  if (existing) return unchanged({ device: existing, created: false });
  const refusal = activationRefusal(service.contracts, service.devices.length, todayOf(ctx));
  if (refusal) return refusal;
  const device: Device = { deviceId, lastSeenAt: ctx.now.toISOString() };
  const state = withService(client, { ...service, devices: [...service.devices, device] }, ctx);
  const data: DeviceActivatedV1 = { partnerId: client.partnerId, clientId: client.clientId, sku, deviceId, activatedAt: device.lastSeenAt };
  return { state, events: [draft(state, ContractsEvents.deviceActivated, data, ctx)], result: { device, created: true } };
}

function deviceOf(client: Client | null, sku: string, deviceId: string): { service: Service; device: Device } | Refusal {
  const service = serviceOf(client, sku);
  if (isRefusal(service)) return service;
  const device = service.devices.find((d) => d.deviceId === deviceId);
  return device ? { service, device } : refuse('not-found', ContractsCodes.deviceNotFound, `no device ${deviceId} on ${sku}`);
}

/** C8: removing a device gives its license back to the service. */
export function removeDevice(client: Client | null, sku: string, deviceId: string, ctx: ChangeContext): Decision<Client, Device> | Refusal {
  const found = deviceOf(client, sku, deviceId);
  if (isRefusal(found) || !client) return found as Refusal;
  const state = withService(client, { ...found.service, devices: found.service.devices.filter((d) => d.deviceId !== deviceId) }, ctx);
  const data: DeviceRemovedV1 = { partnerId: client.partnerId, clientId: client.clientId, sku, deviceId, removedAt: ctx.now.toISOString() };
  return { state, events: [draft(state, ContractsEvents.deviceRemoved, data, ctx)], result: found.device };
}

/** C8: a heartbeat records when the device was last seen (C9 takes licenses from the longest unseen first). */
export function recordHeartbeat(client: Client | null, sku: string, deviceId: string, ctx: ChangeContext): Decision<Client, Device> | Refusal {
  const found = deviceOf(client, sku, deviceId);
  if (isRefusal(found) || !client) return found as Refusal;
  const device = { deviceId, lastSeenAt: ctx.now.toISOString() };
  const devices = found.service.devices.map((d) => (d.deviceId === deviceId ? device : d));
  return { state: withService(client, { ...found.service, devices }, ctx), result: device };
}
