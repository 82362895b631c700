import { SignJWT } from 'jose';
import {
  AppError,
  Authenticator,
  authorize,
  ConfigError,
  checkReadiness,
  errorAnswer,
  isStrictDateTime,
  loadConfig,
  partnerIdSchema,
  readPlatformConfig,
  requirePartnerAccess,
  Roles,
  signToken,
  type Principal,
} from '../src';

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

describe('HTTP access rules (checked before the body is read)', () => {
  const partner = { subject: 'p-1', partnerId: 'p-1', roles: [] };
  const support = { subject: 's', roles: [Roles.support] };
  const admin = { subject: 'a', roles: [Roles.pointsAdmin] };

  it('lets a partner reach its own data only', () => {
    expect(() => authorize(partner, { partner: 'write' }, { partnerId: 'p-1' })).not.toThrow();
    expect(() => authorize(partner, { partner: 'read' }, { partnerId: 'p-2' })).toThrow(AppError);
  });

  it('lets support read any partner and change nothing', () => {
    expect(() => authorize(support, { partner: 'read' }, { partnerId: 'p-2' })).not.toThrow();
    expect(() => authorize(support, { partner: 'write' }, { partnerId: 'p-2' })).toThrow('support reads any partner and changes nothing');
  });

  it('lets an admin role act on any partner where the route says so, and requires roles', () => {
    expect(() => authorize(admin, { partner: 'write', adminRole: Roles.pointsAdmin }, { partnerId: 'p-9' })).not.toThrow();
    expect(() => authorize(partner, { role: Roles.catalogAdmin }, {})).toThrow('catalog-admin');
    expect(() => authorize(partner, undefined, {})).not.toThrow();
  });
});

describe('one error shape for every error', () => {
  it('maps refusals, validation, and the HTTP errors Fastify raises to stable codes', () => {
    expect(errorAnswer(new AppError(409, 'POOL.ORDER_CONFLICT', 'x'))).toMatchObject({ status: 409, code: 'POOL.ORDER_CONFLICT' });
    expect(errorAnswer({ validation: [{ instancePath: '/a', message: 'bad', params: {} }], validationContext: 'body', message: 'm' })).toMatchObject({
      status: 400,
      code: 'REQUEST.VALIDATION_FAILED',
    });
    const http = (status: number) => ({ getStatus: () => status, message: 'wrapped' });
    expect(errorAnswer(http(413)).code).toBe('REQUEST.PAYLOAD_TOO_LARGE');
    expect(errorAnswer(http(415)).code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
    expect(errorAnswer(http(404)).code).toBe('REQUEST.NOT_FOUND');
    expect(errorAnswer(new Error('a bug'))).toEqual({ status: 500, code: 'INTERNAL', message: 'internal error' });
  });
});

describe('the platform clock mode', () => {
  it('is the system clock unless asked, and the shared clock is refused in production', () => {
    const config = (env: Record<string, string>) => loadConfig((reader) => readPlatformConfig(reader, 'pool', 3002), { ...base, ...env });
    expect(config({})).toMatchObject({ clockMode: 'system', clockKey: 'licensing:clock:default' });
    expect(config({ CLOCK_MODE: 'shared', KAFKA_TOPIC_PREFIX: 't-1.' })).toMatchObject({ clockMode: 'shared', clockKey: 'licensing:clock:t-1.' });
    expect(() => config({ CLOCK_MODE: 'shared', NODE_ENV: 'production' })).toThrow('CLOCK_MODE=shared is refused when NODE_ENV=production');
    expect(() => config({ CLOCK_MODE: 'later' })).toThrow('CLOCK_MODE must be one of system, shared');
  });
});

describe('issue 9, security', () => {
  const auth = new Authenticator({ secret, issuer: 'licensing', audience: 'licensing-api' });
  const key = new TextEncoder().encode(secret);
  const jwt = () =>
    new SignJWT({ roles: [], partnerId: 'p-1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('licensing').setAudience('licensing-api');

  it('2: support changes nothing, whatever else the token carries (its own partnerId, another role)', () => {
    const supportWithPartner: Principal = { subject: 's', partnerId: 'p-1', roles: [Roles.support] };
    expect(() => requirePartnerAccess(supportWithPartner, 'p-1', 'write')).toThrow('support reads any partner and changes nothing');
    expect(() => requirePartnerAccess(supportWithPartner, 'p-1', 'read')).not.toThrow();
    const supportAndAdmin: Principal = { subject: 's', roles: [Roles.support, Roles.catalogAdmin] };
    expect(() => authorize(supportAndAdmin, { role: Roles.catalogAdmin }, {}, 'POST')).toThrow('support reads and changes nothing');
    expect(() => authorize(supportAndAdmin, { partner: 'write', adminRole: Roles.catalogAdmin }, { partnerId: 'p-2' }, 'POST')).toThrow(AppError);
  });

  it('3: a token without an expiry, or living longer than a day, is refused', async () => {
    await expect(auth.authenticate(`Bearer ${await jwt().setIssuedAt().sign(key)}`)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    await expect(auth.authenticate(`Bearer ${await jwt().setExpirationTime('1h').sign(key)}`)).rejects.toMatchObject({
      code: 'AUTH.UNAUTHENTICATED',
    });
    await expect(auth.authenticate(`Bearer ${await jwt().setIssuedAt().setExpirationTime('30d').sign(key)}`)).rejects.toMatchObject({
      code: 'AUTH.UNAUTHENTICATED',
    });
    await expect(auth.authenticate(`Bearer ${await jwt().setIssuedAt().setExpirationTime('12h').sign(key)}`)).resolves.toMatchObject({
      partnerId: 'p-1',
    });
  });

  it('4: one partner-id rule: a token naming `..` or `-advx` is refused, and every route schema uses the same rule', async () => {
    for (const partnerId of ['..', '-advx', 'a'.repeat(101)]) {
      const token = await new SignJWT({ roles: [], partnerId })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('licensing')
        .setAudience('licensing-api')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key);
      await expect(auth.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    }
    const pattern = new RegExp(partnerIdSchema.pattern);
    expect(['..', '-advx', '.x', ''].filter((id) => pattern.test(id))).toEqual([]);
    expect(['p-1', 'demo-partner', 'A.b_c-9'].every((id) => pattern.test(id))).toBe(true);
  });
});

describe('issue 9, item 7: date-times parse strictly or are refused', () => {
  it('accepts RFC 3339 instants and refuses a leap second, 24:00, an impossible day or a missing zone', () => {
    for (const ok of ['2026-06-30T23:59:59Z', '2028-02-29T00:00:00.123Z', '2026-01-01T10:00:00+02:00'])
      expect({ ok, valid: isStrictDateTime(ok) }).toEqual({ ok, valid: true });
    for (const bad of [
      '2026-06-30T23:59:60Z',
      '2026-06-30T24:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-06-30T10:00:00',
      '2026-06-30',
    ])
      expect({ bad, valid: isStrictDateTime(bad) }).toEqual({ bad, valid: false });
  });
});
