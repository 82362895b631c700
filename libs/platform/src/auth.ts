import { isPartnerId } from '@licensing/domain';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { forbidden, unauthorized } from './errors';

export const Roles = {
  catalogAdmin: 'catalog-admin',
  pointsAdmin: 'points-admin',
  support: 'support',
  /** Moves the platform clock of a development or test deployment (DESIGN §8). */
  clockAdmin: 'clock-admin',
} as const;
export type RoleName = (typeof Roles)[keyof typeof Roles];
const knownRoles: string[] = Object.values(Roles);

/** Who is calling: a partner user (partnerId, no role), or a vendor role. */
export interface Principal {
  subject: string;
  partnerId?: string;
  roles: RoleName[];
}

export interface AuthConfig {
  secret?: string;
  jwksUrl?: string;
  issuer: string;
  audience: string;
  /** The longest lifetime a token may have (exp − iat), in seconds. */
  maxLifetimeSeconds?: number;
}

/** A token lives at most a day unless AUTH_MAX_TOKEN_LIFETIME_S says otherwise. */
export const DEFAULT_MAX_TOKEN_LIFETIME_S = 24 * 3600;

export class Authenticator {
  private readonly key: Uint8Array | JWTVerifyGetKey;

  constructor(private readonly config: AuthConfig) {
    if (config.jwksUrl) this.key = createRemoteJWKSet(new URL(config.jwksUrl));
    else if (config.secret) this.key = new TextEncoder().encode(config.secret);
    else throw new Error('Authenticator needs a secret or a JWKS URL');
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization ?? '');
    if (!match?.[1]) throw unauthorized();
    try {
      const options = {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: this.config.jwksUrl ? ['RS256', 'ES256'] : ['HS256'],
        // A token without an expiry, or without its issue time, would be good for ever.
        requiredClaims: ['exp', 'iat'],
        maxTokenAge: this.config.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_S,
      };
      const { payload } =
        typeof this.key === 'function' ? await jwtVerify(match[1], this.key, options) : await jwtVerify(match[1], this.key, options);
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is RoleName => knownRoles.includes(String(r))) : [];
      const lifetime = (payload.exp as number) - (payload.iat as number);
      if (lifetime > (this.config.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_S)) throw new Error('the token lives too long');
      if (payload.partnerId !== undefined && !isPartnerId(payload.partnerId)) throw new Error('the token names a partner id no service accepts');
      const partnerId = payload.partnerId as string | undefined;
      return { subject: payload.sub ?? partnerId ?? 'unknown', partnerId, roles };
    } catch {
      throw unauthorized('the bearer token is invalid, expired, or lives longer than allowed');
    }
  }
}

export const hasRole = (principal: Principal, role: RoleName): boolean => principal.roles.includes(role);

export function requireRole(principal: Principal, role: RoleName): void {
  if (!hasRole(principal, role)) throw forbidden(`the ${role} role is required`);
}

/**
 * A partner reaches only its own data. `support` reads any partner's data and changes nothing;
 * `adminRole`, where given, may act on any partner (e.g. points-admin for enrolment).
 */
export function requirePartnerAccess(principal: Principal, partnerId: string, mode: 'read' | 'write', adminRole?: RoleName): void {
  // Support changes nothing, whatever else the token carries (a partnerId, another role).
  if (mode === 'write' && hasRole(principal, Roles.support)) throw forbidden('support reads any partner and changes nothing');
  if (adminRole && hasRole(principal, adminRole)) return;
  if (principal.partnerId === partnerId) return;
  if (mode === 'read' && hasRole(principal, Roles.support)) return;
  throw forbidden(`this token may not ${mode} partner ${partnerId}'s data`);
}

/** Signs a token the services accept with a shared secret (local runs, tests, `npm run token`). */
export async function signToken(
  secret: string,
  claims: { partnerId?: string; roles?: RoleName[]; subject?: string },
  options: { issuer?: string; audience?: string; expiresIn?: string } = {},
): Promise<string> {
  const payload: Record<string, unknown> = { roles: claims.roles ?? [] };
  if (claims.partnerId) payload.partnerId = claims.partnerId;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.subject ?? claims.partnerId ?? 'vendor')
    .setIssuer(options.issuer ?? 'licensing')
    .setAudience(options.audience ?? 'licensing-api')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(secret));
}
