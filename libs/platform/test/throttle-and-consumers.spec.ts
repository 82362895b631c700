import { ConfigError, createLogger, loadConfig, LogThrottle, readPlatformConfig } from '../src';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  MONGO_URL: 'mongodb://127.0.0.1:27017',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_JWT_SECRET: 'a-secret-of-at-least-32-characters-long',
};
const read = (env: Record<string, string>) => loadConfig((reader) => readPlatformConfig(reader, 'pool', 3002), { ...base, ...env });

describe('consumer group settings (issue 12.3)', () => {
  it('default to a 10 s session, 1 s heartbeats and a 30 s rebalance, and read each from its variable', () => {
    expect(read({})).toMatchObject({ consumerSessionTimeoutMs: 10_000, consumerHeartbeatIntervalMs: 1000, consumerRebalanceTimeoutMs: 30_000 });
    expect(
      read({ CONSUMER_SESSION_TIMEOUT_MS: '6000', CONSUMER_HEARTBEAT_INTERVAL_MS: '2000', CONSUMER_REBALANCE_TIMEOUT_MS: '20000' }),
    ).toMatchObject({
      consumerSessionTimeoutMs: 6000,
      consumerHeartbeatIntervalMs: 2000,
      consumerRebalanceTimeoutMs: 20_000,
    });
  });

  it('refuse a session below the broker minimum and heartbeats slower than a third of the session, naming the variable', () => {
    expect(() => read({ CONSUMER_SESSION_TIMEOUT_MS: '5000' })).toThrow(/CONSUMER_SESSION_TIMEOUT_MS must be >= 6000/);
    expect(() => read({ CONSUMER_HEARTBEAT_INTERVAL_MS: '4000' })).toThrow(ConfigError);
    expect(() => read({ CONSUMER_HEARTBEAT_INTERVAL_MS: '4000' })).toThrow(/CONSUMER_HEARTBEAT_INTERVAL_MS must be at most a third/);
  });
});

describe('LogThrottle (issue 12.4)', () => {
  it('writes a recurring condition once per window, then says how often it came back meanwhile', () => {
    const logger = createLogger('test', 'info');
    const written: unknown[] = [];
    jest.spyOn(logger, 'warn').mockImplementation(((fields: unknown) => void written.push(fields)) as never);
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const throttle = new LogThrottle(logger, 30_000);
    for (let i = 0; i < 50; i++) throttle.log('warn', 'redis/ECONNREFUSED', { queue: 'q' }, 'BullMQ queue error');
    throttle.log('warn', 'redis/ETIMEDOUT', { queue: 'q' }, 'BullMQ queue error');
    expect(written).toEqual([{ queue: 'q' }, { queue: 'q' }]);
    now += 30_000;
    throttle.log('warn', 'redis/ECONNREFUSED', { queue: 'q' }, 'BullMQ queue error');
    expect(written[2]).toEqual({ queue: 'q', repeated: 49, windowMs: 30_000 });
    jest.restoreAllMocks();
  });
});
