import { ContractsEvents, type ContractEndedV1, type ContractEnteredGraceV1, type ContractRenewedV1 } from '@licensing/events';
import type { AssignmentRequest, Client, SkuFacts } from '../src/domain/client.aggregate';
import { tick } from '../src/domain/client.lifecycle';
import { lapseCandidates, lapseMonthly, pickLapsed, renewMonthly, type LapseCandidate } from '../src/domain/client.monthly';
import { activateDevice } from '../src/domain/client.services';
import type { Contract } from '../src/domain/contract.rules';
import { contract, dataOf, newClient, ok, on, POLICY, product, request, TIMEOUT_MS, typesOf, withCatalog } from './client.fixtures';

const CATALOG: SkuFacts[] = [product('EP-PRO', { moduleSkus: [] }), product('EDR-CORE', { familyCode: 'edr', moduleSkus: [] })];
const { assign } = withCatalog(CATALOG);

const monthly = (quantity: number, sku = 'EP-PRO'): AssignmentRequest => request({ sku, termMonths: 1, quantity });

const contractsOf = (client: Client): Contract[] => client.services.flatMap((s) => s.contracts);

describe('M4 monthly renewal on the 1st', () => {
  /**
   * c-1 holds monthly EP-PRO a-1 (10, from 2025-03-15) and a-2 (3, from 2025-03-20), monthly
   * EDR-CORE a-3 (2, from 2025-03-20): all end on 2025-04-01; and annual EP-PRO a-4 from
   * 2024-04-01, ending on 2025-04-01 too.
   */
  function client(): Client {
    let next = assign(newClient(), 'a-4', { ...monthly(5), termMonths: 12 }, on('2024-04-01'));
    next = assign(next, 'a-1', monthly(10), on('2025-03-15'));
    next = assign(next, 'a-2', monthly(3), on('2025-03-20'));
    return assign(next, 'a-3', monthly(2, 'EDR-CORE'), on('2025-03-20'));
  }

  it('M4 the monthly contracts of the renewed skus ending on the 1st run to the next 1st, nothing leaving the pool', () => {
    const decision = renewMonthly(client(), '2025-04', ['EP-PRO'], 'ren-2025-04', on('2025-04-01', '00:05:00.000'));
    expect(decision.result).toEqual(['a-1-1', 'a-2-1']);
    expect(typesOf(decision.events)).toEqual([ContractsEvents.contractRenewed, ContractsEvents.contractRenewed]);
    expect(dataOf<ContractRenewedV1>(decision.events, ContractsEvents.contractRenewed)[0]).toEqual({
      partnerId: 'p-1',
      clientId: 'c-1',
      sku: 'EP-PRO',
      contractId: 'a-1-1',
      termMonths: 1,
      source: 'points',
      renewalId: 'ren-2025-04',
      previousEndsOn: '2025-04-01',
      endsOn: '2025-05-01',
      lines: [],
      unassigned: [],
      renewedAt: '2025-04-01T00:05:00.000Z',
    });
    const renewed = decision.state as Client;
    expect(contractsOf(renewed).map((c) => [c.contractId, c.startsOn, c.endsOn])).toEqual([
      ['a-4-1', '2024-04-01', '2025-04-01'],
      ['a-1-1', '2025-03-15', '2025-05-01'],
      ['a-2-1', '2025-03-20', '2025-05-01'],
      ['a-3-1', '2025-03-20', '2025-04-01'],
    ]);
    expect(contract(renewed, 'a-1-1')?.lines).toEqual([{ termMonths: 1, quantity: 10 }]);
    // Redelivered: the contracts end on the next 1st now, so nothing changes.
    expect(renewMonthly(renewed, '2025-04', ['EP-PRO'], 'ren-2025-04', on('2025-04-01', '00:06:00.000'))).toEqual({ result: [] });
  });

  it('M4 a renewal that comes after the 1st still extends to the next 1st; December runs to January', () => {
    const late = renewMonthly(client(), '2025-04', ['EP-PRO', 'EDR-CORE'], 'ren-2025-04', on('2025-04-03'));
    expect(late.result).toEqual(['a-1-1', 'a-2-1', 'a-3-1']);
    expect(tick(late.state as Client, POLICY, TIMEOUT_MS, on('2025-04-08')).result.expired).toEqual(['a-4-1']);
    const december = assign(newClient(), 'a-1', monthly(1), on('2025-11-20'));
    const decision = renewMonthly(december, '2025-12', ['EP-PRO'], 'ren-2025-12', on('2025-12-01'));
    expect(dataOf<ContractRenewedV1>(decision.events, ContractsEvents.contractRenewed)[0]).toMatchObject({
      previousEndsOn: '2025-12-01',
      endsOn: '2026-01-01',
    });
  });
});

