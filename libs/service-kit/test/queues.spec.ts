import { jobIdOf, redisOptions } from '../src/queues';

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
