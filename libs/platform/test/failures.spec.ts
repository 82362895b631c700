import { ConcurrencyError } from '@licensing/persistence';
import { errorAnswer, isTransient, preferredWaitMs, TransientError } from '../src';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`a ${name}`), { name, ...extra });

describe('a bad moment versus a bad message', () => {
  it.each([
    ['Mongo unreachable (server selection)', named('MongoServerSelectionError')],
    ['mongoose without a connection', named('MongooseServerSelectionError')],
    ['a Mongo network error', named('MongoNetworkError')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { code: 'ECONNREFUSED' })],
    ['a closed Redis connection', new Error('Connection is closed.')],
    ['a retriable kafkajs error', named('KafkaJSProtocolError', { retriable: true })],
    ['Kafka unreachable', named('KafkaJSConnectionError')],
    ['a version conflict past its retries', new ConcurrencyError('p-1', 100)],
    ['what a handler declares transient', new TransientError('the pool is catching up')],
    ['a transient cause under a wrapper', new Error('saving failed', { cause: named('MongoNetworkError') })],
    [
      'a bulk write cut off by the network (the driver wraps it)',
      named('MongoBulkWriteError', { writeErrors: [], message: 'This socket has been ended by the other party' }),
    ],
    ['a bulk write that could not reach the server', named('MongoBulkWriteError', { message: 'connect ECONNREFUSED 127.0.0.1:27017' })],
    ['a write held back behind a failed message of its key', named('BatchOrderError')],
  ])('%s is a bad moment: retried, never dead-lettered', (_label, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'lines')")],
    ['a handler refusing the message', new Error('unknown partner')],
    ['a non-retriable kafkajs error', named('KafkaJSProtocolError', { retriable: false })],
    ['a duplicate key', Object.assign(new Error('E11000 duplicate key'), { code: 11000 })],
    ['a bulk write with a refused write', named('MongoBulkWriteError', { writeErrors: [{ code: 11000 }], code: 11000 })],
    ['a bulk write the server refused as a whole', named('MongoBulkWriteError', { writeErrors: [], code: 10334 })],
    ['not an error at all', 'boom'],
    ['nothing', undefined],
  ])('%s is a bad message: dead-lettered after its attempts', (_label, error) => {
    expect(isTransient(error)).toBe(false);
  });
});

describe('a bad moment over HTTP', () => {
  it('answers 503 SERVICE.UNAVAILABLE, so a client retries, rather than a 500', () => {
    expect(errorAnswer(named('MongoServerSelectionError'))).toMatchObject({ status: 503, code: 'SERVICE.UNAVAILABLE' });
    expect(errorAnswer(new TransientError('the catalog copy is being rebuilt'))).toMatchObject({ status: 503, code: 'SERVICE.UNAVAILABLE' });
  });
});

describe('Prefer: wait (RFC 7240) for long-running operations', () => {
  it('reads wait=N in seconds, capped, among other preferences; 0 when absent or malformed', () => {
    expect(preferredWaitMs('wait=5', 20)).toBe(5000);
    expect(preferredWaitMs('respond-async, wait=30', 20)).toBe(20_000);
    expect(preferredWaitMs('handling=strict; wait="3"', 20)).toBe(3000);
    for (const none of [undefined, '', 'wait=', 'wait=-1', 'nowait=5']) expect(preferredWaitMs(none, 20)).toBe(0);
  });
});
