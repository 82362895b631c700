/**
 * Prints a bearer token the local services accept:
 *   npm run token -- --partner <id> [--role catalog-admin|points-admin|support|clock-admin ...]
 * Signed with AUTH_JWT_SECRET, or with the development secret `npm start` made.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Roles, signToken, type RoleName } from '@licensing/platform';

const { values } = parseArgs({
  options: { partner: { type: 'string' }, role: { type: 'string', multiple: true }, expires: { type: 'string', default: '12h' } },
});
const roles = (values.role ?? []) as RoleName[];
const known: string[] = Object.values(Roles);
const unknown = roles.filter((r) => !known.includes(r));
if (unknown.length > 0 || (!values.partner && roles.length === 0)) {
  console.error(`usage: npm run token -- --partner <id> [--role ${known.join('|')}]${unknown.length ? `\nunknown role: ${unknown.join(', ')}` : ''}`);
  process.exit(2);
}
const secretFile = join(process.env.INFRA_DIR ?? join(__dirname, '..', '.infra', 'local'), 'dev-jwt-secret');
const secret = process.env.AUTH_JWT_SECRET ?? (existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : undefined);
if (!secret) {
  console.error('no AUTH_JWT_SECRET and no development secret yet: run npm start once, or set AUTH_JWT_SECRET');
  process.exit(2);
}
void signToken(secret, { partnerId: values.partner, roles }, { expiresIn: values.expires }).then((token) => console.log(token));