describe('M4 lapse: the newest monthly contracts lose their licenses first', () => {
  const candidate = (clientId: string, contractId: string, startsOn: string, licenses: number): LapseCandidate => ({
    clientId,
    contractId,
    sku: 'EP-PRO',
    startsOn,
    licenses,
  });
  const candidates = [
    candidate('c-1', 'k-1', '2025-01-15', 5),
    candidate('c-2', 'k-2', '2025-03-10', 3),
    candidate('c-1', 'k-3', '2025-03-10', 4),
    candidate('c-2', 'k-4', '2025-02-01', 6),
  ];

  it('M4 pickLapsed takes the newest contracts first across clients, the last one partly', () => {
    expect([...pickLapsed(candidates, 8)]).toEqual([
      ['k-3', 4],
      ['k-2', 3],
      ['k-4', 1],
    ]);
    expect([...pickLapsed(candidates, 0)]).toEqual([]);
    expect([...pickLapsed(candidates, 100)]).toEqual([
      ['k-3', 4],
      ['k-2', 3],
      ['k-4', 6],
      ['k-1', 5],
    ]);
  });

  it('M4 pickLapsed decides the same whatever the order the clients were read in', () => {
    const expected = [...pickLapsed(candidates, 8)];
    for (const order of [
      [3, 2, 1, 0],
      [1, 3, 0, 2],
      [2, 0, 3, 1],
    ]) {
      expect([
        ...pickLapsed(
          order.map((i) => candidates[i] as LapseCandidate),
          8,
        ),
      ]).toEqual(expected);
    }
  });

  /**
   * c-1: monthly EP-PRO c1-a-1 (5, from 2025-03-10) and c1-a-2 (4, from 2025-04-10); c-2: c2-a-1 (6, from
   * 2025-04-02) and c2-a-2 (3, from 2025-04-10). All end on 2025-05-01. (Assignment ids, hence contract
   * ids, are unique across a partner's clients: the service derives them from partner, client and key.)
   */
  function clients(): [Client, Client] {
    let c1 = assign(newClient(), 'c1-a-1', monthly(5), on('2025-03-10'));
    c1 = renewMonthly(c1, '2025-04', ['EP-PRO'], 'ren-2025-04', on('2025-04-01')).state as Client;
    c1 = assign(c1, 'c1-a-2', monthly(4), on('2025-04-10'));
    let c2 = assign(newClient(on('2025-01-01'), 'c-2', 'Client Two'), 'c2-a-1', monthly(6), on('2025-04-02'));
    c2 = assign(c2, 'c2-a-2', monthly(3), on('2025-04-10'));
    return [c1, c2];
  }

  it('M4 the candidates of a lapse are the monthly contracts in force of its sku', () => {
    const [c1, c2] = clients();
    expect([...lapseCandidates(c1, 'EP-PRO', 'ev-1', '2025-05-01'), ...lapseCandidates(c2, 'EP-PRO', 'ev-1', '2025-05-01')]).toEqual([
      { clientId: 'c-1', contractId: 'c1-a-1-1', sku: 'EP-PRO', startsOn: '2025-03-10', licenses: 5 },
      { clientId: 'c-1', contractId: 'c1-a-2-1', sku: 'EP-PRO', startsOn: '2025-04-10', licenses: 4 },
      { clientId: 'c-2', contractId: 'c2-a-1-1', sku: 'EP-PRO', startsOn: '2025-04-02', licenses: 6 },
      { clientId: 'c-2', contractId: 'c2-a-2-1', sku: 'EP-PRO', startsOn: '2025-04-10', licenses: 3 },
    ]);
    expect(lapseCandidates(c1, 'EDR-CORE', 'ev-1', '2025-05-01')).toEqual([]);
    // Past their grace, contracts are no longer candidates.
    expect(lapseCandidates(c1, 'EP-PRO', 'ev-1', '2025-05-08')).toEqual([]);
  });

  it('M4 lapsed contracts enter grace from the 1st, remember what lapsed, and at expiry only the rest leaves assigned', () => {
    const [c1] = clients();
    // 6 licenses of the partner's EP-PRO lapsed: c-1's newest contract (4) and 2 of its older one.
    const picks = pickLapsed(lapseCandidates(c1, 'EP-PRO', 'ev-1', '2025-05-01'), 6);
    expect([...picks]).toEqual([
      ['c1-a-2-1', 4],
      ['c1-a-1-1', 2],
    ]);
    const decision = lapseMonthly(c1, 'ev-1', '2025-05', picks, on('2025-05-01', '00:05:00.000'));
    expect(decision.result).toEqual(['c1-a-1-1', 'c1-a-2-1']);
    expect(dataOf<ContractEnteredGraceV1>(decision.events, ContractsEvents.contractEnteredGrace)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractIds: ['c1-a-1-1', 'c1-a-2-1'],
        endsOn: '2025-05-01',
        graceEndsOn: '2025-05-08',
        reason: 'lapsed',
        enteredAt: '2025-05-01T00:05:00.000Z',
      },
    ]);
    const lapsed = decision.state as Client;
    expect(contract(lapsed, 'c1-a-1-1')).toMatchObject({ endsOn: '2025-05-01', lapsed: 2, lapsedBy: 'ev-1', graceFor: '2025-05-01' });
    expect(contract(lapsed, 'c1-a-2-1')).toMatchObject({ endsOn: '2025-05-01', lapsed: 4, lapsedBy: 'ev-1', graceFor: '2025-05-01' });
    // A lapsed contract is not renewed by a later renewal of the month, and stays usable through grace (C8).
    expect(renewMonthly(lapsed, '2025-05', ['EP-PRO'], 'ren-2025-05', on('2025-05-01', '00:10:00.000'))).toEqual({ result: [] });
    ok(activateDevice(lapsed, 'EP-PRO', 'd-1', on('2025-05-07')));
    for (const day of ['2025-05-01', '2025-05-07']) expect(tick(lapsed, POLICY, TIMEOUT_MS, on(day)).events).toBeUndefined();
    const expired = tick(lapsed, POLICY, TIMEOUT_MS, on('2025-05-08'));
    expect(dataOf<ContractEndedV1>(expired.events, ContractsEvents.contractEnded)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'c1-a-1-1',
        reason: 'expired',
        lines: [{ sku: 'EP-PRO', termMonths: 1, quantity: 5 }],
        unassigned: [{ sku: 'EP-PRO', termMonths: 1, quantity: 3 }],
        endedOn: '2025-05-08',
        endedAt: '2025-05-08T10:00:00.000Z',
      },
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'c1-a-2-1',
        reason: 'expired',
        lines: [{ sku: 'EP-PRO', termMonths: 1, quantity: 4 }],
        unassigned: [],
        endedOn: '2025-05-08',
        endedAt: '2025-05-08T10:00:00.000Z',
      },
    ]);
  });

  it('M4 a lapse redelivered (the same event id) picks the same contracts and changes nothing', () => {
    const [c1, c2] = clients();
    const all = (a: Client, b: Client) => [
      ...lapseCandidates(a, 'EP-PRO', 'ev-1', '2025-05-01'),
      ...lapseCandidates(b, 'EP-PRO', 'ev-1', '2025-05-01'),
    ];
    const picks = pickLapsed(all(c1, c2), 8);
    // Newest first across both clients; on the same day, by contract id (descending).
    expect([...picks]).toEqual([
      ['c2-a-2-1', 3],
      ['c1-a-2-1', 4],
      ['c2-a-1-1', 1],
    ]);
    const lapsed1 = lapseMonthly(c1, 'ev-1', '2025-05', picks, on('2025-05-01')).state as Client;
    const lapsed2 = lapseMonthly(c2, 'ev-1', '2025-05', picks, on('2025-05-01')).state as Client;
    const again = pickLapsed(all(lapsed1, lapsed2), 8);
    expect([...again]).toEqual([...picks]);
    expect(lapseMonthly(lapsed1, 'ev-1', '2025-05', again, on('2025-05-01', '10:00:05.000'))).toEqual({ result: [] });
    expect(lapseMonthly(lapsed2, 'ev-1', '2025-05', again, on('2025-05-01', '10:00:05.000'))).toEqual({ result: [] });
  });
});
