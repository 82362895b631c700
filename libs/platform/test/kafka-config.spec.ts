import { ConfigError, loadConfig, readKafkaConnection, readPlatformConfig } from '../src';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  MONGO_URL: 'mongodb://127.0.0.1:27017',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_JWT_SECRET: 'unit-test-secret-0123456789abcdef0123',
};
const config = (env: Record<string, string>) => loadConfig((reader) => readPlatformConfig(reader, 'pool', 3002), { ...base, ...env });
const problems = (env: Record<string, string>): string[] => {
  try {
    config(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('Kafka credentials from the environment', () => {
  it('sign a service in as its own principal, named after it, with SCRAM-SHA-512 unless told otherwise', () => {
    expect(config({ KAFKA_SASL_PASSWORD: 'secret' })).toMatchObject({
      kafkaSasl: { mechanism: 'scram-sha-512', username: 'pool', password: 'secret' },
      kafkaSsl: false,
    });
    expect(
      config({ KAFKA_SASL_USERNAME: 'licensing-pool', KAFKA_SASL_PASSWORD: 'secret', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SSL: 'true' }),
    ).toMatchObject({
      kafkaSasl: { mechanism: 'scram-sha-256', username: 'licensing-pool', password: 'secret' },
      kafkaSsl: true,
    });
  });

  it('connect without SASL only to a broker that authenticates nobody, never in production', () => {
    expect(config({}).kafkaSasl).toBeUndefined();
    expect(problems({ NODE_ENV: 'production' })).toContain('KAFKA_SASL_PASSWORD is required when NODE_ENV=production');
  });

  it('refuse a username without a password, an unknown mechanism and a KAFKA_SSL that is not a boolean', () => {
    expect(problems({ KAFKA_SASL_USERNAME: 'pool', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SSL: 'yes' })).toEqual([
      'KAFKA_SASL_MECHANISM must be one of scram-sha-512, scram-sha-256, plain, got "gssapi"',
      'KAFKA_SASL_PASSWORD is required when KAFKA_SASL_USERNAME is set',
      'KAFKA_SSL must be one of true, false, got "yes"',
    ]);
  });

  it('are read alone by tools that are no service (the ACL provisioning signs in as the operator)', () => {
    const connection = loadConfig((reader) => readKafkaConnection(reader, 'operator'), {
      KAFKA_BROKERS: 'a:1,b:2',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_TOPIC_PREFIX: 't-x.',
    });
    expect(connection).toEqual({
      kafkaBrokers: ['a:1', 'b:2'],
      kafkaSasl: { mechanism: 'scram-sha-512', username: 'operator', password: 'p' },
      kafkaSsl: false,
      topicPrefix: 't-x.',
    });
  });
});
