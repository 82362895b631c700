import { parseDuration } from '../src/clock';
import { jobIdOf } from '../src/queues';
import { redisOptions } from '../src/redis';

describe('BullMQ settings', () => {
  it('keeps the parts of a business key apart in a job id without the ":" BullMQ refuses', () => {
    expect(jobIdOf('timeout', 'p:1', 'a/b')).toBe('timeout/p%3A1/a%2Fb');
    expect(jobIdOf('timeout', 'p', ':1/a')).not.toBe(jobIdOf('timeout', 'p:1', '/a'));
  });

  it('reads host, port, credentials, database and TLS from a Redis URL', () => {
    expect(redisOptions('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(redisOptions('rediss://user:p%40ss@redis.example:6380/2')).toEqual({
      host: 'redis.example',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
  });
});

describe('the platform clock', () => {
  it('reads durations of days, hours, minutes and seconds, and nothing else', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('45s')).toBe(45_000);
    for (const bad of ['', '0d', '-1d', '1.5d', '1w', 'd', '30 d', '1234567d']) expect(parseDuration(bad)).toBeUndefined();
  });
});
