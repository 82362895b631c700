import { PARTNER_ID_PATTERN } from '@licensing/domain';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { forbidden } from '../errors';
import { hasRole, requirePartnerAccess, requireRole, Roles, type Principal, type RoleName } from '../auth';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * Who may call a route, checked in Fastify's onRequest hook: before the body is parsed or
 * validated, so a caller without the right learns nothing about the body (401/403 before 400).
 * - `public`: anyone (health, metrics, docs);
 * - `role`: a vendor role;
 * - `partner`: the partner named in the `partnerId` path parameter (support reads any partner
 *   and changes nothing; `adminRole`, where given, acts on any partner);
 * - absent: any valid token.
 */
export type AccessRule = { public: true } | { role: RoleName } | { partner: 'read' | 'write'; adminRole?: RoleName };

export const Access = (rule: AccessRule) => RouteConfig({ access: rule });

export function authorize(principal: Principal, rule: AccessRule | undefined, params: unknown, method = 'GET'): void {
  if (!rule || 'public' in rule) return;
  if ('role' in rule) {
    if (method !== 'GET' && method !== 'HEAD' && hasRole(principal, Roles.support)) throw forbidden('support reads and changes nothing');
    return requireRole(principal, rule.role);
  }
  const partnerId = (params as { partnerId?: unknown } | undefined)?.partnerId;
  if (typeof partnerId !== 'string') throw forbidden('this route names no partner');
  requirePartnerAccess(principal, partnerId, rule.partner, rule.adminRole);
}

export const isPublic = (rule: AccessRule | undefined): boolean => rule !== undefined && 'public' in rule;

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<FastifyRequest>().principal;
});

/** The request's correlation id (from `x-correlation-id`, or new). */
export const CorrelationId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<FastifyRequest>().id;
});

export { hasRole };

/** The partner-id rule as a route schema: the same rule in every service's paths. */
export const partnerIdSchema = {
  type: 'string',
  pattern: PARTNER_ID_PATTERN.source,
  description: 'a letter or digit, then letters, digits, dot, underscore or dash; 1–100 characters',
} as const;
