/**
 * Reads or moves the platform clock of the local deployment (DESIGN.md §8):
 *   npm run clock -- now
 *   npm run clock -- advance 30d      (also 12h, 90m, 45s; forward only)
 * Any running service answers for all of them: the offset is shared through Redis. Signs a
 * clock-admin token with AUTH_JWT_SECRET, or with the development secret `npm start` made.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Roles, signToken } from '@licensing/platform';

const [command, amount] = process.argv.slice(2);
if (!(command === 'now' && amount === undefined) && !(command === 'advance' && amount)) {
  console.error('usage: npm run clock -- now | advance <30d|12h|90m|45s>');
  process.exit(2);
}
const secretFile = join(process.env.INFRA_DIR ?? join(__dirname, '..', '.infra', 'local'), 'dev-jwt-secret');
const secret = process.env.AUTH_JWT_SECRET ?? (existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : undefined);
if (!secret) {
  console.error('no AUTH_JWT_SECRET and no development secret yet: run npm start once, or set AUTH_JWT_SECRET');
  process.exit(2);
}
const urls = (process.env.CLOCK_URLS ?? 'http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003,http://127.0.0.1:3004').split(',');

async function main(): Promise<void> {
  const token = await signToken(secret as string, { roles: [Roles.clockAdmin], subject: 'clock-cli' }, { expiresIn: '5m' });
  const init: RequestInit =
    command === 'advance'
      ? {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ advance: amount }),
        }
      : { headers: { authorization: `Bearer ${token}` } };
  for (const url of urls) {
    const response = await fetch(`${url}/admin/clock`, init).catch(() => undefined);
    if (!response) continue;
    const body = (await response.json()) as { now?: string; mode?: string; offsetMs?: number; code?: string; message?: string };
    if (!response.ok) {
      console.error(`${response.status} ${body.code}: ${body.message}`);
      process.exit(1);
    }
    console.log(`platform clock (${body.mode}): ${body.now}, ${Math.round((body.offsetMs ?? 0) / 3_600_000)} h ahead of the system clock`);
    return;
  }
  console.error(`no service answered at ${urls.join(', ')}: is the platform running (npm start)?`);
  process.exit(1);
}

void main();
