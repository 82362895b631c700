import { Authenticator, ConfigError, checkReadiness, loadConfig, readPlatformConfig, requirePartnerAccess, signToken, type Principal } from '../src';

const secret = 'unit-test-secret-0123456789abcdef0123';
const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  MONGO_URL: 'mongodb://127.0.0.1:27017',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_JWT_SECRET: secret,
};

describe('configuration from the environment', () => {
  it('reads defaults and values', () => {
    const config = loadConfig((env) => readPlatformConfig(env, 'pool', 3002), { ...base, KAFKA_BROKERS: 'a:1, b:2', SERVICE_ROLE: 'worker' });
    expect(config).toMatchObject({
      service: 'pool',
      port: 3002,
      role: 'worker',
      kafkaBrokers: ['a:1', 'b:2'],
      mongoDatabase: 'pool',
      topicPartitions: 6,
    });
  });

  it('refuses to start on bad values, naming every variable at fault', () => {
    const attempt = () =>
      loadConfig((env) => readPlatformConfig(env, 'pool', 3002), {
        ...base,
        PORT: 'eighty',
        MONGO_URL: 'postgres://x',
        SERVICE_ROLE: 'both',
        AUTH_JWT_SECRET: 'short',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'AUTH_JWT_SECRET must be at least 32 characters',
        'SERVICE_ROLE must be one of api, worker, all, got "both"',
        'PORT must be an integer, got "eighty"',
        'MONGO_URL must match /^mongodb(\\+srv)?:\\/\\//',
      ]);
    }
  });

  it('requires the servers and a way to verify tokens', () => {
    expect(() => loadConfig((env) => readPlatformConfig(env, 'pool', 3002), {})).toThrow(
      /AUTH_JWT_SECRET or AUTH_JWKS_URL is required[\s\S]*KAFKA_BROKERS is required[\s\S]*MONGO_URL is required[\s\S]*REDIS_URL is required/,
    );
  });
});

describe('authentication and access', () => {
  const auth = new Authenticator({ secret, issuer: 'licensing', audience: 'licensing-api' });

  it('accepts a token it signed, with the partner and known roles only', async () => {
    const token = await signToken(secret, { partnerId: 'p-1', roles: ['support', 'root' as never] });
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual({ subject: 'p-1', partnerId: 'p-1', roles: ['support'] });
  });

  it('refuses a missing, malformed, foreign or expired token with AUTH.UNAUTHENTICATED', async () => {
    const foreign = await signToken('another-secret-0123456789abcdef0123456', { partnerId: 'p-1' });
    const expired = await signToken(secret, { partnerId: 'p-1' }, { expiresIn: '-1m' });
    const otherAudience = await signToken(secret, { partnerId: 'p-1' }, { audience: 'elsewhere' });
    for (const header of [undefined, 'Basic abc', `Bearer ${foreign}`, `Bearer ${expired}`, `Bearer ${otherAudience}`]) {
      await expect(auth.authenticate(header)).rejects.toMatchObject({ status: 401, code: 'AUTH.UNAUTHENTICATED' });
    }
  });

  it('lets a partner reach only its own data; support reads any and writes none', () => {
    const partner: Principal = { subject: 'u', partnerId: 'p-1', roles: [] };
    const support: Principal = { subject: 's', roles: ['support'] };
    const admin: Principal = { subject: 'a', roles: ['points-admin'] };
    expect(() => requirePartnerAccess(partner, 'p-1', 'write')).not.toThrow();
    expect(() => requirePartnerAccess(partner, 'p-2', 'read')).toThrow(expect.objectContaining({ status: 403, code: 'AUTH.FORBIDDEN' }));
    expect(() => requirePartnerAccess(support, 'p-2', 'read')).not.toThrow();
    expect(() => requirePartnerAccess(support, 'p-2', 'write')).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => requirePartnerAccess(admin, 'p-2', 'write', 'points-admin')).not.toThrow();
    expect(() => requirePartnerAccess(admin, 'p-2', 'write')).toThrow(expect.objectContaining({ status: 403 }));
  });
});

describe('readiness', () => {
  it('is ready only when every check answers in time, and says which failed', async () => {
    const report = await checkReadiness(
      {
        up: async () => undefined,
        down: async () => Promise.reject(new Error('refused')),
        slow: () => new Promise((resolve) => setTimeout(resolve, 500)),
      },
      100,
    );
    expect(report).toEqual({
      status: 'not-ready',
      checks: { up: { status: 'up' }, down: { status: 'down', error: 'refused' }, slow: { status: 'down', error: 'no answer within 100 ms' } },
    });
  });
});
