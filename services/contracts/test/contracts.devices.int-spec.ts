import { ContractsEvents, type CloudEvent } from '@licensing/events';
import { bearer } from '@licensing/testing';
import { call, ContractsFixture, type Json, type Method } from './contracts.fixtures';

/**
 * C8 against the real servers: devices take and give back the licenses of a service, checked
 * inside the client document, so concurrent activations never exceed them. The service's
 * licenses come from the real pool through the assignment saga.
 */
const fixture = new ContractsFixture(__filename);
const { token, createClient, buy, assign, clientDoc, waitForEvent, advance } = fixture;

const PARTNER = 'p-dev';
const CLIENT = 'c-dev';
const LICENSES = 5;
const service = `/partners/${PARTNER}/clients/${CLIENT}/services/EP-PRO`;
const device = (deviceId: string) => `${service}/devices/${deviceId}`;
const subject = `${PARTNER}/${CLIENT}`;

const request = async (method: Method, url: string, headers?: Record<string, string>) =>
  call(fixture.contracts, method, url, headers ?? (await token(PARTNER)));
const serviceView = async () =>
  ((await call(fixture.contracts, 'GET', `/partners/${PARTNER}/clients/${CLIENT}`, await token(PARTNER))).body?.services as Json[])[0] as Json;
const version = async () => (await clientDoc(PARTNER, CLIENT))?.version as number;
/** The client's events on the topic, in order. */
const clientEvents = () => fixture.tap.events<CloudEvent<Json>>((e) => e.subject === subject && e.type.startsWith('contracts.'));
const deviceEvents = (type: string) => clientEvents().filter((e) => e.type === type);

beforeAll(async () => {
  await fixture.start();
  await buy(PARTNER, 'order-dev', [{ sku: 'EP-PRO', termMonths: 12, quantity: 20 }]);
  expect((await createClient(PARTNER, CLIENT)).status).toBe(201);
  const activated = await assign(PARTNER, CLIENT, 'devices', { sku: 'EP-PRO', quantity: LICENSES }, { prefer: 'wait=20' });
  expect(activated).toMatchObject({ status: 200, body: { status: 'activated' } });
  await waitForEvent(ContractsEvents.contractActivated, (d) => d.assignmentId === activated.body?.assignmentId);
});

afterAll(() => fixture.stop());

