import { serviceEnv, uniqueNames } from '@licensing/testing';
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { AggregateRepository, aggregateSchema, BatchOrderError, insertOnce, OnceRecords, WriteBatch, type AggregateDocument } from '../src';

/**
 * Group commit (issue 10): the messages of a consumer's batch run at once, and what they write
 * to one aggregate is decided one after another and saved in one version-checked write; inserts
 * and business-id records of the batch go in one bulk operation. Against the real server.
 */
const names = uniqueNames(__filename);
let connection: Connection;
let counters: AggregateRepository<{ total: number; seen: number[] }>;
let rows: Model<{ _id: string; n: number }>;
let records: OnceRecords<string>;

beforeAll(async () => {
  connection = await mongoose.createConnection(serviceEnv(names).MONGO_URL ?? '', { dbName: names.database }).asPromise();
  const model = connection.model('counters', aggregateSchema('counters')) as unknown as Model<AggregateDocument<{ total: number; seen: number[] }>>;
  await model.init();
  counters = new AggregateRepository(model);
  rows = connection.model('rows', new Schema<{ _id: string; n: number }>({ _id: String, n: Number }, { collection: 'rows', versionKey: false }));
  records = new OnceRecords(connection, 'batch_records');
});

afterAll(async () => {
  jest.restoreAllMocks();
  await connection?.close();
});

/** Adds `n` to a counter: the decision sees the state the calls before it left. */
const add = (id: string, n: number, dedupeKey?: string) =>
  counters.execute(
    id,
    (state, version) => ({
      state: { total: (state?.total ?? 0) + n, seen: [...(state?.seen ?? []), n] },
      result: { before: state?.total ?? 0, version },
    }),
    dedupeKey,
  );

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch: the writes of a consumer batch, grouped', () => {
  it('decides one aggregate’s calls in the messages’ order on one state and saves them in one write, each with its own version', async () => {
    const saves = jest.spyOn(counters.model.collection, 'insertOne');
    const updates = jest.spyOn(counters.model.collection, 'updateOne');
    const batch = new WriteBatch();
    // The first message reaches its write last: the order is still the messages' order.
    const answers = await Promise.all(
      [3, 2, 1].map((delay, seq) =>
        batch.run(
          seq,
          'p-1',
          async () => {
            for (let i = 0; i < delay; i++) await tick();
            return add('a-1', seq + 1, `e-${seq}`);
          },
          () => false,
        ),
      ),
    );
    expect(saves.mock.calls.length + updates.mock.calls.length).toBe(1);
    expect(answers.map((a) => (a.duplicate ? 'duplicate' : a.result))).toEqual([
      { before: 0, version: 0 },
      { before: 1, version: 1 },
      { before: 3, version: 2 },
    ]);
    expect(answers.map((a) => a.version)).toEqual([1, 2, 3]);
    const doc = await counters.load('a-1');
    expect(doc).toMatchObject({ version: 3, state: { total: 6, seen: [1, 2, 3] }, handled: ['e-0', 'e-1', 'e-2'] });
    saves.mockRestore();
    updates.mockRestore();
  });

  it('handles an id once even when it comes twice in one batch, and lets one failing decision fail alone', async () => {
    const batch = new WriteBatch();
    const failing = counters.execute('a-2', () => {
      throw new Error('refused by the domain');
    });
    await expect(failing).rejects.toThrow('refused by the domain');
    const outcomes = await Promise.allSettled(
      [
        () => add('a-2', 5, 'e-1'),
        () =>
          counters.execute('a-2', () => {
            throw new Error('this one fails');
          }),
        () => add('a-2', 5, 'e-1'),
        () => add('a-2', 7, 'e-2'),
      ].map((work, seq) => batch.run(seq, 'p-2', work, () => false)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(outcomes[2]).toMatchObject({ value: { duplicate: true } });
    expect(await counters.load('a-2')).toMatchObject({ version: 2, state: { total: 12, seen: [5, 7] } });
  });

  it('holds back the writes of a key behind an earlier message of that key that failed, and only those', async () => {
    const batch = new WriteBatch();
    const outcomes = await Promise.allSettled([
      batch.run(
        0,
        'p-3',
        () => Promise.reject(new Error('a dependency is away')),
        () => false,
      ),
      batch.run(
        1,
        'p-3',
        () => add('a-3', 1),
        () => false,
      ),
      batch.run(
        2,
        'p-4',
        () => add('a-4', 1),
        () => false,
      ),
    ]);
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(BatchOrderError) });
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled' });
    expect(await counters.load('a-3')).toBeNull();
    expect(await counters.load('a-4')).toMatchObject({ version: 1 });
  });

  it('writes at once outside a batch, as it always did', async () => {
    await add('a-5', 1, 'e-1');
    await add('a-5', 1, 'e-1');
    expect(await counters.load('a-5')).toMatchObject({ version: 1, state: { total: 1 } });
  });

  it('inserts the batch’s rows in one insertMany, a row already there left as it is', async () => {
    await insertOnce(rows, [{ _id: 'r-0', n: 0 }]);
    const inserts = jest.spyOn(rows, 'insertMany');
    const batch = new WriteBatch();
    await Promise.all(
      [0, 1, 2, 3].map((n) =>
        batch.run(
          n,
          undefined,
          () => insertOnce(rows, [{ _id: `r-${n}`, n: n * 10 }]),
          () => false,
        ),
      ),
    );
    expect(inserts).toHaveBeenCalledTimes(1);
    expect((await rows.find().sort({ _id: 1 }).lean()).map((r) => r.n)).toEqual([0, 10, 20, 30]);
    inserts.mockRestore();
  });

  it('reads and records the batch’s business ids in one query and one bulk write', async () => {
    await records.remember('p-5/assignment/x-0', 'd-0', 'committed');
    const finds = jest.spyOn(records.model, 'find');
    const bulks = jest.spyOn(records.model, 'bulkWrite');
    const batch = new WriteBatch();
    const checks = await Promise.all(
      [0, 1, 2].map((n) =>
        batch.run(
          n,
          'p-5',
          async () => {
            const check = await records.check(`p-5/assignment/x-${n}`, `d-${n}`);
            if (!check.seen) await records.remember(`p-5/assignment/x-${n}`, `d-${n}`, 'reserved');
            return check;
          },
          () => false,
        ),
      ),
    );
    expect(checks).toEqual([{ seen: true, sameBody: true, outcome: 'committed' }, { seen: false }, { seen: false }]);
    expect(finds).toHaveBeenCalledTimes(1);
    expect(bulks).toHaveBeenCalledTimes(1);
    expect(await records.check('p-5/assignment/x-2', 'd-2')).toEqual({ seen: true, sameBody: true, outcome: 'reserved' });
    finds.mockRestore();
    bulks.mockRestore();
  });
});

