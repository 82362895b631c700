import { serviceEnv, uniqueNames } from '@licensing/testing';
import mongoose, { type Connection } from 'mongoose';
import { digestOf, OnceRecords } from '../src';

const names = uniqueNames(__filename);
let connection: Connection;
let records: OnceRecords<{ status: string }>;

beforeAll(async () => {
  connection = await mongoose.createConnection(serviceEnv(names).MONGO_URL ?? '', { dbName: names.database }).asPromise();
  records = new OnceRecords(connection, 'once_records');
});

afterAll(async () => {
  await connection?.close();
});

describe('OnceRecords: a business id honoured once, ever (DESIGN §4)', () => {
  it('knows nothing of a new id, then the body that first used it and its latest outcome', async () => {
    expect(await records.check('p-1/order/o-1', 'd-1')).toEqual({ seen: false });
    await records.remember('p-1/order/o-1', 'd-1', { status: 'reserved' });
    await records.remember('p-1/order/o-1', 'd-2', { status: 'committed' });
    expect(await records.check('p-1/order/o-1', 'd-1')).toEqual({ seen: true, sameBody: true, outcome: { status: 'committed' } });
    expect(await records.check('p-1/order/o-1', 'd-2')).toEqual({ seen: true, sameBody: false, outcome: { status: 'committed' } });
  });

  it('keeps the outcome when an id is remembered again without one, and takes the digest of a record written with an outcome only', async () => {
    await records.remember('p-1/assignment/a-1', null, { status: 'released' });
    expect(await records.check('p-1/assignment/a-1', 'any')).toMatchObject({ seen: true, sameBody: true });
    await records.remember('p-1/assignment/a-1', 'd-1');
    expect(await records.check('p-1/assignment/a-1', 'd-9')).toEqual({ seen: true, sameBody: false, outcome: { status: 'released' } });
  });

  it('writes one record for an id remembered many times at once', async () => {
    await Promise.all(Array.from({ length: 20 }, () => records.remember('p-1/credit/recovery/r-1', 'd-1')));
    expect(await records.model.countDocuments({ _id: 'p-1/credit/recovery/r-1' })).toBe(1);
  });

  it('claim first: of many requests under one id at once, exactly one claims it; the others learn whether theirs is its body', async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => records.claim('p-2/credit/k-1', `d-${i % 2}`)));
    const winners = claims.filter((c) => c.claimed);
    expect(winners).toHaveLength(1);
    expect((await records.find('p-2/credit/k-1'))?.digest).toMatch(/^d-[01]$/);
    const others = claims.filter((c) => !c.claimed);
    expect(others).toHaveLength(19);
    // Each loser is told whether it asked with the winner's body, and there is no outcome yet.
    expect(others.filter((c) => !c.claimed && c.sameBody)).toHaveLength(9);
    for (const c of others) expect(c).toMatchObject({ outcome: null });
  });

  it('a claim given back by its request (refused) frees the id; a release with another body, or of an id with an outcome, keeps it', async () => {
    expect(await records.claim('p-2/release/r-1', 'd-1')).toEqual({ claimed: true });
    await records.release('p-2/release/r-1', 'd-2');
    expect(await records.claim('p-2/release/r-1', 'd-2')).toEqual({ claimed: false, sameBody: false, outcome: null });
    await records.release('p-2/release/r-1', 'd-1');
    expect(await records.check('p-2/release/r-1', 'd-1')).toEqual({ seen: false });
    expect(await records.claim('p-2/release/r-1', 'd-2')).toEqual({ claimed: true });

    await records.remember('p-2/release/r-1', null, { status: 'released' });
    await records.release('p-2/release/r-1', 'd-2');
    expect(await records.claim('p-2/release/r-1', 'd-2')).toEqual({ claimed: false, sameBody: true, outcome: { status: 'released' } });
  });

  it('a claim meets the ids remembered after their use: the body that used one, or any body for a record of an outcome only', async () => {
    await records.remember('p-2/order/o-1', 'd-1');
    expect(await records.claim('p-2/order/o-1', 'd-2')).toEqual({ claimed: false, sameBody: false, outcome: null });
    await records.remember('p-2/assignment/a-1', null, { status: 'committed' });
    expect(await records.claim('p-2/assignment/a-1', 'd-1')).toEqual({ claimed: false, sameBody: true, outcome: { status: 'committed' } });
  });

  it('digests a body whatever the order of its keys', () => {
    expect(digestOf({ a: 1, b: [{ c: 2, d: 3 }] })).toBe(digestOf({ b: [{ d: 3, c: 2 }], a: 1 }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  });
});
