import { isDuplicateKey } from '../src/duplicate-key';

describe('duplicate keys, one way for every write', () => {
  it('recognises a single write refused by a unique index', () => {
    expect(isDuplicateKey(Object.assign(new Error('E11000 duplicate key'), { code: 11000 }))).toBe(true);
    expect(isDuplicateKey(Object.assign(new Error('not primary'), { code: 10107 }))).toBe(false);
    expect(isDuplicateKey(undefined)).toBe(false);
  });

  it('recognises a bulk insert whose every failure is a duplicate (a redelivery), in the driver and mongoose shapes', () => {
    expect(isDuplicateKey({ code: 11000, writeErrors: [{ code: 11000 }, { code: 11000 }] })).toBe(true);
    expect(isDuplicateKey({ writeErrors: [{ err: { code: 11000 }, index: 0 }] })).toBe(true);
    expect(isDuplicateKey({ code: 11000, writeErrors: { code: 11000 } })).toBe(true);
  });

  it('does not hide another failure in the same bulk insert', () => {
    expect(isDuplicateKey({ code: 11000, writeErrors: [{ code: 11000 }, { code: 121 }] })).toBe(false);
    expect(isDuplicateKey({ writeErrors: [] })).toBe(false);
  });
});