describe('AggregateRepository: saves from the copy it saved last', () => {
  it('saves again without reading first, and reads again when another writer moved the version', async () => {
    await add('c-1', 1);
    const reads = jest.spyOn(counters.model.collection, 'findOne');
    await add('c-1', 2);
    expect(reads).not.toHaveBeenCalled();
    // Another process (or an operator, moving the version as every write must) changes the document.
    await counters.model.collection.updateOne({ _id: 'c-1' } as never, { $set: { 'state.total': 100 }, $inc: { version: 1 } });
    const outcome = await add('c-1', 5);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(outcome).toMatchObject({ duplicate: false, result: { before: 100, version: 3 }, version: 4 });
    reads.mockRestore();
  });

  it('answers from the document as read, never from its copy alone, when nothing is written', async () => {
    await add('c-2', 1, 'e-1');
    await counters.model.collection.updateOne({ _id: 'c-2' } as never, { $set: { 'state.total': 50 }, $inc: { version: 1 } });
    // A redelivery: the copy says handled, and the answer carries the state as it is now.
    const outcome = await add('c-2', 1, 'e-1');
    expect(outcome).toMatchObject({ duplicate: true, version: 2, state: { total: 50 } });
    const refusal = await counters.execute('c-2', (state) => ({ result: state?.total }));
    expect(refusal).toMatchObject({ result: 50 });
  });
});