describe('C8 devices', () => {
  let active: string[];

  it(`under 20 concurrent activations of different devices on a service of ${LICENSES} licenses, exactly ${LICENSES} are activated`, async () => {
    const before = await version();
    const ids = Array.from({ length: 20 }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
    const answers = await Promise.all(ids.map((id) => request('PUT', device(id))));

    const won = answers.flatMap((a, i) => (a.status === 201 ? [ids[i] as string] : []));
    expect(won).toHaveLength(LICENSES);
    for (const [i, answer] of answers.entries()) {
      if (answer.status === 201) expect(answer.body).toEqual({ deviceId: ids[i], lastSeenAt: expect.any(String) });
      else expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 409, code: 'CONTRACTS.NO_FREE_LICENSE' });
    }
    active = won;

    const view = await serviceView();
    expect((view.devices as Json[]).map((d) => d.deviceId).sort()).toEqual([...won].sort());
    expect(view.licenses).toEqual({ total: LICENSES, inUse: LICENSES, free: 0 });
    // One write per activation; a refusal writes nothing.
    expect(await version()).toBe(before + LICENSES);
    const stored = (await clientDoc(PARTNER, CLIENT))?.state.services[0].devices as Json[];
    expect(stored).toHaveLength(LICENSES);

    // A marker after them: every event of the race is on the topic before it (one client, one partition, in order).
    const marker = active[0] as string;
    expect((await request('DELETE', device(marker))).status).toBe(204);
    await waitForEvent(ContractsEvents.deviceRemoved, (d) => d.deviceId === marker);
    expect(
      deviceEvents(ContractsEvents.deviceActivated)
        .map((e) => e.data.deviceId)
        .sort(),
    ).toEqual([...won].sort());
    expect(deviceEvents(ContractsEvents.deviceActivated).every((e) => e.data.sku === 'EP-PRO' && e.data.clientId === CLIENT)).toBe(true);
    // Back to the race's outcome.
    expect((await request('PUT', device(marker))).status).toBe(201);
    await waitForEvent(ContractsEvents.deviceActivated, (d) => d.deviceId === marker, 2);
  });

  it('the same device again answers 200 with the device as it was, and changes nothing', async () => {
    const [id] = active as [string];
    const before = await clientDoc(PARTNER, CLIENT);
    const known = (await serviceView()).devices.find((d: Json) => d.deviceId === id) as Json;
    const again = await request('PUT', device(id));
    expect(again).toMatchObject({ status: 200, body: { deviceId: id, lastSeenAt: known.lastSeenAt } });
    expect(await clientDoc(PARTNER, CLIENT)).toEqual(before);
    expect((await serviceView()).licenses).toEqual({ total: LICENSES, inUse: LICENSES, free: 0 });
    const activations = deviceEvents(ContractsEvents.deviceActivated).length;

    // Marker: a removal right after; no activation came before it.
    const other = active[1] as string;
    expect((await request('DELETE', device(other))).status).toBe(204);
    await waitForEvent(ContractsEvents.deviceRemoved, (d) => d.deviceId === other);
    expect(deviceEvents(ContractsEvents.deviceActivated)).toHaveLength(activations);
    expect((await request('PUT', device(other))).status).toBe(201);
    await waitForEvent(ContractsEvents.deviceActivated, (d) => d.deviceId === other, 2);
  });

  it('a removed device frees its license for another; the one removed is unknown afterwards', async () => {
    const [gone] = active as [string];
    const refusedBefore = await request('PUT', device('dev-new'));
    expect(refusedBefore).toMatchObject({ status: 409, body: { code: 'CONTRACTS.NO_FREE_LICENSE' } });

    const removed = await request('DELETE', device(gone));
    expect(removed.status).toBe(204);
    const [event] = await waitForEvent(ContractsEvents.deviceRemoved, (d) => d.deviceId === gone, 2);
    expect(event?.data).toMatchObject({ partnerId: PARTNER, clientId: CLIENT, sku: 'EP-PRO', deviceId: gone });
    expect((await serviceView()).licenses).toEqual({ total: LICENSES, inUse: LICENSES - 1, free: 1 });

    expect((await request('PUT', device('dev-new'))).status).toBe(201);
    await waitForEvent(ContractsEvents.deviceActivated, (d) => d.deviceId === 'dev-new');
    expect((await serviceView()).licenses).toEqual({ total: LICENSES, inUse: LICENSES, free: 0 });
    expect(await request('DELETE', device(gone))).toMatchObject({ status: 404, body: { code: 'CONTRACTS.DEVICE_NOT_FOUND' } });
    expect(await request('POST', `${device(gone)}/heartbeat`)).toMatchObject({ status: 404, body: { code: 'CONTRACTS.DEVICE_NOT_FOUND' } });
    active = [...active.filter((id) => id !== gone), 'dev-new'];
  });

  it('a heartbeat moves lastSeenAt to now by the platform clock, and nothing else', async () => {
    const id = active[1] as string;
    const before = (await serviceView()).devices.find((d: Json) => d.deviceId === id) as Json;
    const clock = Date.parse((await call(fixture.contracts, 'GET', '/admin/clock', await fixture.clockAdmin())).body?.now);
    await advance('2h');
    const beat = await request('POST', `${device(id)}/heartbeat`);
    expect(beat).toMatchObject({ status: 200, body: { deviceId: id } });
    const seen = Date.parse(beat.body?.lastSeenAt);
    expect(seen).toBeGreaterThanOrEqual(clock + 2 * 3600_000);
    expect(seen).toBeGreaterThan(Date.parse(before.lastSeenAt));
    const after = await serviceView();
    expect((after.devices as Json[]).find((d) => d.deviceId === id)).toEqual({ deviceId: id, lastSeenAt: beat.body?.lastSeenAt });
    // The other devices keep theirs, and the licenses are as they were.
    expect((after.devices as Json[]).filter((d) => d.deviceId !== id)).toHaveLength(LICENSES - 1);
    expect(after.licenses).toEqual({ total: LICENSES, inUse: LICENSES, free: 0 });
  });

  it('unknown devices, services and clients answer 404 with their code; bad ids and strangers are refused; nothing changes', async () => {
    const before = await clientDoc(PARTNER, CLIENT);
    const events = clientEvents().length;
    const owner = await token(PARTNER);
    const cases: [string, Method, string, Record<string, string>, number, string][] = [
      ['delete an unknown device', 'DELETE', device('nobody'), owner, 404, 'CONTRACTS.DEVICE_NOT_FOUND'],
      ['heartbeat of an unknown device', 'POST', `${device('nobody')}/heartbeat`, owner, 404, 'CONTRACTS.DEVICE_NOT_FOUND'],
      [
        'a service the client does not hold',
        'PUT',
        `/partners/${PARTNER}/clients/${CLIENT}/services/EDR-CORE/devices/d-1`,
        owner,
        404,
        'CONTRACTS.SERVICE_NOT_FOUND',
      ],
      [
        'delete on a service the client does not hold',
        'DELETE',
        `/partners/${PARTNER}/clients/${CLIENT}/services/EDR-CORE/devices/${active[0]}`,
        owner,
        404,
        'CONTRACTS.SERVICE_NOT_FOUND',
      ],
      [
        'heartbeat on a service the client does not hold',
        'POST',
        `/partners/${PARTNER}/clients/${CLIENT}/services/EP-BASIC/devices/${active[0]}/heartbeat`,
        owner,
        404,
        'CONTRACTS.SERVICE_NOT_FOUND',
      ],
      ['an unknown client', 'PUT', `/partners/${PARTNER}/clients/nobody/services/EP-PRO/devices/d-1`, owner, 404, 'CONTRACTS.CLIENT_NOT_FOUND'],
      ['a device id with a space', 'PUT', device('bad%20id'), owner, 400, 'REQUEST.VALIDATION_FAILED'],
      ['a device id of 101 characters', 'PUT', device('d'.repeat(101)), owner, 400, 'REQUEST.VALIDATION_FAILED'],
      ['a lower-case sku', 'PUT', `/partners/${PARTNER}/clients/${CLIENT}/services/ep-pro/devices/d-1`, owner, 400, 'REQUEST.VALIDATION_FAILED'],
      ['no token', 'PUT', device('d-1'), {}, 401, 'AUTH.UNAUTHENTICATED'],
      ["another partner's token", 'PUT', device('d-1'), await token('p-other'), 403, 'AUTH.FORBIDDEN'],
      ["another partner's token, delete", 'DELETE', device(active[0] as string), await token('p-other'), 403, 'AUTH.FORBIDDEN'],
      ['support, who changes nothing', 'PUT', device('d-1'), await bearer({ roles: ['support'] }), 403, 'AUTH.FORBIDDEN'],
      ['support, heartbeat', 'POST', `${device(active[0] as string)}/heartbeat`, await bearer({ roles: ['support'] }), 403, 'AUTH.FORBIDDEN'],
      ['C8 no license left', 'PUT', device('one-too-many'), owner, 409, 'CONTRACTS.NO_FREE_LICENSE'],
    ];
    for (const [label, method, url, headers, status, code] of cases) {
      const answer = await request(method, url, headers);
      expect({ label, status: answer.status, code: answer.body?.code }).toEqual({ label, status, code });
    }
    expect(await clientDoc(PARTNER, CLIENT)).toEqual(before);

    // A marker: the next event of the client is this removal's, so nothing refused reached the topic.
    const marker = active[2] as string;
    expect((await request('DELETE', device(marker))).status).toBe(204);
    await waitForEvent(ContractsEvents.deviceRemoved, (d) => d.deviceId === marker);
    const after = clientEvents().slice(events);
    expect(after.map((e) => [e.type, e.data.deviceId])).toEqual([[ContractsEvents.deviceRemoved, marker]]);
  });
});
